import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseQuestionPack, normalizeText, SUBJECTS, type QuestionInput } from '../../src/domain/questionPack';

const BANK_DIR = path.join(__dirname, '../../src/persistence/seed/questions');
const ID_PREFIX: Record<string, string> = { math: 'math', science: 'sci', language: 'lang', geography: 'geo' };
const MIN_PER_SUBJECT = 110;
const MIN_PER_GRADE = 10;

describe('curated question bank', () => {
  const bank = new Map<string, QuestionInput[]>();

  for (const subject of SUBJECTS) {
    it(`${subject}.json is a valid pack of ${subject} questions`, () => {
      const text = fs.readFileSync(path.join(BANK_DIR, `${subject}.json`), 'utf8');
      const r = parseQuestionPack(text);
      assert.ok(r.ok, r.ok ? '' : JSON.stringify(r.problems.slice(0, 20), null, 1));
      bank.set(subject, r.questions);
      for (const q of r.questions) {
        assert.equal(q.subject, subject, q.id);
        assert.match(q.id, new RegExp(`^${ID_PREFIX[subject]}-\\d{4}$`), q.id);
        assert.equal(q.prompt, q.prompt.trim(), `${q.id}: prompt has surrounding spaces`);
        for (const c of q.choices) assert.equal(c, c.trim(), `${q.id}: choice has surrounding spaces`);
      }
    });

    it(`${subject}: at least ${MIN_PER_SUBJECT} questions, at least ${MIN_PER_GRADE} in every grade 1..8`, () => {
      const questions = bank.get(subject);
      assert.ok(questions, 'pack did not load');
      assert.ok(questions.length >= MIN_PER_SUBJECT, `${subject}: only ${questions.length} questions`);
      for (let grade = 1; grade <= 8; grade++) {
        const n = questions.filter((q) => q.grade === grade).length;
        assert.ok(n >= MIN_PER_GRADE, `${subject} grade ${grade}: only ${n} questions`);
      }
      const difficulties = new Set(questions.map((q) => q.difficulty));
      assert.deepEqual([...difficulties].sort(), [1, 2, 3], `${subject}: every difficulty should be used`);
    });
  }

  it('ids and prompts are unique across all files', () => {
    const all = SUBJECTS.flatMap((s) => bank.get(s) ?? []);
    assert.equal(all.length, SUBJECTS.reduce((n, s) => n + (bank.get(s)?.length ?? 0), 0));
    const ids = new Set<string>();
    const prompts = new Map<string, string>();
    for (const q of all) {
      assert.ok(!ids.has(q.id), `duplicate id ${q.id}`);
      ids.add(q.id);
      const key = normalizeText(q.prompt);
      assert.ok(!prompts.has(key), `prompt of ${q.id} duplicates ${prompts.get(key)}`);
      prompts.set(key, q.id);
    }
    assert.ok(all.length >= SUBJECTS.length * MIN_PER_SUBJECT);
  });

  it('the correct answer is not always in the same position', () => {
    for (const subject of SUBJECTS) {
      const positions = new Set((bank.get(subject) ?? []).map((q) => q.answer));
      assert.ok(positions.size >= 3, `${subject}: answers sit only at positions ${[...positions]}`);
    }
  });
});

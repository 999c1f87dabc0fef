import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pgliteDir } from '../../ormconfig';
import { parseQuestionPack, SUBJECTS, type QuestionInput } from '../../src/domain/questionPack';
import { isDomainError } from '../../src/errors';
import { loadQuestionBank } from '../../src/persistence/seed/questionBank';
import { testArena, type TestArena } from '../helpers/arena';
import { testDatabase } from '../helpers/db';

const ROOT = path.resolve(__dirname, '../..');

/** A valid pack question with a unique id and prompt. */
function packQuestion(n: number, over: Partial<QuestionInput> = {}): QuestionInput {
  return { id: `pack-${n}`, subject: 'science', grade: 4, difficulty: 2, prompt: `Pack question number ${n}?`, choices: ['yes', 'no', 'maybe'], answer: 0, ...over };
}

/** Runs the import CLI the way `npm run questions:import -- FILE` does, in a child process. */
function runImport(file: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const base = { ...process.env };
  for (const k of ['DATABASE_URL', 'DATA_DIR', 'LOG_LEVEL', 'INIT_CWD']) delete base[k];
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'src/cli/importQuestions.ts', file], { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('questions', () => {
  let t: TestArena;
  const q = (sql: string, params: unknown[] = []) => t.arena.database.dataSource.query(sql, params);
  beforeEach(async () => { t = await testArena(); });

  describe('the seeded bank', () => {
    it('is in the database after migrations: every curated question, all four subjects, source "bank"', async () => {
      const bank = loadQuestionBank();
      const rows: Array<{ subject: string; source: string; n: number }> = await q(
        `SELECT "subject", "source", count(*)::int AS n FROM "questions" GROUP BY "subject", "source" ORDER BY "subject"`);
      assert.deepEqual(rows.map((r) => r.subject), [...SUBJECTS].sort());
      assert.ok(rows.every((r) => r.source === 'bank'));
      const total = rows.reduce((s, r) => s + r.n, 0);
      assert.ok(total >= 400, `only ${total} questions`);
      assert.equal(total, bank.length);
      for (const subject of SUBJECTS) {
        const [{ grades }] = await q(`SELECT count(DISTINCT "grade")::int AS grades FROM "questions" WHERE "subject" = $1`, [subject]);
        assert.equal(grades, 8, `${subject} covers grades 1..8`);
      }
      // A row is the JSON entry, field for field.
      const sample = bank[Math.floor(bank.length / 2)];
      const [row] = await q(`SELECT "id", "subject", "grade", "difficulty", "prompt", "choices", "answer" FROM "questions" WHERE "id" = $1`, [sample.id]);
      assert.deepEqual({ ...row }, sample);
    });

    it('reads every *.json of the bank folder and reports problems with file and line', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-bank-'));
      try {
        fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify([packQuestion(1)], null, 1));
        fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a pack');
        assert.deepEqual(loadQuestionBank(dir).map((x) => x.id), ['pack-1']);
        fs.writeFileSync(path.join(dir, 'b.json'), '[\n  {"id": "pack-1", "subject": "art"}\n]');
        assert.throws(() => loadQuestionBank(dir), /b\.json:2: \[0\]\.subject: subject must be one of/);
        fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify([packQuestion(1, { prompt: 'Different prompt?' })]));
        assert.throws(() => loadQuestionBank(dir), /b\.json: id "pack-1" is also used in a\.json/);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('candidates', () => {
    const bank = loadQuestionBank();
    const inBand = (subject: string, lo: number, hi: number) => bank.filter((x) => (subject === 'mixed' || x.subject === subject) && x.grade >= lo && x.grade <= hi);

    it('returns the subject’s questions in the band, ordered by id, when the band holds enough', async () => {
      const got = await t.arena.services.questions.candidates({ subject: 'geography', gradeMin: 3, gradeMax: 4, limit: 5 });
      const want = inBand('geography', 3, 4).map((x) => x.id).sort();
      assert.ok(want.length >= 5);
      assert.deepEqual(got.map((x) => x.id), want);
      assert.ok(got.every((x) => x.subject === 'geography' && x.grade >= 3 && x.grade <= 4));
      assert.deepEqual(Object.keys(got[0]).sort(), ['answer', 'choices', 'difficulty', 'grade', 'id', 'prompt', 'subject']);
    });

    it('widens the band one grade each side until it holds `limit` questions', async () => {
      const got = await t.arena.services.questions.candidates({ subject: 'math', gradeMin: 3, gradeMax: 3, limit: 60 });
      const grades = got.map((x) => x.grade);
      const lo = Math.min(...grades);
      const hi = Math.max(...grades);
      assert.equal(3 - lo, hi - 3, 'widened symmetrically');
      assert.ok(got.length >= 60);
      assert.ok(inBand('math', lo + 1, hi - 1).length < 60, 'not widened further than needed');
      assert.deepEqual(got.map((x) => x.id), inBand('math', lo, hi).map((x) => x.id).sort());
      assert.ok(lo < 3, 'one grade of math alone is fewer than 60 questions');
    });

    it('stops at grades 1..8 and clamps a band at the edge', async () => {
      const everything = await t.arena.services.questions.candidates({ subject: 'language', gradeMin: 8, gradeMax: 8, limit: 100_000 });
      assert.equal(everything.length, inBand('language', 1, 8).length);
      const edge = await t.arena.services.questions.candidates({ subject: 'language', gradeMin: 8, gradeMax: 8, limit: 25 });
      const grades = new Set(edge.map((x) => x.grade));
      assert.ok(!grades.has(0) && [...grades].every((g) => g >= 6 && g <= 8), [...grades].join());
    });

    it('draws from every subject for "mixed", the same way every time', async () => {
      const first = await t.arena.services.questions.candidates({ subject: 'mixed', gradeMin: 2, gradeMax: 2 });
      assert.deepEqual(new Set(first.map((x) => x.subject)), new Set(SUBJECTS));
      assert.ok(first.length >= 60);
      assert.deepEqual(await t.arena.services.questions.candidates({ subject: 'mixed', gradeMin: 2, gradeMax: 2 }), first);
      const ids = first.map((x) => x.id);
      assert.deepEqual(ids, ids.slice().sort(), 'bytewise id order, whatever the database locale');
    });

    it('includes imported pack questions', async () => {
      await t.arena.services.questions.importPack([packQuestion(1, { subject: 'geography', grade: 7 })]);
      const got = await t.arena.services.questions.candidates({ subject: 'geography', gradeMin: 7, gradeMax: 7, limit: 1 });
      assert.ok(got.some((x) => x.id === 'pack-1'));
    });
  });

  describe('importPack', () => {
    const packCount = async (): Promise<number> => (await q(`SELECT count(*)::int AS n FROM "questions" WHERE "source" = 'pack'`))[0].n;

    it('imports a pack with source "pack", and a re-import replaces its questions', async () => {
      assert.equal(await t.arena.services.questions.importPack([packQuestion(1), packQuestion(2)]), 2);
      assert.equal(await packCount(), 2);
      await t.arena.services.questions.importPack([packQuestion(2, { prompt: 'Corrected prompt?', choices: ['a', 'b'], answer: 1 })]);
      const [row] = await q(`SELECT "prompt", "choices", "answer", "source" FROM "questions" WHERE "id" = 'pack-2'`);
      assert.deepEqual({ ...row }, { prompt: 'Corrected prompt?', choices: ['a', 'b'], answer: 1, source: 'pack' });
      assert.equal(await packCount(), 2);
    });

    it('imports nothing when a question is invalid', async () => {
      const pack = [packQuestion(1), packQuestion(2, { grade: 9 }), packQuestion(3)];
      await assert.rejects(t.arena.services.questions.importPack(pack), (e) => isDomainError(e, 'VALIDATION_FAILED') && /\[1\]\.grade/.test(JSON.stringify(e.details)));
      assert.equal(await packCount(), 0);
    });

    it('imports nothing when the database refuses a question late in a large pack (one transaction)', async () => {
      // 501 questions take two INSERT batches (500 + 1); the last question carries a NUL character, which
      // passes the pack checks but PostgreSQL refuses in text, so the failure comes after a batch wrote.
      const pack = Array.from({ length: 501 }, (_, i) => packQuestion(i + 1));
      pack[500] = packQuestion(501, { prompt: 'Nul \u0000 inside?' });
      await assert.rejects(t.arena.services.questions.importPack(pack));
      assert.equal(await packCount(), 0);
    });
  });

  describe('the import CLI (npm run questions:import -- FILE)', function () {
    this.timeout(120_000);
    let dir: string;
    beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-import-')); });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    /** Where the child imports: the suite's PostgreSQL database, or an embedded one in a fresh DATA_DIR. */
    async function childEnv(): Promise<Record<string, string>> {
      const db = await testDatabase();
      return { DATA_DIR: path.join(dir, 'data'), ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}) };
    }

    /** Counts rows in the child's database (opened after the child has exited and released it). */
    async function countIn(sql: string): Promise<number> {
      const db = await testDatabase();
      if (db.databaseUrl) return (await q(sql))[0].n;
      const dataDir = path.join(dir, 'data');
      if (!fs.existsSync(pgliteDir(dataDir))) return 0; // never opened: nothing can have been imported
      const pg = new PGlite(pgliteDir(dataDir));
      try {
        return ((await pg.query<{ n: number }>(sql)).rows[0]).n;
      } finally {
        await pg.close();
      }
    }

    it('lists every problem as FILE:LINE: PATH: MESSAGE and imports nothing', async () => {
      const file = path.join(dir, 'bad.json');
      const text = [
        '[',
        '  {"id": "cli-1", "subject": "science", "grade": 3, "difficulty": 1, "prompt": "Fine question?", "choices": ["a", "b"], "answer": 0},',
        '  {"id": "cli-2", "subject": "science", "grade": 9, "difficulty": 1, "prompt": "Bad grade?", "choices": ["a", "b"], "answer": 0},',
        '  {"id": "cli-3", "subject": "science", "grade": 3, "difficulty": 1, "prompt": "Bad answer?",',
        '   "choices": ["a", "b"], "answer": 5}',
        ']',
      ].join('\n');
      fs.writeFileSync(file, text);
      const res = await runImport(file, await childEnv());
      assert.equal(res.code, 1, res.stderr);
      const parsed = parseQuestionPack(text);
      assert.ok(!parsed.ok);
      const lines = res.stderr.trim().split('\n');
      assert.deepEqual(lines, [
        ...parsed.problems.map((p) => `${file}:${p.line}: ${p.path}: ${p.message}`),
        `${parsed.problems.length} problems; nothing imported`,
      ]);
      assert.equal(lines[0], `${file}:3: [1].grade: grade must be an integer from 1 to 8, got 9`);
      assert.equal(lines[1], `${file}:5: [2].answer: answer must be a choice index from 0 to 1 (there are 2 choices), got 5`);
      assert.equal(res.stdout, '');
      assert.equal(await countIn(`SELECT count(*)::int AS n FROM "questions" WHERE "id" LIKE 'cli-%'`), 0);
    });

    it('imports a good pack in one go and says how many', async () => {
      const file = path.join(dir, 'good.json');
      fs.writeFileSync(file, JSON.stringify({ questions: [1, 2, 3].map((n) => packQuestion(n, { id: `cli-${n}` })) }, null, 2));
      const res = await runImport(file, await childEnv());
      assert.equal(res.code, 0, res.stderr + res.stdout);
      assert.equal(res.stdout.trim(), 'imported 3 questions');
      assert.equal(await countIn(`SELECT count(*)::int AS n FROM "questions" WHERE "id" LIKE 'cli-%' AND "source" = 'pack'`), 3);
      // The child migrated its database first, so the bank is there too.
      assert.ok(await countIn(`SELECT count(*)::int AS n FROM "questions" WHERE "source" = 'bank'`) >= 400);
    });

    it('fails with a message, importing nothing, for a missing file or no argument', async () => {
      const missing = await runImport(path.join(dir, 'nope.json'), await childEnv());
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /nope\.json: cannot read: .*\nnothing imported/);
      const none = await new Promise<number | null>((resolve) => {
        spawn(process.execPath, ['--require', 'tsx/cjs', 'src/cli/importQuestions.ts'], { cwd: ROOT, stdio: 'ignore' }).once('exit', resolve);
      });
      assert.equal(none, 2);
    });
  });
});

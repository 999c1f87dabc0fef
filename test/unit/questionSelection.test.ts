import assert from 'node:assert/strict';
import type { QuestionInput } from '../../src/domain/questionPack';
import { gradeBand, selectQuestions, shuffleChoices } from '../../src/domain/questionSelection';
import { createRng } from '../../src/domain/random';

function bank(subject: QuestionInput['subject'], n: number): QuestionInput[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${subject}-${i}`, subject, grade: 3, difficulty: 1, prompt: `${subject} question ${i}?`, choices: [`right ${i}`, 'w1', 'w2', 'w3'], answer: 0,
  }));
}

describe('question selection', () => {
  it('never repeats a question and keeps to the subject', () => {
    const candidates = [...bank('science', 30), ...bank('geography', 30)];
    const picked = selectQuestions(candidates, { subject: 'science', gradeMin: 3, gradeMax: 3, count: 20 }, createRng('seed'));
    assert.equal(picked.length, 20);
    assert.equal(new Set(picked.map((q) => q.questionId)).size, 20);
    assert.ok(picked.every((q) => q.questionId.startsWith('science-')));
    assert.deepEqual(picked.map((q) => q.round), Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('shuffles choices and follows the right answer', () => {
    const picked = selectQuestions(bank('science', 40), { subject: 'science', gradeMin: 3, gradeMax: 3, count: 40 }, createRng(7));
    for (const q of picked) assert.match(q.choices[q.correctChoice], /^right /);
    const positions = new Set(picked.map((q) => q.correctChoice));
    assert.ok(positions.size >= 3, 'the right answer lands in different positions');
  });

  it('is reproducible from its seed', () => {
    const candidates = bank('language', 50);
    const a = selectQuestions(candidates, { subject: 'language', gradeMin: 2, gradeMax: 4, count: 5 }, createRng('battle-seed'));
    const b = selectQuestions(candidates, { subject: 'language', gradeMin: 2, gradeMax: 4, count: 5 }, createRng('battle-seed'));
    const c = selectQuestions(candidates, { subject: 'language', gradeMin: 2, gradeMax: 4, count: 5 }, createRng('other-seed'));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('tops math up with generated arithmetic at the players\' grades when the bank runs short', () => {
    const picked = selectQuestions(bank('math', 2), { subject: 'math', gradeMin: 2, gradeMax: 2, count: 6 }, createRng(1));
    assert.equal(picked.length, 6);
    assert.equal(picked.filter((q) => q.questionId.startsWith('gen-math-g2-')).length, 4);
  });

  it('refuses when a non-math subject has too few questions', () => {
    assert.throws(() => selectQuestions(bank('science', 2), { subject: 'science', gradeMin: 1, gradeMax: 8, count: 5 }, createRng(1)), /only 2 questions/);
  });

  it('shuffleChoices keeps every choice', () => {
    const q = bank('science', 1)[0];
    const played = shuffleChoices(q, 1, createRng('x'));
    assert.deepEqual([...played.choices].sort(), [...q.choices].sort());
  });

  it('gradeBand spans the players and fills unknown grades', () => {
    assert.deepEqual(gradeBand([3, 5, null]), { gradeMin: 3, gradeMax: 5 });
    assert.deepEqual(gradeBand([null, undefined]), { gradeMin: 4, gradeMax: 4 });
    assert.deepEqual(gradeBand([]), { gradeMin: 4, gradeMax: 4 });
  });
});

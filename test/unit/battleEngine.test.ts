import assert from 'node:assert/strict';
import { BattleEngine, replayScores, type BattleSettings } from '../../src/domain/battleEngine';
import type { PlayedQuestion } from '../../src/domain/battleRecord';
import { RuleError } from '../../src/errors';

const QUESTIONS: PlayedQuestion[] = [1, 2, 3].map((round) => ({
  round, questionId: `q${round}`, prompt: `Question ${round}?`, choices: ['a', 'b', 'c', 'd'], correctChoice: round % 4,
}));

function engine(overrides: Partial<BattleSettings> = {}): BattleEngine {
  return new BattleEngine({ battleId: 'b1', seed: 's1', mode: 'quick', subject: 'math', rated: true, rounds: 3, questionMs: 10_000, minPlayers: 2, maxPlayers: 8, ...overrides });
}

function rule(code: string) {
  return (e: unknown) => e instanceof RuleError && e.code === code;
}

/** Two ready players, started at t=0 (no round open yet). */
function started(): BattleEngine {
  const e = engine();
  e.addPlayer('u1', 'ana');
  e.addPlayer('u2', 'ben');
  e.setReady('u1', true);
  e.setReady('u2', true);
  e.start(QUESTIONS, 0);
  return e;
}

/** Two ready players, started at t=0, round 1 open at t=1000 (deadline 11000). */
function playing(): BattleEngine {
  const e = started();
  e.beginRound(1000);
  return e;
}

describe('BattleEngine', () => {
  it('starts only with two or more players, all ready', () => {
    const e = engine();
    e.addPlayer('u1', 'ana');
    e.setReady('u1', true);
    assert.equal(e.canStart(), false);
    e.addPlayer('u2', 'ben');
    assert.equal(e.canStart(), false);
    e.setReady('u2', true);
    assert.equal(e.canStart(), true);
    e.setReady('u1', false);
    assert.equal(e.canStart(), false);
    assert.throws(() => e.start(QUESTIONS, 0), rule('CANNOT_START'));
  });

  it('seats at most maxPlayers, each user once, and nobody after the start', () => {
    const e = engine({ maxPlayers: 2 });
    e.addPlayer('u1', 'ana');
    assert.throws(() => e.addPlayer('u1', 'ana'), rule('ALREADY_IN_BATTLE'));
    e.addPlayer('u2', 'ben');
    assert.throws(() => e.addPlayer('u3', 'cy'), rule('BATTLE_FULL'));
    const s = playing();
    assert.throws(() => s.addPlayer('u9', 'late'), rule('ALREADY_STARTED'));
  });

  it('shows the question without its answer and stamps the deadline', () => {
    const q = started().beginRound(5000);
    assert.deepEqual(q, { round: 1, questionId: 'q1', prompt: 'Question 1?', choices: ['a', 'b', 'c', 'd'], deadline: 15_000, durationMs: 10_000 });
    assert.ok(!('correctChoice' in q));
  });

  it('refuses late, double, wrong-round and out-of-range answers, and answers from strangers', () => {
    const e = playing();
    assert.throws(() => e.answer('u1', 1, 1, 11_001), rule('LATE_ANSWER'));
    assert.throws(() => e.answer('u1', 2, 1, 2000), rule('WRONG_ROUND'));
    assert.throws(() => e.answer('u1', 1, 4, 2000), rule('INVALID_CHOICE'));
    assert.throws(() => e.answer('zz', 1, 1, 2000), rule('NOT_A_PLAYER'));
    e.answer('u1', 1, 1, 2000);
    assert.throws(() => e.answer('u1', 1, 2, 2500), rule('ALREADY_ANSWERED'));
    e.answer('u2', 1, 0, 11_000); // exactly at the deadline is in time
  });

  it('returns the same refusals from tryAnswer without throwing, and a refused answer records nothing', () => {
    const e = playing();
    assert.equal(e.tryAnswer('u1', 1, 1, 11_001)?.code, 'LATE_ANSWER');
    assert.equal(e.tryAnswer('u1', 0, 1, 2000)?.code, 'LATE_ANSWER');
    assert.equal(e.tryAnswer('u1', 2, 1, 2000)?.code, 'WRONG_ROUND');
    assert.equal(e.tryAnswer('u1', 1, -1, 2000)?.code, 'INVALID_CHOICE');
    assert.equal(e.tryAnswer('zz', 1, 1, 2000)?.code, 'NOT_A_PLAYER');
    assert.equal(e.players.get('u1')!.answered, false);
    assert.equal(e.tryAnswer('u1', 1, 1, 2000), undefined);
    assert.equal(e.players.get('u1')!.answered, true);
    assert.deepEqual(e.tryAnswer('u1', 1, 2, 2500), { code: 'ALREADY_ANSWERED', message: 'You have already answered this question.' });
    e.tryAnswer('u2', 1, 0, 3000);
    const round = e.closeRound();
    assert.equal(round.results.find((r) => r.userId === 'u1')!.correct, true, 'the first answer counts, not the refused second');
  });

  it('moves no score before the round closes, then scores by speed and streak', () => {
    const e = playing();
    e.answer('u1', 1, 1, 2000); // correct, 1000 ms of 10000: full points
    e.answer('u2', 1, 0, 3000); // wrong
    assert.equal(e.players.get('u1')!.score, 0);
    assert.equal(e.allAnswered(), true);
    const r1 = e.closeRound();
    assert.deepEqual(r1, { round: 1, correctChoice: 1, results: [
      { userId: 'u1', correct: true, points: 1000, score: 1000 },
      { userId: 'u2', correct: false, points: 0, score: 0 },
    ] });
    e.beginRound(20_000);
    e.answer('u1', 2, 2, 26_000); // correct at 60%: 750 + streak bonus 100
    const r2 = e.closeRound();
    assert.deepEqual(r2.results[0], { userId: 'u1', correct: true, points: 850, score: 1850 });
    assert.equal(r2.results[1].points, 0); // no answer scores nothing
  });

  it('does not wait for a disconnected player to close the round', () => {
    const e = playing();
    e.answer('u1', 1, 1, 2000);
    assert.equal(e.allAnswered(), false);
    e.setConnected('u2', false);
    assert.equal(e.allAnswered(), true);
  });

  it('lets a player who drops keep score and streak', () => {
    const e = playing();
    e.answer('u1', 1, 1, 2000);
    e.answer('u2', 1, 1, 2000);
    e.closeRound();
    e.setConnected('u2', false);
    e.beginRound(20_000);
    e.setConnected('u2', true);
    e.answer('u2', 2, 2, 21_000);
    e.answer('u1', 2, 2, 21_000);
    const r = e.closeRound();
    assert.deepEqual(r.results.map((x) => x.score), [2100, 2100]);
  });

  it('ends early with the last player standing as the winner, even when behind', () => {
    const e = playing();
    e.answer('u1', 1, 0, 2000); // wrong
    e.answer('u2', 1, 1, 2000); // right
    e.closeRound();
    e.leave('u2'); // did not come back
    assert.equal(e.shouldEndEarly(), true);
    const record = e.finish(30_000);
    assert.deepEqual(record.participants.map((p) => [p.userId, p.placement, p.score, p.forfeited]), [['u1', 1, 0, false], ['u2', 2, 1000, true]]);
    assert.equal(record.rounds, 1);
    assert.equal(record.questions.length, 1);
  });

  it('removes a player who leaves before the start', () => {
    const e = engine();
    e.addPlayer('u1', 'ana');
    e.leave('u1');
    assert.equal(e.players.size, 0);
  });

  it('shares placements on a tie', () => {
    const e = playing();
    e.answer('u1', 1, 1, 2000);
    e.answer('u2', 1, 1, 2000);
    e.closeRound();
    const record = e.finish(5000);
    assert.deepEqual(record.participants.map((p) => p.placement), [1, 1]);
  });

  it('produces a record whose replay reproduces every score', () => {
    const e = playing();
    const plays: Array<[string, number, number]> = [['u1', 1, 1500], ['u2', 0, 9000]];
    for (let round = 1; round <= 3; round++) {
      if (round > 1) e.beginRound(round * 20_000);
      const start = round === 1 ? 1000 : round * 20_000;
      for (const [user, offset, after] of plays) e.answer(user, round, (round + offset) % 4, start + after);
      e.closeRound();
    }
    const record = e.finish(100_000);
    const replay = replayScores({ questions: record.questions, answers: record.answers, questionMs: record.questionMs, userIds: record.participants.map((p) => p.userId) });
    for (const p of record.participants) assert.equal(replay.get(p.userId), p.score);
    assert.ok(record.participants[0].score > 0 && record.answers.length === 6);
    // A tampered log no longer replays to the stored scores.
    const tampered = record.answers.map((a) => (a.userId === 'u1' && a.round === 2 ? { ...a, elapsedMs: 9999 } : a));
    assert.notEqual(replayScores({ questions: record.questions, answers: tampered, questionMs: record.questionMs, userIds: ['u1', 'u2'] }).get('u1'), record.participants[0].score);
  });
});

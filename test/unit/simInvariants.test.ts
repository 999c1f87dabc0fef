import assert from 'node:assert/strict';
import {
  answerKeyPaths, checkNoEarlyAnswerKey, checkNoServerErrors, checkProtocol, checkRewardsOnce, checkScoreReplay, checkStoredResults,
  scanServerOutput, type BattleView, type ServerHealthInput,
} from '../../scripts/sim/invariants';
import type {
  AccountReadback, ConnectionLog, HttpAnswer, MalformedRecord, RoundResultMsg, SeenBattle, Standing, StoredLedger, StoredReplay,
} from '../../scripts/sim/types';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const BATTLE = '33333333-3333-4333-8333-333333333333';

/** A consistent two-round battle between A and B as everyone saw it; each test breaks one thing. */
function world() {
  const rounds: RoundResultMsg[] = [
    { round: 1, correctChoice: 2, results: [{ userId: A, correct: true, points: 1000, score: 1000 }, { userId: B, correct: false, points: 0, score: 0 }] },
    { round: 2, correctChoice: 0, results: [{ userId: A, correct: true, points: 1100, score: 2100 }, { userId: B, correct: true, points: 900, score: 900 }] },
  ];
  const standings: Standing[] = [
    { userId: A, username: 'ann', score: 2100, placement: 1, ratingBefore: 1500, ratingAfter: 1580, xp: 90, coins: 50 },
    { userId: B, username: 'ben', score: 900, placement: 2, ratingBefore: 1500, ratingAfter: 1420, xp: 30, coins: 20 },
  ];
  const result = { battleId: BATTLE, winnerUserId: A, standings };
  const seen: SeenBattle[] = [
    { bot: 'bot000', userId: A, roomId: 'room1', practice: false, result, roundResults: rounds, t: 9000 },
    { bot: 'bot001', userId: B, roomId: 'room1', practice: false, result: structuredClone(result), roundResults: structuredClone(rounds), t: 9001 },
  ];
  const stored = new Map<string, HttpAnswer<BattleView>>([[BATTLE, { status: 200, body: { id: BATTLE, mode: 'quick', rounds: 2, participants: structuredClone(standings) } }]]);
  const accounts: AccountReadback[] = [
    {
      bot: 'bot000', userId: A, seenBattleIds: [BATTLE],
      me: { status: 200, body: { id: A, username: 'ann', xp: 90, coins: 50, stats: { battles: 1, wins: 1 } } },
      history: [{ battleId: BATTLE, endedAt: '2026-01-01T00:00:00.000Z', placement: 1, score: 2100, ratingDelta: 80, xp: 90, coins: 50 }],
    },
  ];
  const log: ConnectionLog = {
    bot: 'bot000', userId: A, roomName: 'battle', roomId: 'room1', messages: [
      { t: 100, type: 'question', payload: { round: 1, questionId: 'q1', prompt: '2+2?', choices: ['3', '5', '4'], deadline: 1, durationMs: 3000 } },
      { t: 101, type: '@state', payload: { phase: 'question', players: { s1: { userId: A, answered: false } } } },
      { t: 150, type: 'answer_ack', payload: { round: 1 } },
      { t: 160, type: 'error', payload: { code: 'INVALID_MESSAGE', type: 'answer', message: 'bad' } },
      { t: 300, type: 'round_result', payload: rounds[0] },
      { t: 400, type: 'question', payload: { round: 2, questionId: 'q2', prompt: 'Capital of France?', choices: ['Paris', 'Rome'], deadline: 2, durationMs: 3000 } },
      { t: 600, type: 'round_result', payload: rounds[1] },
      { t: 700, type: 'battle_result', payload: result },
      { t: 800, type: '@closed', payload: { code: 4000, byClient: true } },
    ],
  };
  const malformed: MalformedRecord[] = [
    { bot: 'bot000', roomName: 'battle', roomId: 'room1', kind: 'answer-string-choice', type: 'answer', expectedCode: 'INVALID_MESSAGE', sentAt: 155, answer: { code: 'INVALID_MESSAGE', type: 'answer', t: 160 } },
  ];
  const health: ServerHealthInput = {
    logs: [log], http: [{ method: 'GET', route: '/me', status: 200, ms: 3, t: 1 }], joinFailures: [], stalled: [], serverProblems: [],
    serverOutput: '{"level":30,"msg":"listening"}\n{"level":40,"msg":"storing the battle failed; retrying"}\n',
  };
  return { rounds, standings, seen, stored, accounts, log, malformed, health };
}

describe('simulation invariants (scripts/sim/invariants.ts)', () => {
  it('all hold on a consistent run', () => {
    const w = world();
    assert.equal(checkStoredResults(w.seen, w.stored).ok, true);
    assert.equal(checkRewardsOnce(w.accounts).ok, true);
    assert.equal(checkScoreReplay(w.seen, w.stored).ok, true);
    assert.equal(checkNoEarlyAnswerKey([w.log]).ok, true);
    const health = checkNoServerErrors(w.health);
    assert.equal(health.ok, true, health.breaks.join('\n'));
    assert.match(health.notes.join(' '), /1 warning line/);
    assert.equal(checkProtocol({ malformed: w.malformed, unexplained: [], reconnects: [], logs: [w.log], seen: w.seen, joinFailures: [] }).ok, true);
  });

  describe('1. stored results', () => {
    it('breaks when a finished battle is not stored (404)', () => {
      const w = world();
      w.stored.set(BATTLE, { status: 404, body: undefined, error: 'BATTLE_NOT_FOUND: no such battle' });
      const r = checkStoredResults(w.seen, w.stored);
      assert.equal(r.ok, false);
      assert.match(r.breaks[0], /answered 404/);
    });

    it('breaks when the stored scores differ from battle_result', () => {
      const w = world();
      w.stored.get(BATTLE)!.body!.participants[1].score = 901;
      const r = checkStoredResults(w.seen, w.stored);
      assert.equal(r.ok, false);
      assert.match(r.breaks[0], /score 900 vs 901/);
    });

    it('breaks when two players were sent different standings', () => {
      const w = world();
      w.seen[1].result.standings[0].xp = 95;
      assert.match(checkStoredResults(w.seen, w.stored).breaks[0], /different battle_result standings/);
    });

    it('breaks when a battle was never read back', () => {
      const w = world();
      assert.match(checkStoredResults(w.seen, new Map()).breaks[0], /not read back/);
    });
  });

  describe('2. rewards once', () => {
    it('breaks when /me has more XP than the history adds up to (a reward paid twice)', () => {
      const w = world();
      w.accounts[0].me.body!.xp = 180;
      const r = checkRewardsOnce(w.accounts);
      assert.equal(r.ok, false);
      assert.match(r.breaks[0], /xp 180 but its 1 battles add up to 90 XP/);
    });

    it('breaks on coins, on the battle count, on a battle listed twice and on a seen battle missing', () => {
      const w = world();
      w.accounts[0].me.body!.coins = 51;
      w.accounts[0].me.body!.stats.battles = 2;
      w.accounts[0].history!.push({ ...w.accounts[0].history![0], xp: 0, coins: 0 });
      w.accounts[0].seenBattleIds.push('44444444-4444-4444-8444-444444444444');
      const text = checkRewardsOnce(w.accounts).breaks.join('\n');
      assert.match(text, /coins 51/);
      assert.match(text, /listed 2 times/);
      assert.match(text, /saw battle 4444.* not in \/me\/battles/);
    });

    it('breaks when the reward ledger disagrees with the account (database check)', () => {
      const w = world();
      const ledger: StoredLedger = { userId: A, username: 'ann', userXp: 90, userCoins: 50, userBattles: 1, ledgerXp: 180, ledgerCoins: 50, participations: 1, duplicateLedgerLines: 0 };
      const r = checkRewardsOnce(w.accounts, [ledger]);
      assert.equal(r.ok, false);
      assert.match(r.breaks[0], /reward_ledger XP sums to 180/);
    });

    it('breaks when /me cannot be read', () => {
      const w = world();
      w.accounts[0].me = { status: 500, body: undefined, error: 'INTERNAL' };
      assert.match(checkRewardsOnce(w.accounts).breaks[0], /answered 500/);
    });
  });

  describe('3. scores replay', () => {
    it('breaks when the round results do not add up to the final score', () => {
      const w = world();
      for (const s of w.seen) s.result.standings[1].score = 1000;
      const r = checkScoreReplay(w.seen, w.stored);
      assert.equal(r.ok, false);
      assert.match(r.breaks.join('\n'), /ben scored 1000 in battle_result but round results add up to 900/);
    });

    it('breaks when a running score contradicts the points', () => {
      const w = world();
      w.seen[0].roundResults[1].results[1].score = 950;
      w.seen[1].roundResults[1].results[1].score = 950;
      assert.match(checkScoreReplay(w.seen, w.stored).breaks.join('\n'), /has 950 but the points so far add up to 900/);
    });

    it('breaks when two bots were sent different round results', () => {
      const w = world();
      w.seen[1].roundResults[0].results[0].points = 999;
      assert.match(checkScoreReplay(w.seen, w.stored).breaks.join('\n'), /different round_result for round 1/);
    });

    it('only notes a battle whose rounds nobody saw in full', () => {
      const w = world();
      for (const s of w.seen) s.roundResults = s.roundResults.slice(1);
      const r = checkScoreReplay(w.seen, w.stored);
      assert.equal(r.ok, true);
      assert.match(r.notes.join(' '), /round\(s\) 1/);
    });

    it('breaks when replaying the stored answer log gives another score (database check)', () => {
      const w = world();
      const replay: StoredReplay = { battleId: BATTLE, stored: { [A]: 2100, [B]: 900 }, replayed: { [A]: 2100, [B]: 600 } };
      const r = checkScoreReplay(w.seen, w.stored, [replay]);
      assert.equal(r.ok, false);
      assert.match(r.breaks[0], /replayScores over the answer log gives 600/);
    });
  });

  describe('4. no early answer key', () => {
    it('breaks when a question carries the correct choice', () => {
      const w = world();
      (w.log.messages[0].payload as Record<string, unknown>).correctChoice = 2;
      const r = checkNoEarlyAnswerKey([w.log]);
      assert.equal(r.ok, false);
      assert.match(r.breaks[0], /"question".*correctChoice/);
    });

    it('breaks when the synced state or an ack carries an answer key, however deep', () => {
      const w = world();
      (w.log.messages[1].payload as { players: { s1: Record<string, unknown> } }).players.s1.isCorrect = true;
      (w.log.messages[2].payload as Record<string, unknown>).answer = 2;
      const r = checkNoEarlyAnswerKey([w.log]);
      assert.equal(r.breaks.length, 2);
      assert.match(r.breaks[0], /players\.s1\.isCorrect/);
    });

    it('breaks when a round is revealed before its question arrives', () => {
      const w = world();
      const [q2] = w.log.messages.splice(5, 1);
      w.log.messages.splice(7, 0, { ...q2, t: 650 });
      assert.match(checkNoEarlyAnswerKey([w.log]).breaks[0], /question for round 2 arrived after its round_result/);
    });

    it('finds answer-key fields case-insensitively', () => {
      assert.deepEqual(answerKeyPaths({ a: [{ CorrectChoice: 1 }], b: { solution: 'x' } }), ['a.0.CorrectChoice', 'b.solution']);
    });
  });

  describe('5. no server error', () => {
    it('breaks on an INTERNAL error message in a room', () => {
      const w = world();
      w.log.messages.push({ t: 900, type: 'error', payload: { code: 'INTERNAL', type: 'answer', message: 'The server could not handle that message.' } });
      assert.match(checkNoServerErrors(w.health).breaks[0], /error INTERNAL for "answer"/);
    });

    it('breaks on RESULT_NOT_SAVED, on HTTP 5xx, on a 5xx join and on a stalled battle', () => {
      const w = world();
      w.log.messages.push({ t: 900, type: 'error', payload: { code: 'RESULT_NOT_SAVED', type: 'battle_result', message: 'x' } });
      const health: ServerHealthInput = {
        ...w.health,
        http: [{ method: 'GET', route: '/battles/:id', status: 503, ms: 1, t: 1 }],
        joinFailures: [{ bot: 'bot003', what: 'battle', code: 500, message: 'internal error', t: 5 }],
        stalled: [{ bot: 'bot004', roomId: 'r9', lastMessageAt: 1000, waitedMs: 40_000, phase: 'question' }],
      };
      const text = checkNoServerErrors(health).breaks.join('\n');
      assert.match(text, /RESULT_NOT_SAVED/);
      assert.match(text, /answered 503/);
      assert.match(text, /refused with 500/);
      assert.match(text, /stopped in phase "question"/);
    });

    it('breaks on a log line at level 50 or 60 and on an uncaught crash, not on warnings', () => {
      const w = world();
      w.health.serverOutput += '{"level":50,"msg":"battle result could not be stored","err":{"type":"Error","message":"deadlock"}}\n'
        + 'TypeError: Cannot read properties of undefined\n';
      const r = checkNoServerErrors(w.health);
      assert.equal(r.breaks.length, 2);
      assert.match(r.breaks[0], /\[level 50\] battle result could not be stored \| Error: deadlock/);
      const scan = scanServerOutput('{"level":60,"msg":"fatal"}\n{"level":40,"msg":"warn"}\nplain text\n');
      assert.deepEqual([scan.errors.length, scan.warnings.length, scan.other.length], [1, 1, 1]);
    });

    it('breaks when the server process died during the run', () => {
      const w = world();
      w.health.serverProblems = ['exited with code 1 at 12 s, during the run'];
      assert.match(checkNoServerErrors(w.health).breaks[0], /exited with code 1/);
    });
  });

  describe('6. protocol under misbehaviour', () => {
    it('breaks when a malformed message got no error, or the wrong code or type', () => {
      const w = world();
      const unanswered = { ...w.malformed[0], answer: undefined };
      const wrong = { ...w.malformed[0], answer: { code: 'INTERNAL', type: 'ready', t: 160 } };
      const text = checkProtocol({ malformed: [unanswered, wrong], unexplained: [], reconnects: [], logs: [w.log], seen: w.seen, joinFailures: [] }).breaks.join('\n');
      assert.match(text, /no "error" came back/);
      assert.match(text, /error type "ready", expected "answer"/);
      assert.match(text, /error code INTERNAL, expected INVALID_MESSAGE/);
    });

    it('breaks when the room did not carry on after the error', () => {
      const w = world();
      w.log.messages = w.log.messages.slice(0, 4).concat([{ t: 170, type: '@closed', payload: { code: 4002, byClient: false } }]);
      assert.match(checkProtocol({ malformed: w.malformed, unexplained: [], reconnects: [], logs: [w.log], seen: [], joinFailures: [] }).breaks[0], /did not carry on/);
    });

    it('breaks on an unexpected refusal and on a failed reconnect while the battle was still on; excuses the rest', () => {
      const w = world();
      const r = checkProtocol({
        malformed: [], logs: [w.log], seen: w.seen, joinFailures: [],
        unexplained: [
          { bot: 'bot000', roomName: 'battle', roomId: 'room1', code: 'ALREADY_ANSWERED', type: 'answer', message: 'x', t: 200, excused: false },
          { bot: 'bot000', roomName: 'battle', roomId: 'room1', code: 'LATE_ANSWER', type: 'answer', message: 'x', t: 210, excused: true },
        ],
        reconnects: [
          { bot: 'bot001', roomId: 'room1', droppedAt: 100, attemptedAt: 1500, ok: false, error: 'room not found' },
          { bot: 'bot001', roomId: 'room1', droppedAt: 9000, attemptedAt: 10_000, ok: false, error: 'room not found' },
        ],
      });
      assert.equal(r.breaks.length, 2);
      assert.match(r.breaks[0], /unexpected error ALREADY_ANSWERED/);
      assert.match(r.breaks[1], /reconnect to battle room1 1400 ms after the drop failed/);
      assert.match(r.notes.join(' '), /after its battle had ended/);
    });

    it('breaks when a seat reservation from match_found is refused, not on other join refusals', () => {
      const w = world();
      const r = checkProtocol({
        malformed: [], unexplained: [], reconnects: [], logs: [w.log], seen: w.seen,
        joinFailures: [
          { bot: 'bot005', what: 'battle', code: 409, message: 'This battle has already started.', t: 2500 },
          { bot: 'bot006', what: 'matchmaking', code: 401, message: 'token expired', t: 2600 },
        ],
      });
      assert.equal(r.breaks.length, 1);
      assert.match(r.breaks[0], /bot005: the seat reservation from match_found was refused at 2500 ms: 409 This battle has already started\./);
    });
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { BattleRecord, ParticipantResult } from '../../src/domain/battleRecord';
import { decayDeviation, initialRating, rateBattle } from '../../src/domain/glicko2';
import { checkBattleRecord, settleBattle, sortStandings, type PlayerProfile } from '../../src/domain/settlement';

const ids = Array.from({ length: 4 }, () => randomUUID());

function record(participants: Array<Partial<ParticipantResult> & { userId: string; placement: number }>, over: Partial<BattleRecord> = {}): BattleRecord {
  return {
    battleId: randomUUID(), mode: 'quick', subject: 'math', rated: true, seed: 's', rounds: 3, questionMs: 1000,
    startedAt: new Date(1000), endedAt: new Date(2000), questions: [], answers: [],
    participants: participants.map((p) => ({ username: p.userId.slice(0, 8), score: 0, correctAnswers: 0, forfeited: false, isBot: false, ...p })),
    ...over,
  };
}
const fresh = (...users: string[]) => new Map<string, PlayerProfile>(users.map((u) => [u, { rating: initialRating(), xp: 0 }]));

describe('settlement', () => {
  it('names the sole first place the winner, and nobody on a tie', () => {
    const won = settleBattle(record([{ userId: ids[0], placement: 1 }, { userId: ids[1], placement: 2 }]), fresh(ids[0], ids[1]));
    assert.equal(won.winnerUserId, ids[0]);
    assert.deepEqual(won.players.map((p) => p.won), [true, false]);
    const tie = settleBattle(record([{ userId: ids[0], placement: 1 }, { userId: ids[1], placement: 1 }]), fresh(ids[0], ids[1]));
    assert.equal(tie.winnerUserId, '');
    assert.ok(tie.players.every((p) => !p.won && !p.rewards.items.some((i) => i.kind === 'win')));
  });

  it('rates humans with Glicko-2 by placement when rated, and not at all otherwise', () => {
    const r = record([{ userId: ids[0], placement: 2 }, { userId: ids[1], placement: 1 }, { userId: ids[2], placement: 3 }]);
    const profiles = fresh(ids[0], ids[1], ids[2]);
    profiles.set(ids[2], { rating: { rating: 1700, deviation: 80, volatility: 0.06 }, xp: 0 });
    const expected = rateBattle(r.participants.map((p) => ({ id: p.userId, placement: p.placement, rating: profiles.get(p.userId)!.rating })));
    const s = settleBattle(r, profiles);
    assert.equal(s.ratingsApplied, true);
    for (const p of s.players) assert.deepEqual(p.ratingAfter, expected.get(p.participant.userId));
    const practice = settleBattle({ ...r, rated: false }, profiles);
    assert.equal(practice.ratingsApplied, false);
    for (const p of practice.players) assert.deepEqual(p.ratingAfter, p.ratingBefore);
  });

  it('does not rate a lone human among bots; bots get nothing', () => {
    const s = settleBattle(record([{ userId: ids[0], placement: 2 }, { userId: 'bot-1', placement: 1, isBot: true }]), fresh(ids[0]));
    assert.equal(s.ratingsApplied, false);
    assert.equal(s.winnerUserId, 'bot-1');
    assert.equal(s.players.length, 1);
    assert.deepEqual(s.bots.map((b) => b.userId), ['bot-1']);
    assert.equal(s.players[0].won, false);
  });

  it('grows each deviation for the idle days before the battle\'s end, then rates from it; a practice battle decays nothing', () => {
    const r = record([{ userId: ids[0], placement: 1 }, { userId: ids[1], placement: 2 }], { endedAt: new Date(Date.UTC(2026, 2, 31, 12)) });
    const settled = { rating: 1600, deviation: 50, volatility: 0.06 };
    const profiles = new Map<string, PlayerProfile>([
      [ids[0], { rating: settled, xp: 0, ratedAt: new Date(Date.UTC(2026, 2, 1, 6)) }], // 30 days and 6 hours before
      [ids[1], { rating: settled, xp: 0, ratedAt: null }],
    ]);
    const s = settleBattle(r, profiles);
    const decayed = decayDeviation(settled, 30);
    assert.deepEqual(s.players[0].ratingBefore, decayed);
    assert.deepEqual(s.players[1].ratingBefore, settled, 'never rated: no decay');
    const expected = rateBattle([{ id: ids[0], placement: 1, rating: decayed }, { id: ids[1], placement: 2, rating: settled }]);
    assert.deepEqual(s.players[0].ratingAfter, expected.get(ids[0]));
    const practice = settleBattle({ ...r, rated: false }, profiles);
    assert.deepEqual(practice.players[0].ratingBefore, settled);
    assert.deepEqual(practice.players[0].ratingAfter, settled);
  });

  it('rates the subject of a subject battle from the subject ratings (defaults when missing), and no subject in a mixed one', () => {
    const r = record([{ userId: ids[0], placement: 2 }, { userId: ids[1], placement: 1 }], { subject: 'science' });
    const science = { rating: 1450, deviation: 90, volatility: 0.06 };
    const profiles = new Map<string, PlayerProfile>([
      [ids[0], { rating: { rating: 1700, deviation: 60, volatility: 0.06 }, xp: 0, subjectRating: { rating: science, ratedAt: r.endedAt } }],
      [ids[1], { rating: initialRating(), xp: 0, subjectRating: null }],
    ]);
    const s = settleBattle(r, profiles);
    assert.equal(s.ratedSubject, 'science');
    const expected = rateBattle([{ id: ids[0], placement: 2, rating: science }, { id: ids[1], placement: 1, rating: initialRating() }]);
    assert.deepEqual(s.players.map((p) => p.subjectBefore), [science, initialRating()]);
    assert.deepEqual(s.players.map((p) => p.subjectAfter), [expected.get(ids[0]), expected.get(ids[1])]);
    assert.notDeepEqual(s.players[0].subjectAfter, s.players[0].ratingAfter, 'overall and subject move independently');
    const mixed = settleBattle({ ...r, subject: 'mixed' }, profiles);
    assert.equal(mixed.ratedSubject, null);
    assert.ok(mixed.players.every((p) => p.subjectBefore === null && p.subjectAfter === null));
    assert.equal(settleBattle({ ...r, rated: false }, profiles).ratedSubject, null);
  });

  it('counts every level gained from the XP before the battle', () => {
    const profiles = new Map<string, PlayerProfile>([[ids[0], { rating: initialRating(), xp: 90 }], [ids[1], { rating: initialRating(), xp: 0 }]]);
    const s = settleBattle(record([{ userId: ids[0], placement: 1, correctAnswers: 3 }, { userId: ids[1], placement: 2 }]), profiles);
    // 90 + 125 = 215 XP: level 2 (from 100), not yet 3 (380).
    assert.equal(s.players[0].xpAfter, 215);
    assert.equal(s.players[0].levelAfter, 2);
    assert.deepEqual(s.players[0].levelsGained, [2]);
    assert.deepEqual(s.players[1].levelsGained, []);
  });

  it('refuses a record persistence could not store, naming each problem', () => {
    assert.throws(() => checkBattleRecord(record([{ userId: 'nope', placement: 1 }], { battleId: 'x' })), /battleId must be a UUID.*human participant id must be a UUID/);
    assert.throws(() => checkBattleRecord(record([{ userId: ids[0], placement: 1 }, { userId: ids[0], placement: 2 }])), /appears twice/);
    assert.throws(() => checkBattleRecord(record([{ userId: ids[0], placement: 3 }])), /placement .* must be in 1\.\.1/);
    assert.throws(() => checkBattleRecord(record([{ userId: ids[0], placement: 1, correctAnswers: 4 }])), /correctAnswers/);
    assert.throws(() => checkBattleRecord(record([{ userId: ids[0], placement: 1 }], { startedAt: new Date(3000) })), /endedAt is before startedAt/);
    assert.throws(() => checkBattleRecord(record([{ userId: ids[0], placement: 1 }], {
      answers: [{ round: 1, userId: ids[1], choice: 0, elapsedMs: 1, correct: false, points: 0 }],
    })), /not a participant/);
    assert.doesNotThrow(() => checkBattleRecord(record([{ userId: ids[0], placement: 1 }], { rounds: 0 })));
  });

  it('orders standings by placement, then id', () => {
    const s = (userId: string, placement: number) => ({ userId, username: userId, score: 0, placement, ratingBefore: 0, ratingAfter: 0, xp: 0, coins: 0 });
    assert.deepEqual(sortStandings([s('c', 2), s('b', 1), s('a', 1)]).map((x) => x.userId), ['a', 'b', 'c']);
  });
});

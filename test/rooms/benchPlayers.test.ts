import assert from 'node:assert/strict';
import { BattleGroup, Play, Tally } from '../../bench/lib/players';
import { testArena, type TestArena } from '../helpers/arena';
import { registerUser } from '../helpers/factories';
import { eventually } from '../helpers/sdk';

type Sdk = typeof import('@colyseus/sdk');

/**
 * A second copy of the SDK that speaks through the `ws` package, as the load benchmark's does
 * (bench/lib/sdkTransport.ts): the SDK picks its WebSocket when it loads, and in this process it loaded
 * with Node's own. The copy is loaded with the global hidden; the process's copy is put back after.
 */
function sdkOnWs(): Sdk {
  const ours = (k: string) => k.includes('/@colyseus/sdk/');
  const saved = Object.fromEntries(Object.entries(require.cache).filter(([k]) => ours(k)));
  const global = Object.getOwnPropertyDescriptor(globalThis, 'WebSocket');
  for (const k of Object.keys(saved)) delete require.cache[k];
  Object.defineProperty(globalThis, 'WebSocket', { value: undefined, configurable: true, writable: true });
  try {
    return require('@colyseus/sdk') as Sdk;
  } finally {
    if (global) Object.defineProperty(globalThis, 'WebSocket', global);
    for (const k of Object.keys(require.cache)) if (ours(k)) delete require.cache[k];
    Object.assign(require.cache, saved);
  }
}

/** Two load players of the benchmark in one battle, re-sending answers (refused) 15 times a second, to the end. */
async function playBattle(t: TestArena, sdk: Sdk, lean: boolean) {
  const play = new Play();
  play.lean = lean;
  play.thinkMs = 300;
  const tally = new Tally();
  const clients = [];
  for (let i = 0; i < 2; i++) {
    const c = new sdk.Client(t.wsUrl);
    c.auth.token = (await registerUser(t)).token;
    clients.push(c);
  }
  const group = new BattleGroup(clients, play, tally);
  await group.open({ subject: 'math' });
  const seats = group.seats;
  play.spam = true;
  // A battle of 3 quick rounds lasts about a second: enough re-sends to count, under the 20/s message limit.
  play.spamPerSecond = 15;
  play.spamBurst = 2;
  const ticker = setInterval(() => group.tick(performance.now()), 5);
  try {
    group.ready();
    assert.equal(await group.finished(15_000), true, 'the battle ran to its result');
  } finally {
    clearInterval(ticker);
  }
  // Re-sends that left before the result still get their refusals.
  await eventually(() => seats.every((s) => s.inflight.length === 0), 3000, 'a reply to every answer sent');
  const spamFramesBuilt = seats.filter((s) => s.spamFrames !== undefined).length;
  await group.close();
  return { play, tally, spamFramesBuilt };
}

describe('load benchmark players (bench/lib/players.ts)', function () {
  this.timeout(40_000);
  let t: TestArena;
  let sdk: Sdk;
  before(() => { sdk = sdkOnWs(); });
  beforeEach(async () => { t = await testArena(); });

  for (const lean of [true, false]) {
    it(`${lean ? 'lean (the default): re-sent answers leave as pre-built frames and replies are read without the SDK' : 'sdk: every message through the SDK'}; every answer gets its one reply, counted`, async () => {
      const { play, tally, spamFramesBuilt } = await playBattle(t, sdk, lean);
      const replies = play.replies.ms.length;
      assert.ok(tally.spamSent >= 4, `re-sent ${tally.spamSent}`);
      assert.equal(replies, tally.answersSent + tally.spamSent, 'one reply per answer sent, re-sent or not');
      assert.equal(play.spamRtts.ms.length, tally.spamSent);
      assert.equal(play.answerRtts.ms.length, tally.answersSent, 'every answer to a question acknowledged');
      // Every re-sent answer is refused, and the refusals are tallied by their code either way.
      const refusals = [...tally.errors.values()].reduce((a, b) => a + b, 0);
      assert.equal(refusals, tally.spamSent, JSON.stringify(Object.fromEntries(tally.errors)));
      assert.ok([...tally.errors.keys()].every((code) => /^[A-Z_]+$/.test(code)), JSON.stringify(Object.fromEntries(tally.errors)));
      assert.equal(tally.leaves.total, 0);
      assert.equal(tally.battlesFinished, 2);
      assert.equal(play.leanReplies + play.sdkReplies, replies);
      if (lean) {
        assert.equal(spamFramesBuilt, 2, 'both seats re-sent pre-built frames');
        // Only the first of each distinct refusal payload (a handful: code and text per round) went through the SDK.
        assert.ok(play.sdkReplies <= 10 && play.leanReplies >= replies - 10, `lean ${play.leanReplies}, sdk ${play.sdkReplies} of ${replies}`);
      } else {
        assert.equal(spamFramesBuilt, 0);
        assert.equal(play.leanReplies, 0);
      }
    });
  }
});

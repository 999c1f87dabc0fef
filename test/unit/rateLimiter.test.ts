import assert from 'node:assert/strict';
import { LocalPresence } from '@colyseus/core';
import { RateLimiter } from '../../src/services/RateLimiter';

describe('RateLimiter bars', () => {
  it('are known at once to every listening limiter on the presence, and only well-formed announcements count', async () => {
    const presence = new LocalPresence();
    const here = new RateLimiter(presence, 60_000, () => Date.now());
    const there = new RateLimiter(presence, 60_000, () => Date.now());
    const deaf = new RateLimiter(presence, 60_000, () => Date.now());
    await here.listen();
    await there.listen();
    for (const junk of [null, 'flood:x', { key: 'flood:x' }, { key: 7, ms: 1000 }, { key: 'flood:x', ms: -5 }, { key: 'flood:x', ms: '1000' }]) {
      await presence.publish('ratelimit:bars', junk);
    }
    assert.equal(there.barsHere, 0);
    await here.bar('flood:alice', 60_000);
    assert.equal(here.barredHereFor('flood:alice') > 0, true);
    assert.equal(there.barredHereFor('flood:alice') > 0, true, 'heard from the other limiter');
    assert.equal(deaf.barredHereFor('flood:alice') > 0, false, 'a limiter that does not listen knows its own bars only');
    assert.equal(await deaf.isBarred('flood:alice'), true, 'presence has it for everybody');
    assert.equal(there.barredHereFor('flood:bob') > 0, false);
    // How much of a bar is left (what a held refusal waits at most): under what was set, never negative.
    const left = there.barredHereFor('flood:alice');
    assert.ok(left > 59_000 && left <= 60_000, `about a minute left, not ${left}`);
    assert.equal(there.barredHereFor('flood:bob'), 0);
    // A bar ends when it says; an announcement cannot shorten one already known.
    await there.bar('flood:carol', 30);
    await presence.publish('ratelimit:bars', { key: 'flood:carol', ms: 1 });
    assert.equal(here.barredHereFor('flood:carol') > 0, true);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(here.barredHereFor('flood:carol') > 0, false);
    assert.equal(there.barredHereFor('flood:carol') > 0, false);
    assert.equal(there.barredHereFor('flood:carol'), 0);
  });
});

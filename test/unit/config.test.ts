import assert from 'node:assert/strict';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

describe('config', () => {
  it('has working defaults for an empty environment', () => {
    const c = loadConfig({});
    assert.equal(c.port, 2567);
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.monitorPassword, undefined);
    assert.deepEqual(c.battle, { countdownMs: 3000, questionMs: 15000, revealMs: 3000, rounds: 5, fillWaitMs: 5000, reconnectMs: 30000, finishedLingerMs: 60000 });
    assert.equal(c.wsMaxPayloadBytes, 4096);
  });

  it('reads and converts every documented variable', () => {
    const c = loadConfig({
      PORT: '3000', DATA_DIR: '/tmp/x', DATABASE_URL: 'postgres://u@h:5432/db', REDIS_URL: 'redis://127.0.0.1:6379',
      JWT_SECRET: 's'.repeat(32), MONITOR_PASSWORD: 'password', BATTLE_COUNTDOWN_MS: '10', BATTLE_QUESTION_MS: '200',
      BATTLE_REVEAL_MS: '0', BATTLE_ROUNDS: '7', DB_POOL_SIZE: '3',
    });
    assert.equal(c.port, 3000);
    assert.equal(c.dataDir, '/tmp/x');
    assert.equal(c.databaseUrl, 'postgres://u@h:5432/db');
    assert.equal(c.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(c.dbPoolSize, 3);
    assert.deepEqual(c.battle, { countdownMs: 10, questionMs: 200, revealMs: 0, rounds: 7, fillWaitMs: 5000, reconnectMs: 30000, finishedLingerMs: 60000 });
  });

  it('treats blank optional values as unset', () => {
    const c = loadConfig({ DATABASE_URL: '', REDIS_URL: ' ', MONITOR_PASSWORD: '' });
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.redisUrl, undefined);
    assert.equal(c.monitorPassword, undefined);
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT="abc"/],
    [{ PORT: '70000' }, /PORT="70000"/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL="mysql:\/\/x": .*postgres/],
    [{ REDIS_URL: 'http://x' }, /REDIS_URL/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET=.*at least 32/],
    [{ MONITOR_PASSWORD: 'abc' }, /MONITOR_PASSWORD/],
    [{ BATTLE_ROUNDS: '0' }, /BATTLE_ROUNDS/],
    [{ BATTLE_QUESTION_MS: '1.5' }, /BATTLE_QUESTION_MS/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
  ];
  for (const [env, pattern] of bad) {
    it(`stops with a message naming the variable for ${JSON.stringify(env)}`, () => {
      assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
    });
  }

  it('names every bad variable at once', () => {
    assert.throws(() => loadConfig({ PORT: 'x', BATTLE_ROUNDS: '-1' }), (e: unknown) => e instanceof ConfigError && /PORT/.test(e.message) && /BATTLE_ROUNDS/.test(e.message));
  });
});

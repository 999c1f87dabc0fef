import assert from 'node:assert/strict';
import { num, oneOf } from '../../bench/lib/env';

/** Runs `fn` with `name` set to `value` (undefined: unset), then puts the environment back. */
function withEnv<T>(name: string, value: string | undefined, fn: () => T): T {
  const before = process.env[name];
  if (value === undefined) delete process.env[name]; else process.env[name] = value;
  try { return fn(); } finally { if (before === undefined) delete process.env[name]; else process.env[name] = before; }
}

describe('bench environment options (bench/lib/env.ts)', () => {
  it('oneOf: the first choice when unset or blank, a listed choice as given, anything else an error naming the choices', () => {
    const choices = ['lean', 'sdk'] as const;
    assert.equal(withEnv('BENCH_TEST_CHOICE', undefined, () => oneOf('BENCH_TEST_CHOICE', choices)), 'lean');
    assert.equal(withEnv('BENCH_TEST_CHOICE', '  ', () => oneOf('BENCH_TEST_CHOICE', choices)), 'lean');
    assert.equal(withEnv('BENCH_TEST_CHOICE', ' sdk ', () => oneOf('BENCH_TEST_CHOICE', choices)), 'sdk');
    assert.throws(() => withEnv('BENCH_TEST_CHOICE', 'SDK', () => oneOf('BENCH_TEST_CHOICE', choices)), /BENCH_TEST_CHOICE="SDK": expected lean or sdk/);
    assert.throws(() => withEnv('BENCH_TEST_CHOICE', 'x', () => oneOf('BENCH_TEST_CHOICE', ['apart', 'idle', 'beside'])), /expected apart, idle or beside/);
  });

  it('num: the default when unset, an error below the minimum or not a number', () => {
    assert.equal(withEnv('BENCH_TEST_NUM', undefined, () => num('BENCH_TEST_NUM', 7, 1)), 7);
    assert.equal(withEnv('BENCH_TEST_NUM', '96', () => num('BENCH_TEST_NUM', 7, 1)), 96);
    assert.throws(() => withEnv('BENCH_TEST_NUM', '0', () => num('BENCH_TEST_NUM', 7, 1)), /expected a number ≥ 1/);
    assert.throws(() => withEnv('BENCH_TEST_NUM', 'many', () => num('BENCH_TEST_NUM', 7, 1)), /expected a number/);
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TEST_DATABASE_URL } from '../helpers/env';
import { testDatabase } from '../helpers/db';

const ROOT = path.resolve(__dirname, '../..');

/** Runs the simulator as `npm run simulate` would, and resolves with its exit code and output. */
function simulate(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    for (const k of ['DATABASE_URL', 'REDIS_URL', 'MONITOR_PASSWORD', 'JWT_SECRET', 'DATA_DIR']) delete env[k];
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'scripts/simulate.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.once('exit', (code) => resolve({ code, output }));
  });
}

describe('the QA simulation (npm run simulate)', function () {
  this.timeout(120_000);
  let out: string;
  beforeEach(() => { out = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-simulate-')); });
  afterEach(() => fs.rmSync(out, { recursive: true, force: true }));

  it('plays a tiny run end to end against its own server and every invariant holds', async () => {
    // Six bots meet only if they queue alike: one subject, pairs. On the PostgreSQL pass the server runs on
    // the suite's database, so the stored answer log is replayed too.
    const db = TEST_DATABASE_URL ? ['--database-url', (await testDatabase()).databaseUrl!] : [];
    const { code, output } = await simulate(['--bots', '6', '--duration-s', '12', '--subjects', 'math', '--sizes', '2', '--seed', 'ci', '--out', out, ...db]);
    assert.equal(code, 0, output);
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8'));
    assert.equal(report.ok, true);
    assert.deepEqual(report.invariants.map((i: { key: string; ok: boolean }) => [i.key, i.ok]), [
      ['results-stored', true], ['rewards-once', true], ['scores-replay', true], ['no-early-answer-key', true], ['no-server-error', true], ['protocol', true],
    ]);
    assert.ok(report.counters.battlesFinished > 0, 'at least one battle was played');
    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=/, 'self-contained: no external scripts or styles');
    assert.match(output, /PASS \(ok\)/);
  });

  it('refuses a bad option with exit code 2 and the usage', async () => {
    const { code, output } = await simulate(['--bots', 'many']);
    assert.equal(code, 2);
    assert.match(output, /--bots must be an integer/);
  });
});

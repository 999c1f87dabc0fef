import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { acquireDirLock, DataDirLockedError, withBackoff } from '../../src/persistence/database';

describe('data directory lock', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-lock-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder while the first lives, and frees on release', () => {
    const release = acquireDirLock(dir);
    // A lock file written by another live process (our parent shell stands in for it).
    release();
    fs.writeFileSync(path.join(dir, '.lock'), String(process.ppid));
    assert.throws(() => acquireDirLock(dir), (e: unknown) => e instanceof DataDirLockedError && e.message.includes(String(process.ppid)));
    fs.rmSync(path.join(dir, '.lock'));
    const again = acquireDirLock(dir);
    assert.equal(fs.readFileSync(path.join(dir, '.lock'), 'utf8'), String(process.pid));
    again();
    assert.equal(fs.existsSync(path.join(dir, '.lock')), false);
  });

  it('takes over a lock left by a dead process', () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    fs.writeFileSync(path.join(dir, '.lock'), dead);
    const release = acquireDirLock(dir);
    assert.equal(fs.readFileSync(path.join(dir, '.lock'), 'utf8'), String(process.pid));
    release();
  });
});

describe('withBackoff', () => {
  it('retries with growing waits until success', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await withBackoff(async () => { if (++calls < 4) throw new Error('down'); return 'up'; },
      { retries: 5, initialMs: 1, maxMs: 3, onRetry: (_e, _n, w) => waits.push(w) });
    assert.equal(result, 'up');
    assert.deepEqual(waits, [1, 2, 3]);
  });

  it('gives up after the last retry with the last error', async () => {
    let calls = 0;
    await assert.rejects(withBackoff(async () => { calls++; throw new Error(`fail ${calls}`); }, { retries: 2, initialMs: 1, maxMs: 1 }), /fail 3/);
    assert.equal(calls, 3);
  });
});

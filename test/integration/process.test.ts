import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testDatabase } from '../helpers/db';
import { freePort, startServer, waitHealthy, type ServerProcess } from '../helpers/process';

async function post(port: number, p: string, body: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() as any };
}

describe('the server process (npm start)', function () {
  this.timeout(90_000);
  let dataDir: string;
  const running: ServerProcess[] = [];
  beforeEach(() => { dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qa-proc-')); });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((p) => p.stop('SIGKILL')));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  /** The database the child processes use: the suite's PostgreSQL server when set, else embedded in DATA_DIR. */
  async function dbEnv(): Promise<Record<string, string>> {
    const db = await testDatabase();
    return db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {};
  }

  it('keeps accounts across a restart, and exits 0 on SIGTERM', async () => {
    const env = { DATA_DIR: dataDir, ...(await dbEnv()) };
    const first = startServer({ ...env, PORT: String(await freePort()) });
    running.push(first);
    await waitHealthy(first);
    const username = `restart_${process.pid}`;
    const registered = await post(first.port, '/auth/register', { username, password: 'survives-restart', role: 'student' });
    assert.equal(registered.status, 201);
    await fetch(`http://127.0.0.1:${first.port}/me`, { headers: { authorization: `Bearer ${registered.body.token}` } });
    await post(first.port, '/auth/login', { username, password: 'wrong-password-logged?' });
    assert.equal(await first.stop('SIGTERM'), 0);
    assert.match(first.output(), /shutdown complete/);
    for (const secret of ['survives-restart', 'wrong-password-logged?', registered.body.token]) {
      assert.ok(!first.output().includes(secret), 'no password or token ever reaches the log');
    }

    const second = startServer({ ...env, PORT: String(await freePort()) });
    running.push(second);
    await waitHealthy(second);
    const login = await post(second.port, '/auth/login', { username, password: 'survives-restart' });
    assert.equal(login.status, 200);
    assert.equal(login.body.user.username, username);
    // The generated JWT secret was kept in DATA_DIR: a token from before the restart still works.
    const me = await fetch(`http://127.0.0.1:${second.port}/me`, { headers: { authorization: `Bearer ${login.body.token}` } });
    assert.equal(me.status, 200);
  });

  // The lock guards the embedded database, so this runs embedded whichever backend the suite is on.
  it('refuses a second server on the same embedded DATA_DIR with a clear message', async () => {
    const first = startServer({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    running.push(first);
    await waitHealthy(first);
    const second = startServer({ DATA_DIR: dataDir, PORT: String(await freePort()) });
    running.push(second);
    assert.equal(await second.exited, 1);
    assert.match(second.output(), /DATA_DIR .* is in use by another Quest Arena process \(pid \d+\)/);
    // The first one is unharmed.
    assert.equal((await fetch(`http://127.0.0.1:${first.port}/health`)).status, 200);
  });

  it('does not mount the monitor without MONITOR_PASSWORD', async () => {
    const p = startServer({ DATA_DIR: dataDir, PORT: String(await freePort()), ...(await dbEnv()) });
    running.push(p);
    await waitHealthy(p);
    const res = await fetch(`http://127.0.0.1:${p.port}/colyseus/api`);
    assert.equal(res.status, 404);
  });

  it('stops at start on a bad configuration value, naming the variable', async () => {
    const p = startServer({ DATA_DIR: dataDir, PORT: 'not-a-port' });
    running.push(p);
    assert.equal(await p.exited, 1);
    assert.match(p.output(), /cannot start: invalid configuration:\n\s+PORT="not-a-port"/);
  });
});

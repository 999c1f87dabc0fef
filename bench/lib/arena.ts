/**
 * What the load benchmark needs around a real server started from the outside: a PostgreSQL database of
 * its own (created and dropped), accounts inserted straight into it, tokens signed with the server's
 * secret, server processes started the way `npm start` starts them, and /metrics read back as numbers.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Client as PgClient } from 'pg';
import { startServer, waitHealthy, type ServerProcess } from '../../test/helpers/process';

/** Exactly what src/auth/tokens.ts signs: HS256, issuer, audience, sub = user id, username and role. */
export function signToken(secret: string, user: { id: string; username: string; role: 'student' | 'parent' }, ttlSeconds = 24 * 3600): string {
  return jwt.sign({ username: user.username, role: user.role }, secret, {
    algorithm: 'HS256', subject: user.id, issuer: 'quest-arena', audience: 'quest-arena-client', expiresIn: ttlSeconds,
  });
}

async function withPg<T>(url: string, run: (c: PgClient) => Promise<T>): Promise<T> {
  const c = new PgClient({ connectionString: url });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

/** A database of the benchmark's own on the PostgreSQL server at `adminUrl`; `drop()` removes it. */
export async function createDatabase(adminUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `qa_bench_load_${process.pid}_${randomBytes(3).toString('hex')}`;
  await withPg(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: () => withPg(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => {}) };
}

export interface BenchUser { id: string; username: string; role: 'student' | 'parent'; grade: number | null }

/** Inserts accounts in batches (one shared password hash: registering through scrypt would measure the KDF). */
export async function insertUsers(url: string, users: readonly BenchUser[], passwordHash: string): Promise<void> {
  await withPg(url, async (c) => {
    for (let i = 0; i < users.length; i += 2000) {
      const batch = users.slice(i, i + 2000);
      await c.query(
        `INSERT INTO users (id, username, password_hash, role, display_name, grade)
         SELECT id, username, $3, role, username, grade FROM unnest($1::uuid[], $2::varchar[], $4::varchar[], $5::smallint[]) AS t(id, username, role, grade)`,
        [batch.map((u) => u.id), batch.map((u) => u.username), passwordHash, batch.map((u) => u.role), batch.map((u) => u.grade)],
      );
    }
  });
}

/** Unused link codes of one student, valid for an hour (what POST /me/link-codes would have issued). */
export async function insertLinkCodes(url: string, studentId: string, codes: readonly string[]): Promise<void> {
  await withPg(url, (c) => c.query(
    `INSERT INTO link_codes (code, student_id, expires_at) SELECT code, $2, now() + interval '1 hour' FROM unnest($1::varchar[]) AS t(code)`,
    [codes, studentId],
  ));
}

/** Runs one SQL statement on a database (setup and counts). */
export function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  return withPg(url, async (c) => (await c.query(text, params)).rows as T[]);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** `count` consecutive free loopback ports (the cluster runs on consecutive ports, like start:cluster). */
export async function consecutivePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 10_000);
    let ok = true;
    for (let i = 0; i < count && ok; i++) ok = await portFree(base + i);
    if (ok) return base;
  }
  throw new Error('no consecutive free ports found');
}

/** One running server process and its addresses. */
export interface ArenaNode { proc: ServerProcess; port: number; http: string; ws: string }

/**
 * Starts `count` server processes on consecutive ports (process.execPath --require tsx/cjs arena.config.ts,
 * as test/helpers/process.ts does). With more than one they share REDIS_URL and DATABASE_URL and each
 * advertises its own PUBLIC_ADDRESS, as scripts/cluster.ts sets them.
 */
export async function startArena(count: number, env: Record<string, string>): Promise<ArenaNode[]> {
  const base = await consecutivePorts(count);
  const nodes: ArenaNode[] = [];
  for (let i = 0; i < count; i++) {
    const port = base + i;
    const proc = startServer({ ...env, PORT: String(port), HOST: '127.0.0.1', ...(count > 1 ? { PUBLIC_ADDRESS: `127.0.0.1:${port}` } : {}) });
    nodes.push({ proc, port, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` });
    // The first one applies the migrations; the others would wait on the advisory lock anyway.
    if (i === 0) await waitHealthy(proc, 90_000);
  }
  await Promise.all(nodes.map((n) => waitHealthy(n.proc, 90_000)));
  return nodes;
}

/** Stops server processes (SIGTERM, then SIGKILL after `graceMs`). */
export async function stopArena(nodes: readonly ArenaNode[], graceMs = 15_000): Promise<void> {
  await Promise.all(nodes.map(async (n) => {
    const timer = setTimeout(() => n.proc.child.kill('SIGKILL'), graceMs);
    await n.proc.stop('SIGTERM');
    clearTimeout(timer);
  }));
}

/** A Prometheus scrape: every sample, and per metric name the sum over its label sets. */
export interface Scrape { at: number; samples: Array<{ name: string; labels: string; value: number }>; sum(name: string, labelFilter?: (labels: string) => boolean): number }

/** GET /metrics of one process, parsed. */
export async function scrape(node: ArenaNode, timeoutMs = 10_000): Promise<Scrape> {
  const res = await fetch(`${node.http}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  const samples: Scrape['samples'] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) samples.push({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) });
  }
  return {
    at: performance.now(),
    samples,
    sum: (name, filter) => samples.filter((s) => s.name === name && (!filter || filter(s.labels))).reduce((a, s) => a + s.value, 0),
  };
}

/** The shell's open-file limit (soft), as every process started from here inherits it. */
export function openFileLimit(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return NaN;
  }
}

import { randomBytes } from 'node:crypto';
import { EmbeddedDatabase } from '../../src/persistence/embedded';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { insertQuestions, loadQuestionBank } from '../../src/persistence/seed/questionBank';
import { TEST_DATABASE_URL } from './env';

/** One embedded or server database per test process, created on first use and dropped at the end. */
export interface TestDatabase {
  /** DATABASE_URL for the app when on PostgreSQL. */
  databaseUrl?: string;
  /** The shared in-memory embedded instance (PGlite on its thread) when on PGlite. */
  embedded?: EmbeddedDatabase;
  kind: 'pglite' | 'postgres';
  drop(): Promise<void>;
}

let current: Promise<TestDatabase> | undefined;

async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

async function create(): Promise<TestDatabase> {
  if (TEST_DATABASE_URL) {
    const name = `qa_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    const url = new URL(TEST_DATABASE_URL);
    url.pathname = `/${name}`;
    return {
      kind: 'postgres',
      databaseUrl: url.toString(),
      drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    };
  }
  // A fresh PGlite costs ~2.5 s and ~300 MB: one per process, reset between tests.
  const embedded = new EmbeddedDatabase();
  await embedded.waitReady;
  return { kind: 'pglite', embedded, drop: () => embedded.close() };
}

/** The process's test database (created once). */
export function testDatabase(): Promise<TestDatabase> {
  return (current ??= create());
}

/** Drops the process's test database if one was made (root afterAll hook). */
export async function dropTestDatabase(): Promise<void> {
  if (!current) return;
  const db = await current;
  current = undefined;
  await db.drop();
}

/** Tables of reference data a migration seeds: kept across tests, like the migrations log. */
const SEEDED = new Set(['questions']);
let bankSize: number | undefined;

/**
 * Empties every table but the migrations log, so each test builds its own world; the question table
 * keeps just the seeded bank (imported packs go, and bank rows a test replaced or removed come back).
 */
export async function resetDatabase(ds: DataSource): Promise<void> {
  const tables = ds.entityMetadatas.map((m) => m.tableName).filter((t) => !SEEDED.has(t)).map((t) => `"${t}"`);
  if (tables.length) await ds.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
  await ds.query(`DELETE FROM "questions" WHERE "source" <> 'bank'`);
  bankSize ??= loadQuestionBank().length;
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM "questions"`);
  if (n < bankSize) await insertQuestions(ds, loadQuestionBank(), 'bank', 'ignore');
}

import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';
import type { BackendMessage } from 'pg-protocol/dist/messages';
import { Parser } from 'pg-protocol/dist/parser';

/** Frontend messages a server answers only at the next Sync or Flush: Parse, Bind, Describe, Execute, Close. */
const HELD_UNTIL_SYNC = new Set(['P', 'B', 'D', 'E', 'C'].map((c) => c.charCodeAt(0)));

type WorkerReply = { kind: 'ready'; error?: string } | { kind: 'reply'; id: number; bytes?: Uint8Array; error?: string };

/**
 * The embedded database (PGlite, PostgreSQL compiled to WASM) on its own thread.
 *
 * PGlite executes every statement synchronously on the thread that calls it. In the server's thread,
 * a battle's result transaction (~20–50 ms of WASM) would stall every room's clock and every player's
 * answer behind it; measured with bench/battle, answer p99 with 496 players was 67 ms, against 5 ms on a PostgreSQL server. Here PGlite runs in
 * a worker thread (embeddedWorker.cjs) and this class speaks the PostgreSQL wire protocol to it: the
 * request bytes go over, PGlite's raw reply bytes come back (transferred, not copied), and they are
 * parsed here with node-postgres's own protocol parser. It offers exactly what PGlite's node-postgres
 * adapter (`createPgConfig`) needs, so TypeORM and `pg` use it unchanged.
 */
export class EmbeddedDatabase {
  readonly waitReady: Promise<void>;
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (m: WorkerReply & { kind: 'reply' }) => void; reject: (e: Error) => void }>();
  private readonly parser = new Parser();
  private nextId = 1;
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;

  /** `dataDir` is where the files live; omitted, the database is in memory (tests). */
  constructor(dataDir?: string) {
    this.worker = new Worker(path.join(__dirname, 'embeddedWorker.cjs'), { workerData: { dataDir } });
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.worker.once('message', (m: WorkerReply) => {
        if (m.kind === 'ready' && !m.error) return resolve();
        reject(this.fail(new Error(`the embedded database did not open: ${m.kind === 'ready' ? m.error : 'unexpected reply'}`)));
      });
    });
    this.waitReady.then(() => this.worker.on('message', (m: WorkerReply) => this.settle(m)), () => {});
    this.worker.on('error', (e) => this.fail(new Error(`the embedded database thread failed: ${e.message}`)));
    this.worker.on('exit', (code) => this.fail(new Error(`the embedded database thread stopped (exit code ${code})`)));
  }

  /**
   * What the node-postgres adapter calls, once per protocol message, waiting for each reply before the
   * next. A PostgreSQL server answers an extended-query batch (Parse, Bind, Describe, Execute, Close) only
   * at its Sync or Flush, so those are held here and sent with it: one thread round trip per statement
   * instead of five. Their replies come with the Sync's, in order, as from a server.
   */
  async execProtocolStream(message: Uint8Array, _options?: { throwOnError?: boolean }): Promise<BackendMessage[]> {
    if (this.failure) throw this.failure;
    // A copy of just these bytes (pg's buffers may be views into a larger pool).
    this.held.push(new Uint8Array(message));
    this.heldBytes += message.byteLength;
    if (HELD_UNTIL_SYNC.has(message[0])) return [];
    // One fresh buffer of our own (never Buffer.concat: its result may share Node's pool, and the buffer
    // is transferred, which detaches it), handed over to the thread, not cloned.
    let bytes = this.held[0];
    if (this.held.length > 1) {
      bytes = new Uint8Array(this.heldBytes);
      let at = 0;
      for (const part of this.held) { bytes.set(part, at); at += part.byteLength; }
    }
    this.held = [];
    this.heldBytes = 0;
    const reply = await this.request({ kind: 'exec', bytes });
    const messages: BackendMessage[] = [];
    if (reply.bytes && reply.bytes.length > 0) {
      this.parser.parse(Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength), (m) => messages.push(m));
    }
    return messages;
  }

  /** Closes PGlite (flushing its files) and stops the thread. Safe to call twice. */
  close(): Promise<void> {
    return (this.closing ??= (async () => {
      if (!this.failure) await this.request({ kind: 'close' }).catch(() => {});
      this.failure ??= new Error('the embedded database is closed');
      await this.worker.terminate();
    })());
  }

  /** This object where PGlite's type is asked for (createPgConfig reads only the two members above). */
  asPGlite(): PGlite {
    return this as unknown as PGlite;
  }

  private request(m: { kind: 'exec'; bytes: Uint8Array } | { kind: 'close' }): Promise<WorkerReply & { kind: 'reply' }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id }, m.kind === 'exec' ? [m.bytes.buffer as ArrayBuffer] : []);
    });
  }

  private settle(m: WorkerReply): void {
    if (m.kind !== 'reply') return;
    const waiter = this.pending.get(m.id);
    if (!waiter) return;
    this.pending.delete(m.id);
    if (m.error) waiter.reject(new Error(`embedded database: ${m.error}`));
    else waiter.resolve(m);
  }

  private fail(e: Error): Error {
    this.failure ??= e;
    for (const w of this.pending.values()) w.reject(e);
    this.pending.clear();
    return e;
  }
}

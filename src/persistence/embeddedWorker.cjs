// The embedded database's thread (see embedded.ts). Plain CommonJS so it loads the same way under
// `tsx`, mocha and plain node: it only opens PGlite and runs PostgreSQL wire-protocol requests, one at a
// time, in order; every reply is the raw protocol bytes, parsed by the main thread.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { PGlite } = require('@electric-sql/pglite');

const describe = (e) => (e instanceof Error ? e.stack || e.message : String(e));

async function main() {
  let db;
  try {
    db = new PGlite(workerData.dataDir || undefined);
    await db.waitReady;
  } catch (e) {
    parentPort.postMessage({ kind: 'ready', error: describe(e) });
    return;
  }
  parentPort.postMessage({ kind: 'ready' });
  let queue = Promise.resolve();
  parentPort.on('message', (m) => {
    queue = queue.then(async () => {
      try {
        if (m.kind === 'exec') {
          // execProtocolRaw answers a copy of PGlite's receive buffer, so it can be transferred.
          const out = await db.execProtocolRaw(m.bytes);
          parentPort.postMessage({ kind: 'reply', id: m.id, bytes: out }, [out.buffer]);
        } else if (m.kind === 'close') {
          await db.close();
          parentPort.postMessage({ kind: 'reply', id: m.id });
        }
      } catch (e) {
        parentPort.postMessage({ kind: 'reply', id: m.id, error: describe(e) });
      }
    });
  });
}

void main();

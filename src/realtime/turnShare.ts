/**
 * One client's share of a turn of the event loop. The `ws` receiver hands over every frame of a socket
 * read at once: a client that sends 30 messages in one write gets all 30 handled (decoded, validated,
 * run) back to back, while everybody else's messages of that turn wait behind them (bench/load's
 * flooder gets 20 accepted in one read; with this, the others' p99 in its windows came down from
 * 1.09–1.26× to 1.02× of alone in the long flood-only runs, docs/benchmarks.md). Here a client's messages beyond `perTurn` in one turn wait for the next
 * turn (`setImmediate`), in order, `perTurn` a turn: others' messages of that turn go first. A client
 * thrown out meanwhile (`qaStopped`) has what still waits dropped; one that leaves otherwise has it
 * handled at once, before its leave (`flush`), as it would have been without waiting. A player's usual
 * traffic (one or two messages at a time) never waits.
 */
export const MESSAGES_PER_TURN = 4;

/** What this keeps on each client (`qa` properties, next to Colyseus' own). */
export interface TurnSharing {
  qaTurn?: number;
  qaTurnCount?: number;
  qaWaiting?: Buffer[];
  qaStopped?: boolean;
}

type Entry<C> = (client: C, buffer: Buffer) => void;

/** The current turn: moved on once per turn of the loop in which a message came (one `setImmediate` for all clients). */
let turn = 0;
let turnEnding = false;
const endTurn = (): void => {
  turn++;
  turnEnding = false;
};

/**
 * Wraps `entry`: `enter` lets each client through at most `perTurn` messages per turn of the event loop;
 * `flush` hands over at once what a client still has waiting (unless it was thrown out).
 */
export function shareTurns<C extends TurnSharing>(entry: Entry<C>, perTurn = MESSAGES_PER_TURN): { enter: Entry<C>; flush(client: C): void } {
  const drain = (client: C): void => {
    const waiting = client.qaWaiting;
    if (waiting === undefined) return;
    if (client.qaStopped) {
      client.qaWaiting = undefined;
      return;
    }
    const batch = waiting.splice(0, perTurn);
    if (waiting.length === 0) client.qaWaiting = undefined;
    else setImmediate(drain, client);
    for (const buffer of batch) entry(client, buffer);
  };
  const flush = (client: C): void => {
    const waiting = client.qaWaiting;
    client.qaWaiting = undefined;
    if (waiting === undefined || client.qaStopped) return;
    for (const buffer of waiting) entry(client, buffer);
  };
  const enter: Entry<C> = (client, buffer) => {
    if (client.qaWaiting !== undefined) {
      client.qaWaiting.push(buffer);
      return;
    }
    if (!turnEnding) {
      turnEnding = true;
      setImmediate(endTurn);
    }
    if (client.qaTurn !== turn) {
      client.qaTurn = turn;
      client.qaTurnCount = 0;
    }
    client.qaTurnCount = (client.qaTurnCount ?? 0) + 1;
    if (client.qaTurnCount > perTurn) {
      client.qaWaiting = [buffer];
      setImmediate(drain, client);
      return;
    }
    entry(client, buffer);
  };
  return { enter, flush };
}

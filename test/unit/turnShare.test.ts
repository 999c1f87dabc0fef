import assert from 'node:assert/strict';
import { shareTurns, type TurnSharing } from '../../src/realtime/turnShare';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('shareTurns (a client\'s share of a turn of the event loop)', () => {
  type Fake = TurnSharing & { name: string };
  const setup = () => {
    const seen: string[] = [];
    const turns = shareTurns<Fake>((client, buffer) => seen.push(`${client.name}${buffer.toString()}`), 4);
    return { seen, turns };
  };
  const msg = (n: number) => Buffer.from(String(n));

  it('lets a client through four messages a turn, the rest in order over the next turns, while others go first', async () => {
    const { seen, turns } = setup();
    const a: Fake = { name: 'a' };
    const b: Fake = { name: 'b' };
    for (let i = 1; i <= 10; i++) turns.enter(a, msg(i));
    turns.enter(b, msg(1));
    turns.enter(b, msg(2));
    assert.deepEqual(seen, ['a1', 'a2', 'a3', 'a4', 'b1', 'b2'], 'the rest of a waits; b does not wait behind it');
    // A message of a that comes while some still wait queues behind them, whatever the turn.
    turns.enter(a, msg(11));
    await nextTurn();
    assert.deepEqual(seen.slice(6), ['a5', 'a6', 'a7', 'a8']);
    await nextTurn();
    await nextTurn();
    assert.deepEqual(seen.slice(10), ['a9', 'a10', 'a11']);
    assert.equal(a.qaWaiting, undefined);
    // A new turn: four again, straight through.
    await nextTurn();
    for (let i = 12; i <= 15; i++) turns.enter(a, msg(i));
    assert.deepEqual(seen.slice(13), ['a12', 'a13', 'a14', 'a15']);
  });

  it('drops what waits for a client thrown out, and hands it over at once for one that leaves otherwise', async () => {
    const { seen, turns } = setup();
    const flooder: Fake = { name: 'f' };
    const leaver: Fake = { name: 'l' };
    for (let i = 1; i <= 6; i++) turns.enter(flooder, msg(i));
    for (let i = 1; i <= 6; i++) turns.enter(leaver, msg(i));
    flooder.qaStopped = true;
    turns.flush(flooder);
    turns.flush(leaver);
    assert.deepEqual(seen, ['f1', 'f2', 'f3', 'f4', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6']);
    await nextTurn();
    await nextTurn();
    assert.equal(seen.length, 10, 'nothing more, later');
    // Thrown out while its messages wait for their turn: they are dropped then too.
    const other: Fake = { name: 'o' };
    await nextTurn();
    for (let i = 1; i <= 6; i++) turns.enter(other, msg(i));
    other.qaStopped = true;
    await nextTurn();
    await nextTurn();
    assert.deepEqual(seen.slice(10), ['o1', 'o2', 'o3', 'o4']);
  });
});

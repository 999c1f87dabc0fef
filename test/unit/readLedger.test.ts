import assert from 'node:assert/strict';
import { ReadLedger } from '../../src/domain/readLedger';

describe('read ledger (what a personal room knows read)', () => {
  it('announces a known unread id at once, once, and sends unknown ids to the database', () => {
    const l = new ReadLedger();
    l.noteUnread('a');
    assert.deepEqual(l.claim(['a', 'x', 'a']), { announce: ['a'], unknown: ['x'] });
    assert.deepEqual(l.claim(['a']), { announce: [], unknown: [] }, 'claimed: a second tab has nothing to do');
    l.confirm(['a']);
    assert.deepEqual(l.claim(['a']), { announce: [], unknown: [] }, 'read: nothing to do');
    assert.deepEqual(l.settle(['x']), ['x'], 'the database changed an unknown id: announce it');
    assert.deepEqual(l.claim(['x']), { announce: [], unknown: [] });
  });

  it('announces a read from elsewhere only if this room has not announced it', () => {
    const l = new ReadLedger();
    for (const id of ['a', 'b', 'c']) l.noteUnread(id);
    l.claim(['a']); // announced, being stored
    l.claim(['b']);
    l.confirm(['b']);
    assert.deepEqual(l.settle(['a', 'b', 'c', 'd']), ['c', 'd']);
    assert.deepEqual(l.settle(['c', 'd']), [], 'each id once');
    l.release(['a']);
    assert.deepEqual(l.claim(['a']), { announce: [], unknown: [] }, 'read elsewhere meanwhile: a failed store does not make it unread');
  });

  it('makes an id unread again when storing its claim failed, and never a read one', () => {
    const l = new ReadLedger();
    l.noteUnread('a');
    l.claim(['a']);
    l.release(['a']);
    assert.deepEqual(l.claim(['a']).announce, ['a'], 'released: the next claim stores it');
    l.confirm(['a']);
    l.noteUnread('a'); // a stale snapshot or a late live delivery
    l.release(['a']);
    assert.deepEqual(l.claim(['a']).announce, [], 'read stays read');
  });

  it('forgets the least recently touched ids past its capacity: they become unknown, never wrongly read', () => {
    const l = new ReadLedger(3);
    for (const id of ['a', 'b', 'c', 'd']) l.noteUnread(id);
    assert.equal(l.size, 3);
    assert.deepEqual(l.claim(['a', 'b']), { announce: ['b'], unknown: ['a'] });
    l.noteUnread('e'); // forgets c, the least recently touched
    assert.deepEqual(l.claim(['c', 'd', 'e']), { announce: ['d', 'e'], unknown: ['c'] });
  });
});

/** Unread; announced, its flag being stored; read (stored, or read elsewhere). */
const enum Mark { Unread, Claimed, Read }

/**
 * What a personal room knows of its user's notifications: which are unread, and which it has seen become
 * read. With it, the room tells its tabs that a notification became read as soon as one tab says so,
 * and stores the flag after, instead of waiting for the database before telling anybody (the database's
 * UPDATE was most of a `mark_read` broadcast's time and of its tail: bench/load's in-room broadcast).
 *
 * Announced once: an id is announced only on its way from unread (or unknown) to read, and an id known
 * read is never announced again, whether it was read in a tab here or over HTTP on any process (the
 * channel's read event). Ids it does not know (a notification older than what the room loaded, or one
 * whose live delivery has not arrived yet) go to the database first, as before, and are announced only
 * if the database changed them. Read never turns back into unread, except when storing a flag this room
 * announced failed (`release`). Bounded: past `capacity` ids, the least recently touched are forgotten
 * (they become unknown: slower, never wrong). Pure: no I/O, no clock.
 */
export class ReadLedger {
  /** id → mark, in the order last touched; the first is the first forgotten. */
  private readonly known = new Map<string, Mark>();

  constructor(readonly capacity = 1000) {}

  get size(): number {
    return this.known.size;
  }

  /** A notification that exists unread (loaded with the room, or delivered live); nothing if already known. */
  noteUnread(id: string): void {
    if (!this.known.has(id)) this.remember(id, Mark.Unread);
  }

  /**
   * A tab asks for `ids` to be marked read. Those known unread are claimed: announce them at once, then
   * store them and `confirm` (or `release` if that failed). Those unknown go to the database, which says
   * which changed (`settle`). Those claimed or read need nothing. Repeated ids count once.
   */
  claim(ids: readonly string[]): { announce: string[]; unknown: string[] } {
    const announce: string[] = [];
    const unknown: string[] = [];
    for (const id of new Set(ids)) {
      const mark = this.known.get(id);
      if (mark === Mark.Unread) {
        this.remember(id, Mark.Claimed);
        announce.push(id);
      } else if (mark === undefined) {
        unknown.push(id);
      }
    }
    return { announce, unknown };
  }

  /** The claimed ids' flags are stored. */
  confirm(ids: readonly string[]): void {
    for (const id of ids) if (this.known.get(id) === Mark.Claimed) this.remember(id, Mark.Read);
  }

  /** Storing the claimed ids failed: those still claimed are unread again, so the next claim stores them. */
  release(ids: readonly string[]): void {
    for (const id of ids) if (this.known.get(id) === Mark.Claimed) this.remember(id, Mark.Unread);
  }

  /**
   * Ids the database changed to read outside a claim: an unknown claim's, or HTTP's on any process (the
   * channel's read event). Returns those to announce: the ones not announced already.
   */
  settle(changed: readonly string[]): string[] {
    const announce: string[] = [];
    for (const id of changed) {
      const mark = this.known.get(id);
      if (mark === Mark.Read) continue;
      if (mark !== Mark.Claimed) announce.push(id);
      this.remember(id, Mark.Read);
    }
    return announce;
  }

  private remember(id: string, mark: Mark): void {
    this.known.delete(id);
    this.known.set(id, mark);
    if (this.known.size > this.capacity) this.known.delete(this.known.keys().next().value as string);
  }
}

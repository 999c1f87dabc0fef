import { matchMaker, ServerError, type Client } from '@colyseus/core';
import { z } from 'zod';
import type { Principal } from '../src/auth/tokens';
import { ArenaRoom, JOIN_ERROR, on } from '../src/realtime/roomKit';
import { isReadEvent, notificationChannel, UNDELIVERED_LIMIT, type ChannelEvent, type NotificationView } from '../src/services/NotificationService';
import { PersonalState } from '../schema/PersonalState';
import { ReadLedger } from '../src/domain/readLedger';

/**
 * The state changes only when a tab joins or leaves, and then the room sends the patch at once; the
 * periodic patch (every 50 ms by default, which also ticks the room clock) is only a fallback.
 * At 20 ticks a second, 7,000 idle personal rooms kept a core 76% busy.
 */
const IDLE_PATCH_MS = 1000;

/** How many of the user's notifications a personal room keeps track of (an id and a mark each). */
const READ_LEDGER_CAPACITY = 1000;

/** Built once for every room: a schema costs about 0.2 ms to build, and a personal room is made at each user's first tab. */
const MARK_READ = z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) });

/**
 * `personal`: one room per user, on whichever process (matchmaking filters by the verified user id, and
 * Colyseus' join-or-create lock keeps it to one). It relays the user's notifications: live through
 * presence, and on join whatever arrived while they were away; and tells every tab which notifications
 * became read, wherever they were read.
 */
export class PersonalRoom extends ArenaRoom<PersonalState> {
  private userId = '';
  /** The user's notifications this room knows unread or read: a tab's `mark_read` is announced before it is stored. */
  private readonly reads = new ReadLedger(READ_LEDGER_CAPACITY);
  /** Whether a join has loaded the user's unread ids into the ledger (the first join does). */
  private ledgerLoaded = false;
  private readonly listener = (e: ChannelEvent) => (isReadEvent(e) ? this.announceRead(this.reads.settle(e.readIds)) : this.deliverLive(e));

  /** Its state is a user id, a username and a count: a full encoding is under 100 bytes (test/rooms/PersonalRoom.test.ts). */
  static override stateBufferBytes = 512;

  /** Matchmaking filters by the token's user, never by anything the client claims. */
  static onAuthorized(principal: Principal, options: Record<string, unknown>): void {
    options.userId = principal.userId;
  }

  async onCreate(options: { userId: string }) {
    this.userId = options.userId;
    // `create("personal")` bypasses the join-or-create lock: refuse a second room for the same user.
    const existing = await matchMaker.query({ name: this.roomName, userId: this.userId } as never);
    if (existing.some((r) => r.roomId !== this.roomId)) throw new ServerError(JOIN_ERROR.CONFLICT, 'your personal room already exists: use joinOrCreate("personal")');
    this.setState(Object.assign(new PersonalState(), { userId: this.userId }));
    this.setPatchPeriod(IDLE_PATCH_MS);
    this.autoDispose = true;
    await this.setPrivate(false);
    // Subscribed before the first join reads the unread ids: whatever is read or arrives from here on
    // reaches the ledger as an event, and an event's read outweighs that snapshot's unread.
    await this.presence.subscribe(notificationChannel(this.userId), this.listener);
    this.handleMessages({
      mark_read: on(MARK_READ, function (this: PersonalRoom, client, msg) {
        // Every tab of the user is in this room: it tells them itself, without a round trip through
        // presence, and before the database for the ids it knows unread (src/domain/readLedger.ts).
        const { announce, unknown } = this.reads.claim(msg.ids);
        this.announceRead(announce);
        if (announce.length === 0 && unknown.length === 0) return this.sendTo(client, 'marked_read', { ids: msg.ids, updated: 0 });
        return this.storeRead(client, msg.ids, announce, unknown);
      }),
    });
  }

  async onJoin(client: Client, _options: unknown, auth: Principal) {
    if (auth.userId !== this.userId) throw new ServerError(JOIN_ERROR.FORBIDDEN, 'this is not your personal room');
    this.state.username = auth.username;
    this.state.sessions = this.clients.length;
    this.broadcastPatch();
    // Whatever arrived while the user was away, oldest first, then marked delivered; with the first join,
    // in the same query, the unread ids the ledger starts from.
    const { undelivered: pending, unreadIds } = await this.services.notifications.inbox(
      this.userId, UNDELIVERED_LIMIT, this.ledgerLoaded ? 0 : READ_LEDGER_CAPACITY);
    this.ledgerLoaded = true;
    for (const id of unreadIds) this.reads.noteUnread(id);
    for (const n of pending) this.sendTo(client, 'notification', n);
    await this.services.notifications.markDelivered(this.userId, pending.map((n) => n.id));
  }

  onLeave() {
    this.state.sessions = this.clients.length;
    this.broadcastPatch();
  }

  async onDispose() {
    await this.presence.unsubscribe(notificationChannel(this.userId), this.listener);
  }

  /**
   * Stores a `mark_read`: the ids already announced and those the room did not know, which are announced
   * now if the database changed them. The answer to the tab comes once stored; a failure answers INTERNAL
   * and makes the announced ids unread again for the room, so asking again stores them.
   */
  private async storeRead(client: Client, requested: string[], announced: string[], unknown: string[]): Promise<void> {
    let changed: string[];
    try {
      changed = await this.services.notifications.markRead(this.userId, [...announced, ...unknown], false);
    } catch (err) {
      this.reads.release(announced);
      throw err;
    }
    this.reads.confirm(announced);
    if (unknown.length > 0) {
      const wasUnknown = new Set(unknown);
      this.announceRead(this.reads.settle(changed.filter((id) => wasUnknown.has(id))));
    }
    this.sendTo(client, 'marked_read', { ids: requested, updated: changed.length });
  }

  private announceRead(ids: string[]): void {
    if (ids.length > 0) this.broadcastAll('notifications_read', { ids });
  }

  private deliverLive(n: NotificationView): void {
    if (!n.read) this.reads.noteUnread(n.id);
    if (this.clients.length === 0) return; // stays undelivered; sent on the next join
    this.broadcastAll('notification', n);
    this.services.notifications.markDelivered(this.userId, [n.id]).catch((err) =>
      this.services.logger.error({ err, userId: this.userId }, 'could not mark a notification delivered'));
  }
}

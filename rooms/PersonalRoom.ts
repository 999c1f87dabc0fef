import { matchMaker, ServerError, type Client } from '@colyseus/core';
import { z } from 'zod';
import type { Principal } from '../src/auth/tokens';
import { ArenaRoom, JOIN_ERROR, on } from '../src/realtime/roomKit';
import { isReadEvent, notificationChannel, type ChannelEvent, type NotificationView } from '../src/services/NotificationService';
import { PersonalState } from '../schema/PersonalState';

/**
 * The state changes only when a tab joins or leaves, and then the room sends the patch at once; the
 * periodic patch (every 50 ms by default, which also ticks the room clock) is only a fallback.
 * At 20 ticks a second, 7,000 idle personal rooms kept a core 76% busy.
 */
const IDLE_PATCH_MS = 1000;

/**
 * `personal`: one room per user, on whichever process (matchmaking filters by the verified user id, and
 * Colyseus' join-or-create lock keeps it to one). It relays the user's notifications: live through
 * presence, and on join whatever arrived while they were away; and tells every tab which notifications
 * became read, wherever they were read.
 */
export class PersonalRoom extends ArenaRoom<PersonalState> {
  private userId = '';
  private readonly listener = (e: ChannelEvent) => (isReadEvent(e) ? this.broadcastAll('notifications_read', { ids: e.readIds }) : this.deliverLive(e));

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
    await this.presence.subscribe(notificationChannel(this.userId), this.listener);
    this.handleMessages({
      mark_read: on(z.strictObject({ ids: z.array(z.uuid()).min(1).max(100) }), async function (this: PersonalRoom, client, msg) {
        // Every tab of the user is in this room: it tells them itself, without a round trip through presence.
        const readIds = await this.services.notifications.markRead(this.userId, msg.ids, false);
        if (readIds.length > 0) this.broadcastAll('notifications_read', { ids: readIds });
        this.sendTo(client, 'marked_read', { ids: msg.ids, updated: readIds.length });
      }),
    });
  }

  async onJoin(client: Client, _options: unknown, auth: Principal) {
    if (auth.userId !== this.userId) throw new ServerError(JOIN_ERROR.FORBIDDEN, 'this is not your personal room');
    this.state.username = auth.username;
    this.state.sessions = this.clients.length;
    this.broadcastPatch();
    // Whatever arrived while the user was away, oldest first, then marked delivered.
    const pending = await this.services.notifications.undelivered(this.userId);
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

  private deliverLive(n: NotificationView): void {
    if (this.clients.length === 0) return; // stays undelivered; sent on the next join
    this.broadcastAll('notification', n);
    this.services.notifications.markDelivered(this.userId, [n.id]).catch((err) =>
      this.services.logger.error({ err, userId: this.userId }, 'could not mark a notification delivered'));
  }
}

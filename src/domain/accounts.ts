import { z } from 'zod';

/** Usernames: 3–24 of [a-z0-9_] (contract). Stored as given; never case-folded silently. */
export const USERNAME = z.string().regex(/^[a-z0-9_]{3,24}$/, 'username must be 3–24 of a-z, 0-9 and _');
/** Passwords: at least 8 characters; capped so hashing cost stays bounded. */
export const PASSWORD = z.string().min(8, 'password must be at least 8 characters').max(200, 'password must be at most 200 characters');
/** Display names: printable, 1–40 characters after trimming. */
export const DISPLAY_NAME = z.string().trim().min(1).max(40).regex(/^[^\p{C}]+$/u, 'display name must be printable text');

/** A student's school grade: 1–8, the grades the question bank covers. */
export const GRADE = z.number().int().min(1, 'grade must be 1 to 8').max(8, 'grade must be 1 to 8');

/** Characters for human-typed codes: no look-alikes (0/O, 1/I/L). */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A code of `length` characters drawn from CODE_ALPHABET with the given integer source. */
export function makeCode(length: number, randomInt: (maxExclusive: number) => number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return out;
}

import assert from 'node:assert/strict';
import { hashPassword, verifyPassword } from '../../src/auth/passwords';
import { TokenService } from '../../src/auth/tokens';
import { DomainError } from '../../src/errors';

describe('passwords', () => {
  it('hashes with a random salt and verifies only the right password', async () => {
    const a = await hashPassword('hunter2hunter2');
    const b = await hashPassword('hunter2hunter2');
    assert.notEqual(a, b);
    assert.match(a, /^scrypt\$32768\$8\$1\$/);
    assert.equal(await verifyPassword('hunter2hunter2', a), true);
    assert.equal(await verifyPassword('hunter2hunter3', a), false);
    assert.equal(await verifyPassword('hunter2hunter2', 'garbage'), false);
  });
});

describe('TokenService', () => {
  const tokens = new TokenService('k'.repeat(40), 60);
  const user = { id: '9b2f4a52-0d7c-4d1e-9a1b-6f7a0c1d2e3f', username: 'kid', role: 'student' as const };

  it('round-trips a principal', () => {
    assert.deepEqual(tokens.verify(tokens.issue(user)), { userId: user.id, username: 'kid', role: 'student' });
  });

  it('refuses a token signed with another secret, or the wrong role', () => {
    const other = new TokenService('z'.repeat(40), 60).issue(user);
    assert.throws(() => tokens.verify(other), (e: unknown) => e instanceof DomainError && e.code === 'UNAUTHENTICATED');
    assert.throws(() => tokens.verify(tokens.issue(user), ['parent']), (e: unknown) => e instanceof DomainError && e.code === 'WRONG_ROLE');
    assert.throws(() => tokens.verify(''), (e: unknown) => e instanceof DomainError && e.code === 'UNAUTHENTICATED');
  });

  it('refuses a secret shorter than 32 characters', () => {
    assert.throws(() => new TokenService('short', 60));
  });
});

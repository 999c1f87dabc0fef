import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { testArena, type TestArena } from '../helpers/arena';
import { api, parentWithChild, registerUser } from '../helpers/factories';

const SECRET = 'test-secret-test-secret-test-secret-0123456789';

function assertErrorShape(body: any, code: string) {
  assert.equal(typeof body?.error?.message, 'string', `no error message in ${JSON.stringify(body)}`);
  assert.equal(body.error.code, code);
}

describe('accounts over HTTP', () => {
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  describe('POST /auth/register', () => {
    it('creates a student with the contract user shape and a working token', async () => {
      const res = await api(t, 'POST', '/auth/register', { body: { username: 'mia_7', password: 'longenough', role: 'student', displayName: 'Mia' } });
      assert.equal(res.status, 201);
      assert.deepEqual(Object.keys(res.body).sort(), ['token', 'user']);
      const { user } = res.body;
      assert.equal(user.username, 'mia_7');
      assert.equal(user.displayName, 'Mia');
      assert.equal(user.role, 'student');
      assert.deepEqual({ level: user.level, xp: user.xp, coins: user.coins }, { level: 1, xp: 0, coins: 0 });
      assert.deepEqual(user.rating, { value: 1500, deviation: 350 });
      assert.deepEqual(user.stats, { battles: 0, wins: 0 });
      const me = await api(t, 'GET', '/me', { token: res.body.token });
      assert.equal(me.status, 200);
      assert.deepEqual(me.body, user);
    });

    it('refuses a taken username with 409 USERNAME_TAKEN and keeps the first account', async () => {
      await registerUser(t, { username: 'taken_name', password: 'first-password' });
      const res = await api(t, 'POST', '/auth/register', { body: { username: 'taken_name', password: 'second-password', role: 'parent' } });
      assert.equal(res.status, 409);
      assertErrorShape(res.body, 'USERNAME_TAKEN');
      const login = await api(t, 'POST', '/auth/login', { body: { username: 'taken_name', password: 'first-password' } });
      assert.equal(login.status, 200);
      assert.equal(login.body.user.role, 'student');
    });

    it('gives exactly one account when the same name registers concurrently', async () => {
      const attempts = await Promise.all([1, 2, 3].map(() => api(t, 'POST', '/auth/register', { body: { username: 'race_name', password: 'password123', role: 'student' } })));
      assert.deepEqual(attempts.map((a) => a.status).sort(), [201, 409, 409]);
    });

    const invalid: Array<[string, unknown]> = [
      ['short username', { username: 'ab', password: 'longenough', role: 'student' }],
      ['uppercase username', { username: 'Alice', password: 'longenough', role: 'student' }],
      ['long username', { username: 'a'.repeat(25), password: 'longenough', role: 'student' }],
      ['short password', { username: 'alice', password: 'short', role: 'student' }],
      ['unknown role', { username: 'alice', password: 'longenough', role: 'admin' }],
      ['missing role', { username: 'alice', password: 'longenough' }],
      ['extra field', { username: 'alice', password: 'longenough', role: 'student', isAdmin: true }],
      ['not an object', [1, 2, 3]],
      ['number username', { username: 12345, password: 'longenough', role: 'student' }],
    ];
    for (const [name, body] of invalid) {
      it(`answers 400 VALIDATION_FAILED for ${name}, storing nothing`, async () => {
        const res = await api(t, 'POST', '/auth/register', { body });
        assert.equal(res.status, 400);
        assertErrorShape(res.body, 'VALIDATION_FAILED');
        assert.ok(Array.isArray(res.body.error.details.fields) && res.body.error.details.fields.length > 0);
        const [{ count }] = await t.arena.database.dataSource.query('SELECT count(*)::int AS count FROM users');
        assert.equal(count, 0);
      });
    }

    it('answers 400 INVALID_JSON for a malformed body and 413 for an oversized one', async () => {
      const bad = await api(t, 'POST', '/auth/register', { body: '{"username": "x",' });
      assert.equal(bad.status, 400);
      assertErrorShape(bad.body, 'INVALID_JSON');
      const big = await api(t, 'POST', '/auth/register', { body: { username: 'bigbody', password: 'x'.repeat(40_000), role: 'student' } });
      assert.equal(big.status, 413);
      assertErrorShape(big.body, 'PAYLOAD_TOO_LARGE');
    });

    it('never stores the password in clear', async () => {
      await registerUser(t, { username: 'secretive', password: 'my secret words' });
      const [row] = await t.arena.database.dataSource.query(`SELECT password_hash FROM users WHERE username = 'secretive'`);
      assert.match(row.password_hash, /^scrypt\$/);
      assert.ok(!row.password_hash.includes('my secret words'));
    });
  });

  describe('POST /auth/login', () => {
    it('logs in with the right password and refuses a wrong one or an unknown user alike', async () => {
      await registerUser(t, { username: 'logan', password: 'right-password' });
      const ok = await api(t, 'POST', '/auth/login', { body: { username: 'logan', password: 'right-password' } });
      assert.equal(ok.status, 200);
      assert.equal(ok.body.user.username, 'logan');
      const wrong = await api(t, 'POST', '/auth/login', { body: { username: 'logan', password: 'wrong-password' } });
      assert.equal(wrong.status, 401);
      assertErrorShape(wrong.body, 'INVALID_CREDENTIALS');
      const unknown = await api(t, 'POST', '/auth/login', { body: { username: 'nobody_here', password: 'whatever1' } });
      assert.equal(unknown.status, 401);
      assertErrorShape(unknown.body, 'INVALID_CREDENTIALS');
    });

    it('rate limits brute force per username with 429 and Retry-After, even for the right password', async () => {
      await registerUser(t, { username: 'target', password: 'right-password' });
      for (let i = 0; i < 5; i++) {
        const res = await api(t, 'POST', '/auth/login', { body: { username: 'target', password: `guess-${i}-xx` } });
        assert.equal(res.status, 401);
      }
      const blocked = await api(t, 'POST', '/auth/login', { body: { username: 'target', password: 'right-password' } });
      assert.equal(blocked.status, 429);
      assertErrorShape(blocked.body, 'RATE_LIMITED');
      const retryAfter = Number(blocked.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
      // Another user from the same address is not locked out by someone else's failures.
      await registerUser(t, { username: 'bystander', password: 'right-password' });
      const other = await api(t, 'POST', '/auth/login', { body: { username: 'bystander', password: 'right-password' } });
      assert.equal(other.status, 200);
      // When the window has passed, the right password works again.
      t.clock.advance(15 * 60 * 1000 + 1000);
      const later = await api(t, 'POST', '/auth/login', { body: { username: 'target', password: 'right-password' } });
      assert.equal(later.status, 200);
    });

    it('rate limits one address trying many usernames', async () => {
      for (let i = 0; i < 20; i++) {
        const res = await api(t, 'POST', '/auth/login', { body: { username: `spray_${i}`, password: 'password1' } });
        assert.equal(res.status, 401);
      }
      const blocked = await api(t, 'POST', '/auth/login', { body: { username: 'spray_final', password: 'password1' } });
      assert.equal(blocked.status, 429);
      assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    });
  });

  describe('tokens', () => {
    it('refuses a missing, forged, expired or malformed token with 401', async () => {
      const { user } = await registerUser(t);
      const forged = jwt.sign({ username: user.username, role: 'student' }, 'another-secret-another-secret-another', { subject: user.id, issuer: 'quest-arena', audience: 'quest-arena-client', expiresIn: 600 });
      const expired = jwt.sign({ username: user.username, role: 'student', iat: Math.floor(Date.now() / 1000) - 7200 }, SECRET, { subject: user.id, issuer: 'quest-arena', audience: 'quest-arena-client', expiresIn: 60 });
      const noneAlg = jwt.sign({ username: user.username, role: 'student' }, '', { subject: user.id, issuer: 'quest-arena', audience: 'quest-arena-client', algorithm: 'none' });
      for (const [name, token, code] of [['missing', undefined, 'UNAUTHENTICATED'], ['forged', forged, 'UNAUTHENTICATED'], ['expired', expired, 'TOKEN_EXPIRED'], ['alg none', noneAlg, 'UNAUTHENTICATED'], ['garbage', 'not.a.token', 'UNAUTHENTICATED']] as const) {
        const res = await api(t, 'GET', '/me', { token });
        assert.equal(res.status, 401, name);
        assertErrorShape(res.body, code);
      }
    });

    it('refuses a token of the wrong role with 403', async () => {
      const student = await registerUser(t, { role: 'student' });
      const res = await api(t, 'GET', '/parent/children', { token: student.token });
      assert.equal(res.status, 403);
      assertErrorShape(res.body, 'WRONG_ROLE');
      const parent = await registerUser(t, { role: 'parent' });
      const codeRes = await api(t, 'POST', '/me/link-codes', { token: parent.token });
      assert.equal(codeRes.status, 403);
    });
  });

  describe('parents and children', () => {
    it('links a child with a one-time code and lists them', async () => {
      const { parent, child } = await parentWithChild(t);
      const list = await api(t, 'GET', '/parent/children', { token: parent.token });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body, [{ id: child.user.id, username: child.user.username, displayName: child.user.displayName, level: 1, xp: 0, rating: { value: 1500, deviation: 350 } }]);
      const one = await api(t, 'GET', `/parent/children/${child.user.id}`, { token: parent.token });
      assert.equal(one.status, 200);
      assert.equal(one.body.id, child.user.id);
    });

    it('spends a link code once: a second redemption is refused', async () => {
      const child = await registerUser(t);
      const first = await registerUser(t, { role: 'parent' });
      const second = await registerUser(t, { role: 'parent' });
      const { body: { code, expiresAt } } = await api(t, 'POST', '/me/link-codes', { token: child.token });
      assert.match(code, /^[A-HJ-KMNP-Z2-9]{8}$/);
      assert.ok(new Date(expiresAt).getTime() > Date.now());
      assert.equal((await api(t, 'POST', '/parent/children', { token: first.token, body: { code } })).status, 201);
      const again = await api(t, 'POST', '/parent/children', { token: second.token, body: { code } });
      assert.equal(again.status, 404);
      assertErrorShape(again.body, 'LINK_CODE_INVALID');
      assert.deepEqual((await api(t, 'GET', '/parent/children', { token: second.token })).body, []);
    });

    it('refuses a second link to the same child (409 ALREADY_LINKED): the new code stays unspent, no second notification', async () => {
      const { parent, child } = await parentWithChild(t);
      const { body: { code } } = await api(t, 'POST', '/me/link-codes', { token: child.token });
      const again = await api(t, 'POST', '/parent/children', { token: parent.token, body: { code } });
      assert.equal(again.status, 409);
      assertErrorShape(again.body, 'ALREADY_LINKED');
      const notes = await api(t, 'GET', '/me/notifications', { token: child.token });
      assert.deepEqual(notes.body.items.map((n: any) => n.kind), ['child_linked']);
      // Still good for another parent.
      const other = await registerUser(t, { role: 'parent' });
      assert.equal((await api(t, 'POST', '/parent/children', { token: other.token, body: { code: code.toLowerCase() } })).status, 201);
      assert.equal((await api(t, 'GET', '/me/notifications', { token: child.token })).body.items.length, 2);
    });

    it('lets exactly one of several parents redeeming the same code at once win', async () => {
      const child = await registerUser(t);
      const parents = await Promise.all(Array.from({ length: 4 }, () => registerUser(t, { role: 'parent' })));
      const { body: { code } } = await api(t, 'POST', '/me/link-codes', { token: child.token });
      const results = await Promise.all(parents.map((p) => api(t, 'POST', '/parent/children', { token: p.token, body: { code } })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 404, 404, 404]);
      const winner = parents[results.findIndex((r) => r.status === 201)];
      assert.deepEqual(results.find((r) => r.status === 201)!.body, { child: { id: child.user.id, username: child.user.username } });
      assert.equal((await api(t, 'GET', '/parent/children', { token: winner.token })).body.length, 1);
      assert.equal((await api(t, 'GET', '/me/notifications', { token: child.token })).body.items.length, 1);
    });

    it('refuses an expired link code', async () => {
      const child = await registerUser(t);
      const parent = await registerUser(t, { role: 'parent' });
      const { body: { code } } = await api(t, 'POST', '/me/link-codes', { token: child.token });
      t.clock.advance(15 * 60 * 1000 + 1);
      const res = await api(t, 'POST', '/parent/children', { token: parent.token, body: { code } });
      assert.equal(res.status, 404);
      assertErrorShape(res.body, 'LINK_CODE_INVALID');
    });

    it('lets a parent see only their own children', async () => {
      const a = await parentWithChild(t);
      const b = await parentWithChild(t);
      const list = await api(t, 'GET', '/parent/children', { token: a.parent.token });
      assert.deepEqual(list.body.map((c: any) => c.id), [a.child.user.id]);
      const peek = await api(t, 'GET', `/parent/children/${b.child.user.id}`, { token: a.parent.token });
      assert.equal(peek.status, 403);
      assertErrorShape(peek.body, 'FORBIDDEN');
    });

    it('validates the link body and the child id', async () => {
      const parent = await registerUser(t, { role: 'parent' });
      const bad = await api(t, 'POST', '/parent/children', { token: parent.token, body: { code: '!!' } });
      assert.equal(bad.status, 400);
      assertErrorShape(bad.body, 'VALIDATION_FAILED');
      const badId = await api(t, 'GET', '/parent/children/not-a-uuid', { token: parent.token });
      assert.equal(badId.status, 400);
    });

    it('tells the child their account was linked', async () => {
      const { child } = await parentWithChild(t);
      const res = await api(t, 'GET', '/me/notifications', { token: child.token });
      assert.equal(res.status, 200);
      assert.equal(res.body.items.length, 1);
      assert.equal(res.body.items[0].kind, 'child_linked');
    });
  });
});

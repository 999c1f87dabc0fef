import assert from 'node:assert/strict';
import { testArena, type TestArena } from '../helpers/arena';
import { api, registerUser } from '../helpers/factories';

describe('a student’s school grade', () => {
  let t: TestArena;
  beforeEach(async () => { t = await testArena(); });

  it('is taken at registration and shown in /me; null when not given', async () => {
    const fifth = await registerUser(t, { grade: 5 });
    assert.equal(fifth.user.grade, 5);
    assert.equal((await api(t, 'GET', '/me', { token: fifth.token })).body.grade, 5);
    assert.equal((await t.arena.services.accounts.me(fifth.user.id)).grade, 5);
    const none = await registerUser(t);
    assert.equal((await api(t, 'GET', '/me', { token: none.token })).body.grade, null);
  });

  it('must be an integer from 1 to 8, and only for students', async () => {
    const body = (extra: object) => ({ username: `g_${Math.random().toString(36).slice(2, 10)}`, password: 'long enough', role: 'student', ...extra });
    for (const grade of [0, 9, 2.5, '3', null]) {
      const res = await api(t, 'POST', '/auth/register', { body: body({ grade }) });
      assert.equal(res.status, 400, JSON.stringify(grade));
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.ok(res.body.error.details.fields.some((f: any) => f.path === 'grade'), JSON.stringify(res.body));
    }
    const parent = await api(t, 'POST', '/auth/register', { body: body({ role: 'parent', grade: 3 }) });
    assert.equal(parent.status, 400);
    assert.deepEqual(parent.body.error.details.fields, [{ path: 'grade', message: 'grade is only for student accounts' }]);
    assert.equal((await api(t, 'POST', '/auth/register', { body: body({ grade: 8 }) })).status, 201);
    assert.equal((await api(t, 'POST', '/auth/register', { body: body({ grade: 1 }) })).status, 201);
  });
});

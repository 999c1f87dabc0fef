import type { TestArena } from './arena';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small JSON client for the test server. `body` may be a string to send raw bytes. */
export async function api<T = any>(t: TestArena, method: string, path: string, opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try { parsed = text ? JSON.parse(text) : undefined; } catch { /* not JSON: keep the text */ }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

let seq = 0;

export interface TestUser {
  token: string;
  password: string;
  user: { id: string; username: string; role: string; displayName: string; grade: number | null; level: number; xp: number; coins: number };
}

/** Registers a user through the real endpoint (unique username unless given). */
export async function registerUser(t: TestArena, overrides: { username?: string; password?: string; role?: 'student' | 'parent'; displayName?: string; grade?: number } = {}): Promise<TestUser> {
  const username = overrides.username ?? `user_${process.pid % 10000}_${++seq}`;
  const password = overrides.password ?? 'correct horse battery';
  const res = await api(t, 'POST', '/auth/register', { body: { username, password, role: overrides.role ?? 'student', ...(overrides.displayName ? { displayName: overrides.displayName } : {}), ...(overrides.grade !== undefined ? { grade: overrides.grade } : {}) } });
  if (res.status !== 201) throw new Error(`register ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { token: res.body.token, user: res.body.user, password };
}

/** A parent with one linked child, linked through the real code flow. */
export async function parentWithChild(t: TestArena): Promise<{ parent: TestUser; child: TestUser }> {
  const parent = await registerUser(t, { role: 'parent' });
  const child = await registerUser(t, { role: 'student' });
  const code = await api(t, 'POST', '/me/link-codes', { token: child.token });
  const linked = await api(t, 'POST', '/parent/children', { token: parent.token, body: { code: code.body.code } });
  if (linked.status !== 201) throw new Error(`link failed: ${linked.status} ${JSON.stringify(linked.body)}`);
  return { parent, child };
}

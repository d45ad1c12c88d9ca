/** The loopback MLflow server's auth: basic or bearer, 401 without valid credentials, 403 for forbidden ones. */
export interface AuthOptions {
  auth?: { username: string; password: string } | { token: string };
  /** Users (basic) or tokens (bearer) that authenticate but may not read (403). */
  forbidden?: string[];
}

export function checkAuth(header: string, o: AuthOptions): { status: 200 | 401 | 403; code: string; message: string } {
  const a = o.auth;
  if (!a) return { status: 200, code: '', message: '' };
  let who: string | null = null;
  if ('token' in a) {
    const t = header.startsWith('Bearer ') ? header.slice(7) : null;
    if (t !== null && (t === a.token || o.forbidden?.includes(t))) who = t;
  } else if (header.startsWith('Basic ')) {
    const [u, p] = Buffer.from(header.slice(6), 'base64').toString().split(':');
    if (u !== undefined && p === a.password && (u === a.username || o.forbidden?.includes(u))) who = u;
  }
  if (who === null)
    return { status: 401, code: 'UNAUTHENTICATED', message: 'You are not authenticated. Please see the documentation for details.' };
  if (o.forbidden?.includes(who)) return { status: 403, code: 'PERMISSION_DENIED', message: `Permission denied for ${who}` };
  return { status: 200, code: '', message: '' };
}

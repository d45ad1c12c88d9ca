/**
 * The page's one way to the device API: every request carries the bearer token kept in the
 * browser's storage (asked for once), and every error body `{"error": {code, message}}` becomes an
 * ApiError with the device's stable code, so the page reacts to codes, never to message text.
 */
const TOKEN_KEY = 'gloves.token';
export const UNAUTHORIZED_EVENT = 'gloves:unauthorized';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function storedToken(): string {
  return localStorage.getItem(TOKEN_KEY) ?? '';
}

export function storeToken(token: string): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

function headers(extra: Record<string, string> = {}): Headers {
  const h = new Headers(extra);
  const token = storedToken();
  if (token) h.set('authorization', `Bearer ${token}`);
  return h;
}

async function fail(res: Response): Promise<never> {
  let code = `HTTP_${res.status}`;
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
  } catch {
    // Not JSON (a proxy's page, say): keep the status line.
  }
  // A refused token reopens the token form (TokenBar listens), wherever the call came from.
  if (code === 'HTTP_UNAUTHORIZED') window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  throw new ApiError(res.status, code, message);
}

export async function request<T>(method: string, path: string, body?: FormData | object): Promise<T> {
  const init: RequestInit = { method, headers: headers() };
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.headers = headers({ 'content-type': 'application/json' });
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (!res.ok) return fail(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** An image the API serves, as an object URL (an <img src> cannot send the token). */
export async function imageUrl(path: string): Promise<string> {
  const res = await fetch(path, { headers: headers(), cache: 'no-store' });
  if (!res.ok) return fail(res);
  return URL.createObjectURL(await res.blob());
}

export const get = <T>(path: string): Promise<T> => request<T>('GET', path);
export const post = <T>(path: string, body?: FormData | object): Promise<T> => request<T>('POST', path, body ?? {});
export const del = (path: string): Promise<void> => request<void>('DELETE', path);

/** What to tell the user about a failed call; token problems open the token form. */
export function describe(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.code === 'HTTP_NO_TOKEN') return 'This device has no API token set (http.token), so it refuses changes.';
    if (err.code === 'HTTP_UNAUTHORIZED') return 'The device refused the token: enter the right one above.';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

// api.js - every request to anasd goes through here, so that the token,
// the "daemon unreachable" banner and problem+json errors are handled once.

const TOKEN_KEY = 'anasd-token';
const listeners = new Set();

export class ApiError extends Error {
  // problem: the RFC 9457 body (status, code, detail, field...) or null.
  constructor(status, problem, message) {
    super(message || (problem && problem.detail) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

// The token lives in sessionStorage: it goes with the tab, not the browser.
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  if (token()) h.Authorization = `Bearer ${token()}`;
  return h;
}

// Connection state for the banner: 'ok', 'down' or 'auth'.
export function onState(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setState(s, detail) {
  for (const fn of listeners) fn(s, detail);
}

// A 401 waits for a token from the dialog, then the request is tried again.
let askToken = null;
export function setTokenAsker(fn) {
  askToken = fn;
}

export async function request(method, path, body) {
  for (let attempt = 0; ; attempt++) {
    let res;
    try {
      res = await fetch(path, {
        method,
        headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        body: body !== undefined ? (typeof body === 'string' ? body : JSON.stringify(body)) : undefined,
      });
    } catch (e) {
      setState('down', e.message);
      throw new ApiError(0, null, 'anasd is unreachable');
    }
    if (res.status === 401 && askToken && attempt < 3) {
      setState('auth');
      const problem = await res.json().catch(() => null);
      await askToken(token() ? 'That token was refused.' : '', problem);
      continue;
    }
    setState('ok');
    const type = res.headers.get('Content-Type') || '';
    const data = res.status === 204 ? null
      : type.includes('json') ? await res.json().catch(() => null) : await res.text();
    if (!res.ok) throw new ApiError(res.status, type.includes('problem+json') ? data : null);
    return data;
  }
}

export const get = (path) => request('GET', path);
export const post = (path, body) => request('POST', path, body);
export const del = (path) => request('DELETE', path);

// A download that carries the token: fetched as a blob, then saved.
export async function download(path, fallbackName) {
  let res;
  try {
    res = await fetch(path, { headers: headers() });
  } catch (e) {
    setState('down', e.message);
    throw new ApiError(0, null, 'anasd is unreachable');
  }
  if (!res.ok) {
    const problem = await res.json().catch(() => null);
    throw new ApiError(res.status, problem);
  }
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename="([^"]+)"/.exec(cd);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = m ? m[1] : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

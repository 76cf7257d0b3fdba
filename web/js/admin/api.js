// The admin REST API of this page's chat group (docs/PROTOCOL.md), with the bearer token the
// administrator signed in with. Errors reject with {code, message, status} from the server's
// {"error": {...}} body.
import { apiUrl } from '../base.js';

const TOKEN_KEY = 'parley.admin.token';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function api(method, path, body) {
  const headers = {};
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(apiUrl(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  let data = null;
  try {
    data = await res.json();
  } catch {
    // a non-JSON answer (a plain-text 405, say): reported below by status
  }
  if (!res.ok) {
    const e = data?.error ?? {};
    const err = new Error(e.message ?? `${res.status} ${res.statusText}`);
    err.code = e.code ?? `http_${res.status}`;
    err.status = res.status;
    throw err;
  }
  return data;
}

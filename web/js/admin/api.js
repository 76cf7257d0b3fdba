// The admin REST API of this page's chat group (docs/PROTOCOL.md), with the bearer token the
// administrator signed in with. Errors reject with {code, message, status} from the server's
// {"error": {...}} body.
import { apiUrl } from '../base.js';
import { showError } from '../ui/toast.js';

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

// Runs one of the page's actions: resolves to whether it worked. A failure is shown as a toast
// with the server's message, except a refused token, which signs the administrator out (the
// handler is set by admin.js).
let unauthorized = () => {};

export function onUnauthorized(fn) {
  unauthorized = fn;
}

export function run(promise) {
  return promise.then(() => true, (err) => {
    if (err.status === 401) unauthorized('Your token was not accepted; sign in again.');
    else showError(err);
    return false;
  });
}

// A mistake found before asking the server, shown like the server's own errors.
export function invalid(message) {
  const err = new Error(message);
  err.code = 'invalid';
  return err;
}

// Folder paths and user-group names as the server checks them (docs/OPERATIONS.md).
export const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,31}$/;
export const RIGHTS = ['none', 'read_only', 'moderated', 'participant', 'host'];
export const rightLabel = (right) => right.replace('_', ' ');
export const folderUrl = (path) => (path === '/' ? '' : path);
export const splitNames = (text) => text.split(/[,\r\n]+/).map((n) => n.trim()).filter(Boolean);

// Accounts in the web client: the guest / log in / register choice on the login card, the token
// kept in localStorage (sent in hello instead of a nickname), the "check your e-mail" banner with
// its code field for a provisional account, and logging out (docs/PROTOCOL.md, "Accounts").
import { $ } from './dom.js';
import { apiUrl, basePath } from '../base.js';

// Accounts belong to a chat group: one token per group (its path prefix).
const STORE_TOKEN = `parley.token:${basePath}`;
const STORE_ACCOUNT = `parley.account:${basePath}`;

// One call of the accounts REST API; resolves to the JSON answer or throws {code, message}.
async function api(method, what, body, token) {
  const headers = { 'Content-Type': 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  const res = await fetch(apiUrl(`api/v1/auth/${what}`), {
    method, headers, body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) throw json.error ?? { code: 'http', message: `HTTP ${res.status}` };
  return json;
}

export function createAccount(session, { act, onNotice }) {
  const mode = () => document.querySelector('input[name="mode"]:checked').value;
  const banner = $('#validate-banner');
  let token = localStorage.getItem(STORE_TOKEN);

  function render() {
    const signed = Boolean(token);
    $('#account-modes').hidden = signed;
    $('#account-signed').hidden = !signed;
    $('#account-who').textContent = localStorage.getItem(STORE_ACCOUNT) ?? '';
    $('#guest-fields').hidden = signed || mode() !== 'guest';
    $('#account-fields').hidden = signed || mode() === 'guest';
    $('#email-field').hidden = mode() !== 'register';
    $('#account-password').autocomplete = mode() === 'register' ? 'new-password' : 'current-password';
  }

  function forget() {
    token = null;
    localStorage.removeItem(STORE_TOKEN);
    localStorage.removeItem(STORE_ACCOUNT);
    render();
  }

  // The token to say hello with: the stored one, or a fresh one from logging in (or registering
  // and logging in). null for a guest. Throws the REST error for the login card to show.
  async function tokenForJoin() {
    if (token || mode() === 'guest') return token;
    const name = $('#account-name').value.trim();
    const password = $('#account-password').value;
    if (mode() === 'register') {
      await api('POST', 'register', { name, email: $('#account-email').value.trim(), password });
    }
    const res = await api('POST', 'login', { name, password });
    token = res.token;
    localStorage.setItem(STORE_TOKEN, token);
    localStorage.setItem(STORE_ACCOUNT, res.account.name);
    $('#account-password').value = '';
    render();
    return token;
  }

  // A stored token the server no longer knows: back to the choice.
  function joinFailed(err) {
    if (err.code === 'unauthorized') forget();
  }

  for (const radio of document.querySelectorAll('input[name="mode"]')) {
    radio.addEventListener('change', render);
  }
  $('#account-forget').addEventListener('click', forget);
  $('#logout-button').addEventListener('click', async () => {
    await api('POST', 'logout', null, token).catch(() => {});
    forget();
    location.reload();
  });
  banner.addEventListener('submit', (e) => {
    e.preventDefault();
    act(api('POST', 'validate', { code: $('#validate-code').value.trim() }, token)).then((ok) => {
      if (ok) onNotice('Your account is validated.');
    });
  });
  $('#validate-resend').addEventListener('click', () => {
    act(api('POST', 'resend', null, token)).then((ok) => ok && onNotice('A new mail is on its way.'));
  });
  session.on('self', () => {
    banner.hidden = session.accountClass !== 'provisional';
    $('#logout-button').hidden = !session.token;
  });
  render();
  return { tokenForJoin, joinFailed };
}

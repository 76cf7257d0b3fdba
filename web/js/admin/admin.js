// The administration page: sign in with the admin token or as the group's sysop, then manage this
// chat group's folders and rooms, access lists, user groups, bans, guest settings, moderated word
// list and banned e-mail list, its live status, and (in the default group, with the admin token) the chat groups
// themselves. Each panel is its own module; this one signs in and out and switches between them.
import { basePath } from '../base.js';
import { $ } from '../ui/dom.js';
import { showError } from '../ui/toast.js';
import { api, onUnauthorized, run, setToken, token } from './api.js';
import { loadTree } from './folders.js';
import './acl.js';
import { loadUserGroups } from './usergroups.js';
import { loadBans } from './bans.js';
import { loadSettings } from './settings.js';
import { loadWords } from './words.js';
import { loadBanned } from './banned.js';
import { loadGroups } from './groups.js';
import { loadEvents } from './events.js';
import { startStatus, stopStatus } from './status.js';

const groupName = basePath === '/' ? 'default' : basePath.split('/')[2];

// ---- signing in ----

function signedOut(message) {
  stopStatus();
  setToken(null);
  $('#admin-panels').hidden = true;
  $('#admin-signout').hidden = true;
  $('#admin-signin').hidden = false;
  const box = $('#signin-error');
  box.hidden = !message;
  box.textContent = message ?? '';
}
onUnauthorized(signedOut);

async function signedIn() {
  // check the token on an admin resource first
  try {
    await api('GET', 'api/v1/admin/words');
  } catch (err) {
    signedOut(err.status === 401 || err.status === 403 ? err.message : `Cannot reach the server: ${err.message}`);
    return;
  }
  $('#admin-signin').hidden = true;
  $('#admin-signout').hidden = false;
  $('#admin-panels').hidden = false;
  await Promise.all([loadTree(), loadUserGroups(), loadBans(), loadSettings(), loadWords(), loadBanned(), loadGroups(groupName), loadEvents()]
    .map((p) => run(p)));
}

$('#signin-form').addEventListener('submit', (e) => {
  e.preventDefault();
  setToken($('#signin-token').value.trim());
  $('#signin-token').value = '';
  signedIn();
});
$('#admin-signout').addEventListener('click', () => signedOut());

// A sysop signs in with name and password; the session token then serves as the admin token. A
// one-time password (the first start's) must be changed first.
let sysopPassword = null;
$('#sysop-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const name = $('#sysop-name').value.trim();
  const password = $('#sysop-password').value;
  try {
    const res = await api('POST', 'api/v1/auth/login', { name, password });
    if (!res.account.sysop) throw new Error(`${res.account.name} is not a sysop of this group.`);
    setToken(res.token);
    $('#sysop-password').value = '';
    if (res.account.must_change_password) {
      sysopPassword = password;
      $('#sysop-form').hidden = true;
      $('#sysop-change').hidden = false;
      return;
    }
    signedIn();
  } catch (err) {
    signedOut(err.message);
  }
});
$('#sysop-change').addEventListener('submit', async (e) => {
  e.preventDefault();
  try {
    await api('POST', 'api/v1/auth/password', { old: sysopPassword, new: $('#sysop-new').value });
    sysopPassword = null;
    $('#sysop-new').value = '';
    $('#sysop-change').hidden = true;
    $('#sysop-form').hidden = false;
    signedIn();
  } catch (err) {
    showError(err);
  }
});

// ---- tabs ----

// Opening a panel shows it fresh where others change things too (people come and go, hosts ban).
const REFRESH = { folders: loadTree, acl: loadTree, bans: loadBans, usergroups: loadUserGroups, settings: loadSettings, events: loadEvents };

for (const tab of document.querySelectorAll('.admin-tabs button')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('.admin-tabs button')) {
      t.classList.toggle('active', t === tab);
      t.setAttribute('aria-selected', String(t === tab));
    }
    for (const p of document.querySelectorAll('#admin-panels section[data-panel]')) {
      p.hidden = p.dataset.panel !== tab.dataset.panel;
    }
    const refresh = REFRESH[tab.dataset.panel];
    if (refresh) run(refresh());
    if (tab.dataset.panel === 'status') startStatus();
    else stopStatus();
  });
}

// ---- start ----

$('#admin-group').textContent = `Group: ${groupName}`;
if (token()) signedIn();
else signedOut();

// The administration page: sign in with the admin token or as the group's sysop, then manage this
// chat group's rooms, moderated word list and banned e-mail list and (in the default group, with
// the admin token) the chat groups themselves.
import { basePath } from '../base.js';
import { $, el, plural } from '../ui/dom.js';
import { showError, showNotice } from '../ui/toast.js';
import { api, setToken, token } from './api.js';

const groupName = basePath === '/' ? 'default' : basePath.split('/')[2];

function run(promise) {
  return promise.then(() => true, (err) => {
    if (err.status === 401) signedOut('Your token was not accepted; sign in again.');
    else showError(err);
    return false;
  });
}

// ---- signing in ----

function signedOut(message) {
  setToken(null);
  $('#admin-panels').hidden = true;
  $('#admin-signout').hidden = true;
  $('#admin-signin').hidden = false;
  const box = $('#signin-error');
  box.hidden = !message;
  box.textContent = message ?? '';
}

async function signedIn() {
  // the rooms list needs no token, so check the token on an admin resource first
  try {
    await api('GET', 'api/v1/admin/words');
  } catch (err) {
    signedOut(err.status === 401 || err.status === 403 ? err.message : `Cannot reach the server: ${err.message}`);
    return;
  }
  $('#admin-signin').hidden = true;
  $('#admin-signout').hidden = false;
  $('#admin-panels').hidden = false;
  await Promise.all([loadRooms(), loadWords(), loadBanned(), loadGroups()]);
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

for (const tab of document.querySelectorAll('.admin-tabs button')) {
  tab.addEventListener('click', () => {
    for (const t of document.querySelectorAll('.admin-tabs button')) t.classList.toggle('active', t === tab);
    for (const p of document.querySelectorAll('#admin-panels section[data-panel]')) {
      p.hidden = p.dataset.panel !== tab.dataset.panel;
    }
  });
}

// ---- rooms ----

async function loadRooms() {
  const { rooms } = await api('GET', 'api/v1/rooms');
  $('#rooms-body').replaceChildren(...rooms.map((r) => el('tr', { dataset: { room: r.name } },
    el('td', {}, el('code', { text: r.name })),
    el('td', { text: r.title }),
    el('td', { text: r.topic }),
    el('td', { text: String(r.capacity) }),
    el('td', { text: plural(r.users, 'person', 'people') }),
    el('td', { text: r.moderated ? 'yes' : '' }))));
}

$('#room-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const body = { name: f.name.value.trim(), moderated: f.moderated.checked };
  if (f.title.value.trim()) body.title = f.title.value.trim();
  if (f.topic.value.trim()) body.topic = f.topic.value.trim();
  if (f.capacity.value) body.capacity = Number(f.capacity.value);
  if (await run(api('POST', 'api/v1/rooms', body))) {
    showNotice(`Room ${body.name} created`);
    f.reset();
    await run(loadRooms());
  }
});

// ---- word list ----

async function loadWords() {
  const { words, source } = await api('GET', 'api/v1/admin/words');
  $('#words-text').value = words.join('\n');
  $('#words-source').textContent = source === 'admin'
    ? 'This group has its own list.'
    : "This group uses the configuration file's list.";
  $('#words-source').dataset.source = source;
}

$('#words-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const words = $('#words-text').value.split('\n').map((w) => w.trim()).filter(Boolean);
  if (await run(api('PUT', 'api/v1/admin/words', { words }))) {
    showNotice(`Word list saved (${plural(words.length, 'entry', 'entries')})`);
    await run(loadWords());
  }
});

$('#words-reset').addEventListener('click', async () => {
  if (await run(api('DELETE', 'api/v1/admin/words'))) {
    showNotice("Back to the configuration's word list");
    await run(loadWords());
  }
});

// ---- banned e-mail ----

async function loadBanned() {
  const { banned } = await api('GET', 'api/v1/admin/banned');
  $('#banned-list').replaceChildren(...banned.map((p) => el('li', { dataset: { pattern: p } },
    el('code', { text: p }),
    el('button', { type: 'button', class: 'danger', onclick: () => unban(p) }, 'Remove'))));
}

async function unban(pattern) {
  if (await run(api('DELETE', 'api/v1/admin/banned', { pattern }))) {
    showNotice(`${pattern} may register again`);
    await run(loadBanned());
  }
}

$('#banned-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const pattern = e.target.pattern.value.trim();
  if (await run(api('POST', 'api/v1/admin/banned', { pattern }))) {
    showNotice(`${pattern} banned`);
    e.target.reset();
    await run(loadBanned());
  }
});

// ---- chat groups (managed from the default group only) ----

const splitHosts = (text) => text.split(/[\s,]+/).map((h) => h.trim()).filter(Boolean);

async function loadGroups() {
  if (groupName !== 'default') {
    $('#tab-groups').hidden = true;
    return;
  }
  let groups;
  try {
    ({ groups } = await api('GET', 'api/v1/admin/groups'));
  } catch (err) {
    // A sysop (signed in already, so the token works): chat groups are the admin token's.
    if (err.status !== 401 && err.status !== 403) throw err;
    $('#tab-groups').hidden = true;
    return;
  }
  $('#groups-body').replaceChildren(...groups.map((g) => {
    const hosts = el('input', { value: g.hosts.join(', '), 'aria-label': `hosts of ${g.name}`, disabled: g.from_config });
    const actions = g.from_config
      ? el('td', { class: 'muted', text: 'configuration file' })
      : el('td', {},
        el('button', {
          type: 'button', class: 'group-save',
          onclick: () => saveGroup(g.name, splitHosts(hosts.value)),
        }, 'Save hosts'),
        el('button', { type: 'button', class: 'group-delete danger', onclick: () => deleteGroup(g.name) }, 'Delete'));
    return el('tr', { dataset: { group: g.name } },
      el('td', {}, el('a', { href: `/g/${g.name}/admin.html`, text: g.name })),
      el('td', { text: g.title }),
      el('td', {}, hosts),
      el('td', { text: String(g.rooms) }),
      el('td', { text: String(g.sessions) }),
      actions);
  }));
}

async function saveGroup(name, hosts) {
  if (await run(api('PATCH', `api/v1/admin/groups/${name}`, { hosts }))) {
    showNotice(`Hosts of ${name} saved`);
    await run(loadGroups());
  }
}

async function deleteGroup(name) {
  if (!confirm(`Delete the chat group ${name}? Its data stays on disk.`)) return;
  if (await run(api('DELETE', `api/v1/admin/groups/${name}`))) {
    showNotice(`Group ${name} deleted`);
    await run(loadGroups());
  }
}

$('#group-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const body = { name: f.name.value.trim(), hosts: splitHosts(f.hosts.value) };
  if (f.title.value.trim()) body.title = f.title.value.trim();
  if (await run(api('POST', 'api/v1/admin/groups', body))) {
    showNotice(`Group ${body.name} created`);
    f.reset();
    await run(loadGroups());
  }
});

// ---- start ----

$('#admin-group').textContent = `Group: ${groupName}`;
if (token()) signedIn();
else signedOut();

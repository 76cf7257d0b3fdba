// The "Chat groups" panel, in the default group only (its sysops and the admin token manage chat
// groups): list, create, change the hosts of and delete chat groups.
import { $, el } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { api, run } from './api.js';

const splitHosts = (text) => text.split(/[\s,]+/).map((h) => h.trim()).filter(Boolean);

export async function loadGroups(groupName) {
  if (groupName !== 'default') {
    $('#tab-groups').hidden = true;
    return;
  }
  let groups;
  try {
    ({ groups } = await api('GET', 'api/v1/admin/groups'));
  } catch (err) {
    // not allowed here (the API answers 401/403): no panel
    if (err.status !== 401 && err.status !== 403) throw err;
    $('#tab-groups').hidden = true;
    return;
  }
  $('#tab-groups').hidden = false;
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
    await run(loadGroups('default'));
  }
}

async function deleteGroup(name) {
  if (!confirm(`Delete the chat group ${name}? Its data stays on disk.`)) return;
  if (await run(api('DELETE', `api/v1/admin/groups/${name}`))) {
    showNotice(`Group ${name} deleted`);
    await run(loadGroups('default'));
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
    await run(loadGroups('default'));
  }
});

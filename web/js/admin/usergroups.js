// The "User groups" panel: named sets of accounts that access lists can name (who "group"). List
// them, create or replace one's members (PUT /api/v1/admin/user-groups/NAME), delete one.
import { $, el, plural } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { NAME_RE, api, invalid, run, splitNames } from './api.js';

export async function loadUserGroups() {
  const { groups } = await api('GET', 'api/v1/admin/user-groups');
  $('#usergroups-body').replaceChildren(...groups.map((g) => el('tr', { dataset: { userGroup: g.name } },
    el('td', {}, el('code', { text: g.name })),
    el('td', { class: 'members' }, g.members.length ? g.members.join(', ') : el('span', { class: 'muted', text: 'nobody' })),
    el('td', { class: 'muted', text: plural(g.members.length, 'account', 'accounts') }),
    el('td', { class: 'row-actions' },
      el('button', { type: 'button', class: 'usergroup-edit', onclick: () => edit(g) }, 'Edit'),
      el('button', { type: 'button', class: 'danger usergroup-delete', onclick: () => remove(g.name) }, 'Delete')))));
  $('#usergroups-empty').hidden = groups.length > 0;
}

const reload = () => run(loadUserGroups());

function edit(group) {
  const f = $('#usergroup-form');
  f.name.value = group.name;
  f.members.value = group.members.join('\n');
  f.members.focus();
}

async function remove(name) {
  if (!confirm(`Delete the user group ${name}? Access list entries naming it stop matching anyone.`)) return;
  if (await run(api('DELETE', `api/v1/admin/user-groups/${name}`))) {
    showNotice(`User group ${name} deleted`);
    await reload();
  }
}

$('#usergroup-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const name = f.name.value.trim();
  const members = [...new Set(splitNames(f.members.value))];
  if (!NAME_RE.test(name)) {
    run(Promise.reject(invalid('A user group name is 1 to 32 of a-z, 0-9, "-" and "_", starting with a letter or digit')));
    return;
  }
  if (await run(api('PUT', `api/v1/admin/user-groups/${name}`, { members }))) {
    showNotice(`User group ${name} saved (${plural(members.length, 'member', 'members')})`);
    f.reset();
    await reload();
  }
});

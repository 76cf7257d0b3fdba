// The "Access lists" panel: pick a folder, a room or one of a room's tables, see whether it has an
// access list of its own or inherits one (and from where: the page asks up the chain, table → room →
// folder → parent folders, the way the server decides), edit the entries and save the list (PUT
// /api/v1/admin/acl/OBJECT) or remove it so that the object inherits again.
import { $, el } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { RIGHTS, api, folderUrl, invalid, rightLabel, run } from './api.js';
import { flatten, onTree } from './folders.js';

const WHO = [
  ['user', 'user (account)'],
  ['group', 'user group'],
  ['registered', 'registered accounts'],
  ['guests', 'guests'],
];
const named = (who) => who === 'user' || who === 'group';

let tree = null;
let entries = []; // the rows being edited: {who, name, right}
let dirty = false; // edited since loaded: a tree refresh keeps the rows
let loading = 0; // the newest load wins

const picker = $('#acl-object');
const tableInput = $('#acl-table');

// The object chosen: {kind: 'folder', path} or {kind: 'room', name, folder, table}.
function chosen() {
  const [kind, key] = (picker.value || 'folder:/').split(/:(.*)/s);
  if (kind === 'folder') return { kind, path: key };
  const room = flatten(tree).flatMap((f) => f.rooms).find((r) => r.name === key);
  const table = Number.parseInt(tableInput.value, 10);
  return { kind, name: key, folder: room?.folder ?? '/', table: table > 0 ? table : null };
}

function url(obj) {
  if (obj.kind === 'folder') return `api/v1/admin/acl/folder${folderUrl(obj.path)}`;
  return `api/v1/admin/acl/room/${obj.name}${obj.table ? `/table/${obj.table}` : ''}`;
}

function describe(obj) {
  if (obj.kind === 'folder') return `folder ${obj.path}`;
  return obj.table ? `table ${obj.table} of room ${obj.name}` : `room ${obj.name}`;
}

const parent = (path) => path.replace(/\/[^/]*$/, '') || '/';

// What the object inherits from when it has no list, nearest first.
function chain(obj) {
  const up = [];
  if (obj.kind === 'room') {
    if (obj.table) up.push({ kind: 'room', name: obj.name, table: null });
    up.push({ kind: 'folder', path: obj.folder });
  } else if (obj.path !== '/') {
    up.push({ kind: 'folder', path: parent(obj.path) });
  }
  while (up.length && up.at(-1).kind === 'folder' && up.at(-1).path !== '/') {
    up.push({ kind: 'folder', path: parent(up.at(-1).path) });
  }
  return up;
}

const capital = (text) => text[0].toUpperCase() + text.slice(1);

const summary = (acl) => acl.map((e) => `${e.name ? `${e.who} ${e.name}` : e.who}: ${rightLabel(e.right)}`).join(', ');

async function load() {
  const mine = ++loading;
  const obj = chosen();
  const status = $('#acl-status');
  const { acl } = await api('GET', url(obj));
  let from = null;
  let inherited = null;
  if (acl === null) {
    for (const up of chain(obj)) {
      const res = await api('GET', url(up));
      if (res.acl !== null) {
        from = up;
        inherited = res.acl;
        break;
      }
    }
  }
  if (mine !== loading) return;
  status.dataset.state = acl === null ? 'inherits' : 'own';
  status.dataset.from = from ? url(from).replace('api/v1/admin/acl/', '') : '';
  status.replaceChildren(
    el('strong', { text: describe(obj) }),
    acl !== null ? ' has its own access list.'
      : from ? ` has no list of its own: it inherits the list of ${describe(from)}.`
        : ' has no list of its own, and none above it: the server\'s [access] defaults apply.');
  $('#acl-inherited').textContent = inherited ? `Inherited: ${summary(inherited) || 'nobody'}.` : '';
  $('#acl-inherited').hidden = !inherited;
  $('#acl-remove').disabled = acl === null;
  entries = (acl ?? []).map((e) => ({ who: e.who, name: e.name ?? '', right: e.right }));
  dirty = false;
  render();
}

const reload = () => run(load());

function select(options, value, props) {
  return el('select', props, ...options.map(([v, label]) =>
    el('option', { value: v, selected: v === value, text: label })));
}

function render() {
  $('#acl-body').replaceChildren(...entries.map((entry, i) => {
    const change = (key) => (e) => {
      entry[key] = e.target.value;
      dirty = true;
      if (key === 'who') render();
    };
    return el('tr', { class: 'acl-row', dataset: { index: String(i) } },
      el('td', {}, select(WHO, entry.who, { name: 'who', 'aria-label': 'who', onchange: change('who') })),
      el('td', {}, named(entry.who)
        ? el('input', {
          name: 'name', value: entry.name, spellcheck: 'false', 'aria-label': 'name',
          placeholder: entry.who === 'user' ? 'account name' : 'user group', oninput: change('name'),
        })
        : el('span', { class: 'muted', text: entry.who === 'guests' ? 'people without a validated account' : 'accounts with a validated e-mail' })),
      el('td', {}, select(RIGHTS.map((r) => [r, rightLabel(r)]), entry.right,
        { name: 'right', 'aria-label': 'right', onchange: change('right') })),
      el('td', { class: 'row-actions' }, el('button', {
        type: 'button', class: 'danger acl-delete', onclick: () => {
          entries.splice(i, 1);
          dirty = true;
          render();
        },
      }, 'Remove')));
  }));
  $('#acl-empty').hidden = entries.length > 0;
}

function check() {
  const seen = new Set();
  for (const e of entries) {
    if (named(e.who) && !e.name.trim()) return `Each ${e.who === 'user' ? 'user' : 'user group'} entry needs a name`;
    const key = named(e.who) ? `${e.who}:${e.name.trim().toLowerCase()}` : e.who;
    if (seen.has(key)) return `${named(e.who) ? `${e.who} ${e.name.trim()}` : e.who} is listed twice`;
    seen.add(key);
  }
  return entries.length > 256 ? 'At most 256 entries' : null;
}

$('#acl-add').addEventListener('click', () => {
  entries.push({ who: 'user', name: '', right: 'participant' });
  dirty = true;
  render();
  $('#acl-body tr:last-child input, #acl-body tr:last-child select')?.focus();
});

$('#acl-save').addEventListener('click', async () => {
  const problem = check();
  if (problem) {
    run(Promise.reject(invalid(problem)));
    return;
  }
  const obj = chosen();
  const acl = entries.map((e) => (named(e.who)
    ? { who: e.who, name: e.name.trim(), right: e.right } : { who: e.who, right: e.right }));
  if (await run(api('PUT', url(obj), { acl }))) {
    showNotice(acl.length ? `Access list of ${describe(obj)} saved` : `${capital(describe(obj))} inherits again`);
    await reload();
  }
});

$('#acl-remove').addEventListener('click', async () => {
  const obj = chosen();
  if (!confirm(`Remove the access list of ${describe(obj)}? It then inherits again.`)) return;
  if (await run(api('PUT', url(obj), { acl: null }))) {
    showNotice(`${capital(describe(obj))} inherits again`);
    await reload();
  }
});

picker.addEventListener('change', () => {
  tableInput.disabled = !picker.value.startsWith('room:');
  if (tableInput.disabled) tableInput.value = '';
  reload();
});
tableInput.addEventListener('change', () => {
  const n = Number(tableInput.value);
  if (tableInput.value && !(Number.isInteger(n) && n >= 1 && n <= 10000)) {
    run(Promise.reject(invalid('A table number is a whole number from 1 to 10,000')));
    return;
  }
  reload();
});

// The choice of objects follows the tree; the rows are reloaded unless they hold unsaved edits.
onTree((t) => {
  tree = t;
  const keep = picker.value;
  const folders = flatten(t);
  picker.replaceChildren(
    el('optgroup', { label: 'Folders' }, ...folders.map((f) =>
      el('option', { value: `folder:${f.path}`, text: `folder ${f.path}` }))),
    el('optgroup', { label: 'Rooms' }, ...folders.flatMap((f) => f.rooms).sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => el('option', { value: `room:${r.name}`, text: `room ${r.name} (${r.folder})` }))));
  picker.value = [...picker.options].some((o) => o.value === keep) ? keep : 'folder:/';
  tableInput.disabled = !picker.value.startsWith('room:');
  if (!dirty || picker.value !== keep) reload();
});
$('#acl-pick').addEventListener('submit', (e) => e.preventDefault());

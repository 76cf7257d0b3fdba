// The "Folders and rooms" panel: the group's folder tree with its rooms (GET
// /api/v1/admin/folders); folders are created, renamed or moved, and deleted when empty; rooms are
// created in a folder, edited (title, topic, capacity, moderated, folder) and deleted when empty.
// Other panels (access lists) follow the tree through onTree().
import { $, el, plural } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { api, folderUrl, invalid, run } from './api.js';

const PATH_RE = /^(\/[a-z0-9][a-z0-9_-]{0,31})+$/;

let tree = null; // {path, rooms, folders} as the server sent it
let editing = null; // {room: NAME} or {folder: PATH}: the row shown as a form
const listeners = [];

export function onTree(fn) {
  listeners.push(fn);
  if (tree) fn(tree);
}

// Every folder of the tree, parents before children: [{path, depth, rooms, folders}].
export function flatten(node, depth = 0, out = []) {
  out.push({ ...node, depth });
  for (const child of node.folders) flatten(child, depth + 1, out);
  return out;
}

export async function loadTree() {
  ({ folder: tree } = await api('GET', 'api/v1/admin/folders'));
  render();
  for (const fn of listeners) fn(tree);
}

const reload = () => run(loadTree());

function folderSelect(selected, props = {}) {
  return el('select', props, ...flatten(tree).map((f) =>
    el('option', { value: f.path, selected: f.path === selected, text: f.path })));
}

function actions(...buttons) {
  return el('td', { class: 'row-actions' }, ...buttons);
}

function button(text, cls, onclick, extra = {}) {
  return el('button', { type: 'button', class: cls, onclick, ...extra }, text);
}

function indent(depth, ...children) {
  return el('td', { class: 'tree-name', style: `padding-left: ${8 + depth * 20}px` }, ...children);
}

// ---- folders ----

function folderRow(f) {
  const empty = f.rooms.length === 0 && f.folders.length === 0;
  const root = f.path === '/';
  const what = [plural(f.rooms.length, 'room', 'rooms'),
    f.folders.length ? plural(f.folders.length, 'folder', 'folders') : null].filter(Boolean).join(', ');
  if (editing?.folder === f.path) {
    const input = el('input', { name: 'path', value: f.path, 'aria-label': `new path of ${f.path}`, spellcheck: 'false' });
    const save = () => renameFolder(f.path, input.value.trim());
    input.addEventListener('keydown', (e) => e.key === 'Enter' && save());
    return el('tr', { class: 'folder-row editing', dataset: { folder: f.path } },
      indent(f.depth, el('span', { class: 'folder-icon' }), input),
      el('td', { colspan: 5, class: 'muted', text: 'Rename or move: the rooms and folders inside go along.' }),
      actions(button('Save', 'primary folder-save', save), button('Cancel', 'folder-cancel', cancel)));
  }
  return el('tr', { class: 'folder-row', dataset: { folder: f.path } },
    indent(f.depth, el('span', { class: 'folder-icon' }), el('span', { class: 'folder-path', text: f.path })),
    el('td', { colspan: 5, class: 'muted', text: what }),
    actions(
      button('New room', 'folder-new-room', () => newRoomIn(f.path), { title: `Create a room in ${f.path}` }),
      root ? null : button('Rename', 'folder-rename', () => edit({ folder: f.path })),
      root ? null : button('Delete', 'danger folder-delete', () => deleteFolder(f.path), {
        disabled: !empty, title: empty ? `Delete ${f.path}` : 'Only an empty folder can be deleted',
      })));
}

async function renameFolder(from, to) {
  if (to === from) return cancel();
  if (!PATH_RE.test(to)) return run(Promise.reject(invalid(`${to || 'An empty path'} is not a folder path like /events/2026`)));
  if (await run(api('PATCH', `api/v1/admin/folders${from}`, { path: to }))) {
    showNotice(`Folder ${from} is now ${to}`);
    editing = null;
    await reload();
  }
}

async function deleteFolder(path) {
  if (!confirm(`Delete the folder ${path}?`)) return;
  if (await run(api('DELETE', `api/v1/admin/folders${folderUrl(path)}`))) {
    showNotice(`Folder ${path} deleted`);
    await reload();
  }
}

$('#folder-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const path = e.target.path.value.trim();
  if (!PATH_RE.test(path)) {
    run(Promise.reject(invalid(`${path} is not a folder path like /events/2026 (a-z, 0-9, "-" and "_")`)));
    return;
  }
  if (await run(api('POST', 'api/v1/admin/folders', { path }))) {
    showNotice(`Folder ${path} created`);
    e.target.reset();
    await reload();
  }
});

// ---- rooms ----

function roomRow(room, depth) {
  if (editing?.room === room.name) return roomEditor(room, depth);
  return el('tr', { class: 'room-row', dataset: { room: room.name } },
    indent(depth, el('code', { text: room.name })),
    el('td', { text: room.title }),
    el('td', { class: 'topic', text: room.topic }),
    el('td', { text: String(room.capacity) }),
    el('td', { text: plural(room.users, 'person', 'people') }),
    el('td', { text: room.moderated ? 'yes' : '' }),
    actions(
      button('Edit', 'room-edit', () => edit({ room: room.name })),
      button('Delete', 'danger room-delete', () => deleteRoom(room.name), {
        title: 'Delete the room with its history; only when nobody is in it',
      })));
}

function roomEditor(room, depth) {
  const title = el('input', { name: 'title', value: room.title, required: true, 'aria-label': 'title' });
  const topic = el('input', { name: 'topic', value: room.topic, 'aria-label': 'topic' });
  const capacity = el('input', {
    name: 'capacity', type: 'number', min: 1, max: 10000, value: room.capacity, 'aria-label': 'capacity',
  });
  const moderated = el('input', { name: 'moderated', type: 'checkbox', checked: room.moderated, 'aria-label': 'moderated' });
  const folder = folderSelect(room.folder, { name: 'folder', 'aria-label': 'folder' });
  const save = () => saveRoom(room.name, {
    title: title.value.trim(), topic: topic.value.trim(), capacity: Number(capacity.value),
    moderated: moderated.checked, folder: folder.value,
  });
  return el('tr', { class: 'room-row editing', dataset: { room: room.name } },
    indent(depth, el('code', { text: room.name }), el('label', { class: 'inline-label' }, 'in ', folder)),
    el('td', {}, title), el('td', {}, topic), el('td', {}, capacity),
    el('td', { text: plural(room.users, 'person', 'people') }),
    el('td', {}, moderated),
    actions(button('Save', 'primary room-save', save), button('Cancel', 'room-cancel', cancel)));
}

async function saveRoom(name, body) {
  if (!body.title) return run(Promise.reject(invalid('A room needs a title')));
  if (!Number.isInteger(body.capacity) || body.capacity < 1 || body.capacity > 10000) {
    return run(Promise.reject(invalid('The capacity is a whole number from 1 to 10,000')));
  }
  if (await run(api('PATCH', `api/v1/admin/rooms/${name}`, body))) {
    showNotice(`Room ${name} saved`);
    editing = null;
    await reload();
  }
  return undefined;
}

async function deleteRoom(name) {
  if (!confirm(`Delete the room ${name} with its history, access lists and bans?`)) return;
  if (await run(api('DELETE', `api/v1/admin/rooms/${name}`))) {
    showNotice(`Room ${name} deleted`);
    await reload();
  }
}

function newRoomIn(path) {
  $('#room-form select[name="folder"]').value = path;
  $('#room-form input[name="name"]').focus();
}

$('#room-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target;
  const body = { name: f.name.value.trim(), moderated: f.moderated.checked, folder: f.folder.value };
  if (f.title.value.trim()) body.title = f.title.value.trim();
  if (f.topic.value.trim()) body.topic = f.topic.value.trim();
  if (f.capacity.value) body.capacity = Number(f.capacity.value);
  if (await run(api('POST', 'api/v1/admin/rooms', body))) {
    showNotice(`Room ${body.name} created in ${body.folder}`);
    f.reset();
    await reload();
  }
});

// ---- the tree ----

function edit(what) {
  editing = what;
  render();
  $('#tree-body tr.editing input:not([type="checkbox"])')?.focus();
}

function cancel() {
  editing = null;
  render();
}

function render() {
  const rows = [];
  for (const f of flatten(tree)) {
    rows.push(folderRow(f));
    for (const room of f.rooms) rows.push(roomRow(room, f.depth + 1));
  }
  $('#tree-body').replaceChildren(...rows);
  const select = $('#room-form select[name="folder"]');
  const keep = select.value || '/';
  select.replaceChildren(...folderSelect(keep).children);
  select.value = [...select.options].some((o) => o.value === keep) ? keep : '/';
}

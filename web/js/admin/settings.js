// The "Guests" panel: the group's access settings (GET/PATCH /api/v1/admin/settings): whether
// guests may chat at all, and the rights of registered accounts and of guests where no access list
// applies. Each is the configuration's ([access]) until this group sets its own; "Use the
// configuration's" sends null for it.
import { $, el } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { RIGHTS, api, rightLabel, run } from './api.js';

const KEYS = ['allow_guests', 'registered', 'guests'];
let loaded = null;

const field = (key) => $(`#settings-form [name="${key}"]`);
const valueOf = (key) => (key === 'allow_guests' ? field(key).checked : field(key).value);

export async function loadSettings() {
  loaded = await api('GET', 'api/v1/admin/settings');
  for (const key of KEYS) {
    if (key === 'allow_guests') field(key).checked = loaded.allow_guests;
    else field(key).value = loaded[key];
    const own = loaded.overridden.includes(key);
    const row = $(`#settings-form [data-setting="${key}"]`);
    row.dataset.source = own ? 'admin' : 'config';
    row.querySelector('.setting-source').textContent = own ? 'set for this group' : "the configuration's";
    row.querySelector('.setting-reset').hidden = !own;
  }
}

for (const name of ['registered', 'guests']) {
  field(name).replaceChildren(...RIGHTS.map((r) => el('option', { value: r, text: rightLabel(r) })));
}

$('#settings-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = {};
  for (const key of KEYS) if (valueOf(key) !== loaded[key]) body[key] = valueOf(key);
  if (Object.keys(body).length === 0) {
    showNotice('Nothing changed');
    return;
  }
  if (body.allow_guests === false &&
      !confirm('Guests connected now are disconnected, and only accounts may chat. Go on?')) return;
  if (await run(api('PATCH', 'api/v1/admin/settings', body))) {
    showNotice('Guest settings saved');
    await run(loadSettings());
  }
});

for (const button of document.querySelectorAll('#settings-form .setting-reset')) {
  button.addEventListener('click', async () => {
    const key = button.closest('[data-setting]').dataset.setting;
    if (await run(api('PATCH', 'api/v1/admin/settings', { [key]: null }))) {
      showNotice("Back to the configuration's value");
      await run(loadSettings());
    }
  });
}

// The "Banned e-mail" panel: addresses and domains that may not register.
import { $, el } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { api, run } from './api.js';

export async function loadBanned() {
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

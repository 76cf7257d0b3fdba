// The "Bans" panel: the live bans of rooms and tables (hosts eject with a ban from the chat page),
// each with a Lift button (DELETE /api/v1/admin/bans).
import { $, el } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { api, run } from './api.js';

// account:NAME or nick:FOLDED-NICK, as people read it.
function who(ban) {
  const [kind, name] = ban.who.split(/:(.*)/s);
  return el('span', {},
    el('span', { class: 'muted', text: kind === 'account' ? 'account ' : 'guest ' }),
    el('strong', { text: name ?? ban.who }),
    ban.address_hash ? el('span', { class: 'muted', title: `address hash ${ban.address_hash}`, text: ' + address' }) : null);
}

const when = (ms) => new Date(ms).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });

export async function loadBans() {
  const { bans } = await api('GET', 'api/v1/admin/bans');
  $('#bans-body').replaceChildren(...bans.map((b) => el('tr', {
    dataset: { who: b.who, room: b.room, table: b.table === null ? '' : String(b.table) },
  },
  el('td', {}, who(b)),
  el('td', {}, el('code', { text: b.room })),
  el('td', { text: b.table === null ? 'whole room' : String(b.table) }),
  el('td', {}, el('time', { datetime: new Date(b.until).toISOString(), text: when(b.until) })),
  el('td', { text: b.by }),
  el('td', { class: 'reason', text: b.reason }),
  el('td', { class: 'row-actions' },
    el('button', { type: 'button', class: 'ban-lift', onclick: () => lift(b) }, 'Lift')))));
  $('#bans-empty').hidden = bans.length > 0;
}

async function lift(ban) {
  const body = { room: ban.room, who: ban.who };
  if (ban.table !== null) body.table = ban.table;
  if (await run(api('DELETE', 'api/v1/admin/bans', body))) {
    showNotice(`Ban of ${ban.who.replace(/^[a-z]+:/, '')} in ${ban.room} lifted`);
    await run(loadBans());
  }
}

$('#bans-refresh').addEventListener('click', () => run(loadBans()));

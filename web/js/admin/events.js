// The "Events" panel: hosted events of this chat group — list them with their state, create one
// (title, schedule, audience table size, speakers, hosts and monitors), end one now, delete an
// ended one (its recordings stay).
import { $, el } from '../ui/dom.js';
import { showNotice } from '../ui/toast.js';
import { api, run } from './api.js';

const names = (text) => text.split(/[\s,]+/).map((n) => n.trim()).filter(Boolean);
const fmt = (ms) => (ms ? new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' }) : '—');
// datetime-local gives local time without a zone; Date parses it as local.
const msOf = (value) => (value ? new Date(value).getTime() : null);

export async function loadEvents() {
  const { events } = await api('GET', 'api/v1/admin/events');
  $('#events-empty').hidden = events.length > 0;
  $('#events-body').replaceChildren(...events.map((ev) => el('tr', { dataset: { event: ev.name } },
    el('td', { text: ev.name }),
    el('td', { text: ev.title }),
    el('td', {}, el('span', { class: `tag event-state-${ev.state}`, text: ev.state })),
    el('td', { text: fmt(ev.opens) }),
    el('td', { text: fmt(ev.closes) }),
    el('td', { text: `${ev.users} (${ev.audience_tables.length} audience table${ev.audience_tables.length === 1 ? '' : 's'})` }),
    el('td', {},
      ev.state !== 'ended' ? el('button', { type: 'button', class: 'event-end danger', onclick: () => endEvent(ev) }, 'End now') : null,
      ev.state === 'ended' ? el('button', { type: 'button', class: 'event-delete danger', onclick: () => deleteEvent(ev) }, 'Delete') : null))));
}

async function endEvent(ev) {
  if (!confirm(`End ${ev.title} for everyone now?`)) return;
  if (await run(api('POST', `api/v1/admin/events/${ev.name}/end`))) {
    showNotice(`${ev.title} ended`);
    await run(loadEvents());
  }
}

async function deleteEvent(ev) {
  if (!confirm(`Delete the event ${ev.name} with its rooms? Recordings are kept.`)) return;
  if (await run(api('DELETE', `api/v1/admin/events/${ev.name}`))) {
    showNotice(`Event ${ev.name} deleted`);
    await run(loadEvents());
  }
}

$('#event-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.target.elements;
  const body = {
    name: f.name.value.trim(),
    title: f.title.value.trim(),
    opens: msOf(f.opens.value),
    closes: msOf(f.closes.value),
    audience_capacity: Number(f.audience_capacity.value) || 40,
    moderated: f.moderated.checked,
    speakers: names(f.speakers.value),
    hosts: names(f.hosts.value),
    monitors: names(f.monitors.value),
  };
  if (await run(api('POST', 'api/v1/admin/events', body))) {
    showNotice(`Event ${body.name} created`);
    e.target.reset();
    await run(loadEvents());
  }
});

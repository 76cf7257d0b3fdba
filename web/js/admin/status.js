// The "Status" panel: the chat group's live snapshot (GET /api/v1/admin/status) as a table of rooms
// and tables, and two small line charts of the last hour (users, messages per minute) drawn as
// inline SVG with DOM calls. While the panel is open it refreshes itself every few seconds.
import { $, el } from '../ui/dom.js';
import { api, run } from './api.js';

const REFRESH_MS = 5000;
const HOUR_MS = 60 * 60 * 1000;
const SVG = 'http://www.w3.org/2000/svg';
const W = 360;
const H = 120;
const PAD = 6;

let timer = null;

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...children);
  return node;
}

// points: [{t, v}] oldest first; x spans the hour before `now`, y 0..max.
function chart(box, label, points, now) {
  const max = Math.max(1, ...points.map((p) => p.v));
  const x = (t) => PAD + ((t - (now - HOUR_MS)) / HOUR_MS) * (W - 2 * PAD);
  const y = (v) => H - PAD - (v / max) * (H - 2 * PAD);
  const coords = points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
  const last = points.length ? points[points.length - 1].v : 0;
  const title = svg('title');
  title.textContent = `${label} over the last hour (now ${last}, highest ${max})`;
  const graph = svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'status-svg', role: 'img', 'aria-label': title.textContent },
    title,
    svg('line', { x1: PAD, y1: H - PAD, x2: W - PAD, y2: H - PAD, class: 'axis' }),
    svg('line', { x1: PAD, y1: PAD, x2: W - PAD, y2: PAD, class: 'grid' }),
    svg('polyline', { points: coords.join(' '), class: 'line', fill: 'none' }),
    ...points.slice(-1).map((p) => svg('circle', { cx: x(p.t).toFixed(1), cy: y(p.v).toFixed(1), r: 3, class: 'dot' })));
  box.replaceChildren(
    el('div', { class: 'status-chart-head' },
      el('strong', { text: label }),
      el('span', { class: 'muted', text: ` now ${last} · highest ${max} · last hour` })),
    graph);
}

function row(cls, name, o, tables) {
  return el('tr', { class: cls, dataset: { name } },
    el('td', {}, cls === 'status-room' ? el('code', { text: name }) : el('span', { text: name })),
    el('td', { class: 'num', text: String(o.users) }),
    el('td', { class: 'num', text: String(o.lurkers) }),
    el('td', { class: 'num', text: tables }),
    el('td', { class: 'num', text: String(o.messages_per_minute) }));
}

export async function loadStatus() {
  const st = await api('GET', 'api/v1/admin/status');
  $('#status-summary').replaceChildren(
    ...[['Users', st.users], ['Lurkers', st.lurkers], ['Connected', st.sessions],
      ['Messages per minute', st.messages_per_minute], ['Slow readers dropped', st.slow_readers_dropped]]
      .map(([k, v]) => el('div', { class: 'status-figure' }, el('span', { class: 'muted', text: k }), el('strong', { text: String(v) }))));
  const rows = [];
  for (const r of st.rooms) {
    const overflow = r.overflow_tables ? ` (${r.overflow_tables} overflow)` : '';
    rows.push(row('status-room', r.name, r, `${r.open_tables}${overflow}`));
    for (const t of r.tables) rows.push(row('status-table', `${t.name} (table ${t.number})`, t, ''));
  }
  $('#status-body').replaceChildren(...rows);
  // the samples of the last hour, and the snapshot itself as the newest point
  const hist = st.history.filter((h) => h.t > st.t - HOUR_MS && h.t <= st.t);
  chart($('#status-chart-users'), 'Users', [...hist.map((h) => ({ t: h.t, v: h.users })), { t: st.t, v: st.users }], st.t);
  chart($('#status-chart-mpm'), 'Messages per minute',
    [...hist.map((h) => ({ t: h.t, v: h.messages_per_minute })), { t: st.t, v: st.messages_per_minute }], st.t);
  $('#status-updated').textContent = `Updated ${new Date(st.t).toLocaleTimeString()}`;
}

function visible() {
  return !$('#admin-panels').hidden && !$('#panel-status').hidden;
}

// Called when the panel opens: loads now, then every REFRESH_MS until it is closed.
export function startStatus() {
  stopStatus();
  run(loadStatus());
  timer = setInterval(() => {
    if (visible()) run(loadStatus());
    else stopStatus();
  }, REFRESH_MS);
}

export function stopStatus() {
  if (timer !== null) clearInterval(timer);
  timer = null;
}

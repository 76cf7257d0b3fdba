// Hosted events: the list of events in the rooms panel, and the event layout once joined — an
// event bar (title, role, host actions), the stage above (read-only for the audience; speakers and
// hosts talk there) and the audience table or the backstage below as the active room. Hosts and
// monitors also get the monitor view: every audience table with its recent messages, each with a
// button that forwards it as a question to the backstage (hosts can put one on stage directly).
import { $, el, plural } from './dom.js';
import { entryRenderer } from './messages.js';

const EVENTS_REFRESH_MS = 15000;
const MONITOR_LINES = 30;

const ROLE_TEXT = { host: 'host', speaker: 'speaker', monitor: 'monitor', audience: 'audience' };

function when(summary) {
  const fmt = (ms) => new Date(ms).toLocaleString([], { dateStyle: 'short', timeStyle: 'short' });
  if (summary.state === 'scheduled' && summary.opens) return `opens ${fmt(summary.opens)}`;
  if (summary.state === 'open' && summary.closes) return `until ${fmt(summary.closes)}`;
  return summary.state;
}

export function createEvents(session, { act, isOnline }) {
  const list = $('#event-list');
  const section = $('#events-section');
  const bar = $('#event-bar');
  const stagePane = $('#event-stage');
  const stageLog = $('#event-stage-log');
  const stageForm = $('#event-stage-composer');
  const stageInput = $('#event-stage-input');
  const monitor = $('#event-monitor');
  const monitorTables = $('#event-monitor-tables');

  const role = () => session.event?.role ?? null;
  const canHost = () => role() === 'host';
  const canMonitor = () => role() === 'host' || role() === 'monitor';

  // ---- the list of events ----
  function renderList() {
    section.hidden = session.events.length === 0;
    list.replaceChildren(...session.events.map((ev) => {
      const mine = session.event?.summary.name === ev.name;
      const join = mine
        ? el('span', { class: 'tag tag-joined', text: 'joined' })
        : el('button', {
          type: 'button', class: 'event-join', dataset: { joinEvent: ev.name },
          disabled: Boolean(session.event) || ev.state === 'ended',
          title: session.event ? 'Leave your event first' : `Join ${ev.title}`,
          onclick: () => act(session.joinEvent(ev.name)),
        }, 'Join');
      return el('li', { class: `event event-${ev.state}`, dataset: { event: ev.name } },
        el('span', { class: 'event-name', text: ev.title }),
        el('span', { class: 'event-when', text: `${when(ev)} · ${ROLE_TEXT[ev.role] ?? ev.role}` }),
        join);
    }));
  }

  // ---- the event layout ----
  const renderStage = entryRenderer(session);
  function showBar() {
    const ev = session.event;
    document.body.classList.toggle('in-event', Boolean(ev));
    bar.hidden = !ev;
    if (!ev) return;
    $('#event-title').textContent = ev.summary.title;
    $('#event-role').textContent = ROLE_TEXT[ev.role] ?? ev.role;
    $('#event-state').textContent = ev.summary.state;
    $('#event-broadcast').hidden = !canHost();
    $('#event-end').hidden = !canHost();
  }

  // The stage pane shows while one of the event's other rooms is on screen.
  function showStage() {
    const stageRoom = session.eventRoom('stage');
    const room = stageRoom && session.room(stageRoom);
    const on = Boolean(room) && session.active !== stageRoom && Object.values(session.event.summary.rooms).includes(session.active);
    stagePane.hidden = !on;
    if (!on) return;
    stageLog.replaceChildren(...room.log.map((e) => renderStage(e, stageRoom)).filter(Boolean));
    if (room.unread) { // read here, above the table: no unread count on its tab
      room.unread = 0;
      session.emit('joined');
    }
    stageLog.scrollTop = stageLog.scrollHeight;
    stageForm.hidden = room.readOnly;
    stageInput.disabled = !isOnline();
  }

  stageForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const text = stageInput.value.trim();
    const stageRoom = session.eventRoom('stage');
    if (!text || !stageRoom) return;
    act(session.say(stageRoom, text)).then((ok) => ok && (stageInput.value = ''));
  });

  // ---- the monitor view ----
  function forwardButtons(roomName, entry) {
    if (entry.kind !== 'message') return [];
    const buttons = [el('button', {
      type: 'button', class: 'forward-backstage', title: 'Forward this question to the backstage',
      onclick: () => act(session.forward(roomName, entry.table, entry.msgId, 'backstage')),
    }, 'Forward')];
    if (canHost()) {
      buttons.push(el('button', {
        type: 'button', class: 'forward-stage', title: 'Put this question on stage',
        onclick: () => act(session.forward(roomName, entry.table, entry.msgId, 'stage')),
      }, 'On stage'));
    }
    return el('span', { class: 'msg-actions' }, buttons);
  }
  const renderWatched = entryRenderer(session, { decorate: (entry, room) => forwardButtons(room, entry) });

  function tableCard(roomName, t) {
    const people = t.members.length + t.lurkers;
    const log = el('div', { class: 'monitor-log' },
      t.log.slice(-MONITOR_LINES).map((e) => renderWatched(e, roomName)).filter(Boolean));
    const card = el('section', { class: 'monitor-table', dataset: { table: String(t.number) } },
      el('h3', { title: t.topic || null }, `Table ${t.number}`, el('span', { class: 'monitor-count', text: plural(people, 'person', 'people') })),
      log);
    return card;
  }

  function showMonitor() {
    const audience = session.eventRoom('audience');
    const w = audience && session.watched.get(audience);
    const on = Boolean(w) && canMonitor() && session.active === session.eventRoom('backstage');
    monitor.hidden = !on;
    if (!on) return;
    const tables = [...w.tables.values()].sort((a, b) => a.number - b.number);
    monitorTables.replaceChildren(...tables.map((t) => tableCard(audience, t)));
    for (const log of monitorTables.querySelectorAll('.monitor-log')) log.scrollTop = log.scrollHeight;
  }

  function showAll() {
    showBar();
    showStage();
    showMonitor();
    renderList();
  }

  $('#event-leave').addEventListener('click', () => act(session.leaveEvent()));
  $('#event-end').addEventListener('click', () => {
    if (window.confirm(`End ${session.event?.summary.title} for everyone now?`)) act(session.endEvent());
  });
  $('#event-broadcast').addEventListener('click', () => {
    const audience = session.eventRoom('audience');
    const text = audience && window.prompt('Announcement to every audience table:', '');
    if (text) act(session.broadcast(audience, text));
  });

  session.on('events', renderList);
  session.on('event', showAll);
  session.on('active', showAll);
  session.on('rights', showStage);
  session.on('entry', ({ room }) => {
    if (room === session.eventRoom('stage')) showStage();
  });
  session.on('watch', ({ room }) => room === session.eventRoom('audience') && showMonitor());
  session.on('self', () => session.nick && isOnline() && session.refreshEvents().catch(() => {}));
  setInterval(() => session.nick && isOnline() && session.refreshEvents().catch(() => {}), EVENTS_REFRESH_MS);
  showAll();

  // In the backstage, a host puts a forwarded question on stage with one click.
  return {
    decorate(entry, room) {
      if (!entry.askedBy || !canHost() || room !== session.eventRoom('backstage')) return null;
      return el('span', { class: 'msg-actions' }, el('button', {
        type: 'button', class: 'forward-stage', title: 'Put this question on stage',
        onclick: () => act(session.forward(room, entry.table, entry.msgId, 'stage')),
      }, 'On stage'));
    },
  };
}

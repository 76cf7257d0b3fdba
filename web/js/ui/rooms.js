// The room list on the left (every room, with its user count) and the tabs above the message
// pane (the rooms we are in, with unread counts).
import { $, el, lockIcon, plural } from './dom.js';

export function createRooms(session, { act }) {
  const list = $('#room-list');
  const tabs = $('#room-tabs');

  function enter(name, lurk) {
    act(session.enter(name, { lurk }));
    document.body.classList.remove('show-rooms');
  }

  function roomItem(summary) {
    const joined = session.room(summary.name);
    const active = session.active === summary.name;
    const open = () => (joined ? session.setActive(summary.name) : enter(summary.name, false));
    return el('li', {
      class: ['room', joined && 'joined', active && 'active'].filter(Boolean).join(' '),
      dataset: { room: summary.name },
    },
    el('button', {
      type: 'button', class: 'room-open', onclick: open,
      title: joined ? `Show ${summary.title}` : `Enter ${summary.title}`,
      'aria-current': active ? 'true' : null,
    },
    el('span', { class: 'room-name' },
      el('span', { class: 'room-hash', text: '#' }), summary.title,
      summary.moderated ? el('span', { class: 'tag tag-moderated', text: 'moderated' }) : null,
      joined?.readOnly ? el('span', { class: 'tag', text: 'lurking' }) : null,
      !joined?.readOnly && summary.right === 'read_only' ? el('span', { class: 'tag tag-read-only', text: 'read-only' }) : null),
    summary.topic ? el('span', { class: 'room-topic', text: summary.topic }) : null),
    el('span', { class: 'room-users', title: plural(summary.users, 'person', 'people') }, String(summary.users)),
    joined ? null : el('button', {
      type: 'button', class: 'room-lurk', dataset: { lurkRoom: summary.name },
      title: `Lurk in ${summary.title} (read-only)`, onclick: () => enter(summary.name, true),
    }, 'lurk'));
  }

  function renderList() {
    list.replaceChildren(...session.rooms.map(roomItem));
  }

  function tab(room) {
    const active = session.active === room.name;
    return el('div', {
      class: ['tab', active && 'active', room.private && 'private'].filter(Boolean).join(' '), role: 'tab', 'aria-selected': String(active),
      dataset: { tab: room.name },
    },
    el('button', { type: 'button', class: 'tab-open', onclick: () => session.setActive(room.name) },
      room.private ? lockIcon('tab-lock') : null,
      room.summary.title,
      room.readOnly ? el('span', { class: 'tag', text: 'lurking' }) : null,
      room.unread ? el('span', { class: 'unread', text: room.unread > 99 ? '99+' : String(room.unread) }) : null),
    el('button', {
      type: 'button', class: 'tab-close', dataset: { leave: room.name },
      title: `Leave ${room.summary.title}`, 'aria-label': `Leave ${room.summary.title}`,
      onclick: () => act(session.leave(room.name)),
    }, '×'));
  }

  function renderTabs() {
    tabs.replaceChildren(...[...session.joined.values()].map(tab));
    tabs.hidden = session.joined.size === 0;
  }

  session.on('rooms', renderList);
  session.on('joined', () => {
    renderList();
    renderTabs();
  });
  // a right going to or from read-only changes the "lurking" tags
  session.on('rights', () => {
    renderList();
    renderTabs();
  });
  renderTabs();
}

// The right-hand panel: the tables of the room on screen (click one to hop there) and the
// members of our table (click one to send them a private message; small buttons beside it ignore
// them or invite them to a private table), plus the lurker count.
import { $, el, plural, safeColour } from './dom.js';
import { sameNick } from '../session.js';

export function createPeople(session, { act, onPrivate }) {
  const tableList = $('#table-list');
  const memberList = $('#member-list');
  const membersTitle = $('#members-title');
  const lurkerCount = $('#lurker-count');

  function tableItem(room, t) {
    const here = t.number === room.table;
    const hop = () => {
      act(session.hop(room.name, t.number));
      document.body.classList.remove('show-people');
    };
    return el('li', {
      class: ['table', here && 'current', t.full && 'full'].filter(Boolean).join(' '),
      dataset: { table: String(t.number) },
    },
    el('button', {
      type: 'button', class: 'table-open', disabled: here || t.full, onclick: hop,
      title: here ? 'You are at this table' : t.full ? 'This table is full' : `Hop to ${t.name}`,
    },
    el('span', { class: 'table-name', text: t.name }),
    el('span', { class: 'table-meta' },
      here ? el('span', { class: 'tag tag-here', text: 'you' }) : null,
      t.full ? el('span', { class: 'tag tag-full', text: 'full' }) : null,
      el('span', { class: 'table-count', title: `${plural(t.lurkers, 'lurker', 'lurkers')} included` },
        `${t.users}/${t.capacity}`))));
  }

  // The small buttons beside another member: ignore or unignore, and invite (not when lurking,
  // nor from a private room, which is already for two).
  function memberActions(room, nick, ignored) {
    const ignore = el('button', {
      type: 'button', class: 'member-button member-ignore',
      title: ignored ? `Show ${nick}'s messages again` : `Stop getting ${nick}'s messages`,
      onclick: () => act(session.setIgnored(nick, !ignored)),
    }, ignored ? 'unignore' : 'ignore');
    const invite = room.lurk || room.private ? null : el('button', {
      type: 'button', class: 'member-button member-invite', title: `Invite ${nick} to a private table`,
      onclick: () => act(session.invite(room.name, nick)),
    }, 'invite');
    const eject = !room.host ? null : el('button', {
      type: 'button', class: 'member-button member-eject', title: `Eject ${nick} from the room`,
      onclick: () => {
        const minutes = window.prompt(`Eject ${nick}. Keep them out for how many minutes? (0: no ban)`, '0');
        if (minutes === null) return;
        const n = Number.parseInt(minutes, 10);
        act(session.eject(room.name, nick, Number.isFinite(n) && n > 0 ? n * 60 : 0));
      },
    }, 'eject');
    return el('span', { class: 'member-actions' }, ignore, invite, eject);
  }

  function memberItem(room, member) {
    const self = session.nick !== null && sameNick(member.nick, session.nick);
    const ignored = !self && session.isIgnored(member.nick);
    const dot = el('span', { class: 'member-dot' });
    const colour = safeColour(member.colour);
    if (colour) dot.style.background = colour;
    const classes = ['member', self && 'self', ignored && 'ignored'].filter(Boolean).join(' ');
    return el('li', { class: classes, dataset: { nick: member.nick } },
      el('button', {
        type: 'button', class: 'member-open', disabled: self,
        title: self ? 'This is you' : `Send ${member.nick} a private message`,
        onclick: () => {
          onPrivate(member.nick);
          document.body.classList.remove('show-people');
        },
      },
      dot, el('span', { class: 'member-nick', text: member.nick }),
      ignored ? el('span', { class: 'tag tag-ignored', text: 'ignored' }) : null,
      self ? el('span', { class: 'member-you', text: 'you' }) : el('span', { class: 'member-action', text: 'private' })),
    self ? null : memberActions(room, member.nick, ignored));
  }

  function render() {
    const room = session.room(session.active);
    if (!room) {
      tableList.replaceChildren();
      memberList.replaceChildren();
      membersTitle.textContent = 'People';
      lurkerCount.textContent = '';
      return;
    }
    const tables = room.tables.length
      ? room.tables
      : [{ number: room.table, name: room.tableName, users: room.members.length + room.lurkers,
        lurkers: room.lurkers, capacity: room.summary.capacity, full: false }];
    tableList.replaceChildren(...tables.map((t) => tableItem(room, t)));
    membersTitle.textContent = `At ${room.tableName} · ${room.members.length}`;
    memberList.replaceChildren(...room.members.map((m) => memberItem(room, m)));
    const lurking = room.lurk ? ' (you are one of them)' : '';
    lurkerCount.textContent = `${plural(room.lurkers, 'lurker', 'lurkers')}${room.lurkers ? lurking : ''}`;
    lurkerCount.dataset.count = String(room.lurkers);
  }

  const ifActive = ({ room }) => room === session.active && render();
  session.on('active', render);
  session.on('table', ifActive);
  session.on('tables', ifActive);
  session.on('self', render);
  session.on('ignored', render);
  session.on('rights', ifActive);
}

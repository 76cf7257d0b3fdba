// The message pane: the log of the room on screen. Lines are rendered from the session's log;
// new lines are appended as they come and the pane follows the bottom unless the reader scrolled up.
import { $, el, colouredNick, timeOf } from './dom.js';

const FOLLOW_SLACK_PX = 48;
const URL_RE = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;

// Message text with web addresses made into links (built from text nodes, never parsed as HTML).
function richText(text) {
  const parts = text.split(URL_RE);
  return parts.map((part, i) =>
    i % 2 ? el('a', { href: part, target: '_blank', rel: 'noopener noreferrer', text: part }) : part,
  );
}

function mentions(text, nick) {
  if (!nick) return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\p{L}\\p{N}_])${escaped}($|[^\\p{L}\\p{N}_])`, 'iu').test(text);
}

function statusNote(entry) {
  if (entry.status === 'pending') return el('span', { class: 'msg-status', title: 'Sending…', text: '…' });
  if (entry.status === 'stored') return el('span', { class: 'msg-status stored', title: 'Saved', text: '✓' });
  if (entry.status === 'failed') return el('span', { class: 'msg-status failed', text: 'not saved' });
  return null;
}

// Turns log entries into nodes. decorate(entry, room) may return extra nodes (buttons) for a
// message line, e.g. an event host's "forward" actions.
export function entryRenderer(session, { onPrivate = null, decorate = null } = {}) {
  function nickButton(nick, colour) {
    const node = colouredNick(nick, colour);
    if (onPrivate && session.nick && nick !== session.nick) {
      node.classList.add('clickable');
      node.title = `Send ${nick} a private message`;
      node.addEventListener('click', () => onPrivate(nick));
    }
    return node;
  }

  return function render(entry, room) {
    switch (entry.kind) {
      case 'message': {
        const classes = ['message', entry.own && 'own', entry.status && `status-${entry.status}`,
          !entry.own && mentions(entry.text, session.nick) && 'mention', !entry.live && 'history',
          entry.playback && 'playback', entry.askedBy && 'question'];
        // A played message: marked, and titled with when it was first said.
        const replay = entry.playback && el('span', {
          class: 'replay-badge', text: 'replay',
          title: `First said ${new Date(entry.playback.original_ts).toLocaleString()}`,
        });
        return el('div', {
          class: classes.filter(Boolean).join(' '),
          dataset: { msgId: String(entry.msgId), nick: entry.nick, ...(entry.askedBy ? { askedBy: entry.askedBy } : {}) },
        }, timeOf(entry.ts), replay, nickButton(entry.nick, entry.colour),
        entry.askedBy ? el('span', { class: 'pm-badge question-badge', text: `question from ${entry.askedBy}` }) : null,
        el('span', { class: 'text' }, richText(entry.text)), statusNote(entry),
        decorate ? decorate(entry, room) : null);
      }
      case 'private': {
        const other = entry.outgoing ? entry.to : entry.from;
        return el('div', {
          class: `message private ${entry.outgoing ? 'outgoing' : 'incoming'}`,
          dataset: { msgId: String(entry.msgId), nick: entry.from, to: entry.to },
        }, timeOf(entry.ts),
        el('span', { class: 'pm-badge' }, entry.outgoing ? 'private to ' : 'private from ',
          nickButton(other, entry.outgoing ? null : entry.colour)),
        el('span', { class: 'text' }, richText(entry.text)));
      }
      case 'system':
        return el('div', { class: 'system-line' }, timeOf(entry.ts),
          el('span', { class: 'system-text' },
            entry.nick ? colouredNick(entry.nick, entry.colour) : null, ` ${entry.text}`));
      case 'divider':
        return el('div', { class: 'divider', role: 'separator' }, el('span', { text: entry.text }));
      case 'broadcast':
        return el('div', { class: 'message broadcast', role: 'note' }, timeOf(entry.ts),
          el('span', { class: 'pm-badge' }, 'announcement from ', colouredNick(entry.nick, entry.colour)),
          el('span', { class: 'text' }, richText(entry.text)));
      default:
        return null;
    }
  };
}

export function createMessages(session, { onPrivate, decorate = null }) {
  const pane = $('#messages');
  const jump = $('#jump-latest');
  let shown = null; // the room whose log is in the pane
  const renderEntry = entryRenderer(session, { onPrivate, decorate });
  const render = (entry) => renderEntry(entry, shown);

  const atBottom = () => pane.scrollHeight - pane.scrollTop - pane.clientHeight < FOLLOW_SLACK_PX;
  const toBottom = () => {
    pane.scrollTop = pane.scrollHeight;
    jump.hidden = true;
  };

  function showRoom(name) {
    shown = name;
    const room = session.room(name);
    if (!room) {
      pane.replaceChildren(el('div', { class: 'empty' },
        el('p', { class: 'empty-title', text: 'You are not in any room' }),
        el('p', { text: 'Pick a room from the list to join the conversation.' })));
      jump.hidden = true;
      return;
    }
    pane.replaceChildren(...room.log.map(render).filter(Boolean));
    toBottom();
  }

  session.on('active', showRoom);
  session.on('entry', ({ room, entry }) => {
    if (room !== shown) return;
    const follow = atBottom() || entry.own || entry.outgoing || entry.kind === 'divider';
    pane.querySelector('.empty')?.remove();
    const node = render(entry);
    if (node) pane.append(node);
    while (pane.childElementCount > session.room(room).log.length) pane.firstElementChild.remove();
    if (follow) toBottom();
    else jump.hidden = false;
  });
  session.on('entry-update', ({ room, entry }) => {
    if (room !== shown) return;
    const old = pane.querySelector(`.message[data-msg-id="${entry.msgId}"]`);
    if (old) old.replaceWith(render(entry));
  });
  session.on('self', () => showRoom(shown));
  pane.addEventListener('scroll', () => atBottom() && (jump.hidden = true));
  jump.addEventListener('click', toBottom);
  showRoom(null);
}

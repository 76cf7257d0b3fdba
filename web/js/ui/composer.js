// The message box under the pane. Enter sends (Shift+Enter makes a new line). With a private
// target chosen (click a member) it sends a private message instead; Esc goes back to the table.
// One command: "/nick NEWNAME" changes our nickname (alone, it opens the nickname form). Any other
// text, "/something else" included, is sent as it is.
import { $ } from './dom.js';
import { sameNick } from '../session.js';

const COUNTER_FROM = 0.8; // show the byte counter once a message passes this share of max_text
const encoder = new TextEncoder();
const NICK_COMMAND = /^\/nick(?:[ \t]+(.*))?$/i;

export function createComposer(session, { act, isOnline, rename, openMe }) {
  const form = $('#composer');
  const input = $('#message-input');
  const send = $('#send-button');
  const chip = $('#pm-target');
  const chipNick = $('#pm-nick');
  const counter = $('#char-count');
  const lurkNotice = $('#lurk-notice');
  let pmTo = null; // {room, nick}

  function setPrivate(nick) {
    pmTo = nick ? { room: session.active, nick } : null;
    chip.hidden = !pmTo;
    chipNick.textContent = nick ?? '';
    form.classList.toggle('private-mode', Boolean(pmTo));
    update();
    input.focus();
  }

  function update() {
    const room = session.room(session.active);
    const lurking = Boolean(room?.readOnly);
    const usable = Boolean(room) && !lurking && isOnline();
    input.disabled = !usable;
    send.disabled = !usable;
    lurkNotice.hidden = !lurking;
    // Lurking by choice can be undone; a read-only right cannot.
    const forced = room?.right === 'read_only';
    lurkNotice.dataset.right = room?.right ?? '';
    $('#lurk-text').textContent = forced ? 'This room is read-only for you: you can read along but not talk.'
      : 'You are lurking: you can read along but not talk.';
    $('#unlurk-button').hidden = forced;
    input.placeholder = !room ? 'Enter a room to talk'
      : !isOnline() ? 'Offline — waiting for the connection…'
        : pmTo ? `Private message to ${pmTo.nick}…`
          : `Message ${room.tableName}…`;
    const bytes = encoder.encode(input.value).length;
    const max = session.limits.max_text;
    counter.hidden = bytes < max * COUNTER_FROM;
    counter.textContent = `${bytes} / ${max} bytes`;
    counter.classList.toggle('over', bytes > max);
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  // The action of a command line, or null for text to send.
  function command(text) {
    const nick = NICK_COMMAND.exec(text.trim());
    if (!nick) return null;
    const name = nick[1]?.trim();
    if (name) return () => rename(name);
    return () => {
      openMe();
      return Promise.resolve();
    };
  }

  async function submit() {
    const text = input.value;
    const room = session.active;
    if (!room || !text.trim()) return;
    input.value = '';
    autosize();
    update();
    const run = command(text);
    const sent = run ? run() : pmTo ? session.pm(room, pmTo.nick, text) : session.say(room, text);
    const ok = await act(sent);
    if (!ok && !input.value) {
      input.value = text; // give the words back so nothing is lost
      autosize();
      update();
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    submit();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && pmTo) {
      setPrivate(null);
    }
  });
  input.addEventListener('input', () => {
    autosize();
    update();
  });
  $('#pm-cancel').addEventListener('click', () => setPrivate(null));
  $('#unlurk-button').addEventListener('click', () => act(session.setLurk(session.active, false)));

  session.on('active', () => {
    if (pmTo && pmTo.room !== session.active) setPrivate(null);
    update();
    if (!input.disabled) input.focus();
  });
  session.on('joined', update);
  session.on('rights', update);
  // A private target who left our table can no longer be reached.
  session.on('table', ({ room }) => {
    const r = session.room(room);
    const gone = r && !r.members.some((m) => sameNick(m.nick, pmTo?.nick ?? ''));
    if (pmTo?.room === room && gone) setPrivate(null);
    update();
  });

  update();
  return { setPrivate, update };
}

// Parley's web client: wires the protocol client, the session and the views together.
import { apiUrl } from './base.js';
import { ParleyClient } from './client.js';
import { Session } from './session.js';
import { $, el, lockIcon } from './ui/dom.js';
import { showError, showNotice } from './ui/toast.js';
import { createLogin } from './ui/login.js';
import { createRooms } from './ui/rooms.js';
import { createMessages } from './ui/messages.js';
import { createPeople } from './ui/people.js';
import { createComposer } from './ui/composer.js';
import { createStatus } from './ui/status.js';
import { createMe } from './ui/me.js';
import { createInvites } from './ui/invites.js';
import { createAccount } from './ui/account.js';
import { createStage } from './ui/stage.js';
import { createRecord } from './ui/record.js';
import { createEvents } from './ui/event.js';

const ROOMS_REFRESH_MS = 15000;
const TABLES_REFRESH_MS = 8000;

// ?transport=sse or ?transport=poll forces one transport (tests, diagnosis).
const client = new ParleyClient({ transport: new URLSearchParams(location.search).get('transport') });
const session = new Session(client);

// Runs a user action; a failure is shown as a toast. Resolves to whether it worked.
function act(promise) {
  return promise.then(
    () => true,
    (err) => {
      showError(err);
      return false;
    },
  );
}

const isOnline = () => client.state === 'open';
const account = createAccount(session, { act, onNotice: showNotice });
const login = createLogin(session, { onError: showError, account });
const me = createMe(session, { act });
const composer = createComposer(session, { act, isOnline, rename: me.rename, openMe: me.open });
const onPrivate = (nick) => composer.setPrivate(nick);
createStatus(client);
createRooms(session, { act });
const events = createEvents(session, { act, isOnline });
createMessages(session, { onPrivate, decorate: events.decorate });
createPeople(session, { act, onPrivate });
createInvites(session, { act });
createStage(session, { act });
createRecord(session, { act });

client.on('state', ({ state }) => {
  login.setOnline(state === 'open');
  composer.update();
});
client.on('stray', showError);
session.on('error', showError);
session.on('notice', showNotice);
session.on('logged-out', ({ error }) => login.show(error));
// The administration page of this chat group, for its sysops only (the server checks the token).
$('#admin-link').href = apiUrl('admin.html');
session.on('self', () => {
  $('#admin-link').hidden = !(session.nick && session.sysop);
});
session.on('joined', () => {
  const unread = [...session.joined.values()].reduce((n, r) => n + r.unread, 0);
  const room = session.room(session.active);
  document.title = `${unread ? `(${unread}) ` : ''}${room ? `${room.summary.title} · ` : ''}Parley`;
});
// The header: the room's title with a lock for a private table and a badge for a moderated room.
function showTitle(room) {
  $('#room-title').replaceChildren(...(room ? [
    room.private ? lockIcon('title-lock') : '',
    room.summary.title,
    room.summary.moderated ? el('span', { class: 'tag tag-moderated', title: 'Messages with listed words are refused', text: 'moderated' }) : '',
  ] : ['Welcome to Parley']));
}
const topicOf = (room) => room.summary.topic || (room.private ? 'Just the two of you' : 'No topic');
// Host controls: only for hosts (and sysops) of the room on screen; the server checks again.
function showHostTools() {
  $('#host-tools').hidden = !session.room(session.active)?.host;
}
function hostAction(ask, run) {
  const room = session.room(session.active);
  if (!room) return;
  const answer = window.prompt(ask.text, ask.value ?? '');
  if (answer === null) return;
  act(run(room, answer));
}
$('#host-broadcast').addEventListener('click', () => hostAction(
  { text: 'Announcement to every table of this room:' },
  (room, text) => session.broadcast(room.name, text)));
$('#host-topic').addEventListener('click', () => hostAction(
  { text: "The room's topic:", value: session.room(session.active)?.summary.topic },
  (room, topic) => session.editRoom(room.name, { topic })));
$('#host-table-topic').addEventListener('click', () => hostAction(
  { text: "This table's topic (empty: none):" },
  (room, topic) => session.editTable(room.name, room.table, topic)));
session.on('rights', ({ room }) => room === session.active && showHostTools());
session.on('joined', showHostTools);
session.on('table', ({ room }) => room === session.active && showHostTools());

session.on('active', (name) => {
  const room = session.room(name);
  showHostTools();
  showTitle(room);
  $('#room-topic').textContent = room ? topicOf(room) : 'Choose a room on the left to start chatting.';
});
session.on('rooms', () => {
  const room = session.room(session.active);
  if (!room) return;
  showTitle(room);
  $('#room-topic').textContent = topicOf(room);
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) session.markRead();
});

// Counts of rooms we are not in, and tables we are not at, come only from asking again.
setInterval(() => session.nick && isOnline() && session.refreshRooms().catch(() => {}), ROOMS_REFRESH_MS);
setInterval(() => session.active && isOnline() && session.refreshTables(session.active), TABLES_REFRESH_MS);

// On a narrow screen the side panels slide over the conversation.
for (const [button, cls] of [['#toggle-rooms', 'show-rooms'], ['#toggle-people', 'show-people']]) {
  $(button).addEventListener('click', () => {
    const on = !document.body.classList.contains(cls);
    document.body.classList.remove('show-rooms', 'show-people');
    document.body.classList.toggle(cls, on);
  });
}
document.querySelector('.chat').addEventListener('click', () => {
  document.body.classList.remove('show-rooms', 'show-people');
});

login.show();
// Leaving the page ends the session at once (its nickname free), rather than leaving it to wait
// for a resume that will not come.
addEventListener('pagehide', () => client.quit());
client.connect();

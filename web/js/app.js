// Parley's web client: wires the protocol client, the session and the views together.
import { ParleyClient } from './client.js';
import { Session } from './session.js';
import { $ } from './ui/dom.js';
import { showError } from './ui/toast.js';
import { createLogin } from './ui/login.js';
import { createRooms } from './ui/rooms.js';
import { createMessages } from './ui/messages.js';
import { createPeople } from './ui/people.js';
import { createComposer } from './ui/composer.js';
import { createStatus } from './ui/status.js';
import { createMe } from './ui/me.js';

const ROOMS_REFRESH_MS = 15000;
const TABLES_REFRESH_MS = 8000;

const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
const client = new ParleyClient(wsUrl);
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
const login = createLogin(session, { onError: showError });
const composer = createComposer(session, { act, isOnline });
const onPrivate = (nick) => composer.setPrivate(nick);
createStatus(client);
createMe(session, { act });
createRooms(session, { act });
createMessages(session, { onPrivate });
createPeople(session, { act, onPrivate });

client.on('state', ({ state }) => {
  login.setOnline(state === 'open');
  composer.update();
});
client.on('stray', showError);
session.on('error', showError);
session.on('logged-out', ({ error }) => login.show(error));
session.on('joined', () => {
  const unread = [...session.joined.values()].reduce((n, r) => n + r.unread, 0);
  const room = session.room(session.active);
  document.title = `${unread ? `(${unread}) ` : ''}${room ? `${room.summary.title} · ` : ''}Parley`;
});
session.on('active', (name) => {
  const room = session.room(name);
  $('#room-title').textContent = room ? room.summary.title : 'Welcome to Parley';
  $('#room-topic').textContent = room ? room.summary.topic || 'No topic' : 'Choose a room on the left to start chatting.';
});
session.on('rooms', () => {
  const room = session.room(session.active);
  if (room) $('#room-topic').textContent = room.summary.topic || 'No topic';
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
client.connect();

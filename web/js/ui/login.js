// The nickname card shown at start (and again if a reconnect cannot get our nickname back).
// Errors of `hello` are shown inline under the nickname field; the card stays open until a
// hello succeeds.
import { apiUrl } from '../base.js';
import { $, el, plural } from './dom.js';
import { colourPicker } from './colour.js';

const STORE_NICK = 'parley.nick';
const STORE_COLOUR = 'parley.colour';

const NICK_ERRORS = new Set(['nick_invalid', 'nick_reserved', 'nick_taken', 'bad_request']);

export function createLogin(session, { onError, account }) {
  const overlay = $('#login');
  const form = $('#login-form');
  const nickInput = $('#nick-input');
  const errorBox = $('#login-error');
  const roomSelect = $('#login-room');
  const lurkBox = $('#lurk-checkbox');
  const joinButton = $('#join-button');
  let colour = localStorage.getItem(STORE_COLOUR) || null;

  const picker = colourPicker($('#login-swatches'), {
    allowAuto: true,
    customId: 'login-colour',
    onPick: (c) => (colour = c),
  });
  picker.set(colour);
  nickInput.value = localStorage.getItem(STORE_NICK) ?? '';
  // A guest's new nickname (the header's form, /nick) is the one offered on the next visit.
  session.on('self', () => {
    if (session.nick && !session.token) localStorage.setItem(STORE_NICK, session.nick);
  });

  function showError(err) {
    errorBox.textContent = err.message;
    errorBox.dataset.code = err.code ?? '';
    errorBox.hidden = false;
    nickInput.setAttribute('aria-invalid', String(NICK_ERRORS.has(err.code)));
    nickInput.focus();
    nickInput.select();
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = '';
    delete errorBox.dataset.code;
    nickInput.removeAttribute('aria-invalid');
  }

  // The room list comes from the REST API, which needs no hello; without it we offer the lobby.
  async function loadRooms() {
    let rooms = [];
    try {
      const res = await fetch(apiUrl('api/v1/rooms'));
      if (res.ok) rooms = (await res.json()).rooms ?? [];
    } catch {
      // offline or no REST API: fall through to the default
    }
    const chosen = roomSelect.value || 'lobby';
    roomSelect.replaceChildren(
      ...(rooms.length ? rooms : [{ name: 'lobby', title: 'Lobby', users: null }]).map((r) =>
        el('option', { value: r.name, selected: r.name === chosen },
          r.users === null ? r.title : `${r.title} — ${plural(r.users, 'person', 'people')} here`),
      ),
    );
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const nick = nickInput.value.trim();
    if (!nick && !$('#guest-fields').hidden) {
      showError({ code: 'nick_invalid', message: 'Please choose a nickname.' });
      return;
    }
    clearError();
    joinButton.disabled = true;
    joinButton.textContent = 'Joining…';
    try {
      const token = await account.tokenForJoin();
      await session.login({ nick, colour, room: roomSelect.value, lurk: lurkBox.checked, token });
      if (!token) localStorage.setItem(STORE_NICK, nick);
      if (colour) localStorage.setItem(STORE_COLOUR, colour);
      else localStorage.removeItem(STORE_COLOUR);
      hide();
    } catch (err) {
      if (session.nick) {
        hide(); // hello worked; only entering the room failed
        onError(err);
      } else {
        account.joinFailed(err);
        showError(err);
      }
    } finally {
      joinButton.disabled = false;
      joinButton.textContent = 'Join';
    }
  });
  nickInput.addEventListener('input', clearError);

  function show(error = null) {
    overlay.hidden = false;
    document.body.classList.add('logged-out');
    loadRooms();
    if (error) showError(error);
    else nickInput.focus();
  }

  function hide() {
    overlay.hidden = true;
    document.body.classList.remove('logged-out');
  }

  // Joining needs a connection; the button says why it is waiting.
  function setOnline(online) {
    joinButton.disabled = !online;
    joinButton.textContent = online ? 'Join' : 'Connecting…';
  }

  return { show, setOnline };
}

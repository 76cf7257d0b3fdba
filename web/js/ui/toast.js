// Toasts: short-lived notices in the corner, used for every error reply not shown inline.
import { $, el } from './dom.js';

const TOAST_MS = 7000;

// Human headings for error codes; the server's `message` is always shown below the heading.
const HEADINGS = {
  not_in_room: 'Not in that room',
  read_only: 'You are lurking',
  no_such_user: 'Cannot reach that person',
  text_empty: 'Nothing to send',
  text_too_long: 'Message too long',
  store_failed: 'Message not saved',
  table_full: 'Table is full',
  no_such_table: 'No such table',
  already_at_table: 'Already at that table',
  no_such_room: 'No such room',
  already_in_room: 'Already in that room',
  bad_colour: 'Invalid colour',
  nick_taken: 'Nickname taken',
  nick_invalid: 'Not a valid nickname',
  nick_reserved: 'Nickname reserved',
  nick_registered: "An account's nickname",
  moderated: 'Message not sent',
  rate_limited: 'Slow down',
  too_many_ignores: 'Ignore list is full',
  no_such_invite: 'Invitation no longer valid',
  offline: 'Offline',
  disconnected: 'Connection lost',
  // the administration page
  invalid: 'Please check the form',
  forbidden: 'Not allowed',
  not_empty: 'Not empty',
  room_exists: 'That room exists already',
  folder_exists: 'That folder exists already',
  no_such_folder: 'No such folder',
  no_such_user_group: 'No such user group',
  no_such_ban: 'No such ban',
  bad_request: 'Not accepted',
};

// Shows something that happened, not an error (e.g. an invitation was declined).
export function showNotice(text) {
  show(el('div', { class: 'toast notice', role: 'status' }, el('span', { class: 'toast-heading', text })));
}

// Shows a failed action. Errors without a protocol code are programming errors, logged as such.
export function showError(err) {
  if (!err.code) console.error(err);
  const code = err.code ?? '';
  const toast = el('div', { class: 'toast', role: 'alert', dataset: { code } },
    el('strong', { class: 'toast-heading', text: HEADINGS[code] ?? 'Something went wrong' }),
    el('span', { class: 'toast-message', text: err.message }),
    code ? el('code', { class: 'toast-code', text: code }) : null);
  show(toast);
}

function show(toast) {
  const remove = () => toast.remove();
  toast.addEventListener('click', remove);
  setTimeout(remove, TOAST_MS);
  $('#toasts').append(toast);
}

// Our nickname in the header; clicking it opens a popover to change the nickname (command `nick`)
// and the message colour (command `colour`). `rename` is also what the composer's /nick calls.
import { $, safeColour } from './dom.js';
import { colourPicker } from './colour.js';

const NICK_RULES = 'use 2–24 letters, digits, “_”, “-” or “.”, starting with a letter';

// Words for a refused rename, by the error's code; other errors keep the server's message.
export function renameProblem(err, nick) {
  switch (err.code) {
    case 'nick_taken': return `Someone is already called “${nick}”. Please pick another nickname.`;
    case 'nick_invalid': return `“${nick}” cannot be a nickname: ${NICK_RULES}.`;
    case 'bad_request': return `Please type a nickname: ${NICK_RULES}.`;
    case 'nick_reserved': return `“${nick}” is reserved. Please pick another nickname.`;
    case 'nick_registered': return `“${nick}” belongs to a registered account: log in to use it, or pick another nickname.`;
    case 'forbidden': return 'You are logged in: your nickname is your account name and cannot be changed.';
    case 'rate_limited': return 'Too many changes at once: wait a moment and try again.';
    default: return err.message;
  }
}

export function createMe(session, { act }) {
  const box = $('#me');
  const button = $('#colour-button');
  const popover = $('#colour-popover');
  const form = $('#rename-form');
  const input = $('#rename-input');
  const change = $('#rename-button');
  const hint = $('#rename-hint');
  const errorBox = $('#rename-error');
  const picker = colourPicker($('#colour-swatches'), {
    customId: 'colour-input',
    onPick: (colour) => {
      act(session.setColour(colour));
      close();
    },
  });

  function showError(err) {
    errorBox.textContent = err.message;
    errorBox.dataset.code = err.code ?? '';
    errorBox.hidden = false;
    input.setAttribute('aria-invalid', 'true');
  }

  function clearError() {
    errorBox.hidden = true;
    errorBox.textContent = '';
    delete errorBox.dataset.code;
    input.removeAttribute('aria-invalid');
  }

  // An account's nickname is its name: the field shows it but cannot change it.
  function prefill() {
    const account = Boolean(session.token);
    input.value = session.nick ?? '';
    input.disabled = account;
    change.disabled = account;
    hint.textContent = account ? 'Your nickname is your account name.'
      : 'Everyone at your tables sees the change, on the web and on IRC.';
  }

  function open() {
    clearError();
    prefill();
    popover.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    if (!input.disabled) {
      input.focus();
      input.select();
    }
  }

  function close() {
    if (popover.hidden) return;
    popover.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (box.contains(document.activeElement)) button.focus();
  }

  // Changes our nickname and closes the popover. A refusal rejects with the words of
  // renameProblem (and the server's code), for the field or a toast to show.
  async function rename(nick) {
    try {
      await session.setNick(nick);
    } catch (err) {
      throw Object.assign(new Error(renameProblem(err, nick)), { code: err.code });
    }
    close();
  }

  function render() {
    box.hidden = !session.nick;
    $('#me-nick').textContent = session.nick ?? '';
    $('#me-colour').style.background = safeColour(session.colour) ?? 'transparent';
    picker.set(session.colour);
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const nick = input.value.trim();
    if (!nick) {
      showError({ code: 'bad_request', message: renameProblem({ code: 'bad_request' }, nick) });
      input.focus();
      return;
    }
    clearError();
    change.disabled = true;
    try {
      await rename(nick);
    } catch (err) {
      showError(err);
      input.focus();
      input.select();
    } finally {
      change.disabled = Boolean(session.token);
    }
  });
  input.addEventListener('input', clearError);
  button.addEventListener('click', () => (popover.hidden ? open() : close()));
  document.addEventListener('click', (e) => {
    if (!popover.hidden && !box.contains(e.target)) close();
  });
  document.addEventListener('keydown', (e) => e.key === 'Escape' && close());
  session.on('self', render);
  render();
  return { rename, open };
}

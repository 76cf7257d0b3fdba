// Connection state: the pill in the header and, while the connection is down, the banner with
// a countdown to the next attempt.
import { $ } from './dom.js';
import { TRANSPORT_NAMES } from '../links.js';

const LABELS = {
  connecting: 'Connecting…', resuming: 'Reconnecting…', open: 'Connected', waiting: 'Offline',
  closed: 'Disconnected',
};

export function createStatus(client) {
  const pill = $('#connection-status');
  const banner = $('#connection-banner');
  const text = $('#banner-text');
  let countdown = null;

  function onState({ state, transport, delay, reason }) {
    pill.dataset.state = state;
    pill.dataset.transport = transport;
    pill.textContent = LABELS[state] ?? state;
    const via = TRANSPORT_NAMES[transport] ?? transport;
    pill.title = state === 'open' ? `Connected over ${via}` : `${LABELS[state] ?? state} (${via})`;
    clearInterval(countdown);
    if (state === 'open') {
      banner.hidden = true;
      return;
    }
    if (state !== 'waiting') {
      // Only a reconnect attempt after a loss keeps the banner up; the very first connect does not.
      if (!banner.hidden) text.textContent = 'Connection lost. Reconnecting now…';
      return;
    }
    const due = Date.now() + delay;
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      text.textContent = `Connection lost${reason ? `: ${reason}` : ''}. Reconnecting in ${seconds}s…`;
    };
    tick();
    countdown = setInterval(tick, 250);
    banner.hidden = false;
  }

  client.on('state', onState);
  $('#retry-button').addEventListener('click', () => client.retryNow());
}

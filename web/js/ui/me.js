// Our nickname in the header; clicking it opens the colour popover (command `colour`).
import { $, safeColour } from './dom.js';
import { colourPicker } from './colour.js';

export function createMe(session, { act }) {
  const box = $('#me');
  const button = $('#colour-button');
  const popover = $('#colour-popover');
  const picker = colourPicker($('#colour-swatches'), {
    customId: 'colour-input',
    onPick: (colour) => {
      act(session.setColour(colour));
      close();
    },
  });

  function close() {
    popover.hidden = true;
    button.setAttribute('aria-expanded', 'false');
  }

  function render() {
    box.hidden = !session.nick;
    $('#me-nick').textContent = session.nick ?? '';
    $('#me-colour').style.background = safeColour(session.colour) ?? 'transparent';
    picker.set(session.colour);
  }

  button.addEventListener('click', () => {
    popover.hidden = !popover.hidden;
    button.setAttribute('aria-expanded', String(!popover.hidden));
  });
  document.addEventListener('click', (e) => {
    if (!popover.hidden && !box.contains(e.target)) close();
  });
  document.addEventListener('keydown', (e) => e.key === 'Escape' && close());
  session.on('self', render);
  render();
}

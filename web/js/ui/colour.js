// A row of colour swatches plus a custom colour input, used by the login card and the header.
import { el } from './dom.js';

const PALETTE = [
  '#e05561', '#e0803c', '#c49a00', '#4caf50', '#1fa58e',
  '#2b9bd1', '#5561e8', '#8e5bd8', '#d14fa8', '#7a8294',
];

// Renders into `container`. `allowAuto` adds a first swatch meaning "let the server pick".
// onPick(colour) gets '#rrggbb' or null (auto). Returns {set(colour)} to show the current choice.
export function colourPicker(container, { allowAuto = false, customId, onPick }) {
  const buttons = [];
  const swatch = (colour, label) => {
    const button = el('button', {
      type: 'button', class: colour ? 'swatch' : 'swatch swatch-auto', title: label,
      'aria-label': label, 'aria-pressed': 'false', dataset: { colour: colour ?? '' },
      onclick: () => pick(colour),
    }, colour ? null : 'A');
    if (colour) button.style.background = colour;
    buttons.push(button);
    return button;
  };
  const custom = el('input', {
    type: 'color', id: customId, class: 'swatch swatch-custom', title: 'Any colour…',
    'aria-label': 'Custom colour', onchange: (e) => pick(e.target.value),
  });

  function set(colour) {
    const value = colour?.toLowerCase() ?? '';
    let matched = false;
    for (const b of buttons) {
      const on = b.dataset.colour === value;
      matched ||= on;
      b.setAttribute('aria-pressed', String(on));
    }
    custom.classList.toggle('chosen', !matched && value !== '');
    if (value) custom.value = value;
  }

  function pick(colour) {
    set(colour);
    onPick(colour);
  }

  container.replaceChildren(
    ...(allowAuto ? [swatch(null, 'Automatic colour')] : []),
    ...PALETTE.map((c) => swatch(c, c)),
    custom,
  );
  return { set };
}

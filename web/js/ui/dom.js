// Small DOM helpers. All user text goes in through text nodes (never innerHTML).

// el('li', {class: 'member', dataset: {nick}, onclick: fn}, 'text', childNode, …)
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);

// Server colours are #rrggbb; anything else is not used as a colour.
export function safeColour(colour) {
  return /^#[0-9a-f]{6}$/i.test(colour ?? '') ? colour : null;
}

export function colouredNick(nick, colour) {
  const node = el('span', { class: 'nick', text: nick });
  const c = safeColour(colour);
  if (c) node.style.color = c;
  return node;
}

// A small padlock (an SVG, so it does not depend on an emoji font), for private tables.
export function lockIcon(cls) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('class', `lock ${cls}`);
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('aria-label', 'private');
  svg.setAttribute('role', 'img');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M5 7V5a3 3 0 0 1 6 0v2h1a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1zm1.5 0h3V5a1.5 1.5 0 0 0-3 0z');
  svg.append(path);
  return svg;
}

export function timeOf(ts) {
  const d = new Date(ts);
  const node = el('time', { class: 'ts', datetime: d.toISOString(), title: d.toLocaleString() });
  node.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return node;
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

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

export function timeOf(ts) {
  const d = new Date(ts);
  const node = el('time', { class: 'ts', datetime: d.toISOString(), title: d.toLocaleString() });
  node.textContent = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return node;
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

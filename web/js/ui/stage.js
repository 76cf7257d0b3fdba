// The stage of the room on screen, set by its hosts: a banner above the messages, a "now speaking"
// line, and a link (or an image) beside the chat. Everything is text nodes and attributes: a
// banner that looks like HTML is shown as it is. The server accepts only http(s) URLs; the client
// checks again before putting one into href or src.
import { $, el } from './dom.js';

const IMAGE_URL = /\.(png|jpe?g|gif|webp|avif|svg)(\?.*)?$/i;

function safeUrl(url) {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

export function createStage(session, { act }) {
  const banner = $('#stage-banner');
  const speaking = $('#stage-speaking');
  const side = $('#stage-side');

  function show() {
    const stage = session.room(session.active)?.stage ?? {};
    banner.textContent = stage.banner ?? '';
    banner.hidden = !stage.banner;
    $('#stage-speaker').textContent = stage.speaking ?? '';
    speaking.hidden = !stage.speaking;
    const url = stage.link ? safeUrl(stage.link.url) : null;
    const title = stage.link?.title || url;
    const body = !url ? [] : stage.link.image
      ? [el('img', { class: 'stage-image', src: url, alt: title, referrerpolicy: 'no-referrer' }),
        stage.link.title ? el('p', { class: 'stage-caption', text: stage.link.title }) : null]
      : [el('a', { class: 'stage-link', href: url, target: '_blank', rel: 'noopener noreferrer nofollow', text: title })];
    side.replaceChildren(...(url ? [el('h2', { class: 'panel-title', text: 'On stage' }), ...body] : []));
    side.hidden = !url;
  }

  session.on('stage', ({ room }) => room === session.active && show());
  session.on('active', show);
  session.on('joined', show);

  // The host's controls: each asks for one value; an empty answer clears it.
  function ask(text, value, run) {
    const room = session.room(session.active);
    if (!room) return;
    const answer = window.prompt(text, value ?? '');
    if (answer === null) return;
    act(run(room.name, answer.trim()));
  }
  $('#host-banner').addEventListener('click', () => ask(
    'Banner shown to everyone in this room (empty: none):',
    session.room(session.active)?.stage.banner,
    (name, text) => session.setStage(name, { banner: text || null })));
  $('#host-speaking').addEventListener('click', () => ask(
    'Who is speaking now (empty: nobody):',
    session.room(session.active)?.stage.speaking,
    (name, text) => session.setStage(name, { speaking: text || null })));
  $('#host-link').addEventListener('click', () => ask(
    'Link or image (an http:// or https:// URL) beside the chat (empty: none):',
    session.room(session.active)?.stage.link?.url,
    (name, url) => {
      if (!url) return session.setStage(name, { link: null });
      const title = window.prompt('Its title (may be empty):', '') ?? '';
      return session.setStage(name, { link: { url, title: title.trim(), image: IMAGE_URL.test(url) } });
    }));
}

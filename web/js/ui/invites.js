// Invitations to a private table: each incoming `invited` shows a card with Accept and Decline.
// A card goes away when answered or when the invitation expires (the server keeps it 5 minutes).
import { $, el, colouredNick, lockIcon } from './dom.js';

const INVITE_MS = 5 * 60 * 1000;

export function createInvites(session, { act }) {
  const box = $('#invites');

  session.on('invited', (ev) => {
    const origin = session.room(ev.room)?.summary.title ?? ev.room;
    const answer = (promise) => {
      card.remove();
      act(promise);
    };
    const card = el('div', { class: 'invite', role: 'alertdialog', dataset: { invite: String(ev.invite), from: ev.from } },
      lockIcon('invite-lock'),
      el('p', { class: 'invite-text' },
        colouredNick(ev.from, ev.colour), ' invites you to a private table',
        el('span', { class: 'invite-room', text: `from ${origin}` })),
      el('div', { class: 'invite-buttons' },
        el('button', { type: 'button', class: 'primary invite-accept', onclick: () => answer(session.accept(ev.invite)) }, 'Accept'),
        el('button', { type: 'button', class: 'invite-decline', onclick: () => answer(session.decline(ev.invite)) }, 'Decline')));
    setTimeout(() => card.remove(), INVITE_MS);
    box.append(card);
  });
}

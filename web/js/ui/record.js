// Recording and playback at our table: a "● recording" indicator and a replay line for everyone;
// for hosts, a Record button (start/stop) and a Recordings panel listing the room's recordings with
// play once, play looped (at the speed chosen), stop, delete and export. Exports are fetched with
// the account's token (the REST API needs it) and saved through a temporary object URL. Everything
// user-given goes in as text.
import { apiUrl } from '../base.js';
import { $, el } from './dom.js';

export function createRecord(session, { act }) {
  const indicator = $('#rec-indicator');
  const playing = $('#play-indicator');
  const panel = $('#recordings-panel');
  const list = $('#recordings-list');
  const recordButton = $('#host-record');

  function show() {
    const room = session.room(session.active);
    indicator.hidden = !room?.recording;
    indicator.title = room?.recording?.title ? `Recording “${room.recording.title}”` : 'This table is being recorded';
    playing.hidden = !room?.playback;
    playing.textContent = room?.playback
      ? `▶ replaying recording ${room.playback.recording}${room.playback.loop ? ' (looped)' : ''}` : '';
    recordButton.textContent = room?.recording ? 'Stop recording' : 'Record';
    if (!room?.host) panel.hidden = true;
  }

  async function exportRecording(rec, format) {
    const res = await fetch(apiUrl(`api/v1/admin/recordings/${rec.id}/export?format=${format}`), {
      headers: { Authorization: `Bearer ${session.token}` },
    });
    if (!res.ok) throw new Error(`export failed (HTTP ${res.status})`);
    const url = URL.createObjectURL(await res.blob());
    const a = el('a', { href: url, download: `recording-${rec.id}.${format === 'text' ? 'txt' : 'jsonl'}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  function speed() {
    const v = Number($('#play-speed').value);
    return v >= 0.1 && v <= 100 ? v : 1;
  }

  function row(room, rec) {
    const when = new Date(rec.started_ms).toLocaleString();
    const name = rec.title || `Table ${rec.table}, ${when}`;
    const buttons = [
      el('button', { type: 'button', class: 'rec-play', text: 'Play', onclick: () => act(session.play(room.name, rec.id, { speed: speed() })) }),
      el('button', { type: 'button', class: 'rec-loop', text: 'Loop', onclick: () => act(session.play(room.name, rec.id, { loop: true, speed: speed() })) }),
      session.token ? el('button', { type: 'button', class: 'rec-export', text: 'Export', onclick: () => act(exportRecording(rec, 'text')) }) : null,
      el('button', {
        type: 'button', class: 'rec-delete', text: 'Delete',
        onclick: () => window.confirm(`Delete “${name}”?`) && act(session.deleteRecording(rec.id).then(refresh)),
      }),
    ];
    return el('li', { class: 'recording-item', dataset: { id: String(rec.id) } },
      el('span', { class: 'rec-name', text: name }),
      el('span', { class: 'rec-meta', text: `${rec.messages} messages${rec.running ? ', recording' : ''}` }),
      ...buttons);
  }

  async function refresh() {
    const room = session.room(session.active);
    if (!room) return;
    const recs = await session.recordings(room.name);
    list.replaceChildren(...(recs.length ? recs.map((r) => row(room, r))
      : [el('li', { class: 'empty', text: 'No recordings yet' })]));
  }

  recordButton.addEventListener('click', () => {
    const room = session.room(session.active);
    if (!room) return;
    if (room.recording) {
      act(session.record(room.name, 'stop').then(() => !panel.hidden && refresh()));
      return;
    }
    const title = window.prompt('A title for the recording (may be empty):', '');
    if (title !== null) act(session.record(room.name, 'start', title.trim()));
  });
  $('#host-recordings').addEventListener('click', () => {
    panel.hidden = !panel.hidden;
    if (!panel.hidden) act(refresh());
  });
  $('#recordings-close').addEventListener('click', () => { panel.hidden = true; });
  $('#play-stop').addEventListener('click', () => {
    const room = session.room(session.active);
    if (room) act(session.stopPlay(room.name));
  });

  session.on('recording', ({ room }) => room === session.active && show());
  session.on('active', () => {
    panel.hidden = true;
    show();
  });
  session.on('rights', show);
}

// The chat session: who we are, the rooms we are in and what happened in them. It turns protocol
// events into state changes and tells the views through events; views never talk to the server.
//
// Emits:
//   'self'          our nick or colour changed
//   'rooms'         the list of all rooms (with user counts) changed
//   'joined'        the rooms we are in changed (entered, left, lurk flag, unread counts)
//   'active'        another room became the one on screen (detail: its name or null)
//   'entry'         {room, entry}: a line was added to a room's log
//   'entry-update'  {room, entry}: a line changed (a message was stored, or storing failed)
//   'table'         {room}: our table in a room, its members or lurker count changed
//   'tables'        {room}: the table list of a room changed
//   'ignored'       the list of nicknames we ignore changed
//   'rights'        {room}: our right in a room we are in changed (host controls come or go)
//   'stage'         {room}: a room's stage (banner, link, now speaking) changed
//   'recording'     {room}: our table started or stopped recording, or a playback into it
//                   started or ended (room.recording, room.playback)
//   'invited'       an `invited` event: someone asks us to a private room
//   'events'        the list of hosted events changed
//   'event'         the event we are at changed (joined, opened, ended, left)
//   'watch'         {room, table}: a table we watch (hosts and monitors of an event) changed
//   'notice'        a short text for the user (e.g. an invitation was declined)
//   'error'         a ProtocolError from something the user did not directly ask for
//   'logged-out'    {error}: after a reconnect our nickname could not be had back
import { Emitter } from './emitter.js';

const LOG_LIMIT = 1000;
const REHELLO_ATTEMPTS = 5;
const REHELLO_DELAY_MS = 2000;
const TABLES_DEBOUNCE_MS = 300;
const ROOMS_DEBOUNCE_MS = 1000;

function tableName(title, number) {
  return number === 1 ? title : `${title} #${number}`;
}

// Nicknames are compared as the server compares them (near enough: NFKC, then case-insensitive).
export function sameNick(a, b) {
  return a.normalize('NFKC').toLowerCase() === b.normalize('NFKC').toLowerCase();
}

// One room we are in. `log` holds the lines shown for it; `seen` the message ids already in it,
// so that history replayed on re-entry or hop is not shown twice.
// A room whose tables we watch without sitting at them (the `watch` command: a host or an event's
// monitor follows every audience table). Each table keeps its own short log.
const WATCH_LOG_LIMIT = 200;
class WatchedRoom {
  constructor(name) {
    this.name = name;
    this.tables = new Map(); // number -> {number, name, topic, members, lurkers, log, seen}
  }

  table(number) {
    let t = this.tables.get(number);
    if (!t) {
      t = { number, name: `#${number}`, topic: '', members: [], lurkers: 0, log: [], seen: new Set() };
      this.tables.set(number, t);
    }
    return t;
  }
}

class JoinedRoom {
  constructor(summary, lurk) {
    this.name = summary.name;
    this.summary = summary;
    this.lurk = lurk;
    this.table = 1;
    this.tableName = summary.title;
    this.members = [];
    this.lurkers = 0;
    this.tables = [];
    this.log = [];
    this.seen = new Set();
    this.unread = 0;
    this.pendingSays = []; // says sent but not yet seen as `message` events, oldest first
    this.tablesTimer = null;
    this.right = 'participant'; // ours at our table: 'host' shows the host controls
    this.stage = { banner: null, link: null, speaking: null }; // set by hosts; plain text and a URL
    this.recording = null; // our table's running recording: {id, title, started_by, since}
    this.playback = null; // a recording playing into our table: {recording, loop, speed, round}
  }

  get host() {
    return this.right === 'host';
  }

  // Read-only here: by choice (entered as a lurker) or because our right is read_only.
  get readOnly() {
    return this.lurk || this.right === 'read_only';
  }

  // A private room (for two, by invitation) is named ~private-N; no other room name starts with ~.
  get private() {
    return this.name.startsWith('~');
  }

  tableTitle(number) {
    return this.tables.find((t) => t.number === number)?.name ?? tableName(this.summary.title, number);
  }
}

export class Session extends Emitter {
  nick = null;
  colour = null;
  rooms = [];
  joined = new Map();
  active = null;
  ignored = []; // nicknames we ignore, as the server lists them
  token = null; // an account's session token: hello with it instead of a nickname
  accountClass = 'guest'; // 'guest', 'provisional' or 'registered'
  sysop = false; // a sysop of this chat group (hello's answer): the Administration link shows
  events = []; // hosted events we may see (the `events` command), with our role in each
  event = null; // the event we joined: {summary, role}
  watched = new Map(); // room name -> WatchedRoom

  #client;
  #rehelloFailures = 0;
  #wasOnline = false;
  #roomsTimer = null;

  constructor(client) {
    super();
    this.#client = client;
    client.on('welcome', () => this.#onWelcome());
    client.on('resumed', () => { this.#wasOnline = true; }); // the missed events follow
    client.on('event', (ev) => this.#onEvent(ev));
    client.on('state', ({ state }) => this.#onState(state));
  }

  get limits() {
    return this.#client.limits;
  }

  room(name) {
    return this.joined.get(name) ?? null;
  }

  // Chooses our nickname and enters a first room. Errors of `hello` are thrown to the caller
  // (the login dialog shows them); errors entering the room are thrown too, after hello succeeded.
  // With a token the session is the account's and the nickname its name.
  async login({ nick, colour, room, lurk, token = null }) {
    const args = token ? { token } : { nick };
    if (colour) args.colour = colour;
    const res = await this.#client.request('hello', args);
    this.token = token;
    this.accountClass = res.class ?? 'guest';
    this.sysop = res.sysop === true;
    this.nick = res.nick;
    this.colour = res.colour;
    this.emit('self');
    await this.refreshRooms();
    const target = room || (this.rooms.find((r) => r.name === 'lobby') ?? this.rooms[0])?.name;
    if (target) await this.enter(target, { lurk });
  }

  async enter(name, { lurk = false } = {}) {
    const res = await this.#client.request('enter', { room: name, lurk });
    this.#entered(res, lurk, false);
    this.setActive(name);
    this.refreshRooms().catch(() => {});
  }

  async leave(name) {
    if (this.#client.state === 'open') await this.#client.request('leave', { room: name });
    this.#forget(name);
    this.refreshRooms().catch(() => {});
  }

  // Leaves and enters again with the other lurk setting (the protocol has no in-place switch),
  // then hops back to the table we were at if entering placed us elsewhere and it is still open.
  async setLurk(name, lurk) {
    const before = this.#mustRoom(name).table;
    await this.#client.request('leave', { room: name });
    let res;
    try {
      res = await this.#client.request('enter', { room: name, lurk });
    } catch (err) {
      this.#forget(name);
      throw err;
    }
    this.#entered(res, lurk, false);
    if (res.table.table !== before) await this.hop(name, before).catch(() => {});
  }

  async hop(name, number) {
    const room = this.#mustRoom(name);
    const res = await this.#client.request('hop', { room: name, table: number });
    room.right = res.right ?? room.right;
    this.#applyTable(room, res.table);
    this.#push(room, { kind: 'divider', ts: Date.now(), text: `You moved to ${room.tableName}` });
    for (const m of res.history) this.#addMessage(room, m, false);
    this.refreshTables(name);
  }

  async say(name, text) {
    const room = this.#mustRoom(name);
    const pending = { entry: null };
    room.pendingSays.push(pending);
    try {
      await this.#client.request('say', { room: name, text });
      this.#settle(room, pending, 'stored');
    } catch (err) {
      // A lost connection says nothing about whether the message was stored.
      this.#settle(room, pending, err.code === 'disconnected' ? null : 'failed');
      throw err;
    }
  }

  async pm(name, to, text) {
    await this.#client.request('pm', { room: name, to, text });
  }

  isIgnored(nick) {
    return this.ignored.some((n) => sameNick(n, nick));
  }

  // Ignores (or stops ignoring) a nickname; the server then stops (or resumes) delivering their
  // messages. The client hides nothing itself.
  async setIgnored(nick, on) {
    const res = await this.#client.request(on ? 'ignore' : 'unignore', { nick });
    this.ignored = res.ignored;
    this.emit('ignored');
    const room = this.joined.get(this.active);
    const text = on ? `You ignore ${nick}. Their messages are hidden.` : `You no longer ignore ${nick}.`;
    if (room) this.#system(room, null, null, text);
  }

  async invite(name, to) {
    const room = this.#mustRoom(name);
    await this.#client.request('invite', { room: name, to });
    this.#system(room, null, null, `You invited ${to} to a private table.`);
  }

  // Host powers (the server checks the right; the controls only show to hosts).
  async eject(name, nick, banSeconds) {
    const room = this.#mustRoom(name);
    await this.#client.request('eject', { room: name, nick, ban: banSeconds });
    this.#system(room, null, null, `You ejected ${nick}${banSeconds ? ' with a ban' : ''}.`);
  }

  async broadcast(name, text) {
    await this.#client.request('broadcast', { room: name, text });
  }

  async editRoom(name, fields) {
    await this.#client.request('edit_room', { room: name, ...fields });
  }

  // fields: any of banner, link ({url, title, image}), speaking; null clears one.
  async setStage(name, fields) {
    await this.#client.request('stage', { room: name, ...fields });
  }

  // Recording and playback at our table (hosts). recordings() resolves to the room's list.
  async record(name, action, title) {
    await this.#client.request('record', { room: name, action, ...(title ? { title } : {}) });
  }

  async recordings(name) {
    return (await this.#client.request('recordings', { room: name })).recordings;
  }

  async deleteRecording(id) {
    await this.#client.request('delete_recording', { recording: id });
  }

  async play(name, recording, { loop = false, speed = 1 } = {}) {
    await this.#client.request('play', { room: name, recording, loop, speed });
  }

  async stopPlay(name) {
    await this.#client.request('stop_play', { room: name });
  }

  async editTable(name, number, topic) {
    await this.#client.request('edit_table', { room: name, table: number, topic });
  }

  // ---- hosted events (docs/PROTOCOL.md, "Hosted events") ----

  async refreshEvents() {
    const res = await this.#client.request('events');
    this.events = res.events;
    this.emit('events');
  }

  // Joins an event in our role: the stage (read-only for the audience), an audience table, the
  // backstage, and for hosts and monitors a watch on every audience table.
  async joinEvent(name) {
    const res = await this.#client.request('join_event', { event: name });
    this.event = { summary: res.event, role: res.role };
    for (const part of [res.stage, res.backstage, res.audience]) {
      if (part) this.#entered(part, false, false);
    }
    if (res.watching) this.#watching(res.watching);
    this.emit('event');
    this.setActive((res.audience ?? res.backstage ?? res.stage).room.name);
    this.refreshEvents().catch(() => {});
  }

  async leaveEvent() {
    const ev = this.event;
    if (!ev) return;
    if (this.#client.state === 'open') await this.#client.request('leave_event', { event: ev.summary.name });
    this.#eventGone();
    this.refreshRooms().catch(() => {});
  }

  async endEvent() {
    if (this.event) await this.#client.request('end_event', { event: this.event.summary.name });
  }

  // Forwards a message of an audience table (or the backstage) to the backstage or the stage.
  async forward(room, table, msgId, to) {
    await this.#client.request('forward', { room, table, msg_id: msgId, to });
  }

  // The event room of a kind ('stage', 'audience', 'backstage') of the event we are at, or null.
  eventRoom(kind) {
    return this.event?.summary.rooms[kind] ?? null;
  }

  #watching(res) {
    const w = new WatchedRoom(res.room);
    for (const view of res.tables) {
      const t = w.table(view.table);
      Object.assign(t, { name: view.name, topic: view.topic, lurkers: view.lurkers, members: view.members });
      for (const m of view.history ?? []) this.#watchMessage(w, t, m, false);
    }
    this.watched.set(res.room, w);
    this.emit('watch', { room: res.room, table: null });
  }

  #watchMessage(w, t, ev, live) {
    if (t.seen.has(ev.msg_id)) return;
    t.seen.add(ev.msg_id);
    t.log.push({
      kind: 'message', live, own: false, msgId: ev.msg_id, ts: ev.ts, table: t.number,
      nick: ev.nick, colour: ev.colour, text: ev.text, askedBy: ev.asked_by ?? null, status: null,
    });
    if (t.log.length > WATCH_LOG_LIMIT) t.log.splice(0, t.log.length - WATCH_LOG_LIMIT);
  }

  #onWatched(w, ev) {
    const t = ev.type === 'member_hopped' ? null : w.table(ev.table);
    switch (ev.type) {
      case 'message':
        this.#watchMessage(w, t, ev, true);
        break;
      case 'broadcast':
        t.log.push({ kind: 'broadcast', live: true, ts: ev.ts, nick: ev.from, colour: ev.colour, text: ev.text });
        break;
      case 'member_entered':
        if (!t.members.some((m) => sameNick(m.nick, ev.nick))) t.members.push({ nick: ev.nick, colour: ev.colour });
        break;
      case 'member_left':
        t.members = t.members.filter((m) => !sameNick(m.nick, ev.nick));
        break;
      case 'member_hopped': {
        const from = w.table(ev.from);
        from.members = from.members.filter((m) => !sameNick(m.nick, ev.nick));
        w.table(ev.to).members.push({ nick: ev.nick, colour: ev.colour });
        break;
      }
      case 'lurkers':
        t.lurkers = ev.count;
        break;
      case 'table_updated':
        t.topic = ev.topic;
        break;
      case 'nick_changed': {
        const member = t.members.find((m) => sameNick(m.nick, ev.old));
        if (member) member.nick = ev.nick;
        break;
      }
      default:
        return;
    }
    this.emit('watch', { room: w.name, table: t?.number ?? null });
  }

  // The event ended or we left it: out of its rooms, no more watching.
  #eventGone() {
    const ev = this.event;
    if (!ev) return;
    this.event = null;
    for (const name of Object.values(ev.summary.rooms)) {
      this.watched.delete(name);
      this.#forget(name);
    }
    this.emit('event');
  }

  #onEventState(ev) {
    const mine = this.event?.summary.name === ev.event;
    if (ev.state === 'ended' && mine) {
      const title = this.event.summary.title;
      this.#eventGone();
      this.emit('notice', `${title} has ended${ev.reason && ev.reason !== 'closed' ? ` (${ev.reason})` : ''}`);
    } else if (mine) {
      this.event.summary = { ...this.event.summary, state: ev.state };
      this.emit('event');
    }
    this.refreshEvents().catch(() => {});
  }

  async accept(id) {
    const res = await this.#client.request('accept', { invite: id });
    this.#entered(res, false, false);
    this.setActive(res.room.name);
  }

  async decline(id) {
    await this.#client.request('decline', { invite: id });
  }

  // A guest's new nickname; table-mates (and we) get nick_changed.
  async setNick(nick) {
    const res = await this.#client.request('nick', { nick });
    this.nick = res.nick;
    this.emit('self');
  }

  async setColour(colour) {
    const res = await this.#client.request('colour', { colour });
    this.colour = res.colour;
    for (const room of this.joined.values()) {
      const me = room.members.find((m) => sameNick(m.nick, this.nick));
      if (me) {
        me.colour = res.colour;
        this.emit('table', { room: room.name });
      }
    }
    this.emit('self');
  }

  setActive(name) {
    this.active = name;
    const room = this.joined.get(name);
    if (room) room.unread = 0;
    this.emit('active', name);
    this.emit('joined');
    if (room) this.refreshTables(name);
  }

  // The room on screen was seen (e.g. the window came back to the front).
  markRead() {
    const room = this.joined.get(this.active);
    if (!room?.unread) return;
    room.unread = 0;
    this.emit('joined');
  }

  async refreshRooms() {
    const res = await this.#client.request('rooms');
    this.rooms = res.rooms;
    for (const summary of res.rooms) {
      const room = this.joined.get(summary.name);
      if (room) room.summary = summary;
    }
    this.emit('rooms');
  }

  // Asks for a room's table list soon; several calls in a burst (people hopping) cost one request.
  refreshTables(name) {
    const room = this.joined.get(name);
    if (!room) return;
    clearTimeout(room.tablesTimer);
    room.tablesTimer = setTimeout(async () => {
      try {
        const res = await this.#client.request('tables', { room: name });
        room.tables = res.tables;
        this.emit('tables', { room: name });
      } catch {
        // Offline or the room went away; the next refresh will tell.
      }
    }, TABLES_DEBOUNCE_MS);
  }

  #refreshRoomsSoon() {
    clearTimeout(this.#roomsTimer);
    this.#roomsTimer = setTimeout(() => this.refreshRooms().catch(() => {}), ROOMS_DEBOUNCE_MS);
  }

  #forget(name) {
    const room = this.joined.get(name);
    if (!room) return;
    clearTimeout(room.tablesTimer);
    this.joined.delete(name);
    this.emit('joined');
    if (this.active === name) this.setActive(this.joined.keys().next().value ?? null);
  }

  #mustRoom(name) {
    const room = this.joined.get(name);
    if (!room) throw new Error(`not in room ${name}`);
    return room;
  }

  // Applies an `enter` reply: a fresh room, or one we are back in after a reconnect.
  #entered(res, lurk, rejoin) {
    const name = res.room.name;
    let room = this.joined.get(name);
    const fresh = !room;
    if (fresh) {
      room = new JoinedRoom(res.room, lurk);
      this.joined.set(name, room);
    }
    room.summary = res.room;
    room.lurk = lurk;
    room.right = res.right ?? 'participant'; // a private room's accept carries none
    room.pendingSays = [];
    room.stage = res.stage ?? { banner: null, link: null, speaking: null };
    this.emit('stage', { room: name });
    this.#applyTable(room, res.table);
    const how = lurk ? ' as a lurker (read-only)' : '';
    const where = `${res.room.title}${room.table > 1 ? `, table ${room.tableName}` : ''}`;
    if (fresh) {
      for (const m of res.history) this.#addMessage(room, m, false);
      this.#push(room, { kind: 'divider', ts: Date.now(), text: `You entered ${where}${how}` });
    } else {
      const text = rejoin ? `Reconnected — back in ${where}` : `You are back in ${where}${how}`;
      this.#push(room, { kind: 'divider', ts: Date.now(), text });
      for (const m of res.history) this.#addMessage(room, m, false);
    }
    this.emit('joined');
    this.refreshTables(name);
  }

  #applyTable(room, view) {
    room.table = view.table;
    room.tableName = view.name;
    room.members = view.members.map((m) => ({ nick: m.nick, colour: m.colour }));
    room.lurkers = view.lurkers;
    room.recording = view.recording ?? null;
    room.playback = view.playback ?? null;
    this.emit('table', { room: room.name });
    this.emit('recording', { room: room.name });
  }

  #push(room, entry) {
    room.log.push(entry);
    if (room.log.length > LOG_LIMIT) room.log.splice(0, room.log.length - LOG_LIMIT);
    const counts = entry.kind === 'message' || entry.kind === 'private';
    if (counts && entry.live && (room.name !== this.active || document.hidden)) {
      room.unread++;
      this.emit('joined');
    }
    this.emit('entry', { room: room.name, entry });
  }

  #addMessage(room, ev, live) {
    if (room.seen.has(ev.msg_id)) return;
    room.seen.add(ev.msg_id);
    const own = !ev.playback && this.nick !== null && sameNick(ev.nick, this.nick);
    const entry = {
      kind: 'message', live, own, msgId: ev.msg_id, ts: ev.ts, table: ev.table,
      nick: ev.nick, colour: ev.colour, text: ev.text, status: null, askedBy: ev.asked_by ?? null,
      playback: ev.playback ?? null, // a message played from a recording: {recording, round, original_ts}
    };
    if (own && live) {
      const pending = room.pendingSays.shift();
      if (pending) {
        pending.entry = entry;
        entry.status = 'pending';
      }
    }
    this.#push(room, entry);
  }

  #settle(room, pending, status) {
    const i = room.pendingSays.indexOf(pending);
    if (i >= 0) room.pendingSays.splice(i, 1);
    if (!pending.entry) return;
    pending.entry.status = status;
    this.emit('entry-update', { room: room.name, entry: pending.entry });
  }

  #system(room, nick, colour, text) {
    this.#push(room, { kind: 'system', ts: Date.now(), nick, colour, text });
  }

  #onEvent(ev) {
    switch (ev.type) {
      case 'account': // validated while connected
        this.accountClass = ev.class;
        this.sysop = ev.sysop === true;
        this.emit('self');
        break;
      case 'invited':
        this.emit('invited', ev);
        return;
      case 'invite_accepted':
        this.#entered({ room: ev.room, table: ev.table, history: [] }, false, false);
        this.setActive(ev.room.name);
        return;
      case 'invite_declined':
        this.emit('notice', `${ev.by} declined your invitation`);
        return;
      case 'ejected': {
        const title = this.joined.get(ev.room)?.summary?.title ?? ev.room;
        const until = ev.until ? ` until ${new Date(ev.until).toLocaleTimeString()}` : '';
        const why = ev.reason ? `: ${ev.reason}` : '';
        this.#forget(ev.room);
        this.emit('notice', `${ev.by} ejected you from ${title}${until}${why}`);
        this.#refreshRoomsSoon();
        return;
      }
      case 'event_state':
        this.#onEventState(ev);
        return;
      case 'unwatched': // our right there fell below host, or the room went away
        if (this.watched.delete(ev.room)) this.emit('watch', { room: ev.room, table: null });
        return;
      case 'rights':
        if (ev.right === 'none' && this.joined.has(ev.room)) {
          this.#forget(ev.room);
          this.emit('notice', `You no longer have access to ${ev.room}`);
          this.#refreshRoomsSoon();
          return;
        }
        break;
      default:
        break;
    }
    const w = this.watched.get(ev.room);
    if (w) this.#onWatched(w, ev);
    // room_updated carries the room's summary where the others carry its name
    const room = this.joined.get(ev.type === 'room_updated' ? ev.room?.name : ev.room);
    if (!room) return;
    const me = (nick) => this.nick !== null && sameNick(nick, this.nick);
    switch (ev.type) {
      case 'message':
        this.#addMessage(room, ev, true);
        break;
      case 'private':
        if (room.seen.has(ev.msg_id)) break;
        room.seen.add(ev.msg_id);
        this.#push(room, {
          kind: 'private', live: true, msgId: ev.msg_id, ts: ev.ts, from: ev.from, to: ev.to,
          colour: ev.colour, text: ev.text, outgoing: me(ev.from),
        });
        break;
      case 'member_entered':
        if (me(ev.nick)) break;
        this.#addMember(room, ev.nick, ev.colour);
        this.#system(room, ev.nick, ev.colour, 'entered');
        break;
      case 'member_left':
        this.#removeMember(room, ev.nick);
        this.#system(room, ev.nick, null, ev.reason === 'disconnected' ? 'disconnected' : 'left');
        break;
      case 'member_hopped':
        if (me(ev.nick)) break;
        if (ev.to === room.table) {
          this.#addMember(room, ev.nick, ev.colour);
          this.#system(room, ev.nick, ev.colour, `hopped over from ${room.tableTitle(ev.from)}`);
        } else if (ev.from === room.table) {
          this.#removeMember(room, ev.nick);
          this.#system(room, ev.nick, ev.colour, `hopped to ${room.tableTitle(ev.to)}`);
        }
        break;
      case 'lurkers':
        room.lurkers = ev.count;
        this.emit('table', { room: room.name });
        break;
      case 'rights': {
        room.right = ev.right;
        const lurk = ev.right === 'read_only' || room.lurk;
        const text = ev.right === 'read_only' ? 'You can only read here now'
          : `Your right here is now: ${ev.right.replace('_', ' ')}`;
        this.#push(room, { kind: 'divider', ts: Date.now(), text });
        if (lurk) this.#removeMember(room, this.nick ?? '');
        else if (this.nick) this.#addMember(room, this.nick, this.colour);
        this.emit('rights', { room: room.name });
        break;
      }
      case 'broadcast':
        this.#push(room, {
          kind: 'broadcast', live: true, ts: ev.ts, nick: ev.from, colour: ev.colour, text: ev.text,
        });
        break;
      case 'room_updated':
        room.summary = ev.room;
        this.emit('rooms');
        this.#push(room, {
          kind: 'divider', ts: Date.now(),
          text: `Room settings changed: ${ev.room.title}${ev.room.topic ? ` — ${ev.room.topic}` : ''}`,
        });
        this.#refreshRoomsSoon();
        this.refreshTables(room.name);
        break;
      case 'stage':
        room.stage = { banner: ev.banner, link: ev.link, speaking: ev.speaking };
        this.emit('stage', { room: room.name });
        break;
      case 'recording':
        if (ev.table !== room.table) break;
        room.recording = ev.state === 'started'
          ? { id: ev.recording, title: ev.title, started_by: ev.by, since: Date.now() } : null;
        this.#system(room, ev.by, null, ev.state === 'started'
          ? `${ev.by ? '' : 'This table '}started recording${ev.title ? ` “${ev.title}”` : ''}`
          : `${ev.by ? '' : 'This table '}stopped recording`);
        this.emit('recording', { room: room.name });
        break;
      case 'playback': {
        if (ev.table !== room.table) break;
        room.playback = ev.state === 'started'
          ? { recording: ev.recording, loop: ev.loop, speed: ev.speed, round: 1 } : null;
        const how = `recording ${ev.recording}${ev.loop ? ', looped' : ''}${ev.speed !== 1 ? ` at ${ev.speed}×` : ''}`;
        const what = { started: `started a replay of ${how}`, stopped: 'stopped the replay', finished: 'The replay finished' };
        this.#system(room, ev.by, null, ev.by || ev.state === 'finished' ? what[ev.state] : 'The replay ended');
        this.emit('recording', { room: room.name });
        break;
      }
      case 'table_updated':
        this.#push(room, { kind: 'divider', ts: Date.now(), text: `Table topic: ${ev.topic || '(none)'}` });
        this.refreshTables(room.name);
        break;
      case 'nick_changed': {
        const mine = me(ev.old);
        if (mine) this.nick = ev.nick;
        const member = room.members.find((m) => sameNick(m.nick, ev.old));
        if (member) member.nick = ev.nick;
        this.#system(room, ev.old, ev.colour, `is now known as ${ev.nick}`);
        this.emit('table', { room: room.name });
        if (mine) this.emit('self');
        break;
      }
      case 'colour': {
        const member = room.members.find((m) => sameNick(m.nick, ev.nick));
        if (member) member.colour = ev.colour;
        this.emit('table', { room: room.name });
        break;
      }
      default:
        return; // an event type from a newer server
    }
    if (ev.type.startsWith('member_') || ev.type === 'lurkers') {
      this.refreshTables(room.name);
      this.#refreshRoomsSoon();
    }
  }

  #addMember(room, nick, colour) {
    if (!room.members.some((m) => sameNick(m.nick, nick))) room.members.push({ nick, colour });
    this.emit('table', { room: room.name });
  }

  #removeMember(room, nick) {
    room.members = room.members.filter((m) => !sameNick(m.nick, nick));
    this.emit('table', { room: room.name });
  }

  #onState(state) {
    if (state !== 'waiting' || !this.#wasOnline) return;
    this.#wasOnline = false;
    for (const room of this.joined.values()) {
      this.#push(room, { kind: 'divider', ts: Date.now(), text: 'Connection lost' });
    }
  }

  #onWelcome() {
    this.#wasOnline = true;
    if (this.nick) this.#rejoin();
  }

  // After a reconnect: the same nickname again, then every room we were in, with the same lurk
  // setting. Our old connection may not be gone on the server yet, so nick_taken is retried.
  async #rejoin() {
    try {
      const res = await this.#client.request('hello', this.token
        ? { token: this.token, colour: this.colour } : { nick: this.nick, colour: this.colour });
      this.colour = res.colour;
      this.accountClass = res.class ?? 'guest';
      this.sysop = res.sysop === true;
    } catch (err) {
      if (err.code === 'disconnected') return; // the next welcome tries again
      if (err.code === 'nick_taken' && ++this.#rehelloFailures < REHELLO_ATTEMPTS) {
        setTimeout(() => this.#client.state === 'open' && this.#rejoin(), REHELLO_DELAY_MS);
        return;
      }
      this.#loggedOut(err);
      return;
    }
    this.#rehelloFailures = 0;
    this.emit('self');
    // The ignore list belonged to the old connection.
    await Promise.all(this.ignored.map((nick) => this.#client.request('ignore', { nick }).catch(() => {})));
    const active = this.active;
    const eventRooms = new Set(this.event ? Object.values(this.event.summary.rooms) : []);
    for (const room of [...this.joined.values()]) {
      if (eventRooms.has(room.name)) continue; // entered again with the event, below
      if (room.private) {
        this.#forget(room.name); // gone with the old connection; nobody can enter it again
        continue;
      }
      try {
        const res = await this.#client.request('enter', { room: room.name, lurk: room.lurk });
        this.#entered(res, room.lurk, true);
      } catch (err) {
        if (err.code === 'disconnected') return;
        this.#forget(room.name);
        this.emit('error', err);
      }
    }
    // The event's rooms and watches are entered again as a whole (an ended event is left).
    if (this.event) {
      const name = this.event.summary.name;
      for (const room of Object.values(this.event.summary.rooms)) this.watched.delete(room);
      await this.joinEvent(name).catch((err) => {
        if (err.code === 'disconnected') return;
        this.#eventGone();
        this.emit('error', err);
      });
    }
    this.setActive(this.joined.has(active) ? active : (this.joined.keys().next().value ?? null));
    this.refreshRooms().catch(() => {});
  }

  #loggedOut(error) {
    this.nick = null;
    this.sysop = false;
    this.ignored = [];
    this.event = null;
    this.watched.clear();
    this.#rehelloFailures = 0;
    for (const name of [...this.joined.keys()]) this.#forget(name);
    this.emit('self');
    this.emit('logged-out', { error });
  }
}

#!/usr/bin/env node
// The baseline peer for Parley's benchmarks: the chat server a web developer would write with
// Node.js and the `ws` package, speaking the same WebSocket JSON protocol as parleyd
// (docs/PROTOCOL.md) at ws://HOST:PORT/ws. See README.md beside this file for what it does and
// does not do, and why it is a fair peer.
//
//   node server.js --port N [--host 127.0.0.1] [--rooms lobby,games] [--capacity 32] [--history 50]
//
// Prints "listening on PORT" once it accepts connections; exits on SIGTERM or SIGINT.
'use strict';

const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const VERSION = '0.1.0';
const LIMITS = { max_message: 16384, max_text: 4000, history_on_entry: 50 };
const OUTPUT_CAP = 1 << 20; // like parleyd's output_cap: drop a client that reads too slowly
const RESERVED = new Set(['parley', 'server', 'system', 'admin', 'sysop', 'host', 'guest']);
// parleyd's palette and hash (src/core/nick.c), so a nickname gets the same colour on both servers.
const PALETTE = ['#b8860b', '#8e44ad', '#c678dd', '#c18401', '#0184bc', '#50a14f',
  '#be5046', '#2e86de', '#61afef', '#16a085', '#d35400', '#e06c75'];

// ---- command line ----

function usage(msg) {
  if (msg) console.error(`server.js: ${msg}`);
  console.error('usage: node server.js --port N [--host 127.0.0.1] [--rooms lobby,games] ' +
    '[--capacity 32] [--history 50]');
  process.exit(2);
}

const opts = { port: null, host: '127.0.0.1', rooms: 'lobby', capacity: 32, history: 50 };
for (let i = 2; i < process.argv.length; i++) {
  const arg = process.argv[i];
  const val = process.argv[++i];
  if (val === undefined) usage(`${arg} needs a value`);
  switch (arg) {
    case '--port': opts.port = Number(val); break;
    case '--host': opts.host = val; break;
    case '--rooms': opts.rooms = val; break;
    case '--capacity': opts.capacity = Number(val); break;
    case '--history': opts.history = Number(val); break;
    default: usage(`unknown option ${arg}`);
  }
}
if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) usage('--port N is required');
if (!Number.isInteger(opts.capacity) || opts.capacity < 1 || opts.capacity > 10000) usage('bad --capacity');
if (!Number.isInteger(opts.history) || opts.history < 0) usage('bad --history');
LIMITS.history_on_entry = opts.history;

// ---- rooms and tables ----

// A room is {name, title, topic, capacity, tables: Map number -> table, users}.
// A table is {room, number, name, people: Set of clients in arrival order, lurkers, history}.
const rooms = new Map();
for (const spec of opts.rooms.split(',').filter(Boolean)) {
  const [name, title] = spec.split(':');
  if (!/^[a-z0-9][a-z0-9_-]{0,31}$/.test(name)) usage(`bad room name ${name}`);
  const room = { name, title: title || name[0].toUpperCase() + name.slice(1), topic: '',
    capacity: opts.capacity, tables: new Map(), users: 0 };
  openTable(room, 1);
  rooms.set(name, room);
}

function openTable(room, number) {
  const table = { room, number, name: number === 1 ? room.title : `${room.title} #${number}`,
    people: new Set(), lurkers: 0, history: [] };
  room.tables.set(number, table);
  // keep the Map ordered by table number
  const sorted = [...room.tables.entries()].sort((a, b) => a[0] - b[0]);
  room.tables = new Map(sorted);
  return table;
}

// The lowest-numbered table with room, else a new one with the lowest unused number.
function pickTable(room) {
  for (const table of room.tables.values()) {
    if (table.people.size < room.capacity) return table;
  }
  let n = 1;
  while (room.tables.has(n)) n++;
  return openTable(room, n);
}

function roomSummary(room) {
  return { name: room.name, title: room.title, topic: room.topic, capacity: room.capacity,
    tables: room.tables.size, users: room.users };
}

function tableSummary(table) {
  return { number: table.number, name: table.name, users: table.people.size,
    lurkers: table.lurkers, capacity: table.room.capacity,
    full: table.people.size >= table.room.capacity };
}

function tableView(table) {
  const members = [];
  for (const c of table.people) {
    if (!c.rooms.get(table.room.name).lurk) members.push({ nick: c.nick, colour: c.colour });
  }
  return { room: table.room.name, table: table.number, name: table.name, lurkers: table.lurkers,
    members };
}

function join(client, table, lurk) {
  table.people.add(client);
  table.room.users++;
  if (lurk) table.lurkers++;
  client.rooms.set(table.room.name, { table, lurk });
}

function unjoin(client, table) {
  const lurk = client.rooms.get(table.room.name).lurk;
  table.people.delete(client);
  table.room.users--;
  if (lurk) table.lurkers--;
  client.rooms.delete(table.room.name);
  return lurk;
}

function maybeClose(table) {
  if (table.number >= 2 && table.people.size === 0) table.room.tables.delete(table.number);
}

// ---- sending ----

function send(client, str) {
  const ws = client.ws;
  if (ws.readyState !== WebSocket.OPEN) return;
  if (ws.bufferedAmount > OUTPUT_CAP) {
    ws.terminate(); // a slow reader; 'close' takes it out of its rooms
    return;
  }
  ws.send(str);
}

// One JSON.stringify per event, then the same string to everyone at the table.
function broadcast(table, event) {
  const str = JSON.stringify(event);
  for (const client of table.people) send(client, str);
}

function reply(client, id, result) {
  send(client, JSON.stringify({ type: 'ok', id, ...result }));
}

class CmdError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// ---- nicknames ----

const nicks = new Map(); // folded nickname -> client

function foldNick(nick) {
  return nick.normalize('NFKC').toLowerCase();
}

function defaultColour(fold) {
  let h = 2166136261; // FNV-1a over the UTF-8 bytes, as parleyd does
  for (const b of Buffer.from(fold, 'utf8')) h = Math.imul(h ^ b, 16777619) >>> 0;
  return PALETTE[h % PALETTE.length];
}

// ---- arguments ----

function str(msg, key) {
  const v = msg[key];
  if (typeof v !== 'string') throw new CmdError('bad_request', `"${key}" must be a string`);
  if (v.includes('\0')) throw new CmdError('bad_request', `"${key}" contains U+0000`);
  return v;
}

function memberOf(client, msg) {
  const name = str(msg, 'room');
  const m = client.rooms.get(name);
  if (!m) throw new CmdError('not_in_room', `you are not in room "${name}"`);
  return { room: rooms.get(name), member: m };
}

function roomNamed(msg) {
  const name = str(msg, 'room');
  const room = rooms.get(name);
  if (!room) throw new CmdError('no_such_room', `no room "${name}"`);
  return room;
}

function checkText(msg) {
  const text = str(msg, 'text');
  if (Buffer.byteLength(text) > LIMITS.max_text) throw new CmdError('text_too_long', 'text is too long');
  if (/^\s*$/u.test(text)) throw new CmdError('text_empty', 'text is empty');
  return text;
}

function checkColour(msg) {
  const colour = str(msg, 'colour');
  if (!/^#[0-9a-fA-F]{6}$/.test(colour)) throw new CmdError('bad_colour', 'colour must be #rrggbb');
  return colour.toLowerCase();
}

// ---- commands ----

let lastMsgId = 0;

const commands = {
  ping() {
    return { ts: Date.now() };
  },

  hello(client, msg) {
    if (client.nick) throw new CmdError('already_hello', 'you already said hello');
    if (typeof msg.nick !== 'string') throw new CmdError('bad_request', '"nick" must be a string');
    const nick = msg.nick;
    if (!/^\p{L}[\p{L}\p{N}_.-]{1,23}$/u.test(nick)) throw new CmdError('nick_invalid', 'bad nickname');
    const fold = foldNick(nick);
    if (RESERVED.has(fold)) throw new CmdError('nick_reserved', 'that nickname is reserved');
    if (nicks.has(fold)) throw new CmdError('nick_taken', 'that nickname is taken');
    const colour = msg.colour === undefined ? defaultColour(fold) : checkColour(msg);
    client.nick = nick;
    client.fold = fold;
    client.colour = colour;
    nicks.set(fold, client);
    return { nick, colour };
  },

  rooms() {
    const list = [...rooms.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(roomSummary);
    return { rooms: list };
  },

  enter(client, msg) {
    const room = roomNamed(msg);
    if (msg.lurk !== undefined && typeof msg.lurk !== 'boolean') {
      throw new CmdError('bad_request', '"lurk" must be a boolean');
    }
    const lurk = msg.lurk === true;
    if (client.rooms.has(room.name)) throw new CmdError('already_in_room', `you are in room "${room.name}"`);
    const table = pickTable(room);
    if (lurk) {
      broadcast(table, { type: 'lurkers', room: room.name, table: table.number, count: table.lurkers + 1 });
    } else {
      broadcast(table, { type: 'member_entered', room: room.name, table: table.number,
        nick: client.nick, colour: client.colour });
    }
    join(client, table, lurk);
    return { room: roomSummary(room), table: tableView(table), history: table.history };
  },

  tables(client, msg) {
    const room = roomNamed(msg);
    return { room: room.name, tables: [...room.tables.values()].map(tableSummary) };
  },

  hop(client, msg) {
    const { room, member } = memberOf(client, msg);
    if (!Number.isInteger(msg.table)) throw new CmdError('bad_request', '"table" must be an integer');
    const from = member.table;
    const to = room.tables.get(msg.table);
    if (!to) throw new CmdError('no_such_table', `no table ${msg.table}`);
    if (to === from) throw new CmdError('already_at_table', 'you are at that table');
    if (to.people.size >= room.capacity) throw new CmdError('table_full', 'that table is full');
    const lurk = unjoin(client, from);
    if (lurk) {
      broadcast(from, { type: 'lurkers', room: room.name, table: from.number, count: from.lurkers });
      broadcast(to, { type: 'lurkers', room: room.name, table: to.number, count: to.lurkers + 1 });
    } else {
      const event = { type: 'member_hopped', room: room.name, nick: client.nick,
        colour: client.colour, from: from.number, to: to.number };
      broadcast(from, event);
      broadcast(to, event);
    }
    maybeClose(from);
    join(client, to, lurk);
    return { table: tableView(to), history: to.history };
  },

  leave(client, msg) {
    const { room, member } = memberOf(client, msg);
    drop(client, member.table, 'left');
    return { room: room.name };
  },

  say(client, msg) {
    const { room, member } = memberOf(client, msg);
    if (member.lurk) throw new CmdError('read_only', 'lurkers cannot talk');
    const text = checkText(msg);
    const table = member.table;
    const event = { type: 'message', room: room.name, table: table.number, msg_id: ++lastMsgId,
      ts: Date.now(), nick: client.nick, colour: client.colour, text };
    broadcast(table, event);
    if (LIMITS.history_on_entry > 0) {
      table.history.push(event);
      if (table.history.length > LIMITS.history_on_entry) table.history.shift();
    }
    return { msg_id: event.msg_id, ts: event.ts };
  },

  pm(client, msg) {
    const { room, member } = memberOf(client, msg);
    if (member.lurk) throw new CmdError('read_only', 'lurkers cannot talk');
    const to = str(msg, 'to');
    const text = checkText(msg);
    const target = nicks.get(foldNick(to));
    const tm = target && target.rooms.get(room.name);
    if (!tm || tm.table !== member.table || tm.lurk) {
      throw new CmdError('no_such_user', `nobody called "${to}" is at your table`);
    }
    const event = { type: 'private', room: room.name, table: member.table.number,
      msg_id: ++lastMsgId, ts: Date.now(), from: client.nick, to: target.nick,
      colour: client.colour, text };
    const s = JSON.stringify(event);
    send(target, s);
    if (target !== client) send(client, s);
    return { msg_id: event.msg_id, ts: event.ts };
  },

  members(client, msg) {
    return tableView(memberOf(client, msg).member.table);
  },

  colour(client, msg) {
    const colour = checkColour(msg);
    client.colour = colour;
    for (const [name, m] of client.rooms) {
      broadcast(m.table, { type: 'colour', room: name, table: m.table.number, nick: client.nick, colour });
    }
    return { colour };
  },
};

// Takes the client out of the table's room and tells the table-mates.
function drop(client, table, reason) {
  const lurk = unjoin(client, table);
  if (lurk) {
    broadcast(table, { type: 'lurkers', room: table.room.name, table: table.number, count: table.lurkers });
  } else {
    broadcast(table, { type: 'member_left', room: table.room.name, table: table.number,
      nick: client.nick, reason });
  }
  maybeClose(table);
}

function handle(client, data, isBinary) {
  if (isBinary) {
    client.ws.close(1003, 'binary messages are not supported');
    return;
  }
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    msg = undefined;
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    send(client, JSON.stringify({ type: 'error', id: null, code: 'bad_json', message: 'not a JSON object' }));
    return;
  }
  let id = msg.id === undefined ? null : msg.id;
  try {
    if (id !== null && !Number.isSafeInteger(id) && !(typeof id === 'string' && Buffer.byteLength(id) <= 64)) {
      id = null;
      throw new CmdError('bad_request', '"id" must be an integer or a short string');
    }
    if (typeof msg.type !== 'string') throw new CmdError('bad_request', '"type" must be a string');
    const command = Object.hasOwn(commands, msg.type) ? commands[msg.type] : undefined;
    if (!command) throw new CmdError('unknown_type', `no command "${msg.type}"`);
    if (!client.nick && msg.type !== 'hello' && msg.type !== 'ping') {
      throw new CmdError('hello_first', 'say hello first');
    }
    reply(client, id, command(client, msg));
  } catch (err) {
    if (!(err instanceof CmdError)) throw err;
    send(client, JSON.stringify({ type: 'error', id, code: err.code, message: err.message }));
  }
}

// ---- server ----

const server = http.createServer((req, res) => {
  const path = req.url.split('?')[0];
  if (path === '/healthz') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"status":"ok"}');
  } else if (path === '/ws') {
    res.writeHead(426, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('upgrade required\n');
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain', Connection: 'close' });
    res.end('not found\n');
  }
});

const wss = new WebSocketServer({
  server,
  path: '/ws',
  perMessageDeflate: false, // ws's server default too; said explicitly since parleyd does not compress
  maxPayload: LIMITS.max_message, // bigger messages are closed with 1009, as parleyd does
});

const welcome = JSON.stringify({ type: 'welcome', server: 'parley-baseline', version: VERSION,
  protocol: 1, limits: LIMITS });

wss.on('connection', (ws) => {
  const client = { ws, nick: null, fold: null, colour: null, rooms: new Map() };
  ws.on('message', (data, isBinary) => handle(client, data, isBinary));
  ws.on('error', () => {}); // protocol errors: ws closes the connection itself
  ws.on('close', () => {
    for (const m of [...client.rooms.values()]) drop(client, m.table, 'disconnected');
    if (client.nick) nicks.delete(client.fold);
  });
  ws.send(welcome);
});

server.listen(opts.port, opts.host, () => {
  console.log(`listening on ${server.address().port}`);
});

function shutdown() {
  server.close();
  for (const ws of wss.clients) ws.close(1001, 'going away');
  // Wait up to 2 s for the clients' close frames, as parleyd does, then go.
  const deadline = Date.now() + 2000;
  const timer = setInterval(() => {
    if (wss.clients.size === 0 || Date.now() > deadline) {
      clearInterval(timer);
      process.exit(0);
    }
  }, 20);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

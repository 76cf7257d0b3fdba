// The Parley protocol client (docs/PROTOCOL.md): one session over a WebSocket to /ws, or where
// that cannot open, over SSE + POST, else long-poll (links.js); commands matched to their replies
// by id, events dispatched by type, and automatic reconnection with exponential backoff.
//
// Resume (docs/PROTOCOL.md, "Resume"): hello's answer gives a resume token; the client counts the
// session's messages (the welcome is 1, `resumed` says which comes next). After a lost connection
// the new one (any transport) sends `resume` with the token and the last number instead of
// letting the session start again: the server replays what was missed and the session goes on
// as if nothing happened. If that fails (the window passed, …) the new connection is announced
// with 'welcome' like a fresh one, and the Session says hello again and reloads history.
//
// Emits:
//   'state'   {state, transport, delay?, reason?}  state is 'connecting', 'resuming' (asking the
//             server for the session back), 'open', 'waiting' (a reconnect is scheduled in `delay`
//             ms) or 'closed' (close() was called); transport is the link's kind ('websocket',
//             'sse' or 'poll')
//   'welcome' a new session: the server's welcome (once per connection unless it resumed)
//   'resumed' the session came back on a new connection, missed events follow
//   'event'   every other event; listeners switch on event.type
//   'stray'   an error reply that matches no pending command (e.g. bad_json)
import { Emitter } from './emitter.js';
import { TRANSPORTS, available, openLink } from './links.js';

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30000;
const KEEPALIVE_EVERY_MS = 25000;
const KEEPALIVE_TIMEOUT_MS = 10000;

// A failed command: `code` is the protocol's error code (or 'disconnected' / 'offline' when the
// connection went away), `message` the server's text for people.
export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

export class ParleyClient extends Emitter {
  #kinds; // the transports to try, best first
  #kind = 0; // index in #kinds of the one in use or being tried
  #link = null;
  #nextId = 1;
  #pending = new Map(); // id -> {resolve, reject}
  #attempt = 0;
  #retryTimer = null;
  #keepaliveTimer = null;
  #stopped = false;
  #resumeToken = null; // from hello's answer; null: nothing to resume
  #seq = 0; // the number of the session's last message received

  state = 'closed';
  limits = { max_message: 16384, max_text: 4000, history_on_entry: 50 };

  // options.transport: 'websocket', 'sse' or 'poll' to use only that one (tests, diagnosis).
  constructor(options = {}) {
    super();
    const wanted = TRANSPORTS.includes(options.transport) ? [options.transport] : TRANSPORTS;
    this.#kinds = wanted.filter(available);
    if (this.#kinds.length === 0) this.#kinds = ['poll'];
  }

  get transport() {
    return this.#kinds[this.#kind];
  }

  connect() {
    this.#stopped = false;
    this.#open();
  }

  close() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.quit();
    if (this.#link) this.#link.close();
    this.#link = null;
    this.#setState('closed');
  }

  // Ends the session at once on the server (no resume: the nickname is free), e.g. when the page
  // goes away. Best effort: nothing waits for the answer.
  quit() {
    if (this.state === 'open' && this.#link) this.#link.send(JSON.stringify({ type: 'quit' }));
    this.#resumeToken = null;
  }

  // Skips the rest of a reconnect delay.
  retryNow() {
    if (this.state !== 'waiting') return;
    clearTimeout(this.#retryTimer);
    this.#open();
  }

  // Sends a command; resolves with the `ok` reply, rejects with a ProtocolError.
  request(type, args = {}) {
    if (this.state !== 'open') {
      return Promise.reject(new ProtocolError('offline', 'not connected to the server'));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#link.send(JSON.stringify({ ...args, type, id }));
    });
  }

  #setState(state, extra = {}) {
    this.state = state;
    this.emit('state', { state, transport: this.transport, ...extra });
  }

  #open() {
    this.#setState('connecting');
    const link = openLink(this.transport);
    this.#link = link;
    link.onmessage = (text) => this.#onMessage(text);
    link.onclose = (reason, opened) => {
      if (this.#link !== link) return;
      if (!opened && this.#kind + 1 < this.#kinds.length) {
        this.#link = null;
        this.#kind++; // this transport does not get through: try the next one at once
        this.#open();
        return;
      }
      if (!opened) this.#kind = 0; // none opened: after the delay, start again from the best
      this.#onClose(reason);
    };
  }

  #onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // the server only sends JSON; ignore anything else rather than crash
    }
    if (msg.type === 'resumed') {
      this.#seq = msg.next_seq - 1; // resumed itself is not counted
      this.#opened();
      this.emit('resumed', msg);
      return;
    }
    if (msg.type === 'welcome') {
      this.#onWelcome(msg);
      return;
    }
    this.#seq++;
    if (msg.type === 'resume_failed') {
      this.#resumeToken = null; // this connection is a new session: say hello again
      this.#opened();
      this.emit('welcome', this.#welcome);
      return;
    }
    if (msg.type === 'ok' && typeof msg.resume === 'string') this.#resumeToken = msg.resume;
    if (msg.type === 'ok' || msg.type === 'error') {
      const waiter = this.#pending.get(msg.id);
      if (!waiter) {
        if (msg.type === 'error') this.emit('stray', new ProtocolError(msg.code, msg.message));
        return;
      }
      this.#pending.delete(msg.id);
      if (msg.type === 'ok') waiter.resolve(msg);
      else waiter.reject(new ProtocolError(msg.code, msg.message));
    } else {
      this.emit('event', msg);
    }
  }

  #welcome = null;

  // A new connection: resume our session on it if we have one, else a new session starts.
  #onWelcome(msg) {
    const last = this.#seq;
    this.#seq = 1;
    this.#welcome = msg;
    this.#link.opened = true;
    if (msg.limits) this.limits = { ...this.limits, ...msg.limits };
    if (this.#resumeToken) {
      this.#setState('resuming');
      this.#link.send(JSON.stringify({ type: 'resume', token: this.#resumeToken, last_seq: last }));
      return;
    }
    this.#opened();
    this.emit('welcome', msg);
  }

  #opened() {
    this.#attempt = 0;
    this.#setState('open');
    this.#startKeepalive();
  }

  #onClose(reason) {
    this.#link = null;
    clearInterval(this.#keepaliveTimer);
    for (const waiter of this.#pending.values()) {
      waiter.reject(new ProtocolError('disconnected', 'the connection to the server was lost'));
    }
    this.#pending.clear();
    if (this.#stopped) return;
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.#attempt);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.#attempt++;
    this.#retryTimer = setTimeout(() => this.#open(), delay);
    this.#setState('waiting', { delay, reason });
  }

  // The server never pings; a periodic `ping` command notices a silently dead connection. A dead
  // connection's close handshake could take long, so it is dropped at once instead.
  #startKeepalive() {
    clearInterval(this.#keepaliveTimer);
    this.#keepaliveTimer = setInterval(() => {
      const link = this.#link;
      const timer = setTimeout(() => {
        if (this.#link !== link) return;
        link.close();
        this.#onClose('the server stopped answering');
      }, KEEPALIVE_TIMEOUT_MS);
      this.request('ping').then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    }, KEEPALIVE_EVERY_MS);
  }
}

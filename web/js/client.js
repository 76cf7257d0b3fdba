// The Parley protocol client (docs/PROTOCOL.md): one WebSocket to /ws, commands matched to their
// replies by id, events dispatched by type, and automatic reconnection with exponential backoff.
//
// Emits:
//   'state'   {state, delay?, reason?}  state is 'connecting', 'open', 'waiting' (a reconnect is
//             scheduled in `delay` ms) or 'closed' (close() was called)
//   'welcome' the server's welcome event, once per connection
//   'event'   every other event; listeners switch on event.type
//   'stray'   an error reply that matches no pending command (e.g. bad_json)
import { Emitter } from './emitter.js';

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
  #url;
  #ws = null;
  #nextId = 1;
  #pending = new Map(); // id -> {resolve, reject}
  #attempt = 0;
  #retryTimer = null;
  #keepaliveTimer = null;
  #stopped = false;

  state = 'closed';
  limits = { max_message: 16384, max_text: 4000, history_on_entry: 50 };

  constructor(url) {
    super();
    this.#url = url;
  }

  connect() {
    this.#stopped = false;
    this.#open();
  }

  close() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    if (this.#ws) this.#ws.close(1000, 'bye');
    this.#setState('closed');
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
      this.#ws.send(JSON.stringify({ ...args, type, id }));
    });
  }

  #setState(state, extra = {}) {
    this.state = state;
    this.emit('state', { state, ...extra });
  }

  #open() {
    this.#setState('connecting');
    const ws = new WebSocket(this.#url);
    this.#ws = ws;
    ws.onmessage = (e) => this.#onMessage(e.data);
    ws.onclose = (e) => {
      if (this.#ws === ws) this.#onClose(closeReason(e));
    };
  }

  #onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      return; // the server only sends JSON; ignore anything else rather than crash
    }
    if (msg.type === 'ok' || msg.type === 'error') {
      const waiter = this.#pending.get(msg.id);
      if (!waiter) {
        if (msg.type === 'error') this.emit('stray', new ProtocolError(msg.code, msg.message));
        return;
      }
      this.#pending.delete(msg.id);
      if (msg.type === 'ok') waiter.resolve(msg);
      else waiter.reject(new ProtocolError(msg.code, msg.message));
    } else if (msg.type === 'welcome') {
      this.#attempt = 0;
      if (msg.limits) this.limits = { ...this.limits, ...msg.limits };
      this.#setState('open');
      this.#startKeepalive();
      this.emit('welcome', msg);
    } else {
      this.emit('event', msg);
    }
  }

  #onClose(reason) {
    this.#ws = null;
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
      const ws = this.#ws;
      const timer = setTimeout(() => {
        if (this.#ws !== ws) return;
        ws.close();
        this.#onClose('the server stopped answering');
      }, KEEPALIVE_TIMEOUT_MS);
      this.request('ping').then(
        () => clearTimeout(timer),
        () => clearTimeout(timer),
      );
    }, KEEPALIVE_EVERY_MS);
  }
}

function closeReason(e) {
  if (e.code === 1001) return 'the server is restarting';
  if (e.reason) return e.reason;
  return e.code === 1006 ? null : `closed with code ${e.code}`;
}

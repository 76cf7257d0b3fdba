// The transports a ParleyClient talks over (docs/PROTOCOL.md, "Transports"): a WebSocket, else
// Server-Sent Events with POST, else long-poll. Each link carries the protocol's JSON texts both
// ways behind one small interface:
//
//   link.send(text)   queues one client message
//   link.close()      ends the link (no onclose follows)
//   link.onmessage    (text) => void, every server message in order
//   link.onclose      (reason, opened) => void, once, when the link is lost; opened tells whether
//                     the server's welcome had arrived (a link that never opened is a transport
//                     that does not work here: the client falls back to the next one)
//   link.opened       set by the client when the welcome arrives
import { apiUrl, wsUrl } from './base.js';

export const TRANSPORTS = ['websocket', 'sse', 'poll'];
export const TRANSPORT_NAMES = { websocket: 'WebSocket', sse: 'SSE', poll: 'long-poll' };

// Whether the browser has what a transport needs.
export function available(kind) {
  if (kind === 'websocket') return typeof WebSocket === 'function';
  if (kind === 'sse') return typeof EventSource === 'function';
  return typeof fetch === 'function';
}

export function openLink(kind) {
  if (kind === 'websocket') return new WsLink();
  if (kind === 'sse') return new SseLink();
  return new PollLink();
}

class Link {
  onmessage = () => {};
  onclose = () => {};
  opened = false;
  #ended = false;

  // Called by subclasses for every server message. The client sets `opened` on the welcome.
  deliver(text) {
    if (!this.#ended) this.onmessage(text);
  }

  // Called by subclasses when the link is lost; calls onclose once, never after close().
  lost(reason) {
    if (this.#ended) return;
    this.#ended = true;
    this.shutdown();
    this.onclose(reason, this.opened);
  }

  close() {
    this.#ended = true;
    this.shutdown();
  }

  get ended() {
    return this.#ended;
  }
}

class WsLink extends Link {
  #ws;

  constructor() {
    super();
    this.#ws = new WebSocket(wsUrl());
    this.#ws.onmessage = (e) => this.deliver(e.data);
    this.#ws.onclose = (e) => this.lost(closeReason(e.code, e.reason));
  }

  send(text) {
    this.#ws.send(text);
  }

  shutdown() {
    this.#ws.onclose = null;
    if (this.#ws.readyState <= WebSocket.OPEN) this.#ws.close(1000, 'bye');
  }
}

// A session id and token from the welcome; commands go up in POSTs, one at a time in order
// (several queued meanwhile go together as an array).
class TunnelLink extends Link {
  session = null;
  token = null;
  #queue = [];
  #posting = false;

  constructor(kind) {
    super();
    this.kind = kind; // 'stream' or 'poll': the path under /api/v1/
  }

  // A server message from the tunnel: the welcome names the session; a close message ends it.
  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    if (msg.type === 'welcome' && msg.session) {
      this.session = msg.session;
      this.token = msg.token;
    }
    if (msg.type === 'close') {
      this.lost(closeReason(msg.code, msg.reason));
      return;
    }
    this.deliver(text);
  }

  url(suffix = '') {
    return apiUrl(`api/v1/${this.kind}/${this.session}${suffix}`);
  }

  send(text) {
    this.#queue.push(text);
    this.#flush();
  }

  async #flush() {
    if (this.#posting || this.#queue.length === 0 || this.ended) return;
    this.#posting = true;
    const batch = this.#queue.splice(0, 64);
    const body = batch.length === 1 ? batch[0] : `[${batch.join(',')}]`;
    try {
      const r = await fetch(this.url(), {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Parley-Token': this.token },
        body,
      });
      if (r.status === 404) this.lost('the session has ended');
    } catch {
      this.lost(null);
    }
    this.#posting = false;
    this.#flush();
  }
}

class SseLink extends TunnelLink {
  #es = null;
  #lastId = '0';
  #resuming = false;

  constructor() {
    super('stream');
    this.#listen(apiUrl('api/v1/stream'));
  }

  #listen(url) {
    const es = new EventSource(url);
    this.#es = es;
    es.onmessage = (e) => {
      if (e.lastEventId) this.#lastId = e.lastEventId;
      this.receive(e.data);
    };
    es.onerror = () => {
      if (this.#es !== es) return;
      if (!this.opened) {
        this.lost(null); // SSE does not get through here: the client falls back
      } else if (!this.#resuming) {
        // The first stream's URL would open a new session: reopen this one by its id, from the
        // last message seen. That EventSource then reconnects by itself with Last-Event-ID.
        es.close();
        this.#resuming = true;
        this.#listen(this.url(`?token=${this.token}&last_event_id=${this.#lastId}`));
      } else if (es.readyState === EventSource.CLOSED) {
        this.lost('the session has ended'); // the reopen was refused
      } // else EventSource is reconnecting by itself
    };
  }

  shutdown() {
    if (this.#es) this.#es.close();
  }
}

const POLL_RETRY_MS = 1000;

class PollLink extends TunnelLink {
  #since = 0;
  #abort = new AbortController();

  constructor() {
    super('poll');
    this.#run();
  }

  async #run() {
    try {
      let r = await fetch(apiUrl('api/v1/poll'), { method: 'POST', signal: this.#abort.signal });
      let failures = 0;
      while (!this.ended) {
        if (r.status === 200) {
          const msgs = await r.json();
          for (const m of msgs) {
            // numbered one after another; `resumed` says which number comes next
            this.#since = m.type === 'resumed' ? m.next_seq - 1 : this.#since + 1;
            this.receive(JSON.stringify(m));
          }
          failures = 0;
        } else if (r.status === 404 || !this.opened || ++failures > 3) {
          this.lost(r.status === 404 ? 'the session has ended' : null);
          return;
        } else {
          await new Promise((resolve) => setTimeout(resolve, POLL_RETRY_MS));
        }
        if (this.ended) return;
        r = await fetch(this.url(`?since=${this.#since}`), {
          headers: { 'Parley-Token': this.token },
          signal: this.#abort.signal,
        });
      }
    } catch {
      this.lost(null);
    }
  }

  shutdown() {
    this.#abort.abort();
  }
}

export function closeReason(code, reason) {
  if (code === 1001) return 'the server is restarting';
  if (reason) return reason;
  return code === 1006 ? null : `closed with code ${code}`;
}

// The agent socket as the workspace uses it: frames deduplicated by seq, durable frames applied without a
// hole, and reconnection with exponential backoff that asks only for what was missed
// (`?after=<last durable seq>`).
//
// Holes (docs/architecture.md §6): each durable frame names the durable seq before it (`prevDurableSeq`).
// When that is past the last durable frame applied, frames were lost on the way: this frame and every later
// one are held, the missing ones fetched over HTTP (`GET /api/agent/<id>/events?after=`), applied, and then
// the held ones. If the fetch fails the socket reconnects with `?after=`, which replays the same frames.

import { api } from "./api.js";

// Replies to this socket alone: their seqs are never stored, so they must not move the replay point.
// (`error` is durable when the pipeline emits it but a reply when a command fails; treating all of them
// as replies only makes a replay start a little earlier, and seq dedupe drops the repeats.)
const SOCKET_REPLIES = new Set(["agent_state", "conversation_state", "model_configs_info", "error", "rate_limit_error"]);
const BROADCAST_ONLY = new Set(["file_chunk_generated"]);
export const CLOSE_REASONS = {
  4401: "Your session has ended. Log in again to continue.",
  4403: "This app belongs to another account.",
  4404: "This app no longer exists.",
};
const SEEN_LIMIT = 20000;
// Pages of missed events fetched for one hole before giving up and reconnecting (each page ≤ 500 events).
const MAX_REPAIR_PAGES = 50;

function fetchEventsOverHttp(agentId, after) {
  return api(`/api/agent/${agentId}/events?after=${after}`);
}

export function isDurable(type) {
  return !BROADCAST_ONLY.has(type) && !SOCKET_REPLIES.has(type);
}

export class AgentSocket {
  constructor({
    agentId, onFrame, onConnection, baseDelay = 500, maxDelay = 15000, fetchEvents = fetchEventsOverHttp,
  }) {
    this.agentId = agentId;
    this.fetchEvents = fetchEvents;
    this.held = null; // while a hole is being filled: the frames that arrived after it, in order
    this.onFrame = onFrame;
    this.onConnection = onConnection || (() => {});
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
    this.seen = new Set();
    this.lastDurableSeq = null; // null until the first agent_connected: then reconnects replay from it
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
    window.addEventListener("online", () => this.#reconnectNow());
  }

  get url() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const after = this.lastDurableSeq === null ? "" : `?after=${this.lastDurableSeq}`;
    return `${scheme}://${window.location.host}/api/agent/${this.agentId}/ws${after}`;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    clearTimeout(this.timer);
    this.timer = null;
    const resuming = this.lastDurableSeq !== null;
    this.onConnection(this.attempt === 0 && !resuming ? "connecting" : "reconnecting", {});
    const ws = new WebSocket(this.url);
    this.ws = ws;
    this.held = null; // a repair in flight belonged to the old socket: ?after replays what it was fetching
    ws.addEventListener("open", () => {
      if (this.ws === ws) this.onConnection("open", { resumed: resuming });
    });
    ws.addEventListener("message", (event) => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.#receive(frame);
    });
    ws.addEventListener("close", (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (CLOSE_REASONS[event.code]) {
        this.stopped = true;
        this.onConnection("closed", { code: event.code, reason: CLOSE_REASONS[event.code] });
        return;
      }
      this.#scheduleReconnect();
    });
  }

  send(frame) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
  }

  // Drops the socket as if the network had (used by tests and by "reconnect now").
  drop() {
    if (this.ws) this.ws.close(4000, "client reconnect");
  }

  #receive(frame) {
    if (!frame || typeof frame.type !== "string") return;
    if (this.held !== null) {
      this.held.push(frame);
      return;
    }
    if (typeof frame.prevDurableSeq === "number" && this.lastDurableSeq !== null &&
        frame.prevDurableSeq > this.lastDurableSeq) {
      this.held = [frame];
      this.#fillHole(this.ws);
      return;
    }
    this.#apply(frame);
  }

  // Fetches the durable frames after the last one applied, applies them, then replays the held frames
  // (which may show another hole: then this runs again, from further on).
  async #fillHole(ws) {
    const from = this.lastDurableSeq;
    try {
      let after = from;
      for (let page = 0; page < MAX_REPAIR_PAGES; page += 1) {
        const data = await this.fetchEvents(this.agentId, after);
        if (this.ws !== ws) return;
        for (const frame of data.events || []) this.#apply(frame);
        if (!data.hasMore || data.nextAfter <= after) break;
        after = data.nextAfter;
      }
    } catch {
      if (this.ws === ws) this.#resyncByReconnecting();
      return;
    }
    if (this.ws !== ws) return;
    const held = this.held;
    this.held = null;
    if (this.lastDurableSeq === from && held[0].prevDurableSeq > from) {
      // The server had nothing to fill the hole with (it should never happen): start over from the socket.
      this.#resyncByReconnecting();
      return;
    }
    for (const frame of held) this.#receive(frame);
  }

  #resyncByReconnecting() {
    this.held = null;
    this.drop();
  }

  #apply(frame) {
    const seq = typeof frame.seq === "number" ? frame.seq : null;
    if (frame.type === "agent_connected") {
      // A full snapshot: it replaces what we had, and its seq is where a later replay starts.
      this.lastDurableSeq = seq;
      this.onFrame(frame);
      return;
    }
    if (seq !== null) {
      if (this.seen.has(seq)) return;
      this.seen.add(seq);
      if (this.seen.size > SEEN_LIMIT) this.#pruneSeen();
      const durable = typeof frame.prevDurableSeq === "number" || isDurable(frame.type);
      if (durable && this.lastDurableSeq !== null && seq <= this.lastDurableSeq &&
          typeof frame.prevDurableSeq === "number") {
        return; // already applied (a replay repeating what the socket sent)
      }
      if (durable && (this.lastDurableSeq === null || seq > this.lastDurableSeq)) {
        this.lastDurableSeq = seq;
      }
    }
    this.onFrame(frame);
  }

  #pruneSeen() {
    // Nothing at or below the replay point can arrive again: a reconnect asks only for what follows it.
    const floor = (this.lastDurableSeq ?? 0) - 100;
    for (const seq of this.seen) if (seq < floor) this.seen.delete(seq);
  }

  #scheduleReconnect() {
    const delay = Math.min(this.maxDelay, this.baseDelay * 2 ** this.attempt) * (0.8 + Math.random() * 0.4);
    this.attempt += 1;
    this.onConnection("reconnecting", { attempt: this.attempt, delay });
    this.timer = setTimeout(() => this.connect(), delay);
  }

  #reconnectNow() {
    if (this.stopped || this.isOpen || this.timer === null) return;
    this.connect();
  }
}

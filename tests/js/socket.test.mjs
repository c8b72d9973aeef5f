// The agent socket (static/js/socket.js) without a browser: a fake WebSocket delivers frames, a fake HTTP
// replay answers `GET /api/agent/<id>/events?after=`. Run with `node --test tests/js/`.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";

class FakeSocket extends EventTarget {
  static OPEN = 1;
  static all = [];
  constructor(url) {
    super();
    this.url = url;
    this.readyState = FakeSocket.OPEN;
    this.closedWith = null;
    FakeSocket.all.push(this);
  }
  deliver(frame) {
    const event = new Event("message");
    event.data = JSON.stringify(frame);
    this.dispatchEvent(event);
  }
  send() {}
  close(code = 1000) {
    this.closedWith = code;
    const event = new Event("close");
    event.code = code;
    this.dispatchEvent(event);
  }
}

globalThis.WebSocket = FakeSocket;
globalThis.window = Object.assign(new EventTarget(), { location: { protocol: "http:", host: "testserver" } });
const { AgentSocket } = await import("../../static/js/socket.js");

const opened = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close(); // no reconnect timer left behind
});

// A socket whose replay endpoint answers from `rows` (the Event table), in pages of `page`.
function harness({ rows = [], page = 100, fail = false } = {}) {
  const applied = [];
  const fetches = [];
  const socket = new AgentSocket({
    agentId: "a1",
    onFrame: (frame) => applied.push(frame),
    baseDelay: 60_000,
    fetchEvents: async (agentId, after) => {
      fetches.push(after);
      if (fail) throw new Error("offline");
      const events = rows.filter((row) => row.seq > after).slice(0, page);
      const more = rows.filter((row) => row.seq > after).length > page;
      return { events, hasMore: more, nextAfter: events.length ? events.at(-1).seq : after };
    },
  });
  socket.connect();
  opened.push(socket);
  return { socket, ws: FakeSocket.all.at(-1), applied, fetches };
}

const durable = (seq, prev, type = "phase_generating") => ({ type, seq, prevDurableSeq: prev, message: `m${seq}` });
const chunk = (seq) => ({ type: "file_chunk_generated", seq, filePath: "app.js", chunk: "x" });
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const seqs = (frames) => frames.map((frame) => frame.seq);

test("frames without a hole are applied as they come, with no fetch", async () => {
  const { ws, applied, fetches } = harness();
  ws.deliver({ type: "agent_connected", seq: 10, state: {} });
  ws.deliver(durable(11, 10));
  ws.deliver(chunk(12));
  ws.deliver(durable(13, 11));
  await settle();
  assert.deepEqual(seqs(applied), [10, 11, 12, 13]);
  assert.deepEqual(fetches, []);
});

test("a hole holds later frames until the missed ones are fetched, then applies all in seq order", async () => {
  const rows = [durable(11, 10), durable(13, 11, "file_generated"), durable(14, 13), durable(16, 14)];
  const { socket, ws, applied, fetches } = harness({ rows });
  ws.deliver({ type: "agent_connected", seq: 10, state: {} });
  ws.deliver(durable(11, 10));
  ws.deliver(durable(16, 14)); // 13 and 14 were lost on the way
  ws.deliver(chunk(17));
  ws.deliver(durable(14, 13)); // a late copy of one the fetch also brings: applied once
  assert.deepEqual(seqs(applied), [10, 11], "nothing after the hole is applied before the hole is filled");
  await settle();
  assert.deepEqual(fetches, [11]);
  assert.deepEqual(seqs(applied), [10, 11, 13, 14, 16, 17]);
  assert.equal(socket.lastDurableSeq, 16);
  assert.match(socket.url, /\?after=16$/);
});

test("a big hole is fetched page by page", async () => {
  const rows = Array.from({ length: 9 }, (_, i) => durable(21 + i, 20 + i));
  const { ws, applied, fetches } = harness({ rows, page: 4 });
  ws.deliver({ type: "agent_connected", seq: 20, state: {} });
  ws.deliver(durable(30, 29));
  await settle();
  await settle();
  assert.deepEqual(fetches, [20, 24, 28]);
  assert.deepEqual(seqs(applied), [20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
});

test("when the missed frames cannot be fetched the socket reconnects asking for them with ?after", async () => {
  const { socket, ws, applied } = harness({ fail: true });
  ws.deliver({ type: "agent_connected", seq: 10, state: {} });
  ws.deliver(durable(11, 10));
  ws.deliver(durable(15, 13));
  await settle();
  assert.equal(ws.closedWith, 4000);
  assert.deepEqual(seqs(applied), [10, 11], "the frame after the hole was not applied");
  assert.match(socket.url, /\?after=11$/);
});

test("a hole the server cannot fill makes the socket start over rather than skip it", async () => {
  const { ws, applied } = harness({ rows: [] });
  ws.deliver({ type: "agent_connected", seq: 10, state: {} });
  ws.deliver(durable(15, 13));
  await settle();
  assert.equal(ws.closedWith, 4000);
  assert.deepEqual(seqs(applied), [10]);
});

test("a durable frame at or below the last one applied is a repeat and is dropped", async () => {
  const { ws, applied } = harness();
  ws.deliver({ type: "agent_connected", seq: 10, state: {} });
  ws.deliver(durable(9, 8));
  ws.deliver(durable(11, 10));
  await settle();
  assert.deepEqual(seqs(applied), [10, 11]);
});

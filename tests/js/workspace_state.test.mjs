// The workspace's state rules (static/js/workspace/state.js), without a browser: frames in, state and
// commands out. Run with `node --test tests/js/` (tests/js/test_node.py runs it inside pytest).

import assert from "node:assert/strict";
import { test } from "node:test";

import {
  TABS, controls, initialState, isTabPanel, modelChip, previewView, shownTab, statusLabel, update, visibleText,
} from "../../static/js/workspace/state.js";

const NOW = "2026-01-01T12:00:00.000Z";

// Freezes the state deeply enough that a handler changing it in place throws.
function frozen(state) {
  for (const value of Object.values(state)) {
    if (value instanceof Map || value instanceof Set) {
      value.set = value.add = value.delete = value.clear = () => {
        throw new Error("state was mutated");
      };
    }
  }
  return Object.freeze(state);
}

// Plays events in order; returns the final state and every command sent.
function play(events, state = initialState()) {
  const commands = [];
  for (const event of events) {
    const result = update(frozen(state), event, NOW);
    state = result.state;
    commands.push(...result.commands);
  }
  return { state, commands };
}

function file(path, fields = {}) {
  return {
    filePath: path, filePurpose: "", fileContents: "", complete: false, generating: false, draft: "",
    phaseIndex: 0, ...fields,
  };
}

function snapshot(fields = {}) {
  return {
    title: "Todo List", status: "generating", blueprint: { title: "Todo List" },
    phases: [{ index: 0, name: "Core", description: "", files: [{ path: "index.html" }, { path: "app.js" }], status: "implementing" }],
    files: [], conversation: [], preview: null, model: { provider: "offline", name: "atelier-offline" },
    ...fields,
  };
}

const open = { type: "socket/connection", state: "open" };
const connected = (fields) => ({ type: "agent_connected", seq: 10, state: snapshot(fields) });

test("chunks of a file stream into its draft and the saved file replaces it", () => {
  const { state } = play([
    open, connected(),
    { type: "file_generating", filePath: "app.js", filePurpose: "logic" },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "const a", offset: 0 },
    { type: "file_chunk_generated", filePath: "app.js", chunk: " = 1;\n", offset: 7 },
  ]);
  assert.equal(state.selected, "app.js");
  assert.equal(visibleText(state, "app.js"), "const a = 1;\n");
  const done = play([{ type: "file_generated", file: { filePath: "app.js", fileContents: "const a = 1;\n", filePurpose: "logic" } }], state).state;
  assert.equal(visibleText(done, "app.js"), "const a = 1;\n");
  assert.equal(done.files.get("app.js").complete, true);
  assert.equal(done.drafts.has("app.js"), false);
});

test("a file being rewritten starts empty, never showing its old contents", () => {
  const old = "<h1>old page</h1>\n";
  const { state } = play([
    open, connected({ files: [file("index.html", { fileContents: old, complete: true })] }),
    { type: "file_generating", filePath: "index.html" },
  ]);
  assert.equal(visibleText(state, "index.html"), "");
  const next = play([{ type: "file_chunk_generated", filePath: "index.html", chunk: "<h1>new", offset: 0 }], state).state;
  assert.equal(visibleText(next, "index.html"), "<h1>new");
});

test("a snapshot of a file being rewritten shows its draft, not the old contents", () => {
  const { state } = play([
    open,
    connected({ files: [file("index.html", { fileContents: "<h1>old", complete: false, generating: true, draft: "<h1>ne" })] }),
  ]);
  assert.equal(visibleText(state, "index.html"), "<h1>ne");
});

test("after a reload the draft plus what follows is exact: repeated chunks are trimmed by offset", () => {
  const { state } = play([
    open,
    connected({ files: [file("app.js", { generating: true, draft: "let x = 1;\nlet y" })] }),
    // Sent before the snapshot was read, delivered after it: already in the draft.
    { type: "file_chunk_generated", filePath: "app.js", chunk: "let x = 1;\n", offset: 0 },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "let y = 2;", offset: 11 },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "\n", offset: 21 },
  ]);
  assert.equal(visibleText(state, "app.js"), "let x = 1;\nlet y = 2;\n");
});

test("offsets count code points, so emoji do not shift the stream", () => {
  const { state } = play([
    open,
    connected({ files: [file("app.js", { generating: true, draft: "🍅 a" })] }),
    { type: "file_chunk_generated", filePath: "app.js", chunk: "a🍅b", offset: 2 },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "c", offset: 5 },
  ]);
  assert.equal(visibleText(state, "app.js"), "🍅 a🍅bc");
});

test("a hole in the stream asks for the state instead of gluing pieces around it", () => {
  const { state, commands } = play([
    open,
    connected({ files: [file("app.js", { generating: true, draft: "abc" })] }),
    { type: "file_chunk_generated", filePath: "app.js", chunk: "ghi", offset: 6 },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "jkl", offset: 9 },
  ]);
  assert.deepEqual(commands, [{ type: "get_state" }]);
  assert.equal(visibleText(state, "app.js"), "abc");
  const filled = play([
    { type: "agent_state", state: snapshot({ files: [file("app.js", { generating: true, draft: "abcdefghijkl" })] }) },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "mno", offset: 12 },
  ], state).state;
  assert.equal(visibleText(filled, "app.js"), "abcdefghijklmno");
});

test("a reply snapshot older than the stream keeps what has streamed since", () => {
  const { state } = play([
    open,
    connected({ files: [file("app.js", { generating: true, draft: "ab" })] }),
    { type: "file_chunk_generated", filePath: "app.js", chunk: "cd", offset: 2 },
    { type: "agent_state", state: snapshot({ files: [file("app.js", { generating: true, draft: "abc" })] }) },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "e", offset: 4 },
  ]);
  assert.equal(visibleText(state, "app.js"), "abcde");
});

test("chunks without an offset (older servers) are appended", () => {
  const { state } = play([
    open, connected(),
    { type: "file_chunk_generated", filePath: "app.js", chunk: "a" },
    { type: "file_chunk_generated", filePath: "app.js", chunk: "b" },
  ]);
  assert.equal(visibleText(state, "app.js"), "ab");
});

test("generation starts once when the blueprint exists and the socket is open", () => {
  const planning = connected({ status: "planning", phases: [] });
  const before = play([planning]);
  assert.deepEqual(before.commands, []);
  const { state, commands } = play([open, { type: "agent_state", state: planning.state }], before.state);
  assert.deepEqual(commands, [{ type: "generate_all" }]);
  assert.equal(state.activity, "Starting code generation…");
  assert.equal(controls(state).stop, true);
  const again = play([{ type: "socket/connection", state: "reconnecting" }, open, planning], state);
  assert.deepEqual(again.commands, []);
});

test("a generate_all that could not be sent is sent again on the next connection", () => {
  const planning = connected({ status: "planning", phases: [] });
  const { state } = play([open, planning, { type: "socket/send_failed", frame: { type: "generate_all" } }]);
  const { commands } = play([{ type: "socket/connection", state: "reconnecting" }, open], state);
  assert.deepEqual(commands, [{ type: "generate_all" }]);
});

test("a planned phase before the blueprint is known asks for the state", () => {
  const { commands } = play([
    open, connected({ blueprint: null, status: "planning", phases: [] }),
    { type: "phase_generated", phase: { index: 0, name: "Core", files: [], status: "planned" } },
  ]);
  assert.deepEqual(commands, [{ type: "get_state" }]);
});

test("phases keep the planned files a shortened frame leaves out", () => {
  const { state } = play([
    open, connected(),
    { type: "phase_implemented", phase: { index: 0, name: "Core", files: [], status: "done" } },
  ]);
  assert.equal(state.phases.get(0).files.length, 2);
  assert.equal(state.phases.get(0).status, "done");
});

test("a sent chat message is confirmed by its user_message, not duplicated", () => {
  const { state } = play([
    open, connected({ status: "complete" }),
    { type: "ui/chat_sending" },
    { type: "ui/chat_sent", text: "add a reset button", imageIds: [] },
    { type: "user_message", message: "add a reset button", messageId: 7, imageIds: [] },
    { type: "user_message", message: "add a reset button", messageId: 7, imageIds: [] },
  ]);
  assert.equal(state.conversation.length, 1);
  assert.deepEqual([state.conversation[0].id, state.conversation[0].local], [7, false]);
  assert.equal(state.sending, false);
});

test("a streamed reply grows in place and its final frame is not added twice", () => {
  const { state } = play([
    open, connected({ status: "complete", conversation: [{ id: 1, role: "assistant", text: "Done." }] }),
    { type: "conversation_response", conversationId: "x", message: "Sure", isStreaming: true },
    { type: "conversation_response", conversationId: "x", message: "Sure, adding it.", isStreaming: false },
  ]);
  assert.deepEqual(state.conversation.map((m) => [m.text, Boolean(m.streaming)]), [["Done.", false], ["Sure, adding it.", false]]);
  const replay = play([{ type: "conversation_response", conversationId: "y", message: "Sure, adding it.", isStreaming: false }], state);
  assert.equal(replay.state.conversation.length, 2);
});

test("an error reply marks the pending chat message as not sent and shows the banner", () => {
  const { state } = play([
    open, connected({ status: "complete" }),
    { type: "ui/chat_sent", text: "hi", imageIds: [] },
    { type: "error", error: "Too long", code: "INVALID" },
  ]);
  assert.equal(state.conversation.at(-1).failed, true);
  assert.equal(state.chatError, "Too long");
  assert.equal(state.banner, "Too long");
});

test("a refused key's error links to Settings; other errors do not", () => {
  const refused = play([open, connected(), { type: "error", error: "Your key was refused.", message: "x", code: "KEY_REFUSED" }]);
  assert.equal(refused.state.banner, "Your key was refused.");
  assert.equal(refused.state.bannerSettings, true);
  const other = play([open, connected(), { type: "error", error: "boom", message: "boom", code: "INTERNAL" }]);
  assert.equal(other.state.bannerSettings, false);
});

test("a pipeline error while generating asks for the true state", () => {
  const { commands } = play([open, connected(), { type: "error", error: "boom", message: "boom", code: "X" }]);
  assert.deepEqual(commands, [{ type: "get_state" }]);
});

test("a rate limit is told in words", () => {
  const { state } = play([open, connected(), {
    type: "rate_limit_error", error: { message: "Slow down. Try again in 3 seconds.", retry_after_seconds: 42 },
  }]);
  assert.equal(state.banner, "Slow down. Try again in 42 s.");
});

test("a long wait is told in hours and minutes, whatever wording the server used", () => {
  const { state } = play([open, connected(), {
    type: "rate_limit_error", error: { message: "Too many apps. Try again in 11 h 14 min.", retry_after_seconds: 40406 },
  }]);
  assert.equal(state.banner, "Too many apps. Try again in 11 h 14 min.");
});

test("stop and resume are sent once and the buttons follow the status", () => {
  let { state, commands } = play([open, connected(), { type: "ui/stop" }, { type: "ui/stop" }]);
  assert.deepEqual(commands, [{ type: "stop_generation" }]);
  assert.equal(controls(state).stop, false);
  ({ state, commands } = play([{ type: "generation_stopped" }, { type: "ui/resume" }], state));
  assert.deepEqual(commands, [{ type: "resume_generation" }]);
  assert.equal(state.status, "stopped");
  assert.equal(controls(state).resume, false);
  ({ state } = play([{ type: "generation_resumed" }], state));
  assert.equal(state.status, "generating");
});

test("a finished deployment marks the Preview tab until it is looked at", () => {
  let { state } = play([open, connected({ status: "complete" }),
    { type: "deployment_completed", deploymentId: "d1", previewUrl: "http://a.preview.localhost/" }]);
  assert.equal(previewView(state).url, "http://a.preview.localhost/");
  assert.equal(state.unseen.has("preview"), true);
  ({ state } = play([{ type: "ui/select_tab", tab: "preview" }], state));
  assert.equal(state.unseen.has("preview"), false);
});

test("a framework app's build output shows in the preview pane while it builds", () => {
  const { state } = play([open, connected({ status: "complete" }),
    { type: "deployment_started", deploymentId: "d1", backend: "build" },
    { type: "build_log", deploymentId: "d1", lines: ["Installing packages…", "added 70 packages in 5s"] },
    { type: "build_log", deploymentId: "d0", lines: ["an older build"] }]);
  assert.deepEqual(previewView(state), { status: "Building… added 70 packages in 5s", url: null, state: "building" });
  const { state: done } = play([{ type: "deployment_completed", deploymentId: "d1", previewUrl: "http://a/" }], state);
  assert.equal(previewView(done).url, "http://a/");
});

test("a preview of a stopped app is shown as incomplete, never as live", () => {
  const { state } = play([open, connected({ status: "stopped" }), {
    type: "deployment_completed", deploymentId: "d1", previewUrl: "http://a.preview.localhost/",
    incomplete: true, missingFiles: ["app.js", "styles.css"],
  }]);
  const view = previewView(state);
  assert.equal(view.state, "incomplete");
  assert.equal(view.url, "http://a.preview.localhost/");
  assert.equal(view.status, "Incomplete: app.js, styles.css are not written yet. Resume generation to finish it.");
  assert.match(state.activity, /incomplete app/);
  assert.doesNotMatch(state.activity, /ready/);
});

test("Plan and Chat are tabs only on a narrow screen", () => {
  let { state } = play([{ type: "ui/select_tab", tab: "chat" }]);
  assert.equal(shownTab(state), "code");
  ({ state } = play([{ type: "ui/layout", narrow: true }], state));
  assert.equal(shownTab(state), "chat");
});

test("following jumps to the file being written; picking a finished file stops following", () => {
  let { state } = play([
    open, connected({ files: [file("index.html", { complete: true, fileContents: "x" })] }),
    { type: "file_generating", filePath: "app.js" },
  ]);
  assert.equal(state.selected, "app.js");
  ({ state } = play([{ type: "ui/select_file", path: "index.html" }], state));
  assert.deepEqual([state.selected, state.follow], ["index.html", false]);
  ({ state } = play([{ type: "ui/toggle_follow" }], state));
  assert.deepEqual([state.selected, state.follow], ["app.js", true]);
});

test("unknown frames change nothing", () => {
  const before = initialState();
  const { state, commands } = update(before, { type: "something_new", seq: 3 });
  assert.equal(state, before);
  assert.deepEqual(commands, []);
});

test("a reply in a hidden Chat tab marks it; on a wide screen the chat is always in view", () => {
  const reply = { type: "conversation_response", conversationId: "a", message: "Done.", isStreaming: false };
  const wide = play([open, connected({ status: "complete" }), reply]).state;
  assert.equal(wide.unseen.has("chat"), false);
  let { state } = play([open, connected({ status: "complete" }), reply], initialState({ narrow: true }));
  assert.equal(state.unseen.has("chat"), true);
  ({ state } = play([{ type: "ui/select_tab", tab: "chat" }], state));
  assert.equal(state.unseen.has("chat"), false);
});

test("a run that completes with problems says so, lists them, and a new run clears them", () => {
  const problems = [{ code: "SYNTAX", message: "Unexpected end of input", file: "app.js" }];
  let { state } = play([open, connected(), { type: "generation_complete", problems }]);
  assert.equal(statusLabel(state), "Complete with problems");
  assert.deepEqual(state.problems, problems);
  assert.match(state.activity, /with 1 problem left/);
  ({ state } = play([{ type: "generation_started" }], state));
  assert.deepEqual(state.problems, []);
  const reloaded = play([open, connected({ status: "complete", problems })]).state;
  assert.equal(statusLabel(reloaded), "Complete with problems");
  assert.equal(statusLabel(play([open, connected({ status: "complete" })]).state), "Complete");
});

test("a retry is told on the status line, a warning only in the quiet list", () => {
  let { state } = play([open, connected(), {
    type: "generation_retrying", attempt: 2, maxAttempts: 3, retryInSeconds: 4.2, reason: "The provider is overloaded.",
  }]);
  assert.equal(state.activity, "The provider is overloaded. Trying again in 5 seconds (attempt 2 of 3)…");
  const activity = state.activity;
  ({ state } = play([{ type: "generation_warning", message: "styles.css was cut; asked again", code: "CUT", filePath: "styles.css" }], state));
  assert.equal(state.activity, activity);
  assert.equal(state.banner, null);
  assert.deepEqual(state.warnings, [{ message: "styles.css was cut; asked again", code: "CUT", filePath: "styles.css" }]);
});

test("a failed request is marked failed in the conversation with its reason", () => {
  const { state } = play([open, connected(),
    { type: "user_message", message: "add a dark mode", messageId: 7, imageIds: [] },
    { type: "request_failed", messageIds: [7], code: "INSUFFICIENT_QUOTA", error: "Your key has no credit left." },
  ]);
  const request = state.conversation.find((m) => m.id === 7);
  assert.equal(request.failed, true);
  assert.equal(request.error, "Your key has no credit left.");
  assert.equal(state.chatError, "Your key has no credit left.");
});

test("thinking streams into one indicator per action and stops when the answer comes", () => {
  let { state } = play([open, connected(),
    { type: "model_thinking", action: "phase_implementation", chunk: "The user wants " },
    { type: "model_thinking", action: "phase_implementation", chunk: "a list." },
  ]);
  assert.deepEqual(state.thinking, { action: "phase_implementation", text: "The user wants a list.", active: true });
  ({ state } = play([{ type: "file_generating", filePath: "index.html" }], state));
  assert.equal(state.thinking.active, false);
  assert.equal(state.thinking.text, "The user wants a list.");
  ({ state } = play([{ type: "model_thinking", action: "code_review", chunk: "Check" }], state));
  assert.deepEqual(state.thinking, { action: "code_review", text: "Check", active: true });
});

test("the model chip shows the model that built the app, else the configured one", () => {
  const configured = modelChip(play([open, connected()]).state);
  assert.deepEqual([configured.name, configured.offline], ["atelier-offline", true]);
  const built = modelChip(play([open, connected({ builtWith: { provider: "openai", name: "gpt-4.1" } })]).state);
  assert.deepEqual([built.name, built.offline, built.title], ["gpt-4.1", false, "Built with openai / gpt-4.1"]);
});

test("on a wide screen Code, Preview and History are tabs; on a narrow one everything is", () => {
  const wide = initialState();
  assert.deepEqual(TABS.filter((t) => isTabPanel(wide, t)), ["code", "preview", "history"]);
  assert.deepEqual(TABS.filter((t) => isTabPanel(initialState({ narrow: true }), t)), TABS);
});

// ------------------------------------------------------------------------- contents too big for any frame

const BIG_URL = "/api/agent/a1/files/data.json";
const named = (path, fields = {}) =>
  file(path, { complete: true, fileContents: undefined, contentsUrl: `/api/agent/a1/files/${path}`, sha256: "s1", ...fields });

test("a selected file whose contents the snapshot left out is fetched once, then shown", () => {
  const { state, commands } = play([open, connected({ files: [named("data.json")] })]);
  assert.equal(state.selected, "data.json");
  assert.deepEqual(commands, [{ type: "http/file", path: "data.json", url: BIG_URL }]);
  assert.equal(visibleText(state, "data.json"), "");
  const again = play([{ type: "ui/select_file", path: "data.json" }, connected({ files: [named("data.json")] })], state);
  assert.deepEqual(again.commands, [], "a fetch in flight is not made twice");
  const loaded = play([{ type: "http/file_loaded", path: "data.json", url: BIG_URL, contents: "[1,2]", sha256: "s1" }], again.state);
  assert.equal(visibleText(loaded.state, "data.json"), "[1,2]");
  const reconnected = play([connected({ files: [named("data.json")] })], loaded.state);
  assert.deepEqual(reconnected.commands, [], "the same version (sha256) is not fetched again after a reconnect");
  assert.equal(visibleText(reconnected.state, "data.json"), "[1,2]");
});

test("only the file the user looks at is fetched", () => {
  const { commands } = play([
    open, connected({ files: [file("index.html", { complete: true, fileContents: "<h1>" }), named("data.json")] }),
  ]);
  assert.deepEqual(commands, []);
  const picked = play([open, connected({ files: [file("index.html", { complete: true, fileContents: "<h1>" }), named("data.json")] }),
    { type: "ui/select_file", path: "data.json" }]);
  assert.deepEqual(picked.commands, [{ type: "http/file", path: "data.json", url: BIG_URL }]);
});

test("a file_generated that names its contents by URL is fetched when shown", () => {
  const { state, commands } = play([
    open, connected(),
    { type: "file_generating", filePath: "data.json" },
    { type: "file_generated", file: { filePath: "data.json", contentsUrl: BIG_URL, sha256: "s2", size: 9_000_000 } },
  ]);
  assert.deepEqual(commands, [{ type: "http/file", path: "data.json", url: BIG_URL }]);
  assert.equal(state.files.get("data.json").complete, true);
});

test("contents fetched for a version since rewritten are not shown", () => {
  const { state } = play([
    open, connected({ files: [named("data.json")] }),
    { type: "file_generating", filePath: "data.json" },
    { type: "file_generated", file: { filePath: "data.json", fileContents: "new", sha256: "s3" } },
    { type: "http/file_loaded", path: "data.json", url: "/api/agent/a1/files/old", contents: "old" },
  ]);
  assert.equal(visibleText(state, "data.json"), "new");
});

test("a failed fetch is said, and tried again when the user picks the file again", () => {
  const { state, commands } = play([
    open, connected({ files: [named("data.json")] }),
    { type: "http/file_failed", path: "data.json", url: BIG_URL, reason: "Could not reach the server." },
  ]);
  assert.equal(commands.length, 1);
  assert.equal(state.files.get("data.json").loadError, "Could not reach the server.");
  const retried = play([{ type: "ui/select_file", path: "data.json" }], state);
  assert.deepEqual(retried.commands, [{ type: "http/file", path: "data.json", url: BIG_URL }]);
});

// ------------------------------------------------------------------------- older messages

const message = (id, text = `message ${id}`) => ({ id, role: id % 2 ? "user" : "assistant", text, imageIds: [], createdAt: NOW });

test("older messages than the snapshot's are paged in on request, oldest first, each once", () => {
  const { state } = play([
    open, connected({ conversation: [message(51), message(52)], conversationHasMore: true, conversationBefore: 51 }),
  ]);
  assert.equal(state.olderMessages, 51);
  const asked = play([{ type: "ui/load_older_messages" }, { type: "ui/load_older_messages" }], state);
  assert.deepEqual(asked.commands, [{ type: "http/messages", before: 51 }], "one request at a time");
  const paged = play([{ type: "http/messages_loaded", messages: [message(49), message(50), message(51)], hasMore: true, before: 49 }], asked.state);
  assert.deepEqual(paged.state.conversation.map((m) => m.id), [49, 50, 51, 52]);
  assert.equal(paged.state.olderMessages, 49);
  const last = play([{ type: "http/messages_loaded", messages: [message(48)], hasMore: false, before: 48 }], paged.state);
  assert.equal(last.state.olderMessages, null);
  assert.deepEqual(play([{ type: "ui/load_older_messages" }], last.state).commands, []);
});

test("a snapshot with every message has nothing older to load", () => {
  const { state } = play([open, connected({ conversation: [message(1)], conversationHasMore: false, conversationBefore: 1 })]);
  assert.equal(state.olderMessages, null);
});

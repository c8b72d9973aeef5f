// The workspace's state and how each event changes it. Pure: no DOM, no socket, no clock.
//
// `update(state, event, now)` returns `{state, commands}`: a new state (the old one is never changed, so a view
// can tell what changed by reference) and the frames to send to the server. Events are the server's frames
// (docs/architecture.md §9) and the page's own, whose types start with "ui/", "socket/" or "http/". `now` is an ISO
// time for messages that arrive without one. A command is a frame for the socket, or a request for the page
// to make over HTTP when its type starts with "http/" (`{type: "http/file", path, url}`: a file's contents
// that no frame could carry; `{type: "http/messages", before}`: older messages); the page answers with an
// "http/…" event.

import { rateLimitSentence as waitSentence } from "../wait.js";

export const STATUS_LABELS = {
  planning: "Planning",
  generating: "Generating",
  complete: "Complete",
  stopped: "Stopped",
  failed: "Failed",
};
export const PHASE_LABELS = { planned: "Planned", implementing: "In progress", done: "Done", failed: "Failed" };
export const ACTIVE = new Set(["planning", "generating"]);
export const DEPLOYING = new Set(["pending", "building"]);
// On a narrow screen every part is a tab; on a wide one Plan and Chat are always shown beside Code/Preview.
export const TABS = ["plan", "chat", "code", "preview", "history"];
const WIDE_TABS = new Set(["code", "preview", "history"]);

export function initialState({ narrow = false } = {}) {
  return {
    // What the server says.
    loaded: false,
    title: "",
    status: "",
    error: null,
    blueprint: null,
    phases: new Map(), // index -> {index, name, description, files: [{path, purpose}], status}
    // path -> {path, purpose, contents, complete, generating, phaseIndex, contentsUrl, loading, loadError}:
    // `contentsUrl` is set while the contents are still to be fetched (too big for any frame).
    files: new Map(),
    drafts: new Map(), // path -> {text, points, epoch, gap}: a file as it streams (see `fileChunk`)
    conversation: [], // {key, id, role, text, imageIds, createdAt, streaming, local, failed}
    olderMessages: null, // the id to page back from when older messages are on the server, else null
    loadingOlder: false,
    preview: null, // {deploymentId, status, previewUrl, appUrl, error, incomplete, missingFiles}
    model: null, // the model that will write code (today's configuration)
    builtWith: null, // the model that wrote this app, when known
    problems: [], // [{code, message, file?}]: what a complete app still has wrong
    // The browser self-checks, one per phase (key: phase index) and the final one (key: "final"):
    // {phaseIndex, final, round, status: running|passed|problems|skipped, problems, screenshotUrl, note, fixing}
    // where `fixing` is {round, files} while a fix round runs.
    selfChecks: new Map(),
    lastCheck: null,
    warnings: [], // recovered problems of this run, told quietly: [{message, code, filePath?}]
    thinking: null, // {action, text, active}: what the model thinks before it answers
    currentPhase: null,
    planningNext: false,
    // What the page shows about it.
    activity: "Loading the app…",
    banner: null, // the error banner's text, null when there is none
    bannerSettings: false, // the banner's fix is in Settings (a refused key, no credit, a missing model)
    chatError: null,
    connection: { state: "connecting", reason: "" },
    // What the user chose or asked for.
    selected: null,
    follow: true,
    tab: "code",
    narrow,
    unseen: new Set(), // tabs with news the user has not looked at ("preview", "chat")
    generateSent: false,
    deployRequested: false,
    stopRequested: false,
    resumeRequested: false,
    sending: false,
    localCount: 0,
    epochs: 0, // a counter for draft epochs: each fresh stream of a file gets a new one
  };
}

// ------------------------------------------------------------------------------------------ selectors

export function isActive(state) {
  return ACTIVE.has(state.status);
}

// The status pill's words: a complete app with problems left says so.
export function statusLabel(state) {
  if (state.status === "complete" && state.problems.length) return "Complete with problems";
  return STATUS_LABELS[state.status] || state.status;
}

// The model chip: the model that built the app when known, else the one that will.
export function modelChip(state) {
  const model = state.builtWith || state.model;
  if (!model?.name) return null;
  const title = state.builtWith
    ? `Built with ${model.provider} / ${model.name}`
    : `Model: ${model.provider} / ${model.name}`;
  return { name: model.name, provider: model.provider, title, offline: model.provider === "offline" };
}

export function isOpen(state) {
  return state.connection.state === "open";
}

// The tab on screen: on a wide screen Plan and Chat are not tabs, so Code stands in for them.
export function shownTab(state) {
  return state.narrow || WIDE_TABS.has(state.tab) ? state.tab : "code";
}

// Whether a part of the workspace is a tab (Plan and Chat are not on a wide screen: they are always shown).
export function isTabPanel(state, part) {
  return state.narrow || WIDE_TABS.has(part);
}

// Whether a part of the workspace is on screen (Plan and Chat always are on a wide screen).
export function isShown(state, part) {
  return shownTab(state) === part || (!state.narrow && !WIDE_TABS.has(part));
}

export function writingFile(state) {
  for (const file of state.files.values()) if (file.generating) return file;
  return null;
}

// The text the code view shows for a file: the stream while it is written (never the old contents of a file
// being rewritten), the saved contents once it is done.
export function visibleText(state, path) {
  const file = state.files.get(path);
  if (!file) return "";
  if (file.generating) return state.drafts.get(path)?.text || "";
  return file.contentsUrl ? "" : file.contents;
}

export function phaseCounts(state, phase) {
  const files = phase.files || [];
  if (phase.status === "done") return [files.length, files.length];
  let done = 0;
  for (const planned of files) {
    const file = state.files.get(planned.path);
    if (file?.complete && !file.generating && file.phaseIndex === phase.index) done += 1;
  }
  return [done, files.length];
}

export const CHECK_LABELS = { running: "Checking…", passed: "No errors", problems: "Problems found", skipped: "Skipped" };

function checkKey(frame) {
  return frame.final ? "final" : frame.phaseIndex;
}

// The check step shown under a phase in the plan (or after the last one, `final`), or null when there is none.
export function checkStep(state, key) {
  const check = state.selfChecks.get(key);
  if (!check) return null;
  const count = check.problems?.length || 0;
  let label = CHECK_LABELS[check.status] || check.status;
  if (check.status === "problems") label = `${plural(count, "problem")} found`;
  if (check.fixing) label = `Fixing ${plural(count, "problem")} (round ${check.fixing.round})…`;
  else if (check.status === "running" && check.round) label = `Checking the fix (round ${check.round})…`;
  else if (check.status === "passed" && check.round) label = `No errors after ${plural(check.round, "fix round")}`;
  return {
    key,
    name: key === "final" ? "Final browser check" : "Browser check",
    status: check.fixing ? "fixing" : check.status,
    label,
    problems: check.problems || [],
    screenshotUrl: check.screenshotUrl || null,
    note: check.note || "",
  };
}

export function controls(state) {
  const open = isOpen(state);
  const { status } = state;
  const deploying = state.deployRequested || DEPLOYING.has(state.preview?.status);
  return {
    stop: open && !state.stopRequested &&
      (status === "generating" || (status === "planning" && state.generateSent)),
    resume: open && !state.resumeRequested && (status === "stopped" || status === "failed"),
    send: !state.sending && state.loaded,
    deploy: open && [...state.files.values()].some((f) => f.complete) && !deploying,
    deployLabel: state.preview?.status === "ready" ? "Redeploy" : "Deploy preview",
  };
}

// What the preview pane shows: a status line and, when live, the URL to load.
export function previewView(state) {
  const preview = state.preview;
  if (!preview) return { status: state.deployRequested ? "Deploying…" : "Not deployed yet.", url: null, state: "none" };
  if (preview.status === "building" && preview.log?.length) {
    return { status: `Building… ${preview.log[preview.log.length - 1]}`, url: null, state: "building" };
  }
  if (DEPLOYING.has(preview.status) || state.deployRequested) return { status: "Deploying…", url: null, state: preview.status };
  if (preview.status === "failed") {
    return { status: `Deployment failed: ${preview.error || "unknown error"}`, url: null, state: "failed" };
  }
  if (preview.status === "ready" && preview.previewUrl) {
    // The app's stable origin keeps its browser data across redeploys; `deploymentId` says when to reload.
    const shown = { url: preview.appUrl || preview.previewUrl, deploymentId: preview.deploymentId };
    if (preview.incomplete) return { ...shown, status: incompleteSentence(preview), state: "incomplete" };
    return { ...shown, status: "Live", state: "live" };
  }
  return { status: STATUS_LABELS[preview.status] || preview.status || "", url: null, state: preview.status || "none" };
}

// A preview published from an unfinished app says what it lacks (docs/architecture.md §12).
export function incompleteSentence(preview) {
  const missing = preview.missingFiles || [];
  const names = missing.length > 5 ? `${missing.slice(0, 5).join(", ")} and ${missing.length - 5} more` : missing.join(", ");
  const lacking = missing.length ? ` ${names} ${missing.length === 1 ? "is" : "are"} not written yet.` : " Generation did not finish.";
  return `Incomplete:${lacking} Resume generation to finish it.`;
}

// The offline model had no template for the request (its blueprint says so): never "ready".
const CLOSEST_TEMPLATE =
  "Built with the offline model's closest template, not exactly what you asked for. Connect a model in Settings to build it.";

function snapshotActivity(state) {
  const writing = writingFile(state);
  switch (state.status) {
    case "planning":
      return state.blueprint ? "Starting code generation…" : "Planning your app…";
    case "generating":
      return writing ? `Writing ${writing.path}…` : "Generating…";
    case "complete":
      if (state.problems.length) return problemsActivity(state.problems);
      if (state.blueprint?.closestTemplate) return CLOSEST_TEMPLATE;
      return "Your app is ready. Ask for changes in the chat, or try it in the Preview tab.";
    case "stopped":
      return "Generation stopped. Resume to continue where it left off.";
    case "failed":
      return `Generation failed${state.error ? `: ${state.error}` : "."} Resume to try again.`;
    default:
      return "";
  }
}

function problemsActivity(problems) {
  const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  return `Your app is built, but with ${count} left (listed below). Ask in the chat to fix them.`;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function retryingActivity(frame) {
  const reason = frame.reason || frame.message || "The model did not answer";
  const wait = Number(frame.retryInSeconds);
  const when = Number.isFinite(wait) && wait > 0 ? `in ${plural(Math.ceil(wait), "second")}` : "now";
  const attempt = frame.attempt && frame.maxAttempts ? ` (attempt ${frame.attempt} of ${frame.maxAttempts})` : "";
  return `${String(reason).replace(/[.\s]+$/, "")}. Trying again ${when}${attempt}…`;
}

const MAX_THINKING_CHARS = 20000;
const MAX_BUILD_LOG_LINES = 50;
const MAX_WARNINGS = 50;

// ------------------------------------------------------------------------------------------ update

export function update(state, event, now = "") {
  const out = { state, commands: [] };
  const handler = HANDLERS[event?.type];
  if (!handler) return out;
  // Any other news from the server means the model has stopped thinking and answers (or was stopped).
  if (state.thinking?.active && event.type !== "model_thinking" && !event.type.includes("/")) {
    set(out, { thinking: { ...state.thinking, active: false } });
  }
  handler(out, event, now);
  maybeStartGeneration(out);
  maybeFetchContents(out);
  return out;
}

// Each handler replaces `out.state` with a changed copy and may push commands.
function set(out, changes) {
  out.state = { ...out.state, ...changes };
}

function setStatus(out, status) {
  if (status && status !== out.state.status) {
    set(out, { status, stopRequested: false, resumeRequested: false });
  }
}

function setActivity(out, text) {
  if (text) set(out, { activity: text });
}

function send(out, frame) {
  out.commands.push(frame);
}

function withSet(set_, value) {
  const next = new Set(set_);
  next.add(value);
  return next;
}

function withoutSet(set_, value) {
  if (!set_.has(value)) return set_;
  const next = new Set(set_);
  next.delete(value);
  return next;
}

// The selected file's contents, when no frame could carry them, are fetched once (again after a failure
// only when the user picks the file again).
function maybeFetchContents(out) {
  const s = out.state;
  const file = s.selected ? s.files.get(s.selected) : null;
  if (!file?.contentsUrl || file.loading || file.loadError || file.generating) return;
  const files = new Map(s.files);
  files.set(file.path, { ...file, loading: true });
  set(out, { files });
  send(out, { type: "http/file", path: file.path, url: file.contentsUrl });
}

// The web UI starts generation as soon as the blueprint exists (docs/architecture.md §8), once per page.
function maybeStartGeneration(out) {
  const s = out.state;
  if (s.generateSent || s.status !== "planning" || !s.blueprint || s.files.size > 0 || !isOpen(s)) return;
  send(out, { type: "generate_all" });
  set(out, { generateSent: true, activity: "Starting code generation…" });
}

function codePoints(text) {
  let surrogates = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) surrogates += 1;
  }
  return text.length - surrogates;
}

function dropCodePoints(text, count) {
  let i = 0;
  for (let n = 0; n < count && i < text.length; n += 1) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
  }
  return text.slice(i);
}

function freshDraft(out, text = "") {
  const epochs = out.state.epochs + 1;
  set(out, { epochs });
  return { text, points: codePoints(text), epoch: epochs, gap: false };
}

function messageFromState(message) {
  return {
    key: `m-${message.id}`,
    id: message.id,
    role: message.role,
    text: message.text || "",
    imageIds: message.imageIds || [],
    createdAt: message.createdAt,
  };
}

function applySnapshot(out, snapshot, { replace }) {
  if (!snapshot) return;
  const previous = out.state;
  const files = new Map();
  const drafts = new Map();
  for (const file of snapshot.files || []) {
    const record = {
      path: file.filePath,
      purpose: file.filePurpose || "",
      contents: file.fileContents || "",
      complete: Boolean(file.complete),
      generating: Boolean(file.generating),
      phaseIndex: file.phaseIndex,
      sha256: file.sha256 || null,
      ...remoteContents(previous.files.get(file.filePath), file),
    };
    files.set(record.path, record);
    if (!record.generating) continue;
    const saved = file.draft || "";
    const known = previous.drafts.get(record.path);
    // A reply snapshot may be older than what has streamed since: keep ours when it extends the saved draft.
    if (!replace && known && previous.files.get(record.path)?.generating && !known.gap &&
        known.text.length >= saved.length && known.text.startsWith(saved)) {
      drafts.set(record.path, known);
    } else {
      drafts.set(record.path, freshDraft(out, saved));
    }
  }
  const phases = new Map((snapshot.phases || []).map((phase) => [phase.index, phase]));
  const implementing = [...phases.values()].find((phase) => phase.status === "implementing");
  const local = previous.conversation.filter((m) => m.local);
  set(out, {
    loaded: true,
    title: snapshot.title || "",
    error: snapshot.error || null,
    blueprint: snapshot.blueprint || null,
    model: snapshot.model || null,
    builtWith: snapshot.builtWith?.name ? snapshot.builtWith : null,
    problems: Array.isArray(snapshot.problems) ? snapshot.problems : [],
    selfChecks: new Map((snapshot.selfChecks || []).map((check) => [checkKey(check), check])),
    preview: snapshot.preview || null,
    phases,
    files,
    drafts,
    currentPhase: implementing ? implementing.index : null,
    planningNext: false,
    conversation: [...(snapshot.conversation || []).map(messageFromState), ...local],
    olderMessages: snapshot.conversationHasMore ? snapshot.conversationBefore ?? null : null,
    loadingOlder: false,
  });
  setStatus(out, snapshot.status);
  const s = out.state;
  if (!s.selected || !files.has(s.selected)) {
    const writing = writingFile(s);
    set(out, { selected: writing?.path || (files.has("index.html") ? "index.html" : [...files.keys()][0] || null) });
  }
  setActivity(out, snapshotActivity(out.state));
}

// Where a file's contents are when a frame named them by URL instead of carrying them. A fetch already made
// for the same version (same sha256) is kept rather than made again.
function remoteContents(known, payload) {
  const url = payload.fileContents === undefined && payload.complete !== false ? payload.contentsUrl : null;
  if (!url) return { contentsUrl: null, loading: false, loadError: null };
  if (known && !known.contentsUrl && known.sha256 && known.sha256 === payload.sha256) {
    return { contents: known.contents, sha256: known.sha256, contentsUrl: null, loading: false, loadError: null };
  }
  if (known?.contentsUrl === url && known.loading) return { contents: "", contentsUrl: url, loading: true, loadError: null };
  return { contents: "", sha256: payload.sha256 || null, contentsUrl: url, loading: false, loadError: null };
}

function upsertPhase(out, phase) {
  if (!phase || typeof phase.index !== "number") return;
  const phases = new Map(out.state.phases);
  const known = phases.get(phase.index) || {};
  const merged = { ...known, ...phase };
  // Some frames carry a shortened file list: never lose planned files we already know.
  if ((known.files?.length || 0) > (phase.files?.length || 0)) merged.files = known.files;
  phases.set(phase.index, merged);
  set(out, { phases });
  if (merged.status === "implementing") set(out, { currentPhase: merged.index });
}

function fileStarted(out, path, purpose) {
  const s = out.state;
  const known = s.files.get(path) || { path, purpose: "", contents: "", complete: false, phaseIndex: null };
  const files = new Map(s.files);
  files.set(path, { ...known, purpose: purpose || known.purpose, generating: true, complete: false });
  // A rewrite starts from nothing: the old contents are not part of the new stream.
  const drafts = new Map(s.drafts);
  drafts.set(path, freshDraft(out, ""));
  set(out, { files, drafts });
  if (s.follow || !s.selected) set(out, { selected: path });
}

// Places one chunk in the file's draft. `offset` (code points of the draft before this chunk) makes it exact:
// a chunk the draft already holds (it arrived in a snapshot too) is trimmed, and a hole (chunks missed while
// the socket was away) asks for a snapshot instead of gluing the pieces around it.
function fileChunk(out, path, chunk, offset) {
  if (!out.state.files.get(path)?.generating) fileStarted(out, path, "");
  const s = out.state;
  const draft = s.drafts.get(path);
  let piece = chunk;
  if (typeof offset === "number") {
    if (draft.gap) return;
    if (offset > draft.points) {
      const drafts = new Map(s.drafts);
      drafts.set(path, { ...draft, gap: true });
      set(out, { drafts });
      send(out, { type: "get_state" });
      return;
    }
    if (offset < draft.points) piece = dropCodePoints(chunk, draft.points - offset);
  }
  if (!piece) return;
  const drafts = new Map(s.drafts);
  drafts.set(path, { ...draft, text: draft.text + piece, points: draft.points + codePoints(piece) });
  set(out, { drafts });
}

function fileFinished(out, payload) {
  if (!payload?.filePath) return;
  const s = out.state;
  const path = payload.filePath;
  const known = s.files.get(path) || { path, phaseIndex: null };
  const files = new Map(s.files);
  files.set(path, {
    ...known,
    purpose: payload.filePurpose || known.purpose || "",
    contents: payload.fileContents ?? "",
    complete: true,
    generating: false,
    phaseIndex: s.currentPhase ?? known.phaseIndex,
    sha256: payload.sha256 || null,
    ...remoteContents(null, payload),
  });
  const drafts = new Map(s.drafts);
  drafts.delete(path);
  set(out, { files, drafts });
}

function failLocalMessage(out, reason) {
  const conversation = out.state.conversation;
  let index = -1;
  for (let i = conversation.length - 1; i >= 0; i -= 1) {
    if (conversation[i].local && !conversation[i].failed) {
      index = i;
      break;
    }
  }
  if (index < 0) return;
  const next = conversation.slice();
  next[index] = { ...next[index], failed: true };
  set(out, { conversation: next, chatError: reason });
}

// Failures whose fix is a key or a model choice: the banner links to Settings.
const SETTINGS_CODES = new Set(["KEY_REFUSED", "INSUFFICIENT_QUOTA", "MODEL_NOT_FOUND"]);

function showError(out, message, code = "") {
  set(out, { banner: message, bannerSettings: SETTINGS_CODES.has(code) });
}

function rateLimitSentence(error) {
  return waitSentence(error?.message, error?.retry_after_seconds);
}

function putCheck(out, frame, changes) {
  const key = checkKey(frame);
  const selfChecks = new Map(out.state.selfChecks);
  const known = selfChecks.get(key) || {};
  selfChecks.set(key, {
    ...known, phaseIndex: frame.phaseIndex, final: Boolean(frame.final), round: frame.round ?? known.round ?? 0, ...changes,
  });
  set(out, { selfChecks, lastCheck: key });
}

function markUnseen(out, tab) {
  if (!isShown(out.state, tab)) set(out, { unseen: withSet(out.state.unseen, tab) });
}

const HANDLERS = {
  agent_connected(out, frame) {
    applySnapshot(out, frame.state, { replace: true });
  },
  agent_state(out, frame) {
    applySnapshot(out, frame.state, { replace: false });
  },
  generation_started(out, frame) {
    setStatus(out, "generating");
    set(out, { problems: [] });
    setActivity(out, frame.message || "Starting code generation");
  },
  generation_resumed(out, frame) {
    set(out, { problems: [] });
    if (out.state.status === "stopped" || out.state.status === "failed") setStatus(out, "generating");
    setActivity(out, frame.message || "Resuming generation");
  },
  phase_generating(out, frame) {
    setStatus(out, "generating");
    set(out, { planningNext: true });
    setActivity(out, frame.message || "Planning the next phase");
  },
  phase_generated(out, frame) {
    set(out, { planningNext: false });
    upsertPhase(out, frame.phase);
    if (!out.state.blueprint) send(out, { type: "get_state" });
    setActivity(out, frame.message || `Planned phase: ${frame.phase?.name}`);
  },
  phase_implementing(out, frame) {
    setStatus(out, "generating");
    set(out, { planningNext: false, currentPhase: frame.phase?.index ?? out.state.currentPhase });
    upsertPhase(out, frame.phase);
    setActivity(out, frame.message || `Implementing phase: ${frame.phase?.name}`);
  },
  phase_implemented(out, frame) {
    upsertPhase(out, frame.phase);
    setActivity(out, frame.message || `Phase implemented: ${frame.phase?.name}`);
  },
  file_generating(out, frame) {
    setStatus(out, "generating");
    fileStarted(out, frame.filePath, frame.filePurpose);
    setActivity(out, `Writing ${frame.filePath}…`);
  },
  file_chunk_generated(out, frame) {
    fileChunk(out, frame.filePath, frame.chunk || "", frame.offset);
  },
  file_generated(out, frame) {
    fileFinished(out, frame.file);
    setActivity(out, frame.message || `Generated ${frame.file?.filePath}`);
  },
  // A restore removed a file the version did not have.
  file_deleted(out, frame) {
    const path = frame.filePath;
    if (!out.state.files.has(path)) return;
    const files = new Map(out.state.files);
    files.delete(path);
    const drafts = new Map(out.state.drafts);
    drafts.delete(path);
    set(out, { files, drafts, selected: out.state.selected === path ? null : out.state.selected });
  },
  generation_complete(out, frame) {
    setStatus(out, "complete");
    const problems = Array.isArray(frame.problems) ? frame.problems : [];
    set(out, {
      planningNext: false,
      problems,
      activity: problems.length
        ? problemsActivity(problems)
        : out.state.blueprint?.closestTemplate
          ? CLOSEST_TEMPLATE
          : "Your app is ready. Open the Preview tab to try it.",
    });
  },
  // A chat request could not be built (its reason names the fix); the app is as it was. `retry_request`
  // with its messageId sends it again.
  request_failed(out, frame) {
    const ids = Array.isArray(frame.messageIds) ? frame.messageIds : [];
    const conversation = out.state.conversation.map((m) =>
      ids.includes(m.id) ? { ...m, failed: true, error: frame.error || "" } : m,
    );
    set(out, { conversation, chatError: frame.error || "Your request could not be built." });
  },
  self_check_started(out, frame) {
    putCheck(out, frame, { status: "running", problems: [], screenshotUrl: null, note: "", fixing: null });
    setActivity(out, frame.message || "Opening the app in a browser to check it…");
  },
  self_check_completed(out, frame) {
    putCheck(out, frame, {
      status: frame.status,
      problems: Array.isArray(frame.problems) ? frame.problems : [],
      screenshotUrl: frame.screenshotUrl || null,
      note: frame.note || "",
      fixing: null,
    });
    setActivity(out, frame.message);
  },
  fix_round_started(out, frame) {
    // A fix round follows the check that found the problems: the last one.
    const known = out.state.selfChecks.get(out.state.lastCheck);
    if (frame.source === "browser" && known) {
      putCheck(out, known, { fixing: { round: frame.round, files: frame.files || [] } });
    }
    setActivity(out, frame.message);
  },
  // A model call failed and is tried again: say so on the status line (it is not an error yet).
  generation_retrying(out, frame) {
    set(out, { activity: retryingActivity(frame) });
  },
  // A problem that was dealt with: kept in a quiet list, never in the error banner.
  generation_warning(out, frame) {
    const warning = { message: frame.message || "", code: frame.code || "", filePath: frame.filePath || null };
    set(out, { warnings: [...out.state.warnings, warning].slice(-MAX_WARNINGS) });
  },
  model_thinking(out, frame) {
    const known = out.state.thinking;
    const chunk = frame.chunk || "";
    const same = known?.active && known.action === frame.action;
    const text = (same ? known.text + chunk : chunk).slice(-MAX_THINKING_CHARS);
    set(out, { thinking: { action: frame.action || "", text, active: true } });
  },
  generation_stopped(out) {
    setStatus(out, "stopped");
    set(out, { planningNext: false, activity: "Generation stopped. Resume to continue where it left off." });
  },
  deployment_started(out, frame) {
    set(out, { preview: { deploymentId: frame.deploymentId, status: "pending", previewUrl: null, error: null } });
    setActivity(out, frame.message || "Deploying the preview…");
  },
  // A framework app's build output (broadcast only): the preview pane shows its latest line.
  build_log(out, frame) {
    const lines = Array.isArray(frame.lines) ? frame.lines.map(String) : [];
    const known = out.state.preview;
    if (!lines.length || (known && known.deploymentId !== frame.deploymentId)) return;
    const log = [...(known?.log || []), ...lines].slice(-MAX_BUILD_LOG_LINES);
    set(out, { preview: { deploymentId: frame.deploymentId, previewUrl: null, error: null, ...known, status: "building", log } });
  },
  deployment_completed(out, frame) {
    const preview = {
      deploymentId: frame.deploymentId,
      status: "ready",
      previewUrl: frame.previewUrl,
      appUrl: frame.appUrl || null,
      error: null,
      incomplete: Boolean(frame.incomplete),
      missingFiles: frame.missingFiles || [],
    };
    set(out, { deployRequested: false, preview });
    markUnseen(out, "preview");
    if (preview.incomplete) setActivity(out, `The preview shows an incomplete app. ${incompleteSentence(preview)}`);
    else if (!isActive(out.state) && out.state.blueprint?.closestTemplate) setActivity(out, CLOSEST_TEMPLATE);
    else if (!isActive(out.state)) setActivity(out, "Your app is ready and its preview is live. Ask for changes in the chat.");
  },
  deployment_failed(out, frame) {
    set(out, {
      deployRequested: false,
      preview: { deploymentId: frame.deploymentId, status: "failed", previewUrl: null, error: frame.error },
    });
    setActivity(out, `Preview deployment failed: ${frame.error}`);
  },
  user_message(out, frame, now) {
    const conversation = out.state.conversation;
    if (conversation.some((m) => m.id === frame.messageId)) return;
    const index = conversation.findIndex((m) => m.local && !m.failed && m.text === frame.message);
    const next = conversation.slice();
    if (index >= 0) {
      next[index] = { ...next[index], id: frame.messageId, key: `m-${frame.messageId}`, local: false };
    } else {
      next.push({
        key: `m-${frame.messageId}`,
        id: frame.messageId,
        role: "user",
        text: frame.message || "",
        imageIds: frame.imageIds || [],
        createdAt: now,
      });
    }
    set(out, { conversation: next });
  },
  conversation_response(out, frame, now) {
    const key = `c-${frame.conversationId}`;
    const conversation = out.state.conversation;
    const index = conversation.findIndex((m) => m.key === key);
    const streaming = Boolean(frame.isStreaming);
    const text = frame.message || "";
    if (index < 0) {
      const last = conversation[conversation.length - 1];
      // The final reply may already be in a snapshot taken between its save and its frame.
      if (!streaming && last?.role === "assistant" && last.text === text) return;
      set(out, { conversation: [...conversation, { key, role: "assistant", text, imageIds: [], createdAt: now, streaming }] });
    } else {
      const next = conversation.slice();
      next[index] = { ...next[index], text, streaming };
      set(out, { conversation: next });
    }
    if (!streaming) markUnseen(out, "chat");
  },
  conversation_state(out, frame) {
    set(out, { conversation: (frame.messages || []).map(messageFromState) });
  },
  conversation_cleared(out) {
    set(out, { conversation: [] });
  },
  error(out, frame) {
    const message = frame.error || frame.message || "Something went wrong.";
    // A reply to one of our commands (the pipeline's durable errors also carry `message`).
    if (frame.message === undefined) failLocalMessage(out, message);
    showError(out, message, frame.code);
    set(out, { deployRequested: false });
    // A pipeline failure changes the app's status; ask for the truth rather than guessing from the code.
    if (isActive(out.state)) send(out, { type: "get_state" });
  },
  rate_limit_error(out, frame) {
    const sentence = rateLimitSentence(frame.error);
    failLocalMessage(out, sentence);
    showError(out, sentence);
  },

  // The socket's own news (AgentSocket.onConnection).
  "socket/connection"(out, event) {
    set(out, { connection: { state: event.state, reason: event.reason || "" } });
    if (event.state === "closed") showError(out, event.reason);
  },
  // A command could not be sent after all (the socket is closing; its close event follows): forget that it
  // was asked, and ask nothing more until the socket is open again.
  "socket/send_failed"(out, event) {
    const type = event.frame?.type;
    if (isOpen(out.state)) set(out, { connection: { state: "reconnecting", reason: "" } });
    if (type === "generate_all") set(out, { generateSent: false });
    if (type === "preview") set(out, { deployRequested: false });
    if (type === "stop_generation") set(out, { stopRequested: false });
    if (type === "resume_generation") set(out, { resumeRequested: false });
  },

  // Answers to "http/…" commands.
  "http/file_loaded"(out, event) {
    const file = out.state.files.get(event.path);
    // The file may have been rewritten meanwhile: only the version that was asked for is filled in.
    if (!file || file.contentsUrl !== event.url) return;
    const files = new Map(out.state.files);
    files.set(event.path, {
      ...file, contents: event.contents, sha256: event.sha256 || file.sha256, contentsUrl: null, loading: false,
    });
    set(out, { files });
  },
  "http/file_failed"(out, event) {
    const file = out.state.files.get(event.path);
    if (!file || file.contentsUrl !== event.url) return;
    const files = new Map(out.state.files);
    files.set(event.path, { ...file, loading: false, loadError: event.reason || "Could not load this file." });
    set(out, { files });
  },
  "http/messages_loaded"(out, event) {
    const known = new Set(out.state.conversation.map((m) => m.id).filter((id) => id !== undefined));
    const older = (event.messages || []).filter((m) => !known.has(m.id)).map(messageFromState);
    set(out, {
      conversation: [...older, ...out.state.conversation],
      olderMessages: event.hasMore ? event.before ?? null : null,
      loadingOlder: false,
    });
  },
  "http/messages_failed"(out, event) {
    set(out, { loadingOlder: false, chatError: event.reason || "Could not load earlier messages." });
  },

  // The page's own events.
  "ui/load_older_messages"(out) {
    if (out.state.olderMessages === null || out.state.loadingOlder) return;
    set(out, { loadingOlder: true });
    send(out, { type: "http/messages", before: out.state.olderMessages });
  },
  "ui/select_file"(out, event) {
    const file = out.state.files.get(event.path);
    if (!file) return;
    if (file.loadError) {
      const files = new Map(out.state.files);
      files.set(event.path, { ...file, loadError: null });
      set(out, { files });
    }
    // Picking a finished file pauses following; picking the file being written resumes it.
    set(out, { selected: event.path, follow: Boolean(file.generating && isActive(out.state)) });
  },
  "ui/toggle_follow"(out) {
    const follow = !out.state.follow;
    set(out, { follow });
    const writing = follow ? writingFile(out.state) : null;
    if (writing) set(out, { selected: writing.path });
  },
  "ui/select_tab"(out, event) {
    if (!TABS.includes(event.tab)) return;
    set(out, { tab: event.tab, unseen: withoutSet(out.state.unseen, event.tab) });
  },
  "ui/layout"(out, event) {
    set(out, { narrow: Boolean(event.narrow) });
    const unseen = new Set([...out.state.unseen].filter((tab) => !isShown(out.state, tab)));
    set(out, { unseen });
  },
  "ui/dismiss_error"(out) {
    set(out, { banner: null });
  },
  "ui/stop"(out) {
    if (!controls(out.state).stop) return;
    send(out, { type: "stop_generation" });
    set(out, { stopRequested: true, activity: "Stopping…" });
  },
  "ui/resume"(out) {
    if (!controls(out.state).resume) return;
    send(out, { type: "resume_generation" });
    set(out, { resumeRequested: true, banner: null, activity: "Resuming…" });
  },
  "ui/deploy"(out) {
    if (!controls(out.state).deploy) return;
    send(out, { type: "preview" });
    set(out, { deployRequested: true });
  },
  "ui/chat_sending"(out) {
    set(out, { sending: true, chatError: null });
  },
  "ui/chat_sent"(out, event, now) {
    const localCount = out.state.localCount + 1;
    set(out, {
      sending: false,
      localCount,
      conversation: [...out.state.conversation, {
        key: `local-${localCount}`,
        role: "user",
        text: event.text,
        imageIds: event.imageIds || [],
        createdAt: now,
        local: true,
      }],
    });
  },
  "ui/chat_refused"(out, event) {
    set(out, { sending: false, chatError: event.reason });
  },
};

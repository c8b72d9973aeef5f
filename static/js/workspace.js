// The workspace of one app: phase timeline, file tree, live code, chat, preview, stop/resume.
// Everything is drawn from the socket: `agent_connected` gives the whole state, later frames change it.

import { api, describeError, rateLimitSentence } from "./api.js";
import { $, formatTime, h, jsonScript } from "./dom.js";
import { highlight } from "./highlight.js";
import { ImageAttachments } from "./images.js";
import { AgentSocket } from "./socket.js";

const root = $("#workspace");
const agentId = root.dataset.agentId;
const previewDomain = (root.dataset.previewDomain || "").toLowerCase();

const STATUS_LABELS = {
  created: "Created",
  planning: "Planning",
  generating: "Generating",
  deploying: "Deploying",
  complete: "Complete",
  stopped: "Stopped",
  failed: "Failed",
};
const PHASE_LABELS = { planned: "Planned", implementing: "In progress", done: "Done", failed: "Failed" };
const ACTIVE = new Set(["planning", "generating", "deploying"]);
const DEPLOYING = new Set(["pending", "building"]);

const state = {
  loaded: false,
  title: "",
  status: "",
  error: null,
  blueprint: null,
  phases: new Map(), // index -> {index, name, description, files: [{path, purpose}], status}
  files: new Map(), // path -> {path, purpose, contents, draft, complete, generating, phaseIndex}
  conversation: [], // {key, id, role, text, imageIds, createdAt, streaming, local, failed}
  preview: null, // {deploymentId, status, previewUrl, error}
  model: null,
  currentPhase: null,
  planningNext: false,
};

const ui = {
  selected: null,
  follow: true,
  tab: "code",
  generateSent: false,
  portFixAsked: new Set(),
  deployRequested: false,
  codeNode: null,
  lineCount: 0,
  iframeUrl: null,
  shownFiles: new Set(), // files already drawn in the tree: only newcomers get the entrance animation
};

const el = {
  title: $("#ws-title"),
  status: $("#ws-status"),
  model: $("#ws-model"),
  modelName: $("#ws-model-name"),
  offlineBadge: $("#ws-offline-badge"),
  connection: $("#ws-connection"),
  stop: $("#btn-stop"),
  resume: $("#btn-resume"),
  activity: $("#ws-activity"),
  spinner: $("#activity-spinner"),
  errorBanner: $("#ws-error"),
  errorText: $("#ws-error-text"),
  phases: $("#phase-list"),
  planProgress: $("#plan-progress"),
  tree: $("#file-tree"),
  fileCount: $("#file-count"),
  follow: $("#btn-follow"),
  codePath: $("#code-path"),
  codeState: $("#code-state"),
  codeBody: $("#code-body"),
  codeEmpty: $("#code-empty"),
  gutter: $("#code-gutter"),
  codeText: $("#code-text"),
  chatLog: $("#chat-log"),
  chatForm: $("#chat-form"),
  chatInput: $("#chat-input"),
  chatSend: $("#chat-send"),
  chatError: $("#chat-error"),
  tabs: [$("#tab-code"), $("#tab-preview")],
  panels: { code: $("#panel-code"), preview: $("#panel-preview") },
  previewDot: $("#preview-dot"),
  previewStatus: $("#preview-status"),
  previewUrl: $("#preview-url"),
  deploy: $("#btn-deploy"),
  reload: $("#btn-reload"),
  open: $("#preview-open"),
  frame: $("#preview-frame"),
  previewEmpty: $("#preview-empty"),
};

const socket = new AgentSocket({ agentId, onFrame: handleFrame, onConnection: showConnection });
// A handle for debugging in the console and for the browser tests (drop the socket, read the state).
window.atelierWorkspace = { socket, state };

// ------------------------------------------------------------------------------------------ frames

function handleFrame(frame) {
  switch (frame.type) {
    case "agent_connected":
      applySnapshot(frame.state, { replace: true });
      break;
    case "agent_state":
      applySnapshot(frame.state, { replace: false });
      break;
    case "generation_started":
      setStatus("generating");
      setActivity(frame.message || "Starting code generation");
      break;
    case "generation_resumed":
      if (state.status === "stopped" || state.status === "failed") setStatus("generating");
      setActivity(frame.message || "Resuming generation");
      break;
    case "phase_generating":
      setStatus("generating");
      state.planningNext = true;
      renderPhases();
      setActivity(frame.message || "Planning the next phase");
      break;
    case "phase_generated":
      state.planningNext = false;
      upsertPhase(frame.phase);
      if (!state.blueprint) socket.send({ type: "get_state" });
      setActivity(frame.message || `Planned phase: ${frame.phase?.name}`);
      break;
    case "phase_implementing":
      setStatus("generating");
      state.planningNext = false;
      state.currentPhase = frame.phase?.index ?? state.currentPhase;
      upsertPhase(frame.phase);
      setActivity(frame.message || `Implementing phase: ${frame.phase?.name}`);
      break;
    case "phase_implemented":
      upsertPhase(frame.phase);
      setActivity(frame.message || `Phase implemented: ${frame.phase?.name}`);
      break;
    case "file_generating":
      setStatus("generating");
      fileStarted(frame.filePath, frame.filePurpose);
      setActivity(`Writing ${frame.filePath}…`);
      break;
    case "file_chunk_generated":
      fileChunk(frame.filePath, frame.chunk || "");
      break;
    case "file_generated":
      fileFinished(frame.file);
      setActivity(frame.message || `Generated ${frame.file?.filePath}`);
      break;
    case "generation_complete":
      setStatus("complete");
      state.planningNext = false;
      renderPhases();
      setActivity("Your app is ready. Open the Preview tab to try it.");
      break;
    case "generation_stopped":
      setStatus("stopped");
      state.planningNext = false;
      renderPhases();
      renderTree();
      renderCode();
      setActivity("Generation stopped. Resume to continue where it left off.");
      break;
    case "deployment_started":
      state.preview = { deploymentId: frame.deploymentId, status: "pending", previewUrl: null, error: null };
      renderPreview();
      setActivity(frame.message || "Deploying the preview…");
      break;
    case "deployment_completed":
      ui.deployRequested = false;
      state.preview = { deploymentId: frame.deploymentId, status: "ready", previewUrl: frame.previewUrl, error: null };
      if (ui.tab !== "preview") el.previewDot.hidden = false;
      renderPreview();
      if (!ACTIVE.has(state.status)) setActivity("Your app is ready and its preview is live. Ask for changes in the chat.");
      break;
    case "deployment_failed":
      ui.deployRequested = false;
      state.preview = { deploymentId: frame.deploymentId, status: "failed", previewUrl: null, error: frame.error };
      renderPreview();
      setActivity(`Preview deployment failed: ${frame.error}`);
      break;
    case "user_message":
      userMessage(frame);
      break;
    case "conversation_response":
      assistantMessage(frame);
      break;
    case "conversation_state":
      state.conversation = (frame.messages || []).map(messageFromState);
      renderChat();
      break;
    case "conversation_cleared":
      state.conversation = [];
      renderChat();
      break;
    case "error":
      errorFrame(frame);
      break;
    case "rate_limit_error":
      failLocalMessage(rateLimitSentence(frame.error));
      showError(rateLimitSentence(frame.error));
      break;
    default:
      break;
  }
  renderControls();
}

function applySnapshot(snapshot, { replace }) {
  if (!snapshot) return;
  const previous = state.files;
  state.loaded = true;
  state.title = snapshot.title || "";
  state.error = snapshot.error || null;
  state.blueprint = snapshot.blueprint || null;
  state.model = snapshot.model || null;
  state.preview = snapshot.preview || null;
  state.phases = new Map((snapshot.phases || []).map((phase) => [phase.index, phase]));
  state.files = new Map();
  for (const file of snapshot.files || []) {
    const record = {
      path: file.filePath,
      purpose: file.filePurpose || "",
      contents: file.fileContents || "",
      draft: file.draft || "",
      complete: Boolean(file.complete),
      generating: Boolean(file.generating),
      phaseIndex: file.phaseIndex,
    };
    // A reply snapshot's draft was flushed up to 250 ms ago: keep the longer one we have streamed.
    const known = previous.get(record.path);
    if (!replace && known?.generating && record.generating && known.draft.length > record.draft.length) {
      record.draft = known.draft;
    }
    state.files.set(record.path, record);
  }
  const implementing = [...state.phases.values()].find((phase) => phase.status === "implementing");
  state.currentPhase = implementing ? implementing.index : null;
  state.planningNext = false;
  const local = state.conversation.filter((m) => m.local);
  state.conversation = [...(snapshot.conversation || []).map(messageFromState), ...local];
  setStatus(snapshot.status);

  if (!ui.selected || !state.files.has(ui.selected)) {
    const writing = [...state.files.values()].find((f) => f.generating);
    ui.selected = writing?.path || (state.files.has("index.html") ? "index.html" : [...state.files.keys()][0] || null);
  }
  renderAll();
  setActivity(snapshotActivity());
  maybeStartGeneration();
}

function snapshotActivity() {
  const writing = [...state.files.values()].find((f) => f.generating);
  switch (state.status) {
    case "planning":
      return state.blueprint ? "Starting code generation…" : "Planning your app…";
    case "generating":
    case "deploying":
      return writing ? `Writing ${writing.path}…` : "Generating…";
    case "complete":
      return "Your app is ready. Ask for changes in the chat, or try it in the Preview tab.";
    case "stopped":
      return "Generation stopped. Resume to continue where it left off.";
    case "failed":
      return `Generation failed${state.error ? `: ${state.error}` : "."} Resume to try again.`;
    default:
      return "";
  }
}

// The web UI starts generation as soon as the blueprint exists (DESIGN.md §8), once per page.
function maybeStartGeneration() {
  if (ui.generateSent || state.status !== "planning" || !state.blueprint || state.files.size > 0) return;
  if (socket.send({ type: "generate_all" })) {
    ui.generateSent = true;
    setActivity("Starting code generation…");
  }
}

function upsertPhase(phase) {
  if (!phase || typeof phase.index !== "number") return;
  const known = state.phases.get(phase.index) || {};
  const merged = { ...known, ...phase };
  // Some frames carry a shortened file list: never lose planned files we already know.
  if ((known.files?.length || 0) > (phase.files?.length || 0)) merged.files = known.files;
  state.phases.set(phase.index, merged);
  if (merged.status === "implementing") state.currentPhase = merged.index;
  renderPhases();
}

function fileStarted(path, purpose) {
  const file = state.files.get(path) || { path, purpose: "", contents: "", complete: false, phaseIndex: null };
  Object.assign(file, { purpose: purpose || file.purpose, draft: "", generating: true, complete: false });
  state.files.set(path, file);
  if (ui.follow || !ui.selected) ui.selected = path;
  renderTree();
  if (ui.selected === path) renderCode();
  renderPhases();
}

function fileChunk(path, chunk) {
  let file = state.files.get(path);
  if (!file) {
    fileStarted(path, "");
    file = state.files.get(path);
  }
  file.draft += chunk;
  if (ui.selected !== path) return;
  if (!ui.codeNode) {
    renderCode();
    return;
  }
  ui.codeNode.appendData(chunk);
  const added = (chunk.match(/\n/g) || []).length;
  if (added) growGutter(ui.lineCount + added);
  if (ui.follow) el.codeBody.scrollTop = el.codeBody.scrollHeight;
}

function fileFinished(payload) {
  if (!payload?.filePath) return;
  const path = payload.filePath;
  const file = state.files.get(path) || { path, phaseIndex: null };
  Object.assign(file, {
    purpose: payload.filePurpose || file.purpose || "",
    contents: payload.fileContents ?? "",
    draft: "",
    complete: true,
    generating: false,
    phaseIndex: state.currentPhase ?? file.phaseIndex,
  });
  state.files.set(path, file);
  renderTree();
  renderPhases();
  if (ui.selected === path) renderCode();
}

function errorFrame(frame) {
  const message = frame.error || frame.message || "Something went wrong.";
  if (frame.message === undefined) {
    // A reply to one of our commands (the pipeline's durable errors also carry `message`).
    failLocalMessage(message);
  }
  showError(message);
  ui.deployRequested = false;
  renderPreview();
  // A pipeline failure changes the app's status; ask for the truth rather than guessing from the code.
  if (ACTIVE.has(state.status)) socket.send({ type: "get_state" });
}

// ------------------------------------------------------------------------------------------ chat

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

function userMessage(frame) {
  if (state.conversation.some((m) => m.id === frame.messageId)) return;
  const local = state.conversation.find((m) => m.local && !m.failed && m.text === frame.message);
  if (local) {
    Object.assign(local, { id: frame.messageId, key: `m-${frame.messageId}`, local: false });
  } else {
    state.conversation.push({
      key: `m-${frame.messageId}`,
      id: frame.messageId,
      role: "user",
      text: frame.message || "",
      imageIds: frame.imageIds || [],
      createdAt: new Date().toISOString(),
    });
  }
  renderChat();
}

function assistantMessage(frame) {
  const key = `c-${frame.conversationId}`;
  let message = state.conversation.find((m) => m.key === key);
  if (!message) {
    const last = state.conversation[state.conversation.length - 1];
    // The final reply may already be in a snapshot taken between its save and its frame.
    if (!frame.isStreaming && last?.role === "assistant" && last.text === frame.message) return;
    message = { key, role: "assistant", text: "", imageIds: [], createdAt: new Date().toISOString() };
    state.conversation.push(message);
    message.text = frame.message || "";
    message.streaming = Boolean(frame.isStreaming);
    renderChat();
    return;
  }
  message.text = frame.message || "";
  message.streaming = Boolean(frame.isStreaming);
  const item = el.chatLog.querySelector(`[data-key="${CSS.escape(key)}"]`);
  if (!item) {
    renderChat();
    return;
  }
  const stick = nearBottom(el.chatLog);
  item.classList.toggle("streaming", message.streaming);
  item.setAttribute("aria-busy", String(message.streaming));
  item.querySelector(".msg-text").textContent = message.text;
  if (stick) el.chatLog.scrollTop = el.chatLog.scrollHeight;
}

function failLocalMessage(reason) {
  const local = [...state.conversation].reverse().find((m) => m.local && !m.failed);
  if (!local) return;
  local.failed = true;
  el.chatError.replaceChildren(h("p", {}, reason));
  renderChat();
}

const chatImages = new ImageAttachments({
  input: $("#chat-images"),
  list: $("#chat-attachments"),
  errorBox: el.chatError,
  dropZone: el.chatForm,
  pasteTarget: el.chatInput,
  limits: jsonScript("image-limits"),
});

let sending = false;

async function sendChat() {
  const text = el.chatInput.value.trim();
  el.chatError.replaceChildren();
  if (!text) {
    el.chatError.replaceChildren(h("p", {}, "Write what you would like to change."));
    el.chatInput.focus();
    return;
  }
  if (!socket.isOpen) {
    el.chatError.replaceChildren(h("p", {}, "Not connected right now. Wait for “Live” and send again."));
    return;
  }
  sending = true;
  renderControls();
  try {
    let imageIds = [];
    if (chatImages.files.length) {
      const form = new FormData();
      for (const file of chatImages.files) form.append("images", file, file.name);
      const data = await api(`/api/agent/${agentId}/images`, { method: "POST", form });
      imageIds = (data.images || []).map((image) => image.id);
    }
    if (!socket.send({ type: "user_suggestion", message: text, imageIds })) {
      throw new Error("Not connected right now. Wait for “Live” and send again.");
    }
    state.conversation.push({
      key: `local-${Date.now()}`,
      role: "user",
      text,
      imageIds,
      createdAt: new Date().toISOString(),
      local: true,
    });
    el.chatInput.value = "";
    chatImages.clear();
    renderChat();
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  } catch (error) {
    el.chatError.replaceChildren(h("p", {}, describeError(error)));
  } finally {
    sending = false;
    renderControls();
  }
}

el.chatForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!sending) sendChat();
});
el.chatInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    el.chatForm.requestSubmit();
  }
});

// ------------------------------------------------------------------------------------------ render

function renderAll() {
  renderHeader();
  renderPhases();
  renderTree();
  renderCode();
  renderChat();
  renderPreview();
  renderControls();
}

function setStatus(status) {
  if (!status || status === state.status) return;
  state.status = status;
  renderHeader();
  if (!ACTIVE.has(status)) {
    renderTree();
    if (ui.selected && state.files.get(ui.selected)?.generating) renderCode();
  }
}

function setActivity(text) {
  if (text) el.activity.textContent = text;
  el.spinner.hidden = !ACTIVE.has(state.status);
}

function showError(message) {
  el.errorText.textContent = message;
  el.errorBanner.hidden = false;
}

$("#ws-error-dismiss").addEventListener("click", () => {
  el.errorBanner.hidden = true;
});

function renderHeader() {
  const title = state.title || (state.status === "planning" ? "Planning your app…" : "Untitled app");
  el.title.textContent = title;
  document.title = `${title} · Atelier`;
  el.status.textContent = STATUS_LABELS[state.status] || state.status;
  el.status.className = `status-pill status-${state.status}`;
  if (state.model) {
    el.model.hidden = false;
    el.modelName.textContent = state.model.name;
    el.model.title = `Model: ${state.model.provider} / ${state.model.name}`;
    el.offlineBadge.hidden = state.model.provider !== "offline";
  }
  el.spinner.hidden = !ACTIVE.has(state.status);
}

function renderControls() {
  const open = socket.isOpen;
  el.stop.disabled = !open || !(state.status === "generating" || state.status === "deploying" ||
    (state.status === "planning" && ui.generateSent));
  el.resume.disabled = !open || !(state.status === "stopped" || state.status === "failed");
  el.chatSend.disabled = sending || !state.loaded;
  const hasFiles = [...state.files.values()].some((f) => f.complete);
  const deploying = ui.deployRequested || DEPLOYING.has(state.preview?.status);
  el.deploy.disabled = !open || !hasFiles || deploying;
  el.deploy.textContent = state.preview?.status === "ready" ? "Redeploy" : "Deploy preview";
}

function phaseCounts(phase) {
  const files = phase.files || [];
  if (phase.status === "done") return [files.length, files.length];
  let done = 0;
  for (const planned of files) {
    const file = state.files.get(planned.path);
    if (file?.complete && !file.generating && file.phaseIndex === phase.index) done += 1;
  }
  return [done, files.length];
}

function renderPhases() {
  const phases = [...state.phases.values()].sort((a, b) => a.index - b.index);
  const items = phases.map((phase) => {
    const [done, total] = phaseCounts(phase);
    let status = phase.status || "planned";
    if (status === "implementing" && !ACTIVE.has(state.status)) status = "paused";
    const label = status === "paused" ? "Paused" : PHASE_LABELS[status] || status;
    return h("li", {
      class: `phase phase-${status}`,
      "aria-current": status === "implementing" ? "step" : null,
      dataset: { index: phase.index, status: phase.status || "planned" },
    },
    h("span", { class: "phase-marker", "aria-hidden": "true" }, status === "done" ? "✓" : status === "failed" ? "!" : ""),
    h("div", { class: "phase-body" },
      h("div", { class: "phase-name" }, phase.name || `Phase ${phase.index + 1}`),
      h("div", { class: "phase-meta" },
        h("span", { class: "phase-status" }, label),
        " · ",
        h("span", { class: "phase-files" }, `${done}/${total} files`)),
      phase.description ? h("p", { class: "phase-desc" }, phase.description) : null));
  });
  if (state.planningNext) {
    items.push(h("li", { class: "phase phase-planning", "aria-current": "step" },
      h("span", { class: "phase-marker", "aria-hidden": "true" }),
      h("div", { class: "phase-body" }, h("div", { class: "phase-name" }, "Planning the next phase…"))));
  }
  if (!items.length) {
    items.push(h("li", { class: "muted empty" }, state.blueprint ? "No phases yet." : "Waiting for the plan…"));
  }
  el.phases.replaceChildren(...items);
  el.phases.querySelector('[aria-current="step"]')?.scrollIntoView({ block: "nearest" });
  const doneCount = phases.filter((p) => p.status === "done").length;
  el.planProgress.textContent = phases.length ? `${doneCount} of ${phases.length} done` : "";
}

function buildTree(paths) {
  const tree = { dirs: new Map(), files: [] };
  for (const path of paths) {
    const parts = path.split("/");
    let node = tree;
    for (const dir of parts.slice(0, -1)) {
      if (!node.dirs.has(dir)) node.dirs.set(dir, { dirs: new Map(), files: [] });
      node = node.dirs.get(dir);
    }
    node.files.push(path);
  }
  return tree;
}

function fileItem(path) {
  const file = state.files.get(path);
  const writing = file.generating && ACTIVE.has(state.status);
  const stateClass = writing ? "writing" : file.generating ? "interrupted" : file.complete ? "done" : "pending";
  const stateLabel = { writing: "being written", interrupted: "interrupted", done: "written", pending: "waiting" }[stateClass];
  const isNew = !ui.shownFiles.has(path);
  ui.shownFiles.add(path);
  return h("li", { class: "tree-file" },
    h("button", {
      type: "button",
      class: `file file-${stateClass}${isNew ? " file-new" : ""}`,
      dataset: { path },
      "aria-current": ui.selected === path ? "true" : null,
      title: file.purpose ? `${path} — ${file.purpose}` : path,
      onclick: () => selectFile(path),
    },
    h("span", { class: "file-icon", "aria-hidden": "true" }),
    h("span", { class: "file-name" }, path.split("/").pop()),
    h("span", { class: "visually-hidden" }, ` (${stateLabel})`)));
}

function treeNodes(node) {
  const dirs = [...node.dirs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, child]) =>
    h("li", { class: "tree-dir" },
      h("span", { class: "dir-name" }, `${name}/`),
      h("ul", {}, ...treeNodes(child))));
  return [...dirs, ...node.files.sort().map(fileItem)];
}

function renderTree() {
  const paths = [...state.files.keys()];
  el.fileCount.textContent = paths.length ? `${[...state.files.values()].filter((f) => f.complete).length}/${paths.length}` : "";
  if (!paths.length) {
    el.tree.replaceChildren(h("li", { class: "muted empty" }, "No files yet."));
    return;
  }
  el.tree.replaceChildren(...treeNodes(buildTree(paths)));
}

function selectFile(path) {
  const file = state.files.get(path);
  ui.selected = path;
  // Picking a finished file pauses following; picking the file being written resumes it.
  setFollow(Boolean(file?.generating && ACTIVE.has(state.status)));
  renderTree();
  renderCode();
  el.tree.querySelector(`[data-path="${CSS.escape(path)}"]`)?.focus();
}

function setFollow(follow) {
  ui.follow = follow;
  el.follow.setAttribute("aria-pressed", String(follow));
}

el.follow.addEventListener("click", () => {
  setFollow(!ui.follow);
  if (ui.follow) {
    const writing = [...state.files.values()].find((f) => f.generating);
    if (writing) {
      ui.selected = writing.path;
      renderTree();
      renderCode();
    }
  }
});

function growGutter(lines) {
  if (lines <= ui.lineCount) return;
  const numbers = [];
  for (let n = ui.lineCount + 1; n <= lines; n += 1) numbers.push(n);
  el.gutter.append(document.createTextNode((ui.lineCount ? "\n" : "") + numbers.join("\n")));
  ui.lineCount = lines;
}

function renderCode() {
  const file = ui.selected ? state.files.get(ui.selected) : null;
  el.gutter.replaceChildren();
  ui.lineCount = 0;
  ui.codeNode = null;
  el.codeEmpty.hidden = Boolean(file);
  el.codeBody.hidden = !file;
  if (!file) {
    el.codePath.textContent = "No file selected";
    el.codeState.textContent = "";
    el.codeText.replaceChildren();
    return;
  }
  el.codePath.textContent = file.path;
  const writing = file.generating && ACTIVE.has(state.status);
  el.codeState.textContent = writing ? "Writing…" : file.generating ? "Interrupted" : file.purpose;
  el.codeState.classList.toggle("writing", writing);
  el.codeBody.classList.toggle("is-writing", writing);
  if (file.generating) {
    const text = file.draft || (file.complete ? "" : file.contents);
    ui.codeNode = document.createTextNode(text);
    el.codeText.replaceChildren(ui.codeNode);
    growGutter(text.split("\n").length);
    if (ui.follow) el.codeBody.scrollTop = el.codeBody.scrollHeight;
  } else {
    el.codeText.replaceChildren(highlight(file.contents, file.path));
    growGutter(file.contents.split("\n").length);
    el.codeBody.scrollTop = 0;
  }
}

function nearBottom(element) {
  return element.scrollHeight - element.scrollTop - element.clientHeight < 60;
}

function renderChat() {
  const stick = nearBottom(el.chatLog);
  if (!state.conversation.length) {
    el.chatLog.replaceChildren(h("li", { class: "muted empty" }, "Ask for changes here once the app is written."));
    return;
  }
  el.chatLog.replaceChildren(...state.conversation.map((message) =>
    h("li", {
      class: `msg msg-${message.role}${message.streaming ? " streaming" : ""}${message.failed ? " failed" : ""}`,
      dataset: { key: message.key },
      // A reply being streamed is announced once, when it is whole.
      "aria-busy": message.streaming ? "true" : null,
    },
    h("div", { class: "msg-who" },
      message.role === "user" ? "You" : "Atelier",
      message.createdAt ? h("time", { datetime: message.createdAt }, formatTime(message.createdAt)) : null),
    h("div", { class: "msg-text" }, message.text),
    message.imageIds?.length
      ? h("div", { class: "msg-images" }, `${message.imageIds.length} image${message.imageIds.length > 1 ? "s" : ""} attached`)
      : null,
    message.failed ? h("div", { class: "msg-failed" }, "Not sent") : null)));
  if (stick) el.chatLog.scrollTop = el.chatLog.scrollHeight;
}

// A preview deployed by the pipeline (no request, so no port) on a server reached through a port
// lacks it: ask the server to fix it once (`preview` reuses the deployment and corrects its URL).
function previewUrlNeedsPort(url) {
  try {
    const parsed = new URL(url);
    return Boolean(window.location.port) && !parsed.port && parsed.hostname.endsWith(`.${previewDomain}`);
  } catch {
    return false;
  }
}

function renderPreview() {
  const preview = state.preview;
  let url = null;
  let status;
  if (!preview) {
    status = ui.deployRequested ? "Deploying…" : "Not deployed yet.";
  } else if (DEPLOYING.has(preview.status) || ui.deployRequested) {
    status = "Deploying…";
  } else if (preview.status === "failed") {
    status = `Deployment failed: ${preview.error || "unknown error"}`;
  } else if (preview.status === "ready" && preview.previewUrl) {
    if (previewUrlNeedsPort(preview.previewUrl) && !ui.portFixAsked.has(preview.deploymentId)) {
      if (socket.send({ type: "preview" })) ui.portFixAsked.add(preview.deploymentId);
      status = "Preparing the preview…";
    } else {
      url = preview.previewUrl;
      status = "Live";
    }
  } else {
    status = STATUS_LABELS[preview.status] || preview.status || "";
  }
  el.previewStatus.textContent = status;
  el.previewStatus.dataset.state = url ? "live" : preview?.status || "none";
  el.previewUrl.textContent = url || "";
  el.reload.disabled = !url;
  if (url) {
    el.open.href = url;
    el.open.removeAttribute("aria-disabled");
  } else {
    el.open.removeAttribute("href");
    el.open.setAttribute("aria-disabled", "true");
  }
  el.frame.hidden = !url;
  el.previewEmpty.hidden = Boolean(url);
  // Load the app only when someone looks at it; a newer deployment replaces an older one in view.
  if (url && (ui.tab === "preview" || ui.iframeUrl) && ui.iframeUrl !== url) {
    ui.iframeUrl = url;
    el.frame.src = url;
  }
  renderControls();
}

function showConnection(stateName, info) {
  el.connection.dataset.state = stateName;
  const labels = { connecting: "Connecting…", open: "Live", reconnecting: "Reconnecting…" };
  el.connection.textContent = stateName === "closed" ? info.reason : labels[stateName] || stateName;
  if (stateName === "closed") showError(info.reason);
  if (stateName === "open") {
    maybeStartGeneration();
    renderPreview();
  }
  renderControls();
}

// ------------------------------------------------------------------------------------------ controls

el.stop.addEventListener("click", () => {
  if (socket.send({ type: "stop_generation" })) {
    el.stop.disabled = true;
    setActivity("Stopping…");
  }
});

el.resume.addEventListener("click", () => {
  if (socket.send({ type: "resume_generation" })) {
    el.resume.disabled = true;
    el.errorBanner.hidden = true;
    setActivity("Resuming…");
  }
});

el.deploy.addEventListener("click", () => {
  if (socket.send({ type: "preview" })) {
    ui.deployRequested = true;
    renderPreview();
  }
});

el.reload.addEventListener("click", () => {
  if (ui.iframeUrl) el.frame.src = ui.iframeUrl;
});

el.open.addEventListener("click", (event) => {
  if (el.open.getAttribute("aria-disabled") === "true") event.preventDefault();
});

function selectTab(name, { focus = false } = {}) {
  ui.tab = name;
  for (const tab of el.tabs) {
    const selected = tab.getAttribute("aria-controls") === `panel-${name}`;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    if (selected && focus) tab.focus();
  }
  el.panels.code.hidden = name !== "code";
  el.panels.preview.hidden = name !== "preview";
  if (name === "preview") {
    el.previewDot.hidden = true;
    renderPreview();
  }
}

el.tabs.forEach((tab, index) => {
  tab.addEventListener("click", () => selectTab(tab.getAttribute("aria-controls").replace("panel-", "")));
  tab.addEventListener("keydown", (event) => {
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: el.tabs.length - 1 - index };
    if (!(event.key in moves)) return;
    event.preventDefault();
    const next = el.tabs[(index + moves[event.key] + el.tabs.length) % el.tabs.length];
    selectTab(next.getAttribute("aria-controls").replace("panel-", ""), { focus: true });
  });
});

renderChat();
socket.connect();

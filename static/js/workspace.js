// The workspace of one app: phase timeline, file tree, live code, chat, preview, stop/resume.
// Everything is drawn from the socket: `agent_connected` gives the whole state, later frames change it.
// This module only wires things together: the state and its rules are in workspace/state.js (pure, unit
// tested), the drawing in workspace/views.js; every frame and every click is an event for `update`.

import { api, describeError } from "./api.js";
import { $, jsonScript } from "./dom.js";
import { createHistory } from "./history.js";
import { ImageAttachments } from "./images.js";
import { AgentSocket } from "./socket.js";
import { initialState, update } from "./workspace/state.js";
import { createViews } from "./workspace/views.js";

const root = $("#workspace");
const agentId = root.dataset.agentId;

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
  errorSettings: $("#ws-error-settings"),
  problems: $("#ws-problems"),
  problemsTitle: $("#ws-problems-title"),
  problemsList: $("#ws-problems-list"),
  thinking: $("#ws-thinking"),
  thinkingSummary: $("#ws-thinking-summary"),
  thinkingText: $("#ws-thinking-text"),
  warnings: $("#ws-warnings"),
  warningsSummary: $("#ws-warnings-summary"),
  warningsList: $("#ws-warnings-list"),
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
  tabs: [...root.querySelectorAll('[role="tab"][data-tab]')],
  panels: {
    plan: $("#panel-plan"), chat: $("#panel-chat"), code: $("#panel-code"), preview: $("#panel-preview"),
    history: $("#panel-history"),
  },
  previewDot: $("#preview-dot"),
  chatDot: $("#chat-dot"),
  previewStatus: $("#preview-status"),
  previewUrl: $("#preview-url"),
  deploy: $("#btn-deploy"),
  reload: $("#btn-reload"),
  open: $("#preview-open"),
  frame: $("#preview-frame"),
  previewEmpty: $("#preview-empty"),
};

// Plan, Chat, Code and Preview are tabs below this width (the same breakpoint as atelier.css).
const narrow = window.matchMedia("(max-width: 900px)");

let state = initialState({ narrow: narrow.matches });

const views = createViews(el, {
  agentId,
  selectFile: (path) => dispatch({ type: "ui/select_file", path }),
  loadOlderMessages: () => dispatch({ type: "ui/load_older_messages" }),
});

const history = createHistory({ root: el.panels.history, agentId });

const socket = new AgentSocket({
  agentId,
  onFrame: (frame) => {
    dispatch(frame);
    history.onFrame(frame, state);
  },
  onConnection: (name, info) => dispatch({ type: "socket/connection", state: name, reason: info?.reason }),
});

// A handle for debugging in the console and for the browser tests (drop the socket, read the state).
window.atelierWorkspace = {
  socket,
  get state() {
    return state;
  },
};

function dispatch(event) {
  const result = update(state, event, new Date().toISOString());
  state = result.state;
  for (const frame of result.commands) {
    if (frame.type.startsWith("http/")) request(frame);
    else if (!socket.send(frame)) dispatch({ type: "socket/send_failed", frame });
  }
  views.render(state);
}

// What the state asks for over HTTP (workspace/state.js, "http/…" commands); the answer is an event too.
async function request(command) {
  if (command.type === "http/file") {
    try {
      const data = await api(command.url);
      dispatch({ type: "http/file_loaded", path: command.path, url: command.url, contents: data.fileContents, sha256: data.sha256 });
    } catch (error) {
      dispatch({ type: "http/file_failed", path: command.path, url: command.url, reason: describeError(error) });
    }
  } else if (command.type === "http/messages") {
    try {
      const data = await api(`/api/agent/${agentId}/messages?before=${encodeURIComponent(command.before)}`);
      dispatch({ type: "http/messages_loaded", ...data });
    } catch (error) {
      dispatch({ type: "http/messages_failed", reason: describeError(error) });
    }
  }
}

// ------------------------------------------------------------------------------------------ chat

const chatImages = new ImageAttachments({
  input: $("#chat-images"),
  list: $("#chat-attachments"),
  errorBox: el.chatError,
  dropZone: el.chatForm,
  pasteTarget: el.chatInput,
  limits: jsonScript("image-limits"),
});

async function sendChat() {
  const text = el.chatInput.value.trim();
  if (!text) {
    dispatch({ type: "ui/chat_refused", reason: "Write what you would like to change." });
    el.chatInput.focus();
    return;
  }
  if (!socket.isOpen) {
    dispatch({ type: "ui/chat_refused", reason: "Not connected right now. Wait for “Live” and send again." });
    return;
  }
  dispatch({ type: "ui/chat_sending" });
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
    dispatch({ type: "ui/chat_sent", text, imageIds });
    el.chatInput.value = "";
    chatImages.clear();
    el.chatLog.scrollTop = el.chatLog.scrollHeight;
  } catch (error) {
    dispatch({ type: "ui/chat_refused", reason: describeError(error) });
  }
}

el.chatForm.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!state.sending) sendChat();
});
el.chatInput.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    el.chatForm.requestSubmit();
  }
});

// ------------------------------------------------------------------------------------------ controls

$("#ws-error-dismiss").addEventListener("click", () => dispatch({ type: "ui/dismiss_error" }));
el.stop.addEventListener("click", () => dispatch({ type: "ui/stop" }));
el.resume.addEventListener("click", () => dispatch({ type: "ui/resume" }));
el.deploy.addEventListener("click", () => dispatch({ type: "ui/deploy" }));
el.reload.addEventListener("click", () => views.reloadPreview());
el.follow.addEventListener("click", () => dispatch({ type: "ui/toggle_follow" }));
el.open.addEventListener("click", (event) => {
  if (el.open.getAttribute("aria-disabled") === "true") event.preventDefault();
});

el.tabs.forEach((tab) => {
  tab.addEventListener("click", () => dispatch({ type: "ui/select_tab", tab: tab.dataset.tab }));
  tab.addEventListener("keydown", (event) => {
    const visible = el.tabs.filter((t) => t.offsetParent !== null);
    const index = visible.indexOf(tab);
    const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -index, End: visible.length - 1 - index };
    if (!(event.key in moves) || index < 0) return;
    event.preventDefault();
    const next = visible[(index + moves[event.key] + visible.length) % visible.length];
    dispatch({ type: "ui/select_tab", tab: next.dataset.tab });
    next.focus();
  });
});

narrow.addEventListener("change", (event) => dispatch({ type: "ui/layout", narrow: event.matches }));

views.render(state);
socket.connect();

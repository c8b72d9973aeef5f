// The workspace's views: each draws one part of the page from the state (state.js) and nothing else.
// `createViews(el, on)` returns `render(state)`; every view redraws only when the parts of the state it reads
// have changed (the state is never mutated, so comparing references is enough), and the code view appends a
// streaming file's new text instead of redrawing it.

import { formatTime, h } from "../dom.js";
import { highlight } from "../highlight.js";
import { renderMarkdown } from "../markdown.js";
import {
  PHASE_LABELS, checkStep, controls, isActive, isTabPanel, modelChip, phaseCounts, previewView, shownTab, statusLabel,
  visibleText,
} from "./state.js";

const ACTION_NAMES = {
  blueprint: "planning the app",
  phase_generation: "planning the next phase",
  phase_implementation: "writing code",
  code_review: "reviewing the code",
  file_regeneration: "rewriting a file",
  conversation: "answering",
};

// Calls `draw(state)` when any of `pick(state)`'s values changed since the last call.
function memo(pick, draw) {
  let last = null;
  return (state) => {
    const now = pick(state);
    if (last && now.length === last.length && now.every((value, i) => value === last[i])) return;
    last = now;
    draw(state);
  };
}

function nearBottom(element) {
  return element.scrollHeight - element.scrollTop - element.clientHeight < 60;
}

export function createViews(el, on) {
  const shownFiles = new Set(); // files already drawn in the tree: only newcomers get the entrance animation
  const code = { path: null, epoch: null, length: 0, streaming: false, node: null, lines: 0 };
  let iframeUrl = null;

  function header(state) {
    const title = state.title || (state.status === "planning" ? "Planning your app…" : "Untitled app");
    el.title.textContent = title;
    document.title = `${title} · Atelier`;
    el.status.textContent = statusLabel(state);
    const problems = state.status === "complete" && state.problems.length ? " status-problems" : "";
    el.status.className = `status-pill status-${state.status}${problems}`;
    const chip = modelChip(state);
    el.model.hidden = !chip;
    if (chip) {
      el.modelName.textContent = chip.name;
      el.model.title = chip.title;
      el.offlineBadge.hidden = !chip.offline;
    }
  }

  function problems(state) {
    const list = state.status === "complete" ? state.problems : [];
    el.problems.hidden = list.length === 0;
    el.problemsTitle.textContent = `Complete with ${list.length} problem${list.length === 1 ? "" : "s"}`;
    el.problemsList.replaceChildren(...list.map((problem) =>
      h("li", {}, problem.file ? h("code", {}, problem.file) : null, problem.file ? ": " : null, problem.message || problem.code)));
  }

  function thinking(state) {
    const thought = state.thinking;
    el.thinking.hidden = !thought;
    if (!thought) return;
    const what = ACTION_NAMES[thought.action] || "answering";
    el.thinking.classList.toggle("active", thought.active);
    el.thinkingSummary.textContent = thought.active ? `Thinking before ${what}…` : `What the model thought before ${what}`;
    const stick = nearBottom(el.thinkingText);
    el.thinkingText.textContent = thought.text;
    if (stick) el.thinkingText.scrollTop = el.thinkingText.scrollHeight;
  }

  function warnings(state) {
    const list = state.warnings;
    el.warnings.hidden = list.length === 0;
    el.warningsSummary.textContent = `${list.length} note${list.length === 1 ? "" : "s"} from the run`;
    el.warningsList.replaceChildren(...list.map((warning) =>
      h("li", {}, warning.filePath ? h("code", {}, warning.filePath) : null, warning.filePath ? ": " : null, warning.message)));
  }

  function activity(state) {
    el.activity.textContent = state.activity;
    el.spinner.hidden = !isActive(state);
  }

  function banner(state) {
    el.errorText.textContent = state.banner || "";
    el.errorSettings.hidden = !(state.banner && state.bannerSettings);
    el.errorBanner.hidden = !state.banner;
  }

  function connection(state) {
    const { state: name, reason } = state.connection;
    const labels = { connecting: "Connecting…", open: "Live", reconnecting: "Reconnecting…" };
    el.connection.dataset.state = name;
    el.connection.textContent = name === "closed" ? reason : labels[name] || name;
  }

  function buttons(state) {
    const can = controls(state);
    el.stop.disabled = !can.stop;
    el.resume.disabled = !can.resume;
    el.chatSend.disabled = !can.send;
    el.deploy.disabled = !can.deploy;
    el.deploy.textContent = can.deployLabel;
  }

  // The browser self-check as a step of the plan: what it found, a note when skipped, the screenshot.
  function checkItem(step) {
    if (!step) return null;
    const marker = { passed: "✓", problems: "!", skipped: "–" }[step.status] || "";
    return h("li", { class: `check-step check-${step.status}`, dataset: { check: step.key } },
      h("span", { class: "phase-marker", "aria-hidden": "true" }, marker),
      h("div", { class: "phase-body" },
        h("div", { class: "phase-name" }, step.name),
        h("div", { class: "phase-meta" }, h("span", { class: "phase-status" }, step.label)),
        step.note ? h("p", { class: "phase-desc check-note" }, step.note) : null,
        step.problems.length ? h("ul", { class: "check-findings" }, ...step.problems.map((problem) =>
          h("li", {}, problem.file ? h("code", {}, problem.line ? `${problem.file}:${problem.line}` : problem.file) : null,
            problem.file ? " " : null, problem.message || problem.code))) : null,
        step.screenshotUrl ? h("a", { class: "check-shot", href: step.screenshotUrl, target: "_blank", rel: "noopener" },
          h("img", { src: step.screenshotUrl, alt: `Screenshot of the app taken by the ${step.name.toLowerCase()}`, loading: "lazy" }))
          : null));
  }

  function phases(state) {
    const list = [...state.phases.values()].sort((a, b) => a.index - b.index);
    const items = list.flatMap((phase) => [phaseItem(state, phase), checkItem(checkStep(state, phase.index))]);
    items.push(checkItem(checkStep(state, "final")));
    if (state.planningNext) {
      items.push(h("li", { class: "phase phase-planning", "aria-current": "step" },
        h("span", { class: "phase-marker", "aria-hidden": "true" }),
        h("div", { class: "phase-body" }, h("div", { class: "phase-name" }, "Planning the next phase…"))));
    }
    const shown = items.filter(Boolean);
    if (!shown.length) {
      shown.push(h("li", { class: "muted empty" }, state.blueprint ? "No phases yet." : "Waiting for the plan…"));
    }
    el.phases.replaceChildren(...shown);
    el.phases.querySelector('[aria-current="step"]')?.scrollIntoView({ block: "nearest" });
    const doneCount = list.filter((p) => p.status === "done").length;
    el.planProgress.textContent = list.length ? `${doneCount} of ${list.length} done` : "";
  }

  function phaseItem(state, phase) {
    const [done, total] = phaseCounts(state, phase);
    let status = phase.status || "planned";
    if (status === "implementing" && !isActive(state)) status = "paused";
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

  function fileItem(state, path) {
    const file = state.files.get(path);
    const writing = file.generating && isActive(state);
    const stateClass = writing ? "writing" : file.generating ? "interrupted" : file.complete ? "done" : "pending";
    const stateLabel = { writing: "being written", interrupted: "interrupted", done: "written", pending: "waiting" }[stateClass];
    const isNew = !shownFiles.has(path);
    shownFiles.add(path);
    return h("li", { class: "tree-file" },
      h("button", {
        type: "button",
        class: `file file-${stateClass}${isNew ? " file-new" : ""}`,
        dataset: { path },
        "aria-current": state.selected === path ? "true" : null,
        title: file.purpose ? `${path} — ${file.purpose}` : path,
        onclick: () => on.selectFile(path),
      },
      h("span", { class: "file-icon", "aria-hidden": "true" }),
      h("span", { class: "file-name" }, path.split("/").pop()),
      h("span", { class: "visually-hidden" }, ` (${stateLabel})`)));
  }

  function treeNodes(state, node) {
    const dirs = [...node.dirs.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, child]) =>
      h("li", { class: "tree-dir" },
        h("span", { class: "dir-name" }, `${name}/`),
        h("ul", {}, ...treeNodes(state, child))));
    return [...dirs, ...node.files.sort().map((path) => fileItem(state, path))];
  }

  function tree(state) {
    const paths = [...state.files.keys()];
    const focused = document.activeElement?.closest?.("#file-tree [data-path]")?.dataset.path;
    el.fileCount.textContent = paths.length ? `${[...state.files.values()].filter((f) => f.complete).length}/${paths.length}` : "";
    if (!paths.length) {
      el.tree.replaceChildren(h("li", { class: "muted empty" }, "No files yet."));
      return;
    }
    el.tree.replaceChildren(...treeNodes(state, buildTree(paths)));
    // Redrawing must not take the keyboard focus away from the file the user is on.
    if (focused) el.tree.querySelector(`[data-path="${CSS.escape(focused)}"]`)?.focus();
  }

  function growGutter(lines) {
    if (lines <= code.lines) return;
    const numbers = [];
    for (let n = code.lines + 1; n <= lines; n += 1) numbers.push(n);
    el.gutter.append(document.createTextNode((code.lines ? "\n" : "") + numbers.join("\n")));
    code.lines = lines;
  }

  function codeView(state) {
    const path = state.selected;
    const file = path ? state.files.get(path) : null;
    if (!file) {
      Object.assign(code, { path: null, epoch: null, length: 0, streaming: false, node: null, lines: 0 });
      el.gutter.replaceChildren();
      el.codeEmpty.hidden = false;
      el.codeBody.hidden = true;
      el.codePath.textContent = "No file selected";
      el.codeState.textContent = "";
      el.codeText.replaceChildren();
      return;
    }
    const writing = file.generating && isActive(state);
    el.codeEmpty.hidden = true;
    el.codeBody.hidden = false;
    el.codePath.textContent = file.path;
    el.codeState.textContent = writing ? "Writing…" : file.generating ? "Interrupted"
      : file.loadError ? `Could not load: ${file.loadError}` : file.contentsUrl ? "Loading…" : file.purpose;
    el.codeState.classList.toggle("writing", writing);
    el.codeBody.classList.toggle("is-writing", writing);
    const text = visibleText(state, path);
    if (file.generating) {
      const epoch = state.drafts.get(path)?.epoch ?? null;
      if (code.streaming && code.path === path && code.epoch === epoch && text.length >= code.length) {
        // The same stream grew: append only what is new.
        const added = text.slice(code.length);
        if (added) {
          code.node.appendData(added);
          growGutter(code.lines + (added.match(/\n/g) || []).length);
        }
      } else {
        el.gutter.replaceChildren();
        code.lines = 0;
        code.node = document.createTextNode(text);
        el.codeText.replaceChildren(code.node);
        growGutter(text.split("\n").length);
      }
      Object.assign(code, { path, epoch, length: text.length, streaming: true });
      if (state.follow) el.codeBody.scrollTop = el.codeBody.scrollHeight;
      return;
    }
    if (!code.streaming && code.path === path && code.length === text.length && code.text === text &&
        code.pending === Boolean(file.contentsUrl)) return;
    el.gutter.replaceChildren();
    code.lines = 0;
    el.codeText.replaceChildren(highlight(text, path));
    growGutter(text.split("\n").length);
    el.codeBody.scrollTop = 0;
    Object.assign(code, {
      path, epoch: null, length: text.length, text, streaming: false, node: null, pending: Boolean(file.contentsUrl),
    });
  }

  function chatMessage(message) {
    return h("li", {
      class: `msg msg-${message.role}${message.streaming ? " streaming" : ""}${message.failed ? " failed" : ""}`,
      dataset: { key: message.key },
      // A reply being streamed is announced once, when it is whole.
      "aria-busy": message.streaming ? "true" : null,
    },
    h("div", { class: "msg-who" },
      message.role === "user" ? "You" : "Atelier",
      message.createdAt ? h("time", { datetime: message.createdAt }, formatTime(message.createdAt)) : null),
    // The assistant answers in Markdown (real models always do); what the user typed is shown as typed.
    message.role === "assistant"
      ? h("div", { class: "msg-text md" }, renderMarkdown(message.text))
      : h("div", { class: "msg-text" }, message.text),
    message.imageIds?.length ? chatImages(message.imageIds) : null,
    message.failed ? h("div", { class: "msg-failed" }, "Not sent") : null);
  }

  // Thumbnails of the images sent with a message; each opens full size in a new tab.
  function chatImages(ids) {
    const count = `${ids.length} image${ids.length > 1 ? "s" : ""} attached`;
    return h("div", { class: "msg-images" },
      h("div", { class: "msg-thumbs" }, ...ids.map((id, i) => {
        const url = `/api/agent/${encodeURIComponent(on.agentId)}/images/${encodeURIComponent(id)}`;
        return h("a", { href: url, target: "_blank", rel: "noopener", title: `Open image ${i + 1}` },
          h("img", { src: url, alt: `Attached image ${i + 1}`, loading: "lazy", class: "msg-thumb" }));
      })),
      h("span", { class: "msg-images-count" }, count));
  }

  const chatNodes = new Map(); // message object -> its <li>: unchanged messages keep their node
  function chat(state) {
    const stick = nearBottom(el.chatLog);
    if (!state.conversation.length) {
      chatNodes.clear();
      el.chatLog.replaceChildren(h("li", { class: "muted empty" }, "Ask for changes here once the app is written."));
      return;
    }
    const nodes = state.conversation.map((message) => chatNodes.get(message) || chatMessage(message));
    chatNodes.clear();
    state.conversation.forEach((message, i) => chatNodes.set(message, nodes[i]));
    if (state.olderMessages !== null) nodes.unshift(olderButton(state.loadingOlder));
    const current = [...el.chatLog.children];
    if (current.length !== nodes.length || current.some((node, i) => node !== nodes[i])) el.chatLog.replaceChildren(...nodes);
    if (stick) el.chatLog.scrollTop = el.chatLog.scrollHeight;
  }

  // The snapshot carries only the newest messages: older ones are a click away (GET …/messages?before=).
  let olderNode = null;
  function olderButton(loading) {
    if (!olderNode || olderNode.loading !== loading) {
      const button = h("button", { type: "button", class: "link", disabled: loading ? "" : null },
        loading ? "Loading earlier messages…" : "Show earlier messages");
      button.addEventListener("click", () => on.loadOlderMessages());
      olderNode = h("li", { class: "chat-older", dataset: { older: "true" } }, button);
      olderNode.loading = loading;
    }
    return olderNode;
  }

  function chatError(state) {
    el.chatError.replaceChildren(...(state.chatError ? [h("p", {}, state.chatError)] : []));
  }

  function preview(state) {
    const view = previewView(state);
    el.previewStatus.textContent = view.status;
    el.previewStatus.dataset.state = view.state;
    el.previewUrl.textContent = view.url || "";
    el.reload.disabled = !view.url;
    if (view.url) {
      el.open.href = view.url;
      el.open.removeAttribute("aria-disabled");
    } else {
      el.open.removeAttribute("href");
      el.open.setAttribute("aria-disabled", "true");
    }
    el.frame.hidden = !view.url;
    el.previewEmpty.hidden = Boolean(view.url);
    // Load the app only when someone looks at it; a newer deployment replaces an older one in view (at the
    // same stable URL, so it is loaded again by deployment, not by URL).
    const shown = view.url ? `${view.url}#${view.deploymentId || ""}` : null;
    if (view.url && (shownTab(state) === "preview" || iframeUrl) && iframeUrl !== shown) {
      iframeUrl = shown;
      el.frame.src = view.url; // setting it, even to the same value, loads it again
    }
  }

  function tabs(state) {
    const shown = shownTab(state);
    for (const tab of el.tabs) {
      const selected = tab.dataset.tab === shown;
      tab.setAttribute("aria-selected", String(selected));
      tab.tabIndex = selected ? 0 : -1;
    }
    for (const [name, panel] of Object.entries(el.panels)) {
      const isTab = isTabPanel(state, name);
      // On a wide screen Plan and Chat are plain sections beside the tabs, always shown.
      panel.hidden = isTab && name !== shown;
      if (isTab) {
        panel.setAttribute("role", "tabpanel");
        panel.setAttribute("aria-labelledby", `tab-${name}`);
      } else {
        panel.removeAttribute("role");
        panel.setAttribute("aria-labelledby", `${name}-heading`);
      }
    }
    el.previewDot.hidden = !state.unseen.has("preview");
    el.chatDot.hidden = !state.unseen.has("chat");
  }

  const views = [
    memo((s) => [s.title, s.status, s.model, s.builtWith, s.problems], header),
    memo((s) => [s.status, s.problems], problems),
    memo((s) => [s.thinking], thinking),
    memo((s) => [s.warnings], warnings),
    memo((s) => [s.activity, s.status], activity),
    memo((s) => [s.banner], banner),
    memo((s) => [s.connection], connection),
    memo((s) => [s.status, s.connection, s.files, s.preview, s.deployRequested, s.stopRequested, s.resumeRequested,
      s.sending, s.loaded, s.generateSent], buttons),
    memo((s) => [s.phases, s.files, s.status, s.planningNext, s.blueprint, s.selfChecks], phases),
    memo((s) => [s.files, s.selected, s.status], tree),
    memo((s) => [s.selected, s.files.get(s.selected), s.drafts.get(s.selected), s.status, s.follow], codeView),
    memo((s) => [s.conversation, s.olderMessages, s.loadingOlder], chat),
    memo((s) => [s.chatError], chatError),
    memo((s) => [s.tab, s.narrow, s.unseen], tabs),
    memo((s) => [s.preview, s.deployRequested, s.tab, s.narrow], preview),
    memo((s) => [s.follow], (s) => el.follow.setAttribute("aria-pressed", String(s.follow))),
  ];

  return {
    render(state) {
      for (const view of views) view(state);
    },
    reloadPreview() {
      if (iframeUrl) el.frame.src = iframeUrl.slice(0, iframeUrl.lastIndexOf("#"));
    },
  };
}

// The History panel: the app's versions newest first (one per phase, review, restore and hand edit), what
// each changed, its diff, Restore (confirmed in place) and "Undo last change". Versions come from
// GET /api/agent/<id>/versions and then live from `version_created` frames; the files and the preview follow
// by themselves (a restore sends `file_generated`/`file_deleted` and redeploys).
// It keeps its own small state and draws only inside its panel; the workspace hands it every frame.

import { api, describeError } from "./api.js";
import { formatTime, h } from "./dom.js";

const ACTIVE = new Set(["planning", "generating"]);
const PAGE_SIZE = 50;
const MAX_DIFF_LINES = 3000; // per file: a huge diff is cut, with the count of lines left out
const KIND_LABELS = { phase: "Phase", review: "Review", restore: "Restore", edit: "Edit" };
const CHANGE_MARKS = { added: "A", modified: "M", deleted: "D" };

export function createHistory({ root, agentId }) {
  const base = `/api/agent/${agentId}`;
  const s = {
    versions: [], // newest first
    next: null,
    loaded: false,
    loading: false,
    selected: null, // sha whose diff is shown
    diffs: new Map(), // sha -> files | "loading" | {error}
    confirming: null, // sha awaiting "Restore?" confirmation
    busy: false,
    error: null,
    generating: false,
  };

  const list = h("ol", { class: "history-list", id: "history-list", "aria-label": "Versions, newest first" });
  const diffView = h("section", { class: "history-diff", id: "history-diff", "aria-label": "Changes", tabindex: "-1" });
  const count = h("span", { class: "muted", id: "history-count" });
  const undo = h("button", { type: "button", class: "small", id: "btn-undo", disabled: true }, "↶ Undo last change");
  const errorLine = h("p", { class: "error history-error", id: "history-error", role: "alert" });
  const cloneHint = h("details", { class: "history-clone" },
    h("summary", {}, "Clone with git"),
    h("p", { class: "help" }, "Your API token is the password (POST /api/auth/token gives it)."),
    h("code", { class: "history-clone-command" },
      `git clone ${window.location.protocol}//USERNAME:TOKEN@${window.location.host}${base}/git`),
    h("p", {}, h("a", { href: `${base}/export?format=git`, download: true }, "Download .zip with the git history")));
  root.replaceChildren(
    h("div", { class: "history-bar" }, h("span", { class: "panel-title" }, "History ", count), undo),
    errorLine,
    h("div", { class: "history-body" }, h("div", { class: "history-side" }, list, cloneHint), diffView),
  );
  undo.addEventListener("click", () => {
    if (s.versions.length > 1) restore(s.versions[1].id);
  });

  function change(patch) {
    Object.assign(s, patch);
    render();
  }

  async function load({ more = false } = {}) {
    if (s.loading) return;
    s.loading = true;
    try {
      const data = await api(more && s.next ? s.next : `${base}/versions?pageSize=${PAGE_SIZE}`);
      const known = more ? s.versions : [];
      change({ versions: merge(known, data.results || []), next: data.next, loaded: true, error: null });
    } catch (error) {
      change({ error: `Could not load the history: ${describeError(error)}` });
    } finally {
      s.loading = false;
    }
  }

  function merge(versions, incoming) {
    const byId = new Map(versions.map((v) => [v.id, v]));
    for (const version of incoming) byId.set(version.id, version);
    return [...byId.values()].sort((a, b) => b.number - a.number);
  }

  async function showDiff(sha) {
    if (s.selected === sha) {
      change({ selected: null });
      return;
    }
    change({ selected: sha });
    if (s.diffs.has(sha) && !s.diffs.get(sha)?.error) return;
    s.diffs.set(sha, "loading");
    render();
    try {
      const data = await api(`${base}/versions/${sha}/diff`);
      s.diffs.set(sha, data.files || []);
    } catch (error) {
      s.diffs.set(sha, { error: describeError(error) });
    }
    render();
  }

  async function restore(sha) {
    if (s.busy || s.generating) return;
    change({ busy: true, confirming: null, error: null });
    try {
      const data = await api(`${base}/versions/${sha}/restore`, { method: "POST" });
      change({ versions: merge(s.versions, [data.version]) });
    } catch (error) {
      change({ error: describeError(error) });
    } finally {
      change({ busy: false });
    }
  }

  function versionItem(version, index) {
    const current = index === 0;
    const open = s.selected === version.id;
    const files = version.files || [];
    const actions = [
      h("button", { type: "button", class: "ghost small", "aria-expanded": String(open), "aria-controls": "history-diff",
        onclick: () => showDiff(version.id) }, open ? "Hide changes" : "View changes"),
    ];
    if (!current) {
      actions.push(h("button", { type: "button", class: "small", disabled: s.busy || s.generating,
        title: s.generating ? "Wait until generation finishes" : undefined,
        onclick: () => change({ confirming: version.id }) }, "Restore"));
    }
    const item = h("li", { class: `history-item${current ? " current" : ""}${open ? " open" : ""}`,
      dataset: { sha: version.id, number: String(version.number) } },
      h("div", { class: "history-line" },
        h("span", { class: "history-number" }, `v${version.number}`),
        h("span", { class: "history-message" }, version.message),
        current ? h("span", { class: "badge history-current" }, "Current") : null),
      h("div", { class: "history-meta muted" },
        h("span", { class: `history-kind kind-${version.kind}` }, KIND_LABELS[version.kind] || version.kind),
        h("time", { datetime: version.created }, formatTime(version.created)),
        h("span", {}, `${version.filesChanged} file${version.filesChanged === 1 ? "" : "s"}`),
        h("span", { class: "add" }, `+${version.additions}`),
        h("span", { class: "del" }, `−${version.deletions}`)),
      files.length ? h("ul", { class: "history-files" }, files.slice(0, 8).map((f) => h("li", {},
        h("span", { class: `mark mark-${f.change}`, title: f.change }, CHANGE_MARKS[f.change] || "?"), " ", f.path))) : null,
      files.length > 8 ? h("p", { class: "muted small-print" }, `and ${files.length - 8} more`) : null,
      h("div", { class: "history-actions" }, actions),
    );
    if (s.confirming === version.id) {
      item.append(h("div", { class: "history-confirm", role: "group", "aria-label": `Restore version ${version.number}` },
        h("p", {}, `Restore version ${version.number}? The files go back to how they were then, as a new version, `
          + "so nothing is lost. The preview is redeployed."),
        h("button", { type: "button", class: "primary small", disabled: s.busy || s.generating,
          onclick: () => restore(version.id) }, `Restore version ${version.number}`),
        h("button", { type: "button", class: "ghost small", onclick: () => change({ confirming: null }) }, "Cancel")));
    }
    return item;
  }

  function diffLines(text) {
    const lines = text.split("\n");
    if (lines[lines.length - 1] === "") lines.pop();
    const shown = lines.slice(0, MAX_DIFF_LINES).map((line) => {
      const kind = line.startsWith("@@") ? "hunk" : line.startsWith("+++") || line.startsWith("---") ? "meta"
        : line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "ctx";
      return h("span", { class: `diff-line diff-${kind}` }, `${line}\n`);
    });
    if (lines.length > MAX_DIFF_LINES) shown.push(h("span", { class: "diff-line diff-meta" }, `… ${lines.length - MAX_DIFF_LINES} more lines\n`));
    return h("pre", { class: "diff" }, h("code", {}, shown));
  }

  function drawDiff() {
    const version = s.versions.find((v) => v.id === s.selected);
    if (!version) {
      diffView.replaceChildren(h("p", { class: "muted history-diff-empty" }, "Pick “View changes” on a version to see its diff."));
      return;
    }
    const diff = s.diffs.get(version.id);
    const title = h("h3", { class: "history-diff-title" }, `v${version.number} · ${version.message}`);
    if (diff === "loading" || diff === undefined) {
      diffView.replaceChildren(title, h("p", { class: "muted" }, "Loading the changes…"));
    } else if (diff.error) {
      diffView.replaceChildren(title, h("p", { class: "error" }, diff.error));
    } else if (!diff.length) {
      diffView.replaceChildren(title, h("p", { class: "muted" }, "No file changed in this version."));
    } else {
      diffView.replaceChildren(title, ...diff.map((file) => h("article", { class: "diff-file", dataset: { path: file.path } },
        h("header", {}, h("span", { class: `mark mark-${file.change}` }, CHANGE_MARKS[file.change] || "?"), " ",
          h("span", { class: "diff-path" }, file.path), " ",
          h("span", { class: "add" }, `+${file.additions}`), " ", h("span", { class: "del" }, `−${file.deletions}`)),
        diffLines(file.diff))));
    }
  }

  function render() {
    const focusedKey = document.activeElement && root.contains(document.activeElement)
      ? focusKey(document.activeElement) : null;
    count.textContent = s.versions.length ? `(${s.versions.length}${s.next ? "+" : ""})` : "";
    undo.disabled = s.busy || s.generating || s.versions.length < 2;
    undo.title = s.versions.length >= 2 ? `Restore version ${s.versions[1].number}: ${s.versions[1].message}` : "";
    errorLine.textContent = s.error || "";
    errorLine.hidden = !s.error;
    const items = s.versions.map(versionItem);
    if (!items.length) {
      items.push(h("li", { class: "muted empty" }, s.loaded
        ? "No versions yet: each finished phase becomes one." : "Loading the history…"));
    }
    if (s.next) items.push(h("li", { class: "history-more" },
      h("button", { type: "button", class: "ghost small", onclick: () => load({ more: true }) }, "Show older versions")));
    list.replaceChildren(...items);
    drawDiff();
    if (focusedKey) refocus(focusedKey);
  }

  // Redrawing replaces the buttons: put the focus back on the same one, so keyboard users keep their place.
  function focusKey(element) {
    const item = element.closest("[data-sha]");
    return { sha: item?.dataset.sha, text: element.textContent, id: element.id };
  }

  function refocus({ sha, text, id }) {
    const scope = sha ? list.querySelector(`[data-sha="${sha}"]`) : null;
    const target = id ? root.querySelector(`#${id}`)
      : [...(scope?.querySelectorAll("button") || [])].find((b) => b.textContent === text)
        || scope?.querySelector("button");
    target?.focus();
  }

  render();
  load();

  return {
    // Every socket frame, with the workspace state after it.
    onFrame(frame, workspaceState) {
      const generating = ACTIVE.has(workspaceState?.status);
      if (frame.type === "version_created" && frame.version) {
        change({ versions: merge(s.versions, [frame.version]), generating });
      } else if (frame.type === "agent_connected") {
        s.generating = generating;
        load(); // after a reconnect: versions made while away
      } else if (generating !== s.generating) {
        change({ generating });
      }
    },
  };
}

// Home: describe an app (plus up to 2 images), watch the blueprint stream in, then open the workspace.

import { ApiError, csrfHeaders, describeError, errorFrom } from "./api.js";
import { $, h, jsonScript } from "./dom.js";
import { ImageAttachments } from "./images.js";
import { ndjsonLines, parsePartialJson } from "./stream.js";

const form = $("#prompt-form");
const prompt = $("#prompt");
const submit = $("#prompt-submit");
const errorBox = $("#prompt-error");
const card = $("#blueprint");
const statusLine = $("#blueprint-status");

const attachments = new ImageAttachments({
  input: $("#prompt-images"),
  list: $("#prompt-attachments"),
  errorBox,
  dropZone: form,
  pasteTarget: prompt,
  limits: jsonScript("image-limits"),
});

for (const chip of document.querySelectorAll(".chip[data-prompt]")) {
  chip.addEventListener("click", () => {
    prompt.value = chip.dataset.prompt;
    prompt.focus();
  });
}

prompt.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  }
});

// Coming back with the Back button restores this page from the cache as it was left: ready it again.
window.addEventListener("pageshow", (event) => {
  if (event.persisted) {
    setBusy(false);
    card.hidden = true;
  }
});

form.addEventListener("submit", (event) => {
  event.preventDefault();
  start();
});

function setBusy(busy) {
  submit.disabled = busy;
  prompt.readOnly = busy;
  form.setAttribute("aria-busy", String(busy));
  submit.firstChild.textContent = busy ? "Planning… " : "Build it ";
}

function showError(message) {
  errorBox.replaceChildren(h("p", {}, message));
}

const SAFE_COLOR = /^#[0-9a-f]{3,8}$/i;

function renderBlueprint(blueprint) {
  if (!blueprint || typeof blueprint !== "object") return;
  $("#blueprint-title").textContent = blueprint.title || "…";
  $("#blueprint-description").textContent = blueprint.description || "";
  const colors = Array.isArray(blueprint.colorPalette) ? blueprint.colorPalette : [];
  $("#blueprint-palette").replaceChildren(
    ...colors.filter((c) => typeof c === "string" && SAFE_COLOR.test(c))
      .map((c) => {
        // Through the CSSOM: a style attribute is inline style, which the CSP refuses.
        const swatch = h("span", { class: "swatch", title: c });
        swatch.style.background = c;
        return swatch;
      }),
  );
  const roadmap = (Array.isArray(blueprint.implementationRoadmap) ? blueprint.implementationRoadmap : [])
    .filter((p) => p && typeof p === "object" && p.phase);
  $("#blueprint-phases-heading").hidden = roadmap.length === 0;
  $("#blueprint-phases").replaceChildren(
    ...roadmap.map((p) =>
      h("li", {}, h("strong", {}, p.phase), p.description ? h("span", { class: "muted" }, ` — ${p.description}`) : null),
    ),
  );
  const files = Array.isArray(blueprint.initialPhase?.files) ? blueprint.initialPhase.files : [];
  const shown = files.filter((f) => f && typeof f.path === "string" && f.path);
  $("#blueprint-files-heading").hidden = shown.length === 0;
  $("#blueprint-files").replaceChildren(
    ...shown.map((f) => h("li", {}, h("code", {}, f.path), f.purpose ? h("span", { class: "muted" }, ` ${f.purpose}`) : null)),
  );
}

function request(query) {
  const files = attachments.files;
  const init = { method: "POST", credentials: "same-origin", headers: csrfHeaders({ Accept: "application/x-ndjson, application/json" }) };
  if (files.length) {
    const body = new FormData();
    body.append("query", query);
    for (const file of files) body.append("images", file, file.name);
    init.body = body;
  } else {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify({ query });
  }
  return fetch("/api/agent/codegen", init);
}

async function start() {
  const query = prompt.value.trim();
  errorBox.replaceChildren();
  if (!query) {
    showError("Describe the app you want first.");
    prompt.focus();
    return;
  }
  setBusy(true);
  let agentId = null;
  try {
    const response = await request(query);
    if (!response.ok) throw await errorFrom(response);
    card.hidden = false;
    card.classList.remove("failed");
    $("#blueprint-title").textContent = "…";
    statusLine.textContent = "Planning your app…";
    let text = "";
    let frame = 0;
    for await (const line of ndjsonLines(response)) {
      if (line.type === "start") {
        agentId = line.agentId;
        const model = line.model?.provider === "offline" ? "the offline model" : line.model?.name;
        statusLine.textContent = model ? `Planning your app with ${model}…` : "Planning your app…";
      } else if (line.type === "chunk") {
        text += line.chunk;
        if (!frame) {
          frame = requestAnimationFrame(() => {
            frame = 0;
            renderBlueprint(parsePartialJson(text));
          });
        }
      } else if (line.type === "blueprint") {
        cancelAnimationFrame(frame);
        renderBlueprint(line.blueprint);
        statusLine.textContent = "Blueprint ready. Opening the workspace…";
        card.classList.add("ready");
        window.location.assign(`/apps/${agentId}/`);
        return;
      } else if (line.type === "error") {
        throw new ApiError(200, line.error);
      }
    }
    if (agentId) {
      // The stream ended early; the agent and whatever was planned are kept, so carry on in the workspace.
      window.location.assign(`/apps/${agentId}/`);
      return;
    }
    throw new Error("The server closed the stream before planning started.");
  } catch (error) {
    showError(describeError(error));
    if (!card.hidden) {
      card.classList.add("failed");
      statusLine.textContent = "Planning failed.";
    }
    if (agentId) {
      errorBox.append(h("p", {}, h("a", { href: `/apps/${agentId}/` }, "Open the app anyway")));
    }
    setBusy(false);
  }
}

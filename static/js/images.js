// Image attachments for a prompt or a chat turn: picker, drag-and-drop and paste, thumbnails, and the
// same limits the API enforces (count, size, type) checked before anything is uploaded.

import { formatBytes, h } from "./dom.js";

const TYPE_NAMES = { "image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WebP" };

export class ImageAttachments {
  constructor({ input, list, errorBox, dropZone, pasteTarget, limits, onChange }) {
    this.input = input;
    this.list = list;
    this.errorBox = errorBox;
    this.limits = limits || { maxImages: 2, maxBytes: 10 * 1024 * 1024, types: Object.keys(TYPE_NAMES) };
    this.onChange = onChange || (() => {});
    this.items = [];

    input.addEventListener("change", () => {
      this.add([...input.files]);
      input.value = "";
    });
    if (dropZone) this.#bindDrop(dropZone);
    if (pasteTarget) {
      pasteTarget.addEventListener("paste", (event) => {
        const files = [...(event.clipboardData?.files || [])].filter((f) => f.type.startsWith("image/"));
        if (files.length) {
          event.preventDefault();
          this.add(files);
        }
      });
    }
  }

  get files() {
    return this.items.map((item) => item.file);
  }

  // Returns the problems found; accepted files are attached, refused ones are named in the error box.
  add(files) {
    const problems = [];
    for (const file of files) {
      const problem = this.#problemWith(file);
      if (problem) {
        problems.push(problem);
        continue;
      }
      if (this.items.length >= this.limits.maxImages) {
        problems.push(`At most ${this.limits.maxImages} images per request: ${file.name} was not attached.`);
        continue;
      }
      this.items.push({ file, url: URL.createObjectURL(file) });
    }
    this.#showProblems(problems);
    this.#render();
    return problems;
  }

  remove(index) {
    const [item] = this.items.splice(index, 1);
    if (item) URL.revokeObjectURL(item.url);
    this.#showProblems([]);
    this.#render();
  }

  clear() {
    for (const item of this.items) URL.revokeObjectURL(item.url);
    this.items = [];
    this.#showProblems([]);
    this.#render();
  }

  #problemWith(file) {
    if (!this.limits.types.includes(file.type)) {
      const allowed = this.limits.types.map((t) => TYPE_NAMES[t] || t).join(", ");
      return `${file.name}: only ${allowed} images can be attached.`;
    }
    if (file.size > this.limits.maxBytes) {
      return `${file.name}: larger than the ${formatBytes(this.limits.maxBytes)} limit (${formatBytes(file.size)}).`;
    }
    return null;
  }

  #showProblems(problems) {
    if (!this.errorBox) return;
    this.errorBox.replaceChildren(...problems.map((p) => h("p", {}, p)));
  }

  #render() {
    this.list.hidden = this.items.length === 0;
    this.list.replaceChildren(
      ...this.items.map((item, index) =>
        h("div", { class: "thumb", role: "listitem" },
          h("img", { src: item.url, alt: "" }),
          h("span", { class: "thumb-name", title: item.file.name }, item.file.name),
          h("span", { class: "thumb-size" }, formatBytes(item.file.size)),
          h("button", {
            type: "button",
            class: "thumb-remove",
            "aria-label": `Remove ${item.file.name}`,
            onclick: () => this.remove(index),
          }, "×"),
        ),
      ),
    );
    this.onChange(this.files);
  }

  #bindDrop(zone) {
    let depth = 0;
    const hasFiles = (event) => [...(event.dataTransfer?.types || [])].includes("Files");
    zone.addEventListener("dragenter", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth += 1;
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragover", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      event.dataTransfer.dropEffect = "copy";
    });
    zone.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) zone.classList.remove("dragging");
    });
    zone.addEventListener("drop", (event) => {
      if (!hasFiles(event)) return;
      event.preventDefault();
      depth = 0;
      zone.classList.remove("dragging");
      this.add([...event.dataTransfer.files]);
    });
  }
}

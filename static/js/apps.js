// My apps: delete an app after confirming in a dialog (DELETE /api/agent/<id>).

import { api, describeError } from "./api.js";
import { $ } from "./dom.js";

const dialog = $("#delete-dialog");
const message = $("#apps-message");

function confirmDelete(title) {
  $("#delete-name").textContent = title;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "confirm"), { once: true });
  });
}

function say(text, isError = false) {
  message.textContent = text;
  message.classList.toggle("banner-error", isError);
  message.hidden = false;
}

$("#apps-body")?.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-delete]");
  if (!button) return;
  const row = button.closest("tr");
  const title = row.dataset.title;
  if (!(await confirmDelete(title))) {
    button.focus();
    return;
  }
  button.disabled = true;
  try {
    await api(`/api/agent/${row.dataset.agentId}`, { method: "DELETE" });
    const next = row.nextElementSibling || row.previousElementSibling;
    row.remove();
    say(`Deleted “${title}”.`);
    if (next) next.querySelector("a")?.focus();
    if (!$("#apps-body tr")) {
      $(".table-card")?.remove();
      $("#apps-empty").hidden = false;
    }
  } catch (error) {
    button.disabled = false;
    say(`Could not delete “${title}”: ${describeError(error)}`, true);
  }
});

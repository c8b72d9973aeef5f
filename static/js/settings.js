// The settings page: every change goes through the JSON API, then the page reloads to show the result.

const root = document.getElementById("model-settings");

function csrfToken() {
  const match = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return match ? decodeURIComponent(match.slice("csrftoken=".length)) : "";
}

// Resolves to the envelope's data; rejects with an Error carrying the envelope's type and field.
async function api(method, url, body) {
  const options = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
  };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    throw Object.assign(new Error("The server could not be reached. Check your connection."), { type: "NETWORK" });
  }
  if (response.status === 204) return null;
  let payload = null;
  try {
    payload = await response.json();
  } catch (error) {
    payload = null;
  }
  if (response.ok && payload && payload.success) return payload.data;
  const detail = (payload && payload.error) || { type: "INTERNAL", message: `The server answered ${response.status}.` };
  const field = /^([A-Za-z]+): /.exec(detail.message || "");
  throw Object.assign(new Error(detail.message), { type: detail.type, field: field ? field[1] : null });
}

// API errors name the field as the API spells it ("baseUrl: must use https"); say it as the form does.
const FIELD_LABELS = {
  provider: "Provider", name: "Name", baseUrl: "Base URL", apiKey: "API key", model: "Model",
  fallbackModel: "Fallback model", temperature: "Temperature", maxTokens: "Max tokens",
  reasoningEffort: "Reasoning effort", credentialId: "Key", action: "Action",
};

function fieldLabel(form, field) {
  const input = form ? form.elements.namedItem(field) : null;
  const label = input && input.id ? form.querySelector(`label[for="${CSS.escape(input.id)}"]`) : null;
  if (label) {
    const copy = label.cloneNode(true);
    copy.querySelectorAll("small").forEach((hint) => hint.remove());
    const text = copy.textContent.trim();
    if (text) return text;
  }
  return FIELD_LABELS[field] || field;
}

function humanMessage(error, form) {
  if (!error.field || !error.message.startsWith(`${error.field}: `)) return error.message;
  return `${fieldLabel(form, error.field)}: ${error.message.slice(error.field.length + 2)}`;
}

function explain(error, form = null) {
  error = Object.assign(new Error(humanMessage(error, form)), { type: error.type, field: error.field });
  switch (error.type) {
    case "PROVIDER_ERROR": return `The provider failed: ${error.message}`;
    case "RATE_LIMITED": return error.message;
    case "UNAUTHORIZED": return "Your session has ended. Log in again.";
    case "NOT_FOUND": return "That no longer exists. Reload the page.";
    default: return error.message;
  }
}

function show(target, text, ok = false) {
  target.textContent = text;
  target.classList.toggle("ok", ok);
  target.classList.toggle("error", !ok && text !== "");
}

function markInvalid(form, error) {
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
  const input = error && error.field ? form.elements.namedItem(error.field) : null;
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

async function busy(button, work) {
  button.disabled = true;
  try {
    await work();
  } finally {
    button.disabled = false;
  }
}

function configFrom(form) {
  const value = (name) => form.elements.namedItem(name).value.trim();
  const config = {
    provider: value("provider"),
    model: value("model"),
    fallbackModel: value("fallbackModel"),
    reasoningEffort: value("reasoningEffort") || null,
    credentialId: value("credentialId") ? Number(value("credentialId")) : null,
  };
  if (value("temperature") !== "") config.temperature = Number(value("temperature"));
  if (value("maxTokens") !== "") config.maxTokens = Number(value("maxTokens"));
  return config;
}

function wireActionForm(form) {
  const action = form.dataset.action;
  const url = `/api/model-configs/${encodeURIComponent(action)}`;
  const result = form.querySelector(".mc-result");

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), async () => {
      show(result, "Saving…", true);
      try {
        await api("PUT", url, configFrom(form));
        window.location.reload();
      } catch (error) {
        markInvalid(form, error);
        show(result, explain(error, form));
      }
    });
  });

  form.querySelector("[data-role=test]").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => {
      markInvalid(form, null);
      show(result, "Testing… (a real model may take a few seconds)", true);
      try {
        const data = await api("POST", "/api/model-configs/test", { action, ...configFrom(form) });
        show(result, `Works: ${data.provider} · ${data.model} answered in ${data.latencyMs} ms: “${data.reply}”`, true);
      } catch (error) {
        markInvalid(form, error);
        show(result, explain(error, form));
      }
    });
  });

  form.querySelector("[data-role=reset]").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => {
      try {
        await api("DELETE", url);
        window.location.reload();
      } catch (error) {
        show(result, explain(error));
      }
    });
  });
}

function wireKeyRow(row) {
  const url = `/api/providers/${row.dataset.credential}`;
  const result = row.querySelector(".mc-result");

  row.querySelector("[data-role=verify]").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => {
      show(result, "Checking the key…", true);
      try {
        const data = await api("POST", `${url}/verify`);
        const shown = data.models.slice(0, 5).join(", ");
        const more = data.models.length > 5 ? ` and ${data.models.length - 5} more` : "";
        show(result, `The key works. Models: ${shown || "none listed"}${more}.`, true);
      } catch (error) {
        show(result, explain(error));
      }
    });
  });

  row.querySelector("[data-role=delete]").addEventListener("click", (event) => {
    if (!window.confirm("Delete this key? Actions using it switch to another key or the default.")) return;
    busy(event.currentTarget, async () => {
      try {
        await api("DELETE", url);
        window.location.reload();
      } catch (error) {
        show(result, explain(error));
      }
    });
  });
}

const KEY_NOTE = "atelier:new-key-note";

function wireAddKey(form) {
  const result = form.querySelector(".mc-result");
  const note = sessionStorage.getItem(KEY_NOTE);
  if (note) {
    sessionStorage.removeItem(KEY_NOTE);
    show(result, note, !note.includes("not working"));
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form.querySelector("button[type=submit]"), async () => {
      const value = (name) => form.elements.namedItem(name).value.trim();
      try {
        show(result, "Saving and checking the key…", true);
        const key = await api("POST", "/api/providers", {
          provider: value("provider"), name: value("name"), baseUrl: value("baseUrl"), apiKey: value("apiKey"),
        });
        form.reset();
        // Said again after the reload, beside the form: whether the new key works and what that changed.
        sessionStorage.setItem(KEY_NOTE, key.status === "not working"
          ? `Saved “${key.name}” as not working: ${key.lastError} Nothing was switched to it; fix it and press Verify.`
          : `Saved “${key.name}”: it works, and actions on Automatic use it now.`);
        window.location.reload();
      } catch (error) {
        markInvalid(form, error);
        show(result, explain(error, form));
      }
    });
  });
}

// A model server found on this machine (modelconfig/local_servers.py): added as a key without a key, checked.
function wireLocalServer(box) {
  const result = box.querySelector(".mc-result");
  box.querySelector("[data-role=use-local]").addEventListener("click", (event) => {
    busy(event.currentTarget, async () => {
      show(result, "Adding and checking it…", true);
      try {
        const key = await api("POST", "/api/providers", {
          provider: "openai", name: box.dataset.name, baseUrl: box.dataset.baseUrl, apiKey: "",
        });
        const model = box.dataset.model;
        if (key.status !== "not working" && model) {
          // The server's own model names, not a hosted provider's defaults it does not have.
          for (const form of root.querySelectorAll("form.mc-config")) {
            await api("PUT", `/api/model-configs/${form.dataset.action}`, { provider: "openai", model, credentialId: key.id });
          }
        }
        sessionStorage.setItem(KEY_NOTE, key.status === "not working"
          ? `Saved “${key.name}” as not working: ${key.lastError} Nothing was switched to it.`
          : `Saved “${key.name}”: it works${model ? `, and every action uses ${model} on it now` : ""}.`);
        window.location.reload();
      } catch (error) {
        show(result, explain(error));
      }
    });
  });
}

if (root) {
  root.querySelectorAll(".mc-local").forEach(wireLocalServer);
  root.querySelectorAll("form.mc-config").forEach(wireActionForm);
  root.querySelectorAll("tr[data-credential]").forEach(wireKeyRow);
  const addKey = document.getElementById("add-key");
  if (addKey) wireAddKey(addKey);
  const resetAll = document.getElementById("reset-all");
  resetAll.addEventListener("click", () => {
    if (!window.confirm("Reset every action to its default?")) return;
    busy(resetAll, async () => {
      try {
        await api("POST", "/api/model-configs/reset");
        window.location.reload();
      } catch (error) {
        show(document.getElementById("reset-all-result"), explain(error));
      }
    });
  });
}

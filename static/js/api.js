// The HTTP API as the pages use it: CSRF from the cookie, the JSON envelope unwrapped, errors in words.

import { rateLimitSentence as waitSentence } from "./wait.js";

export function cookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return "";
}

export function csrfHeaders(extra = {}) {
  return { "X-CSRFToken": cookie("csrftoken"), ...extra };
}

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `The server answered ${status}.`);
    this.status = status;
    this.type = error?.type || "INTERNAL";
    this.details = error?.details || {};
  }
}

// Reads an error envelope from a failed response (or makes one up when the body is not JSON).
export async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body?.error || { type: "INTERNAL", message: `The server answered ${response.status}.` };
  if (response.status === 429 && error.details?.retry_after_seconds === undefined) {
    const retry = Number(response.headers.get("Retry-After"));
    if (Number.isFinite(retry)) error.details = { ...(error.details || {}), retry_after_seconds: retry };
  }
  return new ApiError(response.status, error);
}

export async function api(url, { method = "GET", json, form, signal } = {}) {
  const options = { method, credentials: "same-origin", headers: { Accept: "application/json" }, signal };
  if (method !== "GET" && method !== "HEAD") Object.assign(options.headers, csrfHeaders());
  if (json !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(json);
  } else if (form !== undefined) {
    options.body = form;
  }
  const response = await fetch(url, options);
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return null;
  const body = await response.json();
  return body && typeof body === "object" && "data" in body ? body.data : body;
}

// One human sentence for any failure: API errors, rate limits, network trouble.
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.status === 429 || error.type === "RATE_LIMITED") {
      return waitSentence(error.message, error.details?.retry_after_seconds);
    }
    if (error.status === 413) return error.message || "That is too large.";
    if (error.status === 401) return "Your session has ended. Log in again.";
    return error.message;
  }
  if (error?.name === "AbortError") return "Cancelled.";
  if (error instanceof TypeError) return "Could not reach the server. Check your connection and try again.";
  return error?.message || "Something went wrong.";
}

export function rateLimitSentence(error) {
  // The socket's rate_limit_error carries {message, retry_after_seconds, …}.
  return waitSentence(error?.message, error?.retry_after_seconds);
}

// Saved data lives in this browser's localStorage; reading it never throws (missing, corrupt or blocked storage).
export function readJson<T>(key: string, fallback: T): unknown {
  try {
    const raw = localStorage.getItem(key);
    return raw === null ? fallback : JSON.parse(raw);
  } catch {
    return fallback;
  }
}

export function writeJson(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage may be full or disabled (private browsing): the app still works for this visit.
  }
}

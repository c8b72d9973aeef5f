// Streaming helpers: NDJSON lines from a fetch body, and a best-effort parse of JSON still being written.

// Yields one parsed object per line of an NDJSON response body, as the lines arrive.
export async function* ndjsonLines(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let newline;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) yield JSON.parse(line);
    }
    if (done) break;
  }
  if (buffer.trim()) yield JSON.parse(buffer);
}

// Parses the prefix of a JSON document: open strings, arrays and objects are closed, and a trailing
// half-written key or value is dropped. Returns null when nothing usable has arrived yet.
export function parsePartialJson(text) {
  const stack = [];
  const cuts = []; // [index to cut at, closers needed there]
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      stack.push(c === "{" ? "}" : "]");
      cuts.push([i + 1, stack.slice()]);
    } else if (c === "}" || c === "]") {
      stack.pop();
      cuts.push([i + 1, stack.slice()]);
    } else if (c === ",") {
      cuts.push([i, stack.slice()]);
    }
  }
  const close = (closers) => closers.slice().reverse().join("");
  const candidates = [];
  if (inString && !escaped) candidates.push(`${text}"${close(stack)}`);
  candidates.push(text + close(stack));
  for (let k = cuts.length - 1; k >= 0 && candidates.length < 8; k -= 1) {
    const [index, closers] = cuts[k];
    candidates.push(text.slice(0, index) + close(closers));
  }
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate);
    } catch {
      // try a shorter prefix
    }
  }
  return null;
}

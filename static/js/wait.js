// A wait as people say it, as config/ratelimits.py's wait_phrase says it: "40 s", "11 h 13 min", "2 d 3 h".

export function waitPhrase(seconds) {
  const total = Math.max(1, Math.ceil(Number(seconds) || 0));
  if (total < 60) return `${total} s`;
  let minutes = Math.ceil(total / 60);
  if (minutes < 60) return `${minutes} min`;
  let hours = Math.floor(minutes / 60);
  minutes %= 60;
  if (hours < 24) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  hours %= 24;
  return hours ? `${days} d ${hours} h` : `${days} d`;
}

// The server's sentence without its own "Try again in …" (any wording), so the exact wait can follow it.
export function withoutRetryHint(message) {
  return (message || "").replace(/\s*Try again in [^.]*\.?$/, "");
}

export function rateLimitSentence(message, retryAfterSeconds) {
  const base = withoutRetryHint(message) || "Too many requests.";
  return retryAfterSeconds === undefined ? base : `${base} Try again in ${waitPhrase(retryAfterSeconds)}.`;
}

// Talking to the /v1 API: the key, requests with `Authorization: Bearer`, errors carrying the
// server's message, and the job's server-sent events read with fetch (EventSource cannot
// send the header).

const KEY_STORE = "reelforge.studio.key";

export function storedKey() {
  return localStorage.getItem(KEY_STORE);
}

export function keepKey(key) {
  localStorage.setItem(KEY_STORE, key);
}

export function forgetKey() {
  localStorage.removeItem(KEY_STORE);
}

/** `#key=...` in the address: kept, then taken out of the address bar (and history). */
export function takeKeyFromFragment() {
  const match = location.hash.match(/^#key=([^&]+)/);
  if (!match) return;
  keepKey(decodeURIComponent(match[1]));
  history.replaceState(null, "", `${location.pathname}${location.search}#/jobs`);
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function errorFrom(response) {
  let code = "error";
  let message = `the server answered ${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    } else if (body && body.detail) {
      message = typeof body.detail === "string" ? body.detail : message;
    }
  } catch {
    // not JSON: the status line says enough
  }
  return new ApiError(response.status, code, message);
}

/** A request to the API: `json`, `form` (FormData) or `file` (a File, sent as it is) as the body; the answer's JSON (or
 * null for 204). Non-2xx answers throw ApiError with the server's message. */
function authorization() {
  const key = storedKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

export async function api(path, { method = "GET", json, form, file, signal } = {}) {
  const headers = authorization();
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  } else if (file !== undefined) {
    headers["Content-Type"] = file.type || "application/octet-stream";
    body = file;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body, signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "the studio server cannot be reached; check it is still " +
      "running and try again");
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return null;
  return response.json();
}

/** Follow a job's events: `onEvent(name, data)` for each, reconnecting after the server
 * closes a long stream, until `stop()` or the `end` event. Falls back to `onFallback()`
 * (the caller polls instead) when streaming is refused or unavailable. */
export function followEvents(jobId, { onEvent, onFallback }) {
  const controller = new AbortController();
  let lastId = 0;
  let stopped = false;

  async function readOnce() {
    const response = await fetch(`/v1/jobs/${encodeURIComponent(jobId)}/events?after=${lastId}`, {
      headers: { ...authorization(), Accept: "text/event-stream" },
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw await errorFrom(response);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return false;
      buffer += value.replaceAll("\r\n", "\n");
      let split;
      while ((split = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, split);
        buffer = buffer.slice(split + 2);
        const message = parseBlock(block);
        if (message.id) lastId = Number(message.id) || lastId;
        if (!message.event && !message.data) continue;
        let data = null;
        try { data = message.data ? JSON.parse(message.data) : null; } catch { data = null; }
        onEvent(message.event || "message", data);
        if (message.event === "end") return true;
      }
    }
  }

  (async () => {
    let failures = 0;
    while (!stopped) {
      try {
        const ended = await readOnce();
        if (ended) return;
        failures = 0;
      } catch (err) {
        if (stopped || err.name === "AbortError") return;
        failures += 1;
        if (err.status === 429 || err.status === 404 || failures > 3) {
          onFallback(err);
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  })();

  return {
    stop() {
      stopped = true;
      controller.abort();
    },
  };
}

function parseBlock(block) {
  const message = { data: "" };
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (name === "data") message.data += (message.data ? "\n" : "") + value;
    else if (name === "event" || name === "id") message[name] = value;
  }
  return message;
}

/**
 * Prism browser SDK (ES module; also sets globalThis.Prism).
 *
 *   import * as prism from "https://prism.example.com/sdk/prism.js";
 *   prism.init({ key: "ef_live_…" });   // host: where this file came from, Prism's public URL
 *   prism.track("page_view", { path: location.pathname });
 *   prism.identify("user-42", { plan: "pro" });
 *   prism.trackEvent("purchase", { amount: 4900 });   // the tracking format
 *
 * Events are queued, sent in batches (by size and time), retried with backoff on network
 * errors, 429 and 5xx (never sooner than Retry-After), and flushed with sendBeacon when the page
 * is hidden. Until identify() an anonymous id kept in localStorage stands for the visitor.
 *
 * Every event and identify gets its event_id here, when it is queued, and keeps it on every
 * retry: a 503 or a lost response means "not known to be stored", and the server drops a second
 * copy of an event_id, so retrying never duplicates.
 */
const STORAGE_KEY = "prism_anonymous_id";
const MAX_BATCH = 100;

let config = null;
let queue = [];
let timer = null;
let sending = false;
let profileId = null;
let backoffMs = 0;

function newId() {
  return globalThis.crypto && typeof globalThis.crypto.randomUUID === "function" ? globalThis.crypto.randomUUID() : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function anonymousId() {
  try {
    let id = globalThis.localStorage.getItem(STORAGE_KEY);
    if (!id) {
      id = `anon-${newId()}`;
      globalThis.localStorage.setItem(STORAGE_KEY, id);
    }
    return id;
  } catch {
    return `anon-${newId()}`;
  }
}

function endpoint() {
  return `${config.host.replace(/\/$/, "")}/api/v1/events/batch?key=${encodeURIComponent(config.key)}`;
}

function schedule() {
  if (timer || !config) return;
  timer = setTimeout(() => {
    timer = null;
    void flush();
  }, Math.max(config.flushIntervalMs, backoffMs));
}

function enqueue(item) {
  if (!config) throw new Error("Prism: call init({ key, host }) first");
  queue.push(item);
  if (queue.length >= config.batchSize) void flush();
  else schedule();
}

/** Sends what is queued now; resolves when the server accepted it or it was put back to retry. */
export async function flush() {
  if (!config || sending || queue.length === 0) return;
  sending = true;
  // Sending now: a timer set when the events were queued must not cut a later backoff short.
  clearTimeout(timer);
  timer = null;
  const batch = queue.slice(0, MAX_BATCH);
  queue = queue.slice(batch.length);
  let retryAfterMs = 0;
  try {
    const response = await fetch(endpoint(), { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(batch), keepalive: true });
    if (response.status === 429 || response.status >= 500) {
      retryAfterMs = Math.min(Number(response.headers.get("retry-after")) * 1000 || 0, 60000);
      throw new Error(`status ${response.status}`);
    }
    // 4xx other than 429: the server refused these events and kept them as dead letters; do not resend.
    backoffMs = 0;
  } catch {
    queue = batch.concat(queue);
    backoffMs = Math.max(Math.min(backoffMs ? backoffMs * 2 : 1000, 30000), retryAfterMs);
    clearTimeout(timer);
    timer = null;
  } finally {
    sending = false;
  }
  if (queue.length > 0) schedule();
}

function beacon() {
  if (!config || queue.length === 0) return;
  const batch = queue.splice(0, MAX_BATCH);
  const blob = new Blob([JSON.stringify(batch)], { type: "text/plain" });
  const sent = typeof navigator !== "undefined" && typeof navigator.sendBeacon === "function" && navigator.sendBeacon(endpoint(), blob);
  if (!sent) {
    void fetch(endpoint(), { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(batch), keepalive: true }).catch(() => {
      queue = batch.concat(queue);
    });
  }
  if (queue.length > 0) beacon();
}

/**
 * Without `host`: the Prism this file was loaded from (its public URL, where ingest is answered),
 * so a page on another site that imports the SDK from Prism sends there (a copy bundled into an
 * app would send to the app's own origin: pass `host` then).
 */
function defaultHost() {
  const served = new URL(import.meta.url).origin;
  if (/^https?:\/\//.test(served)) return served;
  return typeof location !== "undefined" ? location.origin : "";
}

export function init(options) {
  if (!options || typeof options.key !== "string" || !options.key) throw new Error("Prism: init needs { key }");
  config = {
    key: options.key,
    host: options.host || defaultHost(),
    batchSize: Math.min(options.batchSize || 20, MAX_BATCH),
    flushIntervalMs: options.flushIntervalMs || 2000,
  };
  if (typeof addEventListener === "function") {
    addEventListener("pagehide", beacon);
    addEventListener("visibilitychange", () => {
      if (typeof document !== "undefined" && document.visibilityState === "hidden") beacon();
    });
  }
}

function currentProfile() {
  return profileId || anonymousId();
}

/** An event in the internal form. */
export function track(name, props = {}) {
  enqueue({ event_name: String(name), event_id: newId(), cts: Date.now(), profile_id: currentProfile(), props });
}

/** An event in the tracking format: { event_type, timestamp, user_id, session_id, fields }. */
export function trackEvent(eventType, fields = {}) {
  enqueue({ event_type: String(eventType), event_id: newId(), timestamp: new Date().toISOString(), user_id: currentProfile(), session_id: sessionId(), fields });
}

/** Names the visitor from now on and sets profile attributes. */
export function identify(id, props = {}) {
  profileId = String(id);
  // The anonymous id this visitor had: its events (before and after) become this user's.
  enqueue({ type: "identify", userId: profileId, anonymousId: anonymousId(), messageId: newId(), traits: props });
}

export function reset() {
  profileId = null;
  try {
    globalThis.localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* storage unavailable */
  }
}

let session = null;
function sessionId() {
  session = session || `s-${newId()}`;
  return session;
}

/** Events waiting to be sent (for tests and debugging). */
export function pending() {
  return queue.length;
}

const Prism = { init, track, trackEvent, identify, flush, reset, pending };
globalThis.Prism = Prism;
export default Prism;

// The service worker's link to the companion: the stored pairing + client.js = signed calls, and the
// popup's four states (not_running, not_paired, locked, ready).
import { ext } from "../lib/browser.js";
import { clipChars } from "../lib/format.js";
import { baseUrl, getSettings } from "../lib/settings.js";
import { call, capOffset, CompanionError, pair, seal, unseal } from "./client.js";
import { clearPairing, loadPairing, savePairing } from "./keystore.js";

// Seconds to add to the browser clock for X-OTPC-Ts. Adopted only after a response signed with our key
// confirmed it (issue 9.14); an unsigned Date header (any 401, from whoever holds the port) is at most
// a candidate for one retry, capped by capOffset so that it never dates a request into the future.
let clockOffset = 0;

export const START_COMMAND = "otpc serve";

async function session() {
  const pairing = await loadPairing();
  if (!pairing) throw new CompanionError("not_paired", "This browser is not paired with the companion yet.");
  const { port } = await getSettings();
  return { ...pairing, baseUrl: baseUrl(port) };
}

/** Learn the companion's clock from a signed answer that carries it (status, code). */
function learnClock(reply) {
  if (typeof reply?.server_time === "number") clockOffset = capOffset(reply.server_time - Date.now() / 1000);
  return reply;
}

/**
 * A signed call. When it is refused (401) and the unsigned Date header says our clock is off by more
 * than 25 s, retry once with that offset, capped; keep it only if the retry's signed answer came back.
 */
export async function api(path, body = {}) {
  const s = await session();
  try {
    return learnClock(await call(s, path, body, { clockOffset }));
  } catch (err) {
    const serverMs = err.kind === "unauthorized" && err.serverDate ? Date.parse(err.serverDate) : NaN;
    const candidate = capOffset((serverMs - Date.now()) / 1000);
    if (!Number.isNaN(serverMs) && Math.abs(serverMs - Date.now()) > 25_000 && candidate !== clockOffset) {
      const reply = await call(s, path, body, { clockOffset: candidate });
      if (typeof reply?.server_time !== "number") clockOffset = candidate;
      return learnClock(reply);
    }
    throw err;
  }
}

/** Is anything answering on the port at all? (unsigned GET that holds nothing secret) */
async function reachable(port) {
  try {
    const res = await fetch(`${baseUrl(port)}/v1/openapi.json`, { cache: "no-store", credentials: "omit" });
    return res.status > 0;
  } catch {
    return false;
  }
}

/** Map an error to the popup state it means, with the words the user sees. */
export async function stateFromError(err) {
  const { port } = await getSettings();
  if (err.kind === "not_running") {
    return { state: "not_running", port, command: port === 17655 ? START_COMMAND : `${START_COMMAND} --port ${port}`,
      message: `Nothing answers on 127.0.0.1:${port}.` };
  }
  if (err.kind === "not_paired") {
    return (await reachable(port))
      ? { state: "not_paired", port, message: err.message }
      : { state: "not_running", port, command: port === 17655 ? START_COMMAND : `${START_COMMAND} --port ${port}`,
        message: `Nothing answers on 127.0.0.1:${port}.` };
  }
  if (err.kind === "unauthorized") {
    return { state: "not_paired", port, revoked: true,
      message: "The companion no longer accepts this browser (it was unpaired or revoked there). Pair again." };
  }
  if (err.kind === "locked") return { state: "locked", port, message: "The vault is locked." };
  return { state: "error", port, message: err.message };
}

export async function status() {
  try {
    const st = await api("/v1/status", {});
    if (st.locked) return { state: "locked", unlockAllowed: st.unlock_allowed, ...describe(st) };
    return { state: "ready", ...describe(st) };
  } catch (err) {
    return stateFromError(err);
  }
}

function describe(st) {
  return { clientName: st.client_name, scope: st.scope, serverTime: st.server_time, idleLockMinutes: st.idle_lock_minutes };
}

function defaultClientName() {
  const ua = globalThis.navigator?.userAgent ?? "";
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : "Chromium";
  return `${browser} extension`;
}

export async function pairWith(typedCode, clientName) {
  const { port } = await getSettings();
  const origin = new URL(ext.runtime.getURL("")).origin;
  const name = clipChars(clientName || defaultClientName(), 64) || defaultClientName(); // 64 characters, § 4.1
  const result = await pair({ baseUrl: baseUrl(port), origin, typedCode, clientName: name });
  await savePairing({ clientId: result.clientId, macKey: result.macKey, encKey: result.encKey, origin,
    clientName: name, pairedAt: Math.floor(Date.now() / 1000), scope: result.scope });
  return status();
}

export async function unpair() {
  await clearPairing();
}

export async function pairingInfo() {
  const p = await loadPairing();
  return p ? { clientId: p.clientId, clientName: p.clientName, pairedAt: p.pairedAt, scope: p.scope } : null;
}

export async function sealFor(purpose, plaintext) {
  const s = await session();
  return seal(s.encKey, s.clientId, purpose, plaintext);
}

export async function unsealFrom(purpose, blob) {
  const s = await session();
  return unseal(s.encKey, s.clientId, purpose, blob);
}

// The companion's refusals of an unlock, in words: one sentence per wire code, shared by the popup's
// and the manage page's unlock forms (and the service worker's error messages), so that no refusal is
// ever shown as "Wrong password." unless the companion said wrong_password. Pure functions (no DOM, no
// browser APIs), unit-tested in tests/js/refusals.test.mjs.

import { describeError } from "./messages.js";

export const WRONG_PASSWORD = "Wrong password.";

/** Unlocking over HTTP is off (the companion's status says so, or /v1/unlock answered unlock_disabled). */
export const UNLOCK_SWITCHED_OFF = "Unlocking from the browser is switched off in the companion's settings. "
  + "To allow it, set \u201callow_http_unlock\u201d to true in the settings file beside the vault "
  + "(vault.config.json) and restart the companion.";

export const UNLOCK_DISABLED = `${UNLOCK_SWITCHED_OFF} Or unlock in a terminal with \u201cotpc unlock\u201d.`;

const MAX_WAIT_SECONDS = 3600; // the companion's penalty is 60 s; an unsigned header is not believed beyond this

/** Retry-After as the companion sends it (whole seconds) → a number of seconds, or null. */
export function retryAfterSeconds(header) {
  const text = String(header ?? "").trim();
  if (!/^\d{1,6}$/.test(text)) return null;
  return Math.min(MAX_WAIT_SECONDS, Math.max(1, Number(text)));
}

/** What a 429 means to the user: wait, and for how long when the companion said so. */
export function rateLimitedSentence(seconds) {
  const n = retryAfterSeconds(seconds);
  const wait = n === null ? "about a minute" : n === 1 ? "1 second" : `${n} seconds`;
  return `Too many failed attempts from this browser: the companion refuses it for now. Wait ${wait}, then try again.`;
}

// Kinds the service worker names in its own words (not_running, vault_damaged, ...): shown as they are.
const OWN_WORDS = new Set(["not_running", "not_paired", "unauthorized", "bad_signature", "vault_damaged", "locked", "error"]);
const WIRE_CODE = /^[a-z][a-z0-9_]{0,39}$/;

/**
 * The sentence an unlock form shows for a failed unlock. err = {kind, message, code, status, retryAfter}
 * as the service worker passes it (lib/dom.js ask): kind is the worker's error kind, code the
 * companion's wire `error` (docs/protocol.md § 3). A refusal with no words of its own says which code
 * the companion answered, never its free-text message.
 */
export function unlockErrorSentence(err) {
  const kind = err?.kind;
  if (kind === "wrong_password") return WRONG_PASSWORD;
  if (kind === "unlock_disabled") return UNLOCK_DISABLED;
  if (kind === "rate_limited") return rateLimitedSentence(err.retryAfter);
  if (OWN_WORDS.has(kind) || !(kind === "http" || err?.code || err?.status)) return describeError(err);
  const code = String(err.code ?? "");
  if (WIRE_CODE.test(code)) return `The companion refused the unlock: ${code}.`;
  const status = Number.isInteger(err.status) && err.status > 0 ? ` (HTTP ${err.status})` : "";
  return `The companion refused the unlock${status}.`;
}

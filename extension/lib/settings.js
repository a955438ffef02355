// The user's settings, in the extension's local storage (nothing secret lives here).
import { ext } from "./browser.js";

export const DEFAULT_PORT = 17655;
export const CLIPBOARD_SECONDS = { default: 30, min: 5, max: 300 };
const DEFAULTS = { port: DEFAULT_PORT, clearClipboard: true, clipboardSeconds: CLIPBOARD_SECONDS.default, submitSites: [] };

export async function getSettings() {
  const stored = await ext.storage.local.get(Object.keys(DEFAULTS));
  return { ...DEFAULTS, ...stored };
}

/** Validates and stores `changes`; throws an Error whose message tells the user what is allowed. */
export async function setSettings(changes) {
  const clean = {};
  if ("port" in changes) {
    const port = Number(changes.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error("The port must be a whole number from 1 to 65535.");
    clean.port = port;
  }
  if ("clearClipboard" in changes) clean.clearClipboard = Boolean(changes.clearClipboard);
  if ("clipboardSeconds" in changes) {
    const secs = Number(changes.clipboardSeconds);
    const { min, max } = CLIPBOARD_SECONDS;
    if (!Number.isInteger(secs) || secs < min || secs > max) {
      throw new Error(`The clipboard delay must be a whole number of seconds from ${min} to ${max}.`);
    }
    clean.clipboardSeconds = secs;
  }
  if ("submitSites" in changes) {
    clean.submitSites = [...new Set((changes.submitSites ?? []).map((s) => String(s).trim().toLowerCase()).filter(Boolean))];
  }
  await ext.storage.local.set(clean);
  return getSettings();
}

export function baseUrl(port) {
  return `http://127.0.0.1:${port}`;
}

// The user's settings, in the extension's local storage (nothing secret lives here).
import { ext } from "./browser.js";

export const DEFAULT_PORT = 17655;
const DEFAULTS = { port: DEFAULT_PORT, clearClipboard: true, submitSites: [] };

export async function getSettings() {
  const stored = await ext.storage.local.get(Object.keys(DEFAULTS));
  return { ...DEFAULTS, ...stored };
}

export async function setSettings(changes) {
  const clean = {};
  if ("port" in changes) {
    const port = Number(changes.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error("The port must be a whole number from 1 to 65535.");
    clean.port = port;
  }
  if ("clearClipboard" in changes) clean.clearClipboard = Boolean(changes.clearClipboard);
  if ("submitSites" in changes) {
    clean.submitSites = [...new Set((changes.submitSites ?? []).map((s) => String(s).trim().toLowerCase()).filter(Boolean))];
  }
  await ext.storage.local.set(clean);
  return getSettings();
}

export function baseUrl(port) {
  return `http://127.0.0.1:${port}`;
}

// Clears the clipboard N seconds after a copy (the user's setting, 5–300 s, default 30), but only if it
// still holds the code: a copy the user made meanwhile is left alone. Only a hash of the code is kept
// meanwhile, in memory-only session storage.
//
// Timing: a timer in the background for the exact moment (a Chromium service worker lives 30 s past
// its last event, so 5–29 s delays fit), plus an alarm as the fallback when the worker was stopped
// meanwhile (Chromium fires alarms no sooner than 30 s after they are set). Whichever comes first
// clears; the second finds no hash and does nothing.
import { ext } from "../lib/browser.js";
import { hex } from "./client.js";

export const CLEAR_ALARM = "otpc-clear-clipboard";
const OFFSCREEN = "offscreen/clipboard.html";
const ALARM_FLOOR_MS = 30_000;
let timer;

async function hashOf(text) {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function area() {
  return ext.storage.session ?? ext.storage.local;
}

export async function scheduleClipboardClear(code, seconds) {
  const due = Date.now() + seconds * 1000;
  await area().set({ clipboardHash: await hashOf(code), clipboardDue: due });
  clearTimeout(timer);
  timer = setTimeout(() => clearClipboardIfUnchanged(), seconds * 1000);
  await ext.alarms.create(CLEAR_ALARM, { when: Math.max(due, Date.now() + ALARM_FLOOR_MS) });
}

/** Firefox's background page has a document: it can read and write the clipboard itself. */
async function clearHere(hash) {
  const current = await navigator.clipboard.readText();
  if ((await hashOf(current)) === hash) await navigator.clipboard.writeText("");
}

/** Chromium's service worker has no document and no clipboard: an offscreen document does it. */
async function clearOffscreen(hash) {
  if (!(await ext.offscreen.hasDocument?.())) {
    await ext.offscreen.createDocument({ url: OFFSCREEN, reasons: ["CLIPBOARD"],
      justification: "Clear a copied one-time code from the clipboard once the user's delay has passed." });
  }
  try {
    await ext.runtime.sendMessage({ op: "otpc-clear-clipboard", hash });
  } finally {
    await ext.offscreen.closeDocument();
  }
}

export async function clearClipboardIfUnchanged() {
  const { clipboardHash } = await area().get("clipboardHash");
  await area().remove(["clipboardHash", "clipboardDue"]);
  clearTimeout(timer);
  await ext.alarms.clear(CLEAR_ALARM);
  if (!clipboardHash) return;
  try {
    if (typeof document !== "undefined") await clearHere(clipboardHash);
    else if (ext.offscreen) await clearOffscreen(clipboardHash);
  } catch {
    // the browser did not allow it; the code expires on its own within its period
  }
}

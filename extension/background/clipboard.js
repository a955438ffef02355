// Clears the clipboard 30 s after a copy, but only if it still holds the code (where the browser
// allows it). Only a hash of the code is kept meanwhile, in memory-only session storage.
import { ext } from "../lib/browser.js";
import { hex } from "./client.js";

const ALARM = "otpc-clear-clipboard";
const OFFSCREEN = "offscreen/clipboard.html";

async function hashOf(text) {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

export async function scheduleClipboardClear(code) {
  const area = ext.storage.session ?? ext.storage.local;
  await area.set({ clipboardHash: await hashOf(code) });
  await ext.alarms.create(ALARM, { when: Date.now() + 30_000 });
}

/** Firefox's background page has a document: it can read and write the clipboard itself. */
async function clearHere(hash) {
  const current = await navigator.clipboard.readText();
  if ((await hashOf(current)) === hash) await navigator.clipboard.writeText("");
}

export async function clearClipboardIfUnchanged() {
  const area = ext.storage.session ?? ext.storage.local;
  const { clipboardHash } = await area.get("clipboardHash");
  await area.remove("clipboardHash");
  if (!clipboardHash) return;
  try {
    if (typeof document !== "undefined") return await clearHere(clipboardHash);
    if (!ext.offscreen) return;
    if (!(await ext.offscreen.hasDocument?.())) {
      await ext.offscreen.createDocument({ url: OFFSCREEN, reasons: ["CLIPBOARD"],
        justification: "Clear a copied one-time code from the clipboard after 30 seconds." });
    }
    await ext.runtime.sendMessage({ op: "otpc-clear-clipboard", hash: clipboardHash });
    await ext.offscreen.closeDocument();
  } catch {
    // the browser did not allow it; the code expires on its own within its period
  }
}

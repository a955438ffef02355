// Which frame of a tab holds the one-time-code field, and handing it the code.
// The content scripts (detect.js, fill.js) run in every frame; tabs opened before the extension was
// installed get them injected on first use.
import { ext } from "../lib/browser.js";

const CONTENT_FILES = ["content/detect.js", "content/fill.js"];

function probeFrame() {
  const target = globalThis.OTPC_DETECT && globalThis.OTPC_FILL_LOADED
    ? globalThis.OTPC_DETECT.findTarget(document) : undefined;
  if (target === undefined) return { missing: true };
  return target ? { kind: target.kind, score: target.score, fields: target.elements.length } : null;
}

async function probeAll(tabId) {
  let results = await ext.scripting.executeScript({ target: { tabId, allFrames: true }, func: probeFrame });
  if (results.some((r) => r.result?.missing)) {
    await ext.scripting.executeScript({ target: { tabId, allFrames: true }, files: CONTENT_FILES });
    results = await ext.scripting.executeScript({ target: { tabId, allFrames: true }, func: probeFrame });
  }
  return results;
}

/** The frame with the best field: {frameId, kind, score} or null. The top frame wins ties. */
export async function bestFrame(tabId) {
  const found = (await probeAll(tabId))
    .filter((r) => r.result && !r.result.missing)
    .map((r) => ({ frameId: r.frameId, ...r.result }));
  found.sort((a, b) => b.score - a.score || a.frameId - b.frameId);
  return found[0] ?? null;
}

/** Does the tab have a field to fill (any frame)? */
export async function hasField(tabId) {
  try {
    return Boolean(await bestFrame(tabId));
  } catch {
    return false; // pages we may not script (browser pages, the web store)
  }
}

/**
 * Fill `code` into frame `frameId` of the tab (see bestFrame). With useContextTarget (context menu)
 * the field the user right-clicked is used; otherwise the best detected field. Returns
 * {filled, kind, submitted}.
 */
export async function fillTab(tabId, code, { frameId, useContextTarget = false, submit = false }) {
  const reply = await ext.tabs.sendMessage(tabId, { op: "otpc-fill", code, submit, useContextTarget },
    { frameId });
  return reply ?? { filled: 0 };
}

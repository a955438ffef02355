// Which frame of a tab holds the one-time-code field, and handing it the code.
// The content scripts (detect.js, fill.js) run in every frame; tabs opened before the extension was
// installed get them injected on first use.
// A code goes only to a document whose origin matches the entry (issue 9.1/9.2): the probe records
// each frame's origin and documentId, and the fill is sent to exactly that document, so a frame that
// navigated in between (new documentId) receives nothing.
import { ext } from "../lib/browser.js";
import { originMatchesEntry } from "../lib/domain.js";

const CONTENT_FILES = ["content/detect.js", "content/fill.js"];

function probeFrame() {
  const origin = location.origin; // the isolated world's location: the page cannot fake it
  const target = globalThis.OTPC_DETECT && globalThis.OTPC_FILL_LOADED
    ? globalThis.OTPC_DETECT.findTarget(document) : undefined;
  if (target === undefined) return { missing: true, origin };
  return target ? { origin, kind: target.kind, score: target.score, fields: target.elements.length }
    : { origin, none: true };
}

async function probeAll(tabId) {
  let results = await ext.scripting.executeScript({ target: { tabId, allFrames: true }, func: probeFrame });
  if (results.some((r) => r.result?.missing)) {
    await ext.scripting.executeScript({ target: { tabId, allFrames: true }, files: CONTENT_FILES });
    results = await ext.scripting.executeScript({ target: { tabId, allFrames: true }, func: probeFrame });
  }
  return results.filter((r) => r.result && !r.result.missing).map((r) => ({
    frameId: r.frameId, documentId: r.documentId, ...r.result,
  }));
}

function best(frames) {
  return [...frames].filter((f) => !f.none)
    .sort((a, b) => b.score - a.score || a.frameId - b.frameId)[0] ?? null;
}

/**
 * Where a code for an entry with `urls` may go in this tab, decided now (fill time), not when the
 * popup opened. Returns {frame} (a matching document), {confirm: {origin, frameId, documentId}}
 * (only a document of another origin has a field or was right-clicked: the user must name it), or
 * {frame: null} (no field anywhere). `confirmed` = a confirm object the user accepted: exactly that
 * document, still of that origin, is then allowed. `frameId` = the frame the user right-clicked.
 */
export async function frameFor(tabId, urls, { frameId, confirmed } = {}) {
  const frames = await probeAll(tabId);
  if (confirmed) {
    const same = frames.find((f) => f.frameId === confirmed.frameId && f.origin === confirmed.frameOrigin
      && (confirmed.documentId === undefined || f.documentId === confirmed.documentId));
    return { frame: same ?? null };
  }
  const candidates = frameId === undefined ? frames : frames.filter((f) => f.frameId === frameId);
  const top = frames.find((f) => f.frameId === 0);
  const matching = candidates.filter((f) => originMatchesEntry(urls, f.origin));
  // The top document must belong to the entry too: a look-alike page framing the real site is not it.
  const topOk = top ? originMatchesEntry(urls, top.origin) : false;
  const pick = frameId === undefined ? best(matching) : matching[0];
  if (pick && topOk) return { frame: pick };
  const other = frameId === undefined ? best(candidates) : candidates[0];
  if (!other) return { frame: null };
  const origin = topOk ? other.origin : top?.origin ?? other.origin;
  return { confirm: { origin, frameOrigin: other.origin, frameId: other.frameId, documentId: other.documentId } };
}

/**
 * Fill `code` into one document of the tab (see frameFor). With useContextTarget (context menu)
 * the field the user right-clicked is used; otherwise the best detected field. Returns
 * {filled, kind, submitted}; {filled: 0} when that document is gone.
 */
export async function fillTab(tabId, code, { frameId, documentId, useContextTarget = false, submit = false }) {
  const options = documentId ? { documentId } : { frameId };
  try {
    const reply = await ext.tabs.sendMessage(tabId, { op: "otpc-fill", code, submit, useContextTarget }, options);
    return reply ?? { filled: 0 };
  } catch {
    return { filled: 0 }; // the document navigated away since the probe: it gets nothing
  }
}

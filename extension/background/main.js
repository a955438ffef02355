// The service worker: routes messages from our own pages, the keyboard shortcut and the context
// menu; decides which entries match a tab from the browser-supplied tab URL (never from the page).
import { ext } from "../lib/browser.js";
import { isWebPage, registrableDomain } from "../lib/domain.js";
import { allows } from "../lib/permissions.js";
import { getSettings, setSettings } from "../lib/settings.js";
import { CLEAR_ALARM, clearClipboardIfUnchanged, scheduleClipboardClear } from "./clipboard.js";
import { api, pairingInfo, pairWith, sealFor, stateFromError, status, unpair, unsealFrom } from "./companion.js";
import { fillTab, frameFor } from "./frames.js";

const OWN_ORIGIN = ext.runtime.getURL("");

// Paths our pages may call through the "api" message, and which fields travel sealed.
const API_PATHS = new Set(["/v1/status", "/v1/lock", "/v1/entries", "/v1/entry", "/v1/code",
  "/v1/customers", "/v1/customers/create", "/v1/customers/update", "/v1/customers/delete",
  "/v1/entries/create", "/v1/entries/update", "/v1/entries/delete", "/v1/otp/set", "/v1/otp/delete",
  "/v1/audit", "/v1/password/reveal"]);
const SEALED_FIELDS = { password: "entry-password", secret: "otp-secret", uri: "otp-uri" };

async function tabSite(tabId) {
  const tab = await ext.tabs.get(tabId);
  return { tab, site: isWebPage(tab.url) ? tab.url : null };
}

/** Entries whose URLs match the tab's site (the companion matches registrable domains). */
async function matchesFor(tabId) {
  const { site } = await tabSite(tabId);
  if (!site) return { site: null, domain: null, entries: [] };
  const { entries } = await api("/v1/entries", { site });
  return { site, domain: registrableDomain(site), entries };
}

function autoCode(entry) {
  // HOTP codes are only made on request (each one uses up the counter); a team role without "view" gets none.
  return entry.has_otp && entry.otp?.type !== "hotp" && allows(entry, "code");
}

async function codesFor(entries) {
  const out = {};
  await Promise.all(entries.filter(autoCode).map(async (e) => {
    try {
      out[e.id] = await api("/v1/code", { entry_id: e.id });
    } catch {
      // the row shows "no code"; the popup retries on its own timer
    }
  }));
  return out;
}

/** Everything the popup needs to paint its first screen, in one round trip when the tab has a site. */
async function popupInit(tabId) {
  try {
    const site = tabId === undefined ? null : (await tabSite(tabId)).site;
    if (!site) {
      const st = await status();
      return st.state === "ready" ? { state: "ready", site: null, domain: null, matches: [], codes: {} } : st;
    }
    const { domain, entries } = await matchesFor(tabId);
    return { state: "ready", site, domain, matches: entries, codes: await codesFor(entries.slice(0, 12)) };
  } catch (err) {
    return stateFromError(err);
  }
}

async function record(entryId, action) {
  try {
    await api("/v1/audit/record", { entry_id: entryId, action });
    return true;
  } catch {
    return false;
  }
}

/**
 * Fill an entry's code into the tab. The field is looked for first, so an HOTP counter is not used up
 * on a page without one. `code`: an HOTP code the popup already shows (filling it uses no new one).
 * The target document is checked now against the entry's URLs (from the companion, not the caller):
 * anything else answers {confirm: {origin, ...}} and fills only when called again with that object
 * as `confirmed` (the user said "Fill on <origin> anyway").
 */
async function fillEntry({ tabId, entryId, frameId, useContextTarget, code: shownCode, confirmed }) {
  const { tab } = await tabSite(tabId);
  const { entry } = await api("/v1/entry", { entry_id: entryId });
  const where = await frameFor(tabId, entry.urls ?? [], { frameId: useContextTarget ? frameId : undefined,
    confirmed: confirmed && typeof confirmed === "object" ? confirmed : undefined });
  if (where.confirm) return { filled: 0, confirm: where.confirm };
  if (!where.frame) return { filled: 0 };
  const code = typeof shownCode === "string" && /^[0-9A-Za-z]{5,10}$/.test(shownCode)
    ? { code: shownCode, type: "hotp", given: true }
    : await api("/v1/code", { entry_id: entryId });
  const { submitSites } = await getSettings();
  const submit = isWebPage(tab.url) && submitSites.includes(registrableDomain(tab.url));
  const result = await fillTab(tabId, code.code, { frameId: where.frame.frameId, documentId: where.frame.documentId,
    useContextTarget, submit });
  if (result.filled > 0) result.audited = await record(entryId, "fill");
  return { ...result, code: code.type === "hotp" && !code.given ? code : undefined };
}

async function callApi({ path, body = {}, unsealed = [] }) {
  if (!API_PATHS.has(path)) throw new Error(`not an allowed path: ${path}`);
  const outgoing = { ...body };
  for (const [field, purpose] of Object.entries(SEALED_FIELDS)) {
    if (typeof outgoing[field] === "string" && outgoing[field] !== "" && path !== "/v1/entries") {
      outgoing[field] = await sealFor(purpose, outgoing[field]);
    }
  }
  const reply = await api(path, outgoing);
  if (path === "/v1/password/reveal" && unsealed.includes("password")) {
    reply.password = await unsealFrom("reveal-password", reply.password);
  }
  return reply;
}

const HANDLERS = {
  status: () => status(),
  pairingInfo: () => pairingInfo(),
  pair: (m) => pairWith(m.code, m.name),
  unpair: () => unpair().then(() => ({ ok: true })),
  unlock: async (m) => {
    await api("/v1/unlock", { password: await sealFor("unlock", String(m.password ?? "")) });
    return status();
  },
  popupInit: (m) => popupInit(m.tabId),
  entries: async (m) => (await api("/v1/entries", m.search ? { search: String(m.search) } : {})).entries,
  // passive: a refresh no person asked for (the ticker); the companion does not count it as activity.
  code: (m) => api("/v1/code", m.passive === true ? { entry_id: m.entryId, passive: true } : { entry_id: m.entryId }),
  codes: (m) => codesFor(m.entries ?? []),
  fill: (m) => fillEntry(m),
  copied: async (m) => {
    const audited = await record(m.entryId, "copy");
    const { clearClipboard, clipboardSeconds } = await getSettings();
    const clearAfter = clearClipboard && typeof m.code === "string" ? clipboardSeconds : 0;
    if (clearAfter) await scheduleClipboardClear(m.code, clearAfter);
    return { audited, clearAfter };
  },
  api: (m) => callApi(m),
  getSettings: () => getSettings(),
  setSettings: (m) => setSettings(m.changes ?? {}),
};

/** A refusal for our pages: the kind and sentence, and the companion's wire code and wait (lib/refusals.js). */
function failure(err) {
  return { ok: false, kind: err.kind ?? "error", error: err.message ?? String(err),
    code: err.error || undefined, status: err.status || undefined, retryAfter: err.retryAfter ?? undefined };
}

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only our own pages (popup, manage, options) talk to the service worker; content scripts never do.
  if (sender.id !== ext.runtime.id || !String(sender.url ?? "").startsWith(OWN_ORIGIN)) return false;
  const handler = HANDLERS[message?.op];
  if (!handler) return false;
  Promise.resolve()
    .then(() => handler(message))
    .then((value) => sendResponse({ ok: true, value }))
    .catch((err) => sendResponse(failure(err)));
  return true;
});

// ---- keyboard shortcut and context menu ------------------------------------------------------
// Each listener is one line handing over to a named function. Tests call the same functions through
// `self.otpcTestHooks` (headless Chromium cannot press browser shortcuts or click menu items).

/** What this extension registers with contextMenus.create (the API has no getter to ask later). */
export const MENU_ITEMS = [{ id: "otpc-fill", title: "Fill one-time code", contexts: ["editable"] }];

function registerMenus() {
  for (const item of MENU_ITEMS) {
    ext.contextMenus.create(item, () => {
      void ext.runtime.lastError; // created again after an update: ignore "duplicate id"
    });
  }
}

let pickerWindowId;

/**
 * The picker: the popup page in a small window of its own, listing the entries for the tab's site
 * (or, when none match, saying so with the search box ready). Its Fill button fills `tabId`.
 */
async function openPicker(tabId, { frameId, useContextTarget = false, reason } = {}) {
  const query = new URLSearchParams({ tab: String(tabId), mode: "pick" });
  if (reason) query.set("reason", reason);
  if (useContextTarget) {
    query.set("frame", String(frameId ?? 0));
    query.set("context", "1");
  }
  if (pickerWindowId !== undefined) await ext.windows.remove(pickerWindowId).catch(() => {});
  const win = await ext.windows.create({ url: ext.runtime.getURL(`popup/popup.html?${query}`), type: "popup",
    width: 400, height: 580, focused: true });
  pickerWindowId = win?.id;
  return { picker: true, reason };
}

/** Tell the user, on the toolbar icon of that tab, that a shortcut fill found no field. */
async function badge(tabId, text, title) {
  await ext.action.setBadgeText({ tabId, text }).catch(() => {});
  await ext.action.setTitle({ tabId, title }).catch(() => {});
}

/**
 * A fill the user asked for from the page itself (shortcut or context menu): one entry with an OTP
 * for the site → filled; several → the picker asks which (never a silent guess); none → the picker
 * says so and offers search. Any companion trouble (not running, not paired, locked) → the picker,
 * which explains it. Returns what happened, for the hooks.
 */
async function fillFromGesture(tab, { frameId, useContextTarget = false } = {}) {
  if (!tab?.id || !isWebPage(tab.url)) return { skipped: true };
  let entries;
  try {
    entries = (await matchesFor(tab.id)).entries.filter((e) => e.has_otp && allows(e, "code")); // a team role may not show codes
  } catch {
    return openPicker(tab.id, { reason: "state" });
  }
  if (entries.length !== 1) {
    return openPicker(tab.id, { frameId, useContextTarget, reason: entries.length ? "several" : "none" });
  }
  const { code, ...result } = await fillEntry({ tabId: tab.id, entryId: entries[0].id, frameId, useContextTarget });
  void code; // an HOTP code made for the fill stays here
  if (result.filled) await badge(tab.id, "", "OTP Companion");
  else if (result.confirm) await badge(tab.id, "!", `OTP Companion: not filled, ${result.confirm.origin} is not this entry's site`);
  else await badge(tab.id, "!", `OTP Companion: ${result.refused ?? "no one-time-code field found on this page"}`);
  return { ...result, entryId: entries[0].id };
}

/** The keyboard shortcut (commands "fill-code", Alt+Shift+O): the best field in any frame. */
export function fillFromCommand(tab) {
  return fillFromGesture(tab);
}

/** The context-menu item on an editable field: that very field (the one right-clicked). */
export function fillFromContextMenu(info, tab) {
  if (info?.menuItemId !== "otpc-fill") return Promise.resolve({ skipped: true });
  return fillFromGesture(tab, { frameId: info.frameId ?? 0, useContextTarget: true });
}

ext.commands.onCommand.addListener((command, tab) => command === "fill-code" && fillFromCommand(tab));
ext.contextMenus.onClicked.addListener((info, tab) => fillFromContextMenu(info, tab));
ext.runtime.onInstalled.addListener(() => registerMenus());
ext.windows.onRemoved.addListener((id) => {
  if (id === pickerWindowId) pickerWindowId = undefined;
});
ext.alarms?.onAlarm.addListener((alarm) => alarm.name === CLEAR_ALARM && clearClipboardIfUnchanged());

// The path the listeners above take, reachable from the worker's console and from the e2e tests
// (`sw.evaluate("self.otpcTestHooks.fillFromCommand(tab)")`). Nothing here is reachable from pages.
globalThis.otpcTestHooks = { fillFromCommand, fillFromContextMenu, menuItems: () => structuredClone(MENU_ITEMS) };

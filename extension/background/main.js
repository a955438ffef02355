// The service worker: routes messages from our own pages, the keyboard shortcut and the context
// menu; decides which entries match a tab from the browser-supplied tab URL (never from the page).
import { ext } from "../lib/browser.js";
import { isWebPage, registrableDomain } from "../lib/domain.js";
import { getSettings, setSettings } from "../lib/settings.js";
import { scheduleClipboardClear, clearClipboardIfUnchanged } from "./clipboard.js";
import { api, pairingInfo, pairWith, sealFor, stateFromError, status, unpair, unsealFrom } from "./companion.js";
import { fillTab, hasField } from "./frames.js";

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
  return entry.has_otp && entry.otp?.type !== "hotp"; // HOTP codes are only made on request: each one uses up the counter
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

async function fillEntry({ tabId, entryId, frameId, useContextTarget }) {
  const { tab } = await tabSite(tabId);
  const code = await api("/v1/code", { entry_id: entryId });
  const { submitSites } = await getSettings();
  const submit = isWebPage(tab.url) && submitSites.includes(registrableDomain(tab.url));
  const result = await fillTab(tabId, code.code, { frameId, useContextTarget, submit });
  if (result.filled > 0) result.audited = await record(entryId, "fill");
  return { ...result, code: code.type === "hotp" ? code : undefined };
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
  probe: (m) => hasField(m.tabId),
  entries: async (m) => (await api("/v1/entries", m.search ? { search: String(m.search) } : {})).entries,
  code: (m) => api("/v1/code", { entry_id: m.entryId }),
  codes: (m) => codesFor(m.entries ?? []),
  fill: (m) => fillEntry(m),
  copied: async (m) => {
    const audited = await record(m.entryId, "copy");
    if ((await getSettings()).clearClipboard && typeof m.code === "string") await scheduleClipboardClear(m.code);
    return { audited };
  },
  api: (m) => callApi(m),
  getSettings: () => getSettings(),
  setSettings: (m) => setSettings(m.changes ?? {}),
};

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  // Only our own pages (popup, manage, options) talk to the service worker; content scripts never do.
  if (sender.id !== ext.runtime.id || !String(sender.url ?? "").startsWith(OWN_ORIGIN)) return false;
  const handler = HANDLERS[message?.op];
  if (!handler) return false;
  Promise.resolve()
    .then(() => handler(message))
    .then((value) => sendResponse({ ok: true, value }))
    .catch((err) => sendResponse({ ok: false, kind: err.kind ?? "error", error: err.message ?? String(err) }));
  return true;
});

// ---- keyboard shortcut and context menu ------------------------------------------------------

async function openPicker(tabId, extra = "") {
  const url = ext.runtime.getURL(`popup/popup.html?tab=${tabId}&mode=pick${extra}`);
  try {
    await ext.action.openPopup(); // the toolbar popup itself, where the browser allows it
  } catch {
    await ext.windows.create({ url, type: "popup", width: 400, height: 580 });
  }
}

async function fillFromGesture(tab, frameId, useContextTarget) {
  if (!tab?.id || !isWebPage(tab.url)) return;
  let entries;
  try {
    entries = (await matchesFor(tab.id)).entries.filter((e) => e.has_otp);
  } catch {
    await openPicker(tab.id); // the popup explains the state (not running / not paired / locked)
    return;
  }
  if (entries.length === 1) {
    await fillEntry({ tabId: tab.id, entryId: entries[0].id, frameId, useContextTarget });
  } else {
    // several matches: the user picks one, never a silent guess; none: the popup says so and offers search
    const extra = useContextTarget ? `&frame=${frameId}&context=1` : "";
    await openPicker(tab.id, extra);
  }
}

ext.commands.onCommand.addListener((command, tab) => {
  if (command === "fill-code") fillFromGesture(tab, undefined, false);
});

ext.runtime.onInstalled.addListener(() => {
  ext.contextMenus.create({ id: "otpc-fill", title: "Fill one-time code", contexts: ["editable"] }, () => {
    void ext.runtime.lastError; // created again after an update: ignore "duplicate id"
  });
});

ext.contextMenus.onClicked.addListener((info, tab) => {
  if (info.menuItemId === "otpc-fill") fillFromGesture(tab, info.frameId ?? 0, true);
});

ext.alarms?.onAlarm.addListener((alarm) => {
  if (alarm.name === "otpc-clear-clipboard") clearClipboardIfUnchanged();
});

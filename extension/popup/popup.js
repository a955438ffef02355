// The toolbar popup: the four states, then the codes for the site in front of you.
// ?tab=ID names the tab to work on (tests, the shortcut's picker window); otherwise the active tab.
// ?mode=pick: the shortcut or context menu found several entries and the user picks one.
import { ext } from "../lib/browser.js";
import { ask, commandLine, h, icon, toast } from "../lib/dom.js";
import { groupCode } from "../lib/format.js";
import { showCode, watchSkew } from "../lib/ticker.js";

const params = new URLSearchParams(location.search);
const pickMode = params.get("mode") === "pick";
if (pickMode) document.documentElement.classList.add("pick"); // a window of its own, not the toolbar popup
const contextFill = params.get("context") === "1";
const frameParam = params.has("frame") ? Number(params.get("frame")) : undefined;
const view = document.getElementById("view");
let tabId;
let firstCodePainted = false;

async function currentTabId() {
  if (params.has("tab")) return Number(params.get("tab"));
  const [tab] = await ext.tabs.query({ active: true, currentWindow: true });
  return tab?.id;
}

// Live codes of rows that leave the page stop on their own (the ticker drops disconnected rows).
function setView(...children) {
  view.replaceChildren(...children.filter(Boolean));
}

function markFirstCode() {
  if (firstCodePainted) return;
  firstCodePainted = true;
  requestAnimationFrame(() => {
    performance.mark("otpc-first-code");
    document.body.dataset.firstCode = String(performance.now());
  });
}

// ---- states --------------------------------------------------------------------------------

function renderNotRunning(st) {
  document.body.dataset.state = "not_running";
  setView(h("section", { class: "state" },
    h("div", { class: "state-icon off" }, icon("power")),
    h("h2", {}, "The companion is not running"),
    h("p", { class: "muted" }, `Nothing answers on 127.0.0.1:${st.port}. Start it in a terminal:`),
    commandLine(st.command ?? "otpc serve"),
    h("div", { class: "state-actions" },
      h("button", { class: "primary", onclick: start, id: "retry" }, "Try again"),
      h("button", { class: "ghost", onclick: () => ext.runtime.openOptionsPage() }, "Change port"))));
}

function renderNotPaired(st) {
  document.body.dataset.state = "not_paired";
  const input = h("input", { type: "text", id: "pair-code", placeholder: "XXXX-XXXX-XXXX", autocomplete: "off",
    spellcheck: "false", maxlength: "20", class: "pair-input", "aria-label": "Pairing code" });
  const error = h("p", { class: "error", id: "pair-error", role: "alert" });
  input.addEventListener("input", () => { error.textContent = ""; });
  const button = h("button", { class: "primary", type: "submit", id: "pair-submit" }, "Pair");
  const form = h("form", { class: "stack", onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = "";
    try {
      const next = await ask("pair", { code: input.value });
      toast("Paired with the companion", "ok");
      render(next);
    } catch (err) {
      error.textContent = err.message;
      button.disabled = false;
      input.select();
    }
  } }, h("label", { for: "pair-code", class: "step" }, h("b", {}, "2"), " Type the code it shows"), input, button, error);
  setView(h("section", { class: "state" },
    h("div", { class: "state-icon link" }, icon("link")),
    h("h2", {}, st.revoked ? "Pair this browser again" : "Pair this browser"),
    h("p", { class: "muted" }, st.revoked ? st.message
      : "The companion is running. Pair once so it knows this browser; codes then travel signed and encrypted."),
    h("p", { class: "step" }, h("b", {}, "1"), " In a terminal, run"),
    commandLine("otpc pair"),
    form));
  input.focus();
}

function renderLocked(st) {
  document.body.dataset.state = "locked";
  const input = h("input", { type: "password", id: "unlock-password", autocomplete: "current-password",
    placeholder: "Master password", "aria-label": "Master password" });
  const error = h("p", { class: "error", id: "unlock-error", role: "alert" });
  const button = h("button", { class: "primary", type: "submit", id: "unlock-submit" }, "Unlock");
  const canUnlock = st.unlockAllowed !== false;
  setView(h("section", { class: "state" },
    h("div", { class: "state-icon lock" }, icon("lock")),
    h("h2", {}, "The vault is locked"),
    canUnlock
      ? h("form", { class: "stack", onsubmit: async (event) => {
        event.preventDefault();
        button.disabled = true;
        error.textContent = "";
        try {
          await ask("unlock", { password: input.value });
          input.value = "";
          start();
        } catch (err) {
          error.textContent = err.kind === "http" ? "Wrong password." : err.message;
          button.disabled = false;
          input.select();
        }
      } }, input, button, error,
      h("p", { class: "muted small" }, "Sent to the companion encrypted with this browser's pairing key."))
      : h("p", { class: "muted" }, "Unlocking from the browser is switched off. Unlock in a terminal:"),
    h("p", { class: "muted small" }, canUnlock ? "Or in a terminal:" : ""),
    commandLine("otpc unlock")));
  if (canUnlock) input.focus();
}

function renderError(st) {
  document.body.dataset.state = "error";
  setView(h("section", { class: "state" }, h("h2", {}, "Something went wrong"),
    h("p", { class: "error" }, st.message ?? "Unknown error."),
    h("button", { class: "primary", onclick: start }, "Try again")));
}

// ---- ready ---------------------------------------------------------------------------------

function entryRow(entry, code) {
  const codeEl = h("div", { class: "code big", "aria-label": "Current code" });
  const secs = h("span", { class: "secs muted" });
  const bar = h("div", { class: "timebar", role: "presentation" }, h("span"));
  const isHotp = entry.otp?.type === "hotp";
  const act = (name, label, onclick, cls = "act") => h("button", { type: "button", class: cls, dataset: { act: name }, onclick }, label);
  const li = h("li", { class: `row${isHotp ? " hotp" : ""}`, tabindex: "0", role: "option", dataset: { entryId: entry.id } },
    h("div", { class: "row-main" },
      h("div", { class: "meta" },
        h("div", { class: "customer" }, entry.customer),
        h("div", { class: "title" }, entry.title),
        entry.username ? h("div", { class: "user muted" }, entry.username) : null),
      h("div", { class: "code-col" }, entry.has_otp ? [codeEl, secs] : h("span", { class: "muted small" }, "no OTP"))),
    entry.has_otp && !isHotp ? bar : null,
    h("div", { class: "actions" },
      entry.has_otp ? act("copy", "Copy", () => copy(entry, codeEl)) : null,
      entry.has_otp ? act("fill", "Fill", () => fill(entry, codeEl), "act primary") : null,
      isHotp ? act("next", "Next code", () => nextHotp(entry, codeEl, secs)) : null,
      act("details", "Details", () => details(entry), "act ghost")));
  if (isHotp) {
    // HOTP codes do not expire and each one uses up the counter: none is made until the user asks.
    codeEl.textContent = "\u2022\u2022\u2022 \u2022\u2022\u2022";
    codeEl.classList.add("concealed");
    codeEl.title = "HOTP: each new code uses up the counter. Next code, Copy or Fill makes one.";
    secs.textContent = "counter-based";
  } else if (entry.has_otp) {
    const refresh = () => ask("code", { entryId: entry.id, passive: true }); // nobody pressed anything
    if (code) {
      showCode({ code: codeEl, bar, secs }, code, refresh);
      markFirstCode();
    } else {
      codeEl.textContent = "\u2026";
      refresh().then((c) => {
        showCode({ code: codeEl, bar, secs }, c, refresh);
        markFirstCode();
      }, () => { codeEl.textContent = "unavailable"; });
    }
  }
  li.addEventListener("keydown", (event) => onRowKey(event, entry, codeEl));
  return li;
}

/** Show an HOTP code (it stays until the user asks for the next one). */
function showHotp(codeEl, secs, c) {
  codeEl.textContent = groupCode(c.code);
  codeEl.dataset.code = c.code;
  codeEl.classList.remove("concealed");
  if (secs) secs.textContent = c.counter === null || c.counter === undefined ? "no expiry" : `counter ${c.counter} \u00b7 no expiry`;
}

async function nextHotp(entry, codeEl, secs) {
  try {
    showHotp(codeEl, secs, await ask("code", { entryId: entry.id }));
  } catch (err) {
    toast(`No code: ${err.message}`, "bad");
  }
}

/** The code to copy: the one shown; for HOTP a new one only when none is shown yet. */
async function codeFor(entry, codeEl) {
  if (codeEl.dataset.code) return codeEl.dataset.code;
  const c = await ask("code", { entryId: entry.id });
  if (entry.otp?.type === "hotp") showHotp(codeEl, codeEl.nextElementSibling, c);
  return c.code;
}

async function copy(entry, codeEl) {
  try {
    const code = await codeFor(entry, codeEl);
    await navigator.clipboard.writeText(code);
    const { clearAfter } = await ask("copied", { entryId: entry.id, code });
    toast(clearAfter ? `Copied \u2014 cleared from the clipboard in ${clearAfter} s` : "Copied", "ok");
  } catch (err) {
    toast(`Could not copy: ${err.message}`, "bad");
  }
}

async function fill(entry, codeEl) {
  if (tabId === undefined) return toast("No page to fill.", "bad");
  try {
    const shown = entry.otp?.type === "hotp" ? codeEl.dataset.code : undefined;
    const request = { tabId, entryId: entry.id, frameId: frameParam, useContextTarget: contextFill, code: shown };
    let result = await ask("fill", request);
    if (result.confirm) {
      // The page (or the frame holding the field) is not the entry's site: the user decides, by name.
      if (!window.confirm(`Fill on ${result.confirm.origin} anyway?\n\nThat is not a site saved for \u201c${entry.title}\u201d.`)) {
        return toast(`Not filled: ${result.confirm.origin} is not this entry's site.`, "bad");
      }
      result = await ask("fill", { ...request, confirmed: result.confirm });
    }
    if (result.code) showHotp(codeEl, codeEl.nextElementSibling, result.code);
    if (result.refused) return toast(result.refused, "bad");
    if (!result.filled) return toast("No one-time-code field found on this page.", "bad");
    toast(result.submitted ? "Filled and submitted" : "Filled", "ok");
    if (pickMode || !params.has("tab")) setTimeout(() => window.close(), 350);
  } catch (err) {
    toast(`Could not fill: ${err.message}`, "bad");
  }
}

function onRowKey(event, entry, codeEl) {
  if (event.target !== event.currentTarget) return;
  if (event.key === "Enter" && entry.has_otp) {
    event.preventDefault();
    fill(entry, codeEl);
  } else if ((event.key === "c" && (event.ctrlKey || event.metaKey)) && entry.has_otp) {
    event.preventDefault();
    copy(entry, codeEl);
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    moveFocus(event.currentTarget, event.key === "ArrowDown" ? 1 : -1);
  }
}

function moveFocus(from, step) {
  const all = [...view.querySelectorAll("li.row")];
  const i = all.indexOf(from);
  const next = all[i + step];
  if (next) next.focus();
  else if (step < 0) document.getElementById("search")?.focus();
}

function renderReady(data) {
  document.body.dataset.state = "ready";
  const site = document.getElementById("site");
  site.textContent = data.domain ?? "";
  site.title = data.site ?? "";
  const matches = h("ul", { class: "rows", id: "matches", role: "listbox", "aria-label": "Entries for this site" },
    data.matches.map((e) => entryRow(e, data.codes?.[e.id])));
  const results = h("ul", { class: "rows", id: "results", role: "listbox", "aria-label": "Search results" });
  const search = h("input", { type: "search", id: "search", placeholder: "Search all entries", autocomplete: "off",
    "aria-label": "Search all entries" });
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch(search.value, results), 120);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      view.querySelector("li.row")?.focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      const first = view.querySelector("li.row");
      if (first) first.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    }
  });
  setView(...headingFor(data), matches, h("div", { class: "search" }, search), results);
  if (!data.matches.length || pickMode === false && !data.domain) search.focus();
  else view.querySelector("li.row")?.focus();
}

/** What the list is about; in the picker (shortcut, context menu) also why the user is asked. */
function headingFor(data) {
  const manageLink = h("button", { type: "button", class: "link", id: "open-manage-inline",
    onclick: () => ext.tabs.create({ url: ext.runtime.getURL("manage/manage.html") }) }, "add one on the manage page");
  if (!data.domain) return [h("p", { class: "empty" }, "This page has no site to match. Search below.")];
  if (!data.matches.length) {
    return [h("div", { class: "empty", id: "no-match" },
      h("p", { class: "no-match-title" }, `No entry for ${data.domain}`),
      h("p", {}, pickMode ? "Nothing was filled. Search all entries below and fill one, or " : "Search all entries below, or ",
        manageLink, "."))];
  }
  if (!pickMode) return [h("h3", { class: "section" }, `For ${data.domain}`)];
  return [h("div", { class: "pick-note", id: "pick-note" },
    h("p", { class: "pick-title" }, `${data.matches.length} ${data.matches.length === 1 ? "entry matches" : "entries match"} ${data.domain}`),
    h("p", { class: "muted small" }, "Pick the one to fill. Nothing is filled until you choose."))];
}

async function runSearch(text, results) {
  const term = text.trim();
  if (!term) return results.replaceChildren();
  try {
    const entries = await ask("entries", { search: term });
    const shown = entries.slice(0, 30);
    const codes = await ask("codes", { entries: shown.slice(0, 12) });
    const more = entries.length - shown.length;
    results.replaceChildren(...shown.map((e) => entryRow(e, codes[e.id])),
      ...(more > 0 ? [h("li", { class: "more muted" }, `${more} more \u2014 refine the search`)] : []));
    if (!entries.length) results.replaceChildren(h("li", { class: "empty" }, `Nothing matches \u201c${term}\u201d.`));
  } catch (err) {
    results.replaceChildren(h("li", { class: "error" }, err.message));
  }
}

// ---- details ---------------------------------------------------------------------------------

async function details(entry) {
  const codeEl = h("div", { class: "code big", id: "reveal-code" });
  const bar = h("div", { class: "timebar hidden" }, h("span"));
  const secs = h("span", { class: "secs muted" });
  const isHotp = entry.otp?.type === "hotp";
  const after = h("div", { class: "buttons hidden" },
    h("button", { type: "button", dataset: { act: "copy" }, onclick: () => copy(entry, codeEl) }, "Copy"),
    tabId === undefined ? null : h("button", { type: "button", class: "primary", dataset: { act: "fill" }, onclick: () => fill(entry, codeEl) }, "Fill"));
  const reveal = h("button", { type: "button", class: "primary", id: "reveal-otp", onclick: async () => {
    try {
      const c = await ask("code", { entryId: entry.id });
      after.classList.remove("hidden");
      if (isHotp) {
        showHotp(codeEl, secs, c);
        reveal.textContent = "Next code";
        return;
      }
      bar.classList.remove("hidden");
      showCode({ code: codeEl, bar, secs }, c, () => ask("code", { entryId: entry.id, passive: true }));
      reveal.classList.add("hidden");
    } catch (err) {
      toast(`No code: ${err.message}`, "bad");
    }
  } }, "Reveal OTP");
  const otp = entry.otp;
  const otpText = otp ? `${otp.type.toUpperCase()} \u00b7 ${otp.digits} digits${otp.type === "hotp" ? "" : ` \u00b7 ${otp.period} s`}` : "none";
  setView(
    h("button", { class: "ghost back", id: "back", onclick: start }, "\u2190 Back"),
    h("section", { class: "details", id: "details" },
      h("div", { class: "customer" }, entry.customer),
      h("h2", {}, entry.title),
      h("dl", {},
        h("dt", {}, "Username"), h("dd", { id: "detail-username" }, entry.username || "\u2014"),
        h("dt", {}, "URLs"), h("dd", { id: "detail-urls" }, entry.urls.length ? entry.urls.map((u) => h("div", {}, u)) : "\u2014"),
        h("dt", {}, "Notes"), h("dd", { class: "notes", id: "detail-notes" }, entry.notes || "\u2014"),
        h("dt", {}, "OTP"), h("dd", { id: "detail-otp" }, otpText)),
      entry.has_otp ? h("div", { class: "reveal" }, h("div", { class: "code-col" }, codeEl, secs), bar,
        h("div", { class: "buttons" }, reveal, after),
        isHotp ? h("p", { class: "muted small" }, "HOTP codes do not expire; every new code uses up the counter.") : null) : null));
  document.getElementById("reveal-otp")?.focus();
}

// ---- start -----------------------------------------------------------------------------------

function render(data) {
  if (data.state === "not_running") return renderNotRunning(data);
  if (data.state === "not_paired") return renderNotPaired(data);
  if (data.state === "locked") return renderLocked(data);
  if (data.state === "ready" && data.matches === undefined) return start();
  if (data.state === "ready") return renderReady(data);
  return renderError(data);
}

async function start() {
  try {
    tabId = tabId ?? await currentTabId();
    render(await ask("popupInit", { tabId }));
  } catch (err) {
    renderError({ message: err.message });
  }
}

/** The first screen: the answer early.js already asked for (one round trip, started in <head>). */
async function firstStart() {
  const early = await globalThis.OTPC_EARLY;
  if (!early) return start();
  tabId = early.tabId;
  const reply = await early.reply;
  document.body.dataset.timing = `${early.asked.toFixed(1)} ${(performance.now() - early.asked).toFixed(1)}`;
  if (!reply?.ok) return start();
  render(reply.value);
}

watchSkew((off) => {
  const el = document.getElementById("skew");
  el.textContent = off ? "This computer's clock differs from the companion's by more than 10 seconds; the countdown follows the companion." : "";
  el.classList.toggle("hidden", !off);
});
document.getElementById("open-manage").addEventListener("click", () => ext.tabs.create({ url: ext.runtime.getURL("manage/manage.html") }));
document.getElementById("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());
firstStart().catch((err) => renderError({ message: err.message }));

// The manage page (the seed's dashboard flows): customers → entries with search → OTP pop-up with the
// live code → details with "Reveal OTP" → edit the OTP secret → delete the OTP (with a clear warning).
// Read-only clients see no edit controls; the companion refuses their writes anyway.
import { ask, commandLine, h, icon, toast } from "../lib/dom.js";
import { groupCode } from "../lib/format.js";
import { showCode } from "../lib/ticker.js";

const main = document.getElementById("main");
const dialog = document.getElementById("dialog");
let customers = [];
let current = null; // the selected customer
let canWrite = false;

const apiCall = (path, body = {}) => ask("api", { path, body });

/** A line above the page: kind "info" for things the user should know, otherwise a problem. */
function notice(text, kind = "") {
  const el = document.getElementById("notice");
  el.textContent = text ?? "";
  el.classList.toggle("hidden", !text);
  el.classList.toggle("info", kind === "info");
}

function fail(err) {
  if (err.kind === "locked" || err.kind === "not_running" || err.kind === "unauthorized") {
    start().catch(() => toast(err.message, "bad")); // show the way back instead of a dead page
    return;
  }
  toast(err.message, "bad");
}

// ---- customers -------------------------------------------------------------------------------

async function loadCustomers(selectId) {
  customers = (await apiCall("/v1/customers")).customers;
  const list = document.getElementById("customers");
  list.replaceChildren(...customers.map((c) => h("li", {}, h("button", {
    type: "button", dataset: { customerId: c.id }, "aria-current": String(c.id === (selectId ?? current?.id)),
    onclick: () => selectCustomer(c),
  }, c.name))));
  const pick = customers.find((c) => c.id === (selectId ?? current?.id)) ?? customers[0];
  if (pick) await selectCustomer(pick);
  else main.replaceChildren(h("div", { class: "card empty" }, canWrite && !document.body.classList.contains("limited")
    ? "No customers yet. Add one on the left." : "No customers are visible to this browser."));
}

let shownRequest = 0; // a slow answer for an earlier click must not replace a newer view

async function selectCustomer(customer, search = "") {
  const request = ++shownRequest;
  current = customer;
  document.querySelectorAll("#customers button").forEach((b) => b.setAttribute("aria-current", String(b.dataset.customerId === customer.id)));
  const body = { customer_id: customer.id };
  if (search) body.search = search;
  const { entries } = await apiCall("/v1/entries", body);
  if (request !== shownRequest) return;
  const box = h("input", { type: "search", id: "entry-search", placeholder: "Search entries", value: search, "aria-label": "Search entries" });
  let timer;
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => selectCustomer(customer, box.value.trim()).then(() => {
      const again = document.getElementById("entry-search");
      again.focus();
      again.setSelectionRange(again.value.length, again.value.length);
    }), 200);
  });
  main.replaceChildren(
    h("div", { class: "toolbar" }, h("h2", {}, customer.name), box,
      h("button", { type: "button", class: "primary writable", id: "add-entry", onclick: () => entryForm(customer) }, "Add entry")),
    h("div", { class: "card" }, entries.length ? entryTable(entries)
      : h("div", { class: "empty" }, search ? `Nothing matches \u201c${search}\u201d.` : "No entries yet.")));
}

function entryTable(entries) {
  return h("table", { class: "entries" },
    h("thead", {}, h("tr", {}, h("th", {}, "Title"), h("th", {}, "Username"), h("th", {}, ""))),
    h("tbody", {}, entries.map((e) => h("tr", { dataset: { entryId: e.id } },
      h("td", {}, h("div", { class: "title" }, e.title), h("div", { class: "urls" }, e.urls.join(" \u00b7 "))),
      h("td", {}, e.username || h("span", { class: "muted" }, "\u2014")),
      h("td", { class: "act" },
        e.has_otp ? h("button", { type: "button", class: "otp-btn", dataset: { act: "otp" }, onclick: () => otpPopup(e) }, "OTP") : null,
        h("button", { type: "button", class: "ghost", dataset: { act: "details" }, onclick: () => details(e.id) }, "Details"))))));
}

// ---- OTP pop-up (current code + indicator line) ------------------------------------------------

async function otpPopup(entry) {
  let code;
  try {
    code = await ask("code", { entryId: entry.id });
  } catch (err) {
    return fail(err);
  }
  const isHotp = code.type === "hotp";
  const codeEl = h("div", { class: "code big", id: "otp-code" });
  const secs = h("span", { class: "muted", id: "otp-secs" });
  const bar = h("div", { class: "timebar", id: "otp-bar" }, h("span"));
  const next = h("button", { type: "button", id: "otp-next", onclick: async () => {
    try {
      showHotp(codeEl, secs, await ask("code", { entryId: entry.id }));
    } catch (err) {
      fail(err);
    }
  } }, "Next code");
  openDialog(h("h3", {}, `${entry.customer} / ${entry.title}`),
    h("div", { class: "otp-line" }, codeEl, secs), isHotp ? null : bar,
    isHotp ? h("p", { class: "hint" }, "HOTP codes do not expire; every new code uses up the counter.") : null,
    h("div", { class: "buttons" },
      isHotp ? next : null,
      h("button", { type: "button", onclick: () => copyShown(entry, codeEl) }, "Copy"),
      h("button", { type: "button", class: "primary", onclick: closeDialog }, "Close")));
  if (isHotp) showHotp(codeEl, secs, code);
  else showCode({ code: codeEl, bar, secs }, code, () => ask("code", { entryId: entry.id, passive: true }));
}

async function copyShown(entry, codeEl) {
  try {
    await navigator.clipboard.writeText(codeEl.dataset.code);
    const { clearAfter } = await ask("copied", { entryId: entry.id, code: codeEl.dataset.code });
    toast(clearAfter ? `Copied \u2014 cleared from the clipboard in ${clearAfter} s` : "Copied", "ok");
  } catch (err) {
    fail(err);
  }
}

/** An HOTP code: no countdown (it does not expire), the counter it was made from. */
function showHotp(codeEl, secs, c) {
  codeEl.textContent = groupCode(c.code);
  codeEl.dataset.code = c.code;
  secs.textContent = c.counter === null || c.counter === undefined ? "no expiry" : `counter ${c.counter} \u00b7 no expiry`;
}

function openDialog(...children) {
  dialog.replaceChildren(...children.filter(Boolean));
  if (!dialog.open) dialog.showModal();
}

function closeDialog() {
  dialog.close();
  dialog.replaceChildren();
}

// ---- details, reveal, edit, delete --------------------------------------------------------------

async function details(entryId) {
  shownRequest += 1;
  const { entry } = await apiCall("/v1/entry", { entry_id: entryId });
  const codeEl = h("div", { class: "code big", id: "reveal-code" });
  const secs = h("span", { class: "muted" });
  const bar = h("div", { class: "timebar hidden" }, h("span"));
  const isHotp = entry.otp?.type === "hotp";
  const reveal = h("button", { type: "button", id: "reveal-otp", onclick: async () => {
    let c;
    try {
      c = await ask("code", { entryId: entry.id });
    } catch (err) {
      return fail(err);
    }
    if (isHotp) {
      showHotp(codeEl, secs, c);
      reveal.textContent = "Next code";
      copyButton.classList.remove("hidden");
      return;
    }
    bar.classList.remove("hidden");
    showCode({ code: codeEl, bar, secs }, c, () => ask("code", { entryId: entry.id, passive: true }));
    reveal.classList.add("hidden");
    copyButton.classList.remove("hidden");
  } }, "Reveal OTP");
  const copyButton = h("button", { type: "button", class: "hidden", id: "copy-otp", onclick: () => copyShown(entry, codeEl) }, "Copy");
  const otp = entry.otp;
  main.replaceChildren(
    h("div", { class: "toolbar" },
      h("button", { type: "button", class: "ghost", onclick: () => selectCustomer(current) }, `\u2190 ${entry.customer}`),
      h("h2", {}, entry.title)),
    h("section", { class: "card details", id: "details" },
      h("dl", {},
        h("dt", {}, "Username"), h("dd", {}, entry.username || "\u2014"),
        h("dt", {}, "URLs"), h("dd", {}, entry.urls.length ? entry.urls.map((u) => h("div", {}, u)) : "\u2014"),
        h("dt", {}, "Notes"), h("dd", { style: "white-space: pre-wrap" }, entry.notes || "\u2014"),
        h("dt", {}, "OTP"), h("dd", { id: "otp-summary" }, otp
          ? `${otp.type.toUpperCase()} \u00b7 ${otp.algorithm} \u00b7 ${otp.digits} digits${otp.type === "hotp" ? "" : ` \u00b7 ${otp.period} s`}${otp.issuer ? ` \u00b7 ${otp.issuer}` : ""}`
          : "none")),
      h("div", { class: "otp-box" },
        otp ? h("div", { class: "otp-line" }, codeEl, secs) : null, otp ? bar : null,
        h("div", { class: "buttons" },
          otp ? reveal : null, otp ? copyButton : null,
          h("button", { type: "button", class: "primary writable", id: "edit-otp", onclick: () => otpForm(entry) }, otp ? "Edit OTP" : "Set up OTP"),
          otp ? h("button", { type: "button", class: "trash writable", id: "delete-otp", "aria-label": "Delete OTP", onclick: () => confirmDelete(entry) },
            icon("trash", 16), "Delete OTP") : null),
        isHotp ? h("p", { class: "hint" }, "HOTP: every code shown uses up the counter.") : null)));
}

function otpForm(entry) {
  const secret = h("input", { type: "text", id: "otp-secret", autocomplete: "off", spellcheck: "false",
    placeholder: "JBSWY3DPEHPK3PXP or otpauth://totp/\u2026", required: true });
  const hint = h("p", { class: "hint full", id: "otp-hint" }, "Paste the secret (base32) or the whole otpauth:// URI from the QR code.");
  const type = h("select", { id: "otp-type" }, ["totp", "hotp", "steam"].map((t) => h("option", { value: t, selected: t === (entry.otp?.type ?? "totp") }, t.toUpperCase())));
  const digits = h("input", { type: "number", id: "otp-digits", min: "6", max: "10", value: String(entry.otp?.digits ?? 6) });
  const period = h("input", { type: "number", id: "otp-period", min: "1", value: String(entry.otp?.period ?? 30) });
  const algorithm = h("select", { id: "otp-algorithm" }, ["SHA1", "SHA256", "SHA512"].map((a) => h("option", { value: a, selected: a === (entry.otp?.algorithm ?? "SHA1") }, a)));
  const error = h("p", { class: "error full", id: "otp-error", role: "alert" });
  secret.addEventListener("input", () => {
    const v = secret.value.trim();
    const isUri = /^otpauth:/i.test(v);
    const upper = !isUri && /[a-z]/.test(v);
    hint.textContent = isUri ? "otpauth URI: type, digits and period are taken from it."
      : upper ? "Lowercase letters will be converted to uppercase (base32 secrets are uppercase)."
        : "Paste the secret (base32) or the whole otpauth:// URI from the QR code.";
    hint.classList.toggle("info", isUri || upper);
  });
  const form = h("form", { class: "grid", id: "otp-form", onsubmit: async (event) => {
    event.preventDefault();
    const value = secret.value.trim();
    const body = /^otpauth:/i.test(value) ? { entry_id: entry.id, uri: value }
      : { entry_id: entry.id, secret: value.toUpperCase(), type: type.value, algorithm: algorithm.value,
        digits: Number(digits.value), period: Number(period.value) };
    const converted = !body.uri && value !== value.toUpperCase();
    try {
      const reply = await apiCall("/v1/otp/set", body);
      const words = [converted ? "Lowercase letters were converted to uppercase." : "", ...(reply.warnings ?? [])].filter(Boolean);
      toast(["OTP saved.", ...words].join(" "), "ok");
      await details(entry.id);
      if (words.length) notice(words.join(" "), "info");
    } catch (err) {
      error.textContent = err.message;
    }
  } },
  h("label", { for: "otp-secret" }, "Secret or URI"), secret, hint,
  h("label", { for: "otp-type" }, "Type"), type,
  h("label", { for: "otp-algorithm" }, "Algorithm"), algorithm,
  h("label", { for: "otp-digits" }, "Digits"), digits,
  h("label", { for: "otp-period" }, "Period (s)"), period,
  error,
  h("div", { class: "buttons full" },
    h("button", { type: "submit", class: "primary", id: "otp-save" }, "Save"),
    h("button", { type: "button", onclick: () => details(entry.id) }, "Cancel")));
  notice("");
  main.replaceChildren(h("div", { class: "toolbar" }, h("h2", {}, `${entry.otp ? "Edit" : "Set up"} OTP \u2014 ${entry.title}`)),
    h("section", { class: "card details" }, form));
  secret.focus();
}

function confirmDelete(entry) {
  openDialog(
    h("h3", {}, "Delete this OTP?"),
    h("p", {}, `${entry.customer} / ${entry.title}`),
    h("p", { id: "delete-warning" }, "This cannot be undone. The secret is erased from the vault and cannot be recovered \u2014 not by you, not by anyone."),
    h("p", { class: "muted" }, "Before deleting, make sure you can still reach the account: switch its two-factor login to another method, or keep its recovery codes."),
    h("div", { class: "buttons" },
      h("button", { type: "button", onclick: closeDialog }, "Cancel"),
      h("button", { type: "button", class: "danger", id: "confirm-delete", onclick: async () => {
        try {
          await apiCall("/v1/otp/delete", { entry_id: entry.id });
          closeDialog();
          toast("OTP deleted", "ok");
          await details(entry.id);
        } catch (err) {
          closeDialog();
          fail(err);
        }
      } }, "Delete OTP")));
}

function entryForm(customer) {
  const field = (id, label, attrs = {}) => [h("label", { for: id }, label), h("input", { type: "text", id, ...attrs })];
  const form = h("form", { class: "grid", id: "entry-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    const body = { customer_id: customer.id, title: v("entry-title"), username: v("entry-username"),
      urls: v("entry-urls").split(/[\s,]+/).filter(Boolean), notes: v("entry-notes") };
    try {
      const { entry } = await apiCall("/v1/entries/create", body);
      toast("Entry added", "ok");
      await details(entry.id);
    } catch (err) {
      fail(err);
    }
  } },
  ...field("entry-title", "Title", { required: true }), ...field("entry-username", "Username"),
  ...field("entry-urls", "URLs", { placeholder: "https://login.example.com" }), ...field("entry-notes", "Notes"),
  h("div", { class: "buttons full" }, h("button", { type: "submit", class: "primary", id: "entry-save" }, "Add entry"),
    h("button", { type: "button", onclick: () => selectCustomer(customer) }, "Cancel")));
  main.replaceChildren(h("div", { class: "toolbar" }, h("h2", {}, `New entry for ${customer.name}`)), h("section", { class: "card details" }, form));
  document.getElementById("entry-title").focus();
}

document.getElementById("add-customer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const input = document.getElementById("new-customer");
  try {
    const { customer } = await apiCall("/v1/customers/create", { name: input.value.trim() });
    input.value = "";
    await loadCustomers(customer.id);
  } catch (err) {
    fail(err);
  }
});

/** Says up front what this browser's pairing allows, so missing buttons are not a mystery. */
function scopeNote(canWrite, limited) {
  const text = !canWrite
    ? ["Read-only: this browser was paired with ", h("code", {}, "otpc pair --read-only"),
      ". It shows entries and codes; make changes in a read-write browser or with the otpc command."]
    : limited ? ["This browser sees only the customers its pairing names (", h("code", {}, "otpc pair --customers"),
      "); it may edit their entries but not add customers."] : [];
  const el = document.getElementById("scope-note");
  el.replaceChildren(...text);
  el.classList.toggle("hidden", !text.length);
}

// ---- when the companion is not ready: say what to do, and carry on by itself once it is -----------

const RECHECK_MS = 3000;
let recheck;

function waitingView(st) {
  const steps = st.state === "locked"
    ? [h("h2", {}, "The vault is locked"),
      st.unlockAllowed !== false ? unlockForm() : null,
      h("p", { class: "muted" }, st.unlockAllowed !== false ? "Or unlock it in a terminal:" : "Unlock it in a terminal:"),
      commandLine("otpc unlock")]
    : st.state === "not_paired"
      ? [h("h2", {}, "This browser is not paired"),
        h("p", { class: "muted" }, "Click the OTP Companion toolbar icon and type the code this command prints:"),
        commandLine("otpc pair")]
      : [h("h2", {}, "The companion is not running"),
        h("p", { class: "muted" }, st.message ?? "Start it in a terminal:"),
        commandLine(st.command ?? "otpc serve")];
  main.replaceChildren(h("section", { class: "waiting", id: "waiting", dataset: { state: st.state } }, ...steps,
    h("p", { class: "muted small" }, "This page carries on by itself once the companion is ready.")));
  document.body.dataset.state = st.state;
}

function unlockForm() {
  const input = h("input", { type: "password", id: "manage-unlock-password", autocomplete: "current-password",
    placeholder: "Master password", "aria-label": "Master password" });
  const error = h("p", { class: "error", id: "manage-unlock-error", role: "alert" });
  return h("form", { class: "unlock", onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const st = await ask("unlock", { password: input.value });
      input.value = "";
      if (st.state === "ready") await start();
      else error.textContent = st.message ?? "The vault is still locked.";
    } catch (err) {
      error.textContent = err.message;
      input.select();
    }
  } }, input, h("button", { class: "primary", type: "submit", id: "manage-unlock-submit" }, "Unlock"), error);
}

/** Check again every few seconds while the page is seen; the first ready answer starts the page. */
function waitUntilReady() {
  clearTimeout(recheck);
  recheck = setTimeout(async () => {
    if (document.visibilityState !== "visible") return waitUntilReady();
    const st = await ask("status").catch(() => ({ state: "error" }));
    if (st.state === "ready") start().catch(fail);
    else {
      if (document.body.dataset.state !== st.state) waitingView(st);
      waitUntilReady();
    }
  }, RECHECK_MS);
}

async function start() {
  clearTimeout(recheck);
  const st = await ask("status");
  if (st.state !== "ready") {
    waitingView(st);
    waitUntilReady();
    return;
  }
  document.body.dataset.state = "ready";
  canWrite = st.scope?.write !== false;
  const limited = Array.isArray(st.scope?.customers);
  document.body.classList.toggle("read-only", !canWrite);
  document.body.classList.toggle("limited", limited); // may not add customers (the companion refuses it)
  document.getElementById("who").textContent = [st.clientName, canWrite ? "" : "read-only",
    limited ? `${st.scope.customers.length} customer${st.scope.customers.length === 1 ? "" : "s"} only` : ""]
    .filter(Boolean).join(" \u00b7 ");
  scopeNote(canWrite, limited);
  await loadCustomers();
}

start().catch(fail);

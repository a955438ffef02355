// The manage page (the seed's dashboard flows): customers → entries with search → OTP pop-up with the
// live code → details with "Reveal OTP" → edit the OTP secret → delete the OTP (with a clear warning).
// Read-only clients see no edit controls; the companion refuses their writes anyway.
import { ask, h, icon, toast } from "../lib/dom.js";
import { showCode } from "../lib/ticker.js";

const main = document.getElementById("main");
const dialog = document.getElementById("dialog");
let customers = [];
let current = null; // the selected customer
let canWrite = false;

const apiCall = (path, body = {}) => ask("api", { path, body });

function notice(text) {
  const el = document.getElementById("notice");
  el.textContent = text ?? "";
  el.classList.toggle("hidden", !text);
}

function fail(err) {
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
  else main.replaceChildren(h("div", { class: "card empty" }, "No customers yet. Add one on the left."));
}

async function selectCustomer(customer, search = "") {
  current = customer;
  document.querySelectorAll("#customers button").forEach((b) => b.setAttribute("aria-current", String(b.dataset.customerId === customer.id)));
  const body = { customer_id: customer.id };
  if (search) body.search = search;
  const { entries } = await apiCall("/v1/entries", body);
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
  const code = await ask("code", { entryId: entry.id });
  const codeEl = h("div", { class: "code big", id: "otp-code" });
  const secs = h("span", { class: "muted", id: "otp-secs" });
  const bar = h("div", { class: "timebar", id: "otp-bar" }, h("span"));
  openDialog(h("h3", {}, `${entry.customer} / ${entry.title}`),
    h("div", { class: "otp-line" }, codeEl, secs), code.valid_until ? bar : null,
    h("div", { class: "buttons" },
      h("button", { type: "button", onclick: async () => {
        await navigator.clipboard.writeText(codeEl.dataset.code);
        await ask("copied", { entryId: entry.id, code: codeEl.dataset.code });
        toast("Copied", "ok");
      } }, "Copy"),
      h("button", { type: "button", class: "primary", onclick: closeDialog }, "Close")));
  showCode({ code: codeEl, bar, secs }, code, () => ask("code", { entryId: entry.id }));
}

function openDialog(...children) {
  dialog.replaceChildren(...children);
  if (!dialog.open) dialog.showModal();
}

function closeDialog() {
  dialog.close();
  dialog.replaceChildren();
}

// ---- details, reveal, edit, delete --------------------------------------------------------------

async function details(entryId) {
  const { entry } = await apiCall("/v1/entry", { entry_id: entryId });
  const codeEl = h("div", { class: "code big", id: "reveal-code" });
  const secs = h("span", { class: "muted" });
  const bar = h("div", { class: "timebar hidden" }, h("span"));
  const isHotp = entry.otp?.type === "hotp";
  const reveal = h("button", { type: "button", id: "reveal-otp", onclick: async () => {
    const c = await ask("code", { entryId: entry.id });
    if (isHotp) {
      codeEl.textContent = c.code;
      reveal.textContent = "Next code";
      return;
    }
    bar.classList.remove("hidden");
    showCode({ code: codeEl, bar, secs }, c, () => ask("code", { entryId: entry.id }));
    reveal.disabled = true;
  } }, "Reveal OTP");
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
          otp ? reveal : null,
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
      if (words.length) notice(words.join(" "));
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

async function start() {
  const st = await ask("status");
  if (st.state !== "ready") {
    notice(st.state === "locked" ? "The vault is locked: unlock it from the toolbar popup or with `otpc unlock`, then reload."
      : st.state === "not_paired" ? "This browser is not paired: open the toolbar popup and pair it with a code from `otpc pair`."
        : `The companion is not running: start it with \`${st.command ?? "otpc serve"}\`, then reload.`);
    return;
  }
  canWrite = st.scope?.write !== false;
  document.body.classList.toggle("read-only", !canWrite);
  document.getElementById("who").textContent = `${st.clientName ?? ""}${canWrite ? "" : " \u00b7 read-only"}`;
  await loadCustomers();
}

start().catch(fail);

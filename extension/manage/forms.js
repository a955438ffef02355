// Forms in the details pane: a new entry, and an entry's OTP (set up or edit). The secret is checked
// here first, so a mistake is named by its position in the text as typed (counting from 1, spaces
// included); the companion checks everything again.
import { h, toast } from "../lib/dom.js";
import { describeError, secretProblem } from "../lib/messages.js";
import { details } from "./details.js";
import { selectCustomer } from "./entries.js";
import { apiCall, clearDetail, fail, newRequest, notice, showDetail } from "./state.js";

const SECRET_HINT = "Paste the secret (base32, spaces are fine) or the whole otpauth:// URI from the QR code.";
// The companion's rule (protocol \u00a7 8, /v1/otp/set): 4-5 digit codes and secrets under 80 bits are
// easy to guess and saved only when asked for explicitly ("force": true), like `otpc otp set --force`.
const WEAK_LABEL = "Accept a weak code";
const WEAK_ASK = `Tick \u201c${WEAK_LABEL}\u201d to save it anyway.`;

/** A number field as wide as the longest value it takes (`chars` digits), not the whole column. */
function numberField(id, { min, max, value, chars }) {
  return h("input", { type: "number", id, min, max, value: String(value), class: "num", inputmode: "numeric",
    style: `width: calc(${chars}ch + 44px)` });
}

function row(label, input, id = input.id) {
  return h("div", { class: "field", dataset: { field: id } }, h("label", { for: id }, label), input);
}

export function otpForm(entry) {
  newRequest(); // an entries answer still on its way must not replace the form
  const otp = entry.otp ?? {};
  const secret = h("input", { type: "text", id: "otp-secret", autocomplete: "off", spellcheck: "false",
    placeholder: "JBSWY3DPEHPK3PXP or otpauth://totp/\u2026", required: true });
  const hint = h("p", { class: "hint full", id: "otp-hint" }, SECRET_HINT);
  const type = h("select", { id: "otp-type" }, ["totp", "hotp", "steam"].map((t) => h("option", { value: t, selected: t === (otp.type ?? "totp") }, t.toUpperCase())));
  const algorithm = h("select", { id: "otp-algorithm" }, ["SHA1", "SHA256", "SHA512"].map((a) => h("option", { value: a, selected: a === (otp.algorithm ?? "SHA1") }, a)));
  const digits = numberField("otp-digits", { min: 4, max: 10, value: otp.digits ?? 6, chars: 2 });
  const period = numberField("otp-period", { min: 1, max: 86400, value: otp.period ?? 30, chars: 5 });
  const counter = numberField("otp-counter", { min: 0, value: 0, chars: 8 });
  const error = h("p", { class: "error full", id: "otp-error", role: "alert" });
  const weak = h("input", { type: "checkbox", id: "otp-weak" });
  const weakRow = h("label", { class: "check full", id: "otp-weak-row" }, weak,
    ` ${WEAK_LABEL} (4\u20135 digits or a secret under 80 bits: easy to guess)`);
  let weakRefused = false; // the companion refused this OTP as weak: keep offering the choice
  const rows = { type: row("Type", type), algorithm: row("Algorithm", algorithm), digits: row("Digits", digits),
    period: row("Period (seconds)", period), counter: row("Counter", counter) };
  const steamNote = h("p", { class: "hint full", id: "steam-note" }, "Steam Guard codes are always 5 characters, SHA1, every 30 s.");
  const fromUri = () => /^\s*otpauth:/i.test(secret.value);
  // Only the fields that mean something for this type (and none when the URI says it all).
  const showFields = () => {
    const kind = type.value;
    const uri = fromUri();
    rows.type.classList.toggle("hidden", uri);
    rows.algorithm.classList.toggle("hidden", uri || kind === "steam");
    rows.digits.classList.toggle("hidden", uri || kind === "steam");
    rows.period.classList.toggle("hidden", uri || kind !== "totp");
    rows.counter.classList.toggle("hidden", uri || kind !== "hotp");
    steamNote.classList.toggle("hidden", uri || kind !== "steam");
    weakRow.classList.toggle("hidden", !(weakRefused || (!uri && looksWeak(kind, digits, secret.value))));
  };
  type.addEventListener("change", showFields);
  digits.addEventListener("input", showFields);
  secret.addEventListener("input", () => {
    error.textContent = "";
    const v = secret.value.trim();
    const uri = fromUri();
    const upper = !uri && /[a-z]/.test(v);
    hint.textContent = uri ? "otpauth URI: type, digits and period are taken from it."
      : upper ? "Lowercase letters will be converted to uppercase (base32 secrets are uppercase)." : SECRET_HINT;
    hint.classList.toggle("info", uri || upper);
    showFields();
  });
  const form = h("form", { class: "grid", id: "otp-form", novalidate: true, onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    const typed = secret.value;
    const uri = fromUri();
    const problem = uri ? null : secretProblem(typed, { short: weak.checked }) ?? numberProblem(type.value, { digits, period, counter }, weak.checked);
    if (problem) {
      error.textContent = !uri && looksWeak(type.value, digits, typed) && !weak.checked ? `${problem} ${WEAK_ASK}` : problem;
      showFields();
      return secret.focus();
    }
    const body = uri ? { entry_id: entry.id, uri: typed.trim() }
      : { entry_id: entry.id, secret: typed.trim().toUpperCase(), type: type.value, algorithm: algorithm.value,
        digits: Number(digits.value), period: Number(period.value), counter: Number(counter.value) };
    if (weak.checked) body.force = true;
    const converted = !uri && typed !== typed.toUpperCase();
    try {
      const reply = await apiCall("/v1/otp/set", body);
      const words = [converted ? "Lowercase letters were converted to uppercase." : "",
        ...(reply.warnings ?? []).map(describeError)].filter(Boolean);
      toast(["OTP saved.", ...words].join(" "), "ok");
      await details(entry.id);
      if (words.length) notice(words.join(" "), "info");
    } catch (err) {
      if (err.kind === "locked" || err.kind === "not_running" || err.kind === "unauthorized") return fail(err);
      if (err.kind === "weak_otp") {
        weakRefused = true;
        showFields();
        // The companion's words name its API field; here the choice is the box.
        error.textContent = `${describeError(String(err.message).replace(/\s*\(send "force".*\)\s*$/, ""))} ${WEAK_ASK}`;
        return;
      }
      error.textContent = describeError(err);
    }
  } },
  row("Secret or URI", secret), hint, rows.type, rows.algorithm, rows.digits, rows.period, rows.counter, steamNote,
  weakRow, error,
  h("div", { class: "buttons full" },
    h("button", { type: "submit", class: "primary", id: "otp-save" }, "Save"),
    h("button", { type: "button", onclick: () => details(entry.id) }, "Cancel")));
  notice("");
  showFields();
  showDetail(h("div", { class: "toolbar" }, h("h2", {}, `${entry.otp ? "Edit" : "Set up"} OTP \u2014 ${entry.title}`)),
    h("section", { class: "card details" }, form));
  secret.focus();
}

/** Would the companion refuse this as weak without "force"? (4-5 digits, or a secret under 80 bits) */
function looksWeak(kind, digits, typed) {
  const few = kind !== "steam" && Number(digits.value) >= 4 && Number(digits.value) < 6;
  return few || (secretProblem(typed) !== null && secretProblem(typed, { short: true }) === null);
}

/** The number fields, checked the way the companion will (one sentence, or null). */
function numberProblem(kind, { digits, period, counter }, weakAccepted) {
  const whole = (input) => input.value.trim() !== "" && Number.isInteger(Number(input.value));
  if (kind === "steam") return null;
  if (!whole(digits) || digits.value < 4 || digits.value > 10) return "Digits must be a whole number from 4 to 10.";
  if (digits.value < 6 && !weakAccepted) return `${digits.value}-digit codes are easy to guess; 6 or more are usual.`;
  if (kind === "totp" && (!whole(period) || period.value < 1 || period.value > 86400)) {
    return "The period must be a whole number of seconds from 1 to 86400.";
  }
  if (kind === "hotp" && (!whole(counter) || counter.value < 0)) return "The counter must be a whole number, 0 or more.";
  return null;
}

export function entryForm(customer) {
  newRequest();
  const field = (id, label, attrs = {}) => row(label, h("input", { type: "text", id, ...attrs }));
  const form = h("form", { class: "grid", id: "entry-form", onsubmit: async (event) => {
    event.preventDefault();
    const v = (id) => document.getElementById(id).value.trim();
    const body = { customer_id: customer.id, title: v("entry-title"), username: v("entry-username"),
      urls: v("entry-urls").split(/[\s,]+/).filter(Boolean), notes: v("entry-notes") };
    try {
      const { entry } = await apiCall("/v1/entries/create", body);
      toast("Entry added", "ok");
      await selectCustomer(customer, "", { keepDetail: true });
      await details(entry.id);
    } catch (err) {
      fail(err);
    }
  } },
  field("entry-title", "Title", { required: true }), field("entry-username", "Username"),
  field("entry-urls", "URLs", { placeholder: "https://login.example.com" }), field("entry-notes", "Notes"),
  h("div", { class: "buttons full" }, h("button", { type: "submit", class: "primary", id: "entry-save" }, "Add entry"),
    h("button", { type: "button", onclick: clearDetail }, "Cancel")));
  showDetail(h("div", { class: "toolbar" }, h("h2", {}, `New entry for ${customer.name}`)), h("section", { class: "card details" }, form));
  document.getElementById("entry-title").focus();
}

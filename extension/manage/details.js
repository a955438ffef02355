// The details pane: one entry in full, its code behind "Reveal OTP" (the seed's flow: this page is for
// managing entries, so a code is made only when asked for), edit and delete of the OTP.
import { h, icon, toast } from "../lib/dom.js";
import { CodeView } from "../lib/code-view.js";
import { closeDialog, openDialog } from "./dialog.js";
import { otpForm } from "./forms.js";
import { guarded, teamBadge } from "../lib/team-ui.js";
import { apiCall, clearDetail, fail, isLatest, markSelected, newRequest, showDetail } from "./state.js";

function otpSummary(otp) {
  if (!otp) return "none";
  return [otp.type.toUpperCase(), otp.algorithm, `${otp.digits} digits`, otp.type === "hotp" ? "" : `${otp.period} s`, otp.issuer]
    .filter(Boolean).join(" \u00b7 ");
}

export async function details(entryId) {
  const request = newRequest();
  let entry;
  try {
    ({ entry } = await apiCall("/v1/entry", { entry_id: entryId }));
  } catch (err) {
    return fail(err);
  }
  if (!isLatest(request)) return;
  markSelected(entry.id);
  const otp = entry.otp;
  const view = new CodeView(entry, { ids: { code: "reveal-code", secs: "reveal-secs" }, onError: fail });
  const copyButton = view.copyButton({ class: "hidden", id: "copy-otp" });
  const shownCode = h("div", { class: "shown-code hidden" }, view.code, view.indicator); // nothing until asked
  const reveal = h("button", { type: "button", id: "reveal-otp", onclick: async () => {
    if (!await view.request()) return;
    shownCode.classList.remove("hidden");
    copyButton.classList.remove("hidden");
    if (view.isHotp) reveal.textContent = "Next code";
    else reveal.classList.add("hidden");
  } }, "Reveal OTP"); // shows a code, never the secret: a team role needs "view"
  guarded(reveal, entry, "code");
  showDetail(
    h("div", { class: "toolbar" }, h("h2", { title: entry.title }, entry.title),
      h("button", { type: "button", class: "ghost close", "aria-label": "Close the details", onclick: () => { markSelected(null); clearDetail(); } }, "\u2715")),
    h("section", { class: "card details", id: "details" },
      h("div", { class: "customer" }, entry.customer, teamBadge(entry)),
      h("dl", {},
        h("dt", {}, "Username"), h("dd", {}, entry.username || "\u2014"),
        h("dt", {}, "URLs"), h("dd", {}, entry.urls.length ? entry.urls.map((u) => h("div", {}, u)) : "\u2014"),
        h("dt", {}, "Notes"), h("dd", { class: "notes" }, entry.notes || "\u2014"),
        h("dt", {}, "OTP"), h("dd", { id: "otp-summary" }, otpSummary(otp))),
      h("div", { class: "otp-box" },
        otp ? shownCode : null,
        h("div", { class: "buttons" },
          otp ? reveal : null, otp ? copyButton : null,
          guarded(h("button", { type: "button", class: "primary writable", id: "edit-otp", onclick: () => otpForm(entry) }, otp ? "Edit OTP" : "Set up OTP"), entry, "setOtp"),
          otp ? guarded(h("button", { type: "button", class: "trash writable", id: "delete-otp", "aria-label": "Delete OTP", onclick: () => confirmDelete(entry) },
            icon("trash", 16), "Delete OTP"), entry, "deleteOtp") : null),
        otp ? h("p", { class: "hint" }, view.isHotp
          ? "Codes show only when you ask. HOTP: every code shown uses up the counter."
          : "Codes show only when you ask: this page is for managing entries.") : null)));
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

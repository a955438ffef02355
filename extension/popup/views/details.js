// One entry in full. Codes follow the list's rule (lib/code-view.js): a time-based code is shown at
// once, the same one the list showed; an HOTP code only when asked for ("Next code").
import { h } from "../../lib/dom.js";
import { CodeView, WHY_SHOWN } from "../../lib/code-view.js";
import { fill } from "../fill.js";
import { popup, setView } from "../context.js";
import { allows, missing } from "../../lib/permissions.js";
import { teamBadge } from "../../lib/team-ui.js";

function otpSummary(otp) {
  if (!otp) return "none";
  return `${otp.type.toUpperCase()} \u00b7 ${otp.digits} digits${otp.type === "hotp" ? "" : ` \u00b7 ${otp.period} s`}`;
}

/** `from`: the CodeView of the row the user came from (its code is shown again, not made anew). */
export function renderDetails(entry, from) {
  const view = new CodeView(entry, { ids: { code: "reveal-code", secs: "reveal-secs" } });
  const codes = entry.has_otp && allows(entry, "code");
  const codeBlock = !entry.has_otp ? null : !codes
    ? h("p", { class: "muted small", id: "detail-no-access" }, missing(entry, "code"))
    : h("div", { class: "reveal", id: "detail-code" },
    view.code, view.indicator,
    h("div", { class: "actions" },
      popup.tabId === undefined ? null
        : h("button", { type: "button", class: "primary fill", dataset: { act: "fill" }, onclick: () => fill(entry, view) }, "Fill"),
      view.copyButton({ class: "act" }),
      view.nextButton({ class: "act", id: "reveal-otp" })),
    h("p", { class: "muted small why", id: "why-shown" }, view.isHotp ? WHY_SHOWN.hotp : WHY_SHOWN.totp));
  setView("ready",
    h("button", { class: "ghost back", id: "back", onclick: () => popup.restart() }, "\u2190 Back"),
    h("section", { class: "details", id: "details" },
      h("div", { class: "customer" }, entry.customer, teamBadge(entry)),
      h("h2", {}, entry.title),
      codeBlock,
      h("dl", {},
        h("dt", {}, "Username"), h("dd", { id: "detail-username" }, entry.username || "\u2014"),
        h("dt", {}, "URLs"), h("dd", { id: "detail-urls" }, entry.urls.length ? entry.urls.map((u) => h("div", {}, u)) : "\u2014"),
        h("dt", {}, "Notes"), h("dd", { class: "notes", id: "detail-notes" }, entry.notes || "\u2014"),
        h("dt", {}, "OTP"), h("dd", { id: "detail-otp" }, otpSummary(entry.otp)))));
  if (!codes) return document.getElementById("back").focus();
  const shown = from?.current();
  if (shown) view.show(shown);
  else view.auto();
  (document.querySelector("#details [data-act=fill]") ?? document.getElementById("back")).focus();
}

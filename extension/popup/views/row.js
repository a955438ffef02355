// One entry in the popup's list: who and what it is (the title wraps to two lines and carries the
// whole title as a tooltip), its code with the indicator line, and the actions, Fill the largest.
import { h } from "../../lib/dom.js";
import { CodeView, WHY_SHOWN } from "../../lib/code-view.js";
import { fill } from "../fill.js";
import { allows, missing } from "../../lib/permissions.js";
import { teamBadge } from "../../lib/team-ui.js";

/** The row for `entry`; `first` = its first CODE if the worker sent one; onDetails(entry, view). */
export function entryRow(entry, first, { onDetails, onMove, onShown }) {
  const view = new CodeView(entry, { onShown });
  // A team role without "view" gets no code at all (the companion would refuse it): no code, Fill or Copy.
  const codes = entry.has_otp && allows(entry, "code");
  const fillButton = codes
    ? h("button", { type: "button", class: "primary fill", dataset: { act: "fill" }, onclick: () => fill(entry, view) }, "Fill")
    : null;
  const li = h("li", { class: `row${view.isHotp ? " hotp" : ""}${entry.has_otp ? "" : " no-otp"}`, tabindex: "0",
    role: "option", dataset: { entryId: entry.id } },
  h("div", { class: "row-main" },
    h("div", { class: "meta" },
      h("div", { class: "customer" }, entry.customer, teamBadge(entry)),
      h("div", { class: "title", title: entry.title }, entry.title),
      entry.username ? h("div", { class: "user muted", title: entry.username }, entry.username) : null),
    codes ? view.code : h("span", { class: "muted small no-otp-label", title: entry.has_otp ? missing(entry, "code") : undefined },
      entry.has_otp ? "no access" : "no OTP")),
  codes ? view.indicator : null,
  h("div", { class: "actions" },
    fillButton,
    codes ? view.copyButton({ class: "act" }) : null,
    codes ? view.nextButton({ class: "act" }) : null,
    h("button", { type: "button", class: "act ghost", dataset: { act: "details" }, onclick: () => onDetails(entry, view) }, "Details")));
  if (codes) {
    view.auto(first);
    view.indicator.title = view.isHotp ? WHY_SHOWN.hotp : WHY_SHOWN.totp;
  }
  li.addEventListener("keydown", (event) => {
    if (event.target !== event.currentTarget) return;
    if (event.key === "Enter" && codes) {
      event.preventDefault();
      fill(entry, view);
    } else if (event.key === "c" && (event.ctrlKey || event.metaKey) && codes) {
      event.preventDefault();
      view.copy();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      onMove(li, event.key === "ArrowDown" ? 1 : -1);
    }
  });
  return li;
}

// One entry in the popup's list: who and what it is (the title wraps to two lines and carries the
// whole title as a tooltip), its code with the indicator line, and the actions, Fill the largest.
import { h } from "../../lib/dom.js";
import { CodeView, WHY_SHOWN } from "../../lib/code-view.js";
import { fill } from "../fill.js";

/** The row for `entry`; `first` = its first CODE if the worker sent one; onDetails(entry, view). */
export function entryRow(entry, first, { onDetails, onMove, onShown }) {
  const view = new CodeView(entry, { onShown });
  const fillButton = entry.has_otp
    ? h("button", { type: "button", class: "primary fill", dataset: { act: "fill" }, onclick: () => fill(entry, view) }, "Fill")
    : null;
  const li = h("li", { class: `row${view.isHotp ? " hotp" : ""}${entry.has_otp ? "" : " no-otp"}`, tabindex: "0",
    role: "option", dataset: { entryId: entry.id } },
  h("div", { class: "row-main" },
    h("div", { class: "meta" },
      h("div", { class: "customer" }, entry.customer),
      h("div", { class: "title", title: entry.title }, entry.title),
      entry.username ? h("div", { class: "user muted", title: entry.username }, entry.username) : null),
    entry.has_otp ? view.code : h("span", { class: "muted small no-otp-label" }, "no OTP")),
  entry.has_otp ? view.indicator : null,
  h("div", { class: "actions" },
    fillButton,
    entry.has_otp ? view.copyButton({ class: "act" }) : null,
    view.nextButton({ class: "act" }),
    h("button", { type: "button", class: "act ghost", dataset: { act: "details" }, onclick: () => onDetails(entry, view) }, "Details")));
  if (entry.has_otp) {
    view.auto(first);
    view.indicator.title = view.isHotp ? WHY_SHOWN.hotp : WHY_SHOWN.totp;
  }
  li.addEventListener("keydown", (event) => {
    if (event.target !== event.currentTarget) return;
    if (event.key === "Enter" && entry.has_otp) {
      event.preventDefault();
      fill(entry, view);
    } else if (event.key === "c" && (event.ctrlKey || event.metaKey) && entry.has_otp) {
      event.preventDefault();
      view.copy();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      onMove(li, event.key === "ArrowDown" ? 1 : -1);
    }
  });
  return li;
}

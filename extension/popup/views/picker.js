// What the list is about, above it. In the picker (the shortcut or the context menu found several
// entries, or none) also why the user is asked; the picker lists and counts only entries with an
// OTP, since only they can fill anything.
import { h } from "../../lib/dom.js";
import { count } from "../../lib/messages.js";
import { openManage, popup } from "../context.js";

/** The entries the list shows: in the picker only those with an OTP. */
export function listed(matches) {
  return popup.pickMode ? matches.filter((e) => e.has_otp) : matches;
}

export function headingFor(data) {
  const manageLink = h("button", { type: "button", class: "link", id: "open-manage-inline", onclick: openManage },
    "add one on the manage page");
  if (!data.domain) return [h("p", { class: "empty" }, "This page has no site to match. Search below.")];
  const withOtp = data.matches.filter((e) => e.has_otp).length;
  const shown = listed(data.matches).length;
  if (!shown) {
    return [h("div", { class: "empty", id: "no-match" },
      h("p", { class: "no-match-title" }, popup.pickMode && data.matches.length
        ? `No entry for ${data.domain} has a one-time code` : `No entry for ${data.domain}`),
      h("p", {}, popup.pickMode ? "Nothing was filled. Search all entries below and fill one, or " : "Search all entries below, or ",
        manageLink, "."))];
  }
  if (!popup.pickMode) return [h("h3", { class: "section" }, `For ${data.domain}`)];
  const without = data.matches.length - withOtp;
  return [h("div", { class: "pick-note", id: "pick-note" },
    h("p", { class: "pick-title", id: "pick-count" },
      `${count(withOtp, "entry", "entries")} with a one-time code ${withOtp === 1 ? "matches" : "match"} ${data.domain}`),
    h("p", { class: "muted small" }, "Pick the one to fill. Nothing is filled until you choose."),
    without ? h("p", { class: "muted small", id: "pick-without" },
      `${count(without, "entry", "entries")} without one ${without === 1 ? "is" : "are"} not listed.`) : null)];
}

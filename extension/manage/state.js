// What the manage page's parts share: the three panes, the selected customer, what this browser may
// do, and how a failed request is reported.
import { ask, toast } from "../lib/dom.js";
import { describeError } from "../lib/messages.js";

export const panes = {
  customers: document.getElementById("customers"),
  entries: document.getElementById("main"),
  detail: document.getElementById("detail"),
};

export const page = {
  customers: [],
  current: null, // the selected customer
  canWrite: false,
  /** Set by manage.js: check the companion's state again and show what fits it. */
  restart: async () => {},
};

export const apiCall = (path, body = {}) => ask("api", { path, body });

/** A line above the page: kind "info" for things the user should know, otherwise a problem. */
export function notice(text, kind = "") {
  const el = document.getElementById("notice");
  el.textContent = text ?? "";
  el.classList.toggle("hidden", !text);
  el.classList.toggle("info", kind === "info");
}

/** Report a failed request; when the companion stopped being ready, show the way back instead. */
export function fail(err) {
  if (err.kind === "locked" || err.kind === "not_running" || err.kind === "unauthorized") {
    page.restart().catch(() => toast(describeError(err), "bad"));
    return;
  }
  toast(describeError(err), "bad");
}

/** Show `children` in the details pane; in the stacked (narrow) layout bring it into view. */
export function showDetail(...children) {
  panes.detail.replaceChildren(...children.flat().filter(Boolean));
  panes.detail.classList.remove("placeholder");
  panes.detail.scrollIntoView({ block: "nearest" });
}

export function clearDetail() {
  panes.detail.replaceChildren(document.createTextNode("Pick an entry to see its details and its code."));
  panes.detail.classList.add("placeholder");
}

let latestRequest = 0; // a slow answer for an earlier click must not replace a newer view

/** Number a request for what a pane shows; only the latest one may paint. */
export function newRequest() {
  latestRequest += 1;
  return latestRequest;
}

export function isLatest(request) {
  return request === latestRequest;
}

/** Mark the entry whose details are open (null: none). */
export function markSelected(entryId) {
  panes.entries.querySelectorAll("tr[data-entry-id]").forEach((tr) => tr.setAttribute("aria-selected", String(tr.dataset.entryId === entryId)));
}

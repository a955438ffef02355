// The middle pane: the selected customer's entries, with search; a row opens its details beside it.
import { h } from "../lib/dom.js";
import { allows } from "../lib/permissions.js";
import { guarded, teamBadge } from "../lib/team-ui.js";
import { otpPopup } from "./dialog.js";
import { details } from "./details.js";
import { entryForm } from "./forms.js";
import { apiCall, clearDetail, isLatest, newRequest, page, panes } from "./state.js";

export async function selectCustomer(customer, search = "", { keepDetail = false } = {}) {
  const request = newRequest();
  page.current = customer;
  panes.customers.querySelectorAll("button").forEach((b) => b.setAttribute("aria-current", String(b.dataset.customerId === customer.id)));
  const body = { customer_id: customer.id };
  if (search) body.search = search;
  const { entries } = await apiCall("/v1/entries", body);
  if (!isLatest(request)) return;
  const box = h("input", { type: "search", id: "entry-search", placeholder: "Search entries", value: search, "aria-label": "Search entries" });
  let timer;
  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => selectCustomer(customer, box.value.trim(), { keepDetail: true }).then(() => {
      const again = document.getElementById("entry-search");
      again.focus();
      again.setSelectionRange(again.value.length, again.value.length);
    }), 200);
  });
  panes.entries.replaceChildren(
    h("div", { class: "toolbar" }, h("h2", {}, customer.name),
      guarded(h("button", { type: "button", class: "primary writable", id: "add-entry", onclick: () => entryForm(customer) }, "Add entry"), customer, "addEntry")),
    box,
    h("div", { class: "card" }, entries.length ? entryTable(entries)
      : h("div", { class: "empty" }, search ? `Nothing matches \u201c${search}\u201d.` : "No entries yet.")));
  if (!keepDetail) clearDetail();
}

function entryTable(entries) {
  return h("table", { class: "entries" },
    h("thead", {}, h("tr", {}, h("th", {}, "Title"), h("th", {}, "Username"), h("th", { class: "act" }, h("span", { class: "sr-only" }, "Actions")))),
    h("tbody", {}, entries.map((e) => h("tr", { dataset: { entryId: e.id }, "aria-selected": "false",
      onclick: (event) => { if (!event.target.closest("button")) details(e.id); } },
    h("td", {}, h("div", { class: "title", title: e.title }, e.title, teamBadge(e)), h("div", { class: "urls" }, e.urls.join(" \u00b7 "))),
    h("td", { class: "user" }, e.username || h("span", { class: "muted" }, "\u2014")),
    h("td", { class: "act" },
      e.has_otp ? guarded(h("button", { type: "button", class: "otp-btn", dataset: { act: "otp" }, onclick: () => otpPopup(e) }, "OTP"), e, "code") : null,
      h("button", { type: "button", class: "ghost", dataset: { act: "details" }, onclick: () => details(e.id) }, "Details"))))));
}

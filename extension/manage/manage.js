// The manage page (the seed's dashboard flows), three panes side by side when the window is wide:
// customers | entries with search (the OTP button opens the live code) | details with "Reveal OTP",
// editing and deleting the OTP. Read-only clients see no edit controls; the companion refuses their
// writes anyway. The panes stack when the window is narrow (manage.css).
import { ask, h } from "../lib/dom.js";
import { selectCustomer } from "./entries.js";
import { apiCall, clearDetail, fail, page, panes } from "./state.js";
import { stopWaiting, waitingView, waitUntilReady } from "./waiting.js";

async function loadCustomers(selectId) {
  page.customers = (await apiCall("/v1/customers")).customers;
  const wanted = selectId ?? page.current?.id;
  panes.customers.replaceChildren(...page.customers.map((c) => h("li", {}, h("button", {
    type: "button", dataset: { customerId: c.id }, "aria-current": String(c.id === wanted),
    onclick: () => selectCustomer(c),
  }, c.name))));
  const pick = page.customers.find((c) => c.id === wanted) ?? page.customers[0];
  if (pick) return selectCustomer(pick);
  panes.entries.replaceChildren(h("div", { class: "card empty" }, page.canWrite && !document.body.classList.contains("limited")
    ? "No customers yet. Add one with the form under the list." : "No customers are visible to this browser."));
  clearDetail();
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

async function start() {
  stopWaiting();
  const st = await ask("status");
  if (st.state !== "ready") {
    waitingView(st);
    waitUntilReady();
    return;
  }
  document.body.dataset.state = "ready";
  page.canWrite = st.scope?.write !== false;
  const limited = Array.isArray(st.scope?.customers);
  document.body.classList.toggle("read-only", !page.canWrite);
  document.body.classList.toggle("limited", limited); // may not add customers (the companion refuses it)
  document.getElementById("who").textContent = [st.clientName, page.canWrite ? "" : "read-only",
    limited ? `${st.scope.customers.length} customer${st.scope.customers.length === 1 ? "" : "s"} only` : ""]
    .filter(Boolean).join(" \u00b7 ");
  scopeNote(page.canWrite, limited);
  await loadCustomers();
}
page.restart = start;

start().catch(fail);

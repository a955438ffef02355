// The ready state: the entries for the site in front of you, then a search over all entries.
import { ask, h } from "../../lib/dom.js";
import { describeError } from "../../lib/messages.js";
import { popup, setView, viewElement } from "../context.js";
import { renderDetails } from "./details.js";
import { headingFor, listed } from "./picker.js";
import { entryRow } from "./row.js";

const SEARCH_SHOWN = 30; // rows listed for a search
const SEARCH_CODES = 12; // of which get their first code in the same round trip

let firstCodePainted = false;

/** The benchmark (bench/popup_latency.py) reads when the first code was painted. */
function markFirstCode() {
  if (firstCodePainted) return;
  firstCodePainted = true;
  requestAnimationFrame(() => {
    performance.mark("otpc-first-code");
    document.body.dataset.firstCode = String(performance.now());
  });
}

function moveFocus(from, step) {
  const all = [...viewElement().querySelectorAll("li.row")];
  const next = all[all.indexOf(from) + step];
  if (next) next.focus();
  else if (step < 0) document.getElementById("search")?.focus();
}

function row(entry, first) {
  return entryRow(entry, first, { onDetails: renderDetails, onMove: moveFocus, onShown: markFirstCode });
}

async function runSearch(text, results) {
  const term = text.trim();
  if (!term) return results.replaceChildren();
  try {
    const entries = await ask("entries", { search: term });
    const shown = entries.slice(0, SEARCH_SHOWN);
    const codes = await ask("codes", { entries: shown.slice(0, SEARCH_CODES) });
    const more = entries.length - shown.length;
    results.replaceChildren(...shown.map((e) => row(e, codes[e.id])),
      ...(more > 0 ? [h("li", { class: "more muted" }, `${more} more \u2014 refine the search`)] : []));
    if (!entries.length) results.replaceChildren(h("li", { class: "empty" }, `Nothing matches \u201c${term}\u201d.`));
  } catch (err) {
    results.replaceChildren(h("li", { class: "error" }, describeError(err)));
  }
}

export function renderReady(data) {
  const site = document.getElementById("site");
  site.textContent = data.domain ?? "";
  site.title = data.site ?? "";
  const matches = h("ul", { class: "rows", id: "matches", role: "listbox", "aria-label": "Entries for this site" },
    listed(data.matches).map((e) => row(e, data.codes?.[e.id])));
  const results = h("ul", { class: "rows", id: "results", role: "listbox", "aria-label": "Search results" });
  const search = h("input", { type: "search", id: "search", placeholder: "Search all entries", autocomplete: "off",
    "aria-label": "Search all entries" });
  let timer;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch(search.value, results), 120);
  });
  search.addEventListener("keydown", (event) => {
    const first = viewElement().querySelector("li.row");
    if (event.key === "ArrowDown") {
      event.preventDefault();
      first?.focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      first?.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    }
  });
  const view = setView("ready", headingFor(data), matches, h("div", { class: "search" }, search), results);
  const firstRow = view.querySelector("li.row");
  if (!firstRow || (!popup.pickMode && !data.domain)) search.focus();
  else firstRow.focus();
}

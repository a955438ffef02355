// States with nothing to show yet: the companion is not running, or something went wrong.
import { ext } from "../../lib/browser.js";
import { commandLine, h, icon } from "../../lib/dom.js";
import { sentence } from "../../lib/messages.js";
import { popup, setView } from "../context.js";

export function renderNotRunning(st) {
  setView("not_running", h("section", { class: "state" },
    h("div", { class: "state-icon off" }, icon("power")),
    h("h2", {}, "The companion is not running"),
    h("p", { class: "muted" }, `Nothing answers on 127.0.0.1:${st.port}. Start it in a terminal:`),
    commandLine(st.command ?? "otpc serve"),
    h("div", { class: "state-actions" },
      h("button", { class: "primary", onclick: () => popup.restart(), id: "retry" }, "Try again"),
      h("button", { class: "ghost", onclick: () => ext.runtime.openOptionsPage() }, "Change port"))));
}

export function renderError(st) {
  setView("error", h("section", { class: "state" }, h("h2", {}, "Something went wrong"),
    h("p", { class: "error" }, sentence(st.message ?? "Unknown error.")),
    h("button", { class: "primary", onclick: () => popup.restart() }, "Try again")));
}

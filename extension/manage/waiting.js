// When the companion is not ready (locked, not paired, not running): say what to do, offer the unlock
// form when unlocking over HTTP is allowed, and carry on by itself once it is ready (no "reload").
import { ask, commandLine, h } from "../lib/dom.js";
import { describeError } from "../lib/messages.js";
import { UNLOCK_SWITCHED_OFF, unlockErrorSentence } from "../lib/refusals.js";
import { page, panes } from "./state.js";

const RECHECK_MS = 3000;
let recheck;

export function waitingView(st) {
  const steps = st.state === "locked"
    ? [h("h2", {}, "The vault is locked"),
      st.unlockAllowed !== false ? unlockForm() : h("p", { class: "muted", id: "manage-unlock-off" }, UNLOCK_SWITCHED_OFF),
      h("p", { class: "muted" }, st.unlockAllowed !== false ? "Or unlock it in a terminal:" : "Unlock it in a terminal:"),
      commandLine("otpc unlock")]
    : st.state === "not_paired"
      ? [h("h2", {}, "This browser is not paired"),
        h("p", { class: "muted" }, "Click the OTP Companion toolbar icon and type the code this command prints:"),
        commandLine("otpc pair")]
      : [h("h2", {}, "The companion is not running"),
        h("p", { class: "muted" }, st.message ? describeError({ message: st.message }) : "Start it in a terminal:"),
        commandLine(st.command ?? "otpc serve")];
  panes.entries.replaceChildren(h("section", { class: "waiting", id: "waiting", dataset: { state: st.state } }, ...steps,
    h("p", { class: "muted small" }, "This page carries on by itself once the companion is ready.")));
  document.body.dataset.state = st.state;
}

function unlockForm() {
  const input = h("input", { type: "password", id: "manage-unlock-password", autocomplete: "current-password",
    placeholder: "Master password", "aria-label": "Master password" });
  const error = h("p", { class: "error", id: "manage-unlock-error", role: "alert" });
  return h("form", { class: "unlock", onsubmit: async (event) => {
    event.preventDefault();
    error.textContent = "";
    try {
      const st = await ask("unlock", { password: input.value });
      input.value = "";
      if (st.state === "ready") await page.restart();
      else error.textContent = describeError({ message: st.message ?? "The vault is still locked." });
    } catch (err) {
      error.textContent = unlockErrorSentence(err);
      input.select();
    }
  } }, input, h("button", { class: "primary", type: "submit", id: "manage-unlock-submit" }, "Unlock"), error);
}

/** Check again every few seconds while the page is seen; the first ready answer starts the page. */
export function waitUntilReady() {
  clearTimeout(recheck);
  recheck = setTimeout(async () => {
    if (document.visibilityState !== "visible") return waitUntilReady();
    const st = await ask("status").catch(() => ({ state: "error" }));
    if (st.state === "ready") page.restart();
    else {
      if (document.body.dataset.state !== st.state) waitingView(st);
      waitUntilReady();
    }
  }, RECHECK_MS);
}

export function stopWaiting() {
  clearTimeout(recheck);
}

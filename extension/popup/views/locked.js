// The vault is locked: unlock here (the password travels sealed) or in a terminal.
import { ask, commandLine, h, icon } from "../../lib/dom.js";
import { UNLOCK_SWITCHED_OFF, unlockErrorSentence } from "../../lib/refusals.js";
import { popup, setView } from "../context.js";

export function renderLocked(st) {
  const input = h("input", { type: "password", id: "unlock-password", autocomplete: "current-password",
    placeholder: "Master password", "aria-label": "Master password" });
  const error = h("p", { class: "error", id: "unlock-error", role: "alert" });
  const button = h("button", { class: "primary", type: "submit", id: "unlock-submit" }, "Unlock");
  const canUnlock = st.unlockAllowed !== false;
  const form = h("form", { class: "stack", onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = "";
    try {
      await ask("unlock", { password: input.value });
      input.value = "";
      popup.restart();
    } catch (err) {
      error.textContent = unlockErrorSentence(err);
      button.disabled = false;
      input.select();
    }
  } }, input, button, error,
  h("p", { class: "muted small" }, "Sent to the companion encrypted with this browser's pairing key."));
  setView("locked", h("section", { class: "state" },
    h("div", { class: "state-icon lock" }, icon("lock")),
    h("h2", {}, "The vault is locked"),
    canUnlock ? form : h("p", { class: "muted", id: "unlock-off" }, `${UNLOCK_SWITCHED_OFF} Unlock in a terminal:`),
    canUnlock ? h("p", { class: "muted small" }, "Or in a terminal:") : null,
    commandLine("otpc unlock")));
  if (canUnlock) input.focus();
}

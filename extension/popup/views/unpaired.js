// Not paired (or the pairing was revoked): the two steps, `otpc pair` and the code it prints.
import { ask, commandLine, h, icon, toast } from "../../lib/dom.js";
import { describeError, sentence } from "../../lib/messages.js";
import { setView } from "../context.js";

/** next(state): what to show once paired (popup.js's render). */
export function renderNotPaired(st, next) {
  const input = h("input", { type: "text", id: "pair-code", placeholder: "XXXX-XXXX-XXXX", autocomplete: "off",
    spellcheck: "false", maxlength: "20", class: "pair-input", "aria-label": "Pairing code" });
  const error = h("p", { class: "error", id: "pair-error", role: "alert" });
  input.addEventListener("input", () => { error.textContent = ""; });
  const button = h("button", { class: "primary", type: "submit", id: "pair-submit" }, "Pair");
  const form = h("form", { class: "stack", onsubmit: async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = "";
    try {
      const state = await ask("pair", { code: input.value });
      toast("Paired with the companion", "ok");
      next(state);
    } catch (err) {
      error.textContent = describeError(err);
      button.disabled = false;
      input.select();
    }
  } }, h("label", { for: "pair-code", class: "step" }, h("b", {}, "2"), " Type the code it shows"), input, button, error);
  setView("not_paired", h("section", { class: "state" },
    h("div", { class: "state-icon link" }, icon("link")),
    h("h2", {}, st.revoked ? "Pair this browser again" : "Pair this browser"),
    h("p", { class: "muted" }, st.revoked ? sentence(st.message)
      : "The companion is running. Pair once so it knows this browser; codes then travel signed and encrypted."),
    h("p", { class: "step" }, h("b", {}, "1"), " In a terminal, run"),
    commandLine("otpc pair"),
    form));
  input.focus();
}

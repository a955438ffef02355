// The page's one modal dialog: the OTP pop-up (the live code with its indicator line, the seed's
// "OTP" button) and the delete confirmation.
import { h } from "../lib/dom.js";
import { CodeView } from "../lib/code-view.js";
import { fail } from "./state.js";

const dialog = document.getElementById("dialog");

export function openDialog(...children) {
  dialog.replaceChildren(...children.filter(Boolean));
  if (!dialog.open) dialog.showModal();
}

export function closeDialog() {
  dialog.close();
  dialog.replaceChildren();
}

/** The OTP button: asking for it is the request, so the code is made and shown at once. */
export async function otpPopup(entry) {
  const view = new CodeView(entry, { ids: { code: "otp-code", secs: "otp-secs", bar: "otp-bar" }, onError: fail });
  const first = await view.request();
  if (!first) return;
  openDialog(h("h3", {}, `${entry.customer} / ${entry.title}`),
    view.code, view.indicator,
    view.isHotp ? h("p", { class: "hint" }, "HOTP codes do not expire; every new code uses up the counter.") : null,
    h("div", { class: "buttons" },
      view.nextButton({ id: "otp-next" }),
      view.copyButton(),
      h("button", { type: "button", class: "primary", onclick: closeDialog }, "Close")));
}

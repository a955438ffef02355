// One code on screen, built the same way wherever it appears (popup rows, the popup's details view,
// the manage page's OTP pop-up and details): the code, its indicator line (the countdown bar with the
// seconds left beside it; for HOTP the counter it was made from), Copy, and HOTP's "Next code".
//
// When a code is shown (the one rule, said in WHY_SHOWN): a time-based code as soon as its entry is on
// screen where the user asked for codes; it is the same code in every view and is gone in a period.
// A counter-based (HOTP) code only when the user asks, because making one uses up the counter.
import { ask, h, toast } from "./dom.js";
import { describeError } from "./messages.js";
import { groupCode } from "./format.js";
import { showCode } from "./ticker.js";

export const CONCEALED = "\u2022\u2022\u2022 \u2022\u2022\u2022";
export const WHY_SHOWN = {
  totp: "Time-based codes show at once: the same code everywhere, gone when the bar runs out.",
  hotp: "Counter-based (HOTP): each new code uses up the counter, so none is made until you ask.",
};

/** "counter 3 · no expiry" for an HOTP CODE from the companion. */
export function hotpLabel(result) {
  return result.counter === null || result.counter === undefined ? "no expiry" : `counter ${result.counter} \u00b7 no expiry`;
}

export class CodeView {
  /**
   * entry: {id, otp: {type}} as the companion lists it. ids: optional element ids {code, secs, bar}.
   * onError(err, what): how this page reports a failed request (default: a toast).
   * onShown(): called each time a code is painted (the popup marks its first one for the benchmark).
   */
  constructor(entry, { ids = {}, onError, onShown } = {}) {
    this.onShown = onShown;
    this.entry = entry;
    this.isHotp = entry.otp?.type === "hotp";
    this.onError = onError ?? ((err, what) => toast(`${what}: ${describeError(err)}`, "bad"));
    this.code = h("div", { class: "code big", id: ids.code, "aria-label": "Current code" });
    this.secs = h("span", { class: "secs", id: ids.secs });
    this.bar = this.isHotp ? null : h("div", { class: "timebar", id: ids.bar, role: "presentation" }, h("span"));
    this.indicator = h("div", { class: "indicator" }, this.bar, this.secs);
  }

  /** The code on screen now ("" when none is). */
  shown() {
    return this.code.dataset.code ?? "";
  }

  /** Show a CODE from the companion: TOTP/Steam stay live (the ticker refreshes them), HOTP stays put. */
  show(result) {
    this.result = result;
    this.code.classList.remove("concealed");
    this.code.removeAttribute("title");
    if (this.isHotp) {
      this.code.textContent = groupCode(result.code);
      this.code.dataset.code = result.code;
      this.secs.textContent = hotpLabel(result);
      this.onShown?.();
      return;
    }
    this.bar.classList.remove("hidden");
    const refresh = () => ask("code", { entryId: this.entry.id, passive: true }); // nobody pressed anything
    this.ticker?.stop();
    this.ticker = showCode({ code: this.code, bar: this.bar, secs: this.secs }, result, refresh);
    this.onShown?.();
  }

  /** The CODE on screen now, for another view of the same entry (null when none is). */
  current() {
    if (!this.shown()) return null;
    return this.ticker ? this.ticker.current() : this.result;
  }

  /** Nothing shown yet: dots, and the reason in words. */
  conceal(label = this.isHotp ? "counter-based" : "") {
    this.code.textContent = CONCEALED;
    this.code.classList.add("concealed");
    this.code.title = this.isHotp ? WHY_SHOWN.hotp : "";
    delete this.code.dataset.code;
    this.secs.textContent = label;
    this.bar?.classList.add("hidden");
  }

  /**
   * A time-based code without anybody asking (the popup lists the site's entries): `first` if the
   * companion already sent it, otherwise fetched passively. HOTP entries stay concealed.
   */
  auto(first) {
    if (this.isHotp) return this.conceal();
    if (first) return this.show(first);
    this.code.textContent = "\u2026";
    return ask("code", { entryId: this.entry.id, passive: true })
      .then((c) => this.show(c), () => { this.code.textContent = "unavailable"; });
  }

  /** The user asked for a code (Reveal OTP, Next code): a new one from the companion. */
  async request() {
    try {
      const c = await ask("code", { entryId: this.entry.id });
      this.show(c);
      return c;
    } catch (err) {
      this.onError(err, "No code");
      return null;
    }
  }

  /** The code to copy or fill: the one on screen; otherwise a new one, shown too. */
  async codeForUse() {
    if (this.shown()) return this.shown();
    const c = await ask("code", { entryId: this.entry.id });
    this.show(c);
    return c.code;
  }

  async copy() {
    try {
      const code = await this.codeForUse();
      await navigator.clipboard.writeText(code);
      const { clearAfter } = await ask("copied", { entryId: this.entry.id, code });
      toast(clearAfter ? `Copied \u2014 cleared from the clipboard in ${clearAfter} s` : "Copied", "ok");
    } catch (err) {
      this.onError(err, "Could not copy");
    }
  }

  copyButton(attrs = {}) {
    return h("button", { type: "button", dataset: { act: "copy" }, ...attrs, onclick: () => this.copy() }, "Copy");
  }

  /** HOTP only: "Next code" makes the next one (and uses up the counter). */
  nextButton(attrs = {}) {
    return this.isHotp ? h("button", { type: "button", dataset: { act: "next" }, ...attrs, onclick: () => this.request() }, "Next code") : null;
  }
}

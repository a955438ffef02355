// The Fill action: the worker finds the field (in the frame whose origin belongs to the entry) and
// fills it; another origin is filled only after the user names it in a confirmation.
import { ask, toast } from "../lib/dom.js";
import { describeError } from "../lib/messages.js";
import { popup } from "./context.js";

/** Fill the entry's code into the popup's tab; `view` is the entry's CodeView (its HOTP code is reused). */
export async function fill(entry, view) {
  if (popup.tabId === undefined) return toast("No page to fill.", "bad");
  try {
    const shown = view.isHotp ? view.shown() || undefined : undefined;
    const request = { tabId: popup.tabId, entryId: entry.id, frameId: popup.frameParam,
      useContextTarget: popup.contextFill, code: shown };
    let result = await ask("fill", request);
    if (result.confirm) {
      // The page (or the frame holding the field) is not the entry's site: the user decides, by name.
      if (!window.confirm(`Fill on ${result.confirm.origin} anyway?\n\nThat is not a site saved for \u201c${entry.title}\u201d.`)) {
        return toast(`Not filled: ${result.confirm.origin} is not this entry's site.`, "bad");
      }
      result = await ask("fill", { ...request, confirmed: result.confirm });
    }
    if (result.code) view.show(result.code); // an HOTP code made for this fill: show it, it is used up
    if (result.refused) return toast(`Not filled. ${describeError(result.refused)}`, "bad");
    if (!result.filled) return toast("No one-time-code field found on this page.", "bad");
    toast(result.submitted ? "Filled and submitted" : "Filled", "ok");
    if (popup.pickMode || !popup.namedTab) setTimeout(() => window.close(), 350);
  } catch (err) {
    toast(`Could not fill: ${describeError(err)}`, "bad");
  }
}

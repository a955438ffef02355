// The toolbar popup: picks the view for the companion's state (views/), starting from the answer
// early.js asked for before the modules loaded.
import { ext } from "../lib/browser.js";
import { ask } from "../lib/dom.js";
import { describeError } from "../lib/messages.js";
import { watchSkew } from "../lib/ticker.js";
import { currentTabId, openManage, popup } from "./context.js";
import { renderLocked } from "./views/locked.js";
import { renderReady } from "./views/matches.js";
import { renderError, renderNotRunning } from "./views/offline.js";
import { renderNotPaired } from "./views/unpaired.js";

if (popup.pickMode) document.documentElement.classList.add("pick"); // a window of its own, not the toolbar popup

function render(data) {
  if (data.state === "not_running") return renderNotRunning(data);
  if (data.state === "not_paired") return renderNotPaired(data, render);
  if (data.state === "locked") return renderLocked(data);
  if (data.state === "ready" && data.matches === undefined) return start();
  if (data.state === "ready") return renderReady(data);
  return renderError(data);
}

async function start() {
  try {
    popup.tabId = popup.tabId ?? await currentTabId();
    render(await ask("popupInit", { tabId: popup.tabId }));
  } catch (err) {
    renderError({ message: describeError(err) });
  }
}
popup.restart = start;

/** The first screen: the answer early.js already asked for (one round trip, started in <head>). */
async function firstStart() {
  const early = await globalThis.OTPC_EARLY;
  if (!early) return start();
  popup.tabId = early.tabId;
  const reply = await early.reply;
  document.body.dataset.timing = `${early.asked.toFixed(1)} ${(performance.now() - early.asked).toFixed(1)}`;
  if (!reply?.ok) return start();
  render(reply.value);
}

watchSkew((off) => {
  const el = document.getElementById("skew");
  el.textContent = off ? "This computer's clock differs from the companion's by more than 10 seconds; the countdown follows the companion." : "";
  el.classList.toggle("hidden", !off);
});
document.getElementById("open-manage").addEventListener("click", openManage);
document.getElementById("open-options").addEventListener("click", () => ext.runtime.openOptionsPage());
firstStart().catch((err) => renderError({ message: describeError(err) }));

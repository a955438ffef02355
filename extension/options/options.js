// Settings: companion port, pairing status and unpair, clipboard clearing (on/off, delay), "submit after fill" sites.
import { ask, h, toast } from "../lib/dom.js";
import { shortDate } from "../lib/format.js";
import { registrableDomain } from "../lib/domain.js";
import { describeError } from "../lib/messages.js";

const $ = (id) => document.getElementById(id);

async function showPairing() {
  const info = await ask("pairingInfo");
  const box = $("pairing");
  if (!info) {
    box.replaceChildren("Not paired. Run ", h("code", {}, "otpc pair"), " and type the code in the toolbar popup.");
    $("unpair").classList.add("hidden");
    return;
  }
  const scope = info.scope?.write === false ? "read-only" : "read-write";
  const customers = info.scope?.customers ? `${info.scope.customers.length} customer(s)` : "all customers";
  box.replaceChildren(h("div", { id: "pairing-name" }, h("b", {}, info.clientName)),
    h("div", {}, `Paired on ${shortDate(info.pairedAt)} \u00b7 ${scope} \u00b7 ${customers}`),
    h("div", { class: "small" }, `Client id ${info.clientId}`));
  $("unpair").classList.remove("hidden");
}

function showSites(sites) {
  $("submit-sites").replaceChildren(...(sites.length ? sites.map((site) => h("li", {}, site,
    h("button", { type: "button", class: "ghost", "aria-label": `Remove ${site}`, onclick: async () => {
      const s = await ask("getSettings");
      showSites((await ask("setSettings", { changes: { submitSites: s.submitSites.filter((x) => x !== site) } })).submitSites);
    } }, "Remove"))) : [h("li", { class: "muted" }, "No sites: codes are filled, never submitted.")]));
}

async function init() {
  const s = await ask("getSettings");
  $("port").value = s.port;
  $("clear-clipboard").checked = s.clearClipboard;
  $("clipboard-seconds").value = s.clipboardSeconds;
  $("clipboard-seconds").disabled = !s.clearClipboard;
  showSites(s.submitSites);
  await showPairing();
}

$("port-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const s = await ask("setSettings", { changes: { port: $("port").value } });
    toast(`Saved: the extension now talks to 127.0.0.1:${s.port}`, "ok");
  } catch (err) {
    toast(describeError(err), "bad");
  }
});
$("clear-clipboard").addEventListener("change", async (event) => {
  const s = await ask("setSettings", { changes: { clearClipboard: event.target.checked } });
  $("clipboard-seconds").disabled = !s.clearClipboard;
  toast(s.clearClipboard ? `Copied codes are cleared after ${s.clipboardSeconds} s` : "Copied codes stay on the clipboard", "ok");
});
$("clipboard-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const s = await ask("setSettings", { changes: { clipboardSeconds: $("clipboard-seconds").value } });
    toast(`Copied codes are cleared after ${s.clipboardSeconds} s`, "ok");
  } catch (err) {
    toast(describeError(err), "bad");
  }
});
$("site-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const site = registrableDomain($("site").value);
  if (!site) return toast("Type a site such as example.com", "bad");
  const s = await ask("getSettings");
  showSites((await ask("setSettings", { changes: { submitSites: [...s.submitSites, site] } })).submitSites);
  $("site").value = "";
});
$("unpair").addEventListener("click", async () => {
  if (!confirm("Unpair this browser? It forgets its keys; to use it again, pair with a new \u201cotpc pair\u201d code. (To revoke it on the companion too: \u201cotpc clients revoke\u201d.)")) return;
  await ask("unpair");
  await showPairing();
});
init();

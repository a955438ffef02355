// Starts the popup's one round trip to the service worker before the page and its modules have
// loaded (a classic script in <head> runs at once); popup.js picks up the answer.
(() => {
  const ext = globalThis.browser ?? globalThis.chrome;
  const params = new URLSearchParams(location.search);
  const tab = params.has("tab")
    ? Promise.resolve(Number(params.get("tab")))
    : ext.tabs.query({ active: true, currentWindow: true }).then(([t]) => t?.id);
  globalThis.OTPC_EARLY = tab.then((tabId) => ({
    tabId,
    asked: performance.now(),
    reply: ext.runtime.sendMessage({ op: "popupInit", tabId }),
  }));
})();

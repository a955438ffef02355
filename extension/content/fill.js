// Puts a code into the page's fields so that frameworks notice, and answers the service worker.
// Listens only to our own extension (sender.id); never reads or forwards page messages.
// A classic script loaded after detect.js; fills only when the service worker asks, which happens
// only after a user action (popup button, keyboard shortcut, context menu). The worker finds the field
// itself (background/frames.js runs detect.js's findTarget in every frame), so "otpc-fill" is the one
// message this script answers.
(() => {
  "use strict";
  if (globalThis.OTPC_FILL_LOADED) return;
  globalThis.OTPC_FILL_LOADED = true;
  const ext = globalThis.browser ?? globalThis.chrome;
  const detect = globalThis.OTPC_DETECT;
  let lastContextTarget = null;

  // The element the user right-clicked, for the context-menu item "Fill one-time code".
  document.addEventListener("contextmenu", (event) => {
    const path = event.composedPath ? event.composedPath() : [event.target];
    lastContextTarget = path.find((n) => n instanceof HTMLInputElement || n instanceof HTMLTextAreaElement) ?? null;
  }, true);

  function setNativeValue(el, value) {
    const proto = Object.getPrototypeOf(el);
    const setter = Object.getOwnPropertyDescriptor(proto, "value")?.set
      ?? Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
    setter.call(el, value);
  }

  function key(el, type, ch) {
    el.dispatchEvent(new KeyboardEvent(type, {
      key: ch, code: /\d/.test(ch) ? `Digit${ch}` : `Key${ch.toUpperCase()}`, bubbles: true,
      cancelable: true, composed: true,
    }));
  }

  function typeInto(el, value) {
    el.focus({ preventScroll: true });
    const last = value.slice(-1) || "0";
    key(el, "keydown", last);
    key(el, "keypress", last);
    setNativeValue(el, value);
    el.dispatchEvent(new InputEvent("input", {
      bubbles: true, composed: true, inputType: "insertText", data: value,
    }));
    key(el, "keyup", last);
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function fillElements(elements, code) {
    if (elements.length === 1) {
      typeInto(elements[0], code);
    } else {
      const chars = [...code];
      elements.slice(0, chars.length).forEach((el, i) => typeInto(el, chars[i]));
    }
    elements[Math.min(elements.length, code.length) - 1]?.blur();
    return elements.length;
  }

  // A code that does not fit the boxes is refused, never cut: 6 digits into Steam's 5 boxes would
  // send a wrong code and lock the account sooner.
  function lengthMismatch(target, code) {
    const what = /^[0-9]+$/.test(code) ? "digits" : "characters";
    const count = [...code].length;
    if (target.kind === "split" && target.elements.length !== count) {
      return `This page has ${target.elements.length} boxes, the code has ${count} ${what}.`;
    }
    const max = target.kind === "single" ? target.elements[0].maxLength : -1;
    if (max > 0 && max < count) return `This field takes ${max} characters, the code has ${count} ${what}.`;
    return null;
  }

  function submitAfter(elements) {
    const form = elements[0].form ?? elements[0].closest("form");
    if (!form) return false;
    if (typeof form.requestSubmit === "function") form.requestSubmit();
    else form.submit();
    return true;
  }

  function targetFor(message) {
    if (message.useContextTarget && lastContextTarget?.isConnected) {
      const run = detect.splitRunContaining(document, lastContextTarget);
      return { kind: run ? "split" : "single", elements: run ?? [lastContextTarget], score: 1000 };
    }
    return detect.findTarget(document);
  }

  ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
    if (sender.id !== ext.runtime.id || sender.tab) return false;
    if (message?.op === "otpc-fill" && typeof message.code === "string") {
      const target = targetFor(message);
      if (!target) {
        sendResponse({ filled: 0 });
        return false;
      }
      const refused = lengthMismatch(target, message.code);
      if (refused) {
        sendResponse({ filled: 0, refused });
        return false;
      }
      const filled = fillElements(target.elements, message.code);
      const submitted = message.submit ? submitAfter(target.elements) : false;
      sendResponse({ filled, kind: target.kind, submitted });
      return false;
    }
    return false;
  });
})();

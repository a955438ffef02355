// Offscreen document (Chromium): reads the clipboard and empties it when it still holds the code.
import { ext } from "../lib/browser.js";
import { hex } from "../background/client.js";

const buffer = document.getElementById("buffer");

async function hashOf(text) {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

function readClipboard() {
  buffer.value = "";
  buffer.focus();
  document.execCommand("paste");
  return buffer.value;
}

function emptyClipboard() {
  const onCopy = (event) => {
    event.clipboardData.setData("text/plain", "");
    event.preventDefault();
  };
  document.addEventListener("copy", onCopy, { once: true });
  document.execCommand("copy");
}

ext.runtime.onMessage.addListener((message, sender, sendResponse) => {
  if (sender.id !== ext.runtime.id || message?.op !== "otpc-clear-clipboard") return false;
  hashOf(readClipboard()).then((hash) => {
    if (hash === message.hash) emptyClipboard();
    sendResponse({ done: true });
  });
  return true;
});

// The options the user types (extension/lib/settings.js): port and clipboard delay are checked and
// refused with words that say what is allowed. Runs against an in-memory chrome.storage.local.
import assert from "node:assert/strict";
import { test } from "node:test";

const stored = {};
globalThis.chrome = {
  storage: {
    local: {
      get: async (keys) => Object.fromEntries(keys.filter((k) => k in stored).map((k) => [k, stored[k]])),
      set: async (items) => { Object.assign(stored, items); },
    },
  },
};
const { CLIPBOARD_SECONDS, getSettings, setSettings } = await import("../../extension/lib/settings.js");

test("defaults: port 17655, clipboard cleared after 30 s", async () => {
  const s = await getSettings();
  assert.equal(s.port, 17655);
  assert.equal(s.clearClipboard, true);
  assert.equal(s.clipboardSeconds, 30);
  assert.deepEqual(CLIPBOARD_SECONDS, { default: 30, min: 5, max: 300 });
});

test("clipboard delay: whole seconds from 5 to 300, typed text accepted", async () => {
  assert.equal((await setSettings({ clipboardSeconds: "5" })).clipboardSeconds, 5);
  assert.equal((await setSettings({ clipboardSeconds: 300 })).clipboardSeconds, 300);
  for (const bad of [4, 301, 0, -5, 7.5, "abc", "", null]) {
    await assert.rejects(setSettings({ clipboardSeconds: bad }), /from 5 to 300/, String(bad));
  }
  assert.equal((await getSettings()).clipboardSeconds, 300); // a refused value changes nothing
});

test("port: whole number from 1 to 65535", async () => {
  assert.equal((await setSettings({ port: "18000" })).port, 18000);
  for (const bad of [0, 65536, "80x", 1.5]) await assert.rejects(setSettings({ port: bad }), /1 to 65535/);
  assert.equal((await getSettings()).port, 18000);
});

test("a refused change in one field saves none of the others", async () => {
  await assert.rejects(setSettings({ clearClipboard: false, clipboardSeconds: 1 }));
  assert.equal((await getSettings()).clearClipboard, true);
});

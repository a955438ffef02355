// The manifest works in Chromium and Firefox: the checks `web-ext lint` would make that matter for us,
// plus the stable Chrome id the companion pins for pairing.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { EXTENSION } from "./helpers/load.mjs";

const manifest = JSON.parse(readFileSync(join(EXTENSION, "manifest.json"), "utf8"));
const EXPECTED_ID = "cnkaadljlgmmkjmloicginhokmgbpjom";

// Permissions Chromium and Firefox know (MV3). Firefox ignores the Chromium-only ones with a warning.
const KNOWN = new Set(["storage", "scripting", "contextMenus", "menus", "alarms", "clipboardWrite",
  "clipboardRead", "offscreen", "activeTab", "tabs"]);
const CHROMIUM_ONLY = new Set(["offscreen"]);

test("Chrome id derived from the manifest key is the one the companion accepts", () => {
  const der = Buffer.from(manifest.key, "base64");
  const hex = createHash("sha256").update(der).digest("hex").slice(0, 32);
  const id = [...hex].map((c) => String.fromCharCode(97 + parseInt(c, 16))).join("");
  assert.equal(id, EXPECTED_ID);
});

test("manifest v3 with a Firefox id and a background that loads in both browsers", () => {
  assert.equal(manifest.manifest_version, 3);
  assert.match(manifest.version, /^\d+(\.\d+){0,3}$/);
  assert.ok(manifest.name.length <= 45);
  assert.ok(manifest.description.length <= 132);
  const gecko = manifest.browser_specific_settings?.gecko;
  assert.match(gecko?.id ?? "", /^[\w.-]*@[\w.-]+$/);
  assert.ok(Number.parseFloat(gecko.strict_min_version) >= 121, "Firefox 121+ for MV3 background scripts + type module");
  if (gecko.data_collection_permissions) {
    // Firefox for Android knows data_collection_permissions from 142 on (web-ext lint warns otherwise)
    assert.ok(Number.parseFloat(manifest.browser_specific_settings.gecko_android?.strict_min_version) >= 142);
  }
  assert.equal(manifest.background.service_worker, "background/main.js");
  assert.deepEqual(manifest.background.scripts, ["background/main.js"]);
  assert.equal(manifest.background.type, "module");
});

test("permissions are known, host access covers the companion, nothing is externally connectable", () => {
  for (const p of manifest.permissions) assert.ok(KNOWN.has(p), `unknown permission ${p}`);
  const firefoxPermissions = manifest.permissions.filter((p) => !CHROMIUM_ONLY.has(p));
  assert.ok(firefoxPermissions.includes("storage"));
  for (const host of ["http://127.0.0.1/*", "http://localhost/*"]) assert.ok(manifest.host_permissions.includes(host));
  assert.deepEqual(manifest.externally_connectable, { ids: [] });
  assert.ok(!JSON.stringify(manifest.content_security_policy).includes("unsafe"));
});

test("every file the manifest names exists", () => {
  const files = [
    manifest.background.service_worker, ...manifest.background.scripts,
    manifest.action.default_popup, manifest.options_ui.page,
    ...Object.values(manifest.icons), ...Object.values(manifest.action.default_icon),
    ...manifest.content_scripts.flatMap((c) => c.js),
  ];
  for (const f of files) assert.ok(existsSync(join(EXTENSION, f)), `missing ${f}`);
});

test("content scripts run in all frames of web pages and the shortcut is Alt+Shift+O", () => {
  const [cs] = manifest.content_scripts;
  assert.equal(cs.all_frames, true);
  assert.deepEqual(cs.matches, ["http://*/*", "https://*/*"]);
  assert.equal(manifest.commands["fill-code"].suggested_key.default, "Alt+Shift+O");
});

function walk(dir) {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
}

test("no remote code, eval or inline script anywhere in the extension", () => {
  for (const file of walk(EXTENSION)) {
    if (file.endsWith(".js")) {
      const src = readFileSync(file, "utf8");
      assert.doesNotMatch(src, /\beval\s*\(|new Function\s*\(|innerHTML\s*=|outerHTML\s*=|document\.write/, file);
      assert.doesNotMatch(src, /import\s*\(?\s*["']https?:/, file);
    }
    if (file.endsWith(".html")) {
      const src = readFileSync(file, "utf8");
      assert.doesNotMatch(src, /<script(?![^>]*\bsrc=)[^>]*>/, `${file} has an inline script`);
      assert.doesNotMatch(src, /\son[a-z]+\s*=/, `${file} has an inline event handler`);
      assert.doesNotMatch(src, /src=["']https?:/, `${file} loads remote code`);
    }
  }
});

test("every module import inside the extension resolves to a file", () => {
  for (const file of walk(EXTENSION).filter((f) => f.endsWith(".js"))) {
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/^import\s[^"']*["']([^"']+)["']/gm)) {
      const target = join(file, "..", m[1]);
      assert.ok(existsSync(target), `${file} imports missing ${m[1]}`);
    }
  }
});

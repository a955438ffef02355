// `make extension` builds the two packages people install: each holds every extension file (and
// nothing else), passes a CRC check, and carries a manifest whose referenced files are all inside.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const EXTENSION = path.join(ROOT, "extension");
const PYTHON = path.join(ROOT, ".venv/bin/python");
const READ_ZIP = `import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
print(json.dumps({"bad": z.testzip(), "files": [n for n in z.namelist() if not n.endswith("/")],
                  "manifest": z.read("manifest.json").decode()}))`;

function sourceFiles(dir, prefix = "") {
  return readdirSync(dir).flatMap((name) => statSync(path.join(dir, name)).isDirectory()
    ? sourceFiles(path.join(dir, name), `${prefix}${name}/`) : [`${prefix}${name}`]);
}

/** Every file the manifest names (icons, pages, scripts), as paths inside the package. */
function referencedFiles(m) {
  return [...Object.values(m.icons), ...Object.values(m.action.default_icon), m.action.default_popup,
    m.background.service_worker, ...m.background.scripts, ...m.content_scripts.flatMap((c) => c.js),
    m.options_ui.page];
}

const dist = mkdtempSync(path.join(os.tmpdir(), "otpc-dist-"));
execFileSync("make", ["-s", "extension", `DIST=${dist}`, `PY=${PYTHON}`], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
const expected = sourceFiles(EXTENSION).filter((f) => f !== "package.json").sort();
const sourceManifest = JSON.parse(readFileSync(path.join(EXTENSION, "manifest.json"), "utf8"));

for (const name of ["otp-companion-chromium.zip", "otp-companion-firefox.zip"]) {
  test(`${name} holds the extension and a valid manifest`, () => {
    const zip = JSON.parse(execFileSync(PYTHON, ["-c", READ_ZIP, path.join(dist, name)], { encoding: "utf8" }));
    assert.equal(zip.bad, null, "a file in the package fails its CRC check");
    assert.deepEqual(zip.files.sort(), expected);
    const manifest = JSON.parse(zip.manifest);
    assert.deepEqual(manifest, sourceManifest);
    assert.equal(manifest.manifest_version, 3);
    assert.match(manifest.version, /^\d+(\.\d+){0,3}$/);
    assert.ok(manifest.browser_specific_settings.gecko.id, "Firefox needs a gecko id");
    for (const file of referencedFiles(manifest)) assert.ok(zip.files.includes(file), `manifest names ${file}, not in ${name}`);
  });
}

test.after(() => rmSync(dist, { recursive: true, force: true }));

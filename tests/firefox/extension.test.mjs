// End-to-end in Debian's firefox-esr: the real extension (installed as a temporary add-on over WebDriver
// BiDi by puppeteer-core), the real companion and vault (companion.py), real pages over HTTP.
// Extension pages: BiDi refuses moz-extension:// navigation unless Firefox runs with
// --remote-allow-system-access; the pref extensions.webextensions.uuids fixes the UUID so their URLs are
// known; such a navigation never reports "load" to puppeteer, so it waits for "commit" and then for
// the page's own elements.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const { default: puppeteer } = await import(path.join(ROOT, ".tools/node_modules/puppeteer-core/lib/esm/puppeteer/puppeteer-core.js"));
const PAGES_JSON = process.env.OTPC_FIREFOX_PAGES ?? path.join(ROOT, "tests/firefox/pages.json");
const SPEC = JSON.parse(readFileSync(PAGES_JSON, "utf8"));
const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";
const GECKO_ID = JSON.parse(readFileSync(path.join(ROOT, "extension/manifest.json"), "utf8")).browser_specific_settings.gecko.id;
const UUID = "0f7c2a9e-4b1d-4e8a-9c3f-5d6e7f801234";
const EXT = `moz-extension://${UUID}/`;
const ARTIFACTS = path.join(ROOT, "tests/artifacts");
const CUSTOMER = "Firefox e2e";

let helper, replies, browser, port, pagesPort;

/** One request to companion.py (pair / code REF / clients), one JSON reply. */
async function ask(line) {
  helper.stdin.write(`${line}\n`);
  const { value } = await replies.next();
  const reply = JSON.parse(value);
  if (reply.error) throw new Error(`companion.py: ${reply.error}`);
  return reply;
}

async function openExtensionPage(file) {
  const page = await browser.newPage();
  await page.setViewport({ width: 400, height: 600 });
  await page.goto(EXT + file, { waitUntil: "commit" });
  await page.waitForFunction(() => document.readyState === "complete");
  return page;
}

async function openSite(host, file) {
  const page = await browser.newPage();
  const url = `http://${host}:${pagesPort}/${file}`;
  await page.goto(url, { waitUntil: "load" });
  return { page, url };
}

/** The browser's tab id for a URL, asked from an extension page (web pages have no tabs API). */
async function tabId(extPage, url) {
  return extPage.evaluate(async (u) => (await browser.tabs.query({})).find((t) => t.url === u)?.id, url);
}

let control; // one extension page kept open to ask the tabs API

async function popupFor(url) {
  control ??= await openExtensionPage("options/options.html");
  const id = await tabId(control, url);
  assert.ok(id, `no tab for ${url}`);
  const popup = await openExtensionPage(`popup/popup.html?tab=${id}`);
  await popup.waitForSelector("body[data-state=ready]", { timeout: 10_000 });
  return popup;
}

/** The row for an entry title, once its code is shown. */
async function row(popup, title) {
  await popup.waitForFunction((t) => [...document.querySelectorAll("#matches li.row")]
    .some((li) => li.querySelector(".title")?.textContent.trim() === t && li.querySelector("[data-code]")), { timeout: 10_000 }, title);
  return popup.evaluateHandle((t) => [...document.querySelectorAll("#matches li.row")]
    .find((li) => li.querySelector(".title")?.textContent.trim() === t), title);
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  helper = spawn(path.join(ROOT, ".venv/bin/python"), [path.join(ROOT, "tests/firefox/companion.py"), PAGES_JSON],
    { stdio: ["pipe", "pipe", "inherit"] });
  replies = createInterface({ input: helper.stdout })[Symbol.asyncIterator]();
  ({ port, pages_port: pagesPort } = JSON.parse((await replies.next()).value));
  browser = await puppeteer.launch({
    browser: "firefox", executablePath: FIREFOX, headless: true,
    args: ["--remote-allow-system-access"],
    extraPrefsFirefox: {
      "extensions.webextensions.uuids": JSON.stringify({ [GECKO_ID]: UUID }),
      // every page host resolves to 127.0.0.1, where the page server listens
      "network.dns.localDomains": [...new Set(SPEC.pages.map((p) => p.host))].join(","),
      "dom.security.https_first": false,
      "dom.security.https_first_schemeless": false,
    },
  });
  assert.equal(await browser.installExtension(path.join(ROOT, "extension")), GECKO_ID);
});

after(async () => {
  await browser?.close();
  helper?.stdin.end();
  if (helper && helper.exitCode === null) await once(helper, "exit");
});

test("pairs through the popup with a code from otpc pair", async () => {
  const popup = await openExtensionPage("popup/popup.html");
  await popup.evaluate((p) => browser.storage.local.set({ port: p }), port);
  await popup.reload({ waitUntil: "commit" }).catch(() => {});
  await popup.waitForSelector("body[data-state=not_paired]", { timeout: 10_000 });
  const { code } = await ask("pair");
  await popup.type("#pair-code", code.toLowerCase());
  await popup.click("#pair-submit");
  await popup.waitForSelector("body[data-state=ready]", { timeout: 10_000 });
  await popup.screenshot({ path: path.join(ARTIFACTS, "firefox-popup-paired.png") });
  const { clients } = await ask("clients");
  assert.ok(JSON.stringify(clients).includes(`moz-extension://${UUID}`), "the companion lists no Firefox client");
  await popup.close();
});

test("the popup shows the same code as otpc code", async () => {
  const { host, path: file } = SPEC.pages[0];
  const { page, url } = await openSite(host, file);
  const popup = await popupFor(url);
  assert.equal(await popup.$eval("#site", (el) => el.textContent), host.split(".").slice(-2).join("."));
  const rowEl = await row(popup, host);
  let shown, cli;
  for (let i = 0; i < 3; i++) { // a period may roll over between the two reads
    shown = await rowEl.evaluate((li) => li.querySelector("[data-code]").dataset.code);
    ({ code: cli } = await ask(`code ${CUSTOMER}/${host}`));
    if (shown === cli) break;
  }
  assert.equal(shown, cli);
  assert.match(shown, /^[0-9]{6}$/);
  await popup.screenshot({ path: path.join(ARTIFACTS, "firefox-popup-ready.png") });
  await popup.close();
  await page.close();
});

test("the manage page lists the vault's customer and its entries", async () => {
  const manage = await openExtensionPage("manage/manage.html");
  await manage.setViewport({ width: 1100, height: 720 });
  await manage.waitForFunction((c) => document.getElementById("customers")?.textContent.includes(c), { timeout: 10_000 }, CUSTOMER);
  const hosts = SPEC.pages.map((p) => p.host);
  await manage.waitForFunction((titles) => titles.every((t) => document.getElementById("main")?.textContent.includes(t)),
    { timeout: 10_000 }, hosts);
  await manage.screenshot({ path: path.join(ARTIFACTS, "firefox-manage.png") });
  await manage.close();
});

for (const { host, path: file } of SPEC.pages) {
  test(`fills ${file} and leaves its decoys empty`, async () => {
    const { page, url } = await openSite(host, file);
    const popup = await popupFor(url);
    const rowEl = await row(popup, host);
    const before = (await ask(`code ${CUSTOMER}/${host}`)).code;
    await rowEl.evaluate((li) => li.querySelector("[data-act=fill]").click());
    // wait on the page itself (not on the popup's wording): every field to fill holds something
    await page.waitForFunction(() => [...document.querySelectorAll("[data-expect=fill]")].every((el) => el.value),
      { timeout: 10_000 }).catch(async () => {
      const said = await popup.evaluate(() => document.getElementById("toast")?.textContent ?? "");
      assert.fail(`${file}: nothing filled; the popup said ${JSON.stringify(said)}`);
    });
    const afterCode = (await ask(`code ${CUSTOMER}/${host}`)).code;
    const fields = await page.evaluate(() => ({
      fill: [...document.querySelectorAll("[data-expect=fill]")].map((el) => el.value),
      empty: [...document.querySelectorAll("[data-expect=empty]")].map((el) => el.value),
    }));
    assert.ok(fields.fill.length > 0, `${file} marks no field data-expect=fill`);
    const filled = fields.fill.join("");
    assert.ok([before, afterCode].includes(filled), `${file}: filled ${JSON.stringify(fields.fill)}, the code was ${before}/${afterCode}`);
    assert.deepEqual(fields.empty, fields.empty.map(() => ""), `${file}: a decoy was filled`);
    await popup.close();
    await page.close();
  });
}

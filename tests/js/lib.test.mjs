// Domain matching, code formatting and countdown arithmetic (extension/lib/).
import assert from "node:assert/strict";
import { test } from "node:test";
import { clockOffset, countdown, secondsLabel, skewWarning } from "../../extension/lib/countdown.js";
import { entryMatchesPage, hostOf, isWebPage, originMatchesEntry, registrableDomain, sameSite } from "../../extension/lib/domain.js";
import { groupCode } from "../../extension/lib/format.js";

test("registrable domain: subdomains, multi-label suffixes, IPs and bare hosts", () => {
  assert.equal(registrableDomain("https://login.eu.example.com/path?q=1"), "example.com");
  assert.equal(registrableDomain("portal.example.co.uk"), "example.co.uk");
  assert.equal(registrableDomain("https://a.b.example.com.au"), "example.com.au");
  assert.equal(registrableDomain("http://192.168.1.10:8443/login"), "192.168.1.10");
  assert.equal(registrableDomain("http://localhost:3000"), "localhost");
  assert.equal(registrableDomain("EXAMPLE.COM."), "example.com");
  assert.equal(registrableDomain("myapp.github.io"), "myapp.github.io");
  assert.equal(registrableDomain(""), "");
  assert.equal(hostOf("not a url at all ::"), "");
});

test("same site: subdomains count, look-alikes do not", () => {
  assert.ok(sameSite("https://example.com", "https://login.example.com/sso"));
  assert.ok(sameSite("login.example.com", "https://www.example.com"));
  assert.ok(!sameSite("https://example.com", "https://example.com.evil.net"));
  assert.ok(!sameSite("https://example.com", "https://notexample.com"));
  assert.ok(!sameSite("https://a.co.uk", "https://b.co.uk"));
  assert.ok(!sameSite("https://alice.github.io", "https://mallory.github.io"));
  assert.ok(entryMatchesPage({ urls: ["https://x.test", "https://acme.test/"] }, "https://login.acme.test/"));
  assert.ok(!entryMatchesPage({ urls: [] }, "https://acme.test/"));
  assert.ok(isWebPage("https://a.b") && !isWebPage("chrome://extensions") && !isWebPage("file:///x"));
});

test("codes are grouped for reading", () => {
  assert.equal(groupCode("123456"), "123 456");
  assert.equal(groupCode("1234567"), "123 4567");
  assert.equal(groupCode("12345678"), "1234 5678");
  assert.equal(groupCode("1234567890"), "12345 67890");
  assert.equal(groupCode("5BX7K"), "5BX7K"); // Steam stays together
});

test("countdown follows the companion's clock and warns in the last 5 s", () => {
  const offset = clockOffset(1000, 990); // the browser is 10 s behind
  assert.equal(offset, 10);
  assert.ok(!skewWarning(offset) && skewWarning(10.5) && skewWarning(-11));
  const c = countdown(1020, 30, 990, offset); // companion time 1000: 20 s left
  assert.equal(c.remaining, 20);
  assert.ok(Math.abs(c.fraction - 2 / 3) < 1e-9);
  assert.equal(c.warn, false);
  assert.equal(countdown(1020, 30, 1005.5, offset).warn, true);
  assert.equal(countdown(1020, 30, 1011, offset).expired, true);
  assert.equal(countdown(null, 0, 0, 0).fraction, 1); // HOTP: no countdown
  assert.equal(secondsLabel(29.2), 30);
  assert.equal(secondsLabel(0), 0);
});

test("a document may get an entry's code only on the entry's site, never with the scheme dropped", () => {
  const urls = ["https://login.acme.test/"];
  assert.equal(originMatchesEntry(urls, "https://login.acme.test"), true);
  assert.equal(originMatchesEntry(urls, "https://mail.acme.test:8443"), true); // subdomains count
  assert.equal(originMatchesEntry(urls, "http://login.acme.test"), false); // https entry, http page
  assert.equal(originMatchesEntry(urls, "https://login.acme-secure.test"), false); // look-alike
  assert.equal(originMatchesEntry(urls, "https://acme.test.evil.test"), false);
  assert.equal(originMatchesEntry(urls, "null"), false); // sandboxed/opaque frames
  assert.equal(originMatchesEntry(["http://router.lan/"], "https://router.lan"), true); // upgrade is fine
  assert.equal(originMatchesEntry(["acme.test"], "http://acme.test"), false); // bare host = https
  assert.equal(originMatchesEntry([], "https://acme.test"), false);
});

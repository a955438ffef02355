// Cutting a pairing/client name to the companion's 64 characters (protocol § 4.1): code points, never
// half an emoji. `slice(0, 64)` counts UTF-16 units and leaves a lone surrogate at the boundary.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clipChars } from "../../extension/lib/format.js";

const A63 = "a".repeat(63);
const wellFormed = (s) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);

test("an emoji at the 64th character stays whole (slice(0, 64) splits its surrogate pair)", () => {
  const name = `${A63}😀 laptop`;
  assert.equal(wellFormed(name.slice(0, 64)), false); // what the extension used to send
  const clipped = clipChars(name, 64);
  assert.equal(clipped, `${A63}😀`);
  assert.ok(wellFormed(clipped));
  assert.equal([...clipped].length, 64);
});

test("an emoji that would be the 65th character is dropped whole", () => {
  assert.equal(clipChars(`${A63}b😀`, 64), `${A63}b`);
});

test("64 emoji are 64 characters, as the companion counts them", () => {
  const name = "😀".repeat(70);
  assert.equal(name.slice(0, 64), "😀".repeat(32));
  assert.equal(clipChars(name, 64), "😀".repeat(64));
});

test("a grapheme is kept or dropped whole: a skin tone never comes off its emoji", () => {
  const thumb = "👍🏽"; // two code points, one grapheme
  assert.equal(clipChars(`${"a".repeat(62)}${thumb}`, 64), `${"a".repeat(62)}${thumb}`);
  assert.equal(clipChars(`${A63}${thumb}`, 64), A63);
});

test("short names and non-strings pass through", () => {
  assert.equal(clipChars("Chromium extension", 64), "Chromium extension");
  assert.equal(clipChars("Zoë's Firefox", 64), "Zoë's Firefox");
  assert.equal(clipChars(undefined, 64), "");
});

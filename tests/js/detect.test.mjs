// Field detection against the HTML fixtures in fixtures/detect/: positives, negatives and decoys.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { parseFixture } from "./helpers/html.mjs";
import { loadDetect } from "./helpers/load.mjs";

const detect = loadDetect();
const dir = new URL("./fixtures/detect/", import.meta.url);
const fixtures = readdirSync(dir).filter((f) => f.endsWith(".html")).sort();

test("there are positive, split and negative fixtures", () => {
  const kinds = fixtures.map((f) => parseFixture(readFileSync(new URL(f, dir), "utf8")).expect?.kind);
  assert.ok(kinds.filter((k) => k === "single").length >= 10);
  assert.ok(kinds.filter((k) => k === "split").length >= 3);
  assert.ok(kinds.filter((k) => k === "none").length >= 8);
});

for (const file of fixtures) {
  test(`fixture ${file}`, () => {
    const { expect, inputs } = parseFixture(readFileSync(new URL(file, dir), "utf8"));
    assert.ok(expect, `${file} has no <!-- expect: ... --> line`);
    const target = detect.chooseTarget(inputs.map((i) => i.descriptor));
    if (expect.kind === "none") {
      assert.equal(target, null, `${file}: expected no target, got ${JSON.stringify(target)}`);
      return;
    }
    assert.ok(target, `${file}: expected a ${expect.kind} target, found none`);
    assert.equal(target.kind, expect.kind, file);
    // (arrays made inside the script's own realm are copied so deepEqual compares values)
    const ids = target.kind === "single" ? [inputs[target.index].id] : Array.from(target.indexes, (i) => inputs[i].id);
    assert.deepEqual(ids, expect.ids, file);
  });
}

const base = { type: "text", id: "", name: "", className: "", placeholder: "", ariaLabel: "",
  labelText: "", autocomplete: "", maxLength: -1, inputMode: "", pattern: "", width: 200 };

test("autocomplete=one-time-code wins regardless of words", () => {
  assert.equal(detect.scoreField({ ...base, autocomplete: "one-time-code", name: "x" }).score, 100);
});

test("maxlength outside 6-10 is refused", () => {
  assert.equal(detect.scoreField({ ...base, name: "otp", maxLength: 4 }).score, 0);
  assert.equal(detect.scoreField({ ...base, name: "otp", maxLength: 12 }).score, 0);
  assert.ok(detect.scoreField({ ...base, name: "otp", maxLength: 6 }).score > 0);
  assert.ok(detect.scoreField({ ...base, name: "otp", maxLength: 10 }).score > 0);
});

test("words in each language are recognised", () => {
  for (const label of ["2FA code", "One-time password", "Authentication code", "Sicherheitscode",
    "Einmalcode", "Code à usage unique", "Code de sécurité", "Código de seguridad",
    "Autenticación de dos factores", "TOTP", "verification-code", "otpCode"]) {
    assert.ok(detect.scoreField({ ...base, labelText: label }).score > 0, label);
  }
});

test("email, username, password, search types are never OTP fields", () => {
  for (const type of ["email", "password", "search", "hidden", "checkbox"]) {
    assert.equal(detect.scoreField({ ...base, type, name: "otp" }).score, 0, type);
  }
  assert.equal(detect.scoreField({ ...base, name: "otp", autocomplete: "username" }).score, 0);
});

test("a focused candidate outranks an unfocused one", () => {
  const a = { ...base, id: "a", name: "otp" };
  const b = { ...base, id: "b", name: "otp", focused: true };
  assert.equal(detect.chooseTarget([a, b]).index, 1);
});

test("split runs of 9 or a run broken by a wide field are refused", () => {
  const cell = { ...base, maxLength: 1, width: 40, group: 1 };
  assert.equal(detect.findSplitRuns(Array(9).fill(cell)).length, 0);
  const broken = [cell, cell, { ...base, width: 300, group: 1 }, cell, cell];
  assert.equal(detect.findSplitRuns(broken).length, 0);
  assert.deepEqual(JSON.parse(JSON.stringify(detect.findSplitRuns(Array(6).fill(cell)))), [[0, 1, 2, 3, 4, 5]]);
});

test("a field named only 'Code' counts when the heading or the text before it speaks of a one-time code", () => {
  const field = { ...base, name: "otc", type: "tel", placeholder: "Code" };
  assert.ok(detect.scoreField(field).score > 0, "otc is Microsoft's code field");
  const code = { ...base, name: "code", placeholder: "Code" };
  assert.equal(detect.scoreField(code).score, 0, "'Code' alone is not enough");
  for (const contextText of ["Enter the code displayed in the authenticator app on your mobile device",
    "Geben Sie den Code aus der Authenticator-App ein", "Validation en deux étapes",
    "Verificación en dos pasos", "Check your preferred one-time password application for a code."]) {
    assert.ok(detect.scoreField({ ...code, contextText }).score > 0, contextText);
  }
  assert.ok(detect.scoreField({ ...code, heading: "Enter MFA Code" }).score > 0);
  assert.ok(detect.scoreField({ ...base, name: "answer", contextText: "Enter your Google Authenticator passcode" }).score > 0);
});

test("text about a card, coupon or recovery beside the field makes it a decoy, whatever its label", () => {
  const csc = { ...base, labelText: "Security code", inputMode: "numeric" };
  assert.ok(detect.scoreField(csc).score > 0);
  assert.equal(detect.scoreField({ ...csc, nearText: "The 3 digits on the back of your card" }).score, 0);
  const gift = { ...base, name: "code", placeholder: "Enter code", contextText: "Enter the code on the back of your gift card" };
  assert.equal(detect.scoreField(gift).score, 0);
  // Decoy words further away (a tab named "Recovery Key") do not veto a TOTP field.
  assert.ok(detect.scoreField({ ...base, name: "totp", contextText: "TOTP App Recovery Key", nearText: "" }).score > 0);
});

test("context never makes a phone, name or security-question field a code field", () => {
  const heading = "Set up two-step verification";
  assert.equal(detect.scoreField({ ...base, type: "tel", name: "phoneNumber", heading }).score, 0);
  assert.equal(detect.scoreField({ ...base, name: "device_name", heading: "Two-factor authentication" }).score, 0);
  assert.equal(detect.scoreField({ ...base, name: "credentials.answer", heading: "Verify with your security question" }).score, 0);
});

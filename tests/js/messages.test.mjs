// Words shown to people (extension/lib/messages.js): sentences, positions as typed, no backticks.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { count, describeError, secretProblem, sentence } from "../../extension/lib/messages.js";
import { EXTENSION } from "./helpers/load.mjs";

test("a message becomes a sentence: capital first letter, a final stop, commands quoted", () => {
  assert.equal(sentence("secret is empty"), "Secret is empty.");
  assert.equal(sentence("No pairing window is open: run `otpc pair` now"), "No pairing window is open: run \u201cotpc pair\u201d now.");
  assert.equal(sentence("Wrong password."), "Wrong password.");
  assert.equal(sentence("is it?"), "Is it?");
  assert.equal(sentence("a stray ` tick"), "A stray  tick.");
  assert.equal(sentence(""), "");
  assert.equal(describeError(new Error("digits must be 6 to 10, not 12")), "Digits must be 6 to 10, not 12.");
  assert.equal(describeError("plain text"), "Plain text.");
});

test("secret problems count positions from 1 in the text as typed, spaces included", () => {
  assert.equal(secretProblem("JBSWY3DPEHPK3PXP"), null);
  assert.equal(secretProblem("jbsw y3dp-ehpk 3pxp"), null); // groups and lowercase are fine
  assert.equal(secretProblem("JBSWY3DPEHPK3PXP===="), null);
  // "JBS WY1…": the 1 is the 7th character typed (the space counts), the 6th base32 character
  assert.match(secretProblem("JBS WY1DPEHPK3PXP"), /^Character 7 \(\u201c1\u201d\) is not base32/);
  assert.match(secretProblem("JBS WY1DPEHPK3PXP"), /check for O, I or B/);
  assert.match(secretProblem("  JBSWY3DPEHPK3PX!"), /^Character 18 \(\u201c!\u201d\)/); // leading spaces count too
  assert.match(secretProblem("JBSWY3DPEHPK\u00e93PXP"), /^Character 13 \(\u201c\u00e9\u201d\)/);
  assert.match(secretProblem("\u{1F600}JBSWY3DPEHPK3PXP"), /^Character 1 /); // one emoji is one character
  assert.match(secretProblem("JBSW\tY3DP\u00a0EHPK3PXP"), /^Character 10 \(U\+00A0\) is not base32/); // tab fine, no-break space not
  assert.match(secretProblem("JBSWY3DP=EHPK3PXP"), /^Character 10 \(\u201cE\u201d\) comes after \u201c=\u201d padding/);
  assert.equal(secretProblem("   "), "The secret is empty: paste the base32 secret or the otpauth:// URI.");
  assert.match(secretProblem("JBSWY3DPE"), /^The secret has 9 base32 characters, a length no secret can have/);
  assert.match(secretProblem("JBSWY3DPEHPK"), /^The secret has 12 base32 characters; at least 16/);
  // Asked for explicitly (the manage page's "Accept a weak code"), a short secret passes; nothing else does.
  assert.equal(secretProblem("JBSWY3DPEHPK", { short: true }), null);
  assert.match(secretProblem("JBSWY3DPE", { short: true }), /a length no secret can have/);
  assert.match(secretProblem("JBSWY1DP", { short: true }), /is not base32/);
});

test("every problem is one sentence starting with a capital letter", () => {
  for (const typed of ["0", "JBSWY3DP=X", "", "JBSWY3DPE", "JBSWY3DPEHPK", "ab cd ef 01"]) {
    const problem = secretProblem(typed);
    assert.match(problem, /^[A-Z]/, typed);
    assert.match(problem, /[.]$/, typed);
    assert.doesNotMatch(problem, /\n/, typed);
  }
});

test("counts", () => {
  assert.equal(count(1, "entry", "entries"), "1 entry");
  assert.equal(count(3, "entry", "entries"), "3 entries");
});

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

/**
 * The text of the string and template literals of JavaScript source (template text outside ${}),
 * each with its line; comments and regular-expression literals are skipped. Small, not a parser:
 * enough for our own files, which a linter keeps tidy.
 */
function literals(source) {
  const out = [];
  let i = 0;
  let line = 1;
  let last = ""; // the last significant character, to tell a regex from a division
  const depth = []; // open template literals: brace depth at which each resumes
  let braces = 0;
  const take = (quote) => {
    const start = line;
    let text = "";
    for (i += 1; i < source.length && source[i] !== quote; i++) {
      if (source[i] === "\\") text += source[i++];
      if (source[i] === "\n") line += 1;
      if (quote === "`" && source[i] === "$" && source[i + 1] === "{") {
        depth.push(braces);
        i += 2;
        out.push({ line: start, text, template: true });
        return;
      }
      text += source[i];
    }
    i += 1;
    out.push({ line: start, text, template: quote === "`" });
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === "\n") line += 1;
    if (ch === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (ch === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      line += (source.slice(i, end).match(/\n/g) ?? []).length;
      i = end + 2;
    } else if (ch === "/" && (last === "" || "(,=:[!&|?{};+-*%<>~^".includes(last) || /\breturn$/.test(source.slice(0, i).trimEnd()))) {
      for (i += 1; i < source.length && source[i] !== "/"; i++) {
        if (source[i] === "\\") i++;
        else if (source[i] === "[") while (source[++i] !== "]") if (source[i] === "\\") i++;
      }
      i += 1;
      last = "/";
    } else if (ch === "\"" || ch === "'" || ch === "`") {
      take(ch);
      last = ch;
    } else if (ch === "}" && depth.length && depth.at(-1) === braces) {
      depth.pop();
      take("`"); // the template's text goes on after the "}"
      last = "`";
    } else {
      if (ch === "{") braces += 1;
      if (ch === "}") braces -= 1;
      if (!/\s/.test(ch)) last = ch;
      i += 1;
    }
  }
  return out;
}

test("the literal scanner finds strings and template text, not regexes or comments", () => {
  const found = literals("// a `b`\nconst x = /`[^`]*`/g.test(y) ? 'one `two`' : `t ${a ? \"in\" : 'x'} \\`c\\``;\n");
  assert.deepEqual(found.map((f) => f.text), ["one `two`", "t ", "in", "x", " \\`c\\`"]);
});

test("no literal backtick in any message of the extension", () => {
  const offenders = [];
  for (const path of files(EXTENSION).filter((p) => /\.(js|html)$/.test(p))) {
    const source = readFileSync(path, "utf8");
    const name = path.slice(EXTENSION.length);
    if (path.endsWith(".html")) {
      if (source.includes("`")) offenders.push(name);
      continue;
    }
    for (const { line, text } of literals(source)) if (text.includes("`")) offenders.push(`${name}:${line}`);
  }
  assert.deepEqual(offenders, []);
});

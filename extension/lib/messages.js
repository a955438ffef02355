// Words shown to people: every message starts with a capital letter and ends with a stop, commands
// are set apart without literal backticks, and positions count the characters as the user typed them.
// Pure functions (no DOM), unit-tested in tests/js/messages.test.mjs.

import { forbiddenSentence } from "./permissions.js";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const BAD_LENGTHS = new Set([1, 3, 6]); // base32 length mod 8 that no whole number of bytes gives
const MIN_SECRET_CHARS = 16; // 80 bits, what the companion requires

/**
 * A message as a sentence: first letter capital, a final stop, and `otpc pair` written as
 * "otpc pair" in quotes (messages come from the companion and the worker, which write for terminals).
 */
export function sentence(text) {
  let s = String(text ?? "").trim().replace(/`([^`]*)`/g, "\u201c$1\u201d").replace(/`/g, "");
  if (!s) return "";
  s = s[0].toUpperCase() + s.slice(1);
  return /[.!?\u201d)]$/.test(s) ? s : `${s}.`;
}

/** The message of an error (or anything thrown) as a sentence; a team role's 403 in its own words. */
export function describeError(err) {
  if (err?.kind === "forbidden") return forbiddenSentence(err.message);
  return sentence(err?.message ?? err);
}

/** The characters of the text as the user sees them (a character beyond U+FFFF counts once). */
function chars(text) {
  return [...String(text ?? "")];
}

function shownChar(ch) {
  if (ch === " ") return "a space";
  if (/\s/.test(ch) || !/\P{C}/u.test(ch)) return `U+${ch.codePointAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
  return `\u201c${ch}\u201d`;
}

/**
 * Check a base32 secret as typed (spaces and hyphens between groups are fine, lowercase is fine,
 * "=" padding only at the end). Returns null when the companion will take it, otherwise one
 * sentence naming the first problem, positions counted from 1 in the text as typed, spaces included.
 * `short: true` accepts a secret under 80 bits, as the companion does when asked with "force".
 */
export function secretProblem(typed, { short = false } = {}) {
  const all = chars(typed);
  let letters = 0;
  let padding = false;
  for (let i = 0; i < all.length; i++) {
    const ch = all[i];
    if (" \t\r\n-".includes(ch)) continue; // what the companion removes before decoding
    if (ch === "=") {
      padding = true;
      continue;
    }
    const position = i + 1;
    if (padding) return `Character ${position} (${shownChar(ch)}) comes after \u201c=\u201d padding, which may only come at the end.`;
    if (!BASE32.includes(ch.toUpperCase())) {
      const hint = "0189".includes(ch) ? " Base32 has no 0, 1, 8 or 9: check for O, I or B." : "";
      return `Character ${position} (${shownChar(ch)}) is not base32: only the letters A to Z and the digits 2 to 7 are.${hint}`;
    }
    letters += 1;
  }
  if (!letters) return "The secret is empty: paste the base32 secret or the otpauth:// URI.";
  if (BAD_LENGTHS.has(letters % 8)) {
    return `The secret has ${letters} base32 characters, a length no secret can have: one is missing or extra.`;
  }
  if (letters < MIN_SECRET_CHARS && !short) {
    return `The secret has ${letters} base32 characters; at least ${MIN_SECRET_CHARS} (80 bits) are needed.`;
  }
  return null;
}

/** "1 entry" / "3 entries". */
export function count(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

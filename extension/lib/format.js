// Formatting codes and times for people.

/** "123456" -> "123 456"; 8 digits -> "1234 5678"; Steam's 5 characters stay together. */
export function groupCode(code) {
  const c = String(code ?? "");
  if (c.length < 6 || !/^\d+$/.test(c)) return c;
  const sizes = { 6: [3, 3], 7: [3, 4], 8: [4, 4], 9: [3, 3, 3], 10: [5, 5] }[c.length] ?? [c.length];
  const parts = [];
  let at = 0;
  for (const n of sizes) {
    parts.push(c.slice(at, at + n));
    at += n;
  }
  return parts.join(" ");
}

/** A date (unix seconds) as a short local date, e.g. for the pairing date. */
export function shortDate(unixSeconds) {
  if (!unixSeconds) return "";
  return new Date(unixSeconds * 1000).toLocaleDateString(undefined, {
    year: "numeric", month: "short", day: "numeric",
  });
}

/**
 * `text` cut to at most `max` characters as the companion counts them (code points, protocol § 4.1),
 * never inside a character: `slice` counts UTF-16 units and can split an emoji's surrogate pair,
 * leaving a lone surrogate the companion refuses. Whole graphemes are kept or dropped together where
 * Intl.Segmenter exists (👍🏽 never loses its skin tone), else whole code points.
 */
export function clipChars(text, max) {
  const s = String(text ?? "");
  const pieces = typeof Intl.Segmenter === "function"
    ? Array.from(new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(s), (g) => g.segment)
    : Array.from(s);
  let out = "";
  let count = 0;
  for (const piece of pieces) {
    const n = Array.from(piece).length;
    if (count + n > max) break;
    out += piece;
    count += n;
  }
  return out;
}

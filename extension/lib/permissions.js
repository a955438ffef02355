// What a team member's Login Role allows on an entry, and the words for what it does not. The
// companion sends, for each team entry, `team: {group, can: [...], conflict_of}`; a local entry has
// no `team` and allows everything (the vault is the user's own). The companion checks again and
// answers 403 "forbidden": hiding a control is a courtesy, never the protection.
// Pure functions (no DOM), unit-tested in tests/js/permissions.test.mjs.

/** The permission each action of the extension needs. `code`: any control that makes or shows a
 * code (the popup's code, Fill, Copy, Next code; the manage page's OTP button and "Reveal OTP", which
 * shows a code, never the secret). `reveal` is the secret or password itself. */
export const NEEDS = Object.freeze({
  code: "view",
  reveal: "reveal",
  edit: "edit",
  setOtp: "edit",
  addEntry: "edit",
  deleteOtp: "delete",
  deleteEntry: "delete",
});

const WORDS = {
  view: "show its codes",
  reveal: "reveal its secret",
  edit: "edit it",
  delete: "delete its OTP",
  admin: "administer the team",
};

/** True for an entry (or customer) of a team vault. */
export function isTeam(item) {
  return Boolean(item && typeof item.team === "object" && item.team !== null) || item?.team === true;
}

/** The permissions the role grants on `item` (entry or customer); null for a local one (all). */
function granted(item) {
  if (!isTeam(item)) return null;
  const can = typeof item.team === "object" ? item.team.can : item.can;
  return new Set(Array.isArray(can) ? can : []);
}

/** May the user do `action` (a key of NEEDS) on `item`? Unknown actions are refused. */
export function allows(item, action) {
  const permission = NEEDS[action];
  if (!permission) return false;
  const can = granted(item);
  return can === null || can.has(permission);
}

/**
 * The tooltip for a control the role does not allow, naming the missing permission, or null when
 * it is allowed: "Your team role lacks the “delete” permission: it may not delete its OTP."
 */
export function missing(item, action) {
  if (allows(item, action)) return null;
  const permission = NEEDS[action] ?? action;
  return `Your team role lacks the \u201c${permission}\u201d permission: it may not ${WORDS[permission] ?? "do this"}.`;
}

/**
 * A 403 "forbidden" from the companion as one clear sentence (never the raw answer). The companion's
 * own words ("your team role may not delete in CustA/Mail") are kept when they say which role rule
 * refused; anything else (e.g. "request refused") becomes the general sentence.
 */
export function forbiddenSentence(message) {
  const text = String(message ?? "").trim().replace(/\.$/, "");
  if (/^your team role may not /i.test(text)) {
    return `${text[0].toUpperCase()}${text.slice(1)}: ask a team admin if you need it.`;
  }
  return "The companion refused this: your team role does not allow it. Ask a team admin if you need it.";
}

// How team entries look wherever entries are shown (popup and manage page): a small "Team" badge, and
// controls the member's Login Role does not allow disabled with a tooltip naming the missing
// permission (the rule itself is in permissions.js).
import { h } from "./dom.js";
import { allows, isTeam, missing } from "./permissions.js";

/** The "Team" badge for a team entry or customer (null for a local one). */
export function teamBadge(item) {
  if (!isTeam(item)) return null;
  const can = (typeof item.team === "object" ? item.team.can : item.can) ?? [];
  const group = typeof item.team === "object" && item.team.group ? ` (group ${item.team.group})` : "";
  return h("span", { class: "badge team-badge", title: `Shared through the team vault${group}. Your role allows: ${can.length ? can.join(", ") : "nothing"}.` }, "Team");
}

/** `button` as is when the role allows `action` on `item`; otherwise disabled, with the reason. */
export function guarded(button, item, action) {
  if (!button || allows(item, action)) return button;
  button.disabled = true;
  button.title = missing(item, action);
  button.dataset.forbidden = action;
  return button;
}

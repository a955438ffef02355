// The team permission rule (extension/lib/permissions.js): which controls a Login Role allows, the
// tooltip naming the missing permission, and a 403 "forbidden" as a sentence.
import assert from "node:assert/strict";
import { test } from "node:test";
import { allows, forbiddenSentence, isTeam, missing, NEEDS } from "../../extension/lib/permissions.js";

const ACTIONS = Object.keys(NEEDS);
const teamEntry = (can) => ({ id: "e1", title: "Mail", team: { group: null, can, conflict_of: null } });

test("a local entry (no team object) allows every action and has no tooltip", () => {
  const local = { id: "e1", title: "Mail" };
  assert.equal(isTeam(local), false);
  for (const action of ACTIONS) {
    assert.equal(allows(local, action), true, action);
    assert.equal(missing(local, action), null, action);
  }
});

test("each permission allows exactly the actions that need it, alone and in every combination", () => {
  const perms = ["view", "reveal", "edit", "delete", "admin"];
  for (let mask = 0; mask < 1 << perms.length; mask++) {
    const can = perms.filter((_, i) => mask & (1 << i));
    const entry = teamEntry(can);
    assert.equal(isTeam(entry), true);
    assert.equal(allows(entry, "code"), can.includes("view"), `code with ${can}`);
    assert.equal(allows(entry, "reveal"), can.includes("reveal"), `reveal with ${can}`);
    for (const a of ["edit", "setOtp", "addEntry"]) assert.equal(allows(entry, a), can.includes("edit"), `${a} with ${can}`);
    for (const a of ["deleteOtp", "deleteEntry"]) assert.equal(allows(entry, a), can.includes("delete"), `${a} with ${can}`);
  }
});

test("admin alone grants nothing on entries; an empty or missing `can` grants nothing", () => {
  for (const entry of [teamEntry(["admin"]), teamEntry([]), { team: {} }, { team: { can: "view" } }]) {
    for (const action of ACTIONS) assert.equal(allows(entry, action), false, `${JSON.stringify(entry)} ${action}`);
  }
});

test("a team customer as /v1/customers sends it ({team: true, can}) follows the same rule", () => {
  const customer = { id: "c1", name: "CustA", team: true, can: ["view", "edit"] };
  assert.equal(isTeam(customer), true);
  assert.equal(allows(customer, "addEntry"), true);
  assert.equal(allows(customer, "deleteOtp"), false);
  const local = { id: "c2", name: "Home", notes: "" };
  assert.equal(isTeam(local), false);
  assert.equal(allows(local, "addEntry"), true);
  assert.equal(isTeam({ team: false, can: [] }), false);
});

test("an unknown action is refused, even on a local entry", () => {
  assert.equal(allows({ id: "e1" }, "launch"), false);
  assert.equal(allows(teamEntry(["view", "reveal", "edit", "delete", "admin"]), "launch"), false);
});

test("the tooltip names the missing permission and what it would allow", () => {
  const viewOnly = teamEntry(["view"]);
  assert.equal(missing(viewOnly, "code"), null);
  assert.equal(missing(viewOnly, "reveal"), "Your team role lacks the \u201creveal\u201d permission: it may not reveal its secret.");
  assert.equal(missing(viewOnly, "setOtp"), "Your team role lacks the \u201cedit\u201d permission: it may not edit it.");
  assert.equal(missing(viewOnly, "deleteOtp"), "Your team role lacks the \u201cdelete\u201d permission: it may not delete its OTP.");
  assert.equal(missing(teamEntry(["edit"]), "code"), "Your team role lacks the \u201cview\u201d permission: it may not show its codes.");
});

test("a 403 forbidden is one sentence: the companion's role rule kept, anything else in general words", () => {
  assert.equal(forbiddenSentence("your team role may not delete in CustA/Mail"),
    "Your team role may not delete in CustA/Mail: ask a team admin if you need it.");
  assert.equal(forbiddenSentence("Your team role may not edit CustA/Mail."),
    "Your team role may not edit CustA/Mail: ask a team admin if you need it.");
  for (const raw of ["request refused", "", undefined, '{"error":"forbidden"}']) {
    assert.equal(forbiddenSentence(raw), "The companion refused this: your team role does not allow it. Ask a team admin if you need it.");
  }
});

test("describeError turns an error of kind forbidden (as the worker passes it on) into that sentence", async () => {
  const { describeError } = await import("../../extension/lib/messages.js");
  const err = Object.assign(new Error("your team role may not show codes of CustA/Mail"), { kind: "forbidden" });
  assert.equal(describeError(err), "Your team role may not show codes of CustA/Mail: ask a team admin if you need it.");
  const other = Object.assign(new Error("your team role may not show codes of CustA/Mail"), { kind: "http" });
  assert.equal(describeError(other), "Your team role may not show codes of CustA/Mail.");
});

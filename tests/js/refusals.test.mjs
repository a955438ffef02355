// An unlock refused by the companion, in words (extension/lib/refusals.js), and the error kinds the
// protocol code gives each wire code (extension/background/client.js, answers signed with a real key).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as client from "../../extension/background/client.js";
import {
  rateLimitedSentence, retryAfterSeconds, UNLOCK_DISABLED, UNLOCK_SWITCHED_OFF, unlockErrorSentence, WRONG_PASSWORD,
} from "../../extension/lib/refusals.js";

const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();

test("only wrong_password says wrong password", () => {
  assert.equal(unlockErrorSentence({ kind: "wrong_password", code: "wrong_password", status: 403 }), "Wrong password.");
  for (const err of [
    { kind: "http", code: "unlock_disabled", status: 403 },
    { kind: "unlock_disabled", code: "unlock_disabled", status: 403 },
    { kind: "rate_limited", code: "rate_limited", status: 429, retryAfter: 60 },
    { kind: "http", code: "bad_request", status: 400, message: "sealed value does not open" },
    { kind: "http", status: 403 },
    { kind: "forbidden", code: "forbidden", status: 403, message: "request refused" },
    { kind: "vault_damaged", code: "vault_damaged", status: 409, message: "The vault looks rolled back." },
    { kind: "not_running", message: "The companion is not running." },
  ]) {
    assert.notEqual(unlockErrorSentence(err), WRONG_PASSWORD, JSON.stringify(err));
    assert.doesNotMatch(unlockErrorSentence(err), /wrong password/i, JSON.stringify(err));
  }
});

test("unlock disabled says how it is switched on, and the terminal way", () => {
  const said = unlockErrorSentence({ kind: "unlock_disabled", code: "unlock_disabled", status: 403 });
  assert.equal(said, UNLOCK_DISABLED);
  assert.match(said, /switched off/);
  assert.match(said, /\u201callow_http_unlock\u201d to true/);
  assert.match(said, /vault\.config\.json/);
  assert.match(said, /restart the companion/);
  assert.match(said, /\u201cotpc unlock\u201d/);
  assert.ok(said.startsWith(UNLOCK_SWITCHED_OFF)); // the locked views' words when the status says it is off
});

test("rate limited says to wait, for as long as the companion asked (bounded)", () => {
  const said = unlockErrorSentence({ kind: "rate_limited", retryAfter: 60 });
  assert.match(said, /^Too many failed attempts/);
  assert.match(said, /Wait 60 seconds, then try again\.$/);
  assert.match(rateLimitedSentence(1), /Wait 1 second,/);
  assert.match(rateLimitedSentence(null), /Wait about a minute,/);
  assert.match(rateLimitedSentence("soon"), /Wait about a minute,/);
  assert.match(rateLimitedSentence(999_999), /Wait 3600 seconds,/); // an unsigned header is not believed beyond an hour
  assert.equal(retryAfterSeconds("61"), 61);
  assert.equal(retryAfterSeconds(" 5 "), 5);
  assert.equal(retryAfterSeconds("0"), 1);
  for (const junk of ["", "-1", "1.5", "Wed, 21 Oct 2026 07:28:00 GMT", "1e9", "1234567", null, undefined]) {
    assert.equal(retryAfterSeconds(junk), null, String(junk));
  }
});

test("any other refusal names the wire code, never the companion's free text", () => {
  assert.equal(unlockErrorSentence({ kind: "http", code: "bad_request", status: 400, message: "field 'password' has the wrong type" }),
    "The companion refused the unlock: bad_request.");
  assert.equal(unlockErrorSentence({ kind: "forbidden", code: "forbidden", status: 403, message: "request refused" }),
    "The companion refused the unlock: forbidden.");
  assert.equal(unlockErrorSentence({ kind: "http", code: "internal", status: 500 }), "The companion refused the unlock: internal.");
  // A code that is not a wire code (something else on the port) is not echoed; the status is.
  const odd = unlockErrorSentence({ kind: "http", code: "hunter2 <b>pw</b>", status: 418, message: "hunter2" });
  assert.equal(odd, "The companion refused the unlock (HTTP 418).");
  assert.equal(unlockErrorSentence({ kind: "http", code: "x".repeat(41), status: 400 }), "The companion refused the unlock (HTTP 400).");
  assert.equal(unlockErrorSentence({ kind: "http" }), "The companion refused the unlock.");
  assert.equal(unlockErrorSentence({ kind: "http", status: 403 }), "The companion refused the unlock (HTTP 403).");
});

test("the worker's own words pass through as sentences", () => {
  assert.equal(unlockErrorSentence({ kind: "not_running", message: "The companion is not running." }), "The companion is not running.");
  assert.equal(unlockErrorSentence({ kind: "vault_damaged", code: "vault_damaged", status: 409, message: "The vault looks rolled back" }),
    "The vault looks rolled back.");
  assert.equal(unlockErrorSentence({ kind: "error", message: "the extension's background did not answer" }),
    "The extension's background did not answer.");
  assert.equal(unlockErrorSentence(new Error("no pairing")), "No pairing.");
});

// ---- the wire codes → kinds, through client.call with answers signed by a real key -----------------

const macKey = await client.importHmacKey(new Uint8Array(32).fill(9));
const session = { baseUrl: "http://127.0.0.1:9", clientId: "c", macKey };

function answering(status, payload, { signed = true, headers = {} } = {}) {
  const body = enc.encode(JSON.stringify(payload));
  return async (_url, init) => {
    const all = { ...headers };
    if (signed) {
      const digest = client.hex(await subtle.digest("SHA-256", body));
      all["X-OTPC-Resp-Sig"] = client.b64u(await subtle.sign("HMAC", macKey,
        enc.encode(`OTPC1-RESP\n${init.headers["X-OTPC-Nonce"]}\n${status}\n${digest}`)));
    }
    return new Response(body, { status, headers: all });
  };
}

async function refusal(fetchFn) {
  try {
    await client.call(session, "/v1/unlock", { password: "sealed" }, { fetchFn });
  } catch (err) {
    return err;
  }
  throw new Error("the call was not refused");
}

test("a signed 403 wrong_password is its own kind; unlock_disabled too; other 403s are not", async () => {
  const wrong = await refusal(answering(403, { error: "wrong_password", message: "wrong master password" }));
  assert.equal(wrong.kind, "wrong_password");
  assert.equal(wrong.message, WRONG_PASSWORD);
  const off = await refusal(answering(403, { error: "unlock_disabled", message: "unlocking over HTTP is switched off" }));
  assert.equal(off.kind, "unlock_disabled");
  assert.equal(off.error, "unlock_disabled");
  assert.equal(unlockErrorSentence(off), UNLOCK_DISABLED);
  const other = await refusal(answering(400, { error: "bad_request", message: "sealed value does not open" }));
  assert.equal(other.kind, "http");
  assert.equal(unlockErrorSentence({ kind: other.kind, code: other.error, status: other.status }),
    "The companion refused the unlock: bad_request.");
});

test("an unsigned 429 is rate_limited with the Retry-After it carried", async () => {
  const limited = await refusal(answering(429, { error: "rate_limited", message: "too many failed attempts" },
    { signed: false, headers: { "Retry-After": "42" } }));
  assert.equal(limited.kind, "rate_limited");
  assert.equal(limited.retryAfter, 42);
  assert.match(limited.message, /Wait 42 seconds/);
  const bare = await refusal(answering(429, {}, { signed: false }));
  assert.equal(bare.retryAfter, null);
  assert.match(bare.message, /Wait about a minute/);
});

test("an unsigned 403 claiming wrong_password is not believed (it is not a signed answer)", async () => {
  const err = await refusal(answering(403, { error: "wrong_password", message: "wrong master password" }, { signed: false }));
  assert.notEqual(err.kind, "wrong_password");
  assert.notEqual(unlockErrorSentence({ kind: err.kind, code: err.error, status: err.status }), WRONG_PASSWORD);
});

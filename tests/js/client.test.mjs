// The extension's protocol code against the vectors shared with the Python tests
// (tests/vectors/protocol.json, described in docs/protocol.md § 10).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as client from "../../extension/background/client.js";

const vectors = JSON.parse(readFileSync(new URL("../vectors/protocol.json", import.meta.url), "utf8"));
const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();

test("pairing code normalisation", () => {
  for (const [input, expected] of vectors.code_normalisation) {
    assert.equal(client.normalisePairingCode(input), expected, input);
  }
  assert.equal(client.normalisePairingCode(vectors.pairing.code_display), vectors.pairing.code);
});

test("base64url round trip, no padding, strict alphabet", () => {
  const bytes = Uint8Array.from([0, 255, 254, 1, 2]);
  assert.equal(client.b64u(bytes), "AP_-AQI");
  assert.deepEqual([...client.unb64u("AP_-AQI")], [...bytes]);
  assert.throws(() => client.unb64u("AP/+AQI="));
});

test("pairing key schedule and confirmation MACs match the vectors", async () => {
  const p = vectors.pairing;
  const privateKey = await subtle.importKey("jwk", { ...p.client_jwk, ext: true },
    { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  assert.equal(client.transcript({ origin: p.origin, clientPub: p.client_pub, serverPub: p.server_pub,
    clientNonce: p.client_nonce, serverNonce: p.server_nonce, txn: p.txn }), p.transcript);
  const s = await client.pairingSecrets({ privateKey, origin: p.origin, clientPub: p.client_pub,
    serverPub: p.server_pub, clientNonce: p.client_nonce, serverNonce: p.server_nonce, txn: p.txn, code: p.code });
  assert.equal(s.th, p.th);
  assert.equal(client.b64u(s.shared), p.shared);
  assert.equal(client.b64u(s.raw.clientConfirm), p.k_client_confirm);
  assert.equal(client.b64u(s.raw.serverConfirm), p.k_server_confirm);
  assert.equal(client.b64u(s.raw.mac), p.k_mac);
  assert.equal(client.b64u(s.raw.enc), p.k_enc);
  assert.equal(await client.clientConfirmMac(s.raw.clientConfirm, s.th), p.client_mac);
  assert.equal(await client.verifyServerConfirm(s.raw.serverConfirm, s.th, p.client_id, p.server_mac), true);
  assert.equal(await client.verifyServerConfirm(s.raw.serverConfirm, s.th, "someone-else", p.server_mac), false);
});

test("our ephemeral public key is a 65-byte uncompressed point and the private key is not extractable", async () => {
  const { privateKey, pub } = await client.newEphemeralKey();
  assert.equal(pub.length, 65);
  assert.equal(pub[0], 4);
  assert.equal(privateKey.extractable, false);
});

test("request signature matches the vector", async () => {
  const r = vectors.request;
  const macKey = await client.importHmacKey(client.unb64u(r.k_mac));
  const fields = { method: r.method, target: r.target, host: r.host, clientId: r.client_id, ts: r.ts,
    nonce: r.nonce, body: enc.encode(r.body) };
  assert.equal(await client.canonicalRequest(fields), r.canonical);
  assert.equal(await client.signRequest(macKey, fields), r.sig);
  assert.equal(macKey.extractable, false);
});

test("response signature verifies, and a changed body or status does not", async () => {
  const r = vectors.response;
  const macKey = await client.importHmacKey(client.unb64u(r.k_mac));
  const body = enc.encode(r.body);
  assert.equal(await client.verifyResponse(macKey, r.request_nonce, r.status, body, r.sig), true);
  assert.equal(await client.verifyResponse(macKey, r.request_nonce, 201, body, r.sig), false);
  assert.equal(await client.verifyResponse(macKey, r.request_nonce, r.status, enc.encode(`${r.body} `), r.sig), false);
  assert.equal(await client.verifyResponse(macKey, r.request_nonce, r.status, body, ""), false);
  assert.equal(await client.verifyResponse(macKey, r.request_nonce, r.status, body, "%%%"), false);
});

test("sealing matches the vector and opens only with the same purpose", async () => {
  const s = vectors.seal;
  const key = await client.importAesKey(client.unb64u(s.k_enc));
  assert.equal(new TextDecoder().decode(client.sealAad(s.client_id, s.purpose)), s.aad);
  assert.equal(await client.seal(key, s.client_id, s.purpose, s.plaintext, client.unb64u(s.nonce)), s.blob);
  assert.equal(await client.unseal(key, s.client_id, s.purpose, s.blob), s.plaintext);
  await assert.rejects(client.unseal(key, s.client_id, "otp-secret", s.blob));
});

test("a mistyped pairing code is refused before anything is sent", async () => {
  let sent = 0;
  const fetchFn = async () => { sent += 1; throw new Error("must not be called"); };
  await assert.rejects(client.pair({ baseUrl: "http://127.0.0.1:1", origin: "x", typedCode: "1234",
    clientName: "t", fetchFn }), (e) => e.kind === "bad_code");
  assert.equal(sent, 0);
});

test("an unreachable companion is reported as not running", async () => {
  const fetchFn = async () => { throw new TypeError("Failed to fetch"); };
  const macKey = await client.importHmacKey(new Uint8Array(32));
  await assert.rejects(client.call({ baseUrl: "http://127.0.0.1:9", clientId: "c", macKey }, "/v1/status", {}, { fetchFn }),
    (e) => e.kind === "not_running");
});

test("a signed 403 read_only answer is a read_only error that says the companion refused", async () => {
  const rawKey = new Uint8Array(32).fill(7);
  const macKey = await client.importHmacKey(rawKey);
  const body = enc.encode(JSON.stringify({ error: "read_only", message: "this client is read-only" }));
  const fetchFn = async (_url, init) => {
    const nonce = init.headers["X-OTPC-Nonce"];
    const digest = client.hex(await subtle.digest("SHA-256", body));
    const sig = client.b64u(await subtle.sign("HMAC", macKey, enc.encode(`OTPC1-RESP\n${nonce}\n403\n${digest}`)));
    return new Response(body, { status: 403, headers: { "X-OTPC-Resp-Sig": sig } });
  };
  await assert.rejects(
    client.call({ baseUrl: "http://127.0.0.1:9", clientId: "c", macKey }, "/v1/otp/delete", { entry_id: "e" }, { fetchFn }),
    (e) => e.kind === "read_only" && e.status === 403
      && e.message.startsWith("The companion refused the change: this client is read-only."));
});

test("clock offset: never more than 25 s into the future, at most a day back (issue 9.14)", () => {
  assert.equal(client.capOffset(72), client.FUTURE_CAP_SECONDS);
  assert.equal(client.capOffset(86_400), 25);
  assert.equal(client.capOffset(-3600), -3600);
  assert.equal(client.capOffset(-10 * 86_400), -86_400);
  assert.equal(client.capOffset(Number.NaN), 0);
  assert.equal(client.capOffset("junk"), 0);
  assert.equal(client.capOffset(12.5), 12.5);
});

test("a call told a far-future offset still signs a timestamp within 25 s of our clock", async () => {
  const macKey = await client.importHmacKey(new Uint8Array(32));
  let sent;
  const fetchFn = async (_url, init) => {
    sent = Number(init.headers["X-OTPC-Ts"]);
    return new Response("{}", { status: 401, headers: { Date: new Date(Date.now() + 86_400_000).toUTCString() } });
  };
  const session = { baseUrl: "http://127.0.0.1:1", clientId: "c".repeat(22), macKey };
  await assert.rejects(client.call(session, "/v1/status", {}, { fetchFn, clockOffset: 86_400 }), { kind: "unauthorized" });
  assert.ok(sent <= Date.now() / 1000 + 25, `signed ${sent - Date.now() / 1000} s ahead`);
});

// The wire protocol OTPC1 (docs/protocol.md): pairing, signing requests, verifying responses,
// sealing secrets. WebCrypto only; keys are non-extractable CryptoKeys. No storage and no browser
// APIs here (fetch is passed in), so node's test runner checks it against tests/vectors/protocol.json.
import { rateLimitedSentence, retryAfterSeconds, UNLOCK_DISABLED, WRONG_PASSWORD } from "../lib/refusals.js";

const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export class CompanionError extends Error {
  /**
   * kind: not_running | unauthorized | locked | forbidden | read_only | rate_limited | bad_signature | http
   * | bad_code | weak_otp | vault_damaged | wrong_password | unlock_disabled. error: the companion's wire
   * code (protocol § 3), retryAfter: the seconds a 429 asked to wait (or null).
   */
  constructor(kind, message, { status = 0, error = "", retryAfter = null } = {}) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.error = error;
    this.retryAfter = retryAfter;
  }
}

// ---- encodings -------------------------------------------------------------------------------

export function b64u(bytes) {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let bin = "";
  for (const b of view) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function unb64u(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
    throw new CompanionError("bad_signature", "malformed base64url value from the companion");
  }
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function hex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

async function sha256(bytes) {
  return new Uint8Array(await subtle.digest("SHA-256", bytes));
}

/** The pairing code as typed → the 12 canonical characters, or null when it is mistyped. */
export function normalisePairingCode(typed) {
  const code = String(typed ?? "").toUpperCase().replace(/[-\s]/g, "")
    .replace(/O/g, "0").replace(/[IL]/g, "1");
  if (code.length !== 12 || [...code].some((c) => !CROCKFORD.includes(c))) return null;
  return code;
}

// ---- keys --------------------------------------------------------------------------------------

export async function importHmacKey(raw) {
  return subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

export async function importAesKey(raw) {
  return subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
}

async function hmac(key, text) {
  return new Uint8Array(await subtle.sign("HMAC", key, enc.encode(text)));
}

/** A fresh ephemeral ECDH P-256 key pair (private key non-extractable) and its raw public point. */
export async function newEphemeralKey() {
  const pair = await subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
  const pub = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
  return { privateKey: pair.privateKey, pub };
}

export function transcript({ origin, clientPub, serverPub, clientNonce, serverNonce, txn }) {
  return ["OTPC1-PAIR", origin, clientPub, serverPub, clientNonce, serverNonce, txn].join("\n");
}

/**
 * The pairing key schedule (§ 4.2). All b64u strings except privateKey and code.
 * Returns {th (b64u), raw: {clientConfirm, serverConfirm, mac, enc} as bytes}.
 */
export async function pairingSecrets({ privateKey, origin, clientPub, serverPub, clientNonce, serverNonce, txn, code }) {
  const th = await sha256(enc.encode(transcript({ origin, clientPub, serverPub, clientNonce, serverNonce, txn })));
  const serverKey = await subtle.importKey("raw", unb64u(serverPub), { name: "ECDH", namedCurve: "P-256" }, false, []);
  const shared = await subtle.deriveBits({ name: "ECDH", public: serverKey }, privateKey, 256);
  const ikm = await subtle.importKey("raw", shared, "HKDF", false, ["deriveBits"]);
  const derive = async (label) => new Uint8Array(await subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: th, info: enc.encode(`OTPC1-PAIR-KEY\n${label}\n${code}`) }, ikm, 256));
  return {
    th: b64u(th),
    shared: new Uint8Array(shared),
    raw: {
      clientConfirm: await derive("client-confirm"),
      serverConfirm: await derive("server-confirm"),
      mac: await derive("mac"),
      enc: await derive("enc"),
    },
  };
}

export async function clientConfirmMac(kClientConfirmRaw, th) {
  return b64u(await hmac(await importHmacKey(kClientConfirmRaw), `OTPC1-CONFIRM-CLIENT\n${th}`));
}

export async function verifyServerConfirm(kServerConfirmRaw, th, clientId, serverMac) {
  const key = await importHmacKey(kServerConfirmRaw);
  return subtle.verify("HMAC", key, unb64u(serverMac), enc.encode(`OTPC1-CONFIRM-SERVER\n${th}\n${clientId}`));
}

// ---- requests and responses ------------------------------------------------------------------

export async function canonicalRequest({ method, target, host, clientId, ts, nonce, body }) {
  return ["OTPC1-HMAC-SHA256", method, target, host, clientId, String(ts), nonce,
    hex(await sha256(body))].join("\n");
}

export async function signRequest(macKey, fields) {
  return b64u(await hmac(macKey, await canonicalRequest(fields)));
}

export async function verifyResponse(macKey, requestNonce, status, bodyBytes, sig) {
  if (!sig) return false;
  let mac;
  try {
    mac = unb64u(sig);
  } catch {
    return false;
  }
  const canonical = `OTPC1-RESP\n${requestNonce}\n${status}\n${hex(await sha256(bodyBytes))}`;
  return subtle.verify("HMAC", macKey, mac, enc.encode(canonical));
}

export function sealAad(clientId, purpose) {
  return enc.encode(`OTPC1-SEAL\n${clientId}\n${purpose}`);
}

export async function seal(encKey, clientId, purpose, plaintext, nonce = randomBytes(12)) {
  const ct = await subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: sealAad(clientId, purpose), tagLength: 128 },
    encKey, enc.encode(plaintext));
  const blob = new Uint8Array(12 + ct.byteLength);
  blob.set(nonce, 0);
  blob.set(new Uint8Array(ct), 12);
  return b64u(blob);
}

export async function unseal(encKey, clientId, purpose, blob) {
  const bytes = unb64u(blob);
  const pt = await subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12), additionalData: sealAad(clientId, purpose), tagLength: 128 },
    encKey, bytes.slice(12));
  return new TextDecoder().decode(pt);
}

// ---- talking to the companion -------------------------------------------------------------------

function errorFrom(status, body, { retryAfter = null } = {}) {
  const error = body?.error ?? "";
  const message = body?.message ?? `the companion answered ${status}`;
  if (status === 401) return new CompanionError("unauthorized", "The companion did not recognise this browser.", { status, error });
  if (status === 423) return new CompanionError("locked", "The vault is locked.", { status, error });
  if (status === 429) {
    const seconds = retryAfterSeconds(retryAfter);
    return new CompanionError("rate_limited", rateLimitedSentence(seconds), { status, error: "rate_limited", retryAfter: seconds });
  }
  // /v1/unlock's refusals (§ 8): only wrong_password is a wrong password.
  if (status === 403 && error === "wrong_password") return new CompanionError("wrong_password", WRONG_PASSWORD, { status, error });
  if (status === 403 && error === "unlock_disabled") return new CompanionError("unlock_disabled", UNLOCK_DISABLED, { status, error });
  if (error === "vault_damaged") {
    return new CompanionError("vault_damaged", "The vault looks rolled back (an older copy of the file) or damaged, "
      + "so the companion will not open it. Run \u201cotpc unlock\u201d in a terminal to see why; the README says what to do.", { status, error });
  }
  if (status === 403 && error === "read_only") {
    return new CompanionError("read_only", `The companion refused the change: ${message.replace(/\.$/, "")}. `
      + "This browser's pairing allows no such edits (see \u201cotpc clients scope\u201d).", { status, error });
  }
  // weak_otp (/v1/otp/set without "force"): the manage page offers the choice instead of failing.
  if (status === 400 && error === "weak_otp") return new CompanionError("weak_otp", message, { status, error });
  return new CompanionError(status === 403 && error === "forbidden" ? "forbidden" : "http", message, { status, error });
}

async function post(fetchFn, url, bodyText, headers) {
  try {
    return await fetchFn(url, { method: "POST", headers: { "Content-Type": "application/json", ...headers },
      body: bodyText, cache: "no-store", credentials: "omit", redirect: "error" });
  } catch {
    throw new CompanionError("not_running", "The companion is not running.");
  }
}

/** Pair with the companion (§ 4). Returns {clientId, macKey, encKey, scope}; never stores anything. */
export async function pair({ baseUrl, origin, typedCode, clientName, fetchFn = fetch }) {
  const code = normalisePairingCode(typedCode);
  if (!code) throw new CompanionError("bad_code", "That code is mistyped: it has 12 letters and digits, like 7K3M-Q9ZD-W2HX.");
  const { privateKey, pub } = await newEphemeralKey();
  const clientNonce = b64u(randomBytes(32));
  const clientPub = b64u(pub);
  const initRes = await post(fetchFn, `${baseUrl}/v1/pair/init`,
    JSON.stringify({ client_pub: clientPub, client_nonce: clientNonce, client_name: clientName }), {});
  const init = await initRes.json().catch(() => ({}));
  if (initRes.status === 409) throw new CompanionError("pairing_closed", "No pairing window is open: run \u201cotpc pair\u201d and use the code it prints within 2 minutes.", { status: 409 });
  if (!initRes.ok) throw errorFrom(initRes.status, init);
  const secrets = await pairingSecrets({ privateKey, origin, clientPub, serverPub: init.server_pub,
    clientNonce, serverNonce: init.server_nonce, txn: init.txn, code });
  const confirmRes = await post(fetchFn, `${baseUrl}/v1/pair/confirm`,
    JSON.stringify({ txn: init.txn, client_mac: await clientConfirmMac(secrets.raw.clientConfirm, secrets.th) }), {});
  const confirm = await confirmRes.json().catch(() => ({}));
  if (confirmRes.status === 403) throw new CompanionError("pairing_failed", "The companion refused that code. Check it, or run \u201cotpc pair\u201d again for a new one.", { status: 403 });
  if (confirmRes.status === 409) throw new CompanionError("pairing_closed", "The pairing window closed: run \u201cotpc pair\u201d again.", { status: 409 });
  if (!confirmRes.ok) throw errorFrom(confirmRes.status, confirm);
  const genuine = typeof confirm.client_id === "string" && typeof confirm.server_mac === "string"
    && await verifyServerConfirm(secrets.raw.serverConfirm, secrets.th, confirm.client_id, confirm.server_mac);
  if (!genuine) throw new CompanionError("bad_signature", "The answer did not prove knowledge of the code: something else may be listening on the port. Nothing was stored.");
  return {
    clientId: confirm.client_id,
    macKey: await importHmacKey(secrets.raw.mac),
    encKey: await importAesKey(secrets.raw.enc),
    scope: confirm.scope ?? { write: false, customers: [] },
  };
}

// ---- the clock -----------------------------------------------------------------------------------
// The companion accepts X-OTPC-Ts within 30 s of its clock. Whoever answers on the port can claim any
// time in an unsigned Date header (issue 9.14): a request signed for a moment in the future could be
// replayed then against the real companion. So the offset added to our clock is capped: at most
// FUTURE_CAP_SECONDS ahead of the browser's own clock (inside the allowed skew), at most a day behind
// (a timestamp in the past cannot be replayed later).

export const FUTURE_CAP_SECONDS = 25;
export const PAST_CAP_SECONDS = 86_400;

/** The offset (seconds) we are willing to add to the browser clock when signing. */
export function capOffset(offset) {
  const n = Number(offset);
  if (!Number.isFinite(n)) return 0;
  return Math.min(FUTURE_CAP_SECONDS, Math.max(-PAST_CAP_SECONDS, n));
}

/**
 * One signed call (§ 5, § 6). session = {baseUrl, clientId, macKey}; returns the parsed JSON body of
 * a 200 answer; throws CompanionError otherwise. clockOffset (s) corrects a browser clock that is off,
 * within capOffset.
 */
export async function call(session, path, body = {}, { fetchFn = fetch, clockOffset = 0 } = {}) {
  const bodyText = JSON.stringify(body);
  const bodyBytes = enc.encode(bodyText);
  const host = new URL(session.baseUrl).host;
  const ts = Math.floor(Date.now() / 1000 + capOffset(clockOffset));
  const nonce = b64u(randomBytes(16));
  const sig = await signRequest(session.macKey, { method: "POST", target: path, host,
    clientId: session.clientId, ts, nonce, body: bodyBytes });
  const res = await post(fetchFn, `${session.baseUrl}${path}`, bodyText, {
    "X-OTPC-Client": session.clientId, "X-OTPC-Ts": String(ts), "X-OTPC-Nonce": nonce, "X-OTPC-Sig": sig,
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status === 401 || res.status === 403 && !res.headers.get("X-OTPC-Resp-Sig") || res.status === 429) {
    const err = errorFrom(res.status, {}, { retryAfter: res.headers.get("Retry-After") });
    err.serverDate = res.headers.get("Date");
    throw err;
  }
  if (!(await verifyResponse(session.macKey, nonce, res.status, bytes, res.headers.get("X-OTPC-Resp-Sig")))) {
    throw new CompanionError("bad_signature", "The companion's answer was not signed with this browser's key: something else may be listening on the port.");
  }
  let parsed;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new CompanionError("http", "The companion sent something that is not JSON.", { status: res.status });
  }
  if (res.status !== 200) throw errorFrom(res.status, parsed);
  return parsed;
}

"""/v1/otp/set and weak OTPs (issue 10 item 6 / the manage page's digits field): 4-5 digit codes and
secrets under 80 bits are saved only with an explicit `"force": true`, as `otpc otp set --force`;
without it the answer is 400 `weak_otp` and the entry is unchanged. A real companion, a real paired
client; codes checked against an RFC 4226 computation written here."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import uuid

import pytest

pytestmark = pytest.mark.slow  # a companion and weak-OTP requests through it (make test-fast leaves it out)

SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
SHORT_SECRET = "GEZDGNBV"  # 40 bits


def rfc_totp(secret_b32: str, at: float, digits: int, period: int = 30) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", int(at // period)), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


@pytest.fixture
def entry(companion, client):
    status, body = client.call("/v1/entries/create", {
        "customer_id": companion.ids["acme"], "title": f"weak-{uuid.uuid4().hex[:8]}"})
    assert status == 200, body
    return body["entry"]["id"]


def otp_of(client, eid):
    status, body = client.call("/v1/entry", {"entry_id": eid})
    assert status == 200, body
    return body["entry"]["otp"]


def check_code(client, eid, secret, digits):
    status, body = client.call("/v1/code", {"entry_id": eid})
    assert status == 200, body
    assert len(body["code"]) == digits
    assert body["code"] in {rfc_totp(secret, body["server_time"] + d, digits) for d in (-1, 0, 1)}


@pytest.mark.parametrize("digits", [4, 5])
def test_few_digits_need_force(client, entry, digits):
    fields = {"entry_id": entry, "secret": client.seal("otp-secret", SECRET), "digits": digits}
    status, body = client.call("/v1/otp/set", fields)
    assert (status, body["error"]) == (400, "weak_otp")
    assert f"{digits}-digit codes are easy to guess" in body["message"]
    assert '"force": true' in body["message"] and "--force" not in body["message"]
    assert otp_of(client, entry) is None  # nothing was saved
    status, body = client.call("/v1/otp/set", fields | {"force": True})
    assert status == 200, body
    assert body["entry"]["otp"]["digits"] == digits
    check_code(client, entry, SECRET, digits)


def test_a_uri_with_five_digits_needs_force_too(client, entry):
    uri = f"otpauth://totp/Acme:five?secret={SECRET}&digits=5"
    fields = {"entry_id": entry, "uri": client.seal("otp-uri", uri)}
    status, body = client.call("/v1/otp/set", fields)
    assert (status, body["error"]) == (400, "weak_otp")
    status, body = client.call("/v1/otp/set", fields | {"force": True})
    assert status == 200 and body["entry"]["otp"]["digits"] == 5
    check_code(client, entry, SECRET, 5)


def test_a_short_secret_needs_force_and_an_old_otp_stays_until_then(client, entry):
    assert client.call("/v1/otp/set", {"entry_id": entry, "secret": client.seal("otp-secret", SECRET)})[0] == 200
    fields = {"entry_id": entry, "secret": client.seal("otp-secret", SHORT_SECRET)}
    status, body = client.call("/v1/otp/set", fields)
    assert (status, body["error"]) == (400, "weak_otp")
    assert "40 bits" in body["message"] and SHORT_SECRET not in body["message"]
    check_code(client, entry, SECRET, 6)  # the refused set changed nothing
    assert client.call("/v1/otp/set", fields | {"force": True})[0] == 200
    check_code(client, entry, SHORT_SECRET, 6)


@pytest.mark.parametrize("fields,message", [
    ({"digits": 3, "force": True}, "digits must be 4 to 10"),
    ({"digits": 11}, "digits must be 4 to 10"),
    ({"force": "yes"}, "field 'force' has the wrong type"),
])
def test_what_force_does_not_cover_is_a_plain_bad_request(client, entry, fields, message):
    status, body = client.call("/v1/otp/set", {
        "entry_id": entry, "secret": client.seal("otp-secret", SECRET), **fields})
    assert (status, body["error"]) == (400, "bad_request")
    assert message in body["message"]
    assert otp_of(client, entry) is None

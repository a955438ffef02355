"""Positive paths through the independent protocol client (tests/server/protoclient.py)."""

from __future__ import annotations

import time

import protoclient as pc
import pyotp
import pytest
from companion_harness import ENTRY_PASSWORD, HOTP_SECRET, PASSWORD, SECRET

pytestmark = pytest.mark.slow  # a real companion


def test_pairs_and_reports_status(companion, client):
    status, body = client.call("/v1/status")
    assert status == 200
    assert body["locked"] is False and body["api_version"] == 1
    assert body["client_id"] == client.client_id
    assert body["scope"] == {"write": True, "customers": None}
    assert abs(body["server_time"] - time.time()) < 5


def test_code_matches_an_independent_totp(companion, client):
    status, body = client.call("/v1/code", {"entry_id": companion.ids["mail"]})
    assert status == 200
    assert body["entry_id"] == companion.ids["mail"]
    expected = {pyotp.TOTP(SECRET).at(body["server_time"] + d) for d in (-1, 0, 1)}
    assert body["code"] in expected
    assert body["period"] == 30 and 0 < body["remaining"] <= 30
    assert "secret" not in body


def test_hotp_advances_the_counter_each_call(companion, client):
    first = client.call("/v1/code", {"entry_id": companion.ids["vpn"]})[1]
    second = client.call("/v1/code", {"entry_id": companion.ids["vpn"]})[1]
    assert second["counter"] == first["counter"] + 1
    hotp = pyotp.HOTP(HOTP_SECRET)
    assert first["code"] == hotp.at(first["counter"])
    assert second["code"] == hotp.at(second["counter"])


def test_entries_by_site_and_search(companion, client):
    status, body = client.call("/v1/entries", {"site": "https://login.mail.acme.com/x?y=1"})
    assert status == 200
    found = {e["id"] for e in body["entries"]}
    assert found == {companion.ids["mail"], companion.ids["vpn"]}  # same registrable domain
    assert all("password" not in e and "secret" not in e for e in body["entries"])
    body = client.call("/v1/entries", {"search": "portal"})[1]
    assert [e["title"] for e in body["entries"]] == ["Portal"]
    assert client.call("/v1/entries", {"site": "https://acme.com.evil.example"})[1]["entries"] == []


def test_reveal_password_is_sealed_and_audited(companion, client):
    status, body = client.call("/v1/password/reveal", {"entry_id": companion.ids["mail"]})
    assert status == 200
    assert ENTRY_PASSWORD not in str(body)
    assert client.unseal("reveal-password", body["password"]) == ENTRY_PASSWORD
    events = client.call("/v1/audit", {"entry_id": companion.ids["mail"]})[1]["events"]
    assert any(
        e["action"] == "password" and e["actor"] == f"client:{client.client_id}" for e in events
    )


def test_audit_record_fill_and_copy(companion, client):
    for action in ("fill", "copy"):
        status, _ = client.call("/v1/audit/record", {"entry_id": companion.ids["mail"], "action": action})
        assert status == 200
    status, body = client.call("/v1/audit/record", {"entry_id": companion.ids["mail"], "action": "x"})
    assert status == 400 and body["error"] == "bad_request"
    events = client.call("/v1/audit", {"limit": 5})[1]["events"]
    assert [e["action"] for e in events][-2:] == ["fill", "copy"]


def test_customer_entry_and_otp_lifecycle(companion, client):
    status, body = client.call("/v1/customers/create", {"name": "Initech"})
    assert status == 200
    cid = body["customer"]["id"]
    names = [c["name"] for c in client.call("/v1/customers")[1]["customers"]]
    assert "Initech" in names
    sealed = client.seal("entry-password", "s3cret-pw")
    status, body = client.call(
        "/v1/entries/create",
        {"customer_id": cid, "title": "Mail", "password": sealed, "urls": ["https://initech.example"]},
    )
    assert status == 200 and body["entry"]["has_password"] is True
    eid = body["entry"]["id"]
    status, body = client.call(
        "/v1/otp/set",
        {"entry_id": eid, "secret": client.seal("otp-secret", "jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp"), "digits": 8},
    )
    assert status == 200 and body["entry"]["otp"]["digits"] == 8
    code = client.call("/v1/code", {"entry_id": eid})[1]
    assert code["code"] in {pyotp.TOTP(SECRET, digits=8).at(code["server_time"] + d)
                            for d in (-1, 0, 1)}
    uri = "otpauth://totp/Initech:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Initech&period=60"
    status, body = client.call("/v1/otp/set", {"entry_id": eid, "uri": client.seal("otp-uri", uri)})
    assert status == 200 and body["entry"]["otp"]["period"] == 60
    status, body = client.call("/v1/entries/update", {"entry_id": eid, "title": "Webmail"})
    assert status == 200 and body["entry"]["title"] == "Webmail"
    status, body = client.call("/v1/otp/delete", {"entry_id": eid})
    assert status == 200 and body["entry"]["has_otp"] is False
    assert client.call("/v1/code", {"entry_id": eid})[0] == 400
    status, body = client.call("/v1/customers/delete", {"customer_id": cid})
    assert status == 409 and body["error"] == "conflict"
    assert client.call("/v1/entries/delete", {"entry_id": eid})[0] == 200
    assert client.call("/v1/customers/delete", {"customer_id": cid})[0] == 200
    assert client.call("/v1/entry", {"entry_id": eid})[0] == 404


def test_no_endpoint_returns_a_secret(companion, client):
    for path, body in [
        ("/v1/entries", {}), ("/v1/entry", {"entry_id": companion.ids["mail"]}),
        ("/v1/customers", {}), ("/v1/audit", {}), ("/v1/status", {}),
    ]:
        reply = client.call_raw(path, body)
        assert reply.status == 200
        assert SECRET.encode() not in reply.body and ENTRY_PASSWORD.encode() not in reply.body
    for path in ("/v1/otp/get", "/v1/export", "/v1/secret"):
        assert client.call_raw(path, {"entry_id": companion.ids["mail"]}).status == 404


def test_read_only_scope_refuses_writes(companion):
    reader = companion.paired_client(write=False)
    assert reader.call("/v1/code", {"entry_id": companion.ids["mail"]})[0] == 200
    status, body = reader.call("/v1/customers/create", {"name": "Nope"})
    assert status == 403 and body["error"] == "read_only"
    status, body = reader.call("/v1/otp/delete", {"entry_id": companion.ids["mail"]})
    assert status == 403 and body["error"] == "read_only"


def test_customer_scope_hides_other_customers(companion):
    limited = companion.paired_client(customers=["Globex"])
    titles = [e["title"] for e in limited.call("/v1/entries")[1]["entries"]]
    assert titles == ["Portal"]
    assert [c["name"] for c in limited.call("/v1/customers")[1]["customers"]] == ["Globex"]
    outside = limited.call("/v1/code", {"entry_id": companion.ids["mail"]})
    missing = limited.call("/v1/code", {"entry_id": "0" * 32})
    assert outside == missing == (404, {"error": "not_found", "message": "no such entry"})
    assert limited.call("/v1/code", {"entry_id": "Acme/Mail"})[0] == 404
    assert limited.call("/v1/code", {"entry_id": companion.ids["portal"]})[0] == 200
    events = limited.call("/v1/audit", {"limit": 1000})[1]["events"]
    assert all(e["entry_id"] == companion.ids["portal"] for e in events)
    # scope changes apply on the next call
    reply = companion.control({"op": "scope", "client": limited.client_id, "all_customers": True})
    assert reply["ok"] and reply["client"]["scope"]["customers"] is None
    assert limited.call("/v1/code", {"entry_id": companion.ids["mail"]})[0] == 200


def test_lock_and_unlock_over_http(fresh_companion):
    c = fresh_companion.paired_client()
    assert c.call("/v1/lock") == (200, {"locked": True})
    status, body = c.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})
    assert status == 423 and body["error"] == "locked"
    assert c.call("/v1/status")[1]["locked"] is True
    status, body = c.call("/v1/unlock", {"password": c.seal("unlock", "wrong password!")})
    assert status == 403 and body["error"] == "wrong_password"
    status, body = c.call("/v1/unlock", {"password": c.seal("entry-password", PASSWORD)})
    assert status == 400  # sealed for another purpose: does not open
    assert c.call("/v1/unlock", {"password": c.seal("unlock", PASSWORD)}) == (200, {"locked": False})
    assert c.call("/v1/code", {"entry_id": fresh_companion.ids["mail"]})[0] == 200
    assert PASSWORD not in fresh_companion.log()


def test_openapi_document(companion):
    reply = pc.raw_request(companion.port, "GET", "/v1/openapi.json",
                           headers={"Host": f"127.0.0.1:{companion.port}"})
    assert reply.status == 200
    doc = reply.json()
    assert doc["openapi"].startswith("3.1")
    assert "/v1/code" in doc["paths"] and "/v1/pair/init" in doc["paths"]


def test_control_channel_ops(companion):
    status = companion.control({"op": "status"})
    assert status["ok"] and status["locked"] is False and status["port"] == companion.port
    code = companion.control({"op": "code", "entry": "acme/mail", "at": 59})
    assert code["ok"] and code["code"] == pyotp.TOTP(SECRET).at(59)
    missing = companion.control({"op": "code", "entry": "Acme/None", "at": None})
    assert missing["ok"] is False and missing["kind"] == "not_found"
    entries = companion.control({"op": "entries", "customer": "Globex", "search": None})
    assert [e["title"] for e in entries["entries"]] == ["Portal"]
    assert companion.control({"op": "nope"})["kind"] == "bad_request"
    clients = companion.control({"op": "clients"})["clients"]
    assert clients and all("k_mac" not in c and "k_enc" not in c for c in clients)

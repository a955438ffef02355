"""Round trips through real vault files: CRUD, search, refs, site matching, codes, audit, batch,
key rotation, password change and the OS-keyring slot."""

from __future__ import annotations

import sqlite3

import keyring
import keyring.backends.fail
import pyotp
import pytest
from vault_helpers import AT, HOTP_SECRET, PASSWORD, SECRET, hotp, steam, totp

from companion.errors import Locked, NotFound, UserError, WrongPassword
from companion.vault import Vault

RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583"]


def reopen(v: Vault, password: str = PASSWORD) -> Vault:
    path = v.path
    v.close()
    again = Vault.open(path)
    again.unlock(password)
    return again


def rows(path, sql):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_customers_and_entries_round_trip(vault):
    acme = vault.add_customer("Acme", notes="main office")
    vault.add_customer("Globex")
    e = vault.add_entry(
        "acme",
        "Mail",
        username="bob@acme.com",
        password="hunter2",
        urls=["https://mail.acme.com/login"],
        notes="shared mailbox",
        tags=["email", "prod"],
    )
    vault = reopen(vault)
    assert [c.name for c in vault.customers()] == ["Acme", "Globex"]
    assert vault.customer("ACME").notes == "main office"
    got = vault.entry(e.id)
    assert (got.customer, got.title, got.username, got.password) == (
        "Acme",
        "Mail",
        "bob@acme.com",
        "hunter2",
    )
    assert got.urls == ("https://mail.acme.com/login",)
    assert got.tags == ("email", "prod") and got.notes == "shared mailbox"
    assert got.customer_id == acme.id and not got.has_otp and got.created > 0

    with pytest.raises(UserError, match="already exists"):
        vault.add_customer("acme")
    with pytest.raises(UserError, match="already has an entry"):
        vault.add_entry("Acme", "MAIL")

    vault.update_customer("Acme", name="Acme Corp", notes="")
    vault.update_entry(e.id, username="alice@acme.com", urls=["https://webmail.acme.com"])
    vault = reopen(vault)
    got = vault.entry("acme corp/mail")
    assert got.customer == "Acme Corp" and got.username == "alice@acme.com"
    assert got.urls == ("https://webmail.acme.com",) and got.password == "hunter2"

    with pytest.raises(UserError, match="has 1 entries"):
        vault.remove_customer("Acme Corp")
    vault.remove_entry(e.id)
    with pytest.raises(NotFound):
        vault.entry(e.id)
    vault.remove_customer("Acme Corp")
    vault = reopen(vault)
    assert [c.name for c in vault.customers()] == ["Globex"]
    assert vault.entries() == []
    vault.close()


def test_remove_customer_force_takes_entries_and_keys(vault):
    vault.add_customer("Acme")
    vault.add_entry("Acme", "Mail")
    e = vault.add_entry("Acme", "VPN")
    vault.set_otp(e.id, totp())
    vault.remove_customer("Acme", force=True)
    assert vault.entries() == [] and vault.customers() == []
    assert rows(vault.path, "SELECT COUNT(*) FROM records") == [(0,)]
    assert rows(vault.path, "SELECT COUNT(*) FROM customer_keys") == [(0,)]


def test_otp_set_code_remove_round_trip(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Mail")
    vault.set_otp("Acme/Mail", totp(issuer="Acme", account="bob", digits=8, algorithm="sha256"))
    vault = reopen(vault)
    got = vault.entry(e.id)
    assert got.has_otp and got.otp.type == "totp" and got.otp.algorithm == "SHA256"
    assert got.otp.digits == 8 and got.otp.issuer == "Acme" and got.otp.account == "bob"
    expected = pyotp.TOTP(SECRET, digits=8, digest="sha256").at(AT)
    assert vault.code(e.id, at=AT).code == expected
    # The entry moves to another customer: its secret follows, re-sealed under the new key.
    vault.add_customer("Globex")
    vault.update_entry(e.id, customer="Globex")
    vault = reopen(vault)
    assert vault.entry("Globex/Mail").id == e.id
    assert vault.code("Globex/Mail", at=AT).code == expected
    assert vault.remove_otp(e.id) is True
    assert not vault.entry(e.id).has_otp
    with pytest.raises(UserError, match="has no OTP"):
        vault.code(e.id, at=AT)
    vault = reopen(vault)
    assert rows(vault.path, "SELECT COUNT(*) FROM records WHERE kind = 'otp'") == [(0,)]
    vault.close()


def test_code_result_fields_at_fixed_time(vault):
    vault.add_customer("Acme")
    vault.add_entry("Acme", "T30")
    vault.add_entry("Acme", "T60")
    vault.add_entry("Acme", "Steam")
    vault.set_otp("Acme/T30", totp())
    vault.set_otp("Acme/T60", totp(period=60, digits=7))
    vault.set_otp("Acme/Steam", steam())
    r = vault.code("Acme/T30", at=AT)
    assert r.code == pyotp.TOTP(SECRET).at(AT)
    assert (r.type, r.period, r.remaining, r.valid_until, r.counter, r.digits) == (
        "totp",
        30,
        25.0,
        1_700_000_040,
        None,
        6,
    )
    r = vault.code("Acme/T60", at=AT)
    assert r.code == pyotp.TOTP(SECRET, digits=7, interval=60).at(AT)
    assert (r.period, r.remaining, r.valid_until, r.digits) == (60, 25.0, 1_700_000_040, 7)
    r = vault.code("Acme/T30", at=1_700_000_039.5)
    assert r.remaining == pytest.approx(0.5) and r.valid_until == 1_700_000_040
    r = vault.code("Acme/Steam", at=AT)
    assert len(r.code) == 5 and r.period == 30 and r.valid_until == 1_700_000_040
    assert r.public()["code"] == r.code and "server_time" in r.public()


def test_hotp_counter_persists_and_advances_across_reopen(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Token")
    vault.set_otp(e.id, hotp())
    codes = []
    for i in range(8):
        r = vault.code(e.id, at=AT)
        assert (r.counter, r.type, r.period, r.remaining, r.valid_until) == (
            i,
            "hotp",
            0,
            0.0,
            None,
        )
        codes.append(r.code)
        if i % 3 == 2:
            vault = reopen(vault)
    assert codes == RFC4226
    # A HOTP entry whose stored counter starts elsewhere continues from there.
    vault.set_otp(e.id, hotp(secret=HOTP_SECRET, counter=5))
    vault = reopen(vault)
    assert vault.code(e.id).code == RFC4226[5]
    assert vault.code(e.id).counter == 6
    vault.close()


def test_search_over_every_field(vault):
    vault.add_customer("Initech")
    vault.add_customer("Acme")
    vault.add_entry(
        "Initech", "Payroll", username="peter@initech.example", urls=["https://tps.initech.example"]
    )
    vault.add_entry("Acme", "Mail", username="wile", tags=["Anvils"])
    vault.add_entry("Acme", "Bank")
    vault.set_otp("Acme/Bank", totp(issuer="FirstRoadrunner", account="coyote@desert"))

    def found(q):
        return [e.ref for e in vault.entries(search=q)]

    assert found("INITECH") == ["Initech/Payroll"]  # customer (and url, username)
    assert found("payroll") == ["Initech/Payroll"]  # title
    assert found("PETER@") == ["Initech/Payroll"]  # username
    assert found("tps.") == ["Initech/Payroll"]  # urls
    assert found("anvil") == ["Acme/Mail"]  # tags
    assert found("roadrunner") == ["Acme/Bank"]  # issuer
    assert found("coyote@") == ["Acme/Bank"]  # account
    assert found("acme") == ["Acme/Bank", "Acme/Mail"]
    assert found("nothing-like-this") == []
    assert [e.ref for e in vault.entries(customer="acme")] == ["Acme/Bank", "Acme/Mail"]
    assert [e.ref for e in vault.entries(customer="Acme", search="mail")] == ["Acme/Mail"]
    initech = vault.customer("Initech").id
    assert [e.ref for e in vault.entries(customer_ids=[initech])] == ["Initech/Payroll"]


def test_refs_by_id_prefix_and_name(vault):
    vault.add_customer("Acme")
    with vault.batch():
        made = [vault.add_entry("Acme", f"E{i}") for i in range(1200)]
    ids = [e.id for e in made]
    one = made[0]
    assert vault.entry(one.id) == one
    n = next(n for n in range(4, 33) if sum(i.startswith(one.id[:n]) for i in ids) == 1)
    assert vault.entry(one.id[:n]) == one
    assert vault.entry(one.id[:n].upper()) == one
    assert vault.entry("acme/e0") == one and vault.entry("ACME/E0") == one
    assert vault.customer(vault.customer("Acme").id[:6]).name == "Acme"
    # With 1200 random ids two share a 4-character prefix (the chance they do not is ~1e-5).
    prefixes: dict[str, int] = {}
    for i in ids:
        prefixes[i[:4]] = prefixes.get(i[:4], 0) + 1
    shared = next(p for p, count in prefixes.items() if count > 1)
    with pytest.raises(UserError, match=f"matches {prefixes[shared]} ids"):
        vault.entry(shared)
    with pytest.raises(NotFound):
        vault.entry("Acme/E99999")
    with pytest.raises(NotFound):
        vault.entry("")
    with pytest.raises(NotFound):
        vault.customer("Nobody")


def test_entries_for_site_matches_registrable_domain_only(vault):
    vault.add_customer("Acme")
    vault.add_entry("Acme", "Portal", urls=["https://portal.acme.com/login"])
    vault.add_entry("Acme", "UK", urls=["https://www.acme.co.uk/"])
    vault.add_entry("Acme", "Intranet", urls=["http://10.0.0.5:8080/"])
    vault.add_entry("Acme", "NoUrl")

    def site(s):
        return [e.title for e in vault.entries_for_site(s)]

    for same in ("https://acme.com", "acme.com", "https://sso.eu.acme.com/x?y=1", "WWW.ACME.COM."):
        assert site(same) == ["Portal"], same
    for other in (
        "https://evil-acme.com",
        "acme.com.evil.net",
        "https://acme.com.evil.net/login",
        "com",
        "",
        "not a url at all",
    ):
        assert site(other) == [], other
    assert site("https://login.acme.co.uk") == ["UK"]
    for other in ("co.uk", "https://co.uk", "other.co.uk", "acme.uk"):
        assert site(other) == [], other
    assert site("10.0.0.5") == ["Intranet"]
    assert site("10.0.0.6") == []
    acme = vault.customer("Acme").id
    assert [e.title for e in vault.entries_for_site("acme.com", customer_ids=[acme])] == ["Portal"]
    assert vault.entries_for_site("acme.com", customer_ids=[]) == []


def test_audit_events_name_action_actor_and_entry(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Mail", password="pw")
    vault.set_otp(e.id, totp(), actor="cli")
    vault.code(e.id, at=AT, actor="client:ext1")
    assert vault.reveal_password(e.id, actor="cli") == "pw"
    vault.record_audit("fill", entry=e.id, actor="client:ext1", detail="https://mail.acme.com")
    vault.remove_otp(e.id, actor="client:ext2")
    vault = reopen(vault)
    events = vault.audit()
    got = [(a.action, a.actor, a.entry_id) for a in events]
    assert got == [
        ("otp_set", "cli", e.id),
        ("code", "client:ext1", e.id),
        ("password", "cli", e.id),
        ("fill", "client:ext1", e.id),
        ("otp_remove", "client:ext2", e.id),
    ]
    assert [a.seq for a in events] == [1, 2, 3, 4, 5]
    assert all(a.extra.get("entry") == "Acme/Mail" for a in events)
    assert events[3].detail == "https://mail.acme.com"
    assert all(events[i].ts <= events[i + 1].ts for i in range(4))
    assert [a.action for a in vault.audit(entry=e.id, limit=2)] == ["fill", "otp_remove"]
    for a in events:  # no code, password or secret in the log
        text = repr(a.public())
        assert SECRET not in text and "'pw'" not in text
    vault.close()


def test_audit_table_is_append_only(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Mail", password="pw")
    vault.reveal_password(e.id)
    conn = sqlite3.connect(vault.path)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit SET ts = 0")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit")
        conn.rollback()
    finally:
        conn.close()
    assert [a.action for a in vault.audit()] == ["password"]


def _dump(path):
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall()
            for t in ("meta", "key_slots", "customer_keys", "records", "audit")
        }
    finally:
        conn.close()


def test_batch_is_all_or_nothing(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Token")
    vault.set_otp(e.id, hotp())
    before = _dump(vault.path)
    listing = (vault.customers(), vault.entries())

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with vault.batch():
            vault.add_customer("Globex")
            vault.add_entry("Globex", "New", password="x")
            vault.update_entry(e.id, title="Renamed")
            vault.set_otp("Acme/Renamed", totp())
            vault.add_entry("Acme", "Another")
            vault.update_customer("Acme", name="Acme 2")
            assert len(vault.entries()) == 3  # visible inside the batch
            raise Boom()
    assert _dump(vault.path) == before
    assert (vault.customers(), vault.entries()) == listing
    with pytest.raises(NotFound):
        vault.customer("Globex")
    # The vault goes on working: the rolled-back customer can be made again, with a fresh key.
    vault.add_customer("Globex")
    vault.add_entry("Globex", "New")
    assert vault.code(e.id).code == RFC4226[0]
    vault = reopen(vault)
    assert [x.ref for x in vault.entries()] == ["Acme/Token", "Globex/New"]
    assert vault.code(e.id).code == RFC4226[1]
    vault.close()


def test_batch_commits_everything_together(vault):
    vault.add_customer("Acme")
    with vault.batch():
        for i in range(20):
            e = vault.add_entry("Acme", f"E{i}")
            vault.set_otp(e.id, totp(account=f"a{i}"))
    vault = reopen(vault)
    assert len(vault.entries()) == 20 and all(x.has_otp for x in vault.entries())
    vault.close()


def test_rotate_customer_key_keeps_codes_and_bumps_epoch(vault):
    vault.add_customer("Acme")
    vault.add_customer("Globex")
    t = vault.add_entry("Acme", "T", password="pw")
    h = vault.add_entry("Acme", "H")
    g = vault.add_entry("Globex", "G")
    vault.set_otp(t.id, totp())
    vault.set_otp(h.id, hotp())
    vault.set_otp(g.id, totp(period=60))
    assert vault.code(h.id).code == RFC4226[0]
    before = {x: vault.code(x, at=AT).code for x in (t.id, g.id)}
    blobs_sql = "SELECT kind || id, customer_id, sealed FROM records"
    old_blobs = {k: (c, b) for k, c, b in rows(vault.path, blobs_sql)}
    assert vault.rotate_customer_key("Acme") == 2
    assert vault.rotate_customer_key("acme") == 3
    vault = reopen(vault)
    assert {x: vault.code(x, at=AT).code for x in (t.id, g.id)} == before
    assert vault.code(h.id).code == RFC4226[1]
    assert vault.entry(t.id).password == "pw"
    acme, globex = vault.customer("Acme").id, vault.customer("Globex").id
    assert rows(vault.path, "SELECT customer_id, epoch FROM customer_keys ORDER BY 2") == [
        (globex, 1),
        (acme, 3),
    ]
    epochs = dict(
        rows(vault.path, "SELECT customer_id, group_concat(DISTINCT epoch) FROM records GROUP BY 1")
    )
    assert epochs == {acme: "3", globex: "1"}
    new_blobs = {k: (c, b) for k, c, b in rows(vault.path, blobs_sql)}
    assert new_blobs.keys() == old_blobs.keys()
    for key, (cid, blob) in new_blobs.items():
        if cid == globex:
            assert blob == old_blobs[key][1]  # another customer's records are not touched
        else:
            assert blob != old_blobs[key][1]  # re-sealed under the new key
    vault.close()


def test_change_password_rewraps_without_touching_records(vault):
    vault.add_customer("Acme")
    e = vault.add_entry("Acme", "Mail", password="pw")
    vault.set_otp(e.id, totp())
    records = rows(vault.path, "SELECT kind, id, epoch, updated, sealed FROM records ORDER BY 1, 2")
    ckeys = rows(vault.path, "SELECT * FROM customer_keys")
    vault.change_password("a new and better passphrase")
    assert (
        rows(vault.path, "SELECT kind, id, epoch, updated, sealed FROM records ORDER BY 1, 2")
        == records
    )
    assert rows(vault.path, "SELECT * FROM customer_keys") == ckeys
    assert rows(vault.path, "SELECT COUNT(*) FROM key_slots WHERE kind = 'password'") == [(1,)]
    path = vault.path
    vault.close()
    v = Vault.open(path)
    with pytest.raises(WrongPassword, match="^wrong master password$"):
        v.unlock(PASSWORD)
    assert v.is_locked
    with pytest.raises(Locked):
        v.entries()
    v.unlock("a new and better passphrase")
    assert v.code(e.id, at=AT).code == pyotp.TOTP(SECRET).at(AT)
    with pytest.raises(UserError, match="must not be empty"):
        v.change_password("")
    v.close()


def test_keyring_slot_enable_unlock_disable(vault, memory_keyring):
    vault.add_customer("Acme")
    assert not vault.keyring_enabled
    vault.enable_keyring()

    def slot_keys():  # the keyring also remembers the vault's generation (…-seen), not a key
        return [account for _service, account in memory_keyring.items if "-slot-" in account]

    assert vault.keyring_enabled and len(slot_keys()) == 1
    vault.enable_keyring()  # idempotent
    assert len(slot_keys()) == 1
    path = vault.path
    vault.close()
    v = Vault.open(path)
    assert v.is_locked and v.unlock_with_keyring() is True
    assert [c.name for c in v.customers()] == ["Acme"]
    v.disable_keyring()
    assert not v.keyring_enabled and memory_keyring.items == {}
    v.close()
    v = Vault.open(path)
    assert v.unlock_with_keyring() is False and v.is_locked
    v.unlock(PASSWORD)
    v.close()


def test_keyring_slot_with_lost_keyring_item_falls_back(vault, memory_keyring):
    vault.enable_keyring()
    path = vault.path
    vault.close()
    memory_keyring.items.clear()  # e.g. the user wiped their keyring
    v = Vault.open(path)
    assert v.unlock_with_keyring() is False
    v.unlock(PASSWORD)
    v.close()


def test_keyring_without_backend_is_one_line_user_error(vault):
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(UserError) as info:
            vault.enable_keyring()
        message = str(info.value)
        assert "\n" not in message and "keyring" in message
        assert not vault.keyring_enabled
        assert vault.unlock_with_keyring() is False
        vault.disable_keyring()  # nothing to forget: no error either
    finally:
        keyring.set_keyring(before)


def test_locked_vault_refuses_everything(vault):
    vault.add_customer("Acme")
    vault.lock()
    for call in (vault.customers, vault.entries, lambda: vault.code("Acme/x")):
        with pytest.raises(Locked):
            call()
    vault.unlock(PASSWORD)
    assert [c.name for c in vault.customers()] == ["Acme"]

"""Team sessions in process (real vault files, real PostgreSQL; the `otpc` subprocess tests cover
the same commands end to end): narrowing a role rotates what was lost, refused statements are one
line, the replica and the outbox survive closing the vault, offline HOTP is refused."""

from urllib.parse import quote

import pytest
import teamcli as tc

from companion.errors import UserError
from companion.otp import OtpParams
from companion.team import commands as C
from companion.vault import Vault

PW = "session test password"


def new_vault(root, name):
    path = root / name / "vault.sqlite"
    Vault.create(path, PW, kdf_ms=1).close()
    return reopen(path)


def reopen(path):
    vault = Vault.open(path)
    vault.unlock(PW)
    return vault


@pytest.fixture
def small(pg, tmp_path):
    db = tc.new_database(pg)
    url = f"postgresql://postgres:{quote(tc.SUPER_PASSWORD)}@127.0.0.1:{pg.port}/{db}"
    f, b = new_vault(tmp_path, "f"), new_vault(tmp_path, "b")
    C.create(f, url, "Acme IT", "founder")
    for name in ("CustA", "CustB"):
        f.add_customer(name)
        e = f.add_entry(name, "Mail", urls=[f"https://mail.{name.lower()}.example"])
        f.set_otp(e.id, OtpParams(secret=tc.SECRET_A))
    C.role_set(f, "lead", all_customers=True, can=["view", "edit"])
    C.join(b, C.invite(f, "bob", "lead")["token"])
    C.approve(f, "bob", b.team().me.fingerprint)
    b.team().sync()
    yield f, b
    f.close()
    b.close()


def test_narrowing_a_role_rotates_what_was_lost_and_hides_it_at_next_sync(small):
    f, b = small
    assert {e.ref for e in b.entries()} == {"CustA/Mail", "CustB/Mail"}
    out = C.role_set(f, "lead", customers=["CustA"], new=False)
    assert out["exposed"] == [f.team_view().otps[f.entry("CustB/Mail").id][0]]
    b.team().sync()
    assert {e.ref for e in b.entries()} == {"CustA/Mail"}
    assert b.entries_for_site("https://mail.custb.example") == []
    assert [e.ref for e in b.entries_for_site("mail.custa.example")] == ["CustA/Mail"]


def test_refused_statements_are_one_line_errors(small):
    f, _b = small
    with pytest.raises(UserError, match="role still held"):
        C.run(f, "role_rm", {"name": "lead"})
    with pytest.raises(UserError, match="unknown role"):
        C.run(f, "group_set", {"name": "vip", "roles": ["nobody"]})
    with pytest.raises(UserError, match="bad arguments"):
        C.run(f, "role_rm", {"nope": 1})


def test_queued_edits_and_replica_survive_closing_the_vault_and_offline_hotp_is_refused(small):
    f, b = small
    path = b.path
    b.team().info["conn"]["port"] = "1"  # the database is unreachable from here on
    b.team().save_info()
    b.set_otp("CustA/Mail", OtpParams(secret=tc.SECRET_NEW))
    b.close()
    b = reopen(path)
    assert b.team().status()["pending_pushes"] == 1
    assert b.code("CustA/Mail", at=1e9).code == tc.totp(tc.SECRET_NEW, 1e9)  # the queued edit
    f.add_entry("CustA", "VPN")
    f.set_otp("CustA/VPN", OtpParams(type="hotp", secret=tc.SECRET_B))
    assert f.code("CustA/VPN").counter == 0
    b.team().info["conn"]["port"] = str(f.team().info["conn"]["port"])
    b.team().sync()
    assert b.team().status()["pending_pushes"] == 0
    f.team().sync()
    assert f.code("CustA/Mail", at=1e9).code == tc.totp(tc.SECRET_NEW, 1e9)
    b.team().info["conn"]["port"] = "1"
    with pytest.raises(UserError):
        b.team().sync()
    with pytest.raises(UserError, match="HOTP codes of team entries need the team database"):
        b.code("CustA/VPN")
    b.close()


def test_a_batch_pushes_after_it_commits_and_a_rolled_back_one_sends_nothing(small):
    f, b = small
    with pytest.raises(RuntimeError):
        with f.batch():
            e = f.add_entry("CustA", "Doomed")
            f.set_otp(e.id, OtpParams(secret=tc.SECRET_B))
            raise RuntimeError("the import failed half-way")
    assert f.team().status()["pending_pushes"] == 0
    with f.batch():
        e = f.add_entry("CustA", "Imported")
        f.set_otp(e.id, OtpParams(secret=tc.SECRET_B))
        assert f.team().status()["pending_pushes"] == 2  # nothing sent inside the batch
    assert f.team().status()["pending_pushes"] == 0
    b.team().sync()
    refs = {e.ref for e in b.entries()}
    assert "CustA/Imported" in refs and "CustA/Doomed" not in refs
    assert b.code("CustA/Imported", at=1e9).code == tc.totp(tc.SECRET_B, 1e9)


def _shown(view):
    """What a view shows, its lookup indexes included."""
    snap = view.snapshot
    sites = {key: sorted(e.id for e in snap.entries_at_site(key))
             for key in ("custa.example", "custb.example", "other.example")}
    titles = {(e.customer_id, e.title): snap.entry_titled(e.customer_id, e.title).id
              for e in snap.entries.values()}
    return snap.entries, snap.customers, view.otps, view.records, sites, titles


def test_a_sync_updates_only_the_changed_entries_of_the_view_and_matches_a_full_rebuild(small):
    from companion.team.view import build

    f, b = small
    view = b.team_view()
    view.snapshot.entries_at_site("custa.example")  # the site index exists: updates keep it
    steps = [
        lambda: f.add_entry("CustA", "VPN", urls=["https://vpn.custa.example"]),
        lambda: f.set_otp("CustA/VPN", OtpParams(secret=tc.SECRET_B)),
        lambda: f.update_entry("CustA/Mail", title="Webmail", urls=["https://other.example"]),
        lambda: f.set_otp("CustB/Mail", OtpParams(secret=tc.SECRET_B)),
        lambda: f.remove_otp("CustA/VPN"),
        lambda: f.remove_entry("CustA/Webmail"),
    ]
    for step in steps:
        step()
        b.team().sync()
        assert b.team_view() is view  # updated in place, not rebuilt
        assert _shown(view) == _shown(build(b.team()))
    refs = {e.ref: e for e in b.entries()}
    assert set(refs) == {"CustA/VPN", "CustB/Mail"} and not refs["CustA/VPN"].has_otp
    assert b.code("CustB/Mail", at=1e9).code == tc.totp(tc.SECRET_B, 1e9)
    assert b.entries_for_site("https://other.example") == []
    # a lost race: b's edit from a stale replica becomes a conflict copy, shown as its own entry
    f.set_otp("CustB/Mail", OtpParams(secret=tc.SECRET_A))
    b.set_otp("CustB/Mail", OtpParams(secret=tc.SECRET_NEW))
    b.team().sync()
    assert b.team_view() is view
    assert _shown(view) == _shown(build(b.team()))
    copies = [e for e in b.entries() if e.conflict_of]
    assert len(copies) == 1 and b.code(copies[0].id, at=1e9).code == tc.totp(tc.SECRET_NEW, 1e9)
    assert b.code("CustB/Mail", at=1e9).code == tc.totp(tc.SECRET_A, 1e9)

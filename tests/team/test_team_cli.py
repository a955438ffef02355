"""Issue 8 through the real `otpc`: three technicians as three vaults on one real PostgreSQL.
Roles limit what each gets (CLI and raw SQL under their own login), changes reach the others at
the next sync, groups hide entries, revocation locks out and rotates, offline keeps codes."""

import json

import psycopg
import pytest
import teamcli as tc

AT = 1_700_000_000.0


@pytest.fixture
def team(pg, tmp_path):
    return tc.make_team(pg, tmp_path)


def test_a_role_limited_to_customer_a_never_gets_b(team, pg):
    alice, bob = team.alice, team.bob
    assert alice.titles() == {"CustA/Mail"}
    assert bob.titles() == {"CustA/Mail", "CustB/Portal"}
    assert alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)
    assert bob.code("CustB/Portal", AT) == tc.totp(tc.SECRET_B, AT)
    r = alice.run("code", "CustB/Portal")
    assert r.code == 2 and r.err.count("\n") == 1 and "no entry" in r.err
    # Her own database login: RLS returns none of B's rows, nor its grants.
    with psycopg.connect(**alice.db_login()) as conn:
        units = {u for (u,) in conn.execute("SELECT unit FROM otpc.records").fetchall()}
        granted = {u for (u,) in conn.execute("SELECT unit FROM otpc.grants").fetchall()}
    cust = {e["customer"]: e["customer_id"] for e in json.loads(bob.ok("entry", "list", "--json"))}
    assert units and all(u.startswith(cust["CustA"]) for u in units)
    assert granted == {cust["CustA"] + "/"}


def test_view_only_role_is_refused_edits_and_reveals_with_exit_6(team):
    alice = team.alice
    r = alice.run("entry", "show", "CustA/Mail", "--reveal-password")
    assert r.code == 6 and "may not reveal" in r.err and r.err.count("\n") == 1
    r = alice.run("otp", "set", "CustA/Mail", "--yes", input=tc.SECRET_NEW + "\n")
    assert r.code == 6 and "may not edit" in r.err
    r = alice.run("entry", "rm", "CustA/Mail", "--yes")
    assert r.code == 6 and "may not delete" in r.err
    assert alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)  # nothing changed


def test_an_otp_changed_on_one_machine_reaches_the_other_and_a_removal_too(team):
    founder, alice, bob = team.founder, team.alice, team.bob
    bob.ok("otp", "set", "CustA/Mail", "--yes", input=tc.SECRET_NEW + "\n")
    alice.ok("team", "sync")
    assert alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_NEW, AT)
    bob.ok("otp", "rm", "CustA/Mail", "--yes")
    alice.ok("team", "sync")
    r = alice.run("code", "CustA/Mail")
    assert r.code == 1 and "has no OTP" in r.err
    founder.ok("team", "sync")
    audit = json.loads(founder.ok("team", "audit", "--member", "bob", "--json"))
    assert {e["action"] for e in audit} >= {"edit", "delete"}
    assert all(e["verified"] for e in audit)
    codes = json.loads(founder.ok("team", "audit", "--member", "alice", "--json"))
    assert [e["action"] for e in codes].count("code") == 1  # the second try had no OTP


def test_a_grouped_entry_is_invisible_outside_its_group_and_a_change_applies_at_next_sync(team):
    founder, alice, bob = team.founder, team.alice, team.bob
    founder.ok("team", "role", "add", "tech-a2", "--customers", "CustA", "--can", "view")
    founder.ok("team", "group", "add", "vip", "--roles", "lead")
    founder.ok("entry", "edit", "CustA/Mail", "--group", "vip")
    alice.ok("team", "sync")
    bob.ok("team", "sync")
    assert "CustA/Mail" not in alice.titles()
    assert bob.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)
    founder.ok("team", "group", "edit", "vip", "--roles", "lead,tech-a")
    alice.ok("team", "sync")
    assert alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)
    founder.ok("entry", "edit", "CustA/Mail", "--no-group")
    founder.ok("team", "group", "edit", "vip", "--roles", "lead")
    founder.ok("entry", "edit", "CustA/Mail", "--group", "vip")
    alice.ok("team", "sync")
    assert "CustA/Mail" not in alice.titles()


def test_revoke_locks_the_member_out_rotates_and_the_others_keep_codes(team, pg):
    founder, alice, bob = team.founder, team.alice, team.bob
    out = json.loads(founder.ok("team", "member", "revoke", "alice", "--yes", "--json"))
    assert out["exposed"] == ["CustA/Mail"] and out["login_dropped"] is True
    r = alice.run("team", "sync")
    assert r.code == 1 and r.err.count("\n") == 1 and "cannot reach the team database" in r.err
    bob.ok("team", "sync")
    assert bob.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)
    with tc.superuser(pg, team.db) as su:
        epochs = {e for (e,) in su.execute(
            "SELECT epoch FROM otpc.records WHERE kind = 'otp'").fetchall()}
        assert su.execute("SELECT count(*) FROM otpc.members").fetchone()[0] == 2
    assert 2 in epochs  # CustA's unit rotated


def test_hotp_from_two_technicians_gives_distinct_consecutive_codes(team):
    founder, bob = team.founder, team.bob
    founder.ok("entry", "add", "--customer", "CustA", "--title", "VPN")
    founder.ok("otp", "set", "CustA/VPN", "--type", "hotp", "--counter", "5",
               input=tc.SECRET_B + "\n")
    bob.ok("team", "sync")
    results = [json.loads(t.ok("code", "CustA/VPN", "--json")) for t in (bob, founder, bob)]
    assert [r["counter"] for r in results] == [5, 6, 7]
    from companion import otp
    from companion.otp import OtpParams

    for r in results:
        assert r["code"] == otp.code(OtpParams(type="hotp", secret=tc.SECRET_B,
                                               counter=r["counter"]), 0)


def test_concurrent_edits_keep_both(team):
    founder, bob = team.founder, team.bob
    # Both start from the same version; bob's push loses the race and becomes a conflict copy.
    founder.ok("otp", "set", "CustB/Portal", "--yes", input=tc.SECRET_NEW + "\n")
    # bob has not synced since: his edit is based on the old version
    bob.ok("otp", "set", "CustB/Portal", "--yes", input=tc.SECRET_A + "\n")
    titles = bob.titles()
    copies = [t for t in titles if t.startswith("CustB/Portal (conflict copy")]
    assert len(copies) == 1, titles
    assert bob.code("CustB/Portal", AT) == tc.totp(tc.SECRET_NEW, AT)
    assert bob.code(copies[0], AT) == tc.totp(tc.SECRET_A, AT)
    status = json.loads(bob.ok("team", "status", "--json"))
    assert len(status["conflicts"]) == 1



def test_adopt_local_customers_and_irreversible_team_delete(team, pg):
    founder, bob = team.founder, team.bob
    founder.ok("customer", "add", "Private", "--local")
    founder.ok("customer", "add", "Legacy", "--local")
    founder.ok("entry", "add", "--customer", "Legacy", "--title", "Router")
    founder.ok("otp", "set", "Legacy/Router", input=tc.SECRET_NEW + "\n")
    founder.ok("team", "adopt", "Legacy")
    bob.ok("team", "sync")
    assert bob.code("Legacy/Router", AT) == tc.totp(tc.SECRET_NEW, AT)
    assert not any(t.startswith("Private/") for t in bob.titles())
    assert "Private" not in bob.ok("customer", "list")
    # Bob (delete permission) removes a team entry: signed tombstones, no ciphertext left.
    portal = json.loads(bob.ok("entry", "show", "CustB/Portal", "--json"))
    bob.ok("entry", "rm", "CustB/Portal", "--yes")
    founder.ok("team", "sync")
    assert "CustB/Portal" not in founder.titles()
    with tc.superuser(pg, team.db) as su:
        rows = su.execute("SELECT kind, length(ciphertext) FROM otpc.records WHERE unit = %s"
                          " AND kind <> 'customer'", (portal["customer_id"] + "/",)).fetchall()
    assert sorted(rows) == [("tombstone", 0), ("tombstone", 0)]  # the entry and its secret

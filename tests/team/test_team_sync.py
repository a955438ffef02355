"""Sync on a real PostgreSQL: what members see, what the crypto layer refuses even when the
database lets it through, delete with tombstone, a dropped row noticed, revocation with rotation."""


import pgstore_helpers as h
import pytest

from companion.errors import UserError
from companion.team import pgstore
from companion.team.records import open_record, seal_record
from companion.team.sync import Replica, delete, pull, revoke_member
from companion.team.units import TeamCryptoError


def sync(team, who, replica=None):
    replica = replica or Replica(team.team_id, team.keys["founder"].fingerprint)
    with pgstore.connect(team.url(who)) as conn:
        problems = pull(conn, team.keys[who], replica)
    return replica, problems


def secrets_of(replica):
    return {c["secret"] for rec, c in replica.contents.values() if c and "secret" in c}


def test_roles_decide_what_each_member_gets(pg):
    team = h.make_team(pg, db="see")
    bob, problems = sync(team, "bob")
    alice, problems_a = sync(team, "alice")
    assert problems == [] and problems_a == []
    assert secrets_of(bob) == {"A-SECRET", "B-SECRET"}
    assert secrets_of(alice) == {"A-SECRET"}


def test_change_on_one_machine_reaches_the_other_at_next_sync(pg):
    team = h.make_team(pg, db="change")
    bob, _ = sync(team, "bob")
    rec = seal_record(team.team_id, team.rec["A/"], "otp", "A", "", 1, 2, {"secret": "A-NEW"},
                      team.unit_keys["A/"], team.keys["founder"])
    with pgstore.connect(team.url("founder")) as conn:
        assert pgstore.push(conn, rec, 1).ok
    bob, problems = sync(team, "bob", bob)
    assert problems == [] and secrets_of(bob) == {"A-NEW", "B-SECRET"}


def test_write_by_a_view_only_member_is_refused_by_the_others(pg):
    """RLS lets alice write in a unit she holds; her role lacks `edit`, so readers refuse it."""
    team = h.make_team(pg, db="perm")
    bob, _ = sync(team, "bob")
    rec = seal_record(team.team_id, team.rec["A/"], "otp", "A", "", 1, 2, {"secret": "EVIL"},
                      team.unit_keys["A/"], team.keys["alice"])
    with pgstore.connect(team.url("alice")) as conn:
        assert pgstore.push(conn, rec, 1).ok
    bob, problems = sync(team, "bob", bob)
    assert any("may not edit" in p for p in problems)
    assert secrets_of(bob) == {"A-SECRET", "B-SECRET"}  # kept; never the wrong code


def test_delete_leaves_a_signed_tombstone_and_no_ciphertext(pg):
    team = h.make_team(pg, db="del")
    founder, _ = sync(team, "founder")
    with pgstore.connect(team.url("founder")) as conn:
        delete(conn, team.keys["founder"], founder, team.rec["A/"])
    with pgstore.connect(team.super_url()) as su:
        row = su.execute("SELECT kind, ciphertext FROM otpc.records WHERE record_id = %s",
                         (team.rec["A/"],)).fetchone()
    assert row[0] == "tombstone" and bytes(row[1]) == b""
    bob, problems = sync(team, "bob")
    assert problems == [] and secrets_of(bob) == {"B-SECRET"}


def test_a_row_dropped_by_the_server_is_reported(pg):
    team = h.make_team(pg, db="drop")
    bob, _ = sync(team, "bob")
    with pgstore.connect(team.super_url()) as su:
        su.execute("DELETE FROM otpc.records WHERE record_id = %s", (team.rec["B/"],))
    bob, problems = sync(team, "bob", bob)
    assert any("dropped by the server" in p for p in problems)
    assert "B-SECRET" in secrets_of(bob)  # the replica keeps it


def test_a_row_moved_out_of_reach_unseen_by_the_pull_cursor_is_still_noticed(pg):
    """A sync with unchanged roles compares one digest of the server's listing instead of
    scanning every row: the digest agrees when nothing changed, and a row the superuser moves to
    a unit the member does not hold (behind the pull cursor) still leaves the replica."""
    from companion.team.sync import _held, _listing_agrees

    team = h.make_team(pg, db="moved")
    bob, _ = sync(team, "bob")
    bob, problems = sync(team, "bob", bob)
    assert problems == [] and bob.scanned_seq == bob.state.seq
    with pgstore.connect(team.url("bob")) as conn:
        assert _listing_agrees(conn, bob, _held(bob))
    with pgstore.connect(team.super_url()) as su:
        su.execute("UPDATE otpc.records SET unit = 'elsewhere/', change_xid = '1'::xid8"
                   " WHERE record_id = %s", (team.rec["B/"],))
    with pgstore.connect(team.url("bob")) as conn:
        assert not _listing_agrees(conn, bob, _held(bob))
    bob, problems = sync(team, "bob", bob)
    assert "B-SECRET" not in secrets_of(bob) and "A-SECRET" in secrets_of(bob)


def test_with_a_scan_interval_a_dropped_row_is_reported_once_the_interval_has_passed(pg):
    team = h.make_team(pg, db="interval")
    bob, _ = sync(team, "bob")
    bob.scan_interval = 3600.0  # what TeamSession sets (30 s), made long enough for the test
    with pgstore.connect(team.super_url()) as su:
        su.execute("DELETE FROM otpc.records WHERE record_id = %s", (team.rec["B/"],))
    bob, problems = sync(team, "bob", bob)
    assert problems == []  # within the interval, same roles, nothing refused: not checked yet
    bob.scanned_at -= 3600.0
    bob, problems = sync(team, "bob", bob)
    assert any("dropped by the server" in p for p in problems)


def test_revoke_rotates_lists_exposed_and_locks_the_member_out(pg):
    team = h.make_team(pg, db="revoke")
    alice, _ = sync(team, "alice")
    old_a_key = team.unit_keys["A/"]
    founder, _ = sync(team, "founder")
    with pgstore.connect(team.url("founder")) as conn:
        exposed = revoke_member(conn, team.keys["founder"], founder,
                                team.keys["alice"].fingerprint)
    assert exposed == [team.rec["A/"]]
    # Her own SQL session, before her role is dropped, sees no row any more (RLS).
    with pgstore.connect(team.url("alice")) as conn:
        assert conn.execute("SELECT count(*) FROM otpc.records").fetchone()[0] == 0
        with pytest.raises(TeamCryptoError, match="removed from the team"):
            pull(conn, team.keys["alice"], alice)
    with pgstore.connect(team.super_url()) as su:
        pgstore.drop_login_role(su, team.role("alice"))
    with pytest.raises(UserError, match="cannot reach the team database"):
        sync(team, "alice", alice)
    bob, problems = sync(team, "bob")
    assert problems == [] and secrets_of(bob) == {"A-SECRET", "B-SECRET"}
    rec = bob.contents[team.rec["A/"]][0]
    assert rec.epoch == 2
    with pytest.raises(TeamCryptoError):  # alice's old key does not open the re-sealed record
        open_record(rec, team.team_id, old_a_key, team.keys["founder"].sign_public, 0)

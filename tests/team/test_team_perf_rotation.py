"""After a rotation the admin pulls back the records it re-sealed itself: byte-identical ones are
taken without re-verifying its own signature, and anything the server changed is still refused."""

import pgstore_helpers as h
import pytest

from companion import crypto
from companion.team import pgstore
from companion.team.sync import Replica, pull, revoke_member


def founder_after_revoking_alice(pg, db):
    team = h.make_team(pg, db=db)
    founder = Replica(team.team_id, team.keys["founder"].fingerprint)
    with pgstore.connect(team.url("founder")) as conn:
        pull(conn, team.keys["founder"], founder)
        revoke_member(conn, team.keys["founder"], founder, team.keys["alice"].fingerprint)
    return team, founder


def counted_verifications(monkeypatch) -> list:
    calls = []
    real = crypto.ed25519_verify
    monkeypatch.setattr(crypto, "ed25519_verify", lambda *a: calls.append(a) or real(*a))
    return calls


def test_own_resealed_records_come_back_without_a_second_verification(pg, monkeypatch):
    team, founder = founder_after_revoking_alice(pg, "rot_own")
    resealed = set(founder.sealed_here)
    assert resealed == {team.rec["A/"]}  # alice reached customer A only
    calls = counted_verifications(monkeypatch)
    with pgstore.connect(team.url("founder")) as conn:
        problems = pull(conn, team.keys["founder"], founder)
    assert problems == []
    record_calls = [a for a in calls if b'"t":"record"' in a[2]]
    assert record_calls == []  # only statements and grants were verified
    assert {founder.contents[r][0].epoch for r in resealed} == {2}
    assert {founder.contents[r][1]["secret"] for r in resealed} == {"A-SECRET"}
    assert founder.sealed_here == {}


@pytest.mark.parametrize("column", ["ciphertext", "signature"])
def test_a_resealed_record_the_server_altered_is_still_refused(pg, column):
    team, founder = founder_after_revoking_alice(pg, f"rot_{column}")
    victim = team.rec["A/"]
    with pgstore.connect(team.super_url()) as su:
        su.execute(f"UPDATE otpc.records SET {column} = {column} || '\\x00'::bytea,"
                   " change_xid = pg_current_xact_id() WHERE record_id = %s", (victim,))
    before = founder.contents[victim]
    with pgstore.connect(team.url("founder")) as conn:
        problems = pull(conn, team.keys["founder"], founder)
    assert any(victim[:8] in p for p in problems)
    assert founder.contents[victim] == before  # the replica kept what it had

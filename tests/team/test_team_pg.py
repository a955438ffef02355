"""The team store on a real PostgreSQL: RLS per member login role, the xid8 pull cursor, optimistic
pushes, atomic HOTP counters, wake-ups without payload, and a hostile superuser's edits detected."""

import threading
import uuid

import pgstore_helpers as h
import pytest

from companion import crypto
from companion.team import pgstore
from companion.team import statements as S
from companion.team.records import open_record, seal_record
from companion.team.units import TeamCryptoError, open_grant


@pytest.fixture(scope="module")
def team(pg):
    return h.make_team(pg)


def test_member_sql_session_sees_only_units_it_holds(team):
    with pgstore.connect(team.url("alice")) as conn:
        units = {r[0] for r in conn.execute("SELECT unit FROM otpc.records").fetchall()}
        grants = conn.execute("SELECT DISTINCT member_fp FROM otpc.grants").fetchall()
    assert units == {"A/"}
    assert grants == [(team.keys["alice"].fingerprint,)]


def test_b_ciphertext_obtained_otherwise_does_not_open_with_alices_keys(team):
    with pgstore.connect(team.super_url()) as su:
        recs, _ = pgstore.pull(su, team.team_id, 0)
    b = next(r for r in recs if r.unit == "B/")
    alice = team.keys["alice"]
    with pgstore.connect(team.url("alice")) as conn:
        keys = [open_grant(g, alice, team.keys["founder"].sign_public)
                for g in pgstore.my_grants(conn, team.team_id, alice.fingerprint)]
    assert keys
    for key in keys:
        with pytest.raises(TeamCryptoError, match="does not open"):
            open_record(b, team.team_id, key, team.keys["founder"].sign_public, 0)


def test_member_cannot_write_outside_its_units_nor_sign_statements(team):
    psycopg = pytest.importorskip("psycopg")
    alice = team.keys["alice"]
    rec = seal_record(team.team_id, uuid.uuid4().hex, "otp", "B", "", 1, 1, {"s": 1},
                      bytes(32), alice)
    with pgstore.connect(team.url("alice")) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pgstore.push(conn, rec, None)
        state = S.fold(pgstore.statements(conn, team.team_id), team.team_id,
                       team.keys["founder"].fingerprint)
        forged = S.sign(S.Statement(team.team_id, state.seq + 1, state.head, "role_set",
                                    {"name": "tech-a", "customers": "*", "can": ["view"]},
                                    alice.fingerprint), alice)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            pgstore.put_statement(conn, forged)


def test_pull_cursor_never_misses_a_transaction_that_commits_late(team):
    founder, bob = team.keys["founder"], team.keys["bob"]
    early = seal_record(team.team_id, uuid.uuid4().hex, "otp", "A", "", 1, 1, {"n": "early"},
                        team.unit_keys["A/"], founder)
    late = seal_record(team.team_id, uuid.uuid4().hex, "otp", "A", "", 1, 1, {"n": "late"},
                       team.unit_keys["A/"], founder)
    with pgstore.connect(team.url("bob")) as reader:
        _, cursor = pgstore.pull(reader, team.team_id, 0)
        with pgstore.connect(team.url("founder")) as slow, pgstore.connect(
            team.url("founder")
        ) as fast:
            slow.execute("BEGIN")
            slow.execute(
                "INSERT INTO otpc.records (record_id, version, unit, epoch, kind, author,"
                " ciphertext, signature) VALUES (%s, 1, 'A/', 1, 'otp', %s, %s, %s)",
                (early.record_id, early.author, early.ciphertext, early.signature))
            assert pgstore.push(fast, late, None).ok  # a later xid, committed first
            seen, cursor = pgstore.pull(reader, team.team_id, cursor)
            assert late.record_id not in {r.record_id for r in seen}  # held back: xmin blocks it
            slow.execute("COMMIT")
        seen2, cursor = pgstore.pull(reader, team.team_id, cursor)
        seen3, _ = pgstore.pull(reader, team.team_id, cursor)
    got = {r.record_id for r in seen + seen2 + seen3}
    assert {early.record_id, late.record_id} <= got
    for r in seen2:
        if r.record_id == early.record_id:
            assert open_record(r, team.team_id, team.unit_keys["A/"], founder.sign_public, 0) \
                == {"n": "early"}
    assert bob  # bob's role reaches A


def test_concurrent_pushes_one_wins_the_other_learns_the_version(team):
    founder = team.keys["founder"]
    rid = uuid.uuid4().hex
    v1 = seal_record(team.team_id, rid, "otp", "A", "", 1, 1, {"v": 1}, team.unit_keys["A/"],
                     founder)
    v2a = seal_record(team.team_id, rid, "otp", "A", "", 1, 2, {"v": "a"}, team.unit_keys["A/"],
                      founder)
    v2b = seal_record(team.team_id, rid, "otp", "A", "", 1, 2, {"v": "b"}, team.unit_keys["A/"],
                      founder)
    with pgstore.connect(team.url("founder")) as conn:
        assert pgstore.push(conn, v1, None).ok
        assert pgstore.push(conn, v2a, 1).ok
        lost = pgstore.push(conn, v2b, 1)
    assert not lost.ok and lost.current_version == 2


def test_hotp_counter_from_two_technicians_is_distinct_and_consecutive(team):
    rid = uuid.uuid4().hex
    got: list[int] = []

    def take(who):
        with pgstore.connect(team.url(who)) as conn:
            for _ in range(10):
                got.append(pgstore.hotp_next(conn, rid, "A/", start=5))

    threads = [threading.Thread(target=take, args=(w,)) for w in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(got) == list(range(5, 25))


def test_wake_up_carries_no_payload(team):
    founder = team.keys["founder"]
    rec = seal_record(team.team_id, uuid.uuid4().hex, "otp", "A", "", 1, 1, {"x": 1},
                      team.unit_keys["A/"], founder)
    with pgstore.connect(team.url("bob"), autocommit=True) as listener:
        listener.execute("LISTEN otpc_team")
        with pgstore.connect(team.url("founder")) as conn:
            pgstore.push(conn, rec, None)
        note = next(listener.notifies(timeout=10, stop_after=1))
    assert note.channel == "otpc_team" and note.payload == ""


# -- the PostgreSQL superuser as the attacker ---------------------------------------------------


def _pull_verified(team, who="bob", highest=None):
    """What a member's sync does: fold statements, open grants, verify + open each record."""
    me = team.keys[who]
    with pgstore.connect(team.url(who)) as conn:
        state = S.fold(pgstore.statements(conn, team.team_id), team.team_id,
                       team.keys["founder"].fingerprint)
        ukeys = {}
        for g in pgstore.my_grants(conn, team.team_id, me.fingerprint):
            granter = state.members[g.granted_by]
            ukeys[g.unit] = open_grant(g, me, granter.sign_pub)
        recs, _ = pgstore.pull(conn, team.team_id, 0)
    out = {}
    for r in recs:
        author = state.members.get(r.author)
        if author is None:
            raise TeamCryptoError(f"record {r.record_id[:8]} is signed by a non-member")
        out[r.record_id] = open_record(r, team.team_id, ukeys[r.unit], author.sign_pub,
                                       (highest or {}).get(r.record_id, 0))
    return out


def test_hostile_swap_of_two_ciphertexts_is_detected(pg):
    team = h.make_team(pg, db="swap")
    assert _pull_verified(team)[team.rec["A/"]] == {"secret": "A-SECRET"}
    with pgstore.connect(team.super_url()) as su:
        su.execute("UPDATE otpc.records SET ciphertext = (SELECT ciphertext FROM otpc.records"
                   " WHERE record_id = %s) WHERE record_id = %s", (team.rec["B/"], team.rec["A/"]))
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        _pull_verified(team)


def test_hostile_replay_of_an_older_version_is_detected(pg):
    team = h.make_team(pg, db="replay")
    founder = team.keys["founder"]
    with pgstore.connect(team.super_url()) as su:
        old = su.execute("SELECT version, ciphertext, signature FROM otpc.records"
                         " WHERE record_id = %s", (team.rec["A/"],)).fetchone()
    v2 = seal_record(team.team_id, team.rec["A/"], "otp", "A", "", 1, 2, {"secret": "NEW"},
                     team.unit_keys["A/"], founder)
    with pgstore.connect(team.url("founder")) as conn:
        assert pgstore.push(conn, v2, 1).ok
    assert _pull_verified(team)[team.rec["A/"]] == {"secret": "NEW"}
    with pgstore.connect(team.super_url()) as su:
        su.execute("UPDATE otpc.records SET version = %s, ciphertext = %s, signature = %s"
                   " WHERE record_id = %s", (*old, team.rec["A/"]))
    with pytest.raises(TeamCryptoError, match="rolled back"):
        _pull_verified(team, highest={team.rec["A/"]: 2})


def test_hostile_record_signed_by_a_non_member_is_refused(pg):
    team = h.make_team(pg, db="forge")
    from companion.team.keys import MemberKeys

    m = MemberKeys.generate()
    rec = seal_record(team.team_id, uuid.uuid4().hex, "otp", "A", "", 1, 1, {"secret": "EVIL"},
                      crypto.random_key(), m)
    with pgstore.connect(team.super_url()) as su:
        su.execute("INSERT INTO otpc.records (record_id, version, unit, epoch, kind, author,"
                   " ciphertext, signature) VALUES (%s, 1, 'A/', 1, 'otp', %s, %s, %s)",
                   (rec.record_id, rec.author, rec.ciphertext, rec.signature))
    with pytest.raises(TeamCryptoError, match="non-member"):
        _pull_verified(team)


def test_hostile_altered_role_statement_is_detected(pg):
    team = h.make_team(pg, db="alter")
    with pgstore.connect(team.super_url()) as su:
        su.execute("UPDATE otpc.statements SET body = jsonb_set(body, '{customers}', '\"*\"')"
                   " WHERE kind = 'role_set' AND body->>'name' = 'tech-a'")
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        _pull_verified(team, who="alice")

"""Issue 8: queued new records are pushed in batches (one transaction, one statement each), on a
real PostgreSQL as each member's own login role, keeping what one-at-a-time pushes guaranteed: an
id clash still becomes a conflict copy, RLS still refuses a unit the member does not hold, and an
edit leaves the queue only once its batch has committed."""

import threading
import time
import uuid

import pgstore_helpers as h
import psycopg
import pytest

from companion.team import pgstore
from companion.team.outbox import BATCH, Edit, Outbox
from companion.team.sync import Replica, pull


def unit_keys(team) -> dict:
    return {(unit, 1): key for unit, key in team.unit_keys.items()}


def new_edits(n: int, unit: str = "A/", tag: str = "S") -> list[Edit]:
    return [Edit(uuid.uuid4().hex, "otp", unit, 1, None, {"secret": f"{tag}{i:04d}"})
            for i in range(n)]


def pulled(team, who: str) -> Replica:
    replica = Replica(team.team_id, team.keys["founder"].fingerprint)
    with pgstore.connect(team.url(who), autocommit=True) as conn:
        assert pull(conn, team.keys[who], replica) == []  # every signature and seal verified
    return replica


def server_ids(team) -> dict[str, int]:
    """record id -> change xid, read as the superuser (every unit)."""
    with pgstore.connect(team.super_url(), autocommit=True) as su:
        rows = su.execute("SELECT record_id, change_xid::text::bigint FROM otpc.records")
        return dict(rows.fetchall())


def test_a_thousand_new_records_push_in_batches_signed_and_verifiable_by_another_member(pg):
    team = h.make_team(pg, db="bulk_many")
    box = Outbox(team.team_id)
    edits = new_edits(600, "A/") + new_edits(400, "B/")
    for e in edits:
        box.add(e)
    with pgstore.connect(team.url("bob"), autocommit=True) as conn:
        assert box.flush(conn, team.keys["bob"], unit_keys(team)) == 1000
    assert box.pending == [] and box.conflicts == []
    on_server = server_ids(team)
    # one transaction per batch of BATCH new records, not one per record
    xids = {on_server[e.record_id] for e in edits}
    assert len(xids) == -(-len(edits) // BATCH) == 2
    founder = pulled(team, "founder")
    for e in edits:
        rec, content = founder.contents[e.record_id]
        assert content == e.content and rec.author == team.keys["bob"].fingerprint
        assert rec.version == 1 and rec.unit == e.unit
    # RLS as before: alice (customer A only) gets the A records, none of B's
    alice = pulled(team, "alice")
    assert {e.record_id for e in edits[:600]} <= set(alice.contents)
    assert not {e.record_id for e in edits[600:]} & set(alice.contents)


def test_an_id_already_on_the_server_becomes_a_conflict_copy_and_the_rest_land(pg):
    team = h.make_team(pg, db="bulk_clash")
    taken = team.rec["A/"]  # the founder's record, version 1
    edits = new_edits(5, tag="BEFORE")
    clash = Edit(taken, "otp", "A/", 1, None, {"secret": "BOB-NEW"})
    edits += [clash] + new_edits(5, tag="AFTER")
    box = Outbox(team.team_id)
    for e in edits:
        box.add(e)
    with pgstore.connect(team.url("bob"), autocommit=True) as conn:
        assert box.flush(conn, team.keys["bob"], unit_keys(team)) == 11
    assert box.pending == [] and len(box.conflicts) == 1
    founder = pulled(team, "founder")
    assert founder.contents[taken][1] == {"secret": "A-SECRET"}  # untouched
    assert founder.contents[box.conflicts[0]][1] == {"secret": "BOB-NEW", "conflict_of": taken}
    for e in edits:
        if e is not clash:
            assert founder.contents[e.record_id][1] == e.content


def test_a_batch_refused_by_rls_falls_back_to_one_at_a_time_and_keeps_the_rest_queued(pg):
    team = h.make_team(pg, db="bulk_rls")
    # alice holds only A/; a B/ record (sealed with a key she should not have) is refused by RLS
    before, refused, after = new_edits(3, "A/"), new_edits(1, "B/"), new_edits(3, "A/")
    box = Outbox(team.team_id)
    for e in before + refused + after:
        box.add(e)
    with pgstore.connect(team.url("alice"), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            box.flush(conn, team.keys["alice"], unit_keys(team))
    assert box.pending == refused + after  # the ones before it landed, one at a time
    on_server = server_ids(team)
    assert all(e.record_id in on_server for e in before)
    assert not any(e.record_id in on_server for e in refused + after)


def test_postgresql_dying_mid_batch_loses_nothing_and_the_retry_makes_no_copies(pg):
    team = h.make_team(pg, db="bulk_die")
    edits = new_edits(BATCH + 100)
    box = Outbox(team.team_id)
    for e in edits:
        box.add(e)
    errors: list[BaseException] = []
    conn = pgstore.connect(team.url("bob"), autocommit=True)
    bob_pid = conn.info.backend_pid

    def run() -> None:
        try:
            box.flush(conn, team.keys["bob"], unit_keys(team))
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    with pgstore.connect(team.super_url(), autocommit=True) as su:
        with su.transaction():
            su.execute("LOCK TABLE otpc.records IN ACCESS EXCLUSIVE MODE")
            worker = threading.Thread(target=run)
            worker.start()
            deadline = time.time() + 30
            while not su.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s AND"
                                 " wait_event_type = 'Lock'", (bob_pid,)).fetchone():
                assert time.time() < deadline, "the batch never reached the table"
                time.sleep(0.05)
            # the batch's INSERT is running, inside its transaction: its backend dies now
            su.execute("SELECT pg_terminate_backend(%s)", (bob_pid,))
        worker.join(30)
    conn.close()
    assert len(errors) == 1 and isinstance(errors[0], psycopg.OperationalError)
    assert box.pending == edits  # nothing left the queue
    assert not set(server_ids(team)) & {e.record_id for e in edits}
    with pgstore.connect(team.url("bob"), autocommit=True) as again:
        assert box.flush(again, team.keys["bob"], unit_keys(team)) == len(edits)
    assert box.pending == [] and box.conflicts == []
    founder = pulled(team, "founder")
    assert all(founder.contents[e.record_id][1] == e.content for e in edits)


def test_a_batch_stored_whose_answer_was_lost_is_not_copied_when_pushed_again(pg):
    """The commit happened but the reply never came (the connection died just then): the edits
    are still queued and go again at the next sync. Their ids are taken, by themselves: no copies.
    A different content under such an id (another edit) still becomes a conflict copy."""
    team = h.make_team(pg, db="bulk_again")
    edits = new_edits(20)
    first = Outbox(team.team_id, pending=[Edit(**e.to_json()) for e in edits])
    with pgstore.connect(team.url("bob"), autocommit=True) as conn:
        assert first.flush(conn, team.keys["bob"], unit_keys(team)) == 20  # stored, "no reply"
        again = Outbox(team.team_id, pending=list(edits))
        changed = Edit(**edits[0].to_json())
        changed.content = {"secret": "SOMETHING ELSE"}
        again.add(changed)
        assert again.flush(conn, team.keys["bob"], unit_keys(team)) == 21
    assert again.pending == [] and len(again.conflicts) == 1
    founder = pulled(team, "founder")
    assert founder.contents[again.conflicts[0]][1] == {"secret": "SOMETHING ELSE",
                                                       "conflict_of": edits[0].record_id}
    assert all(founder.contents[e.record_id][1] == e.content for e in edits)
    assert len(server_ids(team)) == 2 + 20 + 1  # the team's two, the edits once, one copy

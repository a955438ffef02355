"""Offline edits queue and push later; a concurrent edit of the same secret keeps both."""

import pgstore_helpers as h
import pytest

from companion.errors import UserError
from companion.team import pgstore
from companion.team.outbox import Edit, Outbox
from companion.team.sync import Replica, pull


def test_offline_edit_queues_then_pushes_and_a_concurrent_edit_keeps_both(pg):
    team = h.make_team(pg, db="outbox")
    bob = team.keys["bob"]
    keys = {(unit, 1): key for unit, key in team.unit_keys.items()}
    box = Outbox(team.team_id)
    box.add(Edit(team.rec["A/"], "otp", "A/", 1, 1, {"secret": "BOB-EDIT"}))
    unreachable = team.url("bob").replace(f"port={pg.port} ", "port=1 ")
    assert "port=1 " in unreachable
    with pytest.raises(UserError, match="cannot reach the team database"):
        box.flush(unreachable, bob, keys)
    assert len(box.pending) == 1  # nothing lost
    # Meanwhile the founder edits the same secret (version 1 -> 2).
    founder_box = Outbox(team.team_id)
    founder_box.add(Edit(team.rec["A/"], "otp", "A/", 1, 1, {"secret": "FOUNDER-EDIT"}))
    assert founder_box.flush(team.url("founder"), team.keys["founder"], keys) == 1
    assert box.flush(team.url("bob"), bob, keys) == 1
    assert box.pending == [] and len(box.conflicts) == 1
    replica = Replica(team.team_id, team.keys["founder"].fingerprint)
    with pgstore.connect(team.url("founder")) as conn:
        assert pull(conn, team.keys["founder"], replica) == []
    assert replica.contents[team.rec["A/"]][1] == {"secret": "FOUNDER-EDIT"}
    copy = replica.contents[box.conflicts[0]][1]
    assert copy == {"secret": "BOB-EDIT", "conflict_of": team.rec["A/"]}

"""A large pull verifies its records' signatures all at once, on every core: the same answers in
the same order as one by one, and a forged record among hundreds is refused alone."""

import os
import uuid
from dataclasses import replace

import pgstore_helpers as h
import pytest

from companion import crypto
from companion.team import pgstore
from companion.team.keys import MemberKeys
from companion.team.records import seal_record
from companion.team.sync import Replica, pull


@pytest.fixture
def four_cores(monkeypatch):
    """The threaded path even on a one-core runner (the answers must not depend on it)."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)


def test_verify_many_answers_like_one_by_one_and_in_order(four_cores):
    signers = [MemberKeys.generate() for _ in range(3)]
    items, bad = [], set()
    for i in range(601):
        who = signers[i % 3]
        msg = f"record {i}".encode()
        sig = who.sign(msg)
        if i % 7 == 0:
            sig = sig[:-1] + bytes([sig[-1] ^ 1])  # altered signature
        elif i % 11 == 0:
            who = signers[(i + 1) % 3]  # checked under someone else's key
        elif i == 600:
            sig = sig[:40]  # not a signature at all
        if i % 7 == 0 or i % 11 == 0 or i == 600:
            bad.add(i)
        items.append((who.sign_public, sig, msg))
    got = crypto.ed25519_verify_many(items)
    assert got == [i not in bad for i in range(601)]
    assert got == [crypto.ed25519_verify(*item) for item in items]


def test_a_forged_record_among_hundreds_is_refused_alone(pg, four_cores):
    team = h.make_team(pg, db="bulkpull")
    founder = team.keys["founder"]
    recs = [seal_record(team.team_id, uuid.uuid4().hex, "otp", "A", "", 1, 1, {"secret": f"S{n}"},
                        team.unit_keys["A/"], founder) for n in range(300)]
    forged = 137
    recs[forged] = replace(recs[forged], signature=recs[forged + 1].signature)
    with pgstore.connect(team.super_url()) as su:
        su.execute("INSERT INTO otpc.records (record_id, version, unit, epoch, kind, author,"
                   " ciphertext, signature) SELECT * FROM unnest(%b::text[], %b::int[],"
                   " %b::text[], %b::int[], %b::text[], %b::text[], %b::bytea[], %b::bytea[])",
                   [list(c) for c in zip(*[(r.record_id, r.version, r.unit, r.epoch, r.kind,
                                            r.author, r.ciphertext, r.signature) for r in recs],
                                         strict=True)])
    bob = Replica(team.team_id, founder.fingerprint)
    with pgstore.connect(team.url("bob")) as conn:
        problems = pull(conn, team.keys["bob"], bob)
    assert problems == [f"record {recs[forged].record_id[:8]} v1: signature is invalid "
                        "(forged or altered)"]
    assert recs[forged].record_id not in bob.contents
    opened = {c["secret"] for _r, c in bob.contents.values()}
    assert opened == {f"S{n}" for n in range(300) if n != forged} | {"A-SECRET", "B-SECRET"}

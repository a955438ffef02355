"""Batched grants (one HPKE encapsulation per member for many unit keys, docs/team-format.md): every
key still opens only for its member, unit, epoch and team, and a batch costs one HPKE opening."""

import json
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from companion import crypto
from companion.team.keys import MemberKeys
from companion.team.units import (
    BATCHED_BLOB_BYTES,
    HPKE_BLOB_BYTES,
    Grant,
    TeamCryptoError,
    batch_info,
    grant,
    grant_many,
    open_grant,
    wrap_info,
)

TEAM = uuid.uuid4().hex
VECTORS = Path(__file__).parents[1] / "vectors" / "team.json"


@pytest.fixture(scope="module")
def people():
    return {n: MemberKeys.generate() for n in ("admin", "alice", "bob")}


@pytest.fixture(scope="module")
def batch(people):
    keys = [(f"cust{i}/", 1 + i % 3, crypto.random_key()) for i in range(6)]
    alice = people["alice"]
    return keys, grant_many(TEAM, keys, alice.enc_public, alice.fingerprint, people["admin"])


def resigned(g, admin, **changes):
    """A grant changed by someone who also holds an admin's signing key: only the wrapping's own
    binding (HPKE info, AES-GCM AAD) can refuse it."""
    moved = replace(g, **changes)
    return replace(moved, signature=admin.sign(moved.signed_bytes()))


def test_every_key_of_a_batch_opens_for_its_member_with_one_hpke_opening(people, batch,
                                                                         monkeypatch):
    keys, grants = batch
    opened = []
    real_open = crypto.hpke_open
    monkeypatch.setattr(crypto, "hpke_open", lambda *a: opened.append(a) or real_open(*a))
    cache: dict = {}
    got = [open_grant(g, people["alice"], people["admin"].sign_public, cache) for g in grants]
    assert got == [k for _u, _e, k in keys]
    assert len(opened) == 1
    assert {len(g.wrapped) for g in grants} == {BATCHED_BLOB_BYTES}
    assert len({g.wrapped[:HPKE_BLOB_BYTES] for g in grants}) == 1  # one encapsulation


def test_a_batched_key_moved_to_another_unit_epoch_or_team_does_not_open(people, batch):
    _keys, grants = batch
    admin, alice = people["admin"], people["alice"]
    g = grants[0]
    for changes in ({"unit": "cust9/"}, {"epoch": g.epoch + 1}, {"team_id": uuid.uuid4().hex}):
        with pytest.raises(TeamCryptoError, match="does not open"):
            open_grant(resigned(g, admin, **changes), alice, admin.sign_public, {})


def test_a_batch_addressed_to_alice_does_not_open_for_bob(people, batch):
    _keys, grants = batch
    admin, bob = people["admin"], people["bob"]
    with pytest.raises(TeamCryptoError, match="does not open"):
        open_grant(resigned(grants[0], admin, member_fp=bob.fingerprint), bob,
                   admin.sign_public, {})


def test_a_key_spliced_under_another_batchs_encapsulation_does_not_open(people, batch):
    keys, grants = batch
    admin, alice = people["admin"], people["alice"]
    other = grant_many(TEAM, keys[:2], alice.enc_public, alice.fingerprint, admin)
    spliced = other[0].wrapped[:HPKE_BLOB_BYTES] + grants[0].wrapped[HPKE_BLOB_BYTES:]
    with pytest.raises(TeamCryptoError, match="does not open"):
        open_grant(resigned(grants[0], admin, wrapped=spliced), alice, admin.sign_public, {})


def test_a_batched_grant_altered_without_the_admins_key_is_refused(people, batch):
    _keys, grants = batch
    g = grants[1]
    flipped = g.wrapped[:-1] + bytes([g.wrapped[-1] ^ 1])
    with pytest.raises(TeamCryptoError, match="signature is invalid"):
        open_grant(replace(g, wrapped=flipped), people["alice"], people["admin"].sign_public, {})


def test_single_grants_keep_the_plain_hpke_form(people):
    alice, key = people["alice"], crypto.random_key()
    [g] = grant_many(TEAM, [("custA/", 1, key)], alice.enc_public, alice.fingerprint,
                     people["admin"])
    plain = grant(TEAM, "custA/", 1, key, alice.enc_public, alice.fingerprint, people["admin"])
    assert len(g.wrapped) == len(plain.wrapped) == HPKE_BLOB_BYTES
    assert open_grant(g, alice, people["admin"].sign_public) == key


def test_batched_grant_vectors():
    """docs/team-format.md's batched-grant vectors: another implementation reading the same bytes
    must reach the same signed bytes and, with alice's X25519 key, the same unit keys."""
    v = json.loads(VECTORS.read_text())
    alice = MemberKeys.from_private_json(v["members"]["alice"])
    founder_pub = bytes.fromhex(v["members"]["founder"]["sign_pub"])
    b = v["batched_grants"]
    assert batch_info(v["team_id"], alice.fingerprint).decode() == b["batch_info"]
    heads = set()
    for item in b["grants"]:
        g = Grant(v["team_id"], item["unit"], item["epoch"], item["member"],
                  bytes.fromhex(item["wrapped"]), item["granted_by"],
                  bytes.fromhex(item["signature"]))
        assert g.signed_bytes().decode() == item["signed_bytes"]
        assert wrap_info(g.team_id, g.unit, g.epoch, g.member_fp).decode() == item["info"]
        assert open_grant(g, alice, founder_pub).hex() == item["unit_key"]
        heads.add(g.wrapped[:HPKE_BLOB_BYTES])
    assert len(heads) == 1

"""docs/team-format.md's vectors (tests/vectors/team.json) still hold: another implementation
reading the same bytes must reach the same fingerprints, signatures and plaintexts."""

import json
from pathlib import Path

import pytest

from companion import crypto
from companion.team import statements as S
from companion.team.keys import MemberKeys
from companion.team.records import TeamRecord, open_record
from companion.team.units import Grant, open_grant, wrap_info

V = json.loads((Path(__file__).parents[1] / "vectors" / "team.json").read_text())
TEAM = V["team_id"]


def member(name: str) -> MemberKeys:
    return MemberKeys.from_private_json(V["members"][name])


@pytest.mark.parametrize("name", ["founder", "alice"])
def test_fingerprints_and_public_keys(name):
    m = member(name)
    assert m.fingerprint == V["members"][name]["fingerprint"]
    assert crypto.ed25519_public(m.sign_private) == m.sign_public


def test_statement_chain_vectors():
    founder = member("founder")
    chain = [S.Statement(TEAM, s["seq"], s["prev"], s["kind"], s["body"], s["signer"],
                         bytes.fromhex(s["signature"])) for s in V["statements"]]
    for st, s in zip(chain, V["statements"], strict=True):
        assert st.signed_bytes().decode() == s["signed_bytes"]
        assert st.digest() == s["digest"]
        assert founder.sign(st.signed_bytes()).hex() == s["signature"]  # Ed25519 is deterministic
    state = S.fold(chain, TEAM, founder.fingerprint)
    assert state.roles["tech-a"].customers == frozenset({"custA"})


def test_record_vector():
    r = V["record"]
    rec = TeamRecord(TEAM, r["record_id"], r["kind"], r["unit"], r["epoch"], r["version"],
                     r["author"], bytes.fromhex(r["ciphertext"]), bytes.fromhex(r["signature"]))
    assert rec.aad().decode() == r["aad"]
    assert rec.signed_bytes().decode() == r["signed_bytes"]
    founder = member("founder")
    assert founder.sign(rec.signed_bytes()).hex() == r["signature"]
    content = open_record(rec, TEAM, bytes.fromhex(r["unit_key"]), founder.sign_public, 0)
    assert json.dumps(content, sort_keys=True, separators=(",", ":")) == r["plaintext"]


def test_grant_vector():
    g = V["grant"]
    grant = Grant(TEAM, g["unit"], g["epoch"], g["member"], bytes.fromhex(g["wrapped"]),
                  g["granted_by"], bytes.fromhex(g["signature"]))
    assert wrap_info(TEAM, g["unit"], g["epoch"], g["member"]).decode() == g["info"]
    assert grant.signed_bytes().decode() == g["signed_bytes"]
    assert open_grant(grant, member("alice"), member("founder").sign_public).hex() == g["unit_key"]

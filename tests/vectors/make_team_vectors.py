"""Writes tests/vectors/team.json: the test vectors docs/team-format.md quotes.

Deterministic parts (fingerprints, canonical bytes, Ed25519 signatures, statement digests) are
recomputed by tests/team/test_team_vectors.py; randomised parts (AES-GCM nonces, HPKE ephemeral
keys) are given as blobs that must open to the stated plaintext.
Run: .venv/bin/python tests/vectors/make_team_vectors.py
"""

import json
from pathlib import Path

from companion import crypto
from companion.team import statements as S
from companion.team.keys import MemberKeys
from companion.team.records import seal_record
from companion.team.units import batch_info, grant, grant_many, unit_id, wrap_info

TEAM = "0123456789abcdef0123456789abcdef"


def fixed_member(seed: int) -> MemberKeys:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    enc_priv = bytes([seed]) * 32
    sign_priv = bytes([seed + 1]) * 32
    enc_pub = X25519PrivateKey.from_private_bytes(enc_priv).public_key().public_bytes_raw()
    return MemberKeys(enc_priv, enc_pub, sign_priv, crypto.ed25519_public(sign_priv))


def build() -> dict:
    founder, alice = fixed_member(1), fixed_member(3)
    unit_key = bytes(range(32))
    found = S.found(TEAM, "Acme IT", founder)
    state = S.fold([found], TEAM, founder.fingerprint)
    role = S.next_statement(state, "role_set",
                            {"name": "tech-a", "customers": ["custA"], "can": ["view"]}, founder)
    rec = seal_record(TEAM, "rec1", "otp", "custA", "", 1, 1,
                      {"type": "totp", "secret": "JBSWY3DPEHPK3PXP"}, unit_key, founder)
    g = grant(TEAM, unit_id("custA"), 1, unit_key, alice.enc_public, alice.fingerprint, founder)
    return {**_base(founder, alice, found, role, rec, g, unit_key),
            "batched_grants": batched_grants(founder, alice)}


def batched_grants(founder: MemberKeys, alice: MemberKeys) -> dict:
    """Two unit keys granted to alice under one HPKE-sealed batch key."""
    keys = [(unit_id("custA"), 2, bytes(range(32))), (unit_id("custB"), 1, bytes(range(32, 64)))]
    grants = grant_many(TEAM, keys, alice.enc_public, alice.fingerprint, founder)
    return {
        "batch_info": batch_info(TEAM, alice.fingerprint).decode(),
        "grants": [
            {"unit": g.unit, "epoch": g.epoch, "member": g.member_fp, "granted_by": g.granted_by,
             "info": wrap_info(TEAM, g.unit, g.epoch, g.member_fp).decode(),
             "wrapped": g.wrapped.hex(), "signed_bytes": g.signed_bytes().decode(),
             "signature": g.signature.hex(), "unit_key": key.hex()}
            for g, (_u, _e, key) in zip(grants, keys, strict=True)
        ],
    }


def _base(founder, alice, found, role, rec, g, unit_key) -> dict:
    return {
        "team_id": TEAM,
        "members": {
            name: {**m.private_json(), "fingerprint": m.fingerprint}
            for name, m in (("founder", founder), ("alice", alice))
        },
        "statements": [
            {"kind": st.kind, "seq": st.seq, "prev": st.prev, "body": st.body,
             "signer": st.signer, "signed_bytes": st.signed_bytes().decode(),
             "signature": st.signature.hex(), "digest": st.digest()}
            for st in (found, role)
        ],
        "record": {
            "record_id": rec.record_id, "kind": rec.kind, "unit": rec.unit, "epoch": rec.epoch,
            "version": rec.version, "author": rec.author, "unit_key": unit_key.hex(),
            "aad": rec.aad().decode(), "signed_bytes": rec.signed_bytes().decode(),
            "ciphertext": rec.ciphertext.hex(), "signature": rec.signature.hex(),
            "plaintext": crypto.unseal(unit_key, rec.ciphertext, rec.aad()).decode(),
        },
        "grant": {
            "unit": g.unit, "epoch": g.epoch, "member": g.member_fp, "granted_by": g.granted_by,
            "info": wrap_info(TEAM, g.unit, g.epoch, g.member_fp).decode(),
            "wrapped": g.wrapped.hex(), "signed_bytes": g.signed_bytes().decode(),
            "signature": g.signature.hex(), "unit_key": unit_key.hex(),
        },
    }


if __name__ == "__main__":
    out = Path(__file__).with_name("team.json")
    vectors = build()
    if "--add-batched" in __import__("sys").argv and out.exists():
        # keep the vectors already published (their random blobs), add the batched grants only
        vectors = {**json.loads(out.read_text()), "batched_grants": vectors["batched_grants"]}
    out.write_text(json.dumps(vectors, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {out}")

"""docs/protocol.md test vectors (tests/vectors/protocol.json): the independent client and the
companion's own implementation must both reproduce every value."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import protoclient as pc
from cryptography.hazmat.primitives.asymmetric import ec

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
sys.path.insert(0, str(VECTORS))

import make_protocol_vectors  # noqa: E402

V = json.loads((VECTORS / "protocol.json").read_text())


def test_file_is_what_the_generator_makes():
    assert make_protocol_vectors.build() == V


def test_companion_key_schedule_and_confirmations():
    from companion.server import pairing

    p = V["pairing"]
    assert pairing.normalise_code(p["code_display"]) == p["code"]
    th = pairing.transcript_hash(p["origin"], p["client_pub"], p["server_pub"], p["client_nonce"],
                                 p["server_nonce"], p["txn"])
    assert pc.b64u(th) == p["th"] == pc.b64u(pc.sha256(p["transcript"].encode()))
    d = int.from_bytes(pc.unb64u(p["server_jwk"]["d"]), "big")
    server = ec.derive_private_key(d, ec.SECP256R1())
    client_pub = pairing.parse_public_key(p["client_pub"])
    shared = server.exchange(ec.ECDH(), client_pub)
    assert pc.b64u(shared) == p["shared"]
    keys = pairing.key_schedule(shared, th, p["code"])
    assert pc.b64u(keys["client-confirm"]) == p["k_client_confirm"]
    assert pc.b64u(keys["server-confirm"]) == p["k_server_confirm"]
    assert pc.b64u(keys["mac"]) == p["k_mac"]
    assert pc.b64u(keys["enc"]) == p["k_enc"]
    assert pc.b64u(pairing.client_confirm_mac(keys["client-confirm"], th)) == p["client_mac"]
    proof = pairing.server_confirm_mac(keys["server-confirm"], th, p["client_id"])
    assert pc.b64u(proof) == p["server_mac"]


def test_companion_canonical_strings_signatures_and_sealing():
    from companion.crypto import hmac_sha256
    from companion.server import auth
    from companion.server.clients import Client

    r, s, se = V["request"], V["response"], V["seal"]
    canon = auth.canonical_request(r["method"], r["target"], r["host"], r["client_id"], r["ts"],
                                   r["nonce"], r["body"].encode())
    assert canon == r["canonical"]
    assert pc.b64u(hmac_sha256(pc.unb64u(r["k_mac"]), canon.encode())) == r["sig"]
    assert auth.canonical_response(s["request_nonce"], s["status"], s["body"].encode()) == s["canonical"]
    assert auth.sign_response(pc.unb64u(s["k_mac"]), s["request_nonce"], s["status"],
                              s["body"].encode()) == s["sig"]
    client = Client(se["client_id"], "v", "o", pc.unb64u(r["k_mac"]), pc.unb64u(se["k_enc"]))
    assert auth.seal_aad(se["client_id"], se["purpose"]).decode() == se["aad"]
    assert auth.unseal_from(client, se["purpose"], se["blob"]) == se["plaintext"]
    assert pc.unseal(pc.unb64u(se["k_enc"]), se["client_id"], se["purpose"],
                     auth.seal_for(client, "unlock", "x")) == "x"


def test_code_normalisation_samples():
    from companion.server import pairing

    for raw, expected in V["code_normalisation"]:
        assert pairing.normalise_code(raw) == expected == pc.normalise_code(raw)


def test_client_ids_never_look_like_options():
    """`otpc clients revoke ID` must not read an id starting with '-' as an option."""
    from companion.server.pairing import new_client_id

    ids = [new_client_id() for _ in range(2000)]
    assert all(len(i) == 22 and i[0].isalnum() for i in ids)
    assert len(set(ids)) == len(ids)

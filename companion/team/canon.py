"""Canonical bytes for everything that is signed or bound into an AAD: one encoding, no ambiguity."""

from __future__ import annotations

import json

from companion import crypto

FORMAT = "otpc-team-v1"
# one encoder for every call: json.dumps(..., sort_keys=...) builds a new one each time, and a sync
# canonicalises two headers per record
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canon(obj: object) -> bytes:
    """JSON with sorted keys, no spaces, UTF-8: the same object always gives the same bytes."""
    return _ENCODER.encode(obj).encode()


def fingerprint(enc_pub: bytes, sign_pub: bytes) -> str:
    """A member's (or the team founder's) key fingerprint, read aloud at join/approve time:
    the first 20 bytes of SHA-256 over both public keys, as 10 groups of 4 hex digits."""
    digest = crypto.sha256(FORMAT.encode() + b"|member|" + enc_pub + sign_pub)[:20].hex()
    return " ".join(digest[i : i + 4] for i in range(0, 40, 4))

"""Team records: JSON sealed with a unit key (AES-256-GCM) and signed by their author (Ed25519).

The AAD binds team, record id, kind, customer, group, epoch and version, so a ciphertext swapped
to another record, unit, epoch or version fails to open. The author's signature covers the same
header plus the ciphertext's hash and the author's fingerprint, so nobody without the author's
key (a PostgreSQL superuser included) can forge or alter a record. Whether that author was allowed
to write it is the statement chain's question (statements.TeamState.may).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from companion import crypto
from companion.team.canon import FORMAT, canon
from companion.team.units import TeamCryptoError, split_unit, unit_id

KINDS = ("customer", "entry", "otp", "tombstone")


@dataclass(frozen=True)
class TeamRecord:
    team_id: str
    record_id: str
    kind: str
    unit: str  # unit_id(customer, group)
    epoch: int
    version: int
    author: str  # the author's fingerprint
    ciphertext: bytes  # empty for a tombstone
    signature: bytes

    @property
    def customer(self) -> str:
        return split_unit(self.unit)[0]

    @property
    def group(self) -> str:
        return split_unit(self.unit)[1]

    def header(self) -> dict:
        customer, group = split_unit(self.unit)
        return {"f": FORMAT, "t": "record", "team": self.team_id, "id": self.record_id,
                "kind": self.kind, "customer": customer, "group": group,
                "epoch": self.epoch, "version": self.version}

    def aad(self) -> bytes:
        return canon(self.header())

    def signed_bytes(self) -> bytes:
        return canon({**self.header(), "author": self.author,
                      "ct": crypto.sha256(self.ciphertext).hex()})


def seal_record(
    team_id: str, record_id: str, kind: str, customer: str, group: str, epoch: int,
    version: int, content: dict | None, unit_key: bytes | None, author,
) -> TeamRecord:
    """A new version of a record, sealed and signed by `author` (MemberKeys). A tombstone has no
    content and no ciphertext: it only says, signed, that the record is gone for good."""
    if kind not in KINDS:
        raise ValueError(f"unknown record kind {kind!r}")
    if version < 1 or epoch < 1:
        raise ValueError("versions and epochs start at 1")
    # built field by field, not with dataclasses.replace: a rotation seals 10,000 of them
    unit, fp = unit_id(customer, group), author.fingerprint
    rec = TeamRecord(team_id, record_id, kind, unit, epoch, version, fp, b"", b"")
    if kind != "tombstone":
        if content is None or unit_key is None:
            raise ValueError("a record needs content and its unit key")
        rec = TeamRecord(team_id, record_id, kind, unit, epoch, version, fp,
                         crypto.seal(unit_key, canon(content), rec.aad()), b"")
    return TeamRecord(team_id, record_id, kind, unit, epoch, version, fp, rec.ciphertext,
                      author.sign(rec.signed_bytes()))


def verify_record(rec: TeamRecord, team_id: str, author_sign_pub: bytes, highest_seen: int,
                  signature_ok: bool | None = None) -> None:
    """Signature, team and rollback checks (no key needed): raises TeamCryptoError.
    `signature_ok`: this very record's signature under `author_sign_pub`, when the caller has
    verified many at once (crypto.ed25519_verify_many); checked here otherwise."""
    what = f"record {rec.record_id[:8]} v{rec.version}"
    if rec.team_id != team_id:
        raise TeamCryptoError(f"{what} belongs to another team")
    if rec.kind not in KINDS:
        raise TeamCryptoError(f"{what} has an unknown kind")
    if signature_ok is None:
        signature_ok = crypto.ed25519_verify(author_sign_pub, rec.signature, rec.signed_bytes())
    if not signature_ok:
        raise TeamCryptoError(f"{what}: signature is invalid (forged or altered)")
    if rec.version < highest_seen:
        raise TeamCryptoError(
            f"{what} is older than v{highest_seen} already seen (rolled back by the server)"
        )


def open_record(
    rec: TeamRecord, team_id: str, unit_key: bytes, author_sign_pub: bytes, highest_seen: int,
    signature_ok: bool | None = None,
) -> dict | None:
    """The record's content after every check; None for a tombstone."""
    verify_record(rec, team_id, author_sign_pub, highest_seen, signature_ok)
    if rec.kind == "tombstone":
        return None
    try:
        content = json.loads(crypto.unseal(unit_key, rec.ciphertext, rec.aad()).decode())
    except (crypto.DecryptError, ValueError):
        raise TeamCryptoError(
            f"record {rec.record_id[:8]} v{rec.version} does not open (swapped or damaged)"
        ) from None
    if not isinstance(content, dict):
        raise TeamCryptoError(f"record {rec.record_id[:8]} v{rec.version} is malformed")
    return content

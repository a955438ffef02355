"""Access units and their keys: one AES-256 key per (customer × group-or-open), with epochs.

A unit key is wrapped to each member allowed to reach the unit with HPKE (RFC 9180, base mode);
the HPKE `info` binds team, unit, epoch and the recipient's fingerprint, so a wrapped key moved to
another member, unit or epoch does not open. Each grant is signed by the admin who made it.
"""

from __future__ import annotations

from dataclasses import dataclass

from companion import crypto
from companion.team.canon import FORMAT, canon

OPEN = ""  # the group of entries that belong to no Password Access Group


class TeamCryptoError(Exception):
    """Something signed or sealed failed to verify: tampered, forged, moved or rolled back."""


def unit_id(customer_id: str, group: str = OPEN) -> str:
    """`<customer id>/<group>`, or `<customer id>/` for the customer's open entries."""
    if "/" in customer_id or "/" in group:
        raise ValueError("customer ids and group names contain no '/'")
    return f"{customer_id}/{group}"


def split_unit(unit: str) -> tuple[str, str]:
    customer, _, group = unit.partition("/")
    return customer, group


def wrap_info(team_id: str, unit: str, epoch: int, member_fp: str) -> bytes:
    return canon(
        {"f": FORMAT, "t": "unit-key", "team": team_id, "unit": unit, "epoch": epoch,
         "member": member_fp}
    )


@dataclass(frozen=True)
class Grant:
    """One unit key wrapped to one member, signed by the admin who granted it."""

    team_id: str
    unit: str
    epoch: int
    member_fp: str
    wrapped: bytes
    granted_by: str  # the admin's fingerprint
    signature: bytes

    def signed_bytes(self) -> bytes:
        return canon(
            {"f": FORMAT, "t": "grant", "team": self.team_id, "unit": self.unit,
             "epoch": self.epoch, "member": self.member_fp, "by": self.granted_by,
             "wrapped": crypto.sha256(self.wrapped).hex()}
        )


def grant(
    team_id: str, unit: str, epoch: int, key: bytes, member_enc_pub: bytes, member_fp: str,
    admin,  # MemberKeys of the granting admin
) -> Grant:
    if epoch < 1:
        raise ValueError("epochs start at 1")
    wrapped = crypto.hpke_seal(member_enc_pub, key, wrap_info(team_id, unit, epoch, member_fp))
    unsigned = Grant(team_id, unit, epoch, member_fp, wrapped, admin.fingerprint, b"")
    return Grant(**{**unsigned.__dict__, "signature": admin.sign(unsigned.signed_bytes())})


def open_grant(g: Grant, me, admin_sign_pub: bytes) -> bytes:
    """The unit key, after checking the granting admin's signature (the caller has checked, in the
    statement chain, that this admin was an admin) and that the grant is addressed to `me`."""
    if g.member_fp != me.fingerprint:
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant addressed to someone else")
    if not crypto.ed25519_verify(admin_sign_pub, g.signature, g.signed_bytes()):
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant signature is invalid")
    try:
        key = crypto.hpke_open(
            me.enc_private, g.wrapped, wrap_info(g.team_id, g.unit, g.epoch, g.member_fp)
        )
    except crypto.DecryptError:
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant does not open") from None
    if len(key) != crypto.KEY_BYTES:
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant has a bad key length")
    return key

"""Access units and their keys: one AES-256 key per (customer × group-or-open), with epochs.

A unit key is wrapped to each member allowed to reach the unit with HPKE (RFC 9180, base mode);
the HPKE `info` binds team, unit, epoch and the recipient's fingerprint, so a wrapped key moved to
another member, unit or epoch does not open. Each grant is signed by the admin who made it.

Many keys for one member at once (a rotation, an approval) share one HPKE encapsulation: a fresh
batch key is HPKE-sealed to the member (info binds team and member) and each unit key is sealed
under it with AES-256-GCM, AAD = the same `wrap_info` (team, unit, epoch, member). One X25519
agreement per member instead of one per unit; docs/team-format.md, "Batched grants".
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


HPKE_BLOB_BYTES = 80  # enc (32) ‖ a 32-byte key sealed (32 + 16): a single grant's whole blob
BATCHED_BLOB_BYTES = HPKE_BLOB_BYTES + 12 + 32 + 16  # ‖ nonce ‖ unit key sealed under the batch key


def wrap_info(team_id: str, unit: str, epoch: int, member_fp: str) -> bytes:
    return canon(
        {"f": FORMAT, "t": "unit-key", "team": team_id, "unit": unit, "epoch": epoch,
         "member": member_fp}
    )


def batch_info(team_id: str, member_fp: str) -> bytes:
    return canon({"f": FORMAT, "t": "unit-key-batch", "team": team_id, "member": member_fp})


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
    return _signed(Grant(team_id, unit, epoch, member_fp, wrapped, admin.fingerprint, b""), admin)


def grant_many(
    team_id: str, keys: list[tuple[str, int, bytes]], member_enc_pub: bytes, member_fp: str,
    admin,
) -> list[Grant]:
    """One grant per (unit, epoch, key) to one member, all under one HPKE-sealed batch key."""
    if any(epoch < 1 for _u, epoch, _k in keys):
        raise ValueError("epochs start at 1")
    if len(keys) < 2:
        return [grant(team_id, u, e, k, member_enc_pub, member_fp, admin) for u, e, k in keys]
    batch_key = crypto.random_key()
    head = crypto.hpke_seal(member_enc_pub, batch_key, batch_info(team_id, member_fp))
    return [_signed(Grant(team_id, unit, epoch, member_fp,
                          head + crypto.seal(batch_key, key,
                                             wrap_info(team_id, unit, epoch, member_fp)),
                          admin.fingerprint, b""), admin)
            for unit, epoch, key in keys]


def _signed(g: Grant, admin) -> Grant:
    return Grant(g.team_id, g.unit, g.epoch, g.member_fp, g.wrapped, g.granted_by,
                 admin.sign(g.signed_bytes()))


def open_grant(g: Grant, me, admin_sign_pub: bytes, batch_keys: dict | None = None) -> bytes:
    """The unit key, after checking the granting admin's signature (the caller has checked, in the
    statement chain, that this admin was an admin) and that the grant is addressed to `me`.
    `batch_keys` (a dict the caller keeps for one sync round) remembers opened batch keys, so the
    500 grants of one batch cost one HPKE opening."""
    if g.member_fp != me.fingerprint:
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant addressed to someone else")
    if not crypto.ed25519_verify(admin_sign_pub, g.signature, g.signed_bytes()):
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant signature is invalid")
    info = wrap_info(g.team_id, g.unit, g.epoch, g.member_fp)
    try:
        if len(g.wrapped) == BATCHED_BLOB_BYTES:
            head = bytes(g.wrapped[:HPKE_BLOB_BYTES])
            batch_keys = {} if batch_keys is None else batch_keys
            seen = (g.team_id, g.member_fp, head)
            if seen not in batch_keys:
                batch_keys[seen] = crypto.hpke_open(me.enc_private, head,
                                                    batch_info(g.team_id, g.member_fp))
            key = crypto.unseal(batch_keys[seen], bytes(g.wrapped[HPKE_BLOB_BYTES:]), info)
        else:
            key = crypto.hpke_open(me.enc_private, g.wrapped, info)
    except crypto.DecryptError:
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant does not open") from None
    if len(key) != crypto.KEY_BYTES:
        raise TeamCryptoError(f"unit {g.unit} epoch {g.epoch}: key grant has a bad key length")
    return key

"""What a member does with team entries: codes, reveals, edits, deletes. Each checks the member's
role first (Forbidden, HTTP 403, otherwise), writes through the outbox (sealed in the vault before
anything is sent; pushed at once when the database answers) and queues a signed audit row.

Codes come from the local replica: fast, and they keep working offline. HOTP is the exception: the
counter advances atomically in PostgreSQL, so offline a HOTP code is refused rather than risking
a code someone else already used.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import replace

from companion import otp as otpmath
from companion.errors import Forbidden, UserError
from companion.otp import OtpParams
from companion.team import pgstore
from companion.team.outbox import Edit, newest_epoch
from companion.team.view import TeamEntry
from companion.vault.model import CodeResult, otp_content

ACTION_WORDS = {"view": "show codes of", "reveal": "reveal secrets or passwords of",
                "edit": "edit", "delete": "delete in", "admin": "administer"}


def need(entry: TeamEntry, permission: str) -> None:
    if permission not in entry.can:
        raise Forbidden(f"your team role may not {ACTION_WORDS[permission]} {entry.ref}")


def _after_write(session) -> None:
    """Push now if the database answers; offline, the edit stays queued (status shows it).
    Inside a batch (an import) the push waits for the batch to commit (TeamVault.batch): a
    batch that rolls back must not have sent anything."""
    if session.store.store.in_write:
        return
    try:
        session.sync(wait=False)  # in a running companion: wakes its round (session.SyncGate)
    except UserError:
        pass


def _base(session, rid: str) -> int | None:
    """The version a new edit of `rid` replaces: the last queued edit's result, else the replica's."""
    for edit in reversed(session.outbox.pending):
        if edit.record_id == rid:
            return 1 if edit.base_version is None else edit.base_version + 1
    rec = session.replica.contents.get(rid)
    return rec[0].version if rec else session.replica.versions.get(rid)


def _queue(session, rid: str, kind: str, unit: str, content: dict | None) -> None:
    epoch = newest_epoch(session.replica.unit_keys, unit)
    if epoch is None:
        raise Forbidden("you hold no key for this customer or group")
    session.queue(Edit(rid, kind, unit, epoch, _base(session, rid), content))


# -- codes and reveals ------------------------------------------------------------------------------

def code(session, view, entry: TeamEntry, at: float | None,
         counter: int | None = None) -> CodeResult:
    """`counter`: a HOTP counter advanced already (a companion does that in a worker thread,
    server/team_ops.py team_code); without it a HOTP code advances it here."""
    need(entry, "view")
    if entry.id not in view.otps:
        raise UserError(f"entry {entry.ref} has no OTP")
    otp_rid, raw = view.otps[entry.id]
    params = OtpParams(**raw).checked()
    server_time = time.time()
    when = server_time if at is None else float(at)
    if params.type == "hotp" and counter is None:
        if session.info.get("offline_since"):
            raise UserError("HOTP codes of team entries need the team database (offline): "
                            "two technicians must never get the same code")
        with session.connect() as conn:
            counter = pgstore.hotp_next(conn, otp_rid, entry.unit, params.counter)
    if params.type == "hotp":
        params = replace(params, counter=counter)
    else:
        counter = None
    value = otpmath.code(params, when)
    session.audit("code", entry.id, entry.customer_id)
    return CodeResult(code=value, type=params.type,
                      period=0 if params.type == "hotp" else otpmath.period_of(params),
                      remaining=otpmath.remaining(params, when),
                      valid_until=otpmath.valid_until(params, when), server_time=server_time,
                      counter=counter, digits=len(value))


def reveal_password(session, entry: TeamEntry) -> str:
    need(entry, "reveal")
    session.audit("reveal", entry.id, entry.customer_id)
    return entry.password


def otp_params(session, view, entry: TeamEntry) -> OtpParams:
    need(entry, "reveal")
    if entry.id not in view.otps:
        raise UserError(f"entry {entry.ref} has no OTP")
    session.audit("reveal", entry.id, entry.customer_id)
    return OtpParams(**view.otps[entry.id][1])


# -- edits -------------------------------------------------------------------------------------------

def add_entry(session, customer_can: tuple, customer_id: str, entry: dict) -> str:
    if "edit" not in customer_can:
        raise Forbidden("your team role may not add entries for this customer")
    rid = uuid.uuid4().hex
    _queue(session, rid, "entry", f"{customer_id}/", entry)
    session.audit("edit", rid, customer_id)
    _after_write(session)
    return rid


def update_entry(session, entry: TeamEntry, content: dict) -> None:
    need(entry, "edit")
    if entry.otp_record == entry.id:
        raise UserError("this is a conflict copy of a secret: edit the original entry, or "
                        "remove the copy")
    _queue(session, entry.id, "entry", entry.unit, content)
    session.audit("edit", entry.id, entry.customer_id)
    _after_write(session)


def set_otp(session, view, entry: TeamEntry, params: OtpParams) -> None:
    need(entry, "edit")
    rid = view.otps[entry.id][0] if entry.id in view.otps else uuid.uuid4().hex
    owner = entry.id if entry.otp_record != entry.id else view.records[rid][2].get("entry")
    _queue(session, rid, "otp", entry.unit, {"entry": owner, "otp": otp_content(params)})
    session.audit("edit", entry.id, entry.customer_id)
    _after_write(session)


def remove_otp(session, view, entry: TeamEntry) -> None:
    """Irreversible: the OTP record becomes a signed tombstone (its ciphertext rows go)."""
    need(entry, "delete")
    if entry.id not in view.otps:
        raise UserError(f"entry {entry.ref} has no OTP")
    _queue(session, view.otps[entry.id][0], "tombstone", entry.unit, None)
    session.audit("delete", entry.id, entry.customer_id)
    _after_write(session)


def remove_entry(session, view, entry: TeamEntry) -> None:
    need(entry, "delete")
    doomed = [rid for rid, (kind, _u, c) in view.records.items()
              if kind == "otp" and c.get("entry") == entry.id] + [entry.id]
    if entry.otp_record == entry.id:  # a conflict copy of a secret: only that record
        doomed = [entry.id]
    for rid in doomed:
        _queue(session, rid, "tombstone", entry.unit, None)
    session.audit("delete", entry.id, entry.customer_id)
    _after_write(session)


def adopt_records(customer, entries, otps) -> list[tuple[str, str, dict]]:
    """The records that move a local customer (with its entries and OTP secrets) into the team."""
    records = [("customer", customer.id, {"name": customer.name, "notes": customer.notes})]
    for e in entries:
        content = e.content()
        content.pop("otp", None)
        records.append(("entry", e.id, content))
        if e.id in otps:
            records.append(("otp", uuid.uuid4().hex, {"entry": e.id, "otp": otp_content(otps[e.id])}))
    return records


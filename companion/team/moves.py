"""Renaming a team customer and moving entries between customers (issue 8).

- Rename: a new version of the customer's record (`{name, notes}`, sealed under its open unit and
  signed by its author) through the outbox, like any edit. Admins only: every member verifies that
  a customer record's author has `admin` (sync.WRITE_PERMISSION), so a rename by anyone else, or a
  name altered in PostgreSQL, is refused and the replica keeps the name it verified.
- Team entry to another team customer: `edit` at the source and at the destination. The entry and
  its OTP records are re-sealed under the destination unit (same group, newest epoch, version + 1;
  the AAD binds the customer) and replace their rows in one transaction, so no ciphertext stays
  under the old unit; the HOTP counter row follows. Needs the team database (like a group move).
- Team entry to a local customer: it leaves the team, which is a delete for everyone else and puts
  the secret in one vault: `reveal` and `delete` at the source (teamvault.TeamVault).
- Local entry to a team customer: `edit` at the destination, like `otpc team adopt` for one entry.
"""

from __future__ import annotations

import uuid

from companion.errors import Forbidden, UserError
from companion.team import actions, pgstore
from companion.team.outbox import newest_epoch
from companion.team.records import seal_record
from companion.team.units import unit_id
from companion.team.view import TeamCustomer, TeamEntry, TeamView
from companion.vault.model import otp_content
from companion.vault.validate import shown


def rename_customer(session, view: TeamView, cust: TeamCustomer, name: str | None,
                    notes: str | None) -> None:
    """Queue the customer's renamed record (admins only); pushed at once when online."""
    if "admin" not in cust.can:
        raise Forbidden(f"your team role may not rename or edit team customer {shown(cust.name)}"
                        " (that needs admin)")
    _kind, _unit, content = view.records[cust.id]
    new = dict(content)
    if name is not None:
        new["name"] = name
    if notes is not None:
        new["notes"] = notes
    if new == content:
        return
    actions._queue(session, cust.id, "customer", unit_id(cust.id, ""), new)
    session.audit("edit", cust.id, cust.id)
    actions._after_write(session)


def entry_records(view: TeamView, entry: TeamEntry) -> list[str]:
    """The entry's record and every OTP record of it (conflict copies of its secret included)."""
    return [entry.id] + sorted(view.otps_of.get(entry.id, ()))


def check_team_move(view: TeamView, entry: TeamEntry, dest: TeamCustomer) -> None:
    """Refuse (Forbidden) before anything is written: `edit` at the source and the destination."""
    if entry.otp_record == entry.id:
        raise UserError("this is a conflict copy of a secret: move the original entry, or "
                        "remove the copy")
    actions.need(entry, "edit")
    if "edit" not in view.reach(dest.id, entry.group):
        where = f" (group {entry.group})" if entry.group else ""
        raise Forbidden(f"your team role may not edit entries of {shown(dest.name)}{where}: "
                        "moving an entry there needs edit on both customers")


def move_entry(session, view: TeamView, entry: TeamEntry, dest: TeamCustomer) -> None:
    """Re-seal the entry and its OTP records under (dest, entry's group): one transaction."""
    check_team_move(view, entry, dest)
    session.sync()  # queued edits first: we re-seal the versions the server holds
    unit = unit_id(dest.id, entry.group)
    epoch = newest_epoch(session.replica.unit_keys, unit)
    if epoch is None:
        raise UserError(f"nobody has used group {entry.group!r} at {shown(dest.name)} yet: an "
                        "admin moves the entry to the group there first, or takes it out of "
                        "the group (otpc entry edit --no-group)")
    key = session.replica.unit_keys[(unit, epoch)]
    rids = [rid for rid in entry_records(view, entry) if rid in session.replica.contents]
    with session.connect() as conn, conn.transaction():
        for rid in rids:
            rec, content = session.replica.contents[rid]
            if rec.kind == "tombstone" or content is None:
                continue
            new = seal_record(session.team_id, rid, rec.kind, dest.id, entry.group, epoch,
                              rec.version + 1, content, key, session.me)
            if not pgstore.push(conn, new, rec.version).ok:
                raise UserError("the entry changed meanwhile; run 'otpc team sync' and retry")
            if rec.kind == "otp":  # the HOTP counter goes with it (RLS: its unit must be held)
                conn.execute("UPDATE otpc.hotp_counters SET unit = %s WHERE record_id = %s",
                             (unit, rid))
    session.audit("edit", entry.id, dest.id)
    session.sync()


def check_leave_team(view: TeamView, entry: TeamEntry) -> None:
    """A team entry moved to a local customer leaves the team: a delete for everyone else, and
    its secret ends up in this vault only."""
    if entry.otp_record == entry.id or len(view.otps_of.get(entry.id, ())) > 1:
        raise UserError("this entry has conflict copies of its secret: keep one (remove the "
                        "other) before moving it out of the team")
    if "reveal" not in entry.can or "delete" not in entry.can:
        raise Forbidden(f"your team role may not move {entry.ref} out of the team: that takes "
                        "its secret out (reveal) and deletes it for everyone else (delete)")


def hotp_counter_now(session, otp_rid: str, start: int) -> int:
    """The next HOTP counter the team would use (read, not advanced); needs the database."""
    if session.info.get("offline_since"):
        raise UserError("moving a HOTP entry out of the team needs the team database (offline)")
    with session.connect() as conn:
        row = conn.execute("SELECT counter FROM otpc.hotp_counters WHERE record_id = %s",
                           (otp_rid,)).fetchone()
    return max(start, row[0]) if row else start


def queue_into_team(session, dest: TeamCustomer, rid: str, content: dict, params) -> None:
    """Queue a local entry (and its OTP) as new records of dest's open unit (`edit` there)."""
    if "edit" not in dest.can:
        raise Forbidden(f"your team role may not add entries to {shown(dest.name)}")
    unit = unit_id(dest.id, "")
    actions._queue(session, rid, "entry", unit, content)
    if params is not None:
        actions._queue(session, uuid.uuid4().hex, "otp", unit,
                       {"entry": rid, "otp": otp_content(params)})
    session.audit("edit", rid, dest.id)

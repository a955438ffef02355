"""Local edits on their way to PostgreSQL: queued while offline, pushed later, and never lost to
a concurrent edit (the loser becomes a flagged conflict copy, a record of its own).

An edit here is already sealed and signed; the queue keeps its content too, because a conflict
copy must be re-sealed under a new record id (the AAD binds the id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from companion.errors import UserError
from companion.team import pgstore
from companion.team.records import seal_record
from companion.team.units import split_unit


@dataclass
class Edit:
    record_id: str
    kind: str
    unit: str
    epoch: int
    base_version: int | None  # the version this edit replaces; None for a new record
    content: dict


@dataclass
class Outbox:
    team_id: str
    pending: list[Edit] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # ids of conflict copies made

    def add(self, edit: Edit) -> None:
        self.pending.append(edit)

    def flush(self, conninfo: str, me, unit_keys: dict[tuple[str, int], bytes]) -> int:
        """Push what is queued, oldest first; returns how many landed. Unreachable database: one
        UserError, the queue untouched. A lost race: the edit is pushed as a conflict copy."""
        with pgstore.connect(conninfo) as conn:
            done = 0
            while self.pending:
                edit = self.pending[0]
                customer, group = split_unit(edit.unit)
                key = unit_keys[(edit.unit, edit.epoch)]
                version = 1 if edit.base_version is None else edit.base_version + 1
                rec = seal_record(self.team_id, edit.record_id, edit.kind, customer, group,
                                  edit.epoch, version, edit.content, key, me)
                if not pgstore.push(conn, rec, edit.base_version).ok:
                    copy_id = uuid.uuid4().hex
                    flagged = {**edit.content, "conflict_of": edit.record_id}
                    copy = seal_record(self.team_id, copy_id, edit.kind, customer, group,
                                       edit.epoch, 1, flagged, key, me)
                    if not pgstore.push(conn, copy, None).ok:
                        raise UserError("could not store a conflict copy; the edit stays queued")
                    self.conflicts.append(copy_id)
                self.pending.pop(0)
                done += 1
            return done

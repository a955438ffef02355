"""Local edits on their way to PostgreSQL: queued while offline, pushed later, and never lost to
a concurrent edit (the loser becomes a flagged conflict copy, a record of its own).

An edit here is plain content; it is sealed when it is pushed, under the newest epoch of its unit
the member holds then (a rotation may have happened while it waited). The queue keeps the content
because a conflict copy must be sealed under a new record id (the AAD binds the id).
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field

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
    content: dict | None  # None for a tombstone
    queue_id: str = ""  # its row in the local vault (team_store OUTBOX)

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict) -> Edit:
        return cls(**d)


def newest_epoch(unit_keys: dict[tuple[str, int], bytes], unit: str) -> int | None:
    return max((e for u, e in unit_keys if u == unit), default=None)


@dataclass
class Outbox:
    team_id: str
    pending: list[Edit] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)  # ids of conflict copies made

    def add(self, edit: Edit) -> None:
        self.pending.append(edit)

    def flush(self, conn, me, unit_keys: dict[tuple[str, int], bytes]) -> int:
        """Push what is queued, oldest first, over `conn` (a connection or a conninfo string);
        returns how many landed. Unreachable database: one UserError, the queue untouched. A lost
        race: the edit is pushed as a conflict copy (a tombstone that lost is dropped: the record
        changed meanwhile, and deleting what someone else just changed is not what was asked)."""
        if isinstance(conn, str):
            with pgstore.connect(conn) as owned:
                return self.flush(owned, me, unit_keys)
        done = 0
        while self.pending:
            edit = self.pending[0]
            customer, group = split_unit(edit.unit)
            epoch = newest_epoch(unit_keys, edit.unit)
            if epoch is None:
                raise UserError("a queued edit is for a unit this member holds no key of any more")
            key = unit_keys[(edit.unit, epoch)]
            version = 1 if edit.base_version is None else edit.base_version + 1
            rec = seal_record(self.team_id, edit.record_id, edit.kind, customer, group,
                              epoch, version, edit.content, key, me)
            if not pgstore.push(conn, rec, edit.base_version).ok and edit.kind != "tombstone":
                copy_id = uuid.uuid4().hex
                flagged = {**edit.content, "conflict_of": edit.record_id}
                copy = seal_record(self.team_id, copy_id, edit.kind, customer, group,
                                   epoch, 1, flagged, key, me)
                if not pgstore.push(conn, copy, None).ok:
                    raise UserError("could not store a conflict copy; the edit stays queued")
                self.conflicts.append(copy_id)
            self.pending.pop(0)
            done += 1
        return done

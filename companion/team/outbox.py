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
from companion.team.records import open_record, seal_record
from companion.team.units import TeamCryptoError, split_unit

BATCH = 500  # new records pushed in one statement


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
        returns how many landed. New records at the front of the queue go in batches (one
        transaction and one statement each, pgstore.push_new_many); edits of existing records go
        one at a time with their version check. An edit leaves `pending` only once committed.
        Unreachable database: one UserError, the queue untouched. A lost race: the edit is pushed
        as a conflict copy (a tombstone that lost is dropped: the record changed meanwhile, and
        deleting what someone else just changed is not what was asked)."""
        if isinstance(conn, str):
            with pgstore.connect(conn) as owned:
                return self.flush(owned, me, unit_keys)
        done = 0
        while self.pending:
            run = self._new_run()
            if len(run) < 2:
                self._push_first(conn, me, unit_keys)
                done += 1
                continue
            sealed = [self._seal(e, me, unit_keys)[0] for e in run]
            psycopg = pgstore._psycopg()
            try:
                landed = pgstore.push_new_many(conn, sealed)
            except psycopg.OperationalError:
                raise  # the batch was rolled back (or never ran): every edit stays queued
            except psycopg.DatabaseError:
                landed = set()  # pushed one by one below: the same error or clash as before
            left = [e for e in run if e.record_id not in landed]
            done += len(run) - len(left)
            self.pending = left + self.pending[len(run):]
            for _ in left:  # an id clash (a conflict copy) or the error again, one at a time
                self._push_first(conn, me, unit_keys)
                done += 1
        return done

    def _new_run(self) -> list[Edit]:
        """The queued new records at the front (no version to check), at most BATCH, each id
        once: pushed together in one statement."""
        run: list[Edit] = []
        ids: set[str] = set()
        for edit in self.pending:
            if edit.base_version is not None or edit.record_id in ids or len(run) == BATCH:
                break
            run.append(edit)
            ids.add(edit.record_id)
        return run

    def _seal(self, edit: Edit, me, unit_keys):
        customer, group = split_unit(edit.unit)
        epoch = newest_epoch(unit_keys, edit.unit)
        if epoch is None:
            raise UserError("a queued edit is for a unit this member holds no key of any more")
        key = unit_keys[(edit.unit, epoch)]
        version = 1 if edit.base_version is None else edit.base_version + 1
        rec = seal_record(self.team_id, edit.record_id, edit.kind, customer, group,
                          epoch, version, edit.content, key, me)
        return rec, key, customer, group, epoch

    def _landed_before(self, conn, edit: Edit, me, unit_keys) -> bool:
        """A new record whose id is taken by this very edit, stored by an earlier push whose
        answer was lost (the connection died between the commit and its reply): version 1,
        signed by this member, opening to the same content. Pushed again it is not a conflict."""
        if edit.base_version is not None:
            return False
        rec = pgstore.get_record(conn, self.team_id, edit.record_id)
        if (rec is None or rec.version != 1 or rec.author != me.fingerprint
                or rec.kind != edit.kind or rec.unit != edit.unit):
            return False
        key = unit_keys.get((rec.unit, rec.epoch))
        if key is None:
            return False
        try:
            return open_record(rec, self.team_id, key, me.sign_public, 1) == edit.content
        except TeamCryptoError:
            return False

    def _push_first(self, conn, me, unit_keys) -> None:
        """Push the oldest queued edit alone, with its version check; a lost race makes a
        conflict copy. It leaves the queue only once stored."""
        edit = self.pending[0]
        rec, key, customer, group, epoch = self._seal(edit, me, unit_keys)
        if (not pgstore.push(conn, rec, edit.base_version).ok and edit.kind != "tombstone"
                and not self._landed_before(conn, edit, me, unit_keys)):
            copy_id = uuid.uuid4().hex
            flagged = {**edit.content, "conflict_of": edit.record_id}
            copy = seal_record(self.team_id, copy_id, edit.kind, customer, group,
                               epoch, 1, flagged, key, me)
            if not pgstore.push(conn, copy, None).ok:
                raise UserError("could not store a conflict copy; the edit stays queued")
            self.conflicts.append(copy_id)
        self.pending.pop(0)

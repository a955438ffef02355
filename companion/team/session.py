"""A member's team session: their keys, the database login, the verified replica, the outbox and
the queue of signed audit rows, all kept sealed in the local vault (vault/team_store.py).

`sync()` is one round: push the outbox, pull and verify what changed, append queued audit rows,
then write what changed back into the vault. Unreachable database: the replica keeps answering,
the status says "offline since …", and nothing queued is lost.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from companion.errors import Forbidden, UserError
from companion.team import pgstore
from companion.team import statements as S
from companion.team.keys import MemberKeys
from companion.team.outbox import Edit, Outbox
from companion.team.records import TeamRecord
from companion.team.sync import Replica, pull
from companion.team.units import TeamCryptoError
from companion.vault import team_store as T

# how often a sync with unchanged roles and nothing refused re-checks that the server still lists
# every record we hold (sync._dropped): per change it cost as much as the change itself. A running
# companion also checks at once when PostgreSQL notifies that a row was deleted or moved
# (schema.SCAN_PAYLOAD). OTPC_TEAM_SCAN_SECONDS overrides the interval (seconds, 1 to 86400).
DROPPED_SCAN_SECONDS = 30.0


def scan_seconds() -> float:
    raw = os.environ.get("OTPC_TEAM_SCAN_SECONDS", "")
    try:
        value = float(raw)
    except ValueError:
        return DROPPED_SCAN_SECONDS
    return value if 1.0 <= value <= 86400.0 else DROPPED_SCAN_SECONDS


class SyncGate:
    """Keeps PostgreSQL off a running companion's event loop where it can (server/team_ops.py
    registers the loop's thread, how to wake its background round and whether a round or a team
    command is running in a worker thread). There, `sync(wait=False)` (an edit just queued) only
    wakes that round; `sync()` (an operation that needs the server's state first: an admin's
    change, a move) runs its round in place as before, unless one is running already (then that
    one does the work). Everywhere else (the CLI, worker threads) sync() runs its round in place."""

    def __init__(self) -> None:
        self.loop_thread: int | None = None
        self.wake: Callable[[], None] | None = None
        self.busy: Callable[[], bool] | None = None

    def defer(self, wait: bool = True) -> bool:
        if self.loop_thread is None or self.loop_thread != threading.get_ident():
            return False
        if wait and not (self.busy is not None and self.busy()):
            return False
        if self.wake is not None:
            self.wake()
        return True


GATE = SyncGate()


@dataclass
class Round:
    """One sync round's inputs (copies) and results; see TeamSession.begin_round."""
    conninfo: str
    replica: Replica  # a working copy: the session's replica is replaced only on success
    outbox: Outbox  # a copy of the queued edits
    queued: set  # their queue ids
    audit: dict  # queued audit rows to append
    seq: int = -1
    pushed: int = 0
    landed: set = field(default_factory=set)  # queue ids pushed
    problems: list = field(default_factory=list)
    pulled: bool = False
    audit_sent: bool = False
    offline: bool = False
    error: BaseException | None = None

    def __post_init__(self) -> None:
        self.seq = self.replica.statement_seq


def record_json(rec: TeamRecord) -> dict:
    return {"record_id": rec.record_id, "kind": rec.kind, "unit": rec.unit, "epoch": rec.epoch,
            "version": rec.version, "author": rec.author, "ct": rec.ciphertext.hex(),
            "sig": rec.signature.hex()}


def record_from(team_id: str, d: dict) -> TeamRecord:
    return TeamRecord(team_id, d["record_id"], d["kind"], d["unit"], d["epoch"], d["version"],
                      d["author"], bytes.fromhex(d["ct"]), bytes.fromhex(d["sig"]))


def statement_json(st: S.Statement) -> dict:
    return {"seq": st.seq, "prev": st.prev, "kind": st.kind, "body": st.body,
            "signer": st.signer, "sig": st.signature.hex()}


def statement_from(team_id: str, d: dict) -> S.Statement:
    return S.Statement(team_id, d["seq"], d["prev"], d["kind"], d["body"], d["signer"],
                       bytes.fromhex(d["sig"]))


def conninfo(params: dict) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(**params)


@dataclass
class TeamSession:
    store: T.TeamStore
    info: dict  # team_id, founder_fp, team_name, conn (libpq params), member_name, status, …
    me: MemberKeys
    replica: Replica
    outbox: Outbox
    audit_queue: dict[str, dict] = field(default_factory=dict)
    saved_keys: set = field(default_factory=set)  # unit keys already sealed in the vault
    generation: int = 0  # bumped whenever what the view shows may have changed
    # record ids changed (replica or outbox) since the view last caught up (TeamVault.team_view)
    changed_ids: set = field(default_factory=set)

    # -- loading and saving ----------------------------------------------------------------------

    @classmethod
    def load(cls, tstore: T.TeamStore) -> TeamSession | None:
        info = tstore.get(T.SESSION)
        if info is None:
            return None
        team_id = info["team_id"]
        replica = Replica(team_id, info["founder_fp"], statement_seq=info.get("statement_seq", -1),
                          cursor=info.get("cursor", 0), scan_interval=scan_seconds())
        for rid, row in tstore.load(T.RECORD).items():
            replica.versions[rid] = row["highest"]
            if row.get("rec") is not None:
                replica.contents[rid] = (record_from(team_id, row["rec"]), row.get("content"))
        for row in tstore.load(T.UNIT_KEY).values():
            replica.unit_keys[(row["unit"], row["epoch"])] = bytes.fromhex(row["key"])
        chain = sorted((statement_from(team_id, d) for d in tstore.load(T.STATEMENT).values()),
                       key=lambda st: st.seq)
        if chain:
            try:
                replica.state = S.fold(chain, team_id, info["founder_fp"])
                replica.chain = chain
            except TeamCryptoError:
                replica.state = None  # refetched and re-verified at the next sync
        outbox = Outbox(team_id, conflicts=list(info.get("conflicts", [])))
        for qid, row in sorted(tstore.load(T.OUTBOX).items()):
            outbox.add(Edit.from_json({**row, "queue_id": qid}))
        me = MemberKeys.from_private_json(info["keys"])
        return cls(tstore, info, me, replica, outbox, tstore.load(T.AUDIT_QUEUE),
                   set(replica.unit_keys))

    def save_info(self) -> None:
        self.info.update(statement_seq=self.replica.statement_seq, cursor=self.replica.cursor,
                         conflicts=self.outbox.conflicts[-200:])
        self.store.put(T.SESSION, {"": self.info})

    def _save_records(self, ids) -> None:
        rows, gone = {}, []
        for rid in ids:
            entry = self.replica.contents.get(rid)
            highest = self.replica.versions.get(rid)
            if entry is None and highest is None:
                gone.append(rid)
                continue
            rows[rid] = {"highest": highest or 0,
                         "rec": record_json(entry[0]) if entry else None,
                         "content": entry[1] if entry else None}
        self.store.put(T.RECORD, rows)
        if gone:
            self.store.delete(T.RECORD, gone)

    def _save_keys(self, keys) -> None:
        self.saved_keys |= set(keys)
        self.store.put(T.UNIT_KEY, {f"{u}|{e}": {"unit": u, "epoch": e,
                                                  "key": self.replica.unit_keys[(u, e)].hex()}
                                     for u, e in keys})

    # -- the database --------------------------------------------------------------------------

    @property
    def team_id(self) -> str:
        return self.info["team_id"]

    @property
    def state(self) -> S.TeamState:
        if self.replica.state is None:
            raise UserError("the team's roles are not known yet: run 'otpc team sync'")
        return self.replica.state

    def connect(self):
        """A connection as this member, or one line; an unreachable database marks us offline."""
        try:
            # autocommit: each `conn.transaction()` is then a real transaction, never a savepoint
            # inside an implicit one left open by a plain SELECT (whose writes would stay
            # invisible, even to our own next pull, until the connection closed)
            conn = pgstore.connect(conninfo(self.info["conn"]), autocommit=True)
        except UserError:
            self.mark_offline()
            raise
        return conn

    def mark_offline(self) -> None:
        if not self.info.get("offline_since"):
            self.info["offline_since"] = time.time()
            self.save_info()

    def mark_online(self) -> None:
        self.info["offline_since"] = None
        self.info["last_sync"] = time.time()

    # -- local changes ---------------------------------------------------------------------------

    def queue(self, edit: Edit) -> None:
        """Queue an edit (sealed in the vault first: a crash or an outage loses nothing)."""
        edit.queue_id = f"{time.time_ns():020d}"
        self.store.put(T.OUTBOX, {edit.queue_id: {k: v for k, v in edit.to_json().items()
                                                  if k != "queue_id"}})
        self.outbox.add(edit)
        self.changed_ids.add(edit.record_id)
        self.generation += 1

    def audit(self, action: str, record_id: str, customer: str) -> None:
        from companion.team.audit import make_row

        row = make_row(self.team_id, self.me, action, record_id, customer)
        qid = f"{time.time_ns():020d}"
        self.store.put(T.AUDIT_QUEUE, {qid: row}, durable=False)
        self.audit_queue[qid] = row

    def pending_content(self, record_id: str) -> tuple[bool, dict | None]:
        """(queued?, content of the newest queued edit of this record)."""
        for edit in reversed(self.outbox.pending):
            if edit.record_id == record_id:
                return True, edit.content
        return False, None

    # -- sync ------------------------------------------------------------------------------------

    def sync(self, wait: bool = True) -> dict:
        """Push, pull, append audit rows, save. Returns {pushed, pulled, problems, conflicts}.

        On a running companion's event loop, `wait=False` (an edit through its HTTP API, queued
        already) runs no round here: the companion's background round (in a worker thread,
        server/team_ops.py) is woken to send it, so PostgreSQL never stalls the loop (SyncGate)."""
        if GATE.defer(wait):
            return {"pushed": 0, "pulled": 0, "problems": [], "conflicts": [], "deferred": True}
        rnd = self.begin_round()
        self.run_round(rnd)
        return self.finish_round(rnd)

    def begin_round(self) -> Round:
        """What a round works on, copied (caller's thread): the replica, the queued edits and
        audit rows. The round itself (run_round) then touches nothing the caller reads."""
        r = self.replica
        work = replace(r, unit_keys=dict(r.unit_keys), versions=dict(r.versions),
                       contents=dict(r.contents), problems=list(r.problems), chain=list(r.chain),
                       sealed_here=dict(r.sealed_here), changed=set())
        pending = list(self.outbox.pending)
        return Round(conninfo(self.info["conn"]), work, Outbox(self.team_id, pending=pending),
                     {e.queue_id for e in pending}, dict(self.audit_queue))

    def run_round(self, rnd: Round) -> Round:
        """The PostgreSQL part of a round: any thread; writes only into `rnd` (never the vault,
        never this session), so a companion runs it off its event loop. Errors are kept in it."""
        psycopg = pgstore._psycopg()
        try:
            conn = pgstore.connect(rnd.conninfo, autocommit=True)
        except UserError as exc:
            rnd.error, rnd.offline = exc, True
            return rnd
        with conn:
            try:
                if rnd.outbox.pending:
                    try:
                        rnd.pushed = rnd.outbox.flush(conn, self.me, rnd.replica.unit_keys)
                    finally:
                        rnd.landed = rnd.queued - {e.queue_id for e in rnd.outbox.pending}
                rnd.problems = pull(conn, self.me, rnd.replica)
                rnd.pulled = True
                if rnd.audit:
                    from companion.team.audit import put_rows

                    put_rows(conn, [rnd.audit[i] for i in sorted(rnd.audit)])
                    rnd.audit_sent = True
            except psycopg.OperationalError:
                rnd.offline = True
                rnd.error = UserError("lost the connection to the team database; "
                                      "the replica keeps answering")
            except Exception as exc:  # noqa: BLE001 - raised again by finish_round
                rnd.error = exc
        return rnd

    def finish_round(self, rnd: Round) -> dict:
        """Take a round's results in (caller's thread: the event loop in a companion): pushes
        that landed leave the outbox, a completed pull replaces the replica, the vault is
        written. A failed pull changes nothing: the replica keeps what it had."""
        # edits leaving the outbox change what the view shows even if the round failed later
        touched = {e.record_id for e in self.outbox.pending if e.queue_id in rnd.queued}
        if touched:
            self.changed_ids |= touched
            self.generation += 1
        if rnd.landed:
            self.outbox.pending = [e for e in self.outbox.pending if e.queue_id not in rnd.landed]
            self.store.delete(T.OUTBOX, sorted(rnd.landed))
        conflicts_before = len(self.outbox.conflicts)
        self.outbox.conflicts += rnd.outbox.conflicts
        if rnd.offline:
            self.mark_offline()
        if rnd.error is not None:
            exc = rnd.error
            if isinstance(exc, TeamCryptoError):
                if "removed from the team" in str(exc) and self.info.get("status") == "pending":
                    raise Forbidden("not approved yet: an admin runs 'otpc team approve "
                                    f"{self.info.get('member_name', 'NAME')}'") from None
                raise UserError(f"team sync refused: {exc}") from None
            raise exc
        work = rnd.replica
        for k, key in self.replica.unit_keys.items():  # a key made meanwhile (a new customer)
            work.unit_keys.setdefault(k, key)
        self.replica = work
        changed = set(work.changed)  # what pull() stored or forgot, not a diff of all
        if changed or rnd.pushed:
            self.changed_ids |= changed | {e.record_id for e in self.outbox.pending}
            self.generation += 1
        self.info["status"] = "member"
        if rnd.audit_sent:
            self.store.delete(T.AUDIT_QUEUE, sorted(rnd.audit))
            for i in rnd.audit:
                self.audit_queue.pop(i, None)
        with self.store.store.write():
            self._save_records(changed)
            # keys made here (a new customer, a rotation) or opened from grants this round
            self._save_keys(set(work.unit_keys) - self.saved_keys)
            if work.statement_seq != rnd.seq:
                self.store.put(T.STATEMENT, {f"{st.seq:08d}": statement_json(st)
                                             for st in work.chain if st.seq > rnd.seq})
            self.mark_online()
            # refused rows stay listed (the cursor has moved past them): the last 50, once each
            problems = rnd.problems
            self.info["problems"] = list(dict.fromkeys(self.info.get("problems", []) + problems))[-50:]
            self.save_info()
        return {"pushed": rnd.pushed, "pulled": len(changed), "problems": problems,
                "conflicts": self.outbox.conflicts[conflicts_before:]}

    def take_changed(self) -> set:
        """The record ids changed since the last call (the view updates just those)."""
        out, self.changed_ids = self.changed_ids, set()
        return out

    def status(self) -> dict:
        state = self.replica.state
        me = state.members.get(self.me.fingerprint) if state else None
        return {
            "team": self.info.get("team_name", ""),
            "team_id": self.team_id,
            "team_fingerprint": self.info["founder_fp"],
            "member": self.info.get("member_name", ""),
            "fingerprint": self.me.fingerprint,
            "role": me.role if me else None,
            "status": self.info.get("status"),
            "connected": not self.info.get("offline_since"),
            "offline_since": self.info.get("offline_since"),
            "last_sync": self.info.get("last_sync"),
            "pending_pushes": len(self.outbox.pending),
            "pending_audit": len(self.audit_queue),
            "conflicts": list(self.outbox.conflicts),
            "problems": list(self.info.get("problems", [])),
            "records": len(self.replica.contents),
        }

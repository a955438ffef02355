"""A member's team session: their keys, the database login, the verified replica, the outbox and
the queue of signed audit rows, all kept sealed in the local vault (vault/team_store.py).

`sync()` is one round: push the outbox, pull and verify what changed, append queued audit rows,
then write what changed back into the vault. Unreachable database: the replica keeps answering,
the status says "offline since …", and nothing queued is lost.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

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
# every record we hold (sync._dropped): per change it cost as much as the change itself
DROPPED_SCAN_SECONDS = 30.0


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
                          cursor=info.get("cursor", 0), scan_interval=DROPPED_SCAN_SECONDS)
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

    def sync(self) -> dict:
        """Push, pull, append audit rows, save. Returns {pushed, pulled, problems, conflicts}."""
        psycopg = pgstore._psycopg()
        with self.connect() as conn:
            try:
                return self._sync(conn)
            except psycopg.OperationalError:
                self.mark_offline()
                raise UserError("lost the connection to the team database; "
                                "the replica keeps answering") from None

    def _sync(self, conn) -> dict:
        queued_before = {e.queue_id for e in self.outbox.pending}
        # edits leaving the outbox change what the view shows even if this round fails later
        touched = {e.record_id for e in self.outbox.pending}
        if touched:
            self.changed_ids |= touched
            self.generation += 1
        conflicts_before = len(self.outbox.conflicts)
        pushed = self.outbox.flush(conn, self.me, self.replica.unit_keys) \
            if self.outbox.pending else 0
        landed = queued_before - {e.queue_id for e in self.outbox.pending}
        if landed:
            self.store.delete(T.OUTBOX, sorted(landed))
        self.replica.changed = set()
        seq = self.replica.statement_seq
        try:
            problems = pull(conn, self.me, self.replica)
        except TeamCryptoError as exc:
            if "removed from the team" in str(exc) and self.info.get("status") == "pending":
                raise Forbidden("not approved yet: an admin runs 'otpc team approve "
                                f"{self.info.get('member_name', 'NAME')}'") from None
            raise UserError(f"team sync refused: {exc}") from None
        finally:  # even a pull cut short may have changed the replica: the view must catch up
            changed = set(self.replica.changed)  # what pull() stored or forgot, not a diff of all
            if changed or pushed:
                self.changed_ids |= changed | {e.record_id for e in self.outbox.pending}
                self.generation += 1
        self.info["status"] = "member"
        self._flush_audit(conn)
        with self.store.store.write():
            self._save_records(changed)
            # keys made here (a new customer, a rotation) or opened from grants this round
            self._save_keys(set(self.replica.unit_keys) - self.saved_keys)
            if self.replica.statement_seq != seq:
                self.store.put(T.STATEMENT, {f"{st.seq:08d}": statement_json(st)
                                             for st in self.replica.chain if st.seq > seq})
            self.mark_online()
            # refused rows stay listed (the cursor has moved past them): the last 50, once each
            self.info["problems"] = list(dict.fromkeys(self.info.get("problems", []) + problems))[-50:]
            self.save_info()
        return {"pushed": pushed, "pulled": len(changed), "problems": problems,
                "conflicts": self.outbox.conflicts[conflicts_before:]}

    def _flush_audit(self, conn) -> None:
        if not self.audit_queue:
            return
        from companion.team.audit import put_rows

        ids = sorted(self.audit_queue)
        put_rows(conn, [self.audit_queue[i] for i in ids])
        self.store.delete(T.AUDIT_QUEUE, ids)
        for i in ids:
            del self.audit_queue[i]

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

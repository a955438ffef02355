"""The pull side of sync: verify everything PostgreSQL returns before a member believes it.

A `Replica` is what one member knows: the statement seq and record versions it has verified, the
unit keys it could open, the pull cursor, and the opened contents. `pull()` folds the statement
chain, opens the member's grants, reads changed records below the xid8 horizon and checks each
one (signature, author's permission at its customer/group, rollback, AAD-bound decryption). A row
that fails is reported and skipped; the replica keeps what it had, so a hostile server can withhold
data but never make a member show a wrong code. `rotate_units()` is revocation's key step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from companion import crypto
from companion.team import pgstore
from companion.team import statements as S
from companion.team.records import TeamRecord, open_record, seal_record
from companion.team.units import TeamCryptoError, grant_many, open_grant, split_unit

# every other kind needs "edit"; a customer record (its name: a rename) only an admin writes
WRITE_PERMISSION = {"tombstone": "delete", "customer": "admin"}


@dataclass
class Replica:
    team_id: str
    founder_fp: str
    statement_seq: int = -1
    cursor: int = 0
    unit_keys: dict[tuple[str, int], bytes] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)  # highest version verified per record
    contents: dict[str, tuple[TeamRecord, dict | None]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    state: S.TeamState | None = None
    chain: list[S.Statement] = field(default_factory=list)  # the verified statement chain
    # records this member sealed and signed itself (a rotation): pulled back byte for byte, they
    # need no second verification of its own signature over its own content
    sealed_here: dict[str, tuple[TeamRecord, dict | None]] = field(default_factory=dict)
    # the moved/dropped check (_dropped): statement seq and time of the last one; with the same
    # roles, no refused row and less than `scan_interval` seconds since, a sync skips it
    scanned_seq: int = -1
    scanned_at: float = 0.0
    scan_interval: float = 0.0
    changed: set[str] = field(default_factory=set)  # record ids the last pull() stored or forgot


def pull(conn, me, replica: Replica) -> list[str]:
    """One sync round; returns the problems it found (also kept in replica.problems)."""
    problems: list[str] = []
    replica.changed = set()
    chain = pgstore.statements(conn, replica.team_id)
    state = S.fold(chain, replica.team_id, replica.founder_fp, replica.statement_seq)
    if me.fingerprint not in state.members:
        raise TeamCryptoError("this member has been removed from the team")
    replica.state, replica.statement_seq, replica.chain = state, state.seq, chain
    held_before = _held(replica)
    batch_keys: dict = {}  # a batch of grants shares one HPKE-sealed key: open it once
    for g in pgstore.my_grants(conn, replica.team_id, me.fingerprint):
        if (g.unit, g.epoch) in replica.unit_keys:
            continue
        granter = state.members.get(g.granted_by)
        try:
            if granter is None or not state.is_admin(g.granted_by):
                raise TeamCryptoError(f"unit {g.unit}: key granted by a non-admin")
            replica.unit_keys[(g.unit, g.epoch)] = open_grant(g, me, granter.sign_pub, batch_keys)
        except TeamCryptoError as exc:
            problems.append(str(exc))
    records, cursor = pgstore.pull(conn, replica.team_id, replica.cursor)
    # A unit granted this round (a wider role, a new group) has records older than the cursor.
    new_units = sorted(_held(replica) - held_before)
    if new_units and replica.cursor:
        seen = {r.record_id for r in records}
        records += [r for r in pgstore.pull_units(conn, replica.team_id, new_units, cursor)
                    if r.record_id not in seen]
    allowed: dict[tuple[str, str, str], bool] = {}  # (author, permission, unit): one check each
    signed = _signatures([r for r in records
                          if replica.sealed_here.get(r.record_id, (None,))[0] != r], state)
    for rec in records:
        own = replica.sealed_here.pop(rec.record_id, None)
        try:
            replica.contents[rec.record_id] = (
                rec, _verify(rec, state, replica, allowed, own, signed.get(id(rec))))
            replica.versions[rec.record_id] = rec.version
            replica.changed.add(rec.record_id)
        except TeamCryptoError as exc:
            problems.append(str(exc))
    replica.cursor = cursor
    replica.sealed_here.clear()  # kept one round only (any not back yet is simply verified)
    problems += _dropped(conn, replica, me, quiet=not problems)
    replica.problems = problems
    return problems


def _signatures(records: list[TeamRecord], state: S.TeamState) -> dict[int, bool]:
    """Each record's signature under its author's key, verified all at once (on every core)."""
    mine = [r for r in records if r.author in state.members]
    oks = crypto.ed25519_verify_many([(state.members[r.author].sign_pub, r.signature,
                                       r.signed_bytes()) for r in mine])
    return {id(r): ok for r, ok in zip(mine, oks, strict=True)}


def _verify(rec: TeamRecord, state: S.TeamState, replica: Replica,
            allowed: dict | None = None, own: tuple | None = None,
            signature_ok: bool | None = None) -> dict | None:
    """Every check a pulled record passes. `own`: what this member itself sealed and signed for
    that id; a record equal to it in every field (signature included) skips re-checking our own
    signature and decrypting our own content, nothing else."""
    author = state.members.get(rec.author)
    if author is None:
        raise TeamCryptoError(f"record {rec.record_id[:8]} is signed by a non-member")
    permission = WRITE_PERMISSION.get(rec.kind, "edit")
    allowed = {} if allowed is None else allowed
    check = (rec.author, permission, rec.unit)
    if check not in allowed:
        allowed[check] = state.may(rec.author, permission, *split_unit(rec.unit))
    if not allowed[check]:
        raise TeamCryptoError(
            f"record {rec.record_id[:8]} v{rec.version}: its author may not {permission} there")
    before = replica.contents.get(rec.record_id)
    if before is not None and before[0].unit != rec.unit:
        # moved to another customer or group: its author must also have been allowed to take
        # it away from where we last verified it (a move removes it there, like a delete)
        old = (rec.author, "edit", before[0].unit)
        if old not in allowed:
            allowed[old] = state.may(rec.author, "edit", *split_unit(before[0].unit))
        if not allowed[old]:
            raise TeamCryptoError(f"record {rec.record_id[:8]} v{rec.version}: its author may "
                                  f"not move it away from {before[0].unit}")
    key = replica.unit_keys.get((rec.unit, rec.epoch))
    if key is None and rec.kind != "tombstone":
        raise TeamCryptoError(f"record {rec.record_id[:8]}: no key for its unit and epoch")
    highest = replica.versions.get(rec.record_id, 0)
    if own is not None and own[0] == rec and rec.version >= highest:
        return own[1]
    return open_record(rec, replica.team_id, key or b"", author.sign_pub, highest, signature_ok)


def _dropped(conn, replica: Replica, me, quiet: bool = False) -> list[str]:
    """Forget records this member may no longer reach (its role narrowed, or the record moved to
    a unit it holds no key of); report records we verified that the server no longer lists at
    all (a delete leaves a signed tombstone, so a missing row is the server's doing)."""
    held, now = _held(replica), time.monotonic()
    same_roles = replica.scanned_seq == replica.state.seq
    if same_roles and quiet and now - replica.scanned_at < replica.scan_interval:
        return []  # a record moved away by an edit arrives refused ("no key"): not quiet
    replica.scanned_at = now
    if same_roles and _listing_agrees(conn, replica, held):
        return []  # same roles, and the server lists exactly what we hold: nothing to scan
    units = dict(conn.execute("SELECT record_id, unit FROM otpc.record_units()").fetchall())
    gone = []
    reach: dict[str, bool] = {}  # per unit: thousands of records share a few hundred units
    for rid, (rec, _content) in list(replica.contents.items()):
        now_in = units.get(rid)
        if rec.unit not in reach:  # once per unit
            reach[rec.unit] = replica.state.reaches(me.fingerprint, *split_unit(rec.unit))
        reachable = reach[rec.unit]
        if not reachable or (now_in is not None and now_in != rec.unit and now_in not in held):
            del replica.contents[rid]  # out of reach; its highest version stays remembered
            replica.changed.add(rid)
        elif now_in is None and rec.kind != "tombstone" and rec.unit in held:
            gone.append(f"record {rid[:8]} was dropped by the server (no signed tombstone)")
    replica.scanned_seq = replica.state.seq
    return gone


def _listing_agrees(conn, replica: Replica, held: set[str]) -> bool:
    """Whether the (record id, unit) pairs the server lists in the units we hold are exactly the
    ones of our replica there, compared by one digest (not 20,000 rows per sync). Any difference
    (a row dropped or moved, one we refused) sends _dropped() to its full scan."""
    ours = sorted((rid, rec.unit) for rid, (rec, _c) in replica.contents.items()
                  if rec.unit in held)
    # SHA-256, not md5: the server chooses what it lists, so a collision must stay out of reach
    theirs = conn.execute(
        "SELECT encode(sha256(convert_to(string_agg(record_id || ' ' || unit, E'\\n'"
        " ORDER BY record_id COLLATE \"C\"), 'UTF8')), 'hex')"
        " FROM otpc.record_units() WHERE unit = ANY(%s)", (sorted(held),)).fetchone()[0]
    mine = crypto.sha256("\n".join(f"{rid} {unit}" for rid, unit in ours).encode()).hex() \
        if ours else None
    return theirs == mine


def _held(replica: Replica) -> set[str]:
    return {unit for unit, _epoch in replica.unit_keys}


def delete(conn, me, replica: Replica, record_id: str) -> None:
    """Irreversible: the ciphertext row is replaced by a signed tombstone (no ciphertext)."""
    rec, _ = replica.contents[record_id]
    customer, group = split_unit(rec.unit)
    tomb = seal_record(replica.team_id, record_id, "tombstone", customer, group, rec.epoch,
                       rec.version + 1, None, None, me)
    result = pgstore.push(conn, tomb, rec.version)
    if not result.ok:
        raise TeamCryptoError(f"record {record_id[:8]} changed meanwhile; sync and retry")


def rotate_units(conn, admin, replica: Replica, units: set[str]) -> list[str]:
    """A new epoch for each unit: a fresh key granted to its current holders, every live record
    re-sealed under it (one statement), old grants deleted; all in one transaction. Returns the
    OTP record ids whose secrets a departed member could have seen (re-enrol those accounts)."""
    state = replica.state
    newest: dict[str, int] = {}
    for u, e in replica.unit_keys:
        newest[u] = max(e, newest.get(u, 0))
    new_keys = {unit: (newest.get(unit, 0) + 1, crypto.random_key()) for unit in units}
    per_member: dict[str, tuple[S.Member, list]] = {}  # one batched grant set per holder
    for unit, (epoch, key) in new_keys.items():
        for m in state.holders(*split_unit(unit)):
            per_member.setdefault(m.fp, (m, []))[1].append((unit, epoch, key))
    grants = [g for m, keys in per_member.values()
              for g in grant_many(replica.team_id, keys, m.enc_pub, m.fp, admin)]
    pairs, exposed = [], []
    for rid, (rec, content) in replica.contents.items():
        if rec.unit not in new_keys or rec.kind == "tombstone":
            continue
        epoch, key = new_keys[rec.unit]
        customer, group = split_unit(rec.unit)
        pairs.append((seal_record(replica.team_id, rid, rec.kind, customer, group, epoch,
                                  rec.version + 1, content, key, admin), rec.version))
        if rec.kind == "otp":
            exposed.append(rid)
    with conn.transaction():
        pgstore.put_grants(conn, grants)
        if not pgstore.replace_many(conn, pairs):
            raise TeamCryptoError("records changed during the rotation; sync and retry")
        pgstore.delete_grants_before(conn, {u: epoch for u, (epoch, _key) in new_keys.items()})
    for unit, (epoch, key) in new_keys.items():
        replica.unit_keys[(unit, epoch)] = key
    replica.sealed_here.update((rec.record_id, (rec, replica.contents[rec.record_id][1]))
                               for rec, _old in pairs)
    return sorted(exposed)


def revoke_member(conn, admin, replica: Replica, fp: str) -> list[str]:
    """Remove a member: signed statement, member row gone (RLS then shows them nothing), every unit
    they held rotated. Returns the OTP record ids they could have seen. Dropping their login role
    needs CREATEROLE rights (pgstore.drop_login_role) and is the caller's next step."""
    state = replica.state
    held = {u for u, _ in replica.unit_keys if state.reaches(fp, *split_unit(u))}
    st = S.next_statement(state, "member_revoke", {"fp": fp}, admin)
    pgstore.put_statement(conn, st)
    S.apply(state, st)
    replica.statement_seq = state.seq
    with conn.transaction():
        conn.execute("DELETE FROM otpc.grants WHERE member_fp = %s", (fp,))
        conn.execute("DELETE FROM otpc.members WHERE fp = %s", (fp,))
    return rotate_units(conn, admin, replica, held)

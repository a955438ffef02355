"""Admin changes to who reaches what: roles, groups, a member's role, revocation, team customers,
an entry's Password Access Group. Each signs a statement (or writes records) and then reconciles
the unit keys: a unit someone lost is rotated (new epoch, records re-sealed, the exposed secrets
listed); a unit someone gained is granted to them at its current epoch.
"""

from __future__ import annotations

import uuid

from companion import crypto
from companion.errors import NotFound, UserError
from companion.team import pgstore
from companion.team import statements as S
from companion.team.enrol import _newest_keys, require_admin
from companion.team.records import seal_record
from companion.team.session import TeamSession, statement_json
from companion.team.sync import rotate_units
from companion.team.units import OPEN, grant, split_unit, unit_id
from companion.vault import team_store as T


def _copy(state: S.TeamState) -> S.TeamState:
    return S.TeamState(**{**state.__dict__, "members": dict(state.members),
                          "roles": dict(state.roles), "groups": dict(state.groups),
                          "revoked": set(state.revoked), "former": dict(state.former)})


def reconcile(conn, session: TeamSession, before: S.TeamState) -> list[str]:
    """Grant units to those who gained them; rotate units someone lost. Returns exposed OTP ids."""
    after, me = session.state, session.me
    lost, gained = set(), []
    for (unit, epoch), key in _newest_keys(session).items():
        customer, group = split_unit(unit)
        had = {m.fp for m in before.holders(customer, group)}
        has = {m.fp: m for m in after.holders(customer, group)}
        if had - set(has):
            lost.add(unit)
            continue
        gained += [grant(session.team_id, unit, epoch, key, has[fp].enc_pub, fp, me)
                   for fp in set(has) - had]
    pgstore.put_grants(conn, gained)
    return rotate_units(conn, me, session.replica, lost) if lost else []


def change(session: TeamSession, kind: str, body: dict) -> dict:
    """Sign one statement and apply what it means for keys and database rows, in one transaction."""
    session.sync()
    require_admin(session)
    state = session.state
    before = _copy(state)
    st = S.next_statement(state, kind, body, session.me)
    with session.connect() as conn, conn.transaction():
        pgstore.put_statement(conn, st)
        S.apply(state, st)
        if kind == "member_revoke":
            pgstore.set_admin(conn, body["fp"], False)  # out of the admin role first
            conn.execute("DELETE FROM otpc.grants WHERE member_fp = %s", (body["fp"],))
            conn.execute("DELETE FROM otpc.members WHERE fp = %s", (body["fp"],))
        elif kind == "member_role":
            pgstore.set_admin(conn, body["fp"], state.is_admin(body["fp"]))
        exposed = reconcile(conn, session, before)
    session.replica.statement_seq = state.seq
    session.replica.chain.append(st)
    session.store.put(T.STATEMENT, {f"{st.seq:08d}": statement_json(st)})
    session.save_info()
    session.sync()
    return {"statement": st.seq, "kind": kind, "exposed": exposed}


def member_by_name(session: TeamSession, name: str) -> S.Member:
    for m in session.state.members.values():
        if m.name == name or m.fp.replace(" ", "").startswith(name.replace(" ", "").lower()):
            return m
    raise NotFound(f"no member {name!r} (otpc team member list)")


def revoke(session: TeamSession, name: str) -> dict:
    session.sync()
    member = member_by_name(session, name)
    with session.connect() as conn:
        row = conn.execute("SELECT db_role FROM otpc.members WHERE fp = %s",
                           (member.fp,)).fetchone()
    result = change(session, "member_revoke", {"fp": member.fp})
    if row is not None:
        psycopg = pgstore._psycopg()
        try:
            with session.connect() as conn:
                conn.execute("SELECT otpc.drop_login(%s)", (row[0],))
                conn.commit()
            result["login_dropped"] = True
        except psycopg.Error:
            result["login_dropped"] = False  # their rights are gone anyway (no member row)
    return {**result, "member": member.name, "fingerprint": member.fp}


# -- team customers and groups ------------------------------------------------------------------

def add_customer(session: TeamSession, name: str, notes: str = "") -> str:
    """A team customer: a fresh unit key for its open entries, granted to everyone who reaches
    it, and its customer record. Admins only (only an admin grants keys)."""
    session.sync()
    require_admin(session)
    cid = uuid.uuid4().hex
    _new_unit(session, cid, OPEN, records=[("customer", cid, {"name": name, "notes": notes})])
    session.sync()
    return cid


def _new_unit(session: TeamSession, customer: str, group: str, records=()) -> bytes:
    key, unit = crypto.random_key(), unit_id(customer, group)
    grants = [grant(session.team_id, unit, 1, key, m.enc_pub, m.fp, session.me)
              for m in session.state.holders(customer, group)]
    sealed = []
    with session.connect() as conn, conn.transaction():
        pgstore.put_grants(conn, grants)
        for kind, rid, content in records:
            rec = seal_record(session.team_id, rid, kind, customer, group, 1, 1, content, key,
                              session.me)
            if not pgstore.push(conn, rec, None).ok:
                raise UserError("a record with that id exists already")
            sealed.append((rec, content))
    session.replica.unit_keys[(unit, 1)] = key
    # shown at once, before the next pull verifies them (in a companion that pull runs later)
    for rec, content in sealed:
        session.replica.contents[rec.record_id] = (rec, content)
        session.replica.versions[rec.record_id] = rec.version
        session.changed_ids.add(rec.record_id)
    session.generation += 1
    return key


def move_to_group(session: TeamSession, record_ids: list[str], group: str) -> None:
    """Re-seal an entry's records into the unit of (its customer, group): members outside the
    group stop reaching it at their next sync. Admins only."""
    session.sync()
    require_admin(session)
    if group != OPEN and group not in session.state.groups:
        raise NotFound(f"no group {group!r} (otpc team group list)")
    first, _ = session.replica.contents[record_ids[0]]
    customer = first.customer
    unit = unit_id(customer, group)
    keys = _newest_keys(session)
    epoch = max((e for u, e in keys if u == unit), default=None)
    key = keys[(unit, epoch)] if epoch else _new_unit(session, customer, group)
    epoch = epoch or 1
    with session.connect() as conn, conn.transaction():
        for rid in record_ids:
            rec, content = session.replica.contents[rid]
            new = seal_record(session.team_id, rid, rec.kind, customer, group, epoch,
                              rec.version + 1, content, key, session.me)
            if not pgstore.push(conn, new, rec.version).ok:
                raise UserError("the entry changed meanwhile; run 'otpc team sync' and retry")
            if rec.kind == "otp":  # the HOTP counter follows (RLS: its unit must be held)
                conn.execute("UPDATE otpc.hotp_counters SET unit = %s WHERE record_id = %s",
                             (unit, rid))
    session.sync()

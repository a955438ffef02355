"""The PostgreSQL side of a team: schema install, member login roles, and the rows sync moves
(statements, grants, records, HOTP counters, audit). Rows in, rows out; no keys, no meaning:
verifying what comes back is statements.py / records.py's job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from companion.errors import UserError
from companion.team.records import TeamRecord
from companion.team.schema import admin_role, schema_sql, tech_role
from companion.team.statements import Statement
from companion.team.units import Grant

ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")


def _psycopg():
    try:
        import psycopg
    except ImportError:
        raise UserError("team mode needs psycopg: pip install 'otp-companion[team]'") from None
    return psycopg


def connect(conninfo: str, **kwargs):
    """A connection, or one clear line (never the URL: it may hold a password)."""
    psycopg = _psycopg()
    try:
        return psycopg.connect(conninfo, connect_timeout=5, **kwargs)
    except psycopg.OperationalError as exc:
        first = (str(exc).strip().splitlines() or ["unreachable"])[-1][:160]
        raise UserError(f"cannot reach the team database ({first})") from None


def install_schema(admin_conn, team_id: str, name: str, founder_fp: str) -> None:
    """Create the team's roles, schema and policies (needs a superuser or CREATEROLE owner
    connection, in the team's own database)."""
    with admin_conn.transaction():
        admin_conn.execute(schema_sql(team_id))
        admin_conn.execute(
            "INSERT INTO otpc.team (team_id, name, founder_fp) VALUES (%s, %s, %s)",
            (team_id, name, founder_fp),
        )


def scram_verifier(password: str, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores (RFC 5803 form), made here so the password
    itself never reaches the server (nor its statement log): what `psql \\password` does too."""
    import base64
    import hashlib
    import hmac
    import os

    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    b64 = base64.b64encode
    return (f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
            f"${b64(stored_key).decode()}:{b64(server_key).decode()}")


def create_login_role(admin_conn, role: str, password: str, *, createrole: bool = False,
                      valid_until: str | None = None, team_id: str | None = None) -> None:
    """A member's own database role (SCRAM-SHA-256), in the team's tech role. `createrole` for an
    admin who will invite others (with ADMIN OPTION on the tech role, which PostgreSQL 16+ needs
    to put new roles in it); `valid_until` (a timestamp) for an invitation's 24 hours. The team is
    the one installed in the connection's database unless `team_id` names it."""
    from psycopg import sql

    if not ROLE_NAME.match(role):
        raise UserError("database role names are lower-case letters, digits and '_'")
    if team_id is None:
        team_id = admin_conn.execute("SELECT team_id FROM otpc.team").fetchone()[0]
    tech = sql.Identifier(tech_role(team_id))
    options = sql.SQL(" CREATEROLE" if createrole else "")
    if valid_until:
        options += sql.SQL(" VALID UNTIL {}").format(sql.Literal(valid_until))
    with admin_conn.transaction():
        admin_conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}{} IN ROLE {}").format(
                sql.Identifier(role), sql.Literal(scram_verifier(password)), options, tech))
        if createrole:
            admin_conn.execute(sql.SQL("GRANT {} TO {} WITH ADMIN OPTION").format(
                tech, sql.Identifier(role)))


def grant_admin_role(admin_conn, role: str, team_id: str) -> None:
    """Put the founder's login in the team's admin role (later admins get it from set_admin)."""
    from psycopg import sql

    with admin_conn.transaction():
        admin_conn.execute(sql.SQL("GRANT {} TO {}").format(
            sql.Identifier(admin_role(team_id)), sql.Identifier(role)))


def invite_login(conn, role: str, member: str, team_role: str, password: str) -> None:
    """An invitation's login role (VALID UNTIL now + 24 h) and its `invites` row, made by the
    SECURITY DEFINER function otpc.invite_login: any admin's login may call it (schema.py)."""
    with conn.transaction():
        conn.execute("SELECT otpc.invite_login(%s, %s, %s, %s)",
                     (role, member, team_role, scram_verifier(password)))


def activate_login(conn, role: str) -> None:
    """Clear a joined invitation's expiry (approve), through otpc.activate_login."""
    conn.execute("SELECT otpc.activate_login(%s)", (role,))


def set_admin(conn, fp: str, admin: bool) -> None:
    """members.db_admin and the login's membership of the team's admin role, together."""
    conn.execute("SELECT otpc.set_admin(%s, %s)", (fp, admin))


def drop_login_role(admin_conn, role: str) -> None:
    from psycopg import sql

    with admin_conn.transaction():
        admin_conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def add_member_row(conn, fp: str, db_role: str, enc_pub: bytes, sign_pub: bytes,
                   db_admin: bool) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO otpc.members (fp, db_role, enc_pub, sign_pub, db_admin)"
            " VALUES (%s, %s, %s, %s, %s)", (fp, db_role, enc_pub, sign_pub, db_admin))


def put_statement(conn, st: Statement) -> None:
    from psycopg.types.json import Jsonb

    with conn.transaction():
        conn.execute(
            "INSERT INTO otpc.statements (seq, prev, kind, body, signer, signature)"
            " VALUES (%s, %s, %s, %s, %s, %s)",
            (st.seq, st.prev, st.kind, Jsonb(st.body), st.signer, st.signature))


def statements(conn, team_id: str) -> list[Statement]:
    rows = conn.execute(
        "SELECT seq, prev, kind, body, signer, signature FROM otpc.statements ORDER BY seq"
    ).fetchall()
    return [Statement(team_id, s, p, k, b, g, bytes(sig)) for s, p, k, b, g, sig in rows]


def put_grants(conn, grants: list[Grant]) -> None:
    """Many grants in one statement (a rotation writes units × holders of them)."""
    if not grants:
        return
    cols = [list(c) for c in zip(*[(g.unit, g.epoch, g.member_fp, g.wrapped, g.granted_by,
                                     g.signature) for g in grants], strict=True)]
    with conn.transaction():
        conn.execute(
            "INSERT INTO otpc.grants (unit, epoch, member_fp, wrapped, granted_by, signature)"
            " SELECT * FROM unnest(%b::text[], %b::int[], %b::text[], %b::bytea[], %b::text[],"
            " %b::bytea[]) ON CONFLICT DO NOTHING", cols)


def delete_grants_before(conn, epochs: dict[str, int]) -> None:
    """Drop every unit's grants older than the given epoch, in one statement."""
    if epochs:
        conn.execute(
            "DELETE FROM otpc.grants g USING unnest(%b::text[], %b::int[]) AS v(unit, epoch)"
            " WHERE g.unit = v.unit AND g.epoch < v.epoch",
            (list(epochs), list(epochs.values())))


def my_grants(conn, team_id: str, member_fp: str) -> list[Grant]:
    rows = conn.execute(
        "SELECT unit, epoch, member_fp, wrapped, granted_by, signature FROM otpc.grants"
        " WHERE member_fp = %s", (member_fp,)).fetchall()
    return [Grant(team_id, u, e, m, bytes(w), b, bytes(s)) for u, e, m, w, b, s in rows]


@dataclass
class PushResult:
    ok: bool
    current_version: int | None  # the server's version when the push lost a race


def push(conn, rec: TeamRecord, expected_version: int | None) -> PushResult:
    """Optimistic concurrency: insert a new record, or replace version `expected_version`."""
    with conn.transaction():
        if expected_version is None:
            cur = conn.execute(
                "INSERT INTO otpc.records (record_id, version, unit, epoch, kind, author,"
                " ciphertext, signature) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (record_id) DO NOTHING",
                (rec.record_id, rec.version, rec.unit, rec.epoch, rec.kind, rec.author,
                 rec.ciphertext, rec.signature))
        else:
            cur = conn.execute(
                "UPDATE otpc.records SET version = %s, unit = %s, epoch = %s, kind = %s,"
                " author = %s, ciphertext = %s, signature = %s, change_xid = pg_current_xact_id()"
                " WHERE record_id = %s AND version = %s",
                (rec.version, rec.unit, rec.epoch, rec.kind, rec.author, rec.ciphertext,
                 rec.signature, rec.record_id, expected_version))
        if cur.rowcount == 1:
            return PushResult(True, None)
    row = conn.execute("SELECT version FROM otpc.records WHERE record_id = %s",
                       (rec.record_id,)).fetchone()
    return PushResult(False, row[0] if row else None)


def push_new_many(conn, recs: list[TeamRecord]) -> set[str]:
    """Insert many new records (version 1) in one transaction and one statement; returns the ids
    that landed. An id already on the server is skipped (ON CONFLICT DO NOTHING), not an error:
    the caller pushes it alone to handle the clash. Any other error rolls the whole batch back."""
    if not recs:
        return set()
    cols = [list(c) for c in zip(*[(r.record_id, r.version, r.unit, r.epoch, r.kind, r.author,
                                     r.ciphertext, r.signature) for r in recs], strict=True)]
    with conn.transaction():
        rows = conn.execute(
            "INSERT INTO otpc.records (record_id, version, unit, epoch, kind, author,"
            " ciphertext, signature) SELECT * FROM unnest(%b::text[], %b::int[], %b::text[],"
            " %b::int[], %b::text[], %b::text[], %b::bytea[], %b::bytea[])"
            " ON CONFLICT (record_id) DO NOTHING RETURNING record_id", cols).fetchall()
    return {r[0] for r in rows}


def get_record(conn, team_id: str, record_id: str) -> TeamRecord | None:
    """One record as the server holds it now (if this login may see it)."""
    row = conn.execute(
        "SELECT record_id, kind, unit, epoch, version, author, ciphertext, signature"
        " FROM otpc.records WHERE record_id = %s", (record_id,), binary=True).fetchone()
    if row is None:
        return None
    r, k, u, e, v, a, c, s = row
    return TeamRecord(team_id, r, k, u, e, v, a, bytes(c), bytes(s))


def pull(conn, team_id: str, cursor: int) -> tuple[list[TeamRecord], int]:
    """Records changed at or after `cursor` by transactions that have all finished, and the next
    cursor. Only xids below the snapshot's xmin are read: a transaction that began earlier but
    commits later is still running (so >= xmin) and is picked up by a later pull, never skipped."""
    # Two statements may see two snapshots, and that is fine: every xid below the first one's
    # xmin had already finished, and any later change gets a new change_xid >= that xmin.
    with conn.transaction():
        xmin = conn.execute(
            "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").fetchone()[0]
        rows = conn.execute(
            "SELECT record_id, kind, unit, epoch, version, author, ciphertext, signature"
            " FROM otpc.records WHERE change_xid::text::bigint >= %s"
            " AND change_xid::text::bigint < %s", (cursor, xmin), binary=True).fetchall()
    records = [TeamRecord(team_id, r, k, u, e, v, a, bytes(c), bytes(s))
               for r, k, u, e, v, a, c, s in rows]
    return records, xmin


def pull_units(conn, team_id: str, units: list[str], below: int) -> list[TeamRecord]:
    """Every record of some units, whatever its change xid (below the horizon `below`): the
    records of a unit a member was just granted, which its cursor has already passed."""
    rows = conn.execute(
        "SELECT record_id, kind, unit, epoch, version, author, ciphertext, signature"
        " FROM otpc.records WHERE unit = ANY(%s) AND change_xid::text::bigint < %s",
        (units, below), binary=True).fetchall()
    return [TeamRecord(team_id, r, k, u, e, v, a, bytes(c), bytes(s))
            for r, k, u, e, v, a, c, s in rows]


def hotp_next(conn, record_id: str, unit: str, start: int = 0) -> int:
    """The HOTP counter to use now, advanced atomically: two technicians never get the same one."""
    with conn.transaction():
        conn.execute(
            "INSERT INTO otpc.hotp_counters (record_id, unit, counter) VALUES (%s, %s, %s)"
            " ON CONFLICT (record_id) DO NOTHING", (record_id, unit, start))
        row = conn.execute(
            "UPDATE otpc.hotp_counters SET counter = counter + 1 WHERE record_id = %s"
            " RETURNING counter - 1", (record_id,)).fetchone()
    if row is None:
        raise UserError("no access to this HOTP counter")
    return row[0]


def replace_many(conn, pairs: list[tuple[TeamRecord, int]]) -> bool:
    """Replace many records in one statement (re-sealing after a rotation), each only if still at
    its expected version; False (and nothing written) if any of them moved on."""
    if not pairs:
        return True
    cols = list(zip(*[(r.record_id, old, r.version, r.epoch, r.author, r.ciphertext,
                       r.signature) for r, old in pairs], strict=True))
    psycopg = _psycopg()
    done = False
    with conn.transaction():
        cur = conn.execute(
            "UPDATE otpc.records r SET version = v.version, epoch = v.epoch, author = v.author,"
            " ciphertext = v.ct, signature = v.sig, change_xid = pg_current_xact_id()"
            " FROM unnest(%b::text[], %b::int[], %b::int[], %b::int[], %b::text[], %b::bytea[],"
            " %b::bytea[]) AS v(record_id, old, version, epoch, author, ct, sig)"
            " WHERE r.record_id = v.record_id AND r.version = v.old", [list(c) for c in cols])
        if cur.rowcount != len(pairs):
            raise psycopg.Rollback()
        done = True
    return done

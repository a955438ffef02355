"""The team audit log: every code shown, secret revealed, edit and delete, signed by the member
who did it and appended to PostgreSQL (members may only append their own rows; admins read)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from companion import crypto
from companion.team.canon import FORMAT, canon
from companion.team.statements import TeamState

ACTIONS = ("code", "reveal", "edit", "delete")


@dataclass(frozen=True)
class AuditRow:
    member: str
    body: dict
    verified: bool


def make_row(team_id: str, me, action: str, record_id: str, customer: str) -> dict:
    """One signed audit row, made when the thing happened (queued locally while offline)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    body = {"f": FORMAT, "t": "audit", "team": team_id, "member": me.fingerprint,
            "action": action, "record": record_id, "customer": customer, "ts": time.time()}
    return {"member": me.fingerprint, "body": body, "signature": me.sign(canon(body)).hex()}


def put_rows(conn, rows: list[dict]) -> None:
    from psycopg.types.json import Jsonb

    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO otpc.audit (member_fp, body, signature) VALUES (%s, %s, %s)",
            [(r["member"], Jsonb(r["body"]), bytes.fromhex(r["signature"])) for r in rows])


def append(conn, team_id: str, me, action: str, record_id: str, customer: str) -> None:
    put_rows(conn, [make_row(team_id, me, action, record_id, customer)])


def read(conn, state: TeamState, *, member: str | None = None, customer: str | None = None,
         record: str | None = None) -> list[AuditRow]:
    """Admins only (RLS returns nothing to others). Each row's signature is checked against the
    member's key in the statement chain; a row that fails is returned with verified=False."""
    rows = conn.execute("SELECT member_fp, body, signature FROM otpc.audit ORDER BY id").fetchall()
    out = []
    for fp, body, sig in rows:
        if (member and fp != member) or (customer and body.get("customer") != customer):
            continue
        if record and body.get("record") != record:
            continue
        m = state.members.get(fp) or state.former.get(fp)
        ok = (m is not None and body.get("member") == fp and body.get("team") == state.team_id
              and crypto.ed25519_verify(m.sign_pub, bytes(sig), canon(body)))
        out.append(AuditRow(fp, body, ok))
    return out

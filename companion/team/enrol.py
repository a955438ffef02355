"""Founding a team, inviting a technician, their join, and the admin's approval (docs/team.md).

Invitation tokens carry what a new member needs to connect: the database's host/port/name, a fresh
login role with a random password that PostgreSQL itself expires after 24 h (`VALID UNTIL`), the
team id and the team fingerprint. `join` logs in with it, registers the member's public keys in its
own invitation row and, in the same transaction, changes its password: the token then opens nothing
(single use). `approve` signs `member_add`, clears the expiry and grants the unit keys.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import time
import uuid
from datetime import datetime

from companion import crypto
from companion.errors import Forbidden, NotFound, UserError
from companion.team import pgstore
from companion.team import statements as S
from companion.team.canon import fingerprint
from companion.team.keys import MemberKeys
from companion.team.session import TeamSession, conninfo, statement_json
from companion.team.units import TeamCryptoError, grant_many, split_unit
from companion.vault import team_store as T

TOKEN_PREFIX = "otpc-invite-"
TOKEN_HOURS = 24
MEMBER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,62}$")
# libpq parameters an invitation passes on (never the inviter's user or password)
CONN_KEYS = ("host", "hostaddr", "port", "dbname", "sslmode", "sslrootcert",
             "target_session_attrs", "connect_timeout")


def _psycopg():
    return pgstore._psycopg()


def check_member_name(name: str) -> str:
    name = name.strip()
    if not MEMBER_NAME.match(name):
        raise UserError("member names are 1-63 letters, digits, spaces or . _ @ -")
    return name


def _db_role(team_id: str) -> str:
    return f"otpc_{team_id[:8]}_{secrets.token_hex(5)}"


def _member_params(params: dict, role: str, password: str) -> dict:
    kept = {k: v for k, v in params.items() if k in CONN_KEYS and v}
    return {**kept, "user": role, "password": password}


def _seal_new_session(tstore: T.TeamStore, info: dict, me: MemberKeys) -> TeamSession:
    info = {**info, "keys": me.private_json(), "conflicts": [], "cursor": 0, "statement_seq": -1}
    tstore.put(T.SESSION, {"": info})
    return TeamSession.load(tstore)


# -- create ----------------------------------------------------------------------------------------

def create(tstore: T.TeamStore, url: str, team_name: str, member_name: str) -> TeamSession:
    """Install the schema with `url` (a role that may create roles; not stored), make the founder's
    own login role, sign statement 0. The founder's keys are sealed in the vault first."""
    psycopg = _psycopg()
    from psycopg.conninfo import conninfo_to_dict

    team_name = team_name.strip()
    if not team_name or len(team_name) > 120:
        raise UserError("a team name is 1-120 characters")
    member_name = check_member_name(member_name)
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        raise UserError("--db is not a PostgreSQL URL or connection string") from None
    me, team_id = MemberKeys.generate(), uuid.uuid4().hex
    role, password = _db_role(team_id), secrets.token_urlsafe(24)
    session = _seal_new_session(tstore, {
        "team_id": team_id, "founder_fp": me.fingerprint, "team_name": team_name,
        "member_name": member_name, "status": "creating",
        "conn": _member_params(params, role, password)}, me)
    try:
        with pgstore.connect(url) as admin:
            try:
                pgstore.install_schema(admin, team_id, team_name, me.fingerprint)
            except psycopg.errors.DuplicateSchema:
                raise UserError("this database already holds a team (schema otpc exists)") from None
            except psycopg.errors.InsufficientPrivilege:
                raise UserError("--db must name a role that may create roles and schemas") from None
            pgstore.create_login_role(admin, role, password, createrole=True)
            pgstore.add_member_row(admin, me.fingerprint, role, me.enc_public, me.sign_public,
                                   True)
            pgstore.grant_admin_role(admin, role, team_id)
        with session.connect() as conn:
            pgstore.put_statement(conn, S.found(team_id, team_name, me))
    except BaseException:
        tstore.clear()
        raise
    session.info["status"] = "member"
    session.sync()
    return session


# -- invite ------------------------------------------------------------------------------------------

def encode_token(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return TOKEN_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict:
    token = (token or "").strip()
    bad = UserError("this is not an OTP Companion team invitation (malformed token)")
    if not token.startswith(TOKEN_PREFIX):
        raise bad
    body = token[len(TOKEN_PREFIX):]
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    need = {"v": int, "team": str, "fp": str, "conn": dict, "name": str, "exp": (int, float)}
    if not isinstance(data, dict) or any(not isinstance(data.get(k), t) for k, t in need.items()):
        raise bad
    if data["v"] != 1 or not {"user", "password"} <= set(data["conn"]):
        raise bad
    return data


def require_admin(session: TeamSession) -> None:
    if not session.state.is_admin(session.me.fingerprint):
        raise Forbidden("only a team admin may do this")


def invite(session: TeamSession, member_name: str, role: str) -> dict:
    member_name = check_member_name(member_name)
    session.sync()
    require_admin(session)
    state = session.state
    if role not in state.roles:
        raise NotFound(f"no role {role!r} (otpc team role list)")
    if any(m.name == member_name for m in state.members.values()):
        raise UserError(f"{member_name!r} is already a member")
    db_role, password = _db_role(session.team_id), secrets.token_urlsafe(24)
    expires = time.time() + TOKEN_HOURS * 3600
    psycopg = _psycopg()
    with session.connect() as conn:
        try:
            pgstore.invite_login(conn, db_role, member_name, role, password)
        except psycopg.errors.UniqueViolation:
            raise UserError(f"{member_name!r} has joined already: approve or revoke") from None
        except psycopg.errors.InsufficientPrivilege:
            raise Forbidden("your database login is not in the team's admin role (an admin "
                            "runs 'otpc team member role' again)") from None
        except psycopg.errors.UndefinedFunction:
            raise UserError("this team's database predates invitations by any admin: install "
                            "otpc.invite_login (docs/team.md)") from None
    session.store.put(T.SESSION + ".invite", {member_name: {"role": role, "db_role": db_role}})
    params = {k: v for k, v in session.info["conn"].items() if k not in ("user", "password")}
    token = encode_token({"v": 1, "team": session.team_id, "fp": session.info["founder_fp"],
                          "name": member_name, "exp": int(expires),
                          "conn": {**params, "user": db_role, "password": password}})
    return {"member": member_name, "role": role, "token": token, "expires": int(expires),
            "team_fingerprint": session.info["founder_fp"]}


# -- join --------------------------------------------------------------------------------------------

def join(tstore: T.TeamStore, token: str) -> TeamSession:
    data = decode_token(token)
    if data["exp"] < time.time():
        when = datetime.fromtimestamp(data["exp"]).astimezone().isoformat(timespec="minutes")
        raise UserError(f"this invitation expired at {when}: ask for a new one")
    psycopg = _psycopg()
    from psycopg import sql

    try:
        conn = psycopg.connect(conninfo(data["conn"]), connect_timeout=5, autocommit=True)
    except psycopg.OperationalError as exc:
        if "authentication failed" in str(exc) or "expired" in str(exc):
            raise UserError("the database refused this invitation: it was used already, has "
                            "expired or was withdrawn") from None
        raise UserError("cannot reach the team database named in the invitation") from None
    me, new_password = MemberKeys.generate(), secrets.token_urlsafe(24)
    with conn:
        row = conn.execute("SELECT team_id, name, founder_fp FROM otpc.team").fetchone()
        chain = pgstore.statements(conn, data["team"]) if row else []
        if row is None or row[0] != data["team"] or not crypto.equal(row[2], data["fp"]):
            raise UserError("this invitation is for another team (team id or fingerprint "
                            "differs); nothing was applied")
        try:
            S.fold(chain, data["team"], data["fp"])
        except TeamCryptoError:
            raise UserError("the team's founding statement does not match the invitation's "
                            "fingerprint; nothing was applied") from None
        session = _seal_new_session(tstore, {
            "team_id": data["team"], "founder_fp": data["fp"], "team_name": row[1],
            "member_name": data["name"], "status": "joining",
            "conn": {**data["conn"], "password": new_password}}, me)
        try:
            with conn.transaction():
                cur = conn.execute(
                    "UPDATE otpc.invites SET enc_pub = %s, sign_pub = %s, joined = now()"
                    " WHERE db_role = session_user AND joined IS NULL",
                    (me.enc_public, me.sign_public))
                if cur.rowcount != 1:
                    raise UserError("this invitation was used already")
                conn.execute(sql.SQL("ALTER ROLE CURRENT_USER PASSWORD {}").format(
                    sql.Literal(pgstore.scram_verifier(new_password))))
        except BaseException:
            tstore.clear()
            raise
    session.info["status"] = "pending"
    session.save_info()
    return session


# -- approve -----------------------------------------------------------------------------------------

def _invitation(session: TeamSession, conn, member_name: str) -> tuple[str, str, bytes, bytes]:
    row = conn.execute("SELECT db_role, role, enc_pub, sign_pub FROM otpc.invites"
                       " WHERE name = %s", (member_name,)).fetchone()
    if row is None:
        raise NotFound(f"no invitation for {member_name!r}")
    if row[2] is None:
        raise UserError(f"{member_name!r} has not joined yet (otpc team join TOKEN)")
    mine = (session.store.get(T.SESSION + ".invite", member_name) or {})
    if mine and mine.get("db_role") != row[0]:
        raise UserError(f"the invitation row of {member_name!r} is not the one you made")
    return row[0], mine.get("role", row[1]), bytes(row[2]), bytes(row[3])


def pending_fingerprint(session: TeamSession, member_name: str) -> str:
    with session.connect() as conn:
        _role, _r, enc_pub, sign_pub = _invitation(session, conn, member_name)
    return fingerprint(enc_pub, sign_pub)


def approve(session: TeamSession, member_name: str, confirmed_fp: str) -> dict:
    """Sign member_add for the joined member whose fingerprint the admin confirmed, clear the
    login's expiry and grant every unit key the member's role reaches."""
    session.sync()
    require_admin(session)
    state = session.state
    with session.connect() as conn:
        db_role, role, enc_pub, sign_pub = _invitation(session, conn, member_name)
        fp = fingerprint(enc_pub, sign_pub)
        if not crypto.equal(fp.replace(" ", ""), confirmed_fp.replace(" ", "").lower()):
            raise UserError(f"{member_name!r}'s key fingerprint is {fp}, not the one confirmed: "
                            "not approved")
        if role not in state.roles:
            raise NotFound(f"no role {role!r}")
        st = S.next_statement(state, "member_add", {"enc_pub": enc_pub.hex(),
                                                   "sign_pub": sign_pub.hex(), "role": role,
                                                   "name": member_name}, session.me)
        S.apply(state, st)
        reached = [(unit, epoch, key) for (unit, epoch), key in _newest_keys(session).items()
                   if state.reaches(fp, *split_unit(unit))]
        grants = grant_many(session.team_id, reached, enc_pub, fp, session.me)  # one HPKE
        with conn.transaction():
            pgstore.put_statement(conn, st)
            pgstore.add_member_row(conn, fp, db_role, enc_pub, sign_pub, False)
            if state.is_admin(fp):
                pgstore.set_admin(conn, fp, True)
            pgstore.put_grants(conn, grants)
            pgstore.activate_login(conn, db_role)
            conn.execute("DELETE FROM otpc.invites WHERE db_role = %s", (db_role,))
    session.store.put(T.STATEMENT, {f"{st.seq:08d}": statement_json(st)})
    session.store.delete(T.SESSION + ".invite", [member_name])
    session.replica.statement_seq = state.seq
    session.replica.chain.append(st)
    session.save_info()
    return {"member": member_name, "fingerprint": fp, "role": role, "units": len(grants)}


def _newest_keys(session: TeamSession) -> dict[tuple[str, int], bytes]:
    newest: dict[str, int] = {}
    for unit, epoch in session.replica.unit_keys:
        newest[unit] = max(epoch, newest.get(unit, 0))
    return {(u, e): session.replica.unit_keys[(u, e)] for u, e in newest.items()}

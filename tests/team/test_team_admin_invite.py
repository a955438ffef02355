"""Invitations by any admin (issue 8): a second admin, not the founder, invites, approves, and the
new technician gets codes; the SECURITY DEFINER enrolment functions refuse a non-admin's own SQL
login, hostile arguments (no SQL injection through the member or login name), and a demoted admin.
All through the real `otpc` and a real PostgreSQL."""

import json

import psycopg
import pytest
import teamcli as tc

from companion.team.pgstore import scram_verifier
from companion.team.session import conninfo

AT = 1_700_000_000.0


def _login(tech: tc.Tech):
    return psycopg.connect(conninfo(tech.db_login()), autocommit=True)


def _roles(pg, db: str) -> set[str]:
    with tc.superuser(pg, db) as su:
        return {r for (r,) in su.execute("SELECT rolname FROM pg_roles")}


def _invite_sql(conn, login: str, member: str, role: str = "tech-a"):
    conn.execute("SELECT otpc.invite_login(%s, %s, %s, %s)",
                 (login, member, role, scram_verifier("pw")))


def test_second_admin_invites_hostile_names_refused_and_demotion(pg, tmp_path):
    team = tc.make_team(pg, tmp_path, with_bob=False)
    carol, dave = tc.Tech("carol", tmp_path), tc.Tech("dave", tmp_path)
    for t in (carol, dave):
        t.ok("init", "--kdf-ms", "1")
    team.founder.ok("team", "role", "add", "boss", "--all-customers", "--can",
                    "view,reveal,edit,delete,admin")
    tc.enrol(team.founder, carol, "boss")

    # carol (an admin, not the founder, no CREATEROLE) invites and approves dave
    tc.enrol(carol, dave, "tech-a")
    assert dave.code("CustA/Mail", at=AT) == tc.totp(tc.SECRET_A, AT)
    assert dave.run("code", "CustB/Portal").code != 0  # tech-a reaches CustA only
    with tc.superuser(pg, team.db) as su:
        dave_login = dave.db_login()["user"]
        assert su.execute("SELECT rolvaliduntil = 'infinity' FROM pg_roles WHERE rolname = %s",
                          (dave_login,)).fetchone()[0]
        assert not su.execute("SELECT rolcreaterole FROM pg_roles WHERE rolname = %s",
                              (carol.db_login()["user"],)).fetchone()[0]

    # alice (tech-a, no admin) calls the functions herself, in SQL under her own login
    prefix = "otpc_" + tc_team_id(carol)[:8] + "_"
    before = _roles(pg, team.db)
    with _login(team.alice) as conn:
        for call, args in [("invite_login(%s, %s, %s, %s)",
                            (prefix + "0123456789", "eve", "lead", scram_verifier("pw"))),
                           ("activate_login(%s)", (dave_login,)),
                           ("set_admin(%s, %s)", (team.alice.db_login()["user"], True)),
                           ("drop_login(%s)", (dave_login,))]:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT otpc.{call}", args)
    assert _roles(pg, team.db) == before

    # hostile arguments through carol's admin login: refused, nothing created or dropped
    hostile_members = ["x'); DROP TABLE otpc.records; --", 'x" SUPERUSER; --', "a\nb", "",
                       "x" * 64, "eve$fn$; DROP ROLE postgres; $fn$"]
    hostile_logins = [prefix + '0123456789" SUPERUSER --', prefix + "012345678",
                      "postgres", "otpc_00000000_0123456789", prefix.upper() + "0123456789"]
    with _login(carol) as conn:
        for member in hostile_members:
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                _invite_sql(conn, prefix + "0123456789", member)
        for login in hostile_logins:
            with pytest.raises(psycopg.errors.InvalidParameterValue):
                _invite_sql(conn, login, "eve")
        with pytest.raises(psycopg.errors.InvalidParameterValue):  # a plain password
            conn.execute("SELECT otpc.invite_login(%s, 'eve', 'tech-a', 'hunter2')",
                         (prefix + "0123456789",))
        with pytest.raises(psycopg.errors.InvalidParameterValue):  # not a joined invitation
            conn.execute("SELECT otpc.activate_login('postgres')")
        with pytest.raises(psycopg.errors.InvalidParameterValue):  # a member's login stays
            conn.execute("SELECT otpc.drop_login(%s)", (dave_login,))
    assert _roles(pg, team.db) == before
    with tc.superuser(pg, team.db) as su:
        assert su.execute("SELECT count(*) FROM otpc.records").fetchone()[0] > 0
        assert not su.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s",
                              (carol.db_login()["user"],)).fetchone()[0]

    # demoted, carol's login leaves the admin role: the function refuses her own SQL session
    team.founder.ok("team", "member", "role", "carol", "tech-a")
    carol.ok("team", "sync")
    with _login(carol) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            _invite_sql(conn, prefix + "0123456789", "eve")
    refused = carol.run("team", "invite", "eve", "--role", "tech-a")
    assert refused.code == 6 and "Traceback" not in refused.err
    assert _roles(pg, team.db) == before

    # revoked by an admin who is not the founder: dave's login is dropped, not just left
    team.founder.ok("team", "member", "role", "carol", "boss")
    carol.ok("team", "sync")
    out = carol.ok("team", "member", "revoke", "dave", "--yes", "--json")
    assert json.loads(out)["login_dropped"] is True
    assert dave_login not in _roles(pg, team.db)


def tc_team_id(tech: tc.Tech) -> str:
    return json.loads(tech.ok("team", "status", "--json"))["team_id"]

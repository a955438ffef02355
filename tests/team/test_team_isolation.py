"""Two teams in one PostgreSQL cluster: a member of one sees nothing of the other, even through raw
SQL under its own login role (issue 8, cluster isolation). Roles are cluster-wide, so each team has
its own NOLOGIN owner and tech roles; only its tech role may connect to its database."""

import pgstore_helpers as h
import psycopg
import pytest

from companion.team import pgstore
from companion.team.schema import owner_role, tech_role

# every function the schema defines, called the way a curious member would
FUNCTIONS = ("otpc.me()", "otpc.is_admin()", "otpc.holds('B/')", "otpc.record_units()")


@pytest.fixture(scope="module")
def teams(pg):
    return h.make_team(pg, db="iso_a"), h.make_team(pg, db="iso_b")


def otpc_tables(team) -> list[str]:
    with pgstore.connect(team.super_url()) as su:
        rows = su.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'otpc'"
                          " ORDER BY 1").fetchall()
    return [f"otpc.{r[0]}" for r in rows]


def dump(conn, tables: list[str]) -> str:
    """Every row of every table (and function) this session may read, as one string."""
    out = []
    for what in [*tables, *FUNCTIONS]:
        for row in conn.execute(f"SELECT * FROM {what}").fetchall():
            out.append(" ".join(bytes(v).hex() if isinstance(v, bytes | memoryview) else str(v)
                                for v in row))
    return "\n".join(out)


def b_markers(b) -> list[str]:
    """Strings of team B that must not reach a member of A: ids, fingerprints, units, keys."""
    return [b.team_id, *(k.fingerprint for k in b.keys.values()), *b.rec.values(),
            *(k.sign_public.hex() for k in b.keys.values())]


def test_each_team_has_its_own_roles(teams):
    a, b = teams
    with pgstore.connect(a.super_url()) as su:
        owner = su.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'otpc'"
                           " AND tablename = 'records'").fetchone()[0]
        in_role = su.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid"
            " JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = %s",
            (a.role("alice"),)).fetchall()
    assert owner == owner_role(a.team_id) != owner_role(b.team_id)
    assert in_role == [(tech_role(a.team_id),)]


def test_member_of_a_reads_its_own_team_and_nothing_of_b(teams):
    a, b = teams
    with pgstore.connect(a.url("alice")) as conn:
        seen = dump(conn, otpc_tables(a))
    # the dump holds what alice may see of her own team (so it would show B's, were it there)
    assert a.team_id in seen and a.keys["alice"].fingerprint in seen
    assert a.keys["bob"].sign_public.hex() in seen and a.rec["A/"] in seen
    assert not [m for m in b_markers(b) if m in seen]


def test_member_of_a_cannot_connect_to_b(teams):
    a, b = teams
    url_b_as_alice = a.url("alice").replace(f"dbname={a.db}", f"dbname={b.db}")
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(url_b_as_alice, connect_timeout=5)
    # B's own members do connect (the refusal above is about alice, not the database)
    with pgstore.connect(b.url("bob")) as conn:
        assert conn.execute("SELECT team_id FROM otpc.team").fetchone() == (b.team_id,)


def test_even_let_in_to_b_a_member_of_a_reads_no_row_of_b(teams):
    """A database whose CONNECT an installer could not revoke (it did not own it): alice gets in,
    then every table and function of B's schema refuses her, and she cannot take B's roles."""
    a, b = teams
    with pgstore.connect(b.super_url(), autocommit=True) as su:
        su.execute(f'GRANT CONNECT ON DATABASE "{b.db}" TO PUBLIC')
    try:
        url_b_as_alice = a.url("alice").replace(f"dbname={a.db}", f"dbname={b.db}")
        with psycopg.connect(url_b_as_alice, autocommit=True, connect_timeout=5) as conn:
            for what in [*otpc_tables(b), *FUNCTIONS]:
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f"SELECT * FROM {what}").fetchall()
            for role in (tech_role(b.team_id), owner_role(b.team_id)):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(f'SET ROLE "{role}"')
    finally:
        with pgstore.connect(b.super_url(), autocommit=True) as su:
            su.execute(f'REVOKE CONNECT ON DATABASE "{b.db}" FROM PUBLIC')

"""The team's PostgreSQL schema: tables owned by a NOLOGIN role, FORCE ROW LEVEL SECURITY, one
LOGIN role per member inside a NOLOGIN "tech" role (docs/team-format.md, "Storage and sync").

PostgreSQL holds only ciphertext, signatures, public keys and the metadata sync needs. RLS is the
second line: a member's own SQL session sees only the records and grants of units it holds; the
first line is cryptographic (a row seen any other way does not open without the unit key).

Roles are cluster-wide, so both NOLOGIN roles are the team's own (`otpc_owner_<team id>`,
`otpc_tech_<team id>`): every grant and policy names them, and only the team's tech role may connect
to its database. A member of another team in the same cluster is in neither role, so it cannot
connect there, nor (if CONNECT were granted again) use the schema or read any row.
"""

from __future__ import annotations

import re

WAKE_CHANNEL = "otpc_team"
TEAM_ID = re.compile(r"^[0-9a-z]{1,40}$")  # uuid4().hex: the role names below stay identifiers


def _checked(team_id: str) -> str:
    if not TEAM_ID.match(team_id):
        raise ValueError("a team id is up to 40 lower-case letters and digits")
    return team_id


def owner_role(team_id: str) -> str:
    """The NOLOGIN role that owns the team's schema and tables."""
    return f"otpc_owner_{_checked(team_id)}"


def tech_role(team_id: str) -> str:
    """The NOLOGIN role every member's login role is in: what policies and grants name."""
    return f"otpc_tech_{_checked(team_id)}"


def schema_sql(team_id: str) -> str:
    """Roles, schema, tables, functions and policies of one team (run once, in its database)."""
    return _SCHEMA_SQL.format(owner=owner_role(team_id), tech=tech_role(team_id),
                              wake=WAKE_CHANNEL)


_SCHEMA_SQL = """
-- this team's own roles (roles are cluster-wide: shared ones would let another team's members in)
CREATE ROLE {owner} NOLOGIN;
CREATE ROLE {tech} NOLOGIN;
-- only this team's members connect to its database (as well as its owner and superusers); a
-- non-owner installer gets a warning here, not an error, and docs/team.md says what to run
DO $$ BEGIN
    EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO {tech}', current_database());
END $$;
CREATE SCHEMA otpc AUTHORIZATION {owner};
GRANT USAGE ON SCHEMA otpc TO {tech};
SET LOCAL ROLE {owner};
CREATE TABLE otpc.team (team_id text PRIMARY KEY, name text NOT NULL, founder_fp text NOT NULL);
CREATE TABLE otpc.members (
    fp text PRIMARY KEY, db_role name UNIQUE NOT NULL, enc_pub bytea NOT NULL,
    sign_pub bytea NOT NULL, db_admin boolean NOT NULL DEFAULT false);
CREATE TABLE otpc.statements (
    seq integer PRIMARY KEY, prev text NOT NULL, kind text NOT NULL, body jsonb NOT NULL,
    signer text NOT NULL, signature bytea NOT NULL,
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id());
CREATE TABLE otpc.grants (
    unit text NOT NULL, epoch integer NOT NULL, member_fp text NOT NULL, wrapped bytea NOT NULL,
    granted_by text NOT NULL, signature bytea NOT NULL,
    change_xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (unit, epoch, member_fp));
CREATE TABLE otpc.records (
    record_id text PRIMARY KEY, version integer NOT NULL, unit text NOT NULL,
    epoch integer NOT NULL, kind text NOT NULL, author text NOT NULL, ciphertext bytea NOT NULL,
    signature bytea NOT NULL, change_xid xid8 NOT NULL DEFAULT pg_current_xact_id());
CREATE INDEX records_by_xid ON otpc.records (change_xid);
CREATE TABLE otpc.hotp_counters (
    record_id text PRIMARY KEY, unit text NOT NULL, counter bigint NOT NULL);
-- an invitation: made by an admin with the member's fresh login role; the joining member fills in
-- its public keys (its own row only) and changes its password; `approve` turns it into a member
CREATE TABLE otpc.invites (
    db_role name PRIMARY KEY, name text UNIQUE NOT NULL, role text NOT NULL,
    invited_by text NOT NULL, created timestamptz NOT NULL DEFAULT now(),
    enc_pub bytea, sign_pub bytea, joined timestamptz);
CREATE TABLE otpc.audit (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, ts timestamptz NOT NULL DEFAULT now(),
    member_fp text NOT NULL, body jsonb NOT NULL, signature bytea NOT NULL);

-- the member a login role is, and the units it holds (SECURITY DEFINER, so RLS policies can call
-- them: inside, current_user is the owner; session_user is the member who logged in)
CREATE FUNCTION otpc.me() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, otpc
    AS $$ SELECT fp FROM otpc.members WHERE db_role = session_user $$;
CREATE FUNCTION otpc.holds(u text) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, otpc
    AS $$ SELECT EXISTS (SELECT 1 FROM otpc.grants g
                         JOIN otpc.members m ON m.fp = g.member_fp
                         WHERE g.unit = u AND m.db_role = session_user) $$;
CREATE FUNCTION otpc.is_admin() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, otpc
    AS $$ SELECT COALESCE((SELECT db_admin FROM otpc.members WHERE db_role = session_user),
                          false) $$;
-- which unit each record is in now (ids and units only, never ciphertext): lets a member tell a
-- record moved out of its reach (to a group it is not in) from one the server dropped
CREATE FUNCTION otpc.record_units() RETURNS TABLE (record_id text, unit text) LANGUAGE sql
    STABLE SECURITY DEFINER SET search_path = pg_catalog, otpc
    AS $$ SELECT record_id, unit FROM otpc.records
          WHERE EXISTS (SELECT 1 FROM otpc.members WHERE db_role = session_user) $$;
CREATE FUNCTION otpc.wake() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_notify('{wake}', ''); RETURN NULL; END $$;
CREATE TRIGGER records_wake AFTER INSERT OR UPDATE OR DELETE ON otpc.records
    FOR EACH STATEMENT EXECUTE FUNCTION otpc.wake();
CREATE TRIGGER statements_wake AFTER INSERT ON otpc.statements
    FOR EACH STATEMENT EXECUTE FUNCTION otpc.wake();

ALTER TABLE otpc.team ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.team FORCE ROW LEVEL SECURITY;
CREATE POLICY team_read ON otpc.team FOR SELECT TO {tech} USING (true);
ALTER TABLE otpc.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.members FORCE ROW LEVEL SECURITY;
CREATE POLICY members_read ON otpc.members FOR SELECT TO {tech}, {owner} USING (true);
CREATE POLICY members_admin ON otpc.members FOR ALL TO {tech}
    USING (otpc.is_admin()) WITH CHECK (otpc.is_admin());
ALTER TABLE otpc.statements ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.statements FORCE ROW LEVEL SECURITY;
CREATE POLICY statements_read ON otpc.statements FOR SELECT TO {tech} USING (true);
CREATE POLICY statements_admin ON otpc.statements FOR INSERT TO {tech}
    WITH CHECK (otpc.is_admin());
ALTER TABLE otpc.grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.grants FORCE ROW LEVEL SECURITY;
-- the owner reads grants only inside the SECURITY DEFINER functions above (it cannot log in)
CREATE POLICY grants_owner ON otpc.grants FOR SELECT TO {owner} USING (true);
-- (SELECT f()) makes PostgreSQL call f once per query (an InitPlan), not once per row
CREATE POLICY grants_own ON otpc.grants FOR SELECT TO {tech}
    USING (member_fp = (SELECT otpc.me()) OR (SELECT otpc.is_admin()));
CREATE POLICY grants_admin ON otpc.grants FOR ALL TO {tech}
    USING ((SELECT otpc.is_admin())) WITH CHECK ((SELECT otpc.is_admin()));
ALTER TABLE otpc.records ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.records FORCE ROW LEVEL SECURITY;
CREATE POLICY records_owner ON otpc.records FOR SELECT TO {owner} USING (true);
CREATE POLICY records_held ON otpc.records FOR ALL TO {tech}
    USING (unit IN (SELECT g.unit FROM otpc.grants g WHERE g.member_fp = (SELECT otpc.me())))
    WITH CHECK (unit IN (SELECT g.unit FROM otpc.grants g WHERE g.member_fp = (SELECT otpc.me()))
                AND author = (SELECT otpc.me()));
ALTER TABLE otpc.hotp_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.hotp_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY hotp_held ON otpc.hotp_counters FOR ALL TO {tech}
    USING (otpc.holds(unit)) WITH CHECK (otpc.holds(unit));
ALTER TABLE otpc.invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.invites FORCE ROW LEVEL SECURITY;
CREATE POLICY invites_own ON otpc.invites FOR SELECT TO {tech} USING (db_role = session_user);
CREATE POLICY invites_join ON otpc.invites FOR UPDATE TO {tech}
    USING (db_role = session_user AND joined IS NULL) WITH CHECK (db_role = session_user);
CREATE POLICY invites_admin ON otpc.invites FOR ALL TO {tech}
    USING ((SELECT otpc.is_admin())) WITH CHECK ((SELECT otpc.is_admin()));
ALTER TABLE otpc.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.audit FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_append ON otpc.audit FOR INSERT TO {tech} WITH CHECK (member_fp = otpc.me());
CREATE POLICY audit_admin ON otpc.audit FOR SELECT TO {tech} USING (otpc.is_admin());
RESET ROLE;
GRANT SELECT ON otpc.team, otpc.members, otpc.statements, otpc.grants TO {tech};
GRANT INSERT, UPDATE, DELETE ON otpc.members, otpc.grants TO {tech};
GRANT INSERT ON otpc.statements TO {tech};
GRANT SELECT, INSERT, UPDATE, DELETE ON otpc.records, otpc.hotp_counters TO {tech};
GRANT SELECT, INSERT ON otpc.audit TO {tech};
GRANT SELECT, INSERT, DELETE ON otpc.invites TO {tech};
GRANT UPDATE (enc_pub, sign_pub, joined) ON otpc.invites TO {tech};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA otpc FROM PUBLIC;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA otpc TO {tech};
"""

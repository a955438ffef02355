"""The team's PostgreSQL schema: tables owned by a NOLOGIN role, FORCE ROW LEVEL SECURITY, one
LOGIN role per member inside a NOLOGIN `otpc_tech` role (docs/team-format.md, "Storage and sync").

PostgreSQL holds only ciphertext, signatures, public keys and the metadata sync needs. RLS is the
second line: a member's own SQL session sees only the records and grants of units it holds; the
first line is cryptographic (a row seen any other way does not open without the unit key).
"""

from __future__ import annotations

OWNER = "otpc_owner"
TECH = "otpc_tech"
WAKE_CHANNEL = "otpc_team"

SCHEMA_SQL = f"""
-- roles are cluster-wide: a second team database in the same cluster reuses them
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{OWNER}') THEN
        CREATE ROLE {OWNER} NOLOGIN; END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TECH}') THEN
        CREATE ROLE {TECH} NOLOGIN; END IF;
END $$;
CREATE SCHEMA otpc AUTHORIZATION {OWNER};
GRANT USAGE ON SCHEMA otpc TO {TECH};
SET LOCAL ROLE {OWNER};
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
    BEGIN PERFORM pg_notify('{WAKE_CHANNEL}', ''); RETURN NULL; END $$;
CREATE TRIGGER records_wake AFTER INSERT OR UPDATE OR DELETE ON otpc.records
    FOR EACH STATEMENT EXECUTE FUNCTION otpc.wake();
CREATE TRIGGER statements_wake AFTER INSERT ON otpc.statements
    FOR EACH STATEMENT EXECUTE FUNCTION otpc.wake();

ALTER TABLE otpc.team ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.team FORCE ROW LEVEL SECURITY;
CREATE POLICY team_read ON otpc.team FOR SELECT TO {TECH} USING (true);
ALTER TABLE otpc.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.members FORCE ROW LEVEL SECURITY;
CREATE POLICY members_read ON otpc.members FOR SELECT TO {TECH}, {OWNER} USING (true);
CREATE POLICY members_admin ON otpc.members FOR ALL TO {TECH}
    USING (otpc.is_admin()) WITH CHECK (otpc.is_admin());
ALTER TABLE otpc.statements ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.statements FORCE ROW LEVEL SECURITY;
CREATE POLICY statements_read ON otpc.statements FOR SELECT TO {TECH} USING (true);
CREATE POLICY statements_admin ON otpc.statements FOR INSERT TO {TECH}
    WITH CHECK (otpc.is_admin());
ALTER TABLE otpc.grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.grants FORCE ROW LEVEL SECURITY;
-- the owner reads grants only inside the SECURITY DEFINER functions above (it cannot log in)
CREATE POLICY grants_owner ON otpc.grants FOR SELECT TO {OWNER} USING (true);
-- (SELECT f()) makes PostgreSQL call f once per query (an InitPlan), not once per row
CREATE POLICY grants_own ON otpc.grants FOR SELECT TO {TECH}
    USING (member_fp = (SELECT otpc.me()) OR (SELECT otpc.is_admin()));
CREATE POLICY grants_admin ON otpc.grants FOR ALL TO {TECH}
    USING ((SELECT otpc.is_admin())) WITH CHECK ((SELECT otpc.is_admin()));
ALTER TABLE otpc.records ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.records FORCE ROW LEVEL SECURITY;
CREATE POLICY records_owner ON otpc.records FOR SELECT TO {OWNER} USING (true);
CREATE POLICY records_held ON otpc.records FOR ALL TO {TECH}
    USING (unit IN (SELECT g.unit FROM otpc.grants g WHERE g.member_fp = (SELECT otpc.me())))
    WITH CHECK (unit IN (SELECT g.unit FROM otpc.grants g WHERE g.member_fp = (SELECT otpc.me()))
                AND author = (SELECT otpc.me()));
ALTER TABLE otpc.hotp_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.hotp_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY hotp_held ON otpc.hotp_counters FOR ALL TO {TECH}
    USING (otpc.holds(unit)) WITH CHECK (otpc.holds(unit));
ALTER TABLE otpc.invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.invites FORCE ROW LEVEL SECURITY;
CREATE POLICY invites_own ON otpc.invites FOR SELECT TO {TECH} USING (db_role = session_user);
CREATE POLICY invites_join ON otpc.invites FOR UPDATE TO {TECH}
    USING (db_role = session_user AND joined IS NULL) WITH CHECK (db_role = session_user);
CREATE POLICY invites_admin ON otpc.invites FOR ALL TO {TECH}
    USING ((SELECT otpc.is_admin())) WITH CHECK ((SELECT otpc.is_admin()));
ALTER TABLE otpc.audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.audit FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_append ON otpc.audit FOR INSERT TO {TECH} WITH CHECK (member_fp = otpc.me());
CREATE POLICY audit_admin ON otpc.audit FOR SELECT TO {TECH} USING (otpc.is_admin());
RESET ROLE;
GRANT SELECT ON otpc.team, otpc.members, otpc.statements, otpc.grants TO {TECH};
GRANT INSERT, UPDATE, DELETE ON otpc.members, otpc.grants TO {TECH};
GRANT INSERT ON otpc.statements TO {TECH};
GRANT SELECT, INSERT, UPDATE, DELETE ON otpc.records, otpc.hotp_counters TO {TECH};
GRANT SELECT, INSERT ON otpc.audit TO {TECH};
GRANT SELECT, INSERT, DELETE ON otpc.invites TO {TECH};
GRANT UPDATE (enc_pub, sign_pub, joined) ON otpc.invites TO {TECH};
REVOKE ALL ON FUNCTION otpc.record_units() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION otpc.record_units() TO {TECH};
"""

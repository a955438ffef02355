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
SCAN_PAYLOAD = "scan"  # the wake-up after a record row was deleted or moved to another unit
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


def admin_role(team_id: str) -> str:
    """The NOLOGIN role of the team's admins' logins: only it may call the enrolment functions."""
    return f"otpc_admin_{_checked(team_id)}"


def enrol_role(team_id: str) -> str:
    """The NOLOGIN role (CREATEROLE) that owns the enrolment functions; nobody logs in as it."""
    return f"otpc_enrol_{_checked(team_id)}"


def schema_sql(team_id: str) -> str:
    """Roles, schema, tables, functions and policies of one team (run once, in its database)."""
    return (_SCHEMA_SQL + _ENROL_SQL).format(
        owner=owner_role(team_id), tech=tech_role(team_id), admin=admin_role(team_id),
        enrol=enrol_role(team_id), wake=WAKE_CHANNEL, scan=SCAN_PAYLOAD, login=LOGIN_PATTERN.format(team_id[:8]),
        member=MEMBER_PATTERN, role=ROLE_PATTERN, verifier=VERIFIER_PATTERN)


_SCHEMA_SQL = """
-- this team's own roles (roles are cluster-wide: shared ones would let another team's members in)
CREATE ROLE {owner} NOLOGIN;
CREATE ROLE {tech} NOLOGIN;
CREATE ROLE {admin} NOLOGIN;
CREATE ROLE {enrol} NOLOGIN CREATEROLE;
GRANT {tech} TO {enrol} WITH ADMIN OPTION;
GRANT {admin} TO {enrol} WITH ADMIN OPTION;
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
-- a row deleted or moved to another unit: members re-check what they hold at once (sync._dropped)
-- rather than at their next periodic check; the payload says only that
CREATE FUNCTION otpc.wake_scan() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN PERFORM pg_notify('{wake}', '{scan}'); RETURN NULL; END $$;
CREATE TRIGGER records_gone AFTER DELETE ON otpc.records
    FOR EACH STATEMENT EXECUTE FUNCTION otpc.wake_scan();
CREATE TRIGGER records_moved AFTER UPDATE OF unit ON otpc.records
    FOR EACH ROW WHEN (OLD.unit IS DISTINCT FROM NEW.unit) EXECUTE FUNCTION otpc.wake_scan();

ALTER TABLE otpc.team ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.team FORCE ROW LEVEL SECURITY;
CREATE POLICY team_read ON otpc.team FOR SELECT TO {tech} USING (true);
ALTER TABLE otpc.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE otpc.members FORCE ROW LEVEL SECURITY;
CREATE POLICY members_read ON otpc.members FOR SELECT TO {tech}, {owner} USING (true);
CREATE POLICY members_enrol ON otpc.members FOR ALL TO {enrol} USING (true) WITH CHECK (true);
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
CREATE POLICY invites_enrol ON otpc.invites FOR ALL TO {enrol} USING (true) WITH CHECK (true);
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

# What the enrolment functions accept (checked again in SQL: a caller may bypass our client).
LOGIN_PATTERN = "^otpc_{}_[0-9a-f]{{10}}$"  # enrol._db_role(): the team id's first 8, 10 random hex
MEMBER_PATTERN = "^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,62}$"  # enrol.MEMBER_NAME
ROLE_PATTERN = "^[^[:cntrl:]]{1,120}$"
VERIFIER_PATTERN = ("^SCRAM-SHA-256\\$[0-9]{1,7}:[A-Za-z0-9+/=]{1,64}"
                    "\\$[A-Za-z0-9+/=]{1,64}:[A-Za-z0-9+/=]{1,64}$")

# Invitations by any admin (docs/team.md, "Who may invite"): creating a login role needs
# CREATEROLE, which only the NOLOGIN enrol role holds. Its three SECURITY DEFINER functions are
# executable by the team's admin role only (granted to admins' logins by set_admin, following
# `otpc team member role`), check otpc.is_admin() again, pin search_path, validate every argument
# and quote every identifier (format %I / %L). The real authorization stays the signed statement
# chain: a companion refuses keys granted by a non-admin whatever the database allowed.
_ENROL_SQL = """
GRANT USAGE, CREATE ON SCHEMA otpc TO {enrol};
GRANT SELECT ON otpc.team TO {enrol};
GRANT SELECT, UPDATE (db_admin) ON otpc.members TO {enrol};
GRANT SELECT, INSERT, DELETE ON otpc.invites TO {enrol};
GRANT EXECUTE ON FUNCTION otpc.me(), otpc.is_admin() TO {enrol};
SET LOCAL ROLE {enrol};
CREATE FUNCTION otpc.invite_login(login text, member text, team_role text, verifier text)
    RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    old name;
BEGIN
    IF NOT otpc.is_admin() THEN
        RAISE EXCEPTION 'only a team admin may invite' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF login IS NULL OR login !~ '{login}' OR member IS NULL OR member !~ '{member}'
            OR team_role IS NULL OR team_role !~ '{role}'
            OR verifier IS NULL OR verifier !~ '{verifier}' THEN
        RAISE EXCEPTION 'malformed invitation' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- a new invitation for the same name replaces one nobody used yet
    FOR old IN DELETE FROM otpc.invites WHERE name = member AND joined IS NULL RETURNING db_role
    LOOP
        IF NOT EXISTS (SELECT 1 FROM otpc.members WHERE db_role = old) THEN
            EXECUTE format('DROP ROLE IF EXISTS %I', old);
        END IF;
    END LOOP;
    EXECUTE format('CREATE ROLE %I LOGIN PASSWORD %L VALID UNTIL %L IN ROLE %I', login, verifier,
                   (now() + interval '24 hours')::text, '{tech}');
    INSERT INTO otpc.invites (db_role, name, role, invited_by)
        VALUES (login, member, team_role, otpc.me());
END $fn$;
CREATE FUNCTION otpc.activate_login(login text) RETURNS void LANGUAGE plpgsql VOLATILE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT otpc.is_admin() THEN
        RAISE EXCEPTION 'only a team admin may approve' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM otpc.invites WHERE db_role = login AND joined IS NOT NULL)
            OR NOT EXISTS (SELECT 1 FROM otpc.members WHERE db_role = login) THEN
        RAISE EXCEPTION 'no joined invitation of a member for this login'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('ALTER ROLE %I VALID UNTIL %L', login, 'infinity');
END $fn$;
CREATE FUNCTION otpc.set_admin(member_fp text, make_admin boolean) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
    login name;
BEGIN
    IF NOT otpc.is_admin() THEN
        RAISE EXCEPTION 'only a team admin may change roles'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT db_role INTO login FROM otpc.members WHERE fp = member_fp;
    IF login IS NULL OR make_admin IS NULL THEN
        RAISE EXCEPTION 'no such member' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE otpc.members SET db_admin = make_admin WHERE fp = member_fp;
    IF make_admin THEN
        EXECUTE format('GRANT %I TO %I', '{admin}', login);
    ELSE
        EXECUTE format('REVOKE %I FROM %I', '{admin}', login);
    END IF;
END $fn$;
CREATE FUNCTION otpc.drop_login(login text) RETURNS void LANGUAGE plpgsql VOLATILE
    SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT otpc.is_admin() THEN
        RAISE EXCEPTION 'only a team admin may revoke' USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- only a login of this team (its name, in its tech role) that is no member any more
    IF login IS NULL OR login !~ '{login}' OR NOT pg_has_role(login, '{tech}', 'MEMBER')
            OR EXISTS (SELECT 1 FROM otpc.members WHERE db_role = login) THEN
        RAISE EXCEPTION 'not a revoked login of this team' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format('DROP ROLE %I', login);
END $fn$;
RESET ROLE;
REVOKE CREATE ON SCHEMA otpc FROM {enrol};
REVOKE ALL ON FUNCTION otpc.invite_login(text, text, text, text), otpc.activate_login(text),
    otpc.set_admin(text, boolean), otpc.drop_login(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION otpc.invite_login(text, text, text, text), otpc.activate_login(text),
    otpc.set_admin(text, boolean), otpc.drop_login(text) TO {admin};
"""

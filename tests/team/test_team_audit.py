"""The signed team audit log on real PostgreSQL: members append, only admins read, tampering shows."""

import pgstore_helpers as h

from companion.team import audit, pgstore
from companion.team import statements as S


def test_audit_is_signed_admin_only_and_tampering_is_flagged(pg):
    team = h.make_team(pg, db="audit")
    with pgstore.connect(team.url("alice")) as conn:
        audit.append(conn, team.team_id, team.keys["alice"], "code", team.rec["A/"], "A")
        state = S.fold(pgstore.statements(conn, team.team_id), team.team_id,
                       team.keys["founder"].fingerprint)
        assert audit.read(conn, state) == []  # not an admin: RLS shows nothing
    with pgstore.connect(team.url("founder")) as conn:
        rows = audit.read(conn, state, member=team.keys["alice"].fingerprint)
    assert [(r.body["action"], r.verified) for r in rows] == [("code", True)]
    with pgstore.connect(team.super_url()) as su:
        su.execute("UPDATE otpc.audit SET body = jsonb_set(body, '{action}', '\"reveal\"')")
    with pgstore.connect(team.url("founder")) as conn:
        assert [r.verified for r in audit.read(conn, state)] == [False]

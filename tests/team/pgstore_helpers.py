"""A small team on a real cluster: founder (admin, all customers), alice (role `tech-a`: customer A,
view) and bob (role `lead`: all customers, view+edit); unit keys for A/ and B/; one OTP record each."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field

from companion import crypto
from companion.team import pgstore
from companion.team import statements as S
from companion.team.keys import MemberKeys
from companion.team.records import seal_record
from companion.team.units import grant


@dataclass
class Team:
    pg: object
    db: str
    team_id: str
    keys: dict[str, MemberKeys]
    passwords: dict[str, str] = field(default_factory=dict)
    unit_keys: dict[str, bytes] = field(default_factory=dict)
    rec: dict[str, str] = field(default_factory=dict)

    def role(self, who: str) -> str:
        return f"{self.db}_{who}"

    def url(self, who: str) -> str:
        return self.pg.member_url(self.role(who), self.passwords[who]).replace(
            "dbname=postgres", f"dbname={self.db}")

    def super_url(self) -> str:
        return self.pg.super_url.replace("dbname=postgres", f"dbname={self.db}")


def make_team(pg, db: str = "main") -> Team:
    with pgstore.connect(pg.super_url, autocommit=True) as su:
        su.execute(f'CREATE DATABASE "{db}"')
    team = Team(pg, db, uuid.uuid4().hex, {n: MemberKeys.generate()
                                           for n in ("founder", "alice", "bob")})
    f = team.keys["founder"]
    with pgstore.connect(team.super_url()) as su:
        pgstore.install_schema(su, team.team_id, "Acme IT", f.fingerprint)
        for who in team.keys:
            team.passwords[who] = secrets.token_urlsafe(16)
            pgstore.create_login_role(su, team.role(who), team.passwords[who])
        pgstore.add_member_row(su, f.fingerprint, team.role("founder"), f.enc_public,
                               f.sign_public, True)
    chain = [S.found(team.team_id, "Acme IT", f)]
    state = S.fold(chain, team.team_id, f.fingerprint)
    for kind, body in [
        ("role_set", {"name": "tech-a", "customers": ["A"], "can": ["view"]}),
        ("role_set", {"name": "lead", "customers": "*", "can": ["view", "edit"]}),
        ("member_add", {**team.keys["alice"].public(), "role": "tech-a", "name": "alice"}),
        ("member_add", {**team.keys["bob"].public(), "role": "lead", "name": "bob"}),
    ]:
        st = S.next_statement(state, kind, body, f)
        S.apply(state, st)
        chain.append(st)
    with pgstore.connect(team.url("founder")) as conn:
        for st in chain:
            pgstore.put_statement(conn, st)
        for who in ("alice", "bob"):
            m = team.keys[who]
            pgstore.add_member_row(conn, m.fingerprint, team.role(who), m.enc_public,
                                   m.sign_public, False)
        grants = []
        for unit in ("A/", "B/"):
            team.unit_keys[unit] = crypto.random_key()
            customer = unit[0]
            for holder in state.holders(customer):
                grants.append(grant(team.team_id, unit, 1, team.unit_keys[unit], holder.enc_pub,
                                    holder.fp, f))
        pgstore.put_grants(conn, grants)
        for unit in ("A/", "B/"):
            rid = uuid.uuid4().hex
            team.rec[unit] = rid
            rec = seal_record(team.team_id, rid, "otp", unit[0], "", 1, 1,
                              {"secret": f"{unit[0]}-SECRET"}, team.unit_keys[unit], f)
            assert pgstore.push(conn, rec, None).ok
    return team

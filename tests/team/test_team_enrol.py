"""Invitation tokens through the real `otpc`: single use, 24 h (PostgreSQL's VALID UNTIL), bound to
one team; a malformed token, an unreachable database: one clear line each, nothing applied."""

import base64
import json

import pytest
import teamcli as tc


@pytest.fixture
def founded(pg, tmp_path):
    db = tc.new_database(pg)
    founder = tc.Tech("founder", tmp_path)
    founder.ok("init", "--kdf-ms", "1")
    founder.ok("team", "create", "--db", tc.super_url(pg, db), "--name", "Acme IT")
    founder.ok("team", "role", "add", "tech", "--all-customers", "--can", "view")
    return db, founder


def joiner(tmp_path, name):
    tech = tc.Tech(name, tmp_path)
    tech.ok("init", "--kdf-ms", "1")
    return tech


def no_team(tech) -> bool:
    r = tech.run("team", "status")
    return r.code == 1 and "belongs to no team" in r.err


def rewrite(token: str, **changes) -> str:
    body = token[len("otpc-invite-"):]
    data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    data.update(changes)
    raw = json.dumps(data).encode()
    return "otpc-invite-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def one_line(r, code=1):
    assert r.code == code and r.err.count("\n") == 1 and "Traceback" not in r.err, r.err
    return r.err


def test_join_prints_both_fingerprints_and_a_token_works_once(founded, tmp_path):
    _db, founder = founded
    token = founder.ok("team", "invite", "alice", "--role", "tech").strip()
    alice = joiner(tmp_path, "alice")
    out = alice.ok("team", "join", input=token + "\n")
    team_fp = json.loads(founder.ok("team", "status", "--json"))["team_fingerprint"]
    assert team_fp in out
    mallory = joiner(tmp_path, "mallory")
    err = one_line(mallory.run("team", "join", input=token + "\n"))
    assert "used already" in err and no_team(mallory)
    assert token not in err
    # approve needs the member's fingerprint: a wrong one is refused, nothing granted
    err = one_line(founder.run("team", "approve", "alice", "--fingerprint", "0000 1111"))
    assert "not approved" in err
    r = alice.run("team", "sync")
    assert r.code == 6 and "not approved yet" in r.err
    mine = json.loads(alice.ok("team", "status", "--json"))["fingerprint"]
    founder.ok("team", "approve", "alice", "--fingerprint", mine)
    alice.ok("team", "sync")
    assert json.loads(alice.ok("team", "status", "--json"))["role"] == "tech"


def test_expired_foreign_and_malformed_tokens_are_one_line_each(founded, pg, tmp_path):
    db, founder = founded
    alice = joiner(tmp_path, "alice")
    token = founder.ok("team", "invite", "alice", "--role", "tech").strip()
    err = one_line(alice.run("team", "join", input=rewrite(token, exp=1_000_000) + "\n"))
    assert "expired" in err and no_team(alice)
    err = one_line(alice.run("team", "join", input=rewrite(token, fp="0000 " * 9 + "0000") + "\n"))
    assert "another team" in err and no_team(alice)
    err = one_line(alice.run("team", "join", input=rewrite(token, team="f" * 32) + "\n"))
    assert "another team" in err and no_team(alice)
    for bad in ("hello", "otpc-invite-!!!", "otpc-invite-" + "e30"):
        err = one_line(alice.run("team", "join", input=bad + "\n"))
        assert "malformed" in err
    # PostgreSQL's own 24 h limit: the login expires even if the token's date is edited
    user = json.loads(base64.urlsafe_b64decode(
        token[12:] + "=" * (-len(token[12:]) % 4)))["conn"]["user"]
    with tc.superuser(pg, db) as su:
        su.execute(f"ALTER ROLE {user} VALID UNTIL '2001-01-01'")
    err = one_line(alice.run("team", "join", input=token + "\n"))
    assert "refused this invitation" in err and no_team(alice)
    with tc.superuser(pg, db) as su:  # nothing was applied: the invitation is still unjoined
        assert su.execute("SELECT joined FROM otpc.invites").fetchone() == (None,)


def test_unreachable_database_is_one_line_and_codes_keep_coming(founded, tmp_path):
    _db, founder = founded
    founder.ok("customer", "add", "CustA")
    founder.ok("entry", "add", "--customer", "CustA", "--title", "Mail")
    founder.ok("otp", "set", "CustA/Mail", input=tc.SECRET_A + "\n")
    from companion.vault import Vault

    vault = Vault.open(founder.vault)
    vault.unlock(tc.MASTER)
    session = vault.team()
    session.info["conn"]["port"] = "1"
    session.save_info()
    vault.close()
    err = one_line(founder.run("team", "sync"))
    assert "cannot reach the team database" in err
    assert founder.code("CustA/Mail", 1e9) == tc.totp(tc.SECRET_A, 1e9)

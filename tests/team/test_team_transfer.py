"""Issue 8: `otpc export` and `otpc import` of team entries, end to end through the real `otpc`
on a real PostgreSQL, with each member's vault opened directly and through a running companion.

founder (admin), alice (role tech-a: CustA, view only), bob (role lead: every customer, view,
reveal, edit, delete); see teamcli.make_team. An export is a reveal: a team entry's secret leaves
only with `reveal`, each one a signed `reveal` row in the team audit log; entries of a Password
Access Group outside the role never appear. An import into a team customer needs `edit`; the
entries become team records the other members get at their next sync."""

import json
import sys
from pathlib import Path

import pyotp
import pytest
import teamcli as tc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from companion_harness import RunningCompanion, free_port  # noqa: E402

AT = 1_700_000_000.0
SECRET_LOCAL = "MFRGGZDFMZTWQ2LKMFRGGZDFMZTWQ2LK"
SECRET_VIP = "ONSWG4TFORZWK3TUONSWG4TFORZWK3TU"


@pytest.fixture
def team(pg, tmp_path):
    team = tc.make_team(pg, tmp_path)
    founder = team.founder
    # A grouped entry of CustB that only tech-a's group may reach: bob (lead) never sees it.
    founder.ok("entry", "add", "--customer", "CustB", "--title", "Vault")
    founder.ok("otp", "set", "CustB/Vault", input=SECRET_VIP + "\n")
    founder.ok("team", "group", "add", "vip", "--roles", "tech-a")
    founder.ok("entry", "edit", "CustB/Vault", "--group", "vip")
    for tech in (team.alice, team.bob):
        tech.ok("team", "sync")
        tech.ok("customer", "add", "Home", "--local")
        tech.ok("entry", "add", "--customer", "Home", "--title", "Router")
        tech.ok("otp", "set", "Home/Router", input=SECRET_LOCAL + "\n")
    return team


@pytest.fixture(params=["direct", "companion"])
def mode(request, team, tmp_path):
    """Each member's `otpc` opens its vault file, or talks to its own running companion."""
    running = []
    if request.param == "companion":
        for tech in (team.founder, team.alice, team.bob):
            c = RunningCompanion(tech.vault, free_port(), tmp_path / f"{tech.name}.log", {})
            c.start(password=tc.MASTER, extra_env={"PGPASSWORD": ""})
            running.append(c)
    yield request.param
    for c in running:
        c.stop()


def uri(issuer: str, secret: str) -> str:
    return f"otpauth://totp/{issuer}:tech%40example.com?secret={secret}&issuer={issuer}\n"


def reveals(founder, member: str) -> list[str]:
    events = json.loads(founder.ok("team", "audit", "--member", member, "--json"))
    assert all(e["verified"] for e in events)
    return sorted(e["entry"] for e in events if e["action"] == "reveal")


def records(pg, db: str) -> set:
    with tc.superuser(pg, db) as su:
        return set(su.execute("SELECT record_id, kind, version FROM otpc.records").fetchall())


def test_export_reveals_only_what_the_role_may_and_audits_each_secret(team, mode, tmp_path):
    founder, alice, bob = team.founder, team.alice, team.bob
    out = tmp_path / "bob.txt"
    r = bob.run("export", "--format", "otpauth", "-o", str(out))
    assert r.code == 0, r.err
    text = out.read_text()
    assert all(s in text for s in (tc.SECRET_A, tc.SECRET_B, SECRET_LOCAL))
    assert SECRET_VIP not in text and "Vault" not in text  # outside his role's group
    assert "skipped" not in r.err
    assert out.stat().st_mode & 0o777 == 0o600
    # Each exported team secret is one signed reveal row (the local one is not the team's).
    # Direct: the export pushes them itself; a companion pushes at its next sync (every 5 s).
    assert wait_for(lambda: reveals(founder, "bob") == ["CustA/Mail", "CustB/Portal"])

    # alice may see CustA's codes but not reveal its secret: her export leaves it out, says so.
    mine = tmp_path / "alice.txt"
    r = alice.run("export", "--format", "otpauth", "-o", str(mine))
    assert r.code == 0, r.err
    assert "skipped: CustA/Mail: your team role may not reveal its secrets" in r.err
    text = mine.read_text()
    assert SECRET_LOCAL in text and tc.SECRET_A not in text and SECRET_VIP not in text
    # Only team entries she may not reveal: refused, exit 6, one line for it, no file.
    only = tmp_path / "alice-custa.txt"
    r = alice.run("export", "--format", "json", "--plain", "--customer", "CustA", "-o", str(only))
    assert r.code == 6 and not only.exists()
    assert r.err.strip().splitlines()[-1].endswith(
        "your team role may not reveal the secrets of the 1 team entry to export; "
        "nothing was exported")
    assert "Traceback" not in r.err
    assert reveals(founder, "alice") == []


def wait_for(predicate, seconds: float = 20.0):
    return tc.wait_for(predicate, seconds)


def pushed(tech) -> None:
    """Wait until nothing is queued (a companion pushes in its background round, at once)."""
    assert wait_for(lambda: json.loads(tech.ok("team", "status", "--json"))["pending_pushes"] == 0)


def test_import_into_a_team_customer_needs_edit_and_reaches_the_others(team, mode, pg, tmp_path):
    founder, alice, bob = team.founder, team.alice, team.bob
    secrets = {"Shop": pyotp.random_base32(32), "Bank": pyotp.random_base32(32)}
    src = tmp_path / "import.txt"
    hotp = pyotp.random_base32(32)
    src.write_text("".join(uri(name, s) for name, s in secrets.items())
                   + f"otpauth://hotp/Door:tech?secret={hotp}&issuer=Door&counter=5\n")

    # alice (view only at CustA): refused with exit 6, nothing in her vault nor in PostgreSQL.
    before_rows, before_titles = records(pg, team.db), alice.titles()
    r = alice.run("import", str(src), "--customer", "CustA")
    assert r.code == 6, r.err
    assert "may not add entries for customer 'CustA'" in r.err and "Traceback" not in r.err
    assert alice.titles() == before_titles
    assert json.loads(alice.ok("team", "status", "--json"))["pending_pushes"] == 0
    assert records(pg, team.db) == before_rows

    # bob (edit): the entries become team records of CustA, sealed and signed.
    r = bob.run("import", str(src), "--customer", "CustA", "--json")
    assert r.code == 0, r.err
    done = json.loads(r.out)
    assert done["imported"] == 3
    assert {item["title"] for item in done["items"]} == {"Shop", "Bank", "Door"}
    pushed(bob)
    added = records(pg, team.db) - before_rows
    assert sorted(kind for _rid, kind, _v in added) == ["entry"] * 3 + ["otp"] * 3
    # alice and the founder get them at their next sync (a companion's LISTEN wake-up, or
    # `otpc team sync`), with the codes of the secrets this test wrote into the file.
    for tech in (alice, founder):
        if mode == "direct":
            tech.ok("team", "sync")
        assert wait_for(lambda t=tech: {"CustA/Shop", "CustA/Bank"} <= t.titles())
        for name, secret in secrets.items():
            assert tech.code(f"CustA/{name}", AT) == pyotp.TOTP(secret).at(int(AT))
    # The HOTP counter starts where the file says, shared through PostgreSQL.
    for tech, counter in ((alice, 5), (founder, 6)):
        got = json.loads(tech.ok("code", "CustA/Door", "--json"))
        assert (got["counter"], got["code"]) == (counter, pyotp.HOTP(hotp).at(counter))

    # A second import of the same file: the team OTPs are duplicates now, nothing is added.
    r = bob.run("import", str(src), "--customer", "CustA", "--json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["duplicates"] == 3
    assert records(pg, team.db) == before_rows | added

    # A customer the import creates stays in bob's vault: an import never shares by itself.
    other = tmp_path / "other.txt"
    other.write_text(uri("Forum", pyotp.random_base32(32)))
    r = bob.run("import", str(other), "--customer", "Private", "--json")
    assert r.code == 0, r.err
    assert "Private/Forum" in bob.titles()
    pushed(bob)
    assert records(pg, team.db) == before_rows | added
    founder.ok("team", "sync")
    assert not any(t.startswith("Private/") for t in founder.titles())


def test_export_of_team_entries_imports_into_a_fresh_vault_with_the_same_codes(team, mode,
                                                                                tmp_path):
    bob = team.bob
    out = tmp_path / "bob.json"
    bob.ok("export", "--format", "json", "--plain", "-o", str(out))
    fresh = tc.Tech("fresh", tmp_path)
    fresh.ok("init", "--kdf-ms", "1")
    fresh.ok("import", str(out))
    assert fresh.titles() == bob.titles() == {"CustA/Mail", "CustB/Portal", "Home/Router"}
    for ref in ("CustA/Mail", "CustB/Portal", "Home/Router"):
        assert fresh.code(ref, AT) == bob.code(ref, AT)
    assert fresh.code("CustA/Mail", AT) == pyotp.TOTP(tc.SECRET_A).at(int(AT))

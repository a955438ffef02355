"""Team mode through three real companion processes (`otpc serve`) on a cluster of their own:
the HTTP API lists and codes team entries, answers 403 for what the role does not allow, picks a
change up from the LISTEN wake-up, keeps giving codes with PostgreSQL stopped, queues edits that
push after a restart, and never shows a wrong code after a superuser tampers with rows."""

import json
import sys
from pathlib import Path

import pytest
import teamcli as tc
from pgcluster import Cluster

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from companion_harness import RunningCompanion, free_port  # noqa: E402

AT = 1_700_000_000.0


@pytest.fixture
def own_pg():
    """A cluster this test may stop and restart."""
    cluster = Cluster().start()
    yield cluster
    cluster.stop()


def start_companions(team, tmp_path):
    running = {}
    for tech in (team.founder, team.alice, team.bob):
        c = RunningCompanion(tech.vault, free_port(), tmp_path / f"{tech.name}.log", {})
        c.start(password=tc.MASTER, extra_env={"PGPASSWORD": ""})
        running[tech.name] = c
    return running


def wait_for(predicate, seconds=20.0):
    return tc.wait_for(predicate, seconds)


def restart(pg):
    pg._run(pg.bin / "pg_ctl", "-D", pg.data, "-w", "-l", pg.root / "log", "start", "-o",
            f"-p {pg.port} -k {pg.root} -c listen_addresses=127.0.0.1 -c fsync=off")


def test_three_companions_api_403_wakeup_offline_and_tampering(own_pg, tmp_path):
    team = tc.make_team(own_pg, tmp_path)
    companions = start_companions(team, tmp_path)
    try:
        alice_api = companions["alice"].paired_client()
        status, body = alice_api.call("/v1/entries", {})
        assert status == 200
        [mail] = body["entries"]
        assert (mail["customer"], mail["title"], mail["team"]["can"]) == ("CustA", "Mail",
                                                                           ["view"])
        status, body = alice_api.call("/v1/code", {"entry_id": mail["id"]})
        assert status == 200 and body["code"] == tc.totp(tc.SECRET_A, body["server_time"])
        status, body = alice_api.call("/v1/password/reveal", {"entry_id": mail["id"]})
        assert status == 403 and body["error"] == "forbidden"
        status, body = alice_api.call("/v1/otp/delete", {"entry_id": mail["id"]})
        assert status == 403
        portal = json.loads(team.bob.ok("entry", "show", "CustB/Portal", "--json"))["id"]
        status, _ = alice_api.call("/v1/code", {"entry_id": portal})
        assert status == 404  # B's entry does not exist for her

        # A change on bob's machine reaches alice's companion through the wake-up, no sync asked.
        team.bob.ok("otp", "set", "CustA/Mail", "--yes", input=tc.SECRET_NEW + "\n")
        wait_for(lambda: team.alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_NEW, AT))

        # PostgreSQL stopped: codes still come from the replica; bob's edit queues.
        own_pg._run(own_pg.bin / "pg_ctl", "-D", own_pg.data, "-m", "fast", "-w", "stop")
        assert team.alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_NEW, AT)
        team.bob.ok("otp", "set", "CustA/Mail", "--yes", input=tc.SECRET_B + "\n")
        bob_status = json.loads(team.bob.ok("team", "status", "--json"))
        assert bob_status["pending_pushes"] == 1 and bob_status["connected"] is False
        r = team.alice.run("team", "sync")
        assert r.code == 1 and r.err.count("\n") == 1 and "team database" in r.err
        alice_status = json.loads(team.alice.ok("team", "status", "--json"))
        assert alice_status["offline_since"] is not None
        restart(own_pg)
        # bob's companion pushes the queued edit by itself; alice's pulls it.
        wait_for(lambda: team.alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_B, AT), 40)
        assert json.loads(team.bob.ok("team", "status", "--json"))["pending_pushes"] == 0

        # A hostile superuser swaps A's OTP ciphertext with B's: refused, never a wrong code.
        with tc.superuser(own_pg, team.db) as su:
            rows = dict(su.execute("SELECT unit, ciphertext FROM otpc.records"
                                   " WHERE kind = 'otp'").fetchall())
            a_unit = next(u for u in rows if u.startswith(mail["customer_id"]))
            b_unit = next(u for u in rows if u != a_unit)
            su.execute("UPDATE otpc.records SET ciphertext = %s,"
                       " change_xid = pg_current_xact_id() WHERE unit = %s AND kind = 'otp'",
                       (rows[b_unit], a_unit))
        team.alice.run("team", "sync")  # (its companion may have pulled the row already)
        assert team.alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_B, AT)
        problems = json.loads(team.alice.ok("team", "status", "--json"))["problems"]
        assert any("signature is invalid" in p for p in problems)
        for c in companions.values():
            assert tc.SECRET_A not in c.log() and tc.SECRET_NEW not in c.log()
    finally:
        for c in companions.values():
            c.stop()

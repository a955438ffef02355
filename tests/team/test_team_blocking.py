"""PostgreSQL off the companion's event loop (issue 8): a superuser holds an ACCESS EXCLUSIVE lock
on otpc.records, so the companion's sync round is stuck inside its pull; while pg_stat_activity
shows that query still waiting, the companion's signed HTTP /v1/code and `otpc code` answer from
the replica, `otpc team status` answers, and a control op waiting for its turn does not hold the
loop either. Once the lock goes, the queued edits land and the replica catches up. Real companion
process, real vaults, real PostgreSQL; no timed assert (the HTTP client's 10 s socket timeout only
keeps a regression from hanging the suite)."""

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import teamcli as tc

from companion.team.schema import WAKE_CHANNEL

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from companion_harness import RunningCompanion, free_port  # noqa: E402

AT = 1_700_000_000.0


wait_for = tc.wait_for


def waiting_on_lock(su, login: str) -> list[str]:
    """Queries of `login` blocked on a heavyweight lock right now (`su` outside a transaction:
    inside one, pg_stat_activity is a snapshot taken at its first read)."""
    return [q for (q,) in su.execute(
        "SELECT query FROM pg_stat_activity WHERE usename = %s AND wait_event_type = 'Lock'",
        (login,)).fetchall()]


def test_codes_answer_while_the_sync_is_stuck_on_a_locked_table(pg, tmp_path):
    team = tc.make_team(pg, tmp_path, with_bob=False)
    alice = team.alice
    login = alice.db_login()["user"]
    companion = RunningCompanion(alice.vault, free_port(), tmp_path / "alice.log", {})
    companion.start(password=tc.MASTER, extra_env={"PGPASSWORD": ""})
    holder, observer = tc.superuser(pg, team.db), tc.superuser(pg, team.db)
    founder_edit = team_sync = None
    try:
        api = companion.paired_client()
        status, body = api.call("/v1/entries", {})
        assert status == 200
        [mail] = body["entries"]

        holder.execute("BEGIN")
        holder.execute("LOCK TABLE otpc.records IN ACCESS EXCLUSIVE MODE")
        # the founder's edit blocks on the lock too: it lands once the lock goes
        founder_edit = subprocess.Popen(
            [str(tc.OTPC), "--vault", str(team.founder.vault), "otp", "set", "CustA/Mail",
             "--yes"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=team.founder.env())
        founder_edit.stdin.write(tc.SECRET_NEW + "\n")
        founder_edit.stdin.close()
        # alice's companion syncs every 5 s by itself: its pull now waits on the lock
        stuck = wait_for(lambda: [q for q in waiting_on_lock(observer, login)
                                  if "otpc.records" in q])
        assert stuck

        status, body = api.call("/v1/code", {"entry_id": mail["id"]})
        assert status == 200 and body["code"] == tc.totp(tc.SECRET_A, body["server_time"])
        assert alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)  # via the companion
        assert json.loads(alice.ok("team", "status", "--json"))["records"] > 0
        # a control op needs PostgreSQL: it waits for its turn in a worker thread, not on the loop
        team_sync = subprocess.Popen(
            [str(tc.OTPC), "--vault", str(alice.vault), "team", "sync"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=alice.env())
        time.sleep(1.0)  # (give it time to reach the companion; no assert depends on this)
        status, body = api.call("/v1/code", {"entry_id": mail["id"]})
        assert status == 200 and body["code"] == tc.totp(tc.SECRET_A, body["server_time"])
        assert alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_A, AT)
        # ... and all of that while the round is provably still stuck
        assert [q for q in waiting_on_lock(observer, login) if "otpc.records" in q]
        assert team_sync.poll() is None

        holder.execute("ROLLBACK")
        assert founder_edit.wait(60) == 0, founder_edit.stderr.read()
        assert team_sync.wait(60) == 0, team_sync.stderr.read()
        wait_for(lambda: alice.code("CustA/Mail", AT) == tc.totp(tc.SECRET_NEW, AT))
        status, body = api.call("/v1/code", {"entry_id": mail["id"]})
        assert status == 200 and body["code"] == tc.totp(tc.SECRET_NEW, body["server_time"])
        assert tc.SECRET_A not in companion.log() and tc.SECRET_NEW not in companion.log()
    finally:
        holder.close()
        observer.close()
        for p in (founder_edit, team_sync):
            if p is not None and p.poll() is None:
                p.kill()
        companion.stop()


def test_a_moved_or_deleted_row_is_noticed_on_notify_not_30_s_later(pg, tmp_path):
    """With the periodic moved/dropped check pushed out to an hour, the companion still forgets
    an entry moved out of its member's reach, and reports a row the server deleted, because
    PostgreSQL's "scan" wake-up makes the next round check at once."""
    team = tc.make_team(pg, tmp_path, with_bob=False)
    team.founder.ok("team", "group", "add", "vip", "--roles", "lead")
    companion = RunningCompanion(team.alice.vault, free_port(), tmp_path / "alice.log", {})
    companion.start(password=tc.MASTER,
                    extra_env={"PGPASSWORD": "", "OTPC_TEAM_SCAN_SECONDS": "3600"})
    try:
        api = companion.paired_client()

        def titles() -> set[str]:
            status, body = api.call("/v1/entries", {})
            assert status == 200
            return {f"{e['customer']}/{e['title']}" for e in body["entries"]}

        assert titles() == {"CustA/Mail"}
        team.founder.ok("entry", "add", "--customer", "CustA", "--title", "Wiki")
        wait_for(lambda: titles() == {"CustA/Mail", "CustA/Wiki"})  # a round ran, roles known
        team.founder.ok("entry", "edit", "CustA/Mail", "--group", "vip")  # out of alice's reach
        wait_for(lambda: titles() == {"CustA/Wiki"})

        wiki = json.loads(team.founder.ok("entry", "show", "CustA/Wiki", "--json"))["id"]
        with tc.superuser(pg, team.db) as su:  # a server dropping a row: reported, not silent
            su.execute("DELETE FROM otpc.records WHERE record_id = %s", (wiki,))

        def dropped() -> bool:
            problems = json.loads(team.alice.ok("team", "status", "--json"))["problems"]
            return any("dropped by the server" in p for p in problems)

        wait_for(dropped)
    finally:
        companion.stop()


def test_a_team_hotp_code_stuck_on_a_locked_counter_stalls_only_itself(pg, tmp_path):
    """A HOTP code of a team entry advances its counter in PostgreSQL: with otpc.hotp_counters
    locked, that /v1/code request waits (pg_stat_activity shows it), while a TOTP /v1/code and
    /v1/status on the same companion answer; once the lock goes it gets the right code."""
    from companion import otp
    from companion.otp import OtpParams

    team = tc.make_team(pg, tmp_path, with_bob=False)
    team.founder.ok("entry", "add", "--customer", "CustA", "--title", "VPN")
    team.founder.ok("otp", "set", "CustA/VPN", "--type", "hotp", "--counter", "5",
                    input=tc.SECRET_B + "\n")
    alice = team.alice
    login = alice.db_login()["user"]
    companion = RunningCompanion(alice.vault, free_port(), tmp_path / "alice.log", {})
    companion.start(password=tc.MASTER, extra_env={"PGPASSWORD": ""})
    holder, observer = tc.superuser(pg, team.db), tc.superuser(pg, team.db)
    hotp: dict = {}
    asker = None
    try:
        api = companion.paired_client()

        def entries() -> dict:
            status, body = api.call("/v1/entries", {})
            assert status == 200
            return {e["title"]: e["id"] for e in body["entries"]}

        ids = wait_for(lambda: (found := entries()) and "VPN" in found and found)
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE otpc.hotp_counters IN ACCESS EXCLUSIVE MODE")

        def ask() -> None:
            hotp["reply"] = api.call("/v1/code", {"entry_id": ids["VPN"]})

        asker = threading.Thread(target=ask, daemon=True)
        asker.start()
        assert wait_for(lambda: [q for q in waiting_on_lock(observer, login)
                                 if "otpc.hotp_counters" in q])

        def ask_cli() -> None:  # `otpc code` of the same entry, through the control socket
            from companion.cli.control import ask as control

            hotp["cli"] = control(alice.vault, {"op": "code", "vault": str(alice.vault),
                                                "entry": "CustA/VPN"}, timeout=60)

        cli_asker = threading.Thread(target=ask_cli, daemon=True)
        cli_asker.start()
        assert wait_for(lambda: len([q for q in waiting_on_lock(observer, login)
                                     if "otpc.hotp_counters" in q]) == 2)
        assert (companion.control({"op": "status"}) or {}).get("ok")  # the socket answers too

        status, body = api.call("/v1/code", {"entry_id": ids["Mail"]})
        assert status == 200 and body["code"] == tc.totp(tc.SECRET_A, body["server_time"])
        status, body = api.call("/v1/status", {})
        assert status == 200 and body["locked"] is False
        # ... while the HOTP request is provably still waiting on the lock
        assert [q for q in waiting_on_lock(observer, login) if "otpc.hotp_counters" in q]
        assert "reply" not in hotp and "cli" not in hotp

        holder.execute("ROLLBACK")
        asker.join(30)
        cli_asker.join(30)
        status, body = hotp["reply"]
        assert status == 200, body
        assert hotp["cli"]["ok"], hotp["cli"]
        # two technicians' worth of codes: distinct consecutive counters, each the right code
        got = {body["counter"]: body["code"], hotp["cli"]["counter"]: hotp["cli"]["code"]}
        assert got == {n: otp.code(OtpParams(type="hotp", secret=tc.SECRET_B, counter=n), 0)
                       for n in (5, 6)}
        status, body = api.call("/v1/code", {"entry_id": ids["VPN"]})  # the counter moved on
        assert status == 200 and body["counter"] == 7
        assert tc.SECRET_B not in companion.log()
    finally:
        holder.close()
        observer.close()
        companion.stop()
        if asker is not None:
            asker.join(15)


def test_a_team_customer_and_a_move_wait_for_a_stuck_round_off_the_loop(pg, tmp_path):
    """An admin's new team customer and a move to another customer made through the HTTP API
    need the server's state first: with the founder's sync round stuck on a locked otpc.records
    (pg_stat_activity shows it), both requests wait their turn in a worker thread while a TOTP
    /v1/code and /v1/status answer; once the lock goes both complete."""
    team = tc.make_team(pg, tmp_path, with_bob=False)
    founder = team.founder
    login = founder.db_login()["user"]
    companion = RunningCompanion(founder.vault, free_port(), tmp_path / "founder.log", {})
    companion.start(password=tc.MASTER, extra_env={"PGPASSWORD": ""})
    holder, observer = tc.superuser(pg, team.db), tc.superuser(pg, team.db)
    replies: dict = {}
    askers: list[threading.Thread] = []
    try:
        api = companion.paired_client()
        status, body = api.call("/v1/entries", {})
        assert status == 200
        ids = {e["title"]: e["id"] for e in body["entries"]}
        status, body = api.call("/v1/customers", {})
        cust_b = next(c["id"] for c in body["customers"] if c["name"] == "CustB")

        holder.execute("BEGIN")
        holder.execute("LOCK TABLE otpc.records IN ACCESS EXCLUSIVE MODE")
        # a round now (the wake-up a change would send), not only at the next 5 s tick
        observer.execute(f"NOTIFY {WAKE_CHANNEL}")
        assert wait_for(lambda: [q for q in waiting_on_lock(observer, login)
                                 if "otpc.records" in q])  # the round is stuck

        def ask(name: str, path: str, obj: dict) -> None:
            replies[name] = api.call(path, obj)

        for args in (("create", "/v1/customers/create", {"name": "CustC"}),
                     ("move", "/v1/entries/update",
                      {"entry_id": ids["Mail"], "customer_id": cust_b})):
            askers.append(threading.Thread(target=ask, args=args, daemon=True))
            askers[-1].start()
        time.sleep(1.0)  # (give them time to reach the companion; no assert depends on this)

        status, body = api.call("/v1/code", {"entry_id": ids["Portal"]})
        assert status == 200 and body["code"] == tc.totp(tc.SECRET_B, body["server_time"])
        status, body = api.call("/v1/status", {})
        assert status == 200 and body["locked"] is False
        assert [q for q in waiting_on_lock(observer, login) if "otpc.records" in q]
        assert replies == {}

        holder.execute("ROLLBACK")
        for t in askers:
            t.join(60)
        status, body = replies["create"]
        assert status == 200 and body["customer"]["name"] == "CustC", body
        status, body = replies["move"]
        assert status == 200 and body["entry"]["customer"] == "CustB", body
        status, body = api.call("/v1/customers", {})
        assert "CustC" in {c["name"] for c in body["customers"]}
        status, body = api.call("/v1/code", {"entry_id": ids["Mail"]})
        assert status == 200 and body["code"] == tc.totp(tc.SECRET_A, body["server_time"])
    finally:
        holder.close()
        observer.close()
        companion.stop()
        for t in askers:
            t.join(15)

"""Team sync figures through the product path (issue 8): 25 members, 500 customers, 10,000 entries
with OTP secrets, on a throwaway PostgreSQL cluster and real vault files (TeamVault + TeamSession:
the replica sealed in each vault, as `otpc` and the companion use it; KDF at its floor, so the
figures exclude it). bench/team_sync.py measures the library alone.

Prints: join + first sync of a new member; a change on A visible on B (A pushes, B is woken by
LISTEN/NOTIFY and pulls), p50/p95 over 30 changes; revoking a member who held every unit (new epochs,
10,000 records re-sealed); bytes in PostgreSQL per entry; pushing an import of 1,000 new entries
(2,000 queued new records) one at a time as before and in batches now, in the same run.

    .venv/bin/python bench/team_session.py [--members 25 --customers 500 --entries 10000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "team"))
sys.path.insert(0, str(ROOT))

from pgcluster import Cluster  # noqa: E402

from companion import crypto  # noqa: E402
from companion.otp import OtpParams  # noqa: E402
from companion.team import enrol, pgstore  # noqa: E402
from companion.team.records import seal_record  # noqa: E402
from companion.team.schema import WAKE_CHANNEL  # noqa: E402
from companion.team.units import grant  # noqa: E402
from companion.vault import Vault  # noqa: E402
from companion.vault.model import otp_content  # noqa: E402

PASSWORD = "bench master password"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def new_vault(root: Path, name: str):
    path = root / name / "vault.sqlite"
    Vault.create(path, PASSWORD, kdf_ms=1).close()
    vault = Vault.open(path)
    vault.unlock(PASSWORD)
    return vault


def admin_url(pg) -> str:
    import psycopg

    with psycopg.connect(pg.super_url, autocommit=True) as su:
        su.execute("ALTER ROLE postgres PASSWORD 'bench'")
        su.execute("CREATE DATABASE bench")
    return f"postgresql://postgres:bench@127.0.0.1:{pg.port}/bench"


def fill(session, customers: int, entries: int) -> None:
    """Customers, entries and OTP records written in bulk by the founder (what years of
    `otpc customer add` / `entry add` / `otp set` would leave)."""
    me, state = session.me, session.state
    per = entries // customers
    otp = otp_content(OtpParams(secret=SECRET))
    with session.connect() as conn, conn.transaction(), conn.cursor() as cur:
        for c in range(customers):
            cid = uuid.uuid4().hex
            unit, key = f"{cid}/", crypto.random_key()
            pgstore.put_grants(conn, [grant(session.team_id, unit, 1, key, m.enc_pub, m.fp, me)
                                      for m in state.holders(cid)])
            recs = [seal_record(session.team_id, cid, "customer", cid, "", 1, 1,
                                {"name": f"Customer {c:04d}", "notes": ""}, key, me)]
            for e in range(per):
                eid, oid = uuid.uuid4().hex, uuid.uuid4().hex
                recs.append(seal_record(session.team_id, eid, "entry", cid, "", 1, 1, {
                    "title": f"Entry {e:03d}", "username": "tech", "password": "",
                    "urls": [f"https://login{c}.example"], "notes": "", "tags": []}, key, me))
                recs.append(seal_record(session.team_id, oid, "otp", cid, "", 1, 1,
                                        {"entry": eid, "otp": otp}, key, me))
            cur.executemany(
                "INSERT INTO otpc.records (record_id, version, unit, epoch, kind, author,"
                " ciphertext, signature) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(r.record_id, r.version, r.unit, r.epoch, r.kind, r.author, r.ciphertext,
                  r.signature) for r in recs])


def enrol_member(founder, vault, name: str, role: str) -> float:
    """Seconds from `join` to the end of the member's first sync (approval included)."""
    from companion.team import commands

    token = enrol.invite(founder, name, role)["token"]
    start = time.perf_counter()
    commands.join(vault, token)
    fp = vault.team().me.fingerprint
    enrol.approve(founder, name, fp)
    vault.team().sync()
    return time.perf_counter() - start


def change_latency(a_vault, b_vault, rounds: int) -> list[float]:
    import psycopg

    from companion.team.session import conninfo

    b = b_vault.team()
    entry = next(e for e in a_vault.entries() if e.has_otp)
    out = []
    with psycopg.connect(conninfo(b.info["conn"]), autocommit=True) as listen:
        listen.execute(f"LISTEN {WAKE_CHANNEL}")
        for i in range(rounds):
            secret = crypto.random_key()[:20]
            import base64

            params = OtpParams(secret=base64.b32encode(secret).decode())
            start = time.perf_counter()
            a_vault.set_otp(entry.id, params)
            for _ in listen.notifies(timeout=5, stop_after=1):
                pass
            while True:
                b.sync()
                view = b_vault.team_view()
                if view.otps.get(entry.id, ("", {}))[1].get("secret") == params.secret:
                    break
            out.append(time.perf_counter() - start)
            del i
    return out


def import_push(session, entries: int, batch: int) -> float:
    """Seconds for the sync that pushes what `otpc import` of `entries` entries with OTP secrets
    queues into one team customer (an entry and an OTP record each, as transfer.queue_entries),
    with outbox.BATCH = `batch` (1: one record per transaction, as before issue 8)."""
    from companion.team import outbox
    from companion.team.actions import _queue

    unit = next(u for u, _e in session.replica.unit_keys if u.endswith("/"))
    otp = otp_content(OtpParams(secret=SECRET))
    with session.store.store.write():
        for e in range(entries):
            eid = uuid.uuid4().hex
            _queue(session, eid, "entry", unit, {
                "title": f"Imported {batch}-{e:04d}", "username": "tech", "password": "",
                "urls": [], "notes": "", "tags": []})
            _queue(session, uuid.uuid4().hex, "otp", unit, {"entry": eid, "otp": otp})
    saved, outbox.BATCH = outbox.BATCH, batch
    try:
        start = time.perf_counter()
        out = session.sync()
        took = time.perf_counter() - start
    finally:
        outbox.BATCH = saved
    assert out["pushed"] == 2 * entries and not session.outbox.pending, out
    return took


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=25)
    ap.add_argument("--customers", type=int, default=500)
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=30)
    ap.add_argument("--import-entries", type=int, default=1000)
    args = ap.parse_args()
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the cluster on a kill too
    pg = Cluster().start()
    root = Path(tempfile.mkdtemp(prefix="otpc-team-bench-"))
    try:
        url = admin_url(pg)
        fv = new_vault(root, "founder")
        from companion.team import access, commands

        commands.create(fv, url, "Bench IT", "founder")
        founder = fv.team()
        access.change(founder, "role_set", {"name": "lead", "customers": "*",
                                             "can": ["view", "reveal", "edit", "delete"]})
        t = time.perf_counter()
        fill(founder, args.customers, args.entries)
        founder.sync()
        print(f"setup: {args.customers} customers, {args.entries} entries written and pulled "
              f"by the founder in {time.perf_counter() - t:.1f} s")
        vaults = {}
        joins = []
        for i in range(args.members - 1):
            name = f"tech{i:02d}"
            vaults[name] = new_vault(root, name)
            joins.append(enrol_member(founder, vaults[name], name, "lead"))
        print(f"join + first sync ({args.entries} entries, KDF excluded): "
              f"median {statistics.median(joins):.2f} s, last {joins[-1]:.2f} s, "
              f"max {max(joins):.2f} s  (goal < 5 s)")
        lat = change_latency(vaults["tech00"], vaults["tech01"], args.changes)
        lat.sort()
        p95 = lat[max(0, int(len(lat) * 0.95) - 1)]
        print(f"change on A visible on B: p50 {statistics.median(lat) * 1000:.0f} ms, "
              f"p95 {p95 * 1000:.0f} ms  (goal p95 < 1 s)")
        founder.sync()
        t = time.perf_counter()
        out = access.revoke(founder, f"tech{args.members - 2:02d}")  # the last one enrolled
        print(f"revoke a member holding all {args.customers} units: "
              f"{time.perf_counter() - t:.1f} s, {len(out['exposed'])} secrets listed as "
              "exposed  (goal < 10 s)")
        with pgstore.connect(url) as su:
            size = su.execute("SELECT pg_total_relation_size('otpc.records')"
                              " + pg_total_relation_size('otpc.grants')").fetchone()[0]
            grants = su.execute("SELECT count(*) FROM otpc.grants").fetchone()[0]
        print(f"PostgreSQL: {size / args.entries:.0f} bytes per entry (records with their OTP "
              f"secret records, plus {grants} unit-key grants), {size / 1e6:.1f} MB in all")
        if args.import_entries:
            from companion.team.outbox import BATCH

            n = args.import_entries
            before = import_push(founder, n, 1)
            after = import_push(founder, n, BATCH)
            print(f"push of an import of {n} entries ({2 * n} new records) in one sync: "
                  f"{before:.2f} s one per transaction (before), {after:.2f} s in batches of "
                  f"{BATCH} (now)")
    finally:
        pg.stop()


if __name__ == "__main__":
    main()

"""Team sync at scale: 25 members, 500 customers, 10,000 entries on a throwaway PostgreSQL.
Prints figures; asserts nothing.

Run: .venv/bin/python bench/team_sync.py [--members 25 --customers 500 --entries 10000]

- join + first sync: member_add statement + 500 unit-key grants (one batch, as `approve` makes
  them) by the admin, then the new member's first pull (fold statements, open grants, verify +
  decrypt every record). No KDF.
- change on A visible on B: A pushes a new version; B, LISTENing, wakes and pulls incrementally.
- revoke a member who held every unit: statement, 500 units rotated, every record re-sealed.
- bytes in PostgreSQL per entry (records table incl. index and TOAST; all otpc tables).

Wall-clock seconds depend on how loaded the machine is, so each step also prints this process's
CPU seconds and the load average, and the join is compared with its floor measured in the same
process: verifying one Ed25519 signature per record, which no correct first sync can skip.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "team"))

from pgcluster import Cluster  # noqa: E402

from companion import crypto  # noqa: E402
from companion.team import pgstore  # noqa: E402
from companion.team import statements as S  # noqa: E402
from companion.team.keys import MemberKeys  # noqa: E402
from companion.team.records import seal_record  # noqa: E402
from companion.team.sync import Replica, pull, revoke_member  # noqa: E402
from companion.team.units import grant_many, unit_id  # noqa: E402


def server_cpu(pg) -> float:
    """CPU seconds PostgreSQL has used: its processes', plus (in the postmaster's cutime/cstime)
    those of backends that have exited. Read from /proc (the bench runs on the same machine)."""
    postmaster = int((pg.data / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class Step:
    """Wall and CPU seconds of one step: this process's, and PostgreSQL's. Their sum is the work
    the step does; on a loaded machine the wall clock also counts waiting for a core."""

    def __init__(self, pg) -> None:
        self.pg = pg

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.db = server_cpu(self.pg)
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.db = server_cpu(self.pg) - self.db

    def __str__(self):
        return (f"{self.wall:.2f} s wall; CPU {self.cpu:.2f} s here + {self.db:.2f} s in "
                f"PostgreSQL (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")


def verify_floor(n: int) -> float:
    """CPU seconds for n bare Ed25519 verifications (one key, one message) in this process."""
    m = MemberKeys.generate()
    msg = b"x" * 300
    sig = m.sign(msg)
    start = time.process_time()
    for _ in range(n):
        crypto.ed25519_verify(m.sign_public, sig, msg)
    return time.process_time() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=25)
    ap.add_argument("--customers", type=int, default=500)
    ap.add_argument("--entries", type=int, default=10_000)
    ap.add_argument("--changes", type=int, default=40)
    args = ap.parse_args()
    pg = Cluster().start()
    try:
        run(pg, args)
    finally:
        pg.stop()


def run(pg: Cluster, args) -> None:
    team_id = uuid.uuid4().hex
    people = [MemberKeys.generate() for _ in range(args.members)]
    founder = people[0]
    passwords = {i: uuid.uuid4().hex for i in range(args.members + 1)}
    role = {i: f"m{i}" for i in range(args.members + 1)}

    def url(i):
        return pg.member_url(role[i], passwords[i])

    with pgstore.connect(pg.super_url) as su:
        pgstore.install_schema(su, team_id, "Bench", founder.fingerprint)
        for i in role:
            pgstore.create_login_role(su, role[i], passwords[i])
        pgstore.add_member_row(su, founder.fingerprint, role[0], founder.enc_public,
                               founder.sign_public, True)
    state = S.fold([S.found(team_id, "Bench", founder)], team_id, founder.fingerprint)
    chain = [S.found(team_id, "Bench", founder)]

    def state_add(kind, body):
        st = S.next_statement(state, kind, body, founder)
        S.apply(state, st)
        chain.append(st)
        return st

    state_add("role_set", {"name": "tech", "customers": "*", "can": ["view", "edit"]})
    for m in people[1:]:
        state_add("member_add", {**m.public(), "role": "tech"})
    customers = [uuid.uuid4().hex for _ in range(args.customers)]
    ukeys = {unit_id(c): crypto.random_key() for c in customers}
    t0 = time.perf_counter()
    with pgstore.connect(url(0)) as conn:
        for st in chain:
            pgstore.put_statement(conn, st)
        for i, m in enumerate(people[1:], start=1):
            pgstore.add_member_row(conn, m.fingerprint, role[i], m.enc_public, m.sign_public,
                                   False)
        unit_keys = [(u, 1, k) for u, k in ukeys.items()]
        grants = [g for m in people
                  for g in grant_many(team_id, unit_keys, m.enc_public, m.fingerprint, founder)]
        pgstore.put_grants(conn, grants)
        rows = []
        for n in range(args.entries):
            c = customers[n % len(customers)]
            rec = seal_record(team_id, uuid.uuid4().hex, "otp", c, "", 1, 1,
                              {"type": "totp", "secret": "JBSWY3DPEHPK3PXP", "n": n},
                              ukeys[unit_id(c)], founder)
            rows.append((rec.record_id, rec.version, rec.unit, rec.epoch, rec.kind, rec.author,
                         rec.ciphertext, rec.signature))
        # one statement: executemany would re-check the RLS grants subquery for every row
        conn.execute("INSERT INTO otpc.records (record_id, version, unit, epoch, kind, author,"
                     " ciphertext, signature) SELECT * FROM unnest(%b::text[], %b::int[],"
                     " %b::text[], %b::int[], %b::text[], %b::text[], %b::bytea[], %b::bytea[])",
                     [list(c) for c in zip(*rows, strict=True)])
        conn.commit()
    print(f"seed: {args.members} members, {args.customers} customers, {args.entries} entries "
          f"({len(grants)} grants) in {time.perf_counter() - t0:.1f} s")

    # join + first sync
    newbie = MemberKeys.generate()
    idx = args.members
    with Step(pg) as join:
        with Step(pg) as admin, pgstore.connect(url(0)) as conn:
            pgstore.put_statement(conn, state_add("member_add",
                                                  {**newbie.public(), "role": "tech"}))
            pgstore.add_member_row(conn, newbie.fingerprint, role[idx], newbie.enc_public,
                                   newbie.sign_public, False)
            pgstore.put_grants(conn, grant_many(team_id, unit_keys, newbie.enc_public,
                                                newbie.fingerprint, founder))
        replica = Replica(team_id, founder.fingerprint)
        with pgstore.connect(url(idx)) as conn:
            problems = pull(conn, newbie, replica)
    floor = verify_floor(len(replica.contents))
    print(f"join + first sync: {join} (admin's statement and grants {admin.wall:.2f} s; "
          f"{len(replica.contents)} records verified, {len(problems)} problems); "
          f"floor: {len(replica.contents)} bare Ed25519 verifications take {floor:.2f} s CPU "
          f"here, so the join costs {join.cpu / floor:.2f}x that floor")

    # change on A visible on B
    b = people[1]
    b_replica = Replica(team_id, founder.fingerprint)
    with pgstore.connect(url(1)) as conn:
        pull(conn, b, b_replica)
    target = next(iter(b_replica.contents.values()))[0]
    latencies = []
    with pgstore.connect(url(1), autocommit=True) as listener, pgstore.connect(url(0)) as writer:
        listener.execute("LISTEN otpc_team")
        with pgstore.connect(url(1)) as b_conn:
            version = target.version
            for n in range(args.changes):
                rec = seal_record(team_id, target.record_id, "otp", target.customer, "", 1,
                                  version + 1, {"type": "totp", "secret": "NEW", "n": n},
                                  ukeys[target.unit], founder)
                seen = threading.Event()
                start = time.perf_counter()
                pgstore.push(writer, rec, version)
                writer.commit()
                for _ in listener.notifies(timeout=5, stop_after=1):
                    pass
                while not seen.is_set():
                    pull(b_conn, b, b_replica)
                    if b_replica.versions.get(target.record_id) == version + 1:
                        seen.set()
                latencies.append(time.perf_counter() - start)
                version += 1
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(f"change on A visible on B: p50 {statistics.median(latencies) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms ({args.changes} changes)")

    # revoke a member who held every unit
    f_replica = Replica(team_id, founder.fingerprint)
    with pgstore.connect(url(0)) as conn:
        pull(conn, founder, f_replica)
        with Step(pg) as revoke:
            exposed = revoke_member(conn, founder, f_replica, people[2].fingerprint)
            conn.commit()
    print(f"revoke a member holding every unit: {revoke} ({len(exposed)} exposed secrets "
          f"listed, {args.customers} units rotated, {args.entries} records re-sealed)")

    with pgstore.connect(pg.super_url) as su:
        rec_bytes = su.execute("SELECT pg_total_relation_size('otpc.records')").fetchone()[0]
        all_bytes = su.execute(
            "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE n.nspname = 'otpc' AND c.relkind = 'r'"
        ).fetchone()[0]
    print(f"bytes in PostgreSQL per entry: records {rec_bytes / args.entries:.0f} B, "
          f"all team tables {int(all_bytes) / args.entries:.0f} B "
          "(after a full rotation: dead tuples until VACUUM)")


if __name__ == "__main__":
    main()

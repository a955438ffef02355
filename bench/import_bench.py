"""Import N otpauth URIs (default 10,000) into a fresh vault and print where the time goes.

The vault's password KDF is excluded (the vault is created and unlocked before the clock starts);
the figure covers reading + detecting + parsing (secret normalisation included), planning
(duplicate and title checks) and writing every entry and OTP in one transaction.
Goal (issue 12): under 2 s for 10,000 URIs. The same process also times the per-row write path
(one add_entry and one set_otp per entry, 3 sealed records each) as a baseline, so the figure can
be read against it on a loaded machine.

On a machine shared with other work, seconds say little; `--instructions N` runs imports of N/2
and N URIs under valgrind's callgrind and prints the instructions executed per URI (the slope
between the two), for each phase and for the baseline's write, which load does not change. Each
stage is a separate run that does the same set-up and stops after that stage; differences between
stages give the phases.

    .venv/bin/python bench/import_bench.py [--count N] [--instructions N]
"""

from __future__ import annotations

import argparse
import base64
import gc
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from companion.cli.transfer import existing_titles  # noqa: E402
from companion.formats import parse  # noqa: E402
from companion.formats.plan import plan, summary  # noqa: E402
from companion.imports import write_rows  # noqa: E402
from companion.vault import Vault  # noqa: E402

PHASES = ("parse", "plan", "write", "total")
# What a --child run stops after: each callgrind figure is (stage) minus (the stage before it).
STAGES = ("setup", "parse", "plan", "write", "baseline")


def uri_file(count: int) -> bytes:
    lines = []
    for i in range(count):
        secret = base64.b32encode(os.urandom(20)).decode().rstrip("=")
        issuer = f"Service{i % 97}"
        lines.append(
            f"otpauth://totp/{issuer}%3Auser{i}%40example.com?secret={secret}"
            f"&issuer={issuer}&algorithm=SHA1&digits=6&period=30"
        )
    return ("\n".join(lines) + "\n").encode()


def write_per_row_baseline(vault, rows) -> None:
    """The import's write path before batching: add_entry, then set_otp (which seals the entry
    again), for every row, in one transaction."""
    with vault.batch():
        for row in rows:
            entry = vault.add_entry("Bench", row.title, username=row.item.username)
            vault.set_otp(entry.id, row.item.otp, actor="import")


def timed_import(data: bytes, writer, stop: str = "write", warm_up: bytes = b"") -> dict:
    """`warm_up`: a file imported first, untimed, so that lazily imported modules and caches are
    loaded before the measured import (what a callgrind difference must not count)."""
    gc.collect()  # the garbage of a previous run is not this one's to collect
    with tempfile.TemporaryDirectory() as tmp:
        vault = Vault.create(Path(tmp) / "bench.sqlite", "bench password", kdf_ms=1)
        vault.add_customer("Bench")  # both writers find it (the baseline needs it to exist)
        if warm_up:
            writer(vault, plan(parse(warm_up).items, existing_otps=(),
                               existing_titles=existing_titles(vault), customer="Bench"))
        start = parsed_at = planned_at = written_at = time.perf_counter()
        rows: list = []
        if stop != "setup":
            parsed = parse(data)
            parsed_at = time.perf_counter()
        if stop not in ("setup", "parse"):
            rows = plan(
                parsed.items,
                existing_otps=vault.all_otp_params().values(),
                existing_titles=existing_titles(vault),
                customer="Bench",
            )
            planned_at = time.perf_counter()
        if stop == "write":
            writer(vault, rows)
            written_at = time.perf_counter()
        stored = len(vault.entries()) if stop == "write" else 0
        vault.close()
    return {"parse": parsed_at - start, "plan": planned_at - parsed_at,
            "write": written_at - planned_at, "total": written_at - start,
            "imported": summary(rows)["import"], "stored": stored}


def load_average() -> str:
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def seconds(count: int) -> None:
    data = uri_file(count)
    load = load_average()
    baseline = timed_import(data, write_per_row_baseline)
    now = timed_import(data, write_rows)
    print(f"import of {count:,} otpauth URIs ({len(data) / 1024:.0f} KiB), KDF excluded, "
          f"load average {load} -> {load_average()} on {os.cpu_count()} cores:")
    print(f"  {'':8}{'now':>9}  {'baseline':>9}  (baseline: add_entry + set_otp per entry)")
    for key in PHASES:
        print(f"  {key:8}{now[key]:8.3f}s  {baseline[key]:8.3f}s")
    print(f"  -> {count / now['total']:,.0f} entries/s, {baseline['write'] / now['write']:.1f}x "
          f"faster writes than the baseline; goal < 2 s for 10,000")
    print(f"  imported {now['imported']}, entries in vault afterwards {now['stored']}")


def child(stage: str, count: int) -> None:
    """One run for callgrind: the same set-up and data whatever the stage, then work up to it."""
    data, warm_up = uri_file(count), uri_file(2)
    if stage == "baseline":
        timed_import(data, write_per_row_baseline, warm_up=warm_up)
    else:
        timed_import(data, write_rows, stop=stage, warm_up=warm_up)


def instructions(stage: str, count: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
             sys.executable, __file__, "--child", stage, "--count", str(count)],
            capture_output=True, text=True, check=True,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    match = re.search(r"Collected : (\d+)", done.stderr)
    if not match:
        raise SystemExit(f"callgrind printed no total:\n{done.stderr[-500:]}")
    return int(match.group(1))


def counted(count: int) -> None:
    """Instructions per URI of each phase, and of the baseline's write: the slope between runs
    of count/2 and count URIs, so that start-up, the KDF and each batch's fixed costs (commit,
    fsync) cancel out. Those fixed costs are printed apart."""
    small = count // 2
    runs = {(stage, n): instructions(stage, n) for stage in STAGES for n in (small, count)}

    def slope(stage: str) -> float:
        return (runs[(stage, count)] - runs[(stage, small)]) / (count - small)

    per = {"parse": slope("parse") - slope("setup"), "plan": slope("plan") - slope("parse"),
           "write": slope("write") - slope("plan"), "total": slope("write") - slope("setup")}
    base_write = slope("baseline") - slope("plan")
    fixed = runs[("write", count)] - runs[("setup", count)] - per["total"] * count
    print(f"instructions per URI (callgrind, slope between {small:,} and {count:,} URIs; "
          "independent of load):")
    for key in PHASES:
        print(f"  {key:8}{per[key]:12,.0f}")
    print(f"  fixed cost of one import (batch, commit) {fixed / 1e6:,.1f} M instructions")
    print(f"  baseline write {base_write:,.0f} per URI -> now {base_write / per['write']:.2f}x "
          "fewer instructions per written entry")
    print(f"  10,000 URIs: {(per['total'] * 10_000 + fixed) / 1e9:.2f} G instructions")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--instructions", type=int, default=0, metavar="N",
                        help="also count instructions per URI for N URIs under callgrind")
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.count)
    seconds(args.count)
    if args.instructions:
        counted(args.instructions)


if __name__ == "__main__":
    main()

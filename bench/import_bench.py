"""Import N otpauth URIs (default 10,000) into a fresh vault and print where the time goes.

The vault's password KDF is excluded (the vault is created and unlocked before the clock starts);
the figure covers reading + detecting + parsing (secret normalisation included), planning
(duplicate and title checks) and writing every entry and OTP in one transaction.
Goal (issue 12): under 2 s for 10,000 URIs. The same process also times the previous write path
(one add_entry and one set_otp per entry, 3 sealed records each) as a baseline, so the figure can
be read against it on a loaded machine. The baseline shares the other savings (key epochs checked
once per customer in a batch, no asdict); against the code before them, run this script on that
commit.

    .venv/bin/python bench/import_bench.py [--count N]
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from companion.cli.transfer import existing_titles, write_rows  # noqa: E402
from companion.formats import parse  # noqa: E402
from companion.formats.plan import plan, summary  # noqa: E402
from companion.vault import Vault  # noqa: E402


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


def timed_import(data: bytes, count: int, writer) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        vault = Vault.create(Path(tmp) / "bench.sqlite", "bench password", kdf_ms=1)
        start = time.perf_counter()
        parsed = parse(data)
        parsed_at = time.perf_counter()
        rows = plan(
            parsed.items,
            existing_otps=vault.all_otp_params().values(),
            existing_titles=existing_titles(vault),
            customer="Bench",
        )
        planned_at = time.perf_counter()
        if writer is write_per_row_baseline:
            vault.add_customer("Bench")
        writer(vault, rows)
        written_at = time.perf_counter()
        stored = len(vault.entries())
        vault.close()
    return {"parse": parsed_at - start, "plan": planned_at - parsed_at,
            "write": written_at - planned_at, "total": written_at - start,
            "imported": summary(rows)["import"], "stored": stored}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    count = parser.parse_args().count
    data = uri_file(count)
    baseline = timed_import(data, count, write_per_row_baseline)
    now = timed_import(data, count, write_rows)
    print(f"import of {count} otpauth URIs ({len(data) / 1024:.0f} KiB), KDF excluded:")
    print(f"  {'':8}{'now':>9}  {'baseline':>9}  (baseline: add_entry + set_otp per entry)")
    for key in ("parse", "plan", "write", "total"):
        print(f"  {key:8}{now[key]:8.3f}s  {baseline[key]:8.3f}s")
    print(f"  -> {count / now['total']:,.0f} entries/s, {baseline['write'] / now['write']:.1f}x "
          f"faster writes than the baseline; goal < 2 s for 10,000")
    print(f"  imported {now['imported']}, entries in vault afterwards {now['stored']}")


if __name__ == "__main__":
    main()

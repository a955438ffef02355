"""Import N otpauth URIs (default 10,000) into a fresh vault and print where the time goes.

The vault's password KDF is excluded (the vault is created and unlocked before the clock starts);
the figure covers reading + detecting + parsing (secret normalisation included), planning
(duplicate and title checks) and writing every entry and OTP in one transaction.
Goal (issue 5): under 5 s for 10,000 URIs.

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    count = parser.parse_args().count
    data = uri_file(count)
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
        write_rows(vault, rows)
        written_at = time.perf_counter()
        stored = len(vault.entries())
        vault.close()
    counts = summary(rows)
    total = written_at - start
    print(f"import of {count} otpauth URIs ({len(data) / 1024:.0f} KiB), KDF excluded:")
    print(f"  parse   {parsed_at - start:7.3f} s  ({(parsed_at - start) / count * 1e6:.0f} µs each)")
    print(f"  plan    {planned_at - parsed_at:7.3f} s")
    print(f"  write   {written_at - planned_at:7.3f} s  (one vault.batch() transaction)")
    print(f"  total   {total:7.3f} s  -> {count / total:,.0f} entries/s; goal < 5 s for 10,000")
    print(f"  imported {counts['import']}, entries in vault afterwards {stored}")


if __name__ == "__main__":
    main()

"""What rollback detection (issue 9.8) costs: the records digest checked at every unlock, and
remembering the generation outside the file after every write that moves it. Prints figures;
asserts nothing.

Run: .venv/bin/python bench/rollback_cost.py [--entries 1000 10000]

Each size: a vault of N entries, each with a TOTP secret (N entry + N otp records), on the normal
disk (the state file is fsynced like the vault). Medians of 7 digests and 21 state-file writes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(dir="/var/tmp" if os.path.isdir("/var/tmp") else None))
    os.environ["OTPC_STATE_DIR"] = str(work / "state")

    from companion.otp import OtpParams
    from companion.vault import Vault

    for n in args.entries:
        v = Vault.create(work / f"vault-{n}.sqlite", "bench password", kdf_ms=1)
        with v.batch():
            for c in range(max(1, n // 50)):
                v.add_customer(f"C{c}")
                for i in range(min(50, n)):
                    e = v.add_entry(f"C{c}", f"E{i}", password="x")
                    v.set_otp(e.id, OtpParams(secret=SECRET))
        digest = median_ms(v._gen.digest_of_file, 7)
        remember = median_ms(lambda v=v: v._gen.seen.update(v.generation, {}, {}), 21)
        print(
            f"{n:>6} entries: records digest at unlock {digest:7.1f} ms; "
            f"remembering the generation after a write {remember:6.2f} ms"
        )
        v.close()


if __name__ == "__main__":
    main()

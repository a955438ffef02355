"""Wall time of `otpc code NAME` answered by a running companion (the stdlib fast path) versus a
bare `python -c pass`, and versus `otpc code` opening the vault itself (no companion).

Run: .venv/bin/python bench/cli_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import _companion  # noqa: E402

OTPC = str(Path(sys.executable).with_name("otpc"))


def median_ms(cmd: list[str], runs: int, env: dict) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                              stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{cmd[:3]} failed: {done.stderr.decode()[:200]}")
    return statistics.median(times) * 1000


def interleaved_ms(cmds: list[list[str]], runs: int, env: dict) -> list[float]:
    """Median wall time of each command, the commands taking turns run after run: on a shared
    machine a burst of load then hits them all alike, so their ratio stays meaningful."""
    times = [[] for _ in cmds]
    for _ in range(runs):
        for cmd, bucket in zip(cmds, times, strict=True):
            bucket.append(median_ms(cmd, 1, env))
    return [statistics.median(t) for t in times]


def imported_modules(cmd: list[str], env: dict) -> dict[str, int]:
    """module -> cumulative import time (µs) of one run, from `python -X importtime`."""
    done = subprocess.run([sys.executable, "-X", "importtime", *cmd], env=env, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL)
    found = {}
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line and "cumulative" not in line:
            _, cumulative, name = line.split("|")
            found[name[1:].rstrip()] = int(cumulative)  # nested imports keep their indent
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "bench.sqlite"
        _companion.make_vault(vault, 100)
        # Byte code cached, as after any install (PYTHONDONTWRITEBYTECODE would make every run
        # compile otpc's modules again), and one untimed run first to write it.
        env = {k: v for k, v in os.environ.items()
               if k not in ("OTPC_PASSWORD", "PYTHONDONTWRITEBYTECODE")}
        code = [OTPC, "--vault", str(vault), "code", "Customer 000/Entry 00000"]
        print(f"load average {os.getloadavg()[0]:.1f}")
        direct = median_ms(code, max(3, args.runs // 3), {**env, "OTPC_PASSWORD": _companion.PASSWORD})
        proc = _companion.start(vault, _companion.free_port())
        try:
            median_ms(code, 1, env)
            bare, fast = interleaved_ms([[sys.executable, "-c", "pass"], code], args.runs, env)
            # What the fast path imports beyond a bare interpreter (top-level imports only).
            bare_modules = imported_modules(["-c", "pass"], env)
            ours = imported_modules(code, env)
        finally:
            _companion.stop(proc)
    extra = {m: t for m, t in ours.items() if m.strip() not in {b.strip() for b in bare_modules}}
    print(f"modules the fast path imports beyond bare python: {len(extra)}; largest top-level ones:")
    for name, micros in sorted(((m, t) for m, t in extra.items() if not m.startswith(" ")),
                               key=lambda x: -x[1])[:8]:
        print(f"  {name:28s} {micros / 1000:6.1f} ms (cumulative)")
    print(f"python -c pass:                         {bare:6.1f} ms (median of {args.runs}, "
          "interleaved with the next line's runs)")
    print(f"otpc code, companion running (fast):    {fast:6.1f} ms  ({fast / bare:.2f}x bare python)")
    print(f"otpc code, no companion (KDF, kdf_ms=1): {direct:6.1f} ms  ({direct / bare:.2f}x bare python)")


if __name__ == "__main__":
    main()

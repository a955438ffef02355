"""Wall time of `otpc entry add` and `otpc otp set` through a running companion (the agent model:
no password, no KDF) against `otpc code` in the same run, and the same writes opening the vault
directly with a real KDF (500 ms target, the default of `otpc init`).

Issue 10's goal: the writes within 2x of `otpc code`. The floor of any click command is printed too
(`python -c "import click"`: the interpreter and click, which every command but `otpc code` loads).
Commands run with byte-code caching on (PYTHONDONTWRITEBYTECODE dropped) and once untimed first, as
an installed otpc runs: otherwise every run would compile the sources it imports.

On a loaded machine milliseconds say little: `--instructions` also runs each command once under
valgrind's callgrind and prints the instructions the CLI process executed (the companion's work is
not counted), which load does not change.

Run: .venv/bin/python bench/cli_agent.py [--runs 15] [--entries 1000] [--instructions]
"""

from __future__ import annotations

import argparse
import os
import re
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
SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def timed(cmd: list[str], env: dict, stdin: str = "") -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, input=stdin.encode(), stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[3:6])} failed: {done.stderr.decode()[:300]}")
    return elapsed * 1000


def series(runs: int, env: dict, vault: Path, tag: str) -> dict[str, float]:
    """Median ms of code / entry add / otp set over `runs` rounds (each round adds one entry), after
    one untimed round (caches warm, byte code written)."""
    base = [OTPC, "--vault", str(vault)]
    times: dict[str, list[float]] = {"code": [], "entry add": [], "otp set": [], "click": []}
    for i in range(-1, runs):
        title = f"{tag} {i:03d}"
        times["code"].append(timed([*base, "code", "Customer 000/Entry 00000"], env))
        times["entry add"].append(
            timed([*base, "entry", "add", "--customer", "Customer 001", "--title", title,
                   "--url", "https://bench.example"], env))
        times["otp set"].append(
            timed([*base, "otp", "set", f"Customer 001/{title}", "--exact"], env, SECRET + "\n"))
        times["click"].append(timed([sys.executable, "-c", "import click"], env))
    return {name: statistics.median(values[1:]) for name, values in times.items()}


def instructions(cmd: list[str], env: dict, stdin: str = "") -> int:
    """Instructions the command's own process executes (callgrind; children not traced)."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out",
                               *cmd], input=stdin.encode(), capture_output=True,
                              env={**env, "PYTHONHASHSEED": "0"})
    match = re.search(r"Collected : (\d+)", done.stderr.decode())
    if done.returncode != 0 or not match:
        raise SystemExit(f"{' '.join(cmd[3:6])} under callgrind: {done.stderr.decode()[-300:]}")
    return int(match.group(1))


def counted(env: dict, vault: Path) -> dict[str, int]:
    base = [OTPC, "--vault", str(vault)]
    return {
        "code": instructions([*base, "code", "Customer 000/Entry 00000"], env),
        "entry add": instructions([*base, "entry", "add", "--customer", "Customer 001", "--title",
                                   "counted", "--url", "https://bench.example"], env),
        "otp set": instructions([*base, "otp", "set", "Customer 001/counted", "--exact"], env,
                                SECRET + "\n"),
        "click": instructions([sys.executable, "-c", "import click"], env),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--instructions", action="store_true",
                        help="Also count each command's instructions under callgrind.")
    args = parser.parse_args()
    count = None
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "bench.sqlite"
        _companion.make_vault(vault, args.entries)
        # make_vault uses kdf_ms=1; give the vault the default KDF (0.5 s) so "direct" is honest.
        from companion.vault import Vault

        v = Vault.open(vault)
        v.unlock(_companion.PASSWORD)
        v.change_password(_companion.PASSWORD, kdf_ms=500)
        v.close()
        os.environ.pop("OTPC_SOCKET", None)  # CLI and companion: the socket derived from the vault
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OTPC_") and k != "PYTHONDONTWRITEBYTECODE"}
        direct = series(max(3, args.runs // 3), {**env, "OTPC_PASSWORD": _companion.PASSWORD},
                        vault, "direct")
        running = _companion.start(vault, _companion.free_port())
        try:
            agent = series(args.runs, env, vault, "agent")
            if args.instructions:
                count = counted(env, vault)
        finally:
            _companion.stop(running)
    print(f"vault: {args.entries} entries; medians of {args.runs} runs (direct: "
          f"{max(3, args.runs // 3)})")
    print(f"{'command':<12}{'companion running':>20}{'x otpc code':>13}{'no companion (KDF)':>21}")
    for name in ("code", "entry add", "otp set"):
        ratio = agent[name] / agent["code"]
        print(f"{name:<12}{agent[name]:>17.1f} ms{ratio:>12.2f}x{direct[name]:>18.1f} ms")
    print(f"floor of a click command (python -c 'import click'): {agent['click']:.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    if count:
        print("instructions of the CLI process (callgrind), companion running: " + ", ".join(
            f"{name} {count[name] / 1e6:.0f} M" for name in ("code", "entry add", "otp set",
                                                                "click")))


if __name__ == "__main__":
    main()

"""Argon2id tuning: does a vault made for `--kdf-ms N` really take about N ms to unlock here?

Run: .venv/bin/python bench/kdf_tuning.py [--target-ms 500] [--rounds 3]

Each round tunes as `otpc init` does (slots.kdf_for: median of 5 samples at 2 and at 4 passes),
then times 5 derivations with the chosen parameters and prints their median. Prints figures;
asserts nothing. The old tuner (one 2-pass sample, scaled through the origin) is shown beside it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from companion import crypto  # noqa: E402
from companion.vault.slots import kdf_for  # noqa: E402


def one_sample_tuner(target_ms: int, memory_kib: int) -> crypto.Argon2Params:
    """What tune_argon2 did before issue 9.10: one sample, per-pass time through the origin."""
    probe = crypto.Argon2Params(os.urandom(16), memory_kib, crypto.ARGON2_MIN_ITERATIONS)
    per_pass = max(crypto.time_derivation(probe) / crypto.ARGON2_MIN_ITERATIONS, 1e-4)
    passes = max(crypto.ARGON2_MIN_ITERATIONS, min(crypto.ARGON2_MAX_ITERATIONS,
                                                   round(target_ms / 1000 / per_pass)))
    return crypto.Argon2Params(os.urandom(16), memory_kib, passes)


def unlock_ms(params: crypto.Argon2Params, runs: int = 5) -> float:
    return statistics.median(crypto.time_derivation(params) * 1000 for _ in range(runs))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-ms", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    memory = kdf_for(args.target_ms).memory_kib  # the memory otpc init would use
    print(f"target {args.target_ms} ms, Argon2id {memory // 1024} MiB, {crypto.ARGON2_LANES} lanes")
    for n in range(1, args.rounds + 1):
        start = time.perf_counter()
        tuned = kdf_for(args.target_ms)
        tune_s = time.perf_counter() - start
        old = one_sample_tuner(args.target_ms, memory)
        print(
            f"round {n}: median-tuned {tuned.iterations:2d} passes → unlock {unlock_ms(tuned):6.0f} ms"
            f" (tuning took {tune_s:.1f} s);"
            f" one-sample {old.iterations:2d} passes → unlock {unlock_ms(old):6.0f} ms"
        )


if __name__ == "__main__":
    main()

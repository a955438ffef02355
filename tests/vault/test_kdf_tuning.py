"""Argon2id tuning (issue 9.10): several samples, their median, and a fixed cost fitted out.

The timer is injected: a real one would make these tests depend on the machine's load, which is
exactly what tuning must be robust against."""

from __future__ import annotations

from companion import crypto

MEMORY = crypto.ARGON2_DEFAULT_MEMORY_KIB


def noisy_timer(sequences: dict[int, list[float]]):
    """timer(params) -> the next seconds of the sequence for that many passes; records calls."""
    calls: list[int] = []

    def timer(params: crypto.Argon2Params) -> float:
        calls.append(params.iterations)
        return sequences[params.iterations].pop(0)

    timer.calls = calls
    return timer


def test_a_slow_first_sample_does_not_decide_the_passes():
    # 2 passes: 100 ms (one outlier of 1 s first); 4 passes: 150 ms (one fast outlier).
    # So 25 ms per pass after a fixed 50 ms: 500 ms needs 18 passes. The first sample alone
    # (1 s for 2 passes) would have given the floor, 2 passes: the bug of issue 9.10.
    timer = noisy_timer({2: [1.0, 0.1, 0.1, 0.11, 0.09], 4: [0.15, 0.02, 0.16, 0.15, 0.14]})
    params = crypto.tune_argon2(500, MEMORY, timer=timer)
    assert params.iterations == 18
    assert timer.calls.count(2) == 5 and timer.calls.count(4) == 5
    assert params.memory_kib == MEMORY and params.lanes == crypto.ARGON2_LANES


def test_the_fixed_cost_of_allocating_memory_is_not_counted_per_pass():
    # 2 passes 125 ms, 4 passes 200 ms (this machine's shape at 64 MiB): 37.5 ms per pass after
    # 50 ms fixed; 500 ms → 12 passes. Scaling 125 ms / 2 passes through the origin gave 8
    # (about 345 ms in reality).
    timer = noisy_timer({2: [0.125] * 5, 4: [0.2] * 5})
    assert crypto.tune_argon2(500, MEMORY, timer=timer).iterations == 12


def test_more_samples_follow_their_median():
    # Two slow outliers out of seven at 2 passes: the median (100 ms) wins, not the mean (157 ms).
    # 50 ms per pass and no fixed cost: 1000 ms → 20 passes.
    timer = noisy_timer({2: [0.3, 0.1, 0.1, 0.1, 0.1, 0.1, 0.3], 4: [0.2] * 7})
    params = crypto.tune_argon2(1000, MEMORY, samples=7, timer=timer)
    assert params.iterations == 20
    assert len(timer.calls) == 14


def test_a_budget_below_the_floor_stops_sampling_once_the_median_is_known():
    timer = noisy_timer({2: [0.03, 0.0001, 0.03, 0.03, 0.03]})
    params = crypto.tune_argon2(1, crypto.ARGON2_MIN_MEMORY_KIB, timer=timer)
    assert params.iterations == crypto.ARGON2_MIN_ITERATIONS
    assert timer.calls == [2, 2, 2, 2]  # the 4th sample made three of them over 1 ms


def test_noise_larger_than_the_signal_falls_back_to_scaling_and_stays_in_bounds():
    timer = noisy_timer({2: [0.01] * 5, 4: [0.009] * 5})  # 4 passes "faster" than 2
    params = crypto.tune_argon2(60_000, MEMORY, timer=timer)
    assert params.iterations == crypto.ARGON2_MAX_ITERATIONS

"""Shared by the benchmarks: alternate the contenders (A B A B ...) and print one table.

Alternating spreads any drift of the machine (other load, frequency scaling) evenly over
the contenders, so the ratio of medians compares like with like.
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
BENCH_BIN = ROOT / ".bench-venv" / "bin"


def alternate(
    contenders: dict[str, Callable[[], float]], rounds: int, warmup: int = 1
) -> dict[str, list[float]]:
    """Run each contender once per round, in turn; each call returns one sample (seconds)."""
    for _ in range(warmup):
        for run in contenders.values():
            run()
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            samples[name].append(run())
    return samples


def timed(action: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start

    return run


def process(command: Sequence[str], **kwargs: object) -> Callable[[], float]:
    """A fresh process per sample: its wall time, from start to exit."""

    def run() -> float:
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)  # type: ignore[call-overload]
        return time.perf_counter() - start

    return run


def table(
    title: str,
    samples: dict[str, list[float]],
    baseline: str,
    target: float | None,
    scale: float = 1000.0,
    unit: str = "ms",
    judged: Sequence[str] = (),
) -> bool:
    """Print median/min/max and the ratio to `baseline`; True when every judged row meets `target`."""
    base = statistics.median(samples[baseline])
    print(f"\n## {title}\n")
    print(f"| {'':38} | median {unit:>4} | min {unit:>4} | max {unit:>4} | ratio |")
    print(f"| {'-' * 38} | ----------- | -------- | -------- | ----- |")
    met = True
    for name, values in samples.items():
        median = statistics.median(values)
        ratio = median / base
        mark = ""
        if target is not None and name in judged:
            mark = " ✓" if ratio <= target else " ✗"
            met &= ratio <= target
        print(
            f"| {name:38} | {median * scale:11.2f} | {min(values) * scale:8.2f} | {max(values) * scale:8.2f} |"
            f" {ratio:5.2f}{mark} |"
        )
    if target is not None:
        print(f"\ntarget ≤ {target:g}x {baseline}: {'met' if met else 'MISSED'}")
    return met

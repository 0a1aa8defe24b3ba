"""Timing shared by the benchmark scripts of this folder: warm repeats of a call, sorted.

Scripts run from anywhere import it by adding this folder to ``sys.path`` first (Python does
that itself for ``python benches/python/<script>.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable


def warm_times(fn: Callable[[], object], repeats: int, warmup: int = 1) -> list[float]:
    """Seconds of ``repeats`` calls of ``fn`` after ``warmup`` untimed ones, sorted ascending."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return sorted(times)


def median(times: list[float]) -> float:
    """The median of sorted ``times`` (the upper one of an even count)."""
    return times[len(times) // 2]

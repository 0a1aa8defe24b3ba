"""kiln (`import kiln as xp`) against NumPy, numexpr (1 and 2 threads) and JAX jit on the CPU
workloads W1-W5 and W9 of /work/shared/bench/workloads.md, side by side in one process.

Every peer is timed warm (after warm-up calls) and reported as the median of its repeats; kiln's
time is build + eval (the graph is rebuilt on every call, the plan cache is warm), JAX's is the
jitted call with ``block_until_ready``. The memory bandwidth is measured in the same run (NumPy
copy into a preallocated buffer, one thread and two threads on halves), and each workload's
effective bandwidth counts the fewest bytes it must move (inputs read once, output written once).

Environment: KILN_BENCH_QUICK=1 runs fewer repeats and only the smaller W4 size;
KILN_BENCH_ONLY=W9 (comma-separated ids) runs a subset.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import threading
import time
from importlib import metadata

import numpy as np

QUICK = os.environ.get("KILN_BENCH_QUICK", "0") not in ("", "0")
ONLY = {w.strip().upper() for w in os.environ.get("KILN_BENCH_ONLY", "").split(",") if w.strip()}
# Per-measurement budget: repeats stop after this many seconds (at least MIN_REPEATS run).
BUDGET_S = 0.6 if QUICK else 1.5
MIN_REPEATS = 3 if QUICK else 5
MAX_REPEATS = 50


def wanted(workload: str) -> bool:
    return not ONLY or workload in ONLY


def median_time(fn, budget_s: float = BUDGET_S, warmup: int = 2) -> float:
    """Median wall time of ``fn()`` in seconds, after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < MIN_REPEATS or (
        len(times) < MAX_REPEATS and time.perf_counter() - start < budget_s
    ):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ---- environment ---------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def bandwidth() -> tuple[float, float]:
    """Copy bandwidth in GB/s (bytes read + written) with one thread and two threads."""
    n = 2**25  # 256 MiB of float64 per buffer: far beyond any cache
    src = np.ones(n)
    dst = np.empty(n)
    one = median_time(lambda: np.copyto(dst, src), budget_s=1.0)
    halves = [(dst[: n // 2], src[: n // 2]), (dst[n // 2 :], src[n // 2 :])]

    def two_threads():
        threads = [threading.Thread(target=np.copyto, args=h) for h in halves]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    two = median_time(two_threads, budget_s=1.0)
    return 2 * src.nbytes / one / 1e9, 2 * src.nbytes / two / 1e9


# ---- the workloads -------------------------------------------------------------------------


class Row:
    def __init__(self, workload: str, nbytes: int):
        self.workload = workload
        self.nbytes = nbytes
        self.times: dict[str, float] = {}


def run_peers(row: Row, peers: dict) -> Row:
    for name, fn in peers.items():
        if fn is None:
            continue
        try:
            row.times[name] = median_time(fn)
        except Exception as e:  # a peer that cannot run this workload is reported, not fatal
            print(f"# {row.workload}: {name} failed: {type(e).__name__}: {e}", file=sys.stderr)
    return row


def main() -> None:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import numexpr as ne

    import kiln as xp

    def ne_threads(n):
        def set_threads():
            ne.set_num_threads(n)

        return set_threads

    def numexpr_peer(expr: str, threads: int, **arrays):
        def fn():
            ne.set_num_threads(threads)
            return ne.evaluate(expr, local_dict=arrays)

        return fn

    def kiln_peer(build, *arrays):
        def fn():
            y = build(*arrays)
            y.eval()
            return y

        return fn

    def jax_peer(f, *arrays):
        jf = jax.jit(f)
        args = [jnp.asarray(a) for a in arrays]
        return lambda: jf(*args).block_until_ready()

    bw1, bw2 = bandwidth()
    peak = max(bw1, bw2)
    rows: list[Row] = []
    rng = np.random.default_rng(0)

    # W1: log(sin(x) + 5)
    if wanted("W1"):
        for n in (10**6, 10**7):
            for dt in (np.float32, np.float64):
                x = rng.random(n).astype(dt)
                kx = xp.asarray(x)
                tag = f"W1 log(sin(x)+5) {np.dtype(dt).name} n=1e{len(str(n)) - 1}"
                rows.append(
                    run_peers(
                        Row(tag, 2 * x.nbytes),
                        {
                            "kiln": kiln_peer(lambda a: xp.log(xp.sin(a) + 5), kx),
                            "numpy": lambda x=x: np.log(np.sin(x) + 5),
                            "numexpr-1": numexpr_peer("log(sin(x)+5)", 1, x=x),
                            "numexpr-2": numexpr_peer("log(sin(x)+5)", 2, x=x),
                            "jax": jax_peer(lambda a: jnp.log(jnp.sin(a) + 5), x),
                        },
                    )
                )

    # W2: a*b + c*d - e, 5 inputs
    if wanted("W2"):
        n = 10**7
        a, b, c, d, e = (rng.random(n) for _ in range(5))
        ka, kb, kc, kd, ke = (xp.asarray(v) for v in (a, b, c, d, e))
        rows.append(
            run_peers(
                Row("W2 a*b+c*d-e float64 n=1e7", 6 * a.nbytes),
                {
                    "kiln": kiln_peer(lambda a, b, c, d, e: a * b + c * d - e, ka, kb, kc, kd, ke),
                    "numpy": lambda: a * b + c * d - e,
                    "numexpr-1": numexpr_peer("a*b+c*d-e", 1, a=a, b=b, c=c, d=d, e=e),
                    "numexpr-2": numexpr_peer("a*b+c*d-e", 2, a=a, b=b, c=c, d=d, e=e),
                    "jax": jax_peer(lambda a, b, c, d, e: a * b + c * d - e, a, b, c, d, e),
                },
            )
        )

    # W3: sum(x*x)
    if wanted("W3"):
        n = 10**7
        x = rng.random(n).astype(np.float32)
        kx = xp.asarray(x)
        rows.append(
            run_peers(
                Row("W3 sum(x*x) float32 n=1e7", x.nbytes),
                {
                    "kiln": kiln_peer(lambda a: xp.sum(a * a), kx),
                    "numpy": lambda: np.sum(x * x),
                    "numexpr-1": numexpr_peer("sum(x*x)", 1, x=x),
                    "numexpr-2": numexpr_peer("sum(x*x)", 2, x=x),
                    "jax": jax_peer(lambda a: jnp.sum(a * a), x),
                },
            )
        )

    # W4: row softmax
    if wanted("W4"):

        def softmax(m, xp_):
            e = xp_.exp(m - xp_.max(m, axis=1, keepdims=True))
            return e / xp_.sum(e, axis=1, keepdims=True)

        for side in (1024,) if QUICK else (1024, 4096):
            x = rng.standard_normal((side, side)).astype(np.float32)
            kx = xp.asarray(x)
            rows.append(
                run_peers(
                    Row(f"W4 softmax float32 {side}x{side}", 2 * x.nbytes),
                    {
                        "kiln": kiln_peer(lambda a: softmax(a, xp), kx),
                        "numpy": lambda x=x: softmax(x, np),
                        "jax": jax_peer(lambda a: softmax(a, jnp), x),
                    },
                )
            )

    # W5: variance mean((x - mean(x))**2)
    if wanted("W5"):
        n = 10**7
        x = rng.random(n)
        kx = xp.asarray(x)
        rows.append(
            run_peers(
                Row("W5 mean((x-mean(x))**2) float64 n=1e7", x.nbytes),
                {
                    "kiln": kiln_peer(lambda a: xp.mean((a - xp.mean(a)) ** 2), kx),
                    "numpy": lambda: np.mean((x - np.mean(x)) ** 2),
                    "jax": jax_peer(lambda a: jnp.mean((a - jnp.mean(a)) ** 2), x),
                },
            )
        )

    print(f"# kiln Python benchmark, {time.strftime('%Y-%m-%d %H:%M')}")
    print()
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical CPUs; Python {platform.python_version()}")
    print(
        "Packages: "
        + ", ".join(f"{p} {version(p)}" for p in ("kiln", "numpy", "numexpr", "jax", "jaxlib"))
    )
    print(f"Mode: {'quick' if QUICK else 'full'}; times are medians, warm.")
    print()
    print(
        f"Memory bandwidth (NumPy copy into a preallocated 256 MiB buffer, read + write): "
        f"{bw1:.1f} GB/s with 1 thread, {bw2:.1f} GB/s with 2 threads"
    )
    print()

    if rows:
        peers = ["kiln", "numpy", "numexpr-1", "numexpr-2", "jax"]
        print(
            "| workload | "
            + " | ".join(f"{p} ms" for p in peers)
            + " | kiln vs numpy | kiln vs best peer | kiln GB/s | % of bandwidth |"
        )
        print("|---" * (len(peers) + 5) + "|")
        for r in rows:
            cells = [f"{r.times[p] * 1e3:.3f}" if p in r.times else "-" for p in peers]
            k = r.times.get("kiln")
            others = [t for p, t in r.times.items() if p != "kiln"]
            vs_np = f"{r.times['numpy'] / k:.2f}x" if k and "numpy" in r.times else "-"
            vs_best = f"{min(others) / k:.2f}x" if k and others else "-"
            gbs = r.nbytes / k / 1e9 if k else 0.0
            print(
                f"| {r.workload} | "
                + " | ".join(cells)
                + f" | {vs_np} | {vs_best} | {gbs:.1f} | {100 * gbs / peak:.0f}% |"
            )
        print()
        print(
            "Ratios are peer time / kiln time (above 1x: kiln is faster). GB/s counts each input "
            "read once and the output written once over kiln's time, against the larger copy "
            "bandwidth; W1 and W4 are compute-bound, so bandwidth is not their limit. "
            "At 1e6 elements the data fits in L3 (percentages above 100% are cache)."
        )
        print()

    if wanted("W9"):
        w9(xp)


def w9(xp) -> None:
    """W9: build a 10-op expression on 1000-element arrays, then eval, vs NumPy eager."""
    x = np.linspace(0.0, 1.0, 1000)
    kx = xp.asarray(x)

    def numpy_10(a=x):
        for _ in range(5):
            a = a * 1.0001 + 0.5
        return a

    def kiln_build(a=kx):
        for _ in range(5):
            a = a * 1.0001 + 0.5
        return a

    def kiln_10():
        return kiln_build().eval()

    def kiln_20():
        a = kx
        for _ in range(10):
            a = a * 1.0001 + 0.5
        return a.eval()

    np.testing.assert_allclose(np.asarray(kiln_10()), numpy_10(), rtol=1e-12)
    calls, rounds = (200, 9) if QUICK else (400, 25)

    def batch(fn) -> float:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - t0) / calls

    def eval_only() -> float:
        # A fresh graph each time (evaluating a realized array does nothing): the build is
        # outside the timed region.
        total = 0.0
        for _ in range(calls):
            y = kiln_build()
            t0 = time.perf_counter()
            y.eval()
            total += time.perf_counter() - t0
        return total / calls

    # The machine is shared: the measurements alternate round by round, so every one sees the
    # same contention, and the ratio is the median of per-round ratios.
    samples: dict[str, list[float]] = {k: [] for k in ("np", "kiln", "build", "eval", "k20")}
    for f in (numpy_10, kiln_10, kiln_build, kiln_20):
        batch(f)
    for _ in range(rounds):
        samples["np"].append(batch(numpy_10))
        samples["kiln"].append(batch(kiln_10))
        samples["build"].append(batch(kiln_build))
        samples["eval"].append(eval_only())
        samples["k20"].append(batch(kiln_20))
    t_np, t_kiln, t_build, t_eval, t_20 = (
        statistics.median(samples[k]) for k in ("np", "kiln", "build", "eval", "k20")
    )
    ratio = statistics.median(k / n for k, n in zip(samples["kiln"], samples["np"]))

    print("## W9: Python overhead (10 ops on 1000-element float64 arrays, then eval)")
    print()
    print("| measurement | µs | vs NumPy eager |")
    print("|---|---|---|")
    print(f"| NumPy eager, 10 ops (`x = x * 1.0001 + 0.5` x5) | {t_np * 1e6:.1f} | 1.00x |")
    print(f"| kiln build + eval, 10 ops | {t_kiln * 1e6:.1f} | {ratio:.2f}x |")
    print(f"| kiln build only, 10 ops | {t_build * 1e6:.1f} ({t_build * 1e5:.2f} per op) | |")
    print(f"| kiln eval only (plan-cache hit + execute) | {t_eval * 1e6:.1f} | |")
    print(f"| kiln build + eval, 20 ops | {t_20 * 1e6:.1f} | |")
    print()
    print("Target (issue 3): build + eval at most 2x NumPy eager; under 2 µs per op to build.")


if __name__ == "__main__":
    main()

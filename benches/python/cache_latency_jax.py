"""JAX's first-call latency on W1-W4 (the peer of `kiln eval-workload`), one workload per process.

Prints one line like kiln's: `workload=w1 n=... first_ms=... warm_ms=... new_length_ms=...`.
first_ms is the first call of the jitted function (trace + XLA compile + run, inputs already
on the device); warm_ms the median of later calls on new data; new_length_ms the first call on a
new length (JAX recompiles for every new shape). With --cache-dir, JAX's persistent compilation
cache is on (a second process then measures JAX's own warm-disk first call).

Usage: python cache_latency_jax.py w1 --n 1000000 [--cache-dir DIR]
"""

import argparse
import statistics
import time

import numpy as np


def data(n, seed, dtype):
    i = np.arange(n, dtype=np.int64)
    return ((((i + 31 * seed) * 7919) % 10007) / 10007.0 * 6.0 - 3.0).astype(dtype)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workload")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cache-dir")
    a = ap.parse_args()
    import jax

    if a.cache_dir:
        jax.config.update("jax_compilation_cache_dir", a.cache_dir)
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    import jax.numpy as jnp

    w = a.workload

    def inputs(n, seed):
        if w in ("w1", "w3"):
            return [jnp.asarray(data(n, seed, np.float32))]
        if w == "w2":
            jax.config.update("jax_enable_x64", True)
            return [jnp.asarray(data(n, seed * 5 + k, np.float64)) for k in range(5)]
        cols = min(4096, max(n, 1))
        rows = max(n // cols, 1)
        return [jnp.asarray(data(rows * cols, seed, np.float32).reshape(rows, cols))]

    fns = {
        "w1": lambda x: jnp.log(jnp.sin(x) + 5.0),
        "w2": lambda a, b, c, d, e: a * b + c * d - e,
        "w3": lambda x: jnp.sum(x * x),
        "w4": lambda x: (lambda e: e / jnp.sum(e, axis=1, keepdims=True))(
            jnp.exp(x - jnp.max(x, axis=1, keepdims=True))
        ),
    }
    f = jax.jit(fns[w])

    def timed(n, seed):
        v = inputs(n, seed)
        for x in v:
            x.block_until_ready()
        t = time.perf_counter()
        f(*v).block_until_ready()
        return (time.perf_counter() - t) * 1e3

    first = timed(a.n, 0)
    warm = statistics.median(timed(a.n, r) for r in range(1, a.repeat + 1))
    new_len = timed(a.n + 4096, 0)
    print(
        f"workload={w} n={a.n} first_ms={first:.3f} warm_ms={warm:.3f} new_length_ms={new_len:.3f}"
        f" jax={jax.__version__}"
    )


if __name__ == "__main__":
    main()

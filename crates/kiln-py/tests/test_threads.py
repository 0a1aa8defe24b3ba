"""Concurrency tests: Python threads building and evaluating kiln graphs at the same time
(different expressions over shared inputs, and one lazy array evaluated from several threads
at once), every result checked against NumPy. Evaluation releases the GIL, so these exercise
the extension's shared state (plan cache, buffers) under real concurrency."""

import threading

import numpy as np

import kiln
from conftest import assert_matches

THREADS = 4


def _run_all(targets):
    """Starts one thread per target behind a barrier, joins them, re-raises the first error."""
    barrier = threading.Barrier(len(targets))
    errors = []

    def wrap(target):
        def body():
            try:
                barrier.wait(timeout=10)
                target()
            except BaseException as error:  # collected and re-raised in the main thread
                errors.append(error)

        return body

    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a thread did not finish"
    if errors:
        raise errors[0]


def test_threads_build_and_evaluate_different_expressions_over_shared_inputs():
    rng = np.random.default_rng(0)
    xs = rng.uniform(-2, 2, size=(64, 33))
    ys = rng.uniform(0.5, 3, size=(64, 33))
    x, y = kiln.asarray(xs), kiln.asarray(ys)
    expressions = [
        (lambda a, b: kiln.sin(a) * b + 1, lambda a, b: np.sin(a) * b + 1),
        (lambda a, b: kiln.sum(a * b, axis=1), lambda a, b: np.sum(a * b, axis=1)),
        (lambda a, b: kiln.exp(a[:, ::-2]) - b[:, ::2], lambda a, b: np.exp(a[:, ::-2]) - b[:, ::2]),
        (lambda a, b: a @ b.T, lambda a, b: a @ b.T),
    ]

    def worker(make, reference, seed):
        def run():
            local = np.random.default_rng(seed)
            for _ in range(15):
                scale = float(local.uniform(0.5, 2))
                got = make(x * scale, y)
                assert_matches(got, reference(xs * scale, ys))

        return run

    _run_all([worker(m, r, i) for i, (m, r) in enumerate(expressions[:THREADS])])


def test_threads_evaluate_the_same_lazy_array_at_once():
    xs = np.linspace(-3, 3, 50_000)
    expected = np.tanh(xs) * 2 + np.cos(xs) ** 2
    for _ in range(5):
        shared = kiln.tanh(kiln.asarray(xs)) * 2 + kiln.cos(kiln.asarray(xs)) ** 2
        results = [None] * THREADS

        def worker(i):
            def run():
                results[i] = np.asarray(shared)

            return run

        _run_all([worker(i) for i in range(THREADS)])
        for got in results:
            assert_matches(got, expected)
        assert_matches(shared, expected)  # still consistent after the concurrent evaluations


def test_threads_setitem_on_their_own_handles_of_a_shared_array():
    base = kiln.asarray(np.arange(40, dtype=np.int64).reshape(5, 8))

    def worker(i):
        def run():
            for _ in range(10):
                mine = kiln.asarray(base, copy=True)
                mine[i, ::2] = -i
                mine[:, i] = kiln.asarray(np.full(5, 100 + i, np.int64))
                expected = np.arange(40, dtype=np.int64).reshape(5, 8)
                expected[i, ::2] = -i
                expected[:, i] = 100 + i
                assert_matches(mine, expected)

        return run

    _run_all([worker(i) for i in range(THREADS)])
    assert_matches(base, np.arange(40, dtype=np.int64).reshape(5, 8))

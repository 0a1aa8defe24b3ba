//! Reduction kernels against `kiln_interp::run_kernel`: every reduce op on the dtypes it
//! accepts, over the innermost axis (SIMD path) and over a strided axis (scalar path), with
//! epilogues that read their own parameter; the accuracy of long float sums; and split
//! (multi-threaded) reductions equal to single-threaded ones.

mod common;

use common::*;
use kiln_cpu::CpuBackend;
use kiln_cpu::exec::LaunchBuffer;
use kiln_interp::compare::{Tolerance, assert_close};
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, Kernel, LaunchGeometry, Realized, ReduceOp,
    Reduction, Scalar, Shape, Storage, UnaryOp, ValueId,
};
use std::sync::Arc;

/// Values that keep sums and products finite (with a sprinkle of specials for max/min/arg).
fn tame_storage(rng: &mut Rng, d: DType, len: usize, op: ReduceOp, specials: bool) -> Storage {
    let mut s = Storage::zeroed(d, len).unwrap();
    for i in 0..len {
        let v = if d.is_floating() {
            let x = if specials && rng.below(50) == 0 {
                [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0, 0.0][rng.below(5) as usize]
            } else if op == ReduceOp::Prod {
                0.5 + rng.unit() * 1.5
            } else {
                (rng.unit() - 0.5) * 20.0
            };
            let y = (rng.unit() - 0.5) * 2.0;
            match d {
                DType::C64 | DType::C128 => Scalar::C128(kiln_ir::C128::new(x, y)).cast(d),
                _ => Scalar::from_f64(x, d),
            }
        } else {
            random_scalar(rng, d)
        };
        s.set(i, v).unwrap();
    }
    s
}

/// `out[o] = epilogue(reduce(op, f(x[o, :])), bias[o])` over a `[rows, n]` space.
fn reduce_kernel(op: ReduceOp, d: DType, inner: InnerStride) -> Kernel {
    let rd = op.result_dtype(d).unwrap();
    let mut body = vec![val(Inst::Load { param: 0 }, d)];
    // A body op before the reduction: negate numbers, invert bools.
    body.push(match d {
        DType::Bool => val(
            Inst::Unary {
                op: UnaryOp::Not,
                arg: ValueId(0),
            },
            d,
        ),
        _ if d.is_unsigned_integer() => val(
            Inst::Unary {
                op: UnaryOp::Abs,
                arg: ValueId(0),
            },
            d,
        ),
        _ => val(
            Inst::Unary {
                op: UnaryOp::Neg,
                arg: ValueId(0),
            },
            d,
        ),
    });
    let red = 2u32;
    let mut epilogue = vec![val(Inst::Reduced, rd), val(Inst::Load { param: 1 }, rd)];
    let combine = match rd {
        DType::Bool => BinaryOp::LogicalXor,
        _ => BinaryOp::Add,
    };
    epilogue.push(val(
        Inst::Binary {
            op: combine,
            lhs: ValueId(red),
            rhs: ValueId(red + 1),
        },
        rd,
    ));
    Kernel {
        name: format!("{}_{}", op.name(), d.short_name()),
        params: vec![
            param(d, Access::Read, inner),
            param(rd, Access::Read, InnerStride::Unit),
            param(rd, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 1,
        body,
        reduce: Some(Reduction {
            op,
            value: ValueId(1),
            dims: 1,
        }),
        epilogue,
        stores: vec![store(2, red + 2)],
    }
}

fn cases() -> Vec<(ReduceOp, DType)> {
    let mut v = Vec::new();
    for op in [
        ReduceOp::Sum,
        ReduceOp::Prod,
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::Any,
        ReduceOp::All,
        ReduceOp::ArgMax,
        ReduceOp::ArgMin,
    ] {
        for d in DType::ALL {
            if op.result_dtype(d).is_some() {
                v.push((op, d));
            }
        }
    }
    v
}

#[test]
fn every_reduction_on_every_dtype_both_axes() {
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(2024);
    let mut failures = Vec::new();
    for (op, d) in cases() {
        let rd = op.result_dtype(d).unwrap();
        for inner in [InnerStride::Unit, InnerStride::Any] {
            let k = reduce_kernel(op, d, inner);
            for n in (0..=37).chain([1000, 3001]) {
                if n == 0
                    && matches!(
                        op,
                        ReduceOp::Max | ReduceOp::Min | ReduceOp::ArgMax | ReduceOp::ArgMin
                    )
                {
                    continue; // empty max/min are rejected by the graph (and the oracle)
                }
                let rows = 3;
                // Unit: x is [rows, n] row-major. Any: x is stored [n, rows] and read transposed.
                let strides = match inner {
                    InnerStride::Unit => vec![n as isize, 1],
                    _ => vec![1, rows as isize],
                };
                let g = LaunchGeometry {
                    dims: vec![rows, n],
                    params: vec![
                        layout(0, strides),
                        layout(0, vec![1, 0]),
                        layout(0, vec![1, 0]),
                    ],
                };
                // Complex products of infinities and NaNs are order-dependent garbage (which part
                // ends up NaN differs between any two evaluation orders), so they get no specials.
                let specials = !(d.is_complex() && op == ReduceOp::Prod);
                let x = tame_storage(&mut rng, d, rows * n, op, specials);
                let bias = random_storage(&mut rng, rd, rows);
                let tol = if d.is_floating() {
                    Tolerance::program()
                } else {
                    Tolerance::exact()
                };
                if let Err(e) = differential(&backend, &k, &g, &[x, bias], &[rows], &tol) {
                    failures.push(format!("{} {d} {inner:?} n={n}: {e}", op.name()));
                    break;
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}

/// The contiguous vector loop runs several independent accumulators, then single vectors,
/// then scalars, in blocks of `LANE_TERMS` terms per lane: every length around the unroll
/// step (up to 4 x 16 lanes) and around block boundaries (f32 sums: 1024 elements, f64: 512),
/// with a cheap body (unrolled) and an expensive one (exp: one accumulator).
#[test]
fn unrolled_reduce_loop_at_every_length_and_block_boundary() {
    let backend = CpuBackend::with_threads(1).unwrap();
    let mut rng = Rng(99);
    let mut failures = Vec::new();
    let lengths: Vec<usize> = (0..=70)
        .chain([
            255, 256, 257, 511, 512, 513, 1023, 1024, 1025, 1100, 2049, 4099,
        ])
        .collect();
    let mut cases: Vec<(ReduceOp, DType, bool)> = Vec::new();
    for op in [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min] {
        for d in [DType::F32, DType::F64, DType::I32, DType::I8, DType::U16] {
            cases.push((op, d, false));
        }
    }
    for op in [ReduceOp::Any, ReduceOp::All] {
        cases.push((op, DType::Bool, false));
    }
    for op in [ReduceOp::Sum, ReduceOp::Max] {
        for d in [DType::F32, DType::F64] {
            cases.push((op, d, true));
        }
    }
    for (op, d, exp) in cases {
        let rd = op.result_dtype(d).unwrap();
        let mut k = reduce_kernel(op, d, InnerStride::Unit);
        if exp {
            k.body[1] = val(
                Inst::Unary {
                    op: UnaryOp::Exp,
                    arg: ValueId(0),
                },
                d,
            );
        }
        for &n in &lengths {
            if n == 0 && matches!(op, ReduceOp::Max | ReduceOp::Min) {
                continue;
            }
            let rows = 2;
            let g = LaunchGeometry {
                dims: vec![rows, n],
                params: vec![
                    layout(0, vec![n as isize, 1]),
                    layout(0, vec![1, 0]),
                    layout(0, vec![1, 0]),
                ],
            };
            let x = tame_storage(&mut rng, d, rows * n, op, op != ReduceOp::Prod);
            let bias = random_storage(&mut rng, rd, rows);
            let tol = if d.is_floating() {
                Tolerance::program()
            } else {
                Tolerance::exact()
            };
            if let Err(e) = differential(&backend, &k, &g, &[x, bias], &[rows], &tol) {
                failures.push(format!("{} {d} exp={exp} n={n}: {e}", op.name()));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A single NaN propagates through max/min/sum wherever it lands: in any of the 4 x lanes
/// accumulator lanes, in the single-vector tail, in the scalar tail, in a later block.
#[test]
fn nan_in_every_accumulator_lane_propagates() {
    let backend = CpuBackend::with_threads(1).unwrap();
    for d in [DType::F32, DType::F64] {
        for op in [ReduceOp::Max, ReduceOp::Min, ReduceOp::Sum] {
            let k = reduce_kernel(op, d, InnerStride::Unit);
            for n in [67usize, 1030] {
                let positions: Vec<usize> = if n < 100 {
                    (0..n).collect()
                } else {
                    (0..70).chain(1015..n).collect()
                };
                for pos in positions {
                    let mut x = Storage::zeroed(d, n).unwrap();
                    for i in 0..n {
                        let v = if i == pos {
                            f64::NAN
                        } else {
                            (i % 7) as f64 - 3.0
                        };
                        x.set(i, Scalar::from_f64(v, d)).unwrap();
                    }
                    let bias = Storage::zeroed(d, 1).unwrap();
                    let g = LaunchGeometry {
                        dims: vec![1, n],
                        params: vec![
                            layout(0, vec![n as isize, 1]),
                            layout(0, vec![1, 0]),
                            layout(0, vec![1, 0]),
                        ],
                    };
                    let mut out = Storage::zeroed(d, 1).unwrap();
                    backend
                        .launch(
                            &k,
                            &g,
                            &mut [
                                LaunchBuffer::Read(&x),
                                LaunchBuffer::Read(&bias),
                                LaunchBuffer::Write(&mut out),
                            ],
                        )
                        .unwrap();
                    let got = out.get(0).unwrap();
                    assert!(
                        got.to_f64().is_nan(),
                        "{} {d} n={n}: NaN at {pos} gave {got:?}",
                        op.name()
                    );
                }
            }
        }
    }
}

#[test]
fn reduction_over_two_axes_with_index_in_epilogue() {
    // out[o] = sum over (a, b) of x[o, a, b] * 1.0 + o (as f64), x permuted in memory.
    let backend = CpuBackend::new().unwrap();
    let mut rng = Rng(5);
    let k = Kernel {
        name: "sum2".into(),
        params: vec![
            param(DType::F64, Access::Read, InnerStride::Any),
            param(DType::F64, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 1,
        body: vec![val(Inst::Load { param: 0 }, DType::F64)],
        reduce: Some(Reduction {
            op: ReduceOp::Sum,
            value: ValueId(0),
            dims: 2,
        }),
        epilogue: vec![
            val(Inst::Reduced, DType::F64),
            val(Inst::Index { dim: 0 }, DType::I64),
            val(
                Inst::Cast {
                    arg: ValueId(2),
                    to: DType::F64,
                },
                DType::F64,
            ),
            val(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(1),
                    rhs: ValueId(3),
                },
                DType::F64,
            ),
        ],
        stores: vec![store(1, 4)],
    };
    for (o, a, b) in [(4, 5, 6), (1, 0, 3), (2, 300, 7), (0, 3, 3)] {
        let x = tame_storage(&mut rng, DType::F64, o * a * b, ReduceOp::Sum, false);
        // Memory order [b, a, o]: strides o:1, a:o, b:o*a.
        let g = LaunchGeometry {
            dims: vec![o, a, b],
            params: vec![
                layout(0, vec![1, o as isize, (o * a) as isize]),
                layout(0, vec![1, 0, 0]),
            ],
        };
        differential(&backend, &k, &g, &[x], &[o], &Tolerance::program()).unwrap();
    }
}

fn sum_kernel(d: DType) -> Kernel {
    Kernel {
        name: "sum".into(),
        params: vec![
            param(d, Access::Read, InnerStride::Unit),
            param(d, Access::Write, InnerStride::Unit),
        ],
        outer_rank: 0,
        body: vec![val(Inst::Load { param: 0 }, d)],
        reduce: Some(Reduction {
            op: ReduceOp::Sum,
            value: ValueId(0),
            dims: 1,
        }),
        epilogue: vec![val(Inst::Reduced, d)],
        stores: vec![store(1, 1)],
    }
}

fn run_full(backend: &CpuBackend, k: &Kernel, x: &Storage, out_dtype: DType) -> Storage {
    let n = x.len();
    let g = LaunchGeometry {
        dims: vec![n],
        params: vec![layout(0, vec![1]), layout(0, vec![0])],
    };
    let mut out = Storage::zeroed(out_dtype, 1).unwrap();
    backend
        .launch(
            k,
            &g,
            &mut [LaunchBuffer::Read(x), LaunchBuffer::Write(&mut out)],
        )
        .unwrap();
    out
}

/// Error of a 1e7-element f32 sum: the JIT's blocked + compensated sum against the exact
/// (f64, compensated) value, compared with a naive sequential f32 sum.
#[test]
fn long_f32_sum_is_accurate() {
    let n = 10_000_000;
    let mut rng = Rng(77);
    let data: Vec<f32> = (0..n).map(|_| (rng.unit() * 2.0 + 0.1) as f32).collect();
    let x = Storage::from_slice(&data).unwrap();
    let mut exact = 0.0f64;
    let mut comp = 0.0f64;
    for &v in &data {
        let v = v as f64;
        let t = exact + v;
        comp += if exact.abs() >= v.abs() {
            (exact - t) + v
        } else {
            (v - t) + exact
        };
        exact = t;
    }
    let exact = exact + comp;
    let naive = data.iter().fold(0.0f32, |a, &v| a + v) as f64;
    for threads in [1, 2] {
        let backend = CpuBackend::with_threads(threads).unwrap();
        let out = run_full(&backend, &sum_kernel(DType::F32), &x, DType::F32);
        let got = out.as_slice::<f32>().unwrap()[0] as f64;
        let (err, naive_err) = ((got - exact).abs() / exact, (naive - exact).abs() / exact);
        println!(
            "threads {threads}: sum of 1e7 f32: relative error {err:.2e} (naive sequential f32: {naive_err:.2e})"
        );
        // One f32 rounding of the result is 6e-8; the blocked sum stays within a few of them.
        assert!(err < 3e-7, "relative error {err:e}");
        assert!(
            err * 100.0 < naive_err,
            "blocked sum {err:e} is not much better than naive {naive_err:e}"
        );
    }
}

#[test]
fn split_reductions_match_single_threaded_and_oracle() {
    let one = CpuBackend::with_threads(1).unwrap();
    let two = CpuBackend::with_threads(2).unwrap();
    let mut rng = Rng(31337);
    let n = 200_003;
    for (op, d) in [
        (ReduceOp::Sum, DType::I32),
        (ReduceOp::Sum, DType::U8),
        (ReduceOp::Max, DType::F32),
        (ReduceOp::Min, DType::I16),
        (ReduceOp::ArgMax, DType::F64),
        (ReduceOp::ArgMin, DType::I32),
        (ReduceOp::ArgMax, DType::U8),
        (ReduceOp::Any, DType::Bool),
        (ReduceOp::All, DType::Bool),
        (ReduceOp::Sum, DType::F64),
        (ReduceOp::Sum, DType::C64),
        (ReduceOp::Prod, DType::F32),
    ] {
        let rd = op.result_dtype(d).unwrap();
        let k = Kernel {
            name: "full".into(),
            params: vec![
                param(d, Access::Read, InnerStride::Unit),
                param(rd, Access::Write, InnerStride::Unit),
            ],
            outer_rank: 0,
            body: vec![val(Inst::Load { param: 0 }, d)],
            reduce: Some(Reduction {
                op,
                value: ValueId(0),
                dims: 1,
            }),
            epilogue: vec![val(Inst::Reduced, rd)],
            stores: vec![store(1, 1)],
        };
        let mut x = tame_storage(&mut rng, d, n, op, op != ReduceOp::Prod);
        if op == ReduceOp::All {
            for i in 0..n {
                x.set(i, Scalar::Bool(i != 150_000)).unwrap();
            }
        }
        if op == ReduceOp::ArgMax && d == DType::F64 {
            // Ties at chunk boundaries, then a NaN that must win over a later NaN.
            for i in [30_000, 60_000, 90_001] {
                x.set(i, Scalar::F64(1e9)).unwrap();
            }
        }
        let a = run_full(&one, &k, &x, rd);
        let b = run_full(&two, &k, &x, rd);
        let g = LaunchGeometry {
            dims: vec![n],
            params: vec![layout(0, vec![1]), layout(0, vec![0])],
        };
        let tol = if d.is_floating() {
            Tolerance::program()
        } else {
            Tolerance::exact()
        };
        differential(&two, &k, &g, std::slice::from_ref(&x), &[1], &tol)
            .unwrap_or_else(|e| panic!("{} {d}: {e}", op.name()));
        if !d.is_floating() || op != ReduceOp::Sum {
            let wrap = |s: Storage| Realized::contiguous(Arc::new(s), Shape::from([1])).unwrap();
            assert_close(&wrap(a), &wrap(b), &Tolerance::exact())
                .unwrap_or_else(|e| panic!("{} {d}: 1 thread vs 2 threads: {e}", op.name()));
        }
    }
}

#[test]
fn multi_threaded_elementwise_equals_single_threaded() {
    let one = CpuBackend::with_threads(1).unwrap();
    let two = CpuBackend::with_threads(2).unwrap();
    let mut rng = Rng(8);
    let d = DType::F32;
    let k = kernel(
        "sinlog",
        vec![
            param(d, Access::Read, InnerStride::Unit),
            param(d, Access::Write, InnerStride::Unit),
        ],
        2,
        vec![
            val(Inst::Load { param: 0 }, d),
            val(
                Inst::Unary {
                    op: UnaryOp::Sin,
                    arg: ValueId(0),
                },
                d,
            ),
            val(Inst::Const(Scalar::F32(5.0)), d),
            val(
                Inst::Binary {
                    op: BinaryOp::Add,
                    lhs: ValueId(1),
                    rhs: ValueId(2),
                },
                d,
            ),
            val(
                Inst::Unary {
                    op: UnaryOp::Log,
                    arg: ValueId(3),
                },
                d,
            ),
        ],
        vec![store(1, 4)],
    );
    let (rows, cols) = (301, 1001);
    let x = random_storage(&mut rng, d, rows * cols);
    let g = LaunchGeometry {
        dims: vec![rows, cols],
        params: vec![
            layout(0, vec![cols as isize, 1]),
            layout(0, vec![cols as isize, 1]),
        ],
    };
    let mut outs = Vec::new();
    for b in [&one, &two] {
        let mut out = Storage::zeroed(d, rows * cols).unwrap();
        b.launch(
            &k,
            &g,
            &mut [LaunchBuffer::Read(&x), LaunchBuffer::Write(&mut out)],
        )
        .unwrap();
        outs.push(out);
    }
    let (a, b) = (
        outs[0].as_slice::<f32>().unwrap(),
        outs[1].as_slice::<f32>().unwrap(),
    );
    assert!(a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits()));
    differential(&two, &k, &g, &[x], &[rows * cols], &Tolerance::single_op()).unwrap();
}

/// `partial`/`finish` are compiled by the first launch that splits, not with `main`; two
/// threads making that first launch at once both get correct results from one compilation.
#[test]
fn split_entry_points_are_compiled_lazily_and_once() {
    let backend = CpuBackend::with_threads(2).unwrap();
    let k = sum_kernel(DType::F64);
    let compiled = backend.compile(&k).unwrap();
    assert!(!compiled.split_compiled());
    let stats = backend.stats();
    // A short reduction runs `main` on the caller's thread: still nothing compiled.
    let short = Storage::from_slice(&[1.0f64, 2.0, 3.0]).unwrap();
    let out = run_full(&backend, &k, &short, DType::F64);
    assert_eq!(out.as_slice::<f64>().unwrap()[0], 6.0);
    assert!(!compiled.split_compiled());
    assert_eq!(backend.stats().split_entries_compiled, 0);
    let n = 300_000;
    let data: Vec<f64> = (0..n).map(|i| (i % 10) as f64).collect();
    let expected: f64 = data.iter().sum();
    let x = Storage::from_slice(&data).unwrap();
    let barrier = std::sync::Barrier::new(2);
    let results: Vec<f64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let g = LaunchGeometry {
                        dims: vec![n],
                        params: vec![layout(0, vec![1]), layout(0, vec![0])],
                    };
                    let mut out = Storage::zeroed(DType::F64, 1).unwrap();
                    barrier.wait();
                    backend
                        .launch_compiled(
                            &compiled,
                            &g,
                            &mut [LaunchBuffer::Read(&x), LaunchBuffer::Write(&mut out)],
                        )
                        .unwrap();
                    out.as_slice::<f64>().unwrap()[0]
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results, vec![expected, expected]);
    assert!(compiled.split_compiled());
    let after = backend.stats();
    assert_eq!(after.kernels_compiled, stats.kernels_compiled);
    assert_eq!(
        after.split_entries_compiled,
        stats.split_entries_compiled + 1
    );
    assert!(after.compile_time > stats.compile_time);
}

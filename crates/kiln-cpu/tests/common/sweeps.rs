//! The elementwise sweeps shared by `elementwise.rs` (the host's native ISA) and `no_sse41.rs`
//! (a backend compiled without SSE4.1/AVX/FMA): every unary and binary op on every dtype it
//! accepts, and every cast, against the interpreter. Each sweep returns its failures (the first
//! failing length per kernel) so the caller reports them together.

use super::*;
use kiln_ir::{BinaryOp, UnaryOp};

/// Storage length, offset and stride of a read param of `n` elements in a layout class.
pub fn read_layout(inner: InnerStride, n: usize) -> (usize, usize, isize) {
    match inner {
        InnerStride::Unit => (n, 0, 1),
        InnerStride::Zero => (1, 0, 0),
        InnerStride::Any => (2 * n + 1, 2 * n, -2),
    }
}

/// Fails the test with the first failures of a sweep, if any.
pub fn report(failures: Vec<String>) {
    if !failures.is_empty() {
        let shown: Vec<&String> = failures.iter().take(25).collect();
        panic!("{} failures, first ones:\n{shown:#?}", failures.len());
    }
}

/// |x| for real values: keeps acosh inputs where the oracle (libm) is right.
pub fn fold_negatives(s: &mut Storage) {
    for i in 0..s.len() {
        if let Some(v) = s.get(i) {
            let x = v.to_f64();
            if x < 0.0 {
                s.set(i, Scalar::from_f64(-x, v.dtype())).unwrap();
            }
        }
    }
}

/// The launch of a kernel whose read params have the given layout classes and whose last param
/// is a contiguous output of `n` elements; also each read param's storage length.
pub fn launch(n: usize, reads: &[InnerStride]) -> (Vec<usize>, LaunchGeometry) {
    let mut lens = Vec::with_capacity(reads.len());
    let mut params = Vec::with_capacity(reads.len() + 1);
    for &inner in reads {
        let (len, offset, stride) = read_layout(inner, n);
        lens.push(len);
        params.push(layout(offset, vec![stride]));
    }
    params.push(layout(0, vec![1]));
    (
        lens,
        LaunchGeometry {
            dims: vec![n],
            params,
        },
    )
}

/// `out = op(x)` with `x` of dtype `d` in layout class `inner`, `out` of dtype `rd`.
pub fn unary_kernel(op: UnaryOp, d: DType, rd: DType, inner: InnerStride) -> Kernel {
    kernel(
        &format!("{}_{}", op.name(), d.short_name()),
        vec![
            param(d, Access::Read, inner),
            param(rd, Access::Write, InnerStride::Unit),
        ],
        1,
        vec![
            val(Inst::Load { param: 0 }, d),
            val(
                Inst::Unary {
                    op,
                    arg: ValueId(0),
                },
                rd,
            ),
        ],
        vec![store(1, 1)],
    )
}

/// Every unary op on every dtype, with its operand in each of `inners`.
pub fn unary_sweep(
    backend: &CpuBackend,
    rng: &mut Rng,
    inners: &[InnerStride],
    lengths: &[usize],
) -> Vec<String> {
    let mut failures = Vec::new();
    for op in UnaryOp::ALL {
        for d in DType::ALL {
            let Some(rd) = op.result_dtype(d) else {
                continue;
            };
            for &inner in inners {
                let k = unary_kernel(op, d, rd, inner);
                for &n in lengths {
                    let (lens, g) = launch(n, &[inner]);
                    let mut input = random_storage(rng, d, lens[0]);
                    if op == UnaryOp::Acosh {
                        // The oracle's acosh (libm's) returns finite garbage for x <= -1 instead
                        // of NaN; the JIT's NaN there is checked in `acosh_below_one_is_nan`.
                        fold_negatives(&mut input);
                    }
                    if let Err(e) =
                        differential(backend, &k, &g, &[input], &[n], &Tolerance::single_op())
                    {
                        failures.push(format!("{} {d} {inner:?} n={n}: {e}", op.name()));
                        break;
                    }
                }
            }
        }
    }
    failures
}

/// Every binary op on every dtype, with its operands in each pair of `layouts`.
pub fn binary_sweep(
    backend: &CpuBackend,
    rng: &mut Rng,
    layouts: &[(InnerStride, InnerStride)],
    lengths: &[usize],
) -> Vec<String> {
    let mut failures = Vec::new();
    for op in BinaryOp::ALL {
        for d in DType::ALL {
            let Some(rd) = op.result_dtype(d) else {
                continue;
            };
            for &(ia, ib) in layouts {
                let k = kernel(
                    &format!("{}_{}", op.name(), d.short_name()),
                    vec![
                        param(d, Access::Read, ia),
                        param(d, Access::Read, ib),
                        param(rd, Access::Write, InnerStride::Unit),
                    ],
                    1,
                    vec![
                        val(Inst::Load { param: 0 }, d),
                        val(Inst::Load { param: 1 }, d),
                        val(
                            Inst::Binary {
                                op,
                                lhs: ValueId(0),
                                rhs: ValueId(1),
                            },
                            rd,
                        ),
                    ],
                    vec![store(2, 2)],
                );
                for &n in lengths {
                    let (lens, g) = launch(n, &[ia, ib]);
                    let a = random_storage(rng, d, lens[0]);
                    let b = random_storage(rng, d, lens[1]);
                    if let Err(e) =
                        differential(backend, &k, &g, &[a, b], &[n], &Tolerance::single_op())
                    {
                        failures.push(format!("{} {d} {ia:?}/{ib:?} n={n}: {e}", op.name()));
                        break;
                    }
                }
            }
        }
    }
    failures
}

/// Every cast between two dtypes, contiguous, compared exactly.
pub fn cast_sweep(backend: &CpuBackend, rng: &mut Rng, lengths: &[usize]) -> Vec<String> {
    let mut failures = Vec::new();
    for from in DType::ALL {
        for to in DType::ALL {
            let k = kernel(
                &format!("cast_{}_{}", from.short_name(), to.short_name()),
                vec![
                    param(from, Access::Read, InnerStride::Unit),
                    param(to, Access::Write, InnerStride::Unit),
                ],
                1,
                vec![
                    val(Inst::Load { param: 0 }, from),
                    val(
                        Inst::Cast {
                            arg: ValueId(0),
                            to,
                        },
                        to,
                    ),
                ],
                vec![store(1, 1)],
            );
            for &n in lengths {
                let (_, g) = launch(n, &[InnerStride::Unit]);
                let input = random_storage(rng, from, n);
                if let Err(e) = differential(backend, &k, &g, &[input], &[n], &Tolerance::exact()) {
                    failures.push(format!("cast {from} -> {to} n={n}: {e}"));
                    break;
                }
            }
        }
    }
    failures
}

//! Property test: random small elementwise kernels (SSA bodies over 1-3 params of random dtypes
//! and inner-stride classes, random unary/binary/select/cast/const/index instructions) give the
//! same results on the JIT as on `kiln_interp::run_kernel`.

mod common;

use common::Rng;
use common::*;
use kiln_cpu::CpuBackend;
use kiln_interp::compare::Tolerance;
use kiln_ir::{
    Access, BinaryOp, DType, InnerStride, Inst, Kernel, LaunchGeometry, Param, Store, UnaryOp,
    Value, ValueId,
};
use proptest::prelude::*;
use std::sync::OnceLock;

fn backend() -> &'static CpuBackend {
    static B: OnceLock<CpuBackend> = OnceLock::new();
    B.get_or_init(|| CpuBackend::new().expect("backend"))
}

fn pick<T: Copy>(rng: &mut Rng, xs: &[T]) -> T {
    xs[rng.below(xs.len() as u64) as usize]
}

/// Builds a verified random kernel over a rank-`rank` space.
fn random_kernel(rng: &mut Rng, rank: usize) -> Kernel {
    let dtypes = DType::ALL;
    let n_params = 1 + rng.below(3) as usize;
    let mut params: Vec<Param> = (0..n_params)
        .map(|_| {
            param(
                pick(rng, &dtypes),
                Access::Read,
                pick(
                    rng,
                    &[
                        InnerStride::Unit,
                        InnerStride::Unit,
                        InnerStride::Zero,
                        InnerStride::Any,
                    ],
                ),
            )
        })
        .collect();
    let mut body: Vec<Value> = params
        .iter()
        .enumerate()
        .map(|(p, prm)| val(Inst::Load { param: p }, prm.dtype))
        .collect();
    let steps = 1 + rng.below(8);
    for _ in 0..steps {
        let i = rng.below(body.len() as u64) as usize;
        let d = body[i].dtype;
        let a = ValueId(i as u32);
        let candidate = match rng.below(6) {
            0 | 1 => {
                let ops: Vec<UnaryOp> = UnaryOp::ALL
                    .into_iter()
                    .filter(|o| o.result_dtype(d).is_some())
                    .collect();
                (!ops.is_empty()).then(|| {
                    let op = pick(rng, &ops);
                    val(Inst::Unary { op, arg: a }, op.result_dtype(d).unwrap_or(d))
                })
            }
            2 | 3 => {
                let same: Vec<usize> = (0..body.len()).filter(|&j| body[j].dtype == d).collect();
                let b = ValueId(pick(rng, &same) as u32);
                let ops: Vec<BinaryOp> = BinaryOp::ALL
                    .into_iter()
                    .filter(|o| o.result_dtype(d).is_some())
                    .collect();
                let op = pick(rng, &ops);
                Some(val(
                    Inst::Binary { op, lhs: a, rhs: b },
                    op.result_dtype(d).unwrap_or(d),
                ))
            }
            4 => {
                let conds: Vec<usize> = (0..body.len())
                    .filter(|&j| body[j].dtype == DType::Bool)
                    .collect();
                let same: Vec<usize> = (0..body.len()).filter(|&j| body[j].dtype == d).collect();
                (!conds.is_empty()).then(|| {
                    let c = ValueId(pick(rng, &conds) as u32);
                    let b = ValueId(pick(rng, &same) as u32);
                    val(
                        Inst::Select {
                            cond: c,
                            then: a,
                            otherwise: b,
                        },
                        d,
                    )
                })
            }
            _ => {
                let to = pick(rng, &dtypes);
                Some(val(Inst::Cast { arg: a, to }, to))
            }
        };
        if let Some(v) = candidate {
            body.push(v);
        }
    }
    if rng.below(4) == 0 && rank > 0 {
        body.push(val(
            Inst::Index {
                dim: rng.below(rank as u64) as usize,
            },
            DType::I64,
        ));
    }
    // Store the last value and, sometimes, one other.
    let mut stored = vec![body.len() - 1];
    if rng.below(2) == 0 {
        stored.push(rng.below(body.len() as u64) as usize);
    }
    let mut stores = Vec::new();
    for v in stored {
        params.push(param(body[v].dtype, Access::Write, InnerStride::Unit));
        stores.push(Store {
            param: params.len() - 1,
            value: ValueId(v as u32),
        });
    }
    Kernel {
        name: "random".into(),
        params,
        outer_rank: rank,
        body,
        reduce: None,
        epilogue: vec![],
        stores,
    }
}

/// Whether `inst` may round differently on the JIT than in the oracle: transcendental functions
/// (the JIT's vector math is within a few ULP, not correctly rounded) and complex arithmetic
/// beyond sign and part selection.
fn is_approximate(inst: &Inst, dtype_of: impl Fn(ValueId) -> DType) -> bool {
    use BinaryOp as B;
    use UnaryOp as U;
    match inst {
        Inst::Unary { op, arg } => {
            dtype_of(*arg).is_complex() && !matches!(op, U::Neg | U::Conj | U::Real | U::Imag)
                || matches!(
                    op,
                    U::Exp
                        | U::Expm1
                        | U::Log
                        | U::Log1p
                        | U::Log2
                        | U::Log10
                        | U::Sin
                        | U::Cos
                        | U::Tan
                        | U::Asin
                        | U::Acos
                        | U::Atan
                        | U::Sinh
                        | U::Cosh
                        | U::Tanh
                        | U::Asinh
                        | U::Acosh
                        | U::Atanh
                )
        }
        Inst::Binary { op, lhs, .. } => {
            dtype_of(*lhs).is_complex() && !matches!(op, B::Add | B::Sub | B::Eq | B::Ne)
                || matches!(op, B::Pow | B::Atan2 | B::Hypot | B::LogAddExp)
        }
        _ => false,
    }
}

/// Whether `inst` is discontinuous in a float operand (a tiny change of input can change the
/// result by a whole step). `copysign` steps where its sign operand crosses zero, and reads the
/// sign of a NaN, which IEEE 754 leaves unspecified: the JIT's `atanh(inf)` and the oracle's may
/// be NaNs of opposite signs (CI-style run found this: seed 13063660535615540484).
fn is_step(inst: &Inst, to_dtype: DType) -> bool {
    use BinaryOp as B;
    use UnaryOp as U;
    match inst {
        Inst::Unary { op, .. } => matches!(
            op,
            U::Floor
                | U::Ceil
                | U::Trunc
                | U::Round
                | U::Sign
                | U::SignBit
                | U::IsNan
                | U::IsInf
                | U::IsFinite
        ),
        Inst::Binary { op, .. } => matches!(
            op,
            B::FloorDiv
                | B::Copysign
                | B::Rem
                | B::Eq
                | B::Ne
                | B::Lt
                | B::Le
                | B::Gt
                | B::Ge
                | B::Nextafter
                | B::LogicalAnd
                | B::LogicalOr
                | B::LogicalXor
        ),
        Inst::Cast { .. } => !to_dtype.is_floating(),
        _ => false,
    }
}

/// Whether `inst` is ill-conditioned somewhere in its domain, so that a difference of one ULP in
/// its operand may change its result without bound:
/// - periodic functions, whose condition number grows with the operand: a 1-ULP difference in
///   `cosh(8.3)` (about 2060) changes `cos` of it by 1.6e-4 (CI found this: seed
///   13159567446386366810). The complex forms of `exp` and the hyperbolic functions are periodic
///   in one component.
/// - functions with an infinite slope at a point of their domain: `acos` and `asin` at +-1,
///   `atanh` at +-1 (a pole), `acosh` at 1. `acos(tanh(x))` with `tanh(x)` one ULP below 1
///   is 3.5e-4 or 4.9e-4 depending on that ULP.
fn is_ill_conditioned(inst: &Inst, dtype_of: impl Fn(ValueId) -> DType) -> bool {
    use UnaryOp as U;
    match inst {
        Inst::Unary { op, arg } => {
            matches!(
                op,
                U::Sin | U::Cos | U::Tan | U::Asin | U::Acos | U::Atanh | U::Acosh
            ) || dtype_of(*arg).is_complex()
                && matches!(op, U::Exp | U::Expm1 | U::Sinh | U::Cosh | U::Tanh)
        }
        _ => false,
    }
}

/// Whether an approximate value flows (directly or through other ops) into a step function or an
/// ill-conditioned one: there an allowed difference of a few ULP may become an arbitrarily large
/// one.
fn approximation_reaches_an_amplifier(k: &Kernel) -> bool {
    let mut tainted = vec![false; k.body.len()];
    for (i, v) in k.body.iter().enumerate() {
        let args = Kernel::operands(&v.inst);
        let from_tainted = args.iter().any(|a| tainted[a.0 as usize]);
        let dtype_of = |a: ValueId| k.body[a.0 as usize].dtype;
        if from_tainted && (is_step(&v.inst, v.dtype) || is_ill_conditioned(&v.inst, dtype_of)) {
            return true;
        }
        tainted[i] = from_tainted || is_approximate(&v.inst, |a| k.body[a.0 as usize].dtype);
    }
    false
}

/// `Tolerance::program()`, widened for double outputs when the kernel computes anything in
/// float32/complex64: an f32 value cast to f64 keeps its f32 error, and later f64 ops amplify it
/// as they would in f32 (`exp` of a cast `exp(6.55f32)` near 703 turns one f32 ULP into a
/// relative 6e-5). Such outputs get the single-precision relative budget, `rtol` expressed in
/// f64 ULPs (one f32 ULP is 2^29 f64 ULPs).
fn tolerance_for(k: &Kernel) -> Tolerance {
    let mut tol = Tolerance::program();
    if k.body.iter().any(|v| v.dtype.real_part() == DType::F32) {
        let f32_ulps = (tol.rtol / f64::from(f32::EPSILON)).ceil() as u64;
        tol.max_ulps_f64 = f32_ulps << 29;
    }
    tol
}

/// One case: the kernel `seed` generates, over a rank-`rank` space of extents `n0 x n1`.
fn check_case(seed: u64, rank: usize, n0: usize, n1: usize) -> Result<(), TestCaseError> {
    let mut rng = Rng(seed | 1);
    // An approximate result feeding a step function (floor, a comparison, a cast to an
    // integer) may legitimately land on the other side of the step, and one feeding an
    // ill-conditioned function may be amplified without bound; no tolerance applies to either,
    // so such kernels are redrawn.
    let mut k = random_kernel(&mut rng, rank);
    while approximation_reaches_an_amplifier(&k) {
        k = random_kernel(&mut rng, rank);
    }
    k.verify()
        .map_err(|e| TestCaseError::fail(format!("generator made a bad kernel: {e}\n{k}")))?;
    let dims: Vec<usize> = match rank {
        0 => vec![],
        1 => vec![n1],
        _ => vec![n0, n1],
    };
    let numel: usize = dims.iter().product();
    let contiguous = |dims: &[usize]| kiln_ir::Shape::from(dims).contiguous_strides();
    let mut reads = Vec::new();
    let mut layouts = Vec::new();
    let mut write_lens = Vec::new();
    for p in &k.params {
        if p.access == Access::Write {
            layouts.push(layout(0, contiguous(&dims)));
            write_lens.push(numel);
            continue;
        }
        let mut strides = contiguous(&dims);
        let (len, offset) = match (p.inner, rank) {
            (_, 0) => (3, 2),
            (InnerStride::Unit, _) => (numel, 0),
            (InnerStride::Zero, _) => {
                // Broadcast along the innermost dim: one value per outer row.
                let last = rank - 1;
                strides[last] = 0;
                if rank == 2 {
                    strides[0] = 1;
                }
                (dims[..last].iter().product::<usize>().max(1), 0)
            }
            (InnerStride::Any, _) => {
                // Every other element, walked backwards.
                for s in strides.iter_mut() {
                    *s *= -2;
                }
                let len = 2 * numel + 1;
                (len, if numel == 0 { 0 } else { 2 * numel - 1 })
            }
        };
        reads.push(random_storage(&mut rng, p.dtype, len));
        layouts.push(layout(offset, strides));
    }
    let g = LaunchGeometry {
        dims,
        params: layouts,
    };
    if let Err(e) = differential(backend(), &k, &g, &reads, &write_lens, &tolerance_for(&k)) {
        return Err(TestCaseError::fail(format!("{e}\n{k}\n{g:?}")));
    }
    Ok(())
}

/// Found by CI: `exp` in f32 cast to complex128 was compared with a float64 ULP budget.
#[test]
fn f32_exp_cast_to_complex128_keeps_single_precision_error() {
    check_case(16525093223763251068, 1, 0, 13).unwrap();
}

/// Found by CI: `cos(cosh(x))` with `cosh(x)` near 2060, where the JIT's `cosh` is one ULP
/// from the oracle's; the kernel is an amplifier, and so is redrawn.
#[test]
fn cos_of_an_approximate_large_value_is_redrawn() {
    let f = |inst| val(inst, DType::F32);
    let k = kernel(
        "cos_cosh",
        vec![
            param(DType::F32, Access::Read, InnerStride::Unit),
            param(DType::F32, Access::Write, InnerStride::Unit),
        ],
        1,
        vec![
            f(Inst::Load { param: 0 }),
            f(Inst::Unary {
                op: UnaryOp::Cosh,
                arg: ValueId(0),
            }),
            f(Inst::Unary {
                op: UnaryOp::Cos,
                arg: ValueId(1),
            }),
        ],
        vec![store(1, 2)],
    );
    assert!(approximation_reaches_an_amplifier(&k));
    let mut exact = k.clone();
    exact.body[1] = f(Inst::Unary {
        op: UnaryOp::Neg,
        arg: ValueId(0),
    });
    assert!(!approximation_reaches_an_amplifier(&exact));
    check_case(13159567446386366810, 1, 0, 1).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn random_kernels_match_the_interpreter(seed in any::<u64>(), rank in 0usize..3, n0 in 0usize..4, n1 in 0usize..40) {
        check_case(seed, rank, n0, n1)?;
    }
}

/// Found by a long run: `copysign(hypot(x, atanh(log x)), atanh(log x))` at `x = inf` copies the
/// sign of a NaN; the kernel is redrawn.
#[test]
fn copysign_from_an_approximate_nan_is_redrawn() {
    check_case(13063660535615540484, 2, 1, 34).unwrap();
}

/// Found by a long run: `exp(f64(exp(x as f32)))` near 703 carries the f32 `exp`'s error, which
/// the f64 `exp` multiplies by 703.
#[test]
fn f64_exp_of_an_f32_value_gets_the_single_precision_budget() {
    check_case(3539707448126702282, 1, 3, 25).unwrap();
}

/// Found by a long run: `acos(tanh(x))` and `atanh(pow(t, t))` with `t = tanh(x)` near 1, where
/// one ULP of `tanh` moves `acos` by 40% and `atanh` to infinity; both are redrawn.
#[test]
fn inverse_functions_at_their_singular_points_are_redrawn() {
    check_case(2600289287058604656, 1, 0, 15).unwrap();
    check_case(8291859852685416786, 1, 0, 25).unwrap();
}

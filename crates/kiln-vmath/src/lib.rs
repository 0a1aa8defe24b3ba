//! kiln-vmath: transcendental functions emitted inline as cranelift IR, for scalar (F32, F64)
//! and 128-bit vector (F32X4, F64X2) lanes, so kiln's CPU kernels avoid per-element libm calls.
//!
//! `emit` inserts straight-line code (no calls, no branches, no memory) into the current block,
//! so it is safe inside any loop. Every algorithm is written once over `lanes::Lanes`, so the
//! scalar and vector forms execute the same operations and agree bit for bit (tested). The ISA
//! should enable SSE4.1, AVX and FMA: without FMA cranelift lowers `fma` to a libm call.
//!
//! Methods: Cody-Waite reduction with FMA plus minimax (Chebyshev-fitted) polynomials, the
//! fdlibm formulations for log/asin/acos/hyperbolics, integer bit tricks instead of vector
//! int/float conversions (not native on SSE for 64-bit lanes).
//!
//! Measured maximum error in ULPs (tests/accuracy.rs: ~150k-240k points per pair: dense sweeps,
//! fixed-seed uniform samples, random bit patterns over all floats, and special values). f32
//! errors are fractional ULPs against the f64 C library result; f64 errors are integer ULP
//! distances to glibc's f64 result (glibc itself is within 1-2 ULP for the hyperbolics).
//!
//! | function  | f32   | f64 | notes                                                 |
//! |-----------|-------|-----|-------------------------------------------------------|
//! | exp       | 0.82  | 1   | subnormal results exact-rounded once, overflow to inf |
//! | expm1     | 1.05  | 1   |                                                       |
//! | log       | 0.78  | 1   | subnormal inputs scaled first                         |
//! | log1p     | 0.81  | 1   |                                                       |
//! | log2      | 1.05  | 1   |                                                       |
//! | log10     | 0.93  | 2   |                                                       |
//! | sin       | 1.37  | 1   | claimed for abs(x) <= 1e5 (f32), 1e9 (f64), see below |
//! | cos       | 1.39  | 1   | same range                                            |
//! | tan       | 2.78  | 3   | same range; sin/cos quotient                          |
//! | asin      | 1.50  | 1   |                                                       |
//! | acos      | 1.08  | 1   |                                                       |
//! | atan      | 1.79  | 2   |                                                       |
//! | sinh      | 1.69  | 3   |                                                       |
//! | cosh      | 1.20  | 2   |                                                       |
//! | tanh      | 2.08  | 3   |                                                       |
//! | asinh     | 1.48  | 2   |                                                       |
//! | acosh     | 1.72  | 2   |                                                       |
//! | atanh     | 1.60  | 1   |                                                       |
//! | atan2     | 1.82  | 2   | all C99 special cases (zeros, infinities)             |
//! | hypot     | 1.91  | 2   | hypot(inf, NaN) = inf                                 |
//! | logaddexp | 3.73  | 4   | ULPs of max(abs(result), max(x, y)), like NumPy's     |
//! | pow       | -     | -   | not supported: `supports` is false, use libm          |
//!
//! `max_ulps` returns these rounded up. Trigonometric arguments: the quadrant is exact while
//! abs(x) < 2^22 pi/2 (f32) or 2^51 pi/2 (f64), so accuracy holds well beyond the claimed range
//! except for arguments pathologically close to multiples of pi/2; beyond those bounds results
//! are meaningless (not libm-accurate). sin/cos/tan(±inf) and NaN give NaN.

// Polynomial coefficients are written with the digits of their high-precision fits; the compiler
// rounds each once, which is exactly the intended value.
#![allow(clippy::excessive_precision)]

mod binary;
mod error;
mod exp;
mod hyperbolic;
mod invtrig;
mod lanes;
mod log;
mod mathfn;
mod trig;

use cranelift_codegen::ir::{Type, Value};
use cranelift_frontend::FunctionBuilder;

pub use error::VmathError;
pub use mathfn::MathFn;

use lanes::{Lanes, lane_types};

/// Whether `emit` supports this function for this cranelift type (types: F32, F64, F32X4, F64X2).
pub fn supports(f: MathFn, ty: Type) -> bool {
    lane_types(ty).is_some() && implemented(f)
}

fn implemented(f: MathFn) -> bool {
    use MathFn::*;
    !matches!(f, Pow)
}

/// Emits IR computing `f(args)` elementwise for values of type `ty` (scalar or vector) into the
/// current block of `builder`, returning the result value. Inline code only (no calls), so it is
/// safe inside any loop. The ISA should have SSE4.1 and FMA enabled (`has_sse41`, `has_avx`,
/// `has_fma`): without FMA, cranelift lowers `fma` to a libm call.
pub fn emit(
    builder: &mut FunctionBuilder,
    f: MathFn,
    ty: Type,
    args: &[Value],
) -> Result<Value, VmathError> {
    if !supports(f, ty) {
        return Err(VmathError::Unsupported { f: f.name(), ty });
    }
    if args.len() != f.arity() {
        return Err(VmathError::Arity {
            f: f.name(),
            expected: f.arity(),
            got: args.len(),
        });
    }
    for (index, &arg) in args.iter().enumerate() {
        let got = builder.func.dfg.value_type(arg);
        if got != ty {
            return Err(VmathError::ArgType {
                f: f.name(),
                index,
                expected: ty,
                got,
            });
        }
    }
    let Some(mut l) = Lanes::new(builder, ty) else {
        return Err(VmathError::Unsupported { f: f.name(), ty });
    };
    let x = args[0];
    let value = match f {
        MathFn::Exp => exp::exp(&mut l, x),
        MathFn::Expm1 => exp::expm1(&mut l, x),
        MathFn::Log => log::log(&mut l, x),
        MathFn::Log1p => log::log1p(&mut l, x),
        MathFn::Log2 => log::log2(&mut l, x),
        MathFn::Log10 => log::log10(&mut l, x),
        MathFn::Sin => trig::sin(&mut l, x),
        MathFn::Cos => trig::cos(&mut l, x),
        MathFn::Tan => trig::tan(&mut l, x),
        MathFn::Asin => invtrig::asin(&mut l, x),
        MathFn::Acos => invtrig::acos(&mut l, x),
        MathFn::Atan => invtrig::atan(&mut l, x),
        MathFn::Atan2 => invtrig::atan2(&mut l, x, args[1]),
        MathFn::Sinh => hyperbolic::sinh(&mut l, x),
        MathFn::Cosh => hyperbolic::cosh(&mut l, x),
        MathFn::Tanh => hyperbolic::tanh(&mut l, x),
        MathFn::Asinh => hyperbolic::asinh(&mut l, x),
        MathFn::Acosh => hyperbolic::acosh(&mut l, x),
        MathFn::Atanh => hyperbolic::atanh(&mut l, x),
        MathFn::Hypot => binary::hypot(&mut l, x, args[1]),
        MathFn::LogAddExp => binary::logaddexp(&mut l, x, args[1]),
        _ => return Err(VmathError::Unsupported { f: f.name(), ty }),
    };
    Ok(value)
}

/// Documented maximum error in ULPs of each supported (function, element type), as measured by
/// this crate's tests. `elem` may be a scalar or vector type; unsupported pairs return `u64::MAX`.
pub fn max_ulps(f: MathFn, elem: Type) -> u64 {
    let Some((_, e)) = lane_types(elem) else {
        return u64::MAX;
    };
    if !implemented(f) {
        return u64::MAX;
    }
    use MathFn::*;
    // Measured maxima (tests/accuracy.rs), rounded up; keep in sync with the table above.
    let (f32_ulps, f64_ulps) = match f {
        Exp | Log | Log1p => (1, 1),
        Expm1 | Log2 | Sin | Cos | Asin | Acos | Atanh => (2, 1),
        Log10 | Atan | Cosh | Asinh | Acosh | Atan2 | Hypot => (2, 2),
        Sinh => (2, 3),
        Tan | Tanh => (3, 3),
        LogAddExp => (4, 4),
        Pow => return u64::MAX,
    };
    e.pick(f32_ulps, f64_ulps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cranelift_codegen::ir::types;

    #[test]
    fn supports_only_float_types() {
        assert!(supports(MathFn::Exp, types::F32X4));
        assert!(!supports(MathFn::Exp, types::I32));
        assert!(!supports(MathFn::Exp, types::F32X8));
    }
}

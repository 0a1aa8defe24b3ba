//! kiln-vmath: transcendental functions emitted inline as cranelift IR, for scalar (F32, F64)
//! and 128-bit vector (F32X4, F64X2) lanes, so kiln's CPU kernels avoid per-element libm calls.
//!
//! (measured ULP table: see `max_ulps`)

// Polynomial coefficients are written with the digits of their high-precision fits; the compiler
// rounds each once, which is exactly the intended value.
#![allow(clippy::excessive_precision)]

mod error;
mod exp;
mod lanes;
mod log;
mod mathfn;
mod trig;

use cranelift_codegen::ir::{Type, Value};
use cranelift_frontend::FunctionBuilder;

pub use error::VmathError;
pub use mathfn::MathFn;

use lanes::{Elem, Lanes, lane_types};

/// Whether `emit` supports this function for this cranelift type (types: F32, F64, F32X4, F64X2).
pub fn supports(f: MathFn, ty: Type) -> bool {
    lane_types(ty).is_some() && implemented(f)
}

fn implemented(f: MathFn) -> bool {
    use MathFn::*;
    matches!(
        f,
        Exp | Expm1 | Log | Log1p | Log2 | Log10 | Sin | Cos | Tan
    )
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
    let (f32_ulps, f64_ulps) = match f {
        Exp | Expm1 | Log | Log1p | Log2 | Log10 | Sin | Cos => (2, 2),
        Tan => (4, 3),
        _ => return u64::MAX,
    };
    e.pick(f32_ulps, f64_ulps)
}

#[doc(hidden)]
pub fn __elem_is_f32(ty: Type) -> bool {
    matches!(lane_types(ty), Some((_, Elem::F32)))
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

//! Reference semantics of complex ops, computed in complex128 and rounded per component.
//!
//! Invariant: results follow NumPy / the Array API for complex operands:
//! - `abs(z) = hypot(re, im)` (real dtype); `sign(z) = z / |z|`, 0 for 0;
//! - `isnan` if either part is NaN, `isinf` if either part is infinite (C99 treats a complex with
//!   one infinite part as infinite even if the other is NaN), `isfinite` if both are finite;
//! - division uses Smith's algorithm as NumPy does (division by 0 gives inf/NaN parts);
//! - `pow(z, 0) = 1`; `pow(0, w) = 0` for real positive `w` and NaN otherwise; else
//!   `exp(w * log(z))` (NumPy's repeated-multiplication path for small integer exponents is not
//!   reproduced: results agree to a few ULPs);
//! - transcendentals, `expm1`, `log1p`, `sign`, `pow`, `round` and division are `kiln-cmath`'s
//!   (C99 Annex G special cases; the CPU backend calls the same functions);
//! - `==` compares both parts with IEEE equality.

use super::{complex_scalar, real_scalar};
use kiln_cmath as cm;
use kiln_ir::{BinaryOp, C128, DType, Scalar, UnaryOp};

pub fn unary(op: UnaryOp, z: C128, dtype: DType) -> Option<Scalar> {
    use UnaryOp::*;
    match op {
        Abs => Some(real_scalar(z.re.hypot(z.im), dtype)),
        IsNan => Some(Scalar::Bool(z.re.is_nan() || z.im.is_nan())),
        IsInf => Some(Scalar::Bool(z.re.is_infinite() || z.im.is_infinite())),
        IsFinite => Some(Scalar::Bool(z.re.is_finite() && z.im.is_finite())),
        Real => Some(real_scalar(z.re, dtype)),
        Imag => Some(real_scalar(z.im, dtype)),
        _ => cm::unary(op, z).map(|v| complex_scalar(v, dtype)),
    }
}

pub fn binary(op: BinaryOp, a: C128, b: C128, dtype: DType) -> Option<Scalar> {
    match op {
        BinaryOp::Eq => Some(Scalar::Bool(a.re == b.re && a.im == b.im)),
        BinaryOp::Ne => Some(Scalar::Bool(!(a.re == b.re && a.im == b.im))),
        _ => cm::binary(op, a, b).map(|v| complex_scalar(v, dtype)),
    }
}

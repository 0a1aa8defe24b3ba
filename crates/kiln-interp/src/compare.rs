//! Comparing a backend's result with the oracle's.
//!
//! Invariant: integers and bools compare bit-exactly; floats (and each part of a complex) are
//! close if they are equal, both NaN, within the dtype's ULP budget, or within
//! `atol + rtol * |expected|`. An infinity only matches the same infinity, and with
//! `Tolerance::exact()` the sign of zero must match too.
//!
//! `rtol`/`atol` are stated for single precision (f32, complex64); for double precision
//! (f64, complex128) both are multiplied by [`DOUBLE_SCALE`]. That is how one `Tolerance` value
//! such as [`Tolerance::program`] gives 1e-4/1e-6 for f32 and 1e-10/1e-12 for f64.

use kiln_ir::{DType, Realized, Scalar};

/// Factor applied to `rtol` and `atol` for f64 and complex128 elements.
pub const DOUBLE_SCALE: f64 = 1e-6;

/// How far a backend's floats may be from the oracle's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub max_ulps_f32: u64,
    pub max_ulps_f64: u64,
    /// Relative tolerance for single precision (scaled by `DOUBLE_SCALE` for double).
    pub rtol: f64,
    /// Absolute tolerance for single precision (scaled by `DOUBLE_SCALE` for double).
    pub atol: f64,
}

impl Tolerance {
    /// Bit-exact floats (the sign of zero included; any NaN matches any NaN).
    pub fn exact() -> Self {
        Tolerance {
            max_ulps_f32: 0,
            max_ulps_f64: 0,
            rtol: 0.0,
            atol: 0.0,
        }
    }

    /// One elementwise op: 4 ULP for f32, 2 ULP for f64.
    pub fn single_op() -> Self {
        Tolerance {
            max_ulps_f32: 4,
            max_ulps_f64: 2,
            rtol: 0.0,
            atol: 0.0,
        }
    }

    /// Chains of ops: rtol 1e-4 / atol 1e-6 for f32 (1e-10 / 1e-12 for f64), or 16 ULP.
    pub fn program() -> Self {
        Tolerance {
            max_ulps_f32: 16,
            max_ulps_f64: 16,
            rtol: 1e-4,
            atol: 1e-6,
        }
    }

    fn is_exact(&self) -> bool {
        self.max_ulps_f32 == 0 && self.max_ulps_f64 == 0 && self.rtol == 0.0 && self.atol == 0.0
    }
}

/// Maps a float's bits onto a line where adjacent floats are adjacent integers (`-0.0` and `+0.0`
/// both map to 0).
fn ordered_f32(x: f32) -> i64 {
    let bits = x.to_bits();
    let magnitude = (bits & 0x7fff_ffff) as i64;
    if bits >> 31 == 1 {
        -magnitude
    } else {
        magnitude
    }
}

fn ordered_f64(x: f64) -> i128 {
    let bits = x.to_bits();
    let magnitude = (bits & 0x7fff_ffff_ffff_ffff) as i128;
    if bits >> 63 == 1 {
        -magnitude
    } else {
        magnitude
    }
}

/// Number of representable f32 values between `a` and `b` (0 for equal values and for two NaNs,
/// `u64::MAX` when exactly one is NaN). `-0.0` and `+0.0` are 0 apart.
pub fn ulp_distance_f32(a: f32, b: f32) -> u64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => 0,
        (true, false) | (false, true) => u64::MAX,
        _ => ordered_f32(a).abs_diff(ordered_f32(b)),
    }
}

/// Number of representable f64 values between `a` and `b` (as `ulp_distance_f32`; saturates).
pub fn ulp_distance_f64(a: f64, b: f64) -> u64 {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => 0,
        (true, false) | (false, true) => u64::MAX,
        _ => u64::try_from(ordered_f64(a).abs_diff(ordered_f64(b))).unwrap_or(u64::MAX),
    }
}

/// Whether one float component of `got` is close to the oracle's `expected`.
fn float_close(expected: f64, got: f64, single: bool, tol: &Tolerance) -> bool {
    if expected.is_nan() || got.is_nan() {
        return expected.is_nan() && got.is_nan();
    }
    if expected.is_infinite() || got.is_infinite() {
        return expected == got;
    }
    if expected == got {
        return !tol.is_exact() || expected.is_sign_negative() == got.is_sign_negative();
    }
    let ulps = if single {
        ulp_distance_f32(expected as f32, got as f32) <= tol.max_ulps_f32
    } else {
        ulp_distance_f64(expected, got) <= tol.max_ulps_f64
    };
    let scale = if single { 1.0 } else { DOUBLE_SCALE };
    ulps || (expected - got).abs() <= tol.atol * scale + tol.rtol * scale * expected.abs()
}

fn element_close(expected: Scalar, got: Scalar, tol: &Tolerance) -> bool {
    match (expected, got) {
        (Scalar::F32(e), Scalar::F32(g)) => float_close(e as f64, g as f64, true, tol),
        (Scalar::F64(e), Scalar::F64(g)) => float_close(e, g, false, tol),
        (Scalar::C64(e), Scalar::C64(g)) => {
            float_close(e.re as f64, g.re as f64, true, tol)
                && float_close(e.im as f64, g.im as f64, true, tol)
        }
        (Scalar::C128(e), Scalar::C128(g)) => {
            float_close(e.re, g.re, false, tol) && float_close(e.im, g.im, false, tol)
        }
        // Integers and bools: `Scalar` equality is bit equality.
        (e, g) => e == g,
    }
}

/// Ok if `got` has `expected`'s dtype and shape and every element is close (see module docs).
/// The error names the first mismatching index and both values.
pub fn assert_close(expected: &Realized, got: &Realized, tol: &Tolerance) -> Result<(), String> {
    if expected.dtype() != got.dtype() {
        return Err(format!(
            "dtype mismatch: expected {}, got {}",
            expected.dtype(),
            got.dtype()
        ));
    }
    if expected.shape() != got.shape() {
        return Err(format!(
            "shape mismatch: expected {}, got {}",
            expected.shape(),
            got.shape()
        ));
    }
    let (e, g) = (expected.scalars(), got.scalars());
    for (i, (ev, gv)) in e.iter().zip(&g).enumerate() {
        if !element_close(*ev, *gv, tol) {
            let index = unravel(i, expected.shape().dims());
            let detail = match (ev.dtype(), ev, gv) {
                (DType::F32, Scalar::F32(a), Scalar::F32(b)) => {
                    format!(" ({} ulps apart)", ulp_distance_f32(*a, *b))
                }
                (DType::F64, Scalar::F64(a), Scalar::F64(b)) => {
                    format!(" ({} ulps apart)", ulp_distance_f64(*a, *b))
                }
                _ => String::new(),
            };
            return Err(format!(
                "mismatch at index {index:?} (flat {i}): expected {ev}, got {gv}{detail}"
            ));
        }
    }
    Ok(())
}

/// Row-major multi-index of a flat position.
fn unravel(mut flat: usize, dims: &[usize]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for (slot, &d) in index.iter_mut().zip(dims).rev() {
        if d > 0 {
            *slot = flat % d;
            flat /= d;
        }
    }
    index
}

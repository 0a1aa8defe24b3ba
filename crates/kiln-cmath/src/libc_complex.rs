//! The C99 complex functions of the platform's C library (glibc's implement Annex G's special
//! cases and are what NumPy's `npymath` calls), bound by value.
//!
//! Invariant: `C128` is `num_complex::Complex<f64>`, `#[repr(C)]` with `re` then `im`, which
//! every supported C ABI passes and returns exactly like `double _Complex` (x86-64 System V and
//! AArch64 both treat `double _Complex` as a struct of two doubles). The functions read only
//! their argument and write only their result, so the bindings are safe to call.

use crate::C128;

#[cfg(not(unix))]
compile_error!(
    "kiln-cmath binds the C library's C99 complex functions; only Unix targets are supported"
);

#[link(name = "m")]
unsafe extern "C" {
    safe fn cacos(z: C128) -> C128;
    safe fn cacosh(z: C128) -> C128;
    safe fn casin(z: C128) -> C128;
    safe fn casinh(z: C128) -> C128;
    safe fn catan(z: C128) -> C128;
    safe fn catanh(z: C128) -> C128;
    safe fn ccos(z: C128) -> C128;
    safe fn ccosh(z: C128) -> C128;
    safe fn csin(z: C128) -> C128;
    safe fn csinh(z: C128) -> C128;
    safe fn ctan(z: C128) -> C128;
    safe fn ctanh(z: C128) -> C128;
    safe fn cexp(z: C128) -> C128;
    safe fn clog(z: C128) -> C128;
    safe fn csqrt(z: C128) -> C128;
}

macro_rules! bind {
    ($($name:ident => $c:ident: $doc:literal;)*) => {$(
        #[doc = $doc]
        #[inline]
        pub fn $name(z: C128) -> C128 {
            $c(z)
        }
    )*};
}

bind! {
    acos => cacos: "Principal `acos(z)` (branch cuts on the real axis outside [-1, 1]).";
    acosh => cacosh: "Principal `acosh(z)` (branch cut on the real axis below 1).";
    asin => casin: "Principal `asin(z)` (branch cuts on the real axis outside [-1, 1]).";
    asinh => casinh: "Principal `asinh(z)` (branch cuts on the imaginary axis outside [-i, i]).";
    atan => catan: "Principal `atan(z)` (branch cuts on the imaginary axis outside [-i, i]).";
    atanh => catanh: "Principal `atanh(z)` (branch cuts on the real axis outside [-1, 1]).";
    cos => ccos: "`cos(z)`.";
    cosh => ccosh: "`cosh(z)`.";
    sin => csin: "`sin(z)`.";
    sinh => csinh: "`sinh(z)`.";
    tan => ctan: "`tan(z)`.";
    tanh => ctanh: "`tanh(z)`.";
    exp => cexp: "`exp(z)`.";
    ln => clog: "Principal natural logarithm (branch cut on the negative real axis).";
    sqrt => csqrt: "Principal square root (branch cut on the negative real axis).";
}

//! Reference discrete Fourier transforms (`LibOp::Fft`): the naive O(n²) sums of
//! `kiln_ir::fftop`'s definitions, accumulated in complex128.
//!
//! Invariant: each output entry is the defining sum, term by term, with the twiddle angle taken
//! from `(j·k) mod n` (so it stays exact for long lines); nothing here is clever. The result is
//! rounded once to the output dtype. The rolls are index arithmetic on the definition: line entry
//! `j` is operand entry `(j - roll_in) mod m`, and output entry `k` is transform entry
//! `(k - roll_out) mod out_extent`.

use crate::dense::Dense;
use crate::error::InterpError;
use kiln_ir::{C128, FftKind, FftOp, IndexIter, Scalar, Shape, TypeInfo};

/// `op` applied to `x`, whose result type `info` was inferred by the caller.
pub(crate) fn run(op: FftOp, x: &Dense, info: &TypeInfo) -> Result<Dense, InterpError> {
    let axis = op.axis;
    let extent = x.shape.0[axis];
    let used = op.used_input(extent);
    let in_strides = x.shape.contiguous_strides();
    let data = IndexIter::new(&info.shape)
        .map(|ix| {
            // The operand's line through this output position, rolled by `roll_in`.
            let line: Vec<C128> = (0..used)
                .map(|j| {
                    let j = (j + extent - op.roll_in % extent) % extent;
                    let flat: isize = ix
                        .iter()
                        .zip(&in_strides)
                        .enumerate()
                        .map(|(d, (&i, &s))| {
                            if d == axis {
                                j as isize * s
                            } else {
                                i as isize * s
                            }
                        })
                        .sum();
                    x.data[flat as usize].to_c128()
                })
                .collect();
            let out_extent = op.out_extent();
            let k = (ix[axis] + out_extent - op.roll_out % out_extent) % out_extent;
            let value = entry(op, &line, k);
            if info.dtype.is_complex() {
                Scalar::C128(value).cast(info.dtype)
            } else {
                Scalar::F64(value.re).cast(info.dtype)
            }
        })
        .collect();
    Dense::new(info.dtype, Shape(info.shape.0.clone()), data)
}

/// Entry `k` of the transform of `line` (entries past its end are zero).
fn entry(op: FftOp, line: &[C128], k: usize) -> C128 {
    let n = op.n;
    let sign = match op.kind {
        FftKind::Forward | FftKind::RealForward => -1.0,
        FftKind::Inverse | FftKind::RealInverse => 1.0,
    };
    let twiddle = |j: usize| {
        let angle = sign * 2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
        C128::new(angle.cos(), angle.sin())
    };
    let at = |j: usize| line.get(j).copied().unwrap_or(C128::new(0.0, 0.0));
    let input = |j: usize| match op.kind {
        // The Hermitian extension of the first n/2 + 1 entries.
        FftKind::RealInverse if j > n / 2 => at(n - j).conj(),
        _ => at(j),
    };
    (0..n).map(|j| input(j) * twiddle(j)).sum()
}

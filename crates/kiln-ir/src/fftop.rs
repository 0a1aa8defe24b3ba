//! Discrete Fourier transforms along one axis, as opaque library ops (`LibOp::Fft`).
//!
//! Every transform here is *unnormalised*: the `norm` scaling of the Array API, the conjugation of
//! `hfft`/`ihfft`, dtype promotion and multi-axis transforms are ordinary graph ops built by the
//! frontend around these, so they fuse with the neighbouring kernels. With `m` the operand's
//! extent along `axis` and `n` the transform length:
//!
//! - `C2c`: complex in, same complex dtype out, extent `n`. The line is cropped or zero-padded to
//!   `n`, then `X[k] = sum_j x[j] * exp(∓2πi·jk/n)` (`-` forward, `+` inverse).
//! - `R2c`: real float in, complex out (f32 -> c64, f64 -> c128), extent `n/2 + 1`: the first half
//!   of the forward transform of the real line cropped or zero-padded to `n`.
//! - `C2r`: complex in, real out (c64 -> f32), extent `n`: the inverse transform of the Hermitian
//!   line whose first `n/2 + 1` entries are the operand's (cropped or zero-padded) and whose rest
//!   are `X[n-k] = conj(X[k])`; the result is its real part, so the imaginary parts of `X[0]` (and
//!   `X[n/2]` for even `n`) are ignored, as in NumPy and pocketfft.
//!
//! Each transform also carries two rolls along its axis (`np.roll` semantics,
//! `roll(x, k)[i] = x[(i - k) mod m]`), so `fftshift`/`ifftshift` around a transform cost no
//! pass of their own: `roll_in` rolls the operand (extent `m`) before it is cropped or padded,
//! and `roll_out` rolls the result (extent `out_extent`). Both are zero for a plain transform;
//! a backend only changes which index it reads or writes.
//!
//! Invariant: `infer_fft` accepts exactly the operands a backend can transform without further
//! checks: `axis < rank`, `n >= 1`, the dtype class each kind names, `roll_in < m` (or 0 when
//! `m = 0`) and `roll_out < out_extent`.

use crate::dtype::DType;
use crate::error::IrError;
use crate::op::TypeInfo;
use crate::shape::Shape;
use std::fmt;

/// The kind of a one-axis transform (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FftKind {
    /// Complex to complex, forward (`exp(-2πi·jk/n)`).
    Forward,
    /// Complex to complex, inverse (`exp(+2πi·jk/n)`), unnormalised.
    Inverse,
    /// Real to complex, forward, the `n/2 + 1` non-negative frequencies.
    RealForward,
    /// Hermitian complex to real, inverse, unnormalised.
    RealInverse,
}

/// A one-axis transform of length `n` along `axis` (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FftOp {
    pub kind: FftKind,
    pub axis: usize,
    pub n: usize,
    /// The roll of the operand along `axis` before the transform (see the module doc).
    pub roll_in: usize,
    /// The roll of the result along `axis` after the transform.
    pub roll_out: usize,
}

impl FftOp {
    /// A plain transform (no rolls).
    pub fn new(kind: FftKind, axis: usize, n: usize) -> FftOp {
        FftOp {
            kind,
            axis,
            n,
            roll_in: 0,
            roll_out: 0,
        }
    }

    /// The operand's entries along the axis that the transform reads (the rest count as zero).
    pub fn used_input(self, extent: usize) -> usize {
        match self.kind {
            FftKind::RealInverse => extent.min(self.n / 2 + 1),
            _ => extent.min(self.n),
        }
    }

    /// The result's extent along the axis.
    pub fn out_extent(self) -> usize {
        match self.kind {
            FftKind::RealForward => self.n / 2 + 1,
            _ => self.n,
        }
    }
}

impl fmt::Display for FftOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.kind {
            FftKind::Forward => "fft",
            FftKind::Inverse => "ifft",
            FftKind::RealForward => "rfft",
            FftKind::RealInverse => "irfft",
        };
        write!(f, "{name}[{},{}", self.axis, self.n)?;
        if self.roll_in != 0 || self.roll_out != 0 {
            write!(f, ",{},{}", self.roll_in, self.roll_out)?;
        }
        write!(f, "]")
    }
}

impl FftOp {
    /// Parses the `Display` form from its name and bracketed arguments; `None` if `name` is not
    /// a transform.
    pub(crate) fn parse(name: &str, args: &[&str]) -> Option<Result<FftOp, ()>> {
        let kind = match name {
            "fft" => FftKind::Forward,
            "ifft" => FftKind::Inverse,
            "rfft" => FftKind::RealForward,
            "irfft" => FftKind::RealInverse,
            _ => return None,
        };
        let number = |s: &&str| s.parse::<usize>().map_err(|_| ());
        let numbers: Result<Vec<usize>, ()> = args.iter().map(number).collect();
        Some(numbers.and_then(|numbers| match numbers[..] {
            [axis, n] => Ok(FftOp::new(kind, axis, n)),
            [axis, n, roll_in, roll_out] => Ok(FftOp {
                roll_in,
                roll_out,
                ..FftOp::new(kind, axis, n)
            }),
            _ => Err(()),
        }))
    }
}

/// Result dtype and shape of a transform of `x` (`infer_lib` dispatches here).
pub(crate) fn infer_fft(op: FftOp, (dtype, shape): (DType, &Shape)) -> Result<TypeInfo, IrError> {
    if op.axis >= shape.rank() {
        return Err(IrError::AxisOutOfBounds {
            axis: op.axis as i64,
            rank: shape.rank(),
        });
    }
    if op.n < 1 {
        return Err(IrError::InvalidArgument(format!(
            "{op}: the transform length must be at least 1"
        )));
    }
    let unsupported = || IrError::UnsupportedDType {
        op: op.to_string(),
        dtype,
    };
    let out_dtype = match op.kind {
        FftKind::Forward | FftKind::Inverse if dtype.is_complex() => dtype,
        FftKind::RealForward if dtype.is_real_float() => match dtype {
            DType::F32 => DType::C64,
            _ => DType::C128,
        },
        FftKind::RealInverse if dtype.is_complex() => match dtype {
            DType::C64 => DType::F32,
            _ => DType::F64,
        },
        _ => return Err(unsupported()),
    };
    let extent = shape.0[op.axis];
    if op.roll_in >= extent.max(1) || op.roll_out >= op.out_extent() {
        return Err(IrError::InvalidArgument(format!(
            "{op}: a roll must be below the extent it rolls ({extent} in, {} out)",
            op.out_extent()
        )));
    }
    let mut out = shape.clone();
    out.0[op.axis] = op.out_extent();
    Ok(TypeInfo {
        dtype: out_dtype,
        shape: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infer_follows_the_kind() {
        let s = Shape::from(&[3usize, 8][..]);
        let op = FftOp::new;
        let t = infer_fft(op(FftKind::RealForward, 1, 8), (DType::F32, &s)).unwrap();
        assert_eq!((t.dtype, t.shape.0.clone()), (DType::C64, vec![3, 5]));
        let t = infer_fft(op(FftKind::RealInverse, 1, 7), (DType::C128, &s)).unwrap();
        assert_eq!((t.dtype, t.shape.0.clone()), (DType::F64, vec![3, 7]));
        let t = infer_fft(op(FftKind::Inverse, 0, 5), (DType::C64, &s)).unwrap();
        assert_eq!((t.dtype, t.shape.0.clone()), (DType::C64, vec![5, 8]));
        assert!(infer_fft(op(FftKind::Forward, 0, 5), (DType::F32, &s)).is_err());
        assert!(infer_fft(op(FftKind::RealForward, 0, 5), (DType::C64, &s)).is_err());
        assert!(infer_fft(op(FftKind::Forward, 2, 5), (DType::C64, &s)).is_err());
        assert!(infer_fft(op(FftKind::Forward, 0, 0), (DType::C64, &s)).is_err());
    }

    #[test]
    fn rolls_stay_below_their_extents_and_print_only_when_set() {
        let s = Shape::from(&[3usize, 8][..]);
        let rolled = |roll_in, roll_out| FftOp {
            roll_in,
            roll_out,
            ..FftOp::new(FftKind::RealForward, 1, 8)
        };
        assert!(infer_fft(rolled(7, 4), (DType::F32, &s)).is_ok());
        assert!(infer_fft(rolled(8, 0), (DType::F32, &s)).is_err());
        assert!(infer_fft(rolled(0, 5), (DType::F32, &s)).is_err());
        let empty = Shape::from(&[0usize, 8][..]);
        let op = FftOp::new(FftKind::Forward, 0, 4);
        assert!(infer_fft(op, (DType::C64, &empty)).is_ok());
        assert_eq!(rolled(0, 0).to_string(), "rfft[1,8]");
        assert_eq!(rolled(3, 2).to_string(), "rfft[1,8,3,2]");
        assert_eq!(
            FftOp::parse("rfft", &["1", "8", "3", "2"]),
            Some(Ok(rolled(3, 2)))
        );
        assert_eq!(FftOp::parse("rfft", &["1", "8", "3"]), Some(Err(())));
    }

    #[test]
    fn used_input_and_out_extent() {
        let op = FftOp::new(FftKind::RealInverse, 0, 6);
        assert_eq!(
            (op.used_input(10), op.used_input(2), op.out_extent()),
            (4, 2, 6)
        );
        let op = FftOp::new(FftKind::RealForward, 0, 7);
        assert_eq!((op.used_input(10), op.out_extent()), (7, 4));
    }
}

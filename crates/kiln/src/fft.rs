//! The Array API `fft` extension: discrete Fourier transforms, sample frequencies and shifts.
//!
//! Each transform is a chain of one-axis `LibOp::Fft` steps (unnormalised, see
//! `kiln_ir::fftop`) with ordinary graph ops around them: the dtype promotion of the input, the
//! `norm` scaling (applied to the input, which is the same by linearity and fuses with whatever
//! produced it), and the conjugations of `hfft`/`ihfft`. So the elementwise work around a
//! transform fuses into the kernels before and after it.
//!
//! Lengths follow the standard: `n`/`s` entries crop or zero-pad the input along their axis, an
//! `s` entry of -1 keeps the input's extent, and the real inverse transforms default to
//! `2 * (m - 1)` output points.
//!
//! Shifts and rolls next to a transform fold into its steps (`fft_fold`): `fftshift(fftn(x))` is
//! the transforms with output rolls, and a transform of `ifftshift(z)` takes input rolls, so the
//! shifts cost no pass of their own.
//!
//! Invariant: argument errors are typed and raised when the node is built: an axis out of range
//! is an `AxisOutOfBounds` (IndexError), a length below 1, a repeated axis or an `s`/`axes`
//! length mismatch an `InvalidArgument` (ValueError), and an integer, boolean or (for the
//! real-input transforms) complex operand an `UnsupportedDType` (TypeError).

use std::str::FromStr;

use kiln_ir::{DType, FftKind, FftOp, IrError, LibOp, Op};

use crate::error::{Result, invalid};
use crate::fft_fold::{peel_input_rolls, roll_into_output};
use crate::graph::Array;
use crate::manipulation::normalize_axis;

/// The `norm` argument: which direction carries the `1/n` factor (`Ortho`: both carry
/// `1/sqrt(n)`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Norm {
    /// No scaling forward, `1/n` on the inverse (the default).
    #[default]
    Backward,
    /// `1/sqrt(n)` both ways.
    Ortho,
    /// `1/n` forward, no scaling on the inverse.
    Forward,
}

impl FromStr for Norm {
    type Err = crate::KilnError;

    fn from_str(s: &str) -> Result<Norm> {
        match s {
            "backward" => Ok(Norm::Backward),
            "ortho" => Ok(Norm::Ortho),
            "forward" => Ok(Norm::Forward),
            _ => Err(invalid(format!(
                "norm must be 'backward', 'ortho' or 'forward', got {s:?}"
            ))),
        }
    }
}

impl Norm {
    /// The norm with the directions exchanged (`hfft` is an inverse real transform with the
    /// forward transform's scaling).
    fn swapped(self) -> Norm {
        match self {
            Norm::Backward => Norm::Forward,
            Norm::Ortho => Norm::Ortho,
            Norm::Forward => Norm::Backward,
        }
    }

    /// The factor a transform of `count` points in the given direction scales by.
    fn factor(self, inverse: bool, count: usize) -> Option<f64> {
        match (self, inverse) {
            (Norm::Ortho, _) => Some(1.0 / (count as f64).sqrt()),
            (Norm::Backward, true) | (Norm::Forward, false) => Some(1.0 / count as f64),
            _ => None,
        }
    }
}

/// The one-dimensional discrete Fourier transform of `x` along `axis` (`n` points).
pub fn fft(x: &Array, n: Option<i64>, axis: isize, norm: Norm) -> Result<Array> {
    complex_nd(
        x,
        Some(&[n.unwrap_or(-1)]),
        Some(&[axis]),
        norm,
        false,
        "fft",
    )
}

/// The one-dimensional inverse discrete Fourier transform.
pub fn ifft(x: &Array, n: Option<i64>, axis: isize, norm: Norm) -> Result<Array> {
    complex_nd(
        x,
        Some(&[n.unwrap_or(-1)]),
        Some(&[axis]),
        norm,
        true,
        "ifft",
    )
}

/// The n-dimensional discrete Fourier transform over `axes` (all axes by default, or the last
/// `s.len()`), with output lengths `s` (-1 keeps an extent).
pub fn fftn(x: &Array, s: Option<&[i64]>, axes: Option<&[isize]>, norm: Norm) -> Result<Array> {
    complex_nd(x, s, axes, norm, false, "fftn")
}

/// The n-dimensional inverse discrete Fourier transform.
pub fn ifftn(x: &Array, s: Option<&[i64]>, axes: Option<&[isize]>, norm: Norm) -> Result<Array> {
    complex_nd(x, s, axes, norm, true, "ifftn")
}

/// The transform of real `x`: the `n/2 + 1` non-negative frequencies.
pub fn rfft(x: &Array, n: Option<i64>, axis: isize, norm: Norm) -> Result<Array> {
    real_forward_nd(x, Some(&[n.unwrap_or(-1)]), Some(&[axis]), norm, "rfft")
}

/// The inverse of [`rfft`]: `n` real points (default `2 * (m - 1)`) from a Hermitian half
/// spectrum.
pub fn irfft(x: &Array, n: Option<i64>, axis: isize, norm: Norm) -> Result<Array> {
    real_inverse_nd(x, Some(&[n.unwrap_or(-1)]), Some(&[axis]), norm, "irfft")
}

/// The n-dimensional transform of real `x`: real along the last of `axes`, complex along the
/// others.
pub fn rfftn(x: &Array, s: Option<&[i64]>, axes: Option<&[isize]>, norm: Norm) -> Result<Array> {
    real_forward_nd(x, s, axes, norm, "rfftn")
}

/// The inverse of [`rfftn`].
pub fn irfftn(x: &Array, s: Option<&[i64]>, axes: Option<&[isize]>, norm: Norm) -> Result<Array> {
    real_inverse_nd(x, s, axes, norm, "irfftn")
}

/// The transform of a signal with Hermitian symmetry (given by its half spectrum `x`): real,
/// `n` points (default `2 * (m - 1)`).
pub fn hfft(x: &Array, n: Option<i64>, axis: isize, norm: Norm) -> Result<Array> {
    let x = complex_operand(x, "hfft")?;
    let conj = crate::conj(&x)?;
    real_inverse_nd(
        &conj,
        Some(&[n.unwrap_or(-1)]),
        Some(&[axis]),
        norm.swapped(),
        "hfft",
    )
}

/// The inverse of [`hfft`]: the half spectrum of real `x`, conjugated.
pub fn ihfft(x: &Array, n: Option<i64>, axis: isize, norm: Norm) -> Result<Array> {
    let half = real_forward_nd(
        x,
        Some(&[n.unwrap_or(-1)]),
        Some(&[axis]),
        norm.swapped(),
        "ihfft",
    )?;
    crate::conj(&half)
}

/// The sample frequencies of an `n`-point transform with sample spacing `d`:
/// `[0, 1, ..., (n-1)/2, -(n/2), ..., -1] / (d * n)`, in `dtype` (default float64).
pub fn fftfreq(n: i64, d: f64, dtype: Option<DType>) -> Result<Array> {
    let n = positive_length(n, "fftfreq")?;
    let positive = n.div_ceil(2) as i64;
    let values = (0..n as i64).map(|i| if i < positive { i } else { i - n as i64 });
    frequencies(values, n, d, dtype, "fftfreq")
}

/// The sample frequencies of an `n`-point real transform: `[0, 1, ..., n/2] / (d * n)`.
pub fn rfftfreq(n: i64, d: f64, dtype: Option<DType>) -> Result<Array> {
    let n = positive_length(n, "rfftfreq")?;
    frequencies(0..=(n / 2) as i64, n, d, dtype, "rfftfreq")
}

/// `x` with the zero frequency moved to the middle of each of `axes` (all by default): a roll
/// by `m / 2`.
pub fn fftshift(x: &Array, axes: Option<&[isize]>) -> Result<Array> {
    shift(x, axes, false)
}

/// The inverse of [`fftshift`]: a roll by `-(m / 2)`.
pub fn ifftshift(x: &Array, axes: Option<&[isize]>) -> Result<Array> {
    shift(x, axes, true)
}

fn shift(x: &Array, axes: Option<&[isize]>, inverse: bool) -> Result<Array> {
    let axes: Vec<isize> = match axes {
        Some(a) => a.to_vec(),
        None => (0..x.ndim() as isize).collect(),
    };
    let mut y = x.clone();
    for &a in &axes {
        let axis = normalize_axis(a, x.ndim())?;
        let m = x.shape()[axis];
        let half = m / 2;
        let k = if inverse { m - half } else { half };
        if k == 0 || k == m {
            continue;
        }
        y = match roll_into_output(&y, axis, k) {
            Some(folded) => folded?,
            None => y.roll(&[k as i64], Some(&[axis as isize]))?,
        };
    }
    Ok(y)
}

fn positive_length(n: i64, what: &str) -> Result<usize> {
    if n < 1 {
        return Err(invalid(format!("{what}: n must be at least 1, got {n}")));
    }
    usize::try_from(n).map_err(|_| invalid(format!("{what}: n = {n} is too large")))
}

fn frequencies(
    values: impl Iterator<Item = i64>,
    n: usize,
    d: f64,
    dtype: Option<DType>,
    what: &str,
) -> Result<Array> {
    let dtype = dtype.unwrap_or(DType::F64);
    if !dtype.is_real_float() {
        return Err(IrError::UnsupportedDType {
            op: what.into(),
            dtype,
        }
        .into());
    }
    let scale = 1.0 / (d * n as f64);
    let data: Vec<f64> = values.map(|i| i as f64 * scale).collect();
    let len = data.len();
    Array::from_vec(data, &[len])?.astype(dtype)
}

/// The axes and lengths of a multi-axis transform: `axes` normalised (all axes, or the last
/// `s.len()`, by default), and each length from `s` (-1 or absent: `default(extent)`).
fn axes_and_lengths(
    x: &Array,
    s: Option<&[i64]>,
    axes: Option<&[isize]>,
    what: &str,
    default: impl Fn(usize, bool) -> i64,
) -> Result<Vec<(usize, usize)>> {
    let rank = x.ndim();
    let axes: Vec<usize> = match (axes, s) {
        (Some(a), _) => a
            .iter()
            .map(|&a| normalize_axis(a, rank))
            .collect::<Result<_>>()?,
        (None, Some(s)) if s.len() > rank => {
            return Err(invalid(format!(
                "{what}: s has {} entries for an array of rank {rank}",
                s.len()
            )));
        }
        (None, Some(s)) => (rank - s.len()..rank).collect(),
        (None, None) => (0..rank).collect(),
    };
    for (i, a) in axes.iter().enumerate() {
        if axes[..i].contains(a) {
            return Err(IrError::RepeatedAxis {
                axis: *a,
                what: "fft axes",
            }
            .into());
        }
    }
    if let Some(s) = s
        && s.len() != axes.len()
    {
        return Err(invalid(format!(
            "{what}: s has {} entries but axes has {}",
            s.len(),
            axes.len()
        )));
    }
    let last = axes.len().saturating_sub(1);
    axes.iter()
        .enumerate()
        .map(|(i, &a)| {
            let given = s.map_or(-1, |s| s[i]);
            let n = if given == -1 {
                default(x.shape()[a], i == last)
            } else {
                given
            };
            if n < 1 {
                return Err(invalid(format!(
                    "{what}: invalid number of data points ({n}) along axis {a}"
                )));
            }
            Ok((a, n as usize))
        })
        .collect()
}

/// `x` as the complex dtype of its precision (real floats promote; others are an error).
fn complex_operand(x: &Array, what: &str) -> Result<Array> {
    match x.dtype() {
        DType::C64 | DType::C128 => Ok(x.clone()),
        DType::F32 => x.astype(DType::C64),
        DType::F64 => x.astype(DType::C128),
        dtype => Err(IrError::UnsupportedDType {
            op: what.into(),
            dtype,
        }
        .into()),
    }
}

fn real_operand(x: &Array, what: &str) -> Result<Array> {
    if x.dtype().is_real_float() {
        Ok(x.clone())
    } else {
        Err(IrError::UnsupportedDType {
            op: format!("{what} (needs a real floating-point array)"),
            dtype: x.dtype(),
        }
        .into())
    }
}

/// `x` scaled by the factor `norm` gives a transform of `count` points.
fn scaled(x: &Array, norm: Norm, inverse: bool, count: usize) -> Result<Array> {
    match norm.factor(inverse, count) {
        Some(f) => x * f,
        None => Ok(x.clone()),
    }
}

/// One transform step of `x` along `axis`, reading `x` rolled by `roll_in` along it.
fn step(x: &Array, kind: FftKind, axis: usize, n: usize, roll_in: usize) -> Result<Array> {
    let op = FftOp {
        roll_in,
        ..FftOp::new(kind, axis, n)
    };
    Array::from_op(Op::Lib(LibOp::Fft(op)), vec![x.clone()])
}

/// What every n-dimensional driver starts from: `x` without the rolls on top of it along the
/// transformed axes of `plan`, those rolls (per axis), and the number of points transformed.
fn unrolled(x: &Array, plan: &[(usize, usize)]) -> (Array, Vec<usize>, usize) {
    let axes: Vec<usize> = plan.iter().map(|&(a, _)| a).collect();
    let (x, rolls) = peel_input_rolls(x, &axes);
    (x, rolls, plan.iter().map(|&(_, n)| n).product())
}

/// One transformed axis of a plan and its length.
type PlannedAxis = (usize, usize);

/// The last transformed axis (the real transform's) and the others.
fn split_last<'p>(plan: &'p [PlannedAxis], what: &str) -> Result<(PlannedAxis, &'p [PlannedAxis])> {
    match plan.split_last() {
        Some((&last, rest)) => Ok((last, rest)),
        None => Err(invalid(format!("{what}: needs at least one axis"))),
    }
}

fn complex_nd(
    x: &Array,
    s: Option<&[i64]>,
    axes: Option<&[isize]>,
    norm: Norm,
    inverse: bool,
    what: &str,
) -> Result<Array> {
    let x = complex_operand(x, what)?;
    let plan = axes_and_lengths(&x, s, axes, what, |m, _| m as i64)?;
    let (x, rolls, count) = unrolled(&x, &plan);
    let kind = if inverse {
        FftKind::Inverse
    } else {
        FftKind::Forward
    };
    // NumPy's order (last axis first): the contiguous axis runs on the operand as given.
    let mut y = scaled(&x, norm, inverse, count)?;
    for &(axis, n) in plan.iter().rev() {
        y = step(&y, kind, axis, n, rolls[axis])?;
    }
    Ok(y)
}

fn real_forward_nd(
    x: &Array,
    s: Option<&[i64]>,
    axes: Option<&[isize]>,
    norm: Norm,
    what: &str,
) -> Result<Array> {
    let x = real_operand(x, what)?;
    let plan = axes_and_lengths(&x, s, axes, what, |m, _| m as i64)?;
    let (x, rolls, count) = unrolled(&x, &plan);
    let ((last_axis, last_n), rest) = split_last(&plan, what)?;
    let mut y = step(
        &scaled(&x, norm, false, count)?,
        FftKind::RealForward,
        last_axis,
        last_n,
        rolls[last_axis],
    )?;
    for &(axis, n) in rest.iter().rev() {
        y = step(&y, FftKind::Forward, axis, n, rolls[axis])?;
    }
    Ok(y)
}

fn real_inverse_nd(
    x: &Array,
    s: Option<&[i64]>,
    axes: Option<&[isize]>,
    norm: Norm,
    what: &str,
) -> Result<Array> {
    let x = complex_operand(x, what)?;
    let plan = axes_and_lengths(&x, s, axes, what, |m, last| {
        if last { 2 * (m as i64 - 1) } else { m as i64 }
    })?;
    let (x, rolls, count) = unrolled(&x, &plan);
    let ((last_axis, last_n), rest) = split_last(&plan, what)?;
    let mut y = scaled(&x, norm, true, count)?;
    for &(axis, n) in rest.iter().rev() {
        y = step(&y, FftKind::Inverse, axis, n, rolls[axis])?;
    }
    step(
        &y,
        FftKind::RealInverse,
        last_axis,
        last_n,
        rolls[last_axis],
    )
}

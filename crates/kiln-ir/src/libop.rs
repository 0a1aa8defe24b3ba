//! Data-movement library ops: concatenation, gathers, sorting and sorted search.
//!
//! These are opaque `Library` steps of a schedule (like matmul and scans): no kernel fuses
//! through them, and a backend serves each with a host routine. This module holds their
//! signatures (`infer_lib`) and the one definition of the order they sort by
//! ([`sort_order`]), which the reference interpreter and every backend follow.
//!
//! Invariant: `infer_lib` accepts exactly the operand lists a backend can serve without further
//! checks, except index *values* (gathers), which are only known at run time: an index outside
//! `-n..n` is an `IrError::IndexOutOfBounds` from the backend, never a wrong read.

use crate::dtype::DType;
use crate::error::IrError;
use crate::fftop::FftOp;
use crate::linalgop::LinalgOp;
use crate::op::TypeInfo;
use crate::scalar::Scalar;
use crate::shape::Shape;
use std::cmp::Ordering;
use std::fmt;

/// A data-movement library op (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LibOp {
    /// The `n >= 1` operands joined along `axis`: one dtype and rank, equal extents elsewhere.
    Concat { axis: usize, n: usize },
    /// `take(x, indices, axis)`: `out[.., j, ..] = x[.., indices[j], ..]` with 1-D integer
    /// `indices`; a negative index counts from the end.
    Take { axis: usize },
    /// `take_along_axis(x, indices, axis)`: `indices` has `x`'s rank and extents except along
    /// `axis`; `out[.., j, ..] = x[.., indices[.., j, ..], ..]`.
    TakeAlongAxis { axis: usize },
    /// Stable sort along `axis` in [`sort_order`]; `descending` reverses the order while keeping
    /// equal elements in their original order.
    Sort { axis: usize, descending: bool },
    /// The int64 indices that would sort along `axis` (stable, as `Sort`).
    ArgSort { axis: usize, descending: bool },
    /// `searchsorted(sorted, values)`: for each value, the int64 insertion point into the 1-D
    /// `sorted` (first such point, or last when `right`), in [`sort_order`].
    SearchSorted { right: bool },
    /// A discrete Fourier transform along one axis (`crate::fftop`).
    Fft(FftOp),
    /// A matrix factorisation of the `linalg` extension (see `linalgop`).
    Linalg(LinalgOp),
}

impl LibOp {
    pub fn arity(self) -> usize {
        match self {
            LibOp::Concat { n, .. } => n,
            LibOp::Take { .. } | LibOp::TakeAlongAxis { .. } | LibOp::SearchSorted { .. } => 2,
            LibOp::Sort { .. } | LibOp::ArgSort { .. } | LibOp::Fft(_) => 1,
            LibOp::Linalg(l) => l.arity(),
        }
    }
}

impl fmt::Display for LibOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = |d: bool| if d { "desc" } else { "asc" };
        match *self {
            LibOp::Concat { axis, n } => write!(f, "concat[{axis},{n}]"),
            LibOp::Take { axis } => write!(f, "take[{axis}]"),
            LibOp::TakeAlongAxis { axis } => write!(f, "take_along[{axis}]"),
            LibOp::Sort { axis, descending } => write!(f, "sort[{axis},{}]", dir(descending)),
            LibOp::ArgSort { axis, descending } => {
                write!(f, "argsort[{axis},{}]", dir(descending))
            }
            LibOp::SearchSorted { right } => {
                write!(f, "searchsorted[{}]", if right { "right" } else { "left" })
            }
            LibOp::Fft(op) => write!(f, "{op}"),
            LibOp::Linalg(l) => write!(f, "{l}"),
        }
    }
}

impl std::str::FromStr for LibOp {
    type Err = String;

    /// Parses the `Display` form.
    fn from_str(s: &str) -> Result<Self, String> {
        if s.starts_with("linalg.") {
            return s.parse().map(LibOp::Linalg);
        }
        let bad = || format!("not a library op: `{s}`");
        let (name, rest) = s.split_once('[').ok_or_else(bad)?;
        let args: Vec<&str> = rest.strip_suffix(']').ok_or_else(bad)?.split(',').collect();
        if let Some(fft) = FftOp::parse(name, &args) {
            return fft.map(LibOp::Fft).map_err(|()| bad());
        }
        let num = |i: usize| -> Result<usize, String> {
            args.get(i).and_then(|a| a.parse().ok()).ok_or_else(bad)
        };
        let desc = |i: usize| -> Result<bool, String> {
            match args.get(i) {
                Some(&"desc") => Ok(true),
                Some(&"asc") => Ok(false),
                _ => Err(bad()),
            }
        };
        let want = |k: usize| if args.len() == k { Ok(()) } else { Err(bad()) };
        match name {
            "concat" => want(2).and(Ok(LibOp::Concat {
                axis: num(0)?,
                n: num(1)?,
            })),
            "take" => want(1).and(Ok(LibOp::Take { axis: num(0)? })),
            "take_along" => want(1).and(Ok(LibOp::TakeAlongAxis { axis: num(0)? })),
            "sort" => want(2).and(Ok(LibOp::Sort {
                axis: num(0)?,
                descending: desc(1)?,
            })),
            "argsort" => want(2).and(Ok(LibOp::ArgSort {
                axis: num(0)?,
                descending: desc(1)?,
            })),
            "searchsorted" => {
                want(1)?;
                match args[0] {
                    "left" => Ok(LibOp::SearchSorted { right: false }),
                    "right" => Ok(LibOp::SearchSorted { right: true }),
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }
}

/// The total order kiln sorts by: NumPy's. Numbers ascend, `-0.0` equals `+0.0`, NaN sorts after
/// every number (all NaNs equal); `false < true`; complex numbers compare by real part, then
/// imaginary part, and a complex number with a NaN part sorts after every other.
pub fn sort_order(a: Scalar, b: Scalar) -> Ordering {
    if a.dtype().is_complex() {
        let (x, y) = (a.to_c128(), b.to_c128());
        return complex_order((x.re, x.im), (y.re, y.im));
    }
    if a.dtype().is_real_float() {
        return float_order(a.to_f64(), b.to_f64());
    }
    // Integers and bools: exact in i128.
    a.to_i128().cmp(&b.to_i128())
}

/// [`sort_order`] on floats: NaN after every number, `-0.0 == +0.0`.
pub fn float_order(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// [`sort_order`] on complex numbers given as `(re, im)`: lexicographic, NaN-containing last.
pub fn complex_order(a: (f64, f64), b: (f64, f64)) -> Ordering {
    let (an, bn) = (a.0.is_nan() || a.1.is_nan(), b.0.is_nan() || b.1.is_nan());
    match (an, bn) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => float_order(a.0, b.0).then(float_order(a.1, b.1)),
    }
}

/// The in-range position a gather index `i` names along `axis` of extent `n` (negative counts
/// from the end); `IndexOutOfBounds` outside `-n..n`. Shared by the oracle, the backends and the
/// frontend's early check.
pub fn normalise_index(i: i128, axis: usize, n: usize) -> Result<usize, IrError> {
    let j = if i < 0 { i + n as i128 } else { i };
    if j < 0 || j >= n as i128 {
        return Err(IrError::IndexOutOfBounds {
            index: i.clamp(i64::MIN as i128, i64::MAX as i128) as i64,
            axis,
            size: n,
        });
    }
    Ok(j as usize)
}

/// Result dtype and shape of a library op (`infer` dispatches here).
pub(crate) fn infer_lib(op: LibOp, operands: &[(DType, &Shape)]) -> Result<TypeInfo, IrError> {
    let name = op.to_string();
    let axis_check = |axis: usize, rank: usize| {
        if axis >= rank {
            Err(IrError::AxisOutOfBounds {
                axis: axis as i64,
                rank,
            })
        } else {
            Ok(())
        }
    };
    let integer_indices = |d: DType| {
        if d.is_integer() {
            Ok(())
        } else {
            Err(IrError::UnsupportedDType {
                op: format!("{name} indices"),
                dtype: d,
            })
        }
    };
    let out = |dtype, shape: Shape| Ok(TypeInfo { dtype, shape });
    match op {
        LibOp::Fft(fft) => crate::fftop::infer_fft(fft, operands[0]),
        LibOp::Linalg(l) => crate::linalgop::infer_linalg(l, operands),
        LibOp::Concat { axis, n } => {
            let (dtype, first) = *operands.first().ok_or_else(|| {
                IrError::InvalidArgument("concat needs at least one array".into())
            })?;
            axis_check(axis, first.rank())?;
            let mut shape = first.clone();
            shape.0[axis] = 0;
            for &(d, s) in &operands[..n] {
                if d != dtype {
                    return Err(IrError::DTypeMismatch {
                        op: "concat".into(),
                        a: dtype,
                        b: d,
                    });
                }
                let same_elsewhere = s.rank() == first.rank()
                    && (0..s.rank()).all(|i| i == axis || s.0[i] == first.0[i]);
                if !same_elsewhere {
                    return Err(IrError::ShapeMismatch {
                        op: format!("concat along axis {axis}"),
                        a: first.clone(),
                        b: s.clone(),
                    });
                }
                shape.0[axis] = shape.0[axis].saturating_add(s.0[axis]);
            }
            out(dtype, shape)
        }
        LibOp::Take { axis } => {
            let ((dx, sx), (di, si)) = (operands[0], operands[1]);
            axis_check(axis, sx.rank())?;
            integer_indices(di)?;
            if si.rank() != 1 {
                return Err(IrError::InvalidArgument(format!(
                    "take needs 1-D indices, got shape {si}"
                )));
            }
            let mut shape = sx.clone();
            shape.0[axis] = si.0[0];
            out(dx, shape)
        }
        LibOp::TakeAlongAxis { axis } => {
            let ((dx, sx), (di, si)) = (operands[0], operands[1]);
            axis_check(axis, sx.rank())?;
            integer_indices(di)?;
            let fits =
                si.rank() == sx.rank() && (0..sx.rank()).all(|i| i == axis || si.0[i] == sx.0[i]);
            if !fits {
                return Err(IrError::ShapeMismatch {
                    op: format!("take_along_axis along axis {axis}"),
                    a: sx.clone(),
                    b: si.clone(),
                });
            }
            out(dx, si.clone())
        }
        LibOp::Sort { axis, .. } | LibOp::ArgSort { axis, .. } => {
            let (dx, sx) = operands[0];
            axis_check(axis, sx.rank())?;
            let dtype = if matches!(op, LibOp::Sort { .. }) {
                dx
            } else {
                DType::I64
            };
            out(dtype, sx.clone())
        }
        LibOp::SearchSorted { .. } => {
            let ((d1, s1), (d2, s2)) = (operands[0], operands[1]);
            if s1.rank() != 1 {
                return Err(IrError::InvalidArgument(format!(
                    "searchsorted needs a 1-D sorted array, got shape {s1}"
                )));
            }
            if d1 != d2 {
                return Err(IrError::DTypeMismatch {
                    op: "searchsorted".into(),
                    a: d1,
                    b: d2,
                });
            }
            out(DType::I64, s2.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_parses_back() {
        for op in [
            LibOp::Concat { axis: 1, n: 3 },
            LibOp::Take { axis: 0 },
            LibOp::TakeAlongAxis { axis: 2 },
            LibOp::Sort {
                axis: 0,
                descending: true,
            },
            LibOp::ArgSort {
                axis: 1,
                descending: false,
            },
            LibOp::SearchSorted { right: true },
            LibOp::SearchSorted { right: false },
            LibOp::Fft(FftOp::new(crate::fftop::FftKind::RealInverse, 2, 9)),
            LibOp::Fft(FftOp {
                roll_in: 1,
                roll_out: 4,
                ..FftOp::new(crate::fftop::FftKind::Forward, 0, 6)
            }),
            LibOp::Linalg(LinalgOp::Qr { complete: false }),
            LibOp::Linalg(LinalgOp::Det),
        ] {
            assert_eq!(op.to_string().parse::<LibOp>(), Ok(op));
        }
        assert!("sort[0]".parse::<LibOp>().is_err());
        assert!("concat[0,x]".parse::<LibOp>().is_err());
    }

    #[test]
    fn sort_order_puts_nan_last_and_ignores_zero_sign() {
        use Scalar::F64;
        assert_eq!(
            sort_order(F64(f64::NAN), F64(f64::INFINITY)),
            Ordering::Greater
        );
        assert_eq!(sort_order(F64(-0.0), F64(0.0)), Ordering::Equal);
        assert_eq!(sort_order(F64(f64::NAN), F64(-f64::NAN)), Ordering::Equal);
        assert_eq!(sort_order(Scalar::I64(-1), Scalar::I64(2)), Ordering::Less);
        assert_eq!(
            sort_order(Scalar::U64(u64::MAX), Scalar::U64(0)),
            Ordering::Greater
        );
        let c = |re, im| Scalar::C128(crate::C128::new(re, im));
        assert_eq!(sort_order(c(1.0, 5.0), c(1.0, 6.0)), Ordering::Less);
        assert_eq!(sort_order(c(f64::NAN, 0.0), c(9.0, 9.0)), Ordering::Greater);
    }

    #[test]
    fn infer_checks_operands() {
        let s = |v: &[usize]| Shape::from(v);
        let (a, b) = (s(&[2, 3]), s(&[4, 3]));
        let t = infer_lib(
            LibOp::Concat { axis: 0, n: 2 },
            &[(DType::F32, &a), (DType::F32, &b)],
        )
        .unwrap();
        assert_eq!(t.shape, s(&[6, 3]));
        assert!(
            infer_lib(
                LibOp::Concat { axis: 1, n: 2 },
                &[(DType::F32, &a), (DType::F32, &b)]
            )
            .is_err()
        );
        let idx = s(&[5]);
        let t = infer_lib(
            LibOp::Take { axis: 1 },
            &[(DType::F64, &a), (DType::I32, &idx)],
        )
        .unwrap();
        assert_eq!(t.shape, s(&[2, 5]));
        assert!(
            infer_lib(
                LibOp::Take { axis: 1 },
                &[(DType::F64, &a), (DType::F64, &idx)]
            )
            .is_err()
        );
        assert!(
            infer_lib(
                LibOp::Take { axis: 2 },
                &[(DType::F64, &a), (DType::I8, &idx)]
            )
            .is_err()
        );
    }
}

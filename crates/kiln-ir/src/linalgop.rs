//! Matrix factorisations of the `linalg` extension as opaque library ops (`LibOp::Linalg`):
//! Cholesky, LU-based det/slogdet/inv/solve, QR, Hermitian and general eigendecompositions and
//! SVD, each batched over the leading dimensions of its operands.
//!
//! Invariant: `infer_linalg` accepts exactly what a backend can serve: floating operands
//! (f32, f64, c64, c128) of rank >= 2, square where the factorisation needs it, and for `Solve`
//! equal batch dimensions and one dtype (the frontend promotes and broadcasts). Decompositions
//! with several results are computed once into one *packed* output, laid out by the `*_layout`
//! functions below, which the frontend slices lazily into the separate results; real results of
//! complex inputs (eigenvalues, singular values, `log|det|`) are stored with a zero imaginary
//! part and the frontend takes their real part. The general eigendecomposition (`Eig`,
//! `Eigvals`) has complex results for every floating input (f32 -> c64, f64 -> c128). Numerical failures only known from the values
//! (a singular matrix for `Inv`/`Solve`, a matrix that is not positive definite for `Cholesky`,
//! an eigensolver that does not converge or meets non-finite entries) are an `IrError::InvalidArgument` from the backend at execution, as NumPy raises
//! `LinAlgError` (a `ValueError`).

use crate::dtype::DType;
use crate::error::IrError;
use crate::op::TypeInfo;
use crate::shape::Shape;
use std::fmt;

/// A factorisation-based linear algebra op (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LinalgOp {
    /// `[.., n, n] -> [.., n, n]`: the Cholesky factor `L` (`A = L L^H`), or `U = L^H` when
    /// `upper`. Only the lower triangle of `A` is read.
    Cholesky { upper: bool },
    /// `[.., n, n] -> [..]`: the determinant (LU with partial pivoting).
    Det,
    /// `[.., n, n] -> [.., 2]`: `(sign, log|det|)`, packed; a singular matrix gives
    /// `(0, -inf)`.
    Slogdet,
    /// `[.., n, n] -> [.., n, n]`: the inverse; a singular matrix is an error.
    Inv,
    /// `[.., n, n], [.., n, k] -> [.., n, k]`: `X` with `A X = B`; a singular `A` is an error.
    Solve,
    /// `[.., m, n] -> [.., m, q + n]` with `q` = `m` (`complete`) or `min(m, n)`: `Q` in columns
    /// `..q`, `R` (`q x n`, zero rows below) in columns `q..` (see [`qr_layout`]).
    Qr { complete: bool },
    /// `[.., n, n] -> [.., n + 1, n]`: eigenvectors in rows `..n` (as columns), ascending
    /// eigenvalues in row `n`. Only the lower triangle of `A` is read.
    Eigh,
    /// `[.., n, n] -> [.., n]` (real dtype): ascending eigenvalues.
    Eigvalsh,
    /// `[.., n, n] -> [.., n + 1, n]` (complex dtype): the eigenvectors of a general matrix in
    /// rows `..n` (as columns, each of unit 2-norm), the matching eigenvalues in row `n`, in no
    /// particular order.
    Eig,
    /// `[.., n, n] -> [.., n]` (complex dtype): the eigenvalues of a general matrix.
    Eigvals,
    /// `[.., m, n] -> [.., m + kv + 1, w]`: `U` (`m x ku`), then `Vh` (`kv x n`), then the
    /// descending singular values in the last row (see [`svd_layout`]).
    Svd { full_matrices: bool },
    /// `[.., m, n] -> [.., min(m, n)]` (real dtype): descending singular values.
    Svdvals,
}

/// Column count of `Q` (and row count of `R`) and the packed width of a QR of an `m x n` matrix.
pub fn qr_layout(m: usize, n: usize, complete: bool) -> (usize, usize) {
    let q = if complete { m } else { m.min(n) };
    (q, q.saturating_add(n))
}

/// The packed SVD of an `m x n` matrix: `(ku, kv, rows, width)`. `U` is `m x ku` at rows `..m`,
/// columns `..ku`; `Vh` is `kv x n` at rows `m..m + kv`, columns `..n`; the `min(m, n)` singular
/// values are row `m + kv`, columns `..min(m, n)`.
pub fn svd_layout(m: usize, n: usize, full_matrices: bool) -> (usize, usize, usize, usize) {
    let k = m.min(n);
    let (ku, kv) = if full_matrices { (m, n) } else { (k, k) };
    let rows = m.saturating_add(kv).saturating_add(1);
    (ku, kv, rows, ku.max(n))
}

impl LinalgOp {
    pub fn arity(self) -> usize {
        match self {
            LinalgOp::Solve => 2,
            _ => 1,
        }
    }

    /// The name without attributes, as the Array API spells it.
    pub fn name(self) -> &'static str {
        match self {
            LinalgOp::Cholesky { .. } => "cholesky",
            LinalgOp::Det => "det",
            LinalgOp::Slogdet => "slogdet",
            LinalgOp::Inv => "inv",
            LinalgOp::Solve => "solve",
            LinalgOp::Qr { .. } => "qr",
            LinalgOp::Eigh => "eigh",
            LinalgOp::Eigvalsh => "eigvalsh",
            LinalgOp::Eig => "eig",
            LinalgOp::Eigvals => "eigvals",
            LinalgOp::Svd { .. } => "svd",
            LinalgOp::Svdvals => "svdvals",
        }
    }

    fn needs_square(self) -> bool {
        !matches!(
            self,
            LinalgOp::Qr { .. } | LinalgOp::Svd { .. } | LinalgOp::Svdvals
        )
    }
}

impl fmt::Display for LinalgOp {
    /// `linalg.det`, `linalg.qr[reduced]`, `linalg.cholesky[upper]`, `linalg.svd[full]`, ...
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "linalg.{}", self.name())?;
        match *self {
            LinalgOp::Cholesky { upper } => {
                write!(f, "[{}]", if upper { "upper" } else { "lower" })
            }
            LinalgOp::Qr { complete } => {
                write!(f, "[{}]", if complete { "complete" } else { "reduced" })
            }
            LinalgOp::Svd { full_matrices } => {
                write!(f, "[{}]", if full_matrices { "full" } else { "thin" })
            }
            _ => Ok(()),
        }
    }
}

impl std::str::FromStr for LinalgOp {
    type Err = String;

    /// Parses the `Display` form.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("not a linalg op: `{s}`");
        let body = s.strip_prefix("linalg.").ok_or_else(bad)?;
        let (name, arg) = match body.split_once('[') {
            Some((name, rest)) => (name, Some(rest.strip_suffix(']').ok_or_else(bad)?)),
            None => (body, None),
        };
        let flag = |yes: &str, no: &str| match arg {
            Some(a) if a == yes => Ok(true),
            Some(a) if a == no => Ok(false),
            _ => Err(bad()),
        };
        let plain = |op: LinalgOp| if arg.is_none() { Ok(op) } else { Err(bad()) };
        match name {
            "cholesky" => Ok(LinalgOp::Cholesky {
                upper: flag("upper", "lower")?,
            }),
            "qr" => Ok(LinalgOp::Qr {
                complete: flag("complete", "reduced")?,
            }),
            "svd" => Ok(LinalgOp::Svd {
                full_matrices: flag("full", "thin")?,
            }),
            "det" => plain(LinalgOp::Det),
            "slogdet" => plain(LinalgOp::Slogdet),
            "inv" => plain(LinalgOp::Inv),
            "solve" => plain(LinalgOp::Solve),
            "eigh" => plain(LinalgOp::Eigh),
            "eigvalsh" => plain(LinalgOp::Eigvalsh),
            "eig" => plain(LinalgOp::Eig),
            "eigvals" => plain(LinalgOp::Eigvals),
            "svdvals" => plain(LinalgOp::Svdvals),
            _ => Err(bad()),
        }
    }
}

/// The complex dtype with the precision of the floating `dtype`.
fn complex_of(dtype: DType) -> DType {
    dtype.to_complex().unwrap_or(DType::C128)
}

/// Result dtype and shape of a linalg op (`infer_lib` dispatches here).
pub(crate) fn infer_linalg(
    op: LinalgOp,
    operands: &[(DType, &Shape)],
) -> Result<TypeInfo, IrError> {
    let name = format!("linalg.{}", op.name());
    let &(dtype, shape) = operands
        .first()
        .ok_or_else(|| IrError::InvalidArgument(format!("{name} needs an operand")))?;
    if !dtype.is_floating() {
        return Err(IrError::UnsupportedDType { op: name, dtype });
    }
    let r = shape.rank();
    if r < 2 {
        return Err(IrError::InvalidArgument(format!(
            "{name} needs an array of rank >= 2, got shape {shape}"
        )));
    }
    let (m, n) = (shape.0[r - 2], shape.0[r - 1]);
    if op.needs_square() && m != n {
        return Err(IrError::InvalidArgument(format!(
            "{name} needs square matrices, got shape {shape}"
        )));
    }
    let batch = &shape.0[..r - 2];
    let out = |dtype, tail: &[usize]| {
        let mut dims = batch.to_vec();
        dims.extend_from_slice(tail);
        Ok(TypeInfo {
            dtype,
            shape: Shape(dims),
        })
    };
    match op {
        LinalgOp::Cholesky { .. } | LinalgOp::Inv => out(dtype, &[n, n]),
        LinalgOp::Det => out(dtype, &[]),
        LinalgOp::Slogdet => out(dtype, &[2]),
        LinalgOp::Eigh => out(dtype, &[n.saturating_add(1), n]),
        LinalgOp::Eigvalsh => out(dtype.real_part(), &[n]),
        LinalgOp::Eig => out(complex_of(dtype), &[n.saturating_add(1), n]),
        LinalgOp::Eigvals => out(complex_of(dtype), &[n]),
        LinalgOp::Svdvals => out(dtype.real_part(), &[m.min(n)]),
        LinalgOp::Qr { complete } => out(dtype, &[m, qr_layout(m, n, complete).1]),
        LinalgOp::Svd { full_matrices } => {
            let (_, _, rows, width) = svd_layout(m, n, full_matrices);
            out(dtype, &[rows, width])
        }
        LinalgOp::Solve => {
            let &(db, sb) = operands.get(1).ok_or_else(|| {
                IrError::InvalidArgument("linalg.solve needs two operands".into())
            })?;
            if db != dtype {
                return Err(IrError::DTypeMismatch {
                    op: name,
                    a: dtype,
                    b: db,
                });
            }
            let fits = sb.rank() == r && sb.0[..r - 2] == *batch && sb.0[r - 2] == n;
            if !fits {
                return Err(IrError::ShapeMismatch {
                    op: name,
                    a: shape.clone(),
                    b: sb.clone(),
                });
            }
            out(dtype, &[n, sb.0[r - 1]])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    const ALL: [LinalgOp; 16] = [
        LinalgOp::Cholesky { upper: true },
        LinalgOp::Cholesky { upper: false },
        LinalgOp::Det,
        LinalgOp::Slogdet,
        LinalgOp::Inv,
        LinalgOp::Solve,
        LinalgOp::Qr { complete: true },
        LinalgOp::Qr { complete: false },
        LinalgOp::Eigh,
        LinalgOp::Eigvalsh,
        LinalgOp::Svd {
            full_matrices: true,
        },
        LinalgOp::Svd {
            full_matrices: false,
        },
        LinalgOp::Svdvals,
        LinalgOp::Det,
        LinalgOp::Eig,
        LinalgOp::Eigvals,
    ];

    #[test]
    fn display_parses_back() {
        for op in ALL {
            assert_eq!(op.to_string().parse::<LinalgOp>(), Ok(op));
        }
        assert!("linalg.qr".parse::<LinalgOp>().is_err());
        assert!("linalg.det[x]".parse::<LinalgOp>().is_err());
        assert!("det".parse::<LinalgOp>().is_err());
    }

    #[test]
    fn infer_shapes_and_checks() -> TestResult {
        let s = |v: &[usize]| Shape::from(v);
        let sq = s(&[3, 4, 4]);
        let t = infer_linalg(LinalgOp::Eigh, &[(DType::C64, &sq)])?;
        assert_eq!((t.dtype, t.shape), (DType::C64, s(&[3, 5, 4])));
        let t = infer_linalg(LinalgOp::Eigvalsh, &[(DType::C128, &sq)])?;
        assert_eq!((t.dtype, t.shape), (DType::F64, s(&[3, 4])));
        for (input, complex) in [
            (DType::F32, DType::C64),
            (DType::F64, DType::C128),
            (DType::C64, DType::C64),
            (DType::C128, DType::C128),
        ] {
            let t = infer_linalg(LinalgOp::Eig, &[(input, &sq)])?;
            assert_eq!((t.dtype, t.shape), (complex, s(&[3, 5, 4])));
            let t = infer_linalg(LinalgOp::Eigvals, &[(input, &sq)])?;
            assert_eq!((t.dtype, t.shape), (complex, s(&[3, 4])));
        }
        let wide = s(&[2, 5]);
        assert!(infer_linalg(LinalgOp::Eig, &[(DType::F64, &wide)]).is_err());
        assert!(infer_linalg(LinalgOp::Eigvals, &[(DType::I64, &sq)]).is_err());
        assert!(infer_linalg(LinalgOp::Eigvals, &[(DType::Bool, &sq)]).is_err());
        let t = infer_linalg(LinalgOp::Qr { complete: true }, &[(DType::F32, &wide)])?;
        assert_eq!(t.shape, s(&[2, 7]));
        let t = infer_linalg(
            LinalgOp::Svd {
                full_matrices: false,
            },
            &[(DType::F32, &wide)],
        )?;
        assert_eq!(t.shape, s(&[5, 5]));
        assert!(infer_linalg(LinalgOp::Inv, &[(DType::F32, &wide)]).is_err());
        assert!(infer_linalg(LinalgOp::Inv, &[(DType::I32, &sq)]).is_err());
        assert!(infer_linalg(LinalgOp::Det, &[(DType::F32, &s(&[4]))]).is_err());
        let b = s(&[3, 4, 2]);
        let t = infer_linalg(LinalgOp::Solve, &[(DType::F64, &sq), (DType::F64, &b)])?;
        assert_eq!(t.shape, b);
        assert!(infer_linalg(LinalgOp::Solve, &[(DType::F64, &sq), (DType::F32, &b)]).is_err());
        assert!(
            infer_linalg(
                LinalgOp::Solve,
                &[(DType::F64, &sq), (DType::F64, &sq.clone())]
            )
            .is_ok()
        );
        assert!(
            infer_linalg(
                LinalgOp::Solve,
                &[(DType::F64, &sq), (DType::F64, &s(&[4, 2]))]
            )
            .is_err()
        );
        Ok(())
    }
}

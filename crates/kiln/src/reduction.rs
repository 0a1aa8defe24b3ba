//! Reductions and scans: sum, prod, max, min, mean, var, std, any, all, argmax, argmin,
//! cumulative_sum, cumulative_prod, with Array API dtype rules.
//!
//! Invariant: graph `Reduce` nodes keep reduced axes (extent 1); `keepdims=false` is a reshape
//! added here. mean/var/std are compositions (sum, divide, subtract) that the scheduler fuses:
//! `mean` is one reduction with a division in its epilogue; `var` is two reductions.

use kiln_ir::{DType, IrError, Op, ReduceOp, Scalar, ScanOp, Shape};

use crate::elementwise as ew;
use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;
use crate::manipulation::{normalize_axes, normalize_axis};
use crate::operand::{ScalarArg, cast};

/// Reduces `x` (already of the accumulation dtype) over `axes`.
fn reduce(x: &Array, op: ReduceOp, axes: &[usize], keepdims: bool) -> Result<Array> {
    if op.result_dtype(x.dtype()).is_none() {
        return Err(KilnError::Invalid(IrError::UnsupportedDType {
            op: op.name().into(),
            dtype: x.dtype(),
        }));
    }
    let mut sorted = axes.to_vec();
    sorted.sort_unstable();
    let reduced = if sorted.is_empty() {
        x.clone()
    } else {
        Array::from_op(
            Op::Reduce {
                op,
                axes: sorted.clone(),
            },
            vec![x.clone()],
        )?
    };
    if keepdims || sorted.is_empty() {
        return Ok(reduced);
    }
    let dims: Vec<usize> = (0..x.ndim())
        .filter(|a| !sorted.contains(a))
        .map(|a| x.shape()[a])
        .collect();
    Array::from_op(Op::Reshape(Shape(dims)), vec![reduced])
}

/// The number of elements reduced over `axes`.
fn count(x: &Array, axes: &[usize]) -> usize {
    axes.iter().map(|&a| x.shape()[a]).product()
}

impl Array {
    /// Sum over `axes` (all if None). Default dtype: int64/uint64 for integers and bool.
    pub fn sum(
        &self,
        axes: Option<&[isize]>,
        keepdims: bool,
        dtype: Option<DType>,
    ) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        let x = cast(self, dtype.unwrap_or(self.dtype().default_sum_dtype()))?;
        reduce(&x, ReduceOp::Sum, &axes, keepdims)
    }

    /// Product over `axes`; dtype rules as for `sum`.
    pub fn prod(
        &self,
        axes: Option<&[isize]>,
        keepdims: bool,
        dtype: Option<DType>,
    ) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        let x = cast(self, dtype.unwrap_or(self.dtype().default_sum_dtype()))?;
        reduce(&x, ReduceOp::Prod, &axes, keepdims)
    }

    /// Maximum over `axes` (NaN propagates); empty reductions are an error.
    pub fn max(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        reduce(self, ReduceOp::Max, &axes, keepdims)
    }

    /// Minimum over `axes` (NaN propagates); empty reductions are an error.
    pub fn min(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        reduce(self, ReduceOp::Min, &axes, keepdims)
    }

    /// Arithmetic mean over `axes` (integers are averaged as float64; empty gives NaN).
    pub fn mean(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        let x = self.float_for_stats("mean")?;
        let n = count(&x, &axes);
        let s = reduce(&x, ReduceOp::Sum, &axes, keepdims)?;
        ew::divide(&s, ScalarArg::Float(n as f64))
    }

    /// Variance over `axes` with `correction` degrees of freedom removed (0 = population).
    pub fn var(&self, axes: Option<&[isize]>, correction: f64, keepdims: bool) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        let x = self.float_for_stats("var")?;
        if x.dtype().is_complex() {
            return Err(KilnError::Invalid(IrError::UnsupportedDType {
                op: "var".into(),
                dtype: x.dtype(),
            }));
        }
        let n = count(&x, &axes) as f64;
        let int_axes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
        let mean = x.mean(Some(&int_axes), true)?;
        let d = ew::subtract(&x, &mean)?;
        let ss = reduce(&ew::multiply(&d, &d)?, ReduceOp::Sum, &axes, keepdims)?;
        ew::divide(&ss, ScalarArg::Float((n - correction).max(0.0)))
    }

    /// Standard deviation: `sqrt(var(...))`.
    pub fn std(&self, axes: Option<&[isize]>, correction: f64, keepdims: bool) -> Result<Array> {
        ew::sqrt(&self.var(axes, correction, keepdims)?)
    }

    fn float_for_stats(&self, what: &str) -> Result<Array> {
        match self.dtype() {
            d if d.is_floating() => Ok(self.clone()),
            d if d.is_integer() => cast(self, DType::F64),
            d => Err(KilnError::Invalid(IrError::UnsupportedDType {
                op: what.into(),
                dtype: d,
            })),
        }
    }

    fn truthy(&self) -> Result<Array> {
        if self.dtype().is_bool() {
            Ok(self.clone())
        } else {
            ew::not_equal(self, ScalarArg::Int(0))
        }
    }

    /// Whether any element along `axes` is non-zero.
    pub fn any(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        reduce(&self.truthy()?, ReduceOp::Any, &axes, keepdims)
    }

    /// Whether all elements along `axes` are non-zero.
    pub fn all(&self, axes: Option<&[isize]>, keepdims: bool) -> Result<Array> {
        let axes = normalize_axes(axes, self.ndim())?;
        reduce(&self.truthy()?, ReduceOp::All, &axes, keepdims)
    }

    /// Index of the first maximum along `axis` (of the flattened array if None).
    pub fn argmax(&self, axis: Option<isize>, keepdims: bool) -> Result<Array> {
        self.arg_reduce(ReduceOp::ArgMax, axis, keepdims)
    }

    /// Index of the first minimum along `axis` (of the flattened array if None).
    pub fn argmin(&self, axis: Option<isize>, keepdims: bool) -> Result<Array> {
        self.arg_reduce(ReduceOp::ArgMin, axis, keepdims)
    }

    fn arg_reduce(&self, op: ReduceOp, axis: Option<isize>, keepdims: bool) -> Result<Array> {
        if self.size() == 0 {
            return Err(invalid(format!(
                "attempt to get {} of an empty sequence",
                op.name()
            )));
        }
        match axis {
            Some(axis) => {
                let a = normalize_axis(axis, self.ndim())?;
                reduce(self, op, &[a], keepdims)
            }
            None => {
                let flat = self.reshape(&[-1])?;
                let r = reduce(&flat, op, &[0], false)?;
                if keepdims {
                    r.reshape(&vec![1; self.ndim()])
                } else {
                    Ok(r)
                }
            }
        }
    }

    /// Inclusive cumulative sum along `axis` (required for rank > 1).
    pub fn cumulative_sum(
        &self,
        axis: Option<isize>,
        dtype: Option<DType>,
        include_initial: bool,
    ) -> Result<Array> {
        self.scan(ScanOp::Sum, axis, dtype, include_initial)
    }

    /// Inclusive cumulative product along `axis` (required for rank > 1).
    pub fn cumulative_prod(
        &self,
        axis: Option<isize>,
        dtype: Option<DType>,
        include_initial: bool,
    ) -> Result<Array> {
        self.scan(ScanOp::Prod, axis, dtype, include_initial)
    }

    fn scan(
        &self,
        op: ScanOp,
        axis: Option<isize>,
        dtype: Option<DType>,
        include_initial: bool,
    ) -> Result<Array> {
        let axis = match (axis, self.ndim()) {
            (Some(a), r) => normalize_axis(a, r)?,
            (None, 1) => 0,
            (None, r) => {
                return Err(invalid(format!(
                    "{} needs an axis for an array of rank {r}",
                    op.name()
                )));
            }
        };
        let x = cast(self, dtype.unwrap_or(self.dtype().default_sum_dtype()))?;
        let scanned = Array::from_op(Op::Scan { op, axis }, vec![x.clone()])?;
        if !include_initial {
            return Ok(scanned);
        }
        // The initial value (0 for sums, 1 for products) leads along `axis`.
        let mut lead = x.shape().to_vec();
        lead[axis] = 1;
        let initial = match op {
            ScanOp::Sum => Scalar::zero(x.dtype()),
            ScanOp::Prod => Scalar::one(x.dtype()),
        };
        let initial = crate::operand::constant(initial, &Shape(lead))?;
        crate::join::concat(&[initial, scanned], Some(axis as isize))
    }
}

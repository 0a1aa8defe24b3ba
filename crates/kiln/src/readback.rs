//! Reading values back: `eval`, `to_vec`, `to_ndarray`, `item`, and value formatting.
//!
//! Invariant: every read-back evaluates first, then copies out of the realized view; asking
//! for a Rust type that is not the array's dtype is a `TypeError`-kind error, never a silent
//! conversion.

use kiln_ir::{DType, Element, IrError, Realized, Scalar};

use crate::error::{KilnError, Result, invalid};
use crate::graph::Array;

impl Array {
    /// Evaluates this array (a no-op if it is already realized).
    pub fn eval(&self) -> Result<&Array> {
        crate::pipeline::eval(&[self])?;
        Ok(self)
    }

    /// The realized data in host memory (evaluating if needed; data on a device is copied to
    /// the host, and stays on the device).
    pub fn data(&self) -> Result<Realized> {
        if let Some(r) = self.host_data()? {
            return Ok(r);
        }
        crate::pipeline::eval(&[self])?;
        self.host_data()?.ok_or_else(|| {
            KilnError::Invalid(IrError::Verify(
                "evaluation did not realize the array".into(),
            ))
        })
    }

    fn check_dtype<T: Element>(&self) -> Result<()> {
        if T::DTYPE != self.dtype() {
            return Err(KilnError::Invalid(IrError::DTypeMismatch {
                op: "read-back".into(),
                a: self.dtype(),
                b: T::DTYPE,
            }));
        }
        Ok(())
    }

    /// The elements in row-major order; `T` must be the array's dtype.
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        self.check_dtype::<T>()?;
        Ok(self.data()?.to_vec::<T>())
    }

    /// The elements as an `ndarray` array of the same shape; `T` must be the array's dtype.
    pub fn to_ndarray<T: Element>(&self) -> Result<ndarray::ArrayD<T>> {
        let v = self.to_vec::<T>()?;
        ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(self.shape()), v)
            .map_err(|e| invalid(format!("to_ndarray: {e}")))
    }

    /// The single element of a size-1 array.
    pub fn item(&self) -> Result<Scalar> {
        if self.size() != 1 {
            return Err(KilnError::Invalid(IrError::Conversion {
                what: "item",
                numel: self.size(),
                detail: "only size-1 arrays have an item".into(),
            }));
        }
        let data = self.data()?;
        data.scalars()
            .first()
            .copied()
            .ok_or_else(|| invalid("item of an empty array"))
    }

    /// The values formatted like NumPy's repr (evaluating if needed), e.g. `[[1, 2], [3, 4]]`.
    pub fn format_values(&self) -> Result<String> {
        let data = self.data()?;
        let values = data.scalars();
        let mut out = String::new();
        write_nested(&mut out, self.shape(), &values, self.dtype());
        Ok(out)
    }
}

fn write_nested(out: &mut String, shape: &[usize], values: &[Scalar], dtype: DType) {
    match shape.split_first() {
        None => out.push_str(&format_scalar(values.first().copied(), dtype)),
        Some((&n, rest)) => {
            let stride: usize = rest.iter().product();
            out.push('[');
            for i in 0..n {
                if i > 0 {
                    out.push_str(", ");
                }
                let lo = (i * stride).min(values.len());
                let hi = ((i + 1) * stride).min(values.len());
                write_nested(out, rest, &values[lo..hi], dtype);
            }
            out.push(']');
        }
    }
}

fn format_scalar(v: Option<Scalar>, dtype: DType) -> String {
    let Some(v) = v else { return String::new() };
    let text = v.to_string();
    let value = text
        .rsplit_once(':')
        .map_or(text.as_str(), |(value, _)| value);
    match dtype {
        DType::Bool => {
            if value == "true" {
                "True".into()
            } else {
                "False".into()
            }
        }
        _ => value.to_string(),
    }
}

//! `Dense`: the interpreter's working array, a row-major vector of typed scalars.
//!
//! Invariant: `data.len() == shape.numel()` and every element has dtype `dtype`. Movement ops
//! are expressed as a `View` over the row-major data and materialised by gathering, so reshape,
//! permute, broadcast and slice share one indexing rule with realized inputs.

use crate::error::InterpError;
use kiln_ir::{DType, IndexIter, Realized, Scalar, Shape, SliceAxis, Storage, View};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub(crate) struct Dense {
    pub dtype: DType,
    pub shape: Shape,
    pub data: Vec<Scalar>,
}

impl Dense {
    pub fn new(dtype: DType, shape: Shape, data: Vec<Scalar>) -> Result<Dense, InterpError> {
        if data.len() != shape.numel() {
            return Err(InterpError::Unsupported(format!(
                "{} values for shape {shape}",
                data.len()
            )));
        }
        if let Some(bad) = data.iter().find(|v| v.dtype() != dtype) {
            return Err(InterpError::DTypeMismatch {
                op: "dense array".into(),
                a: dtype,
                b: bad.dtype(),
            });
        }
        Ok(Dense { dtype, shape, data })
    }

    /// Reads a storage through a view (which must fit it).
    pub fn from_storage(storage: &Storage, view: &View) -> Result<Dense, InterpError> {
        if !view.fits(storage.len()) {
            return Err(InterpError::Binding(format!(
                "view {:?} leaves a storage of {} elements",
                view,
                storage.len()
            )));
        }
        let data = IndexIter::new(&view.shape)
            .map(|ix| {
                storage.get(view.offset_of(&ix) as usize).ok_or_else(|| {
                    InterpError::Binding(format!("index {ix:?} of view {view:?} out of bounds"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Dense {
            dtype: storage.dtype(),
            shape: view.shape.clone(),
            data,
        })
    }

    pub fn from_realized(r: &Realized) -> Result<Dense, InterpError> {
        Dense::from_storage(&r.storage, &r.view)
    }

    /// A contiguous realized copy.
    pub fn to_realized(&self) -> Result<Realized, InterpError> {
        let storage = self.to_storage()?;
        Ok(Realized::contiguous(Arc::new(storage), self.shape.clone())?)
    }

    pub fn to_storage(&self) -> Result<Storage, InterpError> {
        let mut storage = Storage::zeroed(self.dtype, self.data.len())?;
        for (i, v) in self.data.iter().enumerate() {
            storage.set(i, *v)?;
        }
        Ok(storage)
    }

    /// Gathers the elements a view over this array's row-major data selects.
    pub fn gather(&self, view: &View) -> Result<Dense, InterpError> {
        let data = IndexIter::new(&view.shape)
            .map(|ix| {
                let at = view.offset_of(&ix);
                usize::try_from(at)
                    .ok()
                    .and_then(|at| self.data.get(at).copied())
                    .ok_or_else(|| {
                        InterpError::Unsupported(format!(
                            "view {view:?} leaves shape {}",
                            self.shape
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Dense {
            dtype: self.dtype,
            shape: view.shape.clone(),
            data,
        })
    }

    pub fn contiguous_view(&self) -> View {
        View::contiguous(self.shape.clone())
    }

    /// Row-major reshape: the data is unchanged.
    pub fn reshape(&self, to: &Shape) -> Result<Dense, InterpError> {
        Dense::new(self.dtype, to.clone(), self.data.clone())
    }

    /// Output axis `i` is input axis `perm[i]`.
    pub fn permute(&self, perm: &[usize]) -> Result<Dense, InterpError> {
        let base = self.contiguous_view();
        let view = View {
            shape: Shape(perm.iter().map(|&p| self.shape.0[p]).collect()),
            strides: perm.iter().map(|&p| base.strides[p]).collect(),
            offset: 0,
        };
        self.gather(&view)
    }

    /// Same-rank broadcast: extent-1 axes repeat (stride 0).
    pub fn broadcast(&self, to: &Shape) -> Result<Dense, InterpError> {
        let base = self.contiguous_view();
        let strides = self
            .shape
            .dims()
            .iter()
            .zip(&base.strides)
            .zip(to.dims())
            .map(|((&from, &s), &t)| if from == 1 && t != 1 { 0 } else { s })
            .collect();
        self.gather(&View {
            shape: to.clone(),
            strides,
            offset: 0,
        })
    }

    /// Elements `start + i*step` along each axis.
    pub fn slice(&self, axes: &[SliceAxis]) -> Result<Dense, InterpError> {
        let base = self.contiguous_view();
        let mut offset = 0isize;
        let mut strides = Vec::with_capacity(axes.len());
        for (a, &s) in axes.iter().zip(&base.strides) {
            if a.len > 0 {
                offset += a.start as isize * s;
            }
            strides.push(a.step * s);
        }
        let shape = Shape(axes.iter().map(|a| a.len).collect());
        if shape.numel() == 0 {
            return Dense::new(self.dtype, shape, Vec::new());
        }
        self.gather(&View {
            shape,
            strides,
            offset: offset as usize,
        })
    }
}

//! Reference matrix products and scans (the graph's `Library` ops), shared by `run_program`
//! and the library steps of `run_schedule`.
//!
//! Invariant: matmul accumulates float products in f64 (complex in complex128) and rounds once
//! per output element; integer matmul wraps in i128 and then in the dtype. Scans are inclusive and
//! sequential in the dtype's own arithmetic (`scalar_ops::binary`), as a backend would compute.

use crate::dense::Dense;
use crate::error::InterpError;
use crate::scalar_ops::{self, int};
use kiln_ir::{BinaryOp, C128, IndexIter, Scalar, ScanOp, Shape};

/// Batched `[..., m, k] x [..., k, n]` with equal batch dims and one dtype.
pub(crate) fn matmul(a: &Dense, b: &Dense) -> Result<Dense, InterpError> {
    let info = kiln_ir::infer(
        &kiln_ir::Op::MatMul,
        &[(a.dtype, &a.shape), (b.dtype, &b.shape)],
    )?;
    let r = a.shape.rank();
    let (m, k, n) = (a.shape.0[r - 2], a.shape.0[r - 1], b.shape.0[r - 1]);
    let batch: usize = a.shape.0[..r - 2].iter().product();
    let dtype = a.dtype;
    let mut data = Vec::with_capacity(info.shape.numel());
    for bi in 0..batch {
        let a_at = |i: usize, p: usize| a.data[bi * m * k + i * k + p];
        let b_at = |p: usize, j: usize| b.data[bi * k * n + p * n + j];
        for i in 0..m {
            for j in 0..n {
                let value = if dtype.is_complex() {
                    let acc = (0..k).fold(C128::new(0.0, 0.0), |acc, p| {
                        acc + kiln_cmath::mul(a_at(i, p).to_c128(), b_at(p, j).to_c128())
                    });
                    scalar_ops::complex_scalar(acc, dtype)
                } else if dtype.is_real_float() {
                    let acc: f64 = (0..k)
                        .map(|p| a_at(i, p).to_f64() * b_at(p, j).to_f64())
                        .sum();
                    scalar_ops::real_scalar(acc, dtype)
                } else {
                    let acc = (0..k).fold(0i128, |acc, p| {
                        let x = int::to_i128(a_at(i, p)).unwrap_or(0);
                        let y = int::to_i128(b_at(p, j)).unwrap_or(0);
                        acc.wrapping_add(x.wrapping_mul(y))
                    });
                    int::wrap(acc, dtype)
                };
                data.push(value);
            }
        }
    }
    Dense::new(info.dtype, info.shape, data)
}

/// Inclusive cumulative sum or product along `axis`.
pub(crate) fn scan(x: &Dense, op: ScanOp, axis: usize) -> Result<Dense, InterpError> {
    kiln_ir::infer(&kiln_ir::Op::Scan { op, axis }, &[(x.dtype, &x.shape)])?;
    let combine = match op {
        ScanOp::Sum => BinaryOp::Add,
        ScanOp::Prod => BinaryOp::Mul,
    };
    let strides = x.shape.contiguous_strides();
    let extent = x.shape.0[axis];
    let stride = strides[axis] as usize;
    let mut lines = x.shape.clone();
    lines.0[axis] = 1;
    let mut data: Vec<Scalar> = x.data.clone();
    for start in IndexIter::new(&lines) {
        let base: usize = start
            .iter()
            .zip(&strides)
            .map(|(&i, &s)| i * s as usize)
            .sum();
        for step in 1..extent {
            let (prev, cur) = (base + (step - 1) * stride, base + step * stride);
            data[cur] = scalar_ops::binary(combine, data[prev], data[cur])?;
        }
    }
    Dense::new(x.dtype, Shape(x.shape.0.clone()), data)
}

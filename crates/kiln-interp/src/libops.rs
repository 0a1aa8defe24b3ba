//! Reference data-movement library ops (`LibOp`): concatenation, gathers, sorting and sorted
//! search, written for clarity over row-major `Dense` arrays (transforms: `crate::fft`).
//!
//! Invariant: results are computed straight from the definitions in `kiln_ir::libop`: gathers
//! read `x` at the (normalised) index and fail with `IrError::IndexOutOfBounds` outside `-n..n`;
//! sorts are the standard library's stable `sort_by` over [`kiln_ir::sort_order`]; a descending sort is
//! the ascending sort of the reversed line, reversed (so equal elements keep their order);
//! searchsorted is a linear scan.

use crate::dense::Dense;
use crate::error::InterpError;
use kiln_ir::{DType, IndexIter, LibOp, Scalar, Shape, sort_order};
use std::cmp::Ordering;

/// Runs `op` over its operands.
pub(crate) fn run(op: LibOp, args: &[&Dense]) -> Result<Dense, InterpError> {
    let types: Vec<(DType, &Shape)> = args.iter().map(|d| (d.dtype, &d.shape)).collect();
    let info = kiln_ir::infer(&kiln_ir::Op::Lib(op), &types)?;
    let data = match op {
        LibOp::Fft(fft) => return crate::fft::run(fft, args[0], &info),
        LibOp::Concat { axis, .. } => concat(args, axis, &info.shape),
        LibOp::Take { axis } => take(args[0], args[1], axis, &info.shape)?,
        LibOp::TakeAlongAxis { axis } => take_along(args[0], args[1], axis)?,
        LibOp::Sort { axis, descending } => {
            let (perm, x) = (sorted_lines(args[0], axis, descending), args[0]);
            perm.iter().map(|&i| x.data[i]).collect()
        }
        LibOp::ArgSort { axis, descending } => {
            let x = args[0];
            let strides = x.shape.contiguous_strides();
            let stride = strides[axis] as usize;
            // Each source position's coordinate along `axis` is its index in the line.
            sorted_lines(x, axis, descending)
                .into_iter()
                .map(|src| Scalar::I64(((src / stride) % x.shape.0[axis]) as i64))
                .collect()
        }
        LibOp::Linalg(l) => return crate::linalg::run(l, args),
        LibOp::SearchSorted { right } => {
            let (sorted, values) = (args[0], args[1]);
            values
                .data
                .iter()
                .map(|&v| {
                    let count = sorted
                        .data
                        .iter()
                        .filter(|&&s| {
                            let o = sort_order(s, v);
                            o == Ordering::Less || (right && o == Ordering::Equal)
                        })
                        .count();
                    Scalar::I64(count as i64)
                })
                .collect()
        }
    };
    Dense::new(info.dtype, info.shape, data)
}

fn flat(shape: &Shape, ix: &[usize]) -> usize {
    ix.iter()
        .zip(shape.contiguous_strides())
        .map(|(&i, s)| i * s as usize)
        .sum()
}

fn concat(args: &[&Dense], axis: usize, out: &Shape) -> Vec<Scalar> {
    IndexIter::new(out)
        .map(|mut ix| {
            let mut part = 0;
            while ix[axis] >= args[part].shape.0[axis] {
                ix[axis] -= args[part].shape.0[axis];
                part += 1;
            }
            args[part].data[flat(&args[part].shape, &ix)]
        })
        .collect()
}

/// The in-range index an integer scalar names along an axis of extent `n`.
fn normalise(index: Scalar, axis: usize, n: usize) -> Result<usize, InterpError> {
    Ok(kiln_ir::normalise_index(index.to_i128(), axis, n)?)
}

fn take(x: &Dense, indices: &Dense, axis: usize, out: &Shape) -> Result<Vec<Scalar>, InterpError> {
    IndexIter::new(out)
        .map(|mut ix| {
            ix[axis] = normalise(indices.data[ix[axis]], axis, x.shape.0[axis])?;
            Ok(x.data[flat(&x.shape, &ix)])
        })
        .collect()
}

fn take_along(x: &Dense, indices: &Dense, axis: usize) -> Result<Vec<Scalar>, InterpError> {
    IndexIter::new(&indices.shape)
        .enumerate()
        .map(|(k, mut ix)| {
            ix[axis] = normalise(indices.data[k], axis, x.shape.0[axis])?;
            Ok(x.data[flat(&x.shape, &ix)])
        })
        .collect()
}

/// For each flat output position, the flat input position whose element lands there after a
/// stable sort of every line along `axis`.
fn sorted_lines(x: &Dense, axis: usize, descending: bool) -> Vec<usize> {
    let strides = x.shape.contiguous_strides();
    let (n, stride) = (x.shape.0[axis], strides[axis] as usize);
    let mut lines = x.shape.clone();
    lines.0[axis] = 1;
    let mut perm: Vec<usize> = (0..x.data.len()).collect();
    for start in IndexIter::new(&lines) {
        let base = flat(&x.shape, &start);
        let mut line: Vec<usize> = (0..n).map(|i| base + i * stride).collect();
        if descending {
            line.reverse();
            line.sort_by(|&a, &b| sort_order(x.data[a], x.data[b]));
            line.reverse();
        } else {
            line.sort_by(|&a, &b| sort_order(x.data[a], x.data[b]));
        }
        for (i, src) in line.into_iter().enumerate() {
            perm[base + i * stride] = src;
        }
    }
    perm
}

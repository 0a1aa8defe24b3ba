//! How a one-axis FFT step maps onto batched cuFFT plans (`cufftPlanMany`, advanced layout)
//! that read the operand where it lies and write the contiguous result in place.
//!
//! A rank-1 advanced-layout plan reads element `j` of line `t` at `t * idist + j * istride` and
//! writes element `k` at `t * odist + k * ostride`, for `t < batch`. The transform axis gives the
//! strides; the other dims (collapsed where both the operand and the output walk them as one,
//! see `batch`) give the batch and a loop of calls. A line longer than the transform is cropped
//! for free (cuFFT reads only the first `n`, or `n/2 + 1` for complex-to-real); zero padding,
//! the rolls of `fftshift`, negative or broadcast strides have no plan and run on the host.
//!
//! Invariant: a plan reads only elements of the operand's view and writes every element of the
//! output exactly once; every integer handed to cuFFT fits `i32`. Complex-to-real plans are
//! marked `clobbers_input` (cuFFT overwrites a C2R input), so the executor runs them on a copy.

use super::batch::{collapse, split};
use kiln_ir::{DType, FftKind, FftOp, Operand};

/// A cuFFT transform type (`CUFFT_C2C`, `CUFFT_R2C`, ..., and their double forms).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FftType {
    C2c,
    R2c,
    C2r,
    Z2z,
    D2z,
    Z2d,
}

impl FftType {
    /// The type of `kind` from `input` to `output`, when the dtypes are the pair it transforms.
    pub fn of(kind: FftKind, input: DType, output: DType) -> Option<FftType> {
        use DType::*;
        match (kind, input, output) {
            (FftKind::Forward | FftKind::Inverse, C64, C64) => Some(FftType::C2c),
            (FftKind::Forward | FftKind::Inverse, C128, C128) => Some(FftType::Z2z),
            (FftKind::RealForward, F32, C64) => Some(FftType::R2c),
            (FftKind::RealForward, F64, C128) => Some(FftType::D2z),
            (FftKind::RealInverse, C64, F32) => Some(FftType::C2r),
            (FftKind::RealInverse, C128, F64) => Some(FftType::Z2d),
            _ => None,
        }
    }
}

/// The shape of a cuFFT plan: what the plan cache keys on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PlanShape {
    pub ty: FftType,
    pub n: i32,
    pub istride: i32,
    pub idist: i32,
    pub ostride: i32,
    pub odist: i32,
    pub batch: i32,
}

/// A transform as cuFFT calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FftPlan {
    pub shape: PlanShape,
    /// `true` for inverse transforms (`CUFFT_INVERSE`); real transforms ignore it.
    pub inverse: bool,
    /// Element offsets of the input and the output for each call.
    pub calls: Vec<[usize; 2]>,
    /// cuFFT overwrites the input of a complex-to-real transform.
    pub clobbers_input: bool,
}

impl FftPlan {
    /// Elements the plan writes: every call's batch of transformed lines.
    pub fn out_len(&self) -> usize {
        let line = match self.shape.ty {
            FftType::R2c | FftType::D2z => self.shape.n as usize / 2 + 1,
            _ => self.shape.n as usize,
        };
        self.calls.len() * self.shape.batch as usize * line
    }
}

/// The cuFFT calls of `op` on `input` (of dtype `in_dtype`) into a contiguous temporary of
/// dtype `out_dtype`, or `None` when cuFFT cannot read the operand as it lies.
pub fn plan(op: FftOp, input: &Operand, in_dtype: DType, out_dtype: DType) -> Option<FftPlan> {
    let ty = FftType::of(op.kind, in_dtype, out_dtype)?;
    if op.roll_in != 0 || op.roll_out != 0 {
        return None;
    }
    let dims = input.view.shape.dims();
    let strides = &input.view.strides;
    let axis = op.axis;
    let extent = *dims.get(axis)?;
    let reads = match op.kind {
        FftKind::RealInverse => op.n / 2 + 1,
        _ => op.n,
    };
    if extent < reads {
        return None; // zero padding
    }
    let istride = if reads <= 1 { 1 } else { strides[axis] };
    if istride < 1 {
        return None;
    }
    let out_extent = op.out_extent();
    // Output strides: contiguous over the operand's dims with the axis resized.
    let mut out_strides = vec![0isize; dims.len()];
    let mut step = 1isize;
    for d in (0..dims.len()).rev() {
        out_strides[d] = step;
        let e = if d == axis { out_extent } else { dims[d] };
        step = step.checked_mul(e as isize)?;
    }
    let batch_dims: Vec<usize> = (0..dims.len()).filter(|&d| d != axis).collect();
    let extents: Vec<usize> = batch_dims.iter().map(|&d| dims[d]).collect();
    let per_dim: Vec<Vec<isize>> = batch_dims
        .iter()
        .map(|&d| vec![strides[d], out_strides[d]])
        .collect();
    let groups = collapse(&extents, &per_dim);
    let (inner, calls) = split(&groups, &[input.view.offset, 0], false)?;
    let int = |x: isize| i32::try_from(x).ok();
    // A batch of one never steps: any positive distance will do.
    let (idist, odist) = if inner.count == 1 {
        (1, 1)
    } else {
        (inner.strides[0], inner.strides[1])
    };
    Some(FftPlan {
        shape: PlanShape {
            ty,
            n: i32::try_from(op.n).ok()?,
            istride: int(istride)?,
            idist: int(idist)?,
            ostride: int(out_strides[axis])?,
            odist: int(odist)?,
            batch: i32::try_from(inner.count).ok()?,
        },
        inverse: op.kind == FftKind::Inverse,
        calls: calls.into_iter().map(|c| [c[0], c[1]]).collect(),
        clobbers_input: matches!(ty, FftType::C2r | FftType::Z2d),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_ir::{Shape, View};

    fn operand(shape: &[usize], strides: &[isize]) -> Operand {
        Operand {
            buffer: kiln_ir::BufferRef::Input(0),
            view: View {
                shape: Shape::from(shape),
                strides: strides.to_vec(),
                offset: 0,
            },
        }
    }

    #[test]
    fn the_last_axis_of_a_contiguous_image_is_one_batched_call() -> Result<(), String> {
        let x = operand(&[2048, 2048], &[2048, 1]);
        let p = plan(
            FftOp::new(FftKind::Forward, 1, 2048),
            &x,
            DType::C64,
            DType::C64,
        )
        .ok_or("no plan")?;
        assert_eq!(
            (p.shape.batch, p.shape.idist, p.shape.istride),
            (2048, 2048, 1)
        );
        assert_eq!(p.calls.len(), 1);
        Ok(())
    }

    #[test]
    fn the_first_axis_strides_across_rows() -> Result<(), String> {
        let x = operand(&[2048, 2048], &[2048, 1]);
        let p = plan(
            FftOp::new(FftKind::Inverse, 0, 2048),
            &x,
            DType::C64,
            DType::C64,
        )
        .ok_or("no plan")?;
        assert_eq!(
            (p.shape.istride, p.shape.idist, p.shape.batch),
            (2048, 1, 2048)
        );
        assert!(p.inverse);
        Ok(())
    }

    #[test]
    fn padding_and_rolls_go_to_the_host() {
        let x = operand(&[8], &[1]);
        assert!(
            plan(
                FftOp::new(FftKind::Forward, 0, 16),
                &x,
                DType::C64,
                DType::C64
            )
            .is_none()
        );
        let mut op = FftOp::new(FftKind::Forward, 0, 8);
        op.roll_out = 4;
        assert!(plan(op, &x, DType::C64, DType::C64).is_none());
    }

    #[test]
    fn complex_to_real_is_marked_as_clobbering() -> Result<(), String> {
        let x = operand(&[3, 5], &[5, 1]);
        let p = plan(
            FftOp::new(FftKind::RealInverse, 1, 8),
            &x,
            DType::C64,
            DType::F32,
        )
        .ok_or("no plan")?;
        assert!(p.clobbers_input);
        assert_eq!((p.shape.ostride, p.shape.odist), (1, 8));
        Ok(())
    }
}

//! Whether a kernel's inner loop can run on 128-bit vectors, and with how many lanes.
//!
//! Invariant: `lanes` returns `Some` only when every value the loop computes has one lane
//! width (bools excepted: they become masks of that width), no value is complex, every
//! parameter the loop touches has a `Unit` or `Zero` inner stride, and the reduction (if
//! any) has a vector form. Anything else runs in the scalar loop.

use kiln_ir::{DType, InnerStride, Inst, Kernel, ReduceOp};

/// Lane count for the loop over `values` (ids whose `need` flag is set) touching `params`.
pub fn lanes(
    kernel: &Kernel,
    need: &[bool],
    values: std::ops::Range<usize>,
    params: &[usize],
) -> Option<u8> {
    let mut width: Option<usize> = None;
    let mut note = |d: DType| -> bool {
        if d.is_complex() {
            return false;
        }
        if d == DType::Bool {
            return true;
        }
        match width {
            None => {
                width = Some(d.size_bytes());
                true
            }
            Some(w) => w == d.size_bytes(),
        }
    };
    for i in values {
        if !need.get(i).copied().unwrap_or(false) {
            continue;
        }
        let v = kernel.value(kiln_ir::ValueId(i as u32));
        if !note(v.dtype) {
            return None;
        }
        if let Inst::Cast { arg, .. } = v.inst
            && !note(kernel.value(arg).dtype)
        {
            return None;
        }
    }
    for &p in params {
        let param = kernel.params.get(p)?;
        if param.inner == InnerStride::Any || !note(param.dtype) {
            return None;
        }
    }
    let width = width.unwrap_or(1);
    if let Some(r) = &kernel.reduce {
        let d = kernel.value(r.value).dtype;
        let ok = match r.op {
            ReduceOp::Sum => d.is_real_float() || d.is_integer(),
            ReduceOp::Prod => d.is_real_float() || width == 4,
            ReduceOp::Max | ReduceOp::Min => d.is_real_float() || width <= 4,
            ReduceOp::Any | ReduceOp::All => true,
            ReduceOp::ArgMax | ReduceOp::ArgMin => false,
        };
        if !ok {
            return None;
        }
    }
    Some((16 / width) as u8)
}

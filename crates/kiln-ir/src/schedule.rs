//! Schedules: the ordered steps (fused kernels and library calls) that compute a program.
//!
//! Invariants (checked by `Schedule::verify`): steps run in order and a step reads only program
//! inputs or temporaries written by earlier steps; every temporary is written by exactly one step;
//! every binding's layout stays inside its buffer; outputs name a buffer and a view into it.

use crate::buffer::Realized;
use crate::dtype::DType;
use crate::error::IrError;
use crate::kernel::{Access, Kernel, LaunchGeometry};
use crate::libop::LibOp;
use crate::op::ScanOp;
use crate::shape::View;
use std::fmt;

/// A buffer a step reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BufferRef {
    /// A realized program input (read only).
    Input(usize),
    /// A temporary allocated by the executor: `Schedule::buffers[i]`.
    Temp(usize),
}

impl fmt::Display for BufferRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BufferRef::Input(i) => write!(f, "in{i}"),
            BufferRef::Temp(i) => write!(f, "t{i}"),
        }
    }
}

/// A temporary buffer: `len` elements of `dtype`, row-major for its producing step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BufferDecl {
    pub dtype: DType,
    pub len: usize,
}

/// A fused kernel and the buffers bound to its parameters.
#[derive(Clone, Debug)]
pub struct KernelStep {
    pub kernel: Kernel,
    pub geometry: LaunchGeometry,
    /// `buffers[i]` is bound to `kernel.params[i]`.
    pub buffers: Vec<BufferRef>,
}

/// A buffer seen through a view (a library call's operand).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operand {
    pub buffer: BufferRef,
    pub view: View,
}

/// An opaque step served by a library.
#[derive(Clone, Debug)]
pub enum LibraryStep {
    /// `out = a @ b`, batched over leading dims; `out` is a fresh contiguous temporary.
    MatMul {
        a: Operand,
        b: Operand,
        out: usize,
        dtype: DType,
    },
    /// Inclusive scan along `axis`; `out` is a fresh contiguous temporary of `input`'s shape.
    Scan {
        op: ScanOp,
        axis: usize,
        input: Operand,
        out: usize,
        dtype: DType,
    },
    /// A data-movement op over `inputs` (in the op's operand order); `out` is a fresh contiguous
    /// temporary of the op's result shape.
    Lib {
        op: LibOp,
        inputs: Vec<Operand>,
        out: usize,
        dtype: DType,
    },
}

impl LibraryStep {
    /// The temporary the step writes.
    pub fn out(&self) -> usize {
        match self {
            LibraryStep::MatMul { out, .. }
            | LibraryStep::Scan { out, .. }
            | LibraryStep::Lib { out, .. } => *out,
        }
    }

    /// The dtype of the result.
    pub fn dtype(&self) -> DType {
        match self {
            LibraryStep::MatMul { dtype, .. }
            | LibraryStep::Scan { dtype, .. }
            | LibraryStep::Lib { dtype, .. } => *dtype,
        }
    }

    /// The operands, in order.
    pub fn operands(&self) -> Vec<&Operand> {
        match self {
            LibraryStep::MatMul { a, b, .. } => vec![a, b],
            LibraryStep::Scan { input, .. } => vec![input],
            LibraryStep::Lib { inputs, .. } => inputs.iter().collect(),
        }
    }
}

#[derive(Clone, Debug)]
pub enum Step {
    Kernel(KernelStep),
    Library(LibraryStep),
}

#[derive(Clone, Debug, Default)]
pub struct Schedule {
    pub buffers: Vec<BufferDecl>,
    pub steps: Vec<Step>,
    /// One per program output, in the program's output order.
    pub outputs: Vec<Operand>,
}

impl Step {
    /// Temporaries this step writes.
    pub fn writes(&self) -> Vec<usize> {
        match self {
            Step::Kernel(k) => k
                .kernel
                .params
                .iter()
                .zip(&k.buffers)
                .filter(|(p, _)| p.access == Access::Write)
                .filter_map(|(_, b)| match b {
                    BufferRef::Temp(t) => Some(*t),
                    BufferRef::Input(_) => None,
                })
                .collect(),
            Step::Library(lib) => vec![lib.out()],
        }
    }

    /// Buffers this step reads.
    pub fn reads(&self) -> Vec<BufferRef> {
        match self {
            Step::Kernel(k) => k
                .kernel
                .params
                .iter()
                .zip(&k.buffers)
                .filter(|(p, _)| p.access == Access::Read)
                .map(|(_, b)| *b)
                .collect(),
            Step::Library(lib) => lib.operands().iter().map(|o| o.buffer).collect(),
        }
    }
}

impl Schedule {
    /// Checks the module invariants against the realized inputs the schedule will run on.
    pub fn verify(&self, inputs: &[Realized]) -> Result<(), IrError> {
        let fail = |msg: String| Err(IrError::Verify(format!("schedule: {msg}")));
        let mut written = vec![false; self.buffers.len()];
        let len_of = |b: BufferRef| -> Option<(usize, DType)> {
            match b {
                BufferRef::Input(i) => inputs.get(i).map(|r| (r.storage.len(), r.dtype())),
                BufferRef::Temp(t) => self.buffers.get(t).map(|d| (d.len, d.dtype)),
            }
        };
        for (s, step) in self.steps.iter().enumerate() {
            for r in step.reads() {
                if let BufferRef::Temp(t) = r
                    && !written.get(t).copied().unwrap_or(false)
                {
                    return fail(format!("step {s} reads t{t} before it is written"));
                }
                if len_of(r).is_none() {
                    return fail(format!("step {s} reads unknown buffer {r}"));
                }
            }
            if let Step::Kernel(k) = step {
                k.kernel.verify()?;
                k.geometry.check(&k.kernel)?;
                if k.buffers.len() != k.kernel.params.len() {
                    return fail(format!("step {s} binds {} buffers", k.buffers.len()));
                }
                for (p, (buf, layout)) in k.buffers.iter().zip(&k.geometry.params).enumerate() {
                    if k.kernel.params[p].access == Access::Write
                        && matches!(buf, BufferRef::Input(_))
                    {
                        return fail(format!("step {s} writes p{p} into program input {buf}"));
                    }
                    let Some((len, dtype)) = len_of(*buf) else {
                        return fail(format!("step {s} binds unknown buffer {buf}"));
                    };
                    if dtype != k.kernel.params[p].dtype {
                        return fail(format!("step {s} binds {dtype} buffer {buf} to p{p}"));
                    }
                    let dims = match k.kernel.param_role(p) {
                        crate::kernel::ParamRole::BodyRead => k.geometry.dims.clone(),
                        _ => k.geometry.dims[..k.kernel.outer_rank].to_vec(),
                    };
                    let view = View {
                        shape: dims.clone().into(),
                        strides: layout.strides[..dims.len()].to_vec(),
                        offset: layout.offset,
                    };
                    if !view.fits(len) {
                        return fail(format!(
                            "step {s} p{p} leaves buffer {buf} ({len} elements)"
                        ));
                    }
                }
            }
            if let Step::Library(lib) = step {
                for operand in lib.operands() {
                    match len_of(operand.buffer) {
                        Some((len, _)) if operand.view.fits(len) => {}
                        _ => {
                            return fail(format!(
                                "step {s} operand view does not fit {}",
                                operand.buffer
                            ));
                        }
                    }
                }
            }
            for t in step.writes() {
                if t >= written.len() || std::mem::replace(&mut written[t], true) {
                    return fail(format!(
                        "step {s} writes t{t} which is unknown or already written"
                    ));
                }
            }
        }
        for (o, out) in self.outputs.iter().enumerate() {
            match len_of(out.buffer) {
                Some((len, _)) if out.view.fits(len) => {}
                _ => return fail(format!("output {o} view does not fit {}", out.buffer)),
            }
            if let BufferRef::Temp(t) = out.buffer
                && !written[t]
            {
                return fail(format!("output {o} reads unwritten t{t}"));
            }
        }
        Ok(())
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.buffers.iter().enumerate() {
            writeln!(f, "t{i}: {}[{}]", b.dtype.short_name(), b.len)?;
        }
        for (s, step) in self.steps.iter().enumerate() {
            match step {
                Step::Kernel(k) => {
                    let bufs: Vec<String> = k.buffers.iter().map(|b| b.to_string()).collect();
                    writeln!(
                        f,
                        "step {s}: kernel {} dims {:?} buffers ({})",
                        k.kernel.name,
                        k.geometry.dims,
                        bufs.join(", ")
                    )?;
                }
                Step::Library(LibraryStep::MatMul { a, b, out, dtype }) => writeln!(
                    f,
                    "step {s}: matmul.{} {}{} x {}{} -> t{out}",
                    dtype.short_name(),
                    a.buffer,
                    a.view.shape,
                    b.buffer,
                    b.view.shape
                )?,
                Step::Library(LibraryStep::Scan {
                    op,
                    axis,
                    input,
                    out,
                    dtype,
                }) => writeln!(
                    f,
                    "step {s}: {}.{}[{axis}] {}{} -> t{out}",
                    op.name(),
                    dtype.short_name(),
                    input.buffer,
                    input.view.shape
                )?,
                Step::Library(LibraryStep::Lib {
                    op,
                    inputs,
                    out,
                    dtype,
                }) => {
                    let args: Vec<String> = inputs
                        .iter()
                        .map(|o| format!("{}{}", o.buffer, o.view.shape))
                        .collect();
                    writeln!(
                        f,
                        "step {s}: {op}.{} {} -> t{out}",
                        dtype.short_name(),
                        args.join(", ")
                    )?
                }
            }
        }
        for (o, out) in self.outputs.iter().enumerate() {
            writeln!(
                f,
                "out {o}: {}{} strides {:?} offset {}",
                out.buffer, out.view.shape, out.view.strides, out.view.offset
            )?;
        }
        Ok(())
    }
}

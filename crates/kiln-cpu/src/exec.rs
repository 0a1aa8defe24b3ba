//! The executor: runs a schedule's steps in order, and launches one kernel over the thread pool.
//!
//! Invariants:
//! - a kernel is launched only after its geometry passed `LaunchGeometry::check` and every
//!   bound buffer was checked to hold the parameter's view (`View::fits`) with the right
//!   dtype; this is what keeps generated code's addresses in bounds;
//! - parallel chunks write disjoint outer points; a launch whose written layouts may overlap
//!   runs on one thread, in order;
//! - a `PreparedSchedule` runs only on inputs whose count, dtypes and views equal those it was
//!   verified with and whose storages are long enough for every binding (see its invariant);
//! - temporaries are fresh zeroed storages, written only by their producing step while it
//!   owns them exclusively, dropped after their last reader unless they back an output.

use crate::CompiledKernel;
use crate::CpuBackend;
use crate::abi::{ACC_BYTES, build_args};
use crate::combine::combine_partials;
use crate::error::CpuError;
use crate::library;
use kiln_ir::{
    Access, BufferRef, DType, IrError, Kernel, LaunchGeometry, ParamRole, Realized, Schedule,
    Shape, Step, Storage, View,
};
use rayon::prelude::*;
use std::sync::Arc;

/// Below this many points of the iteration space a kernel runs on the caller's thread.
pub const PARALLEL_MIN: usize = 32 * 1024;

/// A buffer bound to a kernel parameter for one launch.
#[derive(Debug)]
pub enum LaunchBuffer<'a> {
    Read(&'a Storage),
    Write(&'a mut Storage),
}

impl LaunchBuffer<'_> {
    fn storage(&self) -> &Storage {
        match self {
            LaunchBuffer::Read(s) => s,
            LaunchBuffer::Write(s) => s,
        }
    }
}

/// The dims a parameter is addressed over: all of them for body reads, the outer ones else.
fn param_dims(kernel: &Kernel, g: &LaunchGeometry, p: usize) -> Vec<usize> {
    match kernel.param_role(p) {
        ParamRole::BodyRead => g.dims.clone(),
        _ => g.dims[..kernel.outer_rank.min(g.dims.len())].to_vec(),
    }
}

fn validate(kernel: &Kernel, g: &LaunchGeometry, buffers: &[LaunchBuffer]) -> Result<(), CpuError> {
    g.check(kernel)?;
    let fail = |msg: String| {
        Err(CpuError::Ir(IrError::Verify(format!(
            "launch of {}: {msg}",
            kernel.name
        ))))
    };
    if buffers.len() != kernel.params.len() {
        return fail(format!(
            "{} buffers for {} params",
            buffers.len(),
            kernel.params.len()
        ));
    }
    for (p, (param, buf)) in kernel.params.iter().zip(buffers).enumerate() {
        let storage = buf.storage();
        if storage.dtype() != param.dtype {
            return fail(format!(
                "p{p} is {} but its buffer is {}",
                param.dtype,
                storage.dtype()
            ));
        }
        if param.access == Access::Write && !matches!(buf, LaunchBuffer::Write(_)) {
            return fail(format!("written p{p} is bound to a read-only buffer"));
        }
        let dims = param_dims(kernel, g, p);
        let layout = &g.params[p];
        let view = View {
            shape: Shape::from(dims.clone()),
            strides: layout.strides[..dims.len()].to_vec(),
            offset: layout.offset,
        };
        if !view.fits(storage.len()) {
            return fail(format!(
                "p{p} leaves its buffer of {} elements",
                storage.len()
            ));
        }
    }
    Ok(())
}

/// Whether distinct in-range indices of a layout always address distinct elements.
fn injective(dims: &[usize], strides: &[isize]) -> bool {
    let mut axes: Vec<(usize, usize)> = dims
        .iter()
        .zip(strides)
        .filter(|(d, _)| **d > 1)
        .map(|(&d, &s)| (s.unsigned_abs(), d))
        .collect();
    axes.sort_unstable();
    let mut span = 0usize;
    for (s, d) in axes {
        if s <= span {
            return false;
        }
        span = span.saturating_add(s.saturating_mul(d - 1));
    }
    true
}

struct Args<'a>(&'a [i64]);
// SAFETY: the words are plain integers (addresses included); sharing them across the pool's
// threads shares no Rust references. The memory they point to is only written at disjoint
// outer points by different chunks (see the module invariant).
unsafe impl Sync for Args<'_> {}
unsafe impl Send for Args<'_> {}

impl CpuBackend {
    /// Compiles (through the cache) and launches one kernel on raw storages: `buffers[i]` is
    /// bound to `k.params[i]`.
    pub fn launch(
        &self,
        k: &Kernel,
        g: &LaunchGeometry,
        buffers: &mut [LaunchBuffer],
    ) -> Result<(), CpuError> {
        let compiled = self.compile(k)?;
        self.launch_compiled(&compiled, g, buffers)
    }

    /// Launches a compiled kernel after checking the geometry and the buffers.
    pub fn launch_compiled(
        &self,
        c: &CompiledKernel,
        g: &LaunchGeometry,
        buffers: &mut [LaunchBuffer],
    ) -> Result<(), CpuError> {
        let kernel = c.kernel();
        validate(kernel, g, buffers)?;
        let storages: Vec<&Storage> = buffers.iter().map(|b| b.storage()).collect();
        let args = build_args(g, &storages)?;
        let disjoint = kernel.stores.iter().all(|s| {
            injective(
                &g.dims[..kernel.outer_rank],
                &g.params[s.param].strides[..kernel.outer_rank],
            )
        });
        self.run(c, g, &args, disjoint)
    }

    fn run(
        &self,
        c: &CompiledKernel,
        g: &LaunchGeometry,
        args: &[i64],
        disjoint: bool,
    ) -> Result<(), CpuError> {
        let kernel = c.kernel();
        let outer: usize = g.dims[..kernel.outer_rank].iter().product();
        let reduce: usize = g.dims[kernel.outer_rank..].iter().product();
        if outer == 0 {
            return Ok(());
        }
        let work = outer.saturating_mul(reduce.max(1));
        let threads = self.threads();
        let entries = *c.entries();
        let main = entries.main;
        let args = Args(args);
        let call_main = |lo: usize, hi: usize| {
            // SAFETY: `args` was built from a geometry and buffers that passed `validate`, so
            // every address the kernel forms for outer points in [lo, hi) and reduce points in
            // [0, reduce) lies inside its storage; 0 <= lo <= hi <= outer.
            unsafe { main(args.0.as_ptr(), lo as i64, hi as i64) }
        };
        if work < PARALLEL_MIN || threads == 1 || !disjoint {
            call_main(0, outer);
            return Ok(());
        }
        if kernel.reduce.is_some() && outer < 2 * threads && reduce >= PARALLEL_MIN {
            return self.run_split(c, outer, reduce, &args);
        }
        let chunks = outer.min(threads * 4);
        let size = outer.div_ceil(chunks);
        self.pool().install(|| {
            (0..chunks).into_par_iter().for_each(|i| {
                let lo = (i * size).min(outer);
                let hi = ((i + 1) * size).min(outer);
                if lo < hi {
                    call_main(lo, hi);
                }
            })
        });
        Ok(())
    }

    /// A long reduction with few outer points: partial reductions over chunks of the reduce
    /// range in parallel, combined per outer point, then the epilogue.
    fn run_split(
        &self,
        c: &CompiledKernel,
        outer: usize,
        reduce: usize,
        args: &Args,
    ) -> Result<(), CpuError> {
        let kernel = c.kernel();
        let Some(red) = &kernel.reduce else {
            return Err(CpuError::Internal(
                "split reduction of a kernel without reduction".into(),
            ));
        };
        let split = self.split_entries(c)?;
        let (partial, finish) = (split.partial, split.finish);
        let dtype = kernel.value(red.value).dtype;
        let per_point = (reduce / (PARALLEL_MIN / 2)).clamp(1, self.threads() * 4);
        let size = reduce.div_ceil(per_point);
        let mut accs = vec![[0u64; ACC_BYTES / 8]; outer * per_point];
        self.pool().install(|| {
            accs.par_iter_mut().enumerate().for_each(|(i, acc)| {
                let (o, k) = (i / per_point, i % per_point);
                let rlo = (k * size).min(reduce);
                let rhi = ((k + 1) * size).min(reduce);
                // SAFETY: as in `run`; additionally `acc` is a live, exclusively borrowed
                // record of ACC_BYTES bytes, 8-byte aligned, which `partial` writes.
                unsafe {
                    partial(
                        args.0.as_ptr(),
                        o as i64,
                        rlo as i64,
                        rhi as i64,
                        acc.as_mut_ptr() as *mut u8,
                    )
                };
            })
        });
        for o in 0..outer {
            let record =
                combine_partials(red.op, dtype, &accs[o * per_point..(o + 1) * per_point])?;
            // SAFETY: as in `run`; `record` is a valid accumulator record for this dtype.
            unsafe { finish(args.0.as_ptr(), o as i64, record.as_ptr() as *const u8) };
        }
        Ok(())
    }
}

/// Which temporaries each step may free: the last step reading each one, and whether it backs
/// an output (then it lives to the end). Depends only on the schedule.
#[derive(Debug)]
struct Liveness {
    last_use: Vec<Option<usize>>,
    is_output: Vec<bool>,
}

impl Liveness {
    fn of(s: &Schedule) -> Liveness {
        let n_temps = s.buffers.len();
        let mut last_use = vec![None::<usize>; n_temps];
        for (i, step) in s.steps.iter().enumerate() {
            for r in step.reads() {
                if let BufferRef::Temp(t) = r
                    && t < n_temps
                {
                    last_use[t] = Some(i);
                }
            }
        }
        let mut is_output = vec![false; n_temps];
        for o in &s.outputs {
            if let BufferRef::Temp(t) = o.buffer
                && t < n_temps
            {
                is_output[t] = true;
            }
        }
        Liveness {
            last_use,
            is_output,
        }
    }
}

/// The compiled kernel of every kernel step (None for library steps), in step order.
fn resolve_kernels(
    backend: &CpuBackend,
    s: &Schedule,
) -> Result<Vec<Option<Arc<CompiledKernel>>>, CpuError> {
    s.steps
        .iter()
        .map(|step| match step {
            Step::Kernel(ks) => backend.compile(&ks.kernel).map(Some),
            Step::Library(_) => Ok(None),
        })
        .collect()
}

/// What a prepared schedule requires of input `i`: the layout it was prepared for, and the
/// fewest storage elements that keep every binding of the input in bounds.
#[derive(Clone, Debug)]
struct InputSpec {
    dtype: DType,
    view: View,
    min_len: usize,
}

/// A schedule verified once against the inputs it was prepared with, with every kernel step's
/// compiled kernel resolved (see `CpuBackend::prepare`).
///
/// Invariant: `schedule` passed `Schedule::verify` on inputs that had, for each `i`,
/// `inputs[i].dtype`, and a storage of at least `inputs[i].min_len` elements; `min_len` is the
/// largest element index + 1 any kernel parameter, library operand or output bound to input `i`
/// reaches. `Schedule::verify` depends on an input only through its dtype and through
/// `View::fits(len)` of those bindings, which holds for every `len >= min_len` once it held
/// for some `len` (its other conditions, rank and a non-negative lowest index, do not depend on
/// `len`). So inputs with the same count and dtypes and storages of at least `min_len` elements
/// pass `verify` too, without re-running it.
#[derive(Debug)]
pub struct PreparedSchedule {
    schedule: Schedule,
    kernels: Vec<Option<Arc<CompiledKernel>>>,
    liveness: Liveness,
    inputs: Vec<InputSpec>,
}

impl PreparedSchedule {
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }
}

/// The fewest storage elements input `i` needs for every binding of the schedule to it.
fn min_len_of_input(s: &Schedule, i: usize) -> usize {
    let mut need = 0usize;
    let mut cover = |v: &View| {
        if let Some((_, hi)) = v.extent() {
            need = need.max(usize::try_from(hi).map_or(0, |h| h.saturating_add(1)));
        }
    };
    for step in &s.steps {
        match step {
            Step::Kernel(ks) => {
                for (p, (buf, layout)) in ks.buffers.iter().zip(&ks.geometry.params).enumerate() {
                    if *buf == BufferRef::Input(i) {
                        let dims = param_dims(&ks.kernel, &ks.geometry, p);
                        let n = dims.len().min(layout.strides.len());
                        cover(&View {
                            shape: Shape::from(dims),
                            strides: layout.strides[..n].to_vec(),
                            offset: layout.offset,
                        });
                    }
                }
            }
            Step::Library(l) => {
                for o in l.operands() {
                    if o.buffer == BufferRef::Input(i) {
                        cover(&o.view);
                    }
                }
            }
        }
    }
    for o in &s.outputs {
        if o.buffer == BufferRef::Input(i) {
            cover(&o.view);
        }
    }
    need
}

/// Verifies a schedule and resolves its kernels (see `CpuBackend::prepare`).
pub fn prepare(
    backend: &CpuBackend,
    s: &Schedule,
    inputs: &[Realized],
) -> Result<PreparedSchedule, CpuError> {
    s.verify(inputs)?;
    let kernels = resolve_kernels(backend, s)?;
    let specs = inputs
        .iter()
        .enumerate()
        .map(|(i, r)| InputSpec {
            dtype: r.dtype(),
            view: r.view.clone(),
            min_len: min_len_of_input(s, i),
        })
        .collect();
    Ok(PreparedSchedule {
        schedule: s.clone(),
        kernels,
        liveness: Liveness::of(s),
        inputs: specs,
    })
}

/// Checks that `inputs` are what `p` was prepared for: by the invariant of `PreparedSchedule`,
/// passing this means they would pass `Schedule::verify` as well.
fn check_inputs(p: &PreparedSchedule, inputs: &[Realized]) -> Result<(), CpuError> {
    let fail = |msg: String| {
        Err(CpuError::Ir(IrError::Verify(format!(
            "prepared schedule: {msg}"
        ))))
    };
    if inputs.len() != p.inputs.len() {
        return fail(format!(
            "{} inputs for a schedule prepared for {}",
            inputs.len(),
            p.inputs.len()
        ));
    }
    for (i, (r, spec)) in inputs.iter().zip(&p.inputs).enumerate() {
        if r.dtype() != spec.dtype {
            return fail(format!(
                "input {i} is {} but was prepared as {}",
                r.dtype(),
                spec.dtype
            ));
        }
        if r.view != spec.view {
            return fail(format!(
                "input {i} has view {:?} but was prepared for {:?}",
                r.view, spec.view
            ));
        }
        let len = r.storage.len();
        if !r.view.fits(len) || len < spec.min_len {
            return fail(format!(
                "input {i}: storage of {len} elements is too short (needs {})",
                spec.min_len
            ));
        }
    }
    Ok(())
}

/// Runs a prepared schedule (see `CpuBackend::execute_prepared`).
pub fn execute_prepared(
    backend: &CpuBackend,
    p: &PreparedSchedule,
    inputs: &[Realized],
) -> Result<Vec<Realized>, CpuError> {
    check_inputs(p, inputs)?;
    run_steps(backend, &p.schedule, &p.kernels, &p.liveness, inputs)
}

/// Runs a schedule (see `CpuBackend::execute`): verified and resolved for this one call.
pub fn execute(
    backend: &CpuBackend,
    s: &Schedule,
    inputs: &[Realized],
) -> Result<Vec<Realized>, CpuError> {
    s.verify(inputs)?;
    let kernels = resolve_kernels(backend, s)?;
    run_steps(backend, s, &kernels, &Liveness::of(s), inputs)
}

/// Runs the steps of a schedule that passed `Schedule::verify` on `inputs` (or inputs that
/// `check_inputs` proved equivalent); `kernels[i]` is step `i`'s compiled kernel.
fn run_steps(
    backend: &CpuBackend,
    s: &Schedule,
    kernels: &[Option<Arc<CompiledKernel>>],
    liveness: &Liveness,
    inputs: &[Realized],
) -> Result<Vec<Realized>, CpuError> {
    let n_temps = s.buffers.len();
    let mut temps: Vec<Option<Arc<Storage>>> = vec![None; n_temps];
    for (i, step) in s.steps.iter().enumerate() {
        match step {
            Step::Kernel(ks) => {
                let Some(Some(compiled)) = kernels.get(i) else {
                    return Err(CpuError::Internal(format!(
                        "step {i} has no compiled kernel"
                    )));
                };
                let mut fresh: Vec<(usize, Storage)> = Vec::new();
                for (p, buf) in ks.kernel.params.iter().zip(&ks.buffers) {
                    if p.access == Access::Write {
                        let BufferRef::Temp(t) = *buf else {
                            return Err(CpuError::Ir(IrError::Verify(format!(
                                "kernel {} writes the program input {buf}",
                                ks.kernel.name
                            ))));
                        };
                        let decl = &s.buffers[t];
                        // A kernel stores every outer point of its write params, which cover
                        // their whole temporary, so recycled bytes are never read.
                        fresh.push((t, Storage::for_overwrite(decl.dtype, decl.len)?));
                    }
                }
                {
                    let mut fresh_iter = fresh.iter_mut();
                    let mut bufs = Vec::with_capacity(ks.buffers.len());
                    for (p, buf) in ks.kernel.params.iter().zip(&ks.buffers) {
                        if p.access == Access::Write {
                            let (_, st) = fresh_iter
                                .next()
                                .ok_or_else(|| CpuError::Internal("write buffer count".into()))?;
                            bufs.push(LaunchBuffer::Write(st));
                        } else {
                            bufs.push(LaunchBuffer::Read(read_buffer(*buf, inputs, &temps)?));
                        }
                    }
                    // `launch_compiled` validates the geometry and every bound buffer before
                    // generated code runs, whichever way the schedule was checked.
                    backend.launch_compiled(compiled, &ks.geometry, &mut bufs)?;
                }
                for (t, st) in fresh {
                    temps[t] = Some(Arc::new(st));
                }
            }
            Step::Library(l) => {
                let (t, st) = library::run(backend, l, s, inputs, &temps)?;
                temps[t] = Some(Arc::new(st));
            }
        }
        for ((temp, last_use), is_output) in temps
            .iter_mut()
            .zip(&liveness.last_use)
            .zip(&liveness.is_output)
        {
            let dead = match last_use {
                Some(last) => *last <= i,
                None => true,
            };
            if dead && !is_output {
                *temp = None;
            }
        }
    }
    s.outputs
        .iter()
        .map(|o| {
            let storage = match o.buffer {
                BufferRef::Input(i) => inputs
                    .get(i)
                    .map(|r| r.storage.clone())
                    .ok_or_else(|| CpuError::Internal(format!("output reads missing input {i}")))?,
                BufferRef::Temp(t) => temps[t]
                    .clone()
                    .ok_or_else(|| CpuError::Internal(format!("output temporary t{t} is gone")))?,
            };
            Ok(Realized::with_view(storage, o.view.clone())?)
        })
        .collect()
}

/// The storage behind a read buffer.
pub fn read_buffer<'a>(
    b: BufferRef,
    inputs: &'a [Realized],
    temps: &'a [Option<Arc<Storage>>],
) -> Result<&'a Storage, CpuError> {
    match b {
        BufferRef::Input(i) => inputs
            .get(i)
            .map(|r| &*r.storage)
            .ok_or_else(|| CpuError::Internal(format!("missing input {i}"))),
        BufferRef::Temp(t) => temps
            .get(t)
            .and_then(|s| s.as_deref())
            .ok_or_else(|| CpuError::Internal(format!("temporary t{t} is not live"))),
    }
}

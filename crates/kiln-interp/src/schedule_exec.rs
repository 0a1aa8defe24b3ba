//! `run_schedule`: executes a schedule step by step with the reference kernel interpreter and the
//! reference library ops.
//!
//! Invariant: the schedule is verified against its inputs first (`Schedule::verify`), temporaries
//! start zeroed, a kernel's write params are bound to temporaries it exclusively owns (binding a
//! write param to a program input is rejected: inputs are shared and immutable), and each output
//! is returned as a contiguous copy of its view.

use crate::dense::Dense;
use crate::error::InterpError;
use crate::kernel_exec::{KernelBuffer, run_kernel};
use crate::libops;
use crate::library;
use kiln_ir::{
    Access, BufferRef, DType, KernelStep, LibraryStep, Operand, Realized, Schedule, Step, Storage,
};

/// Executes a schedule over `inputs` (the program's realized inputs). Returns one contiguous
/// `Realized` per schedule output.
pub fn run_schedule(s: &Schedule, inputs: &[Realized]) -> Result<Vec<Realized>, InterpError> {
    s.verify(inputs)?;
    let mut temps = s
        .buffers
        .iter()
        .map(|b| Storage::zeroed(b.dtype, b.len).map(Some))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, step) in s.steps.iter().enumerate() {
        match step {
            Step::Kernel(ks) => run_kernel_step(i, ks, inputs, &mut temps)?,
            Step::Library(LibraryStep::MatMul { a, b, out, dtype }) => {
                let a = read_operand(a, *dtype, inputs, &temps)?;
                let b = read_operand(b, *dtype, inputs, &temps)?;
                write_temp(*out, &library::matmul(&a, &b)?, &mut temps)?;
            }
            Step::Library(LibraryStep::Scan {
                op,
                axis,
                input,
                out,
                dtype,
            }) => {
                let x = read_operand(input, *dtype, inputs, &temps)?;
                write_temp(*out, &library::scan(&x, *op, *axis)?, &mut temps)?;
            }
            Step::Library(LibraryStep::Lib {
                op,
                inputs: ops,
                out,
                ..
            }) => {
                let args = ops
                    .iter()
                    .map(|o| Dense::from_storage(buffer(o.buffer, inputs, &temps)?, &o.view))
                    .collect::<Result<Vec<_>, _>>()?;
                let refs: Vec<&Dense> = args.iter().collect();
                write_temp(*out, &libops::run(*op, &refs)?, &mut temps)?;
            }
        }
    }
    s.outputs
        .iter()
        .map(|o| {
            let storage = buffer(o.buffer, inputs, &temps)?;
            Dense::from_storage(storage, &o.view)?.to_realized()
        })
        .collect()
}

fn buffer<'a>(
    b: BufferRef,
    inputs: &'a [Realized],
    temps: &'a [Option<Storage>],
) -> Result<&'a Storage, InterpError> {
    let found = match b {
        BufferRef::Input(i) => inputs.get(i).map(|r| &*r.storage),
        BufferRef::Temp(t) => temps.get(t).and_then(Option::as_ref),
    };
    found.ok_or_else(|| InterpError::Binding(format!("buffer {b} is not available")))
}

fn run_kernel_step(
    index: usize,
    ks: &KernelStep,
    inputs: &[Realized],
    temps: &mut [Option<Storage>],
) -> Result<(), InterpError> {
    // Written temporaries are moved out while the kernel runs, so they can be borrowed mutably
    // next to the shared borrows of everything it reads.
    let mut written = Vec::new();
    for (p, (param, b)) in ks.kernel.params.iter().zip(&ks.buffers).enumerate() {
        if param.access != Access::Write {
            continue;
        }
        let BufferRef::Temp(t) = *b else {
            return Err(InterpError::Binding(format!(
                "step {index} binds write param p{p} to program input {b}"
            )));
        };
        let storage = temps.get_mut(t).and_then(Option::take).ok_or_else(|| {
            InterpError::Binding(format!("step {index} writes t{t}, which is not available"))
        })?;
        written.push((t, storage));
    }
    let result = {
        let temps_ro: &[Option<Storage>] = temps;
        let mut writes = written.iter_mut();
        let mut bound = Vec::with_capacity(ks.buffers.len());
        for (param, b) in ks.kernel.params.iter().zip(&ks.buffers) {
            let binding = match param.access {
                Access::Read => KernelBuffer::Read(buffer(*b, inputs, temps_ro)?),
                Access::Write => match writes.next() {
                    Some((_, storage)) => KernelBuffer::Write(storage),
                    None => {
                        return Err(InterpError::Binding(format!(
                            "step {index}: write params changed"
                        )));
                    }
                },
            };
            bound.push(binding);
        }
        run_kernel(&ks.kernel, &ks.geometry, &mut bound)
    };
    for (t, storage) in written {
        temps[t] = Some(storage);
    }
    result
}

fn read_operand(
    o: &Operand,
    dtype: DType,
    inputs: &[Realized],
    temps: &[Option<Storage>],
) -> Result<Dense, InterpError> {
    let storage = buffer(o.buffer, inputs, temps)?;
    if storage.dtype() != dtype {
        return Err(InterpError::Binding(format!(
            "library step of {dtype} reads {} buffer {}",
            storage.dtype(),
            o.buffer
        )));
    }
    Dense::from_storage(storage, &o.view)
}

fn write_temp(t: usize, value: &Dense, temps: &mut [Option<Storage>]) -> Result<(), InterpError> {
    let slot = temps
        .get_mut(t)
        .and_then(Option::as_mut)
        .ok_or_else(|| InterpError::Binding(format!("library step writes unknown t{t}")))?;
    if slot.dtype() != value.dtype || slot.len() != value.data.len() {
        return Err(InterpError::Binding(format!(
            "library result {}{} does not fit t{t} ({}[{}])",
            value.dtype.short_name(),
            value.shape,
            slot.dtype().short_name(),
            slot.len()
        )));
    }
    for (i, v) in value.data.iter().enumerate() {
        slot.set(i, *v)?;
    }
    Ok(())
}

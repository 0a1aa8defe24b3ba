//! Programs of CUDA arrays: the same optimiser and scheduler as the CPU, then the schedule runs
//! on the device through `kiln_cuda::CudaRuntime` (one per ordinal, opened on first use and kept
//! for the process). Float and complex matrix products run through cuBLAS and FFTs through cuFFT
//! when they can read their operands as they lie (`kiln_cuda::library`); every other library
//! step (integer products, sorts, scans, linear algebra, padded or rolled transforms) runs on
//! the host through `kiln_cpu::library::run`.
//!
//! Invariants: a program reaches the device only after `Program::verify` and the scheduler's
//! own checks, and `CudaRuntime::run_schedule` verifies the schedule against its inputs before
//! any launch; a device that cannot be opened is `KilnError::Cuda(NoDevice)` (a RuntimeError in
//! Python), and nothing is realized then. Outputs stay in device memory (`Resident`); inputs
//! that are already there are bound without a copy. A host library step's error comes back as
//! the CPU backend's own error, so it keeps its Python kind.
//!
//! UNRUN: no session has had a GPU yet. Without one this module is reached only on its error
//! paths (the unit tests of `device.rs`); `tests/cuda_device.rs` runs random programs through it
//! against the interpreter on the GPU machine (`benches/gpu/run.sh`). Not yet: the plan caches
//! (every evaluation optimises and schedules again; kernels come from the CUDA code store).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use kiln_cuda::{CudaError, CudaRuntime, DeviceMemory, HostError, Resident};
use kiln_ir::{Program, Realized, Schedule};

use crate::error::{KilnError, Result};
use crate::pipeline::Config;

/// The runtime of CUDA device `ordinal`, opened on first use (a failure is not kept: a later
/// call tries again).
fn runtime(ordinal: usize) -> Result<Arc<CudaRuntime>> {
    static RUNTIMES: OnceLock<Mutex<HashMap<usize, Arc<CudaRuntime>>>> = OnceLock::new();
    let mut map = RUNTIMES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(rt) = map.get(&ordinal) {
        return Ok(rt.clone());
    }
    let rt = Arc::new(CudaRuntime::new(ordinal)?);
    map.insert(ordinal, rt.clone());
    Ok(rt)
}

/// The host-device copies made on CUDA device `ordinal` so far (uploads of host data, reads
/// back of results): what a chain of evaluations that stays on the device does not add to.
pub fn cuda_transfers(ordinal: usize) -> Result<kiln_cuda::Transfers> {
    Ok(runtime(ordinal)?.transfers())
}

/// `host` in device `ordinal`'s memory.
pub(crate) fn upload(ordinal: usize, host: &Realized) -> Result<Resident> {
    let memory: Arc<dyn DeviceMemory> = runtime(ordinal)?.upload_storage(&host.storage)?;
    Ok(Resident {
        memory,
        view: host.view.clone(),
    })
}

/// A CUDA error as kiln's: a host library step's own error keeps its type (an out-of-range
/// `take` index stays an IndexError in Python).
fn from_cuda(e: CudaError) -> KilnError {
    match e {
        CudaError::Host(inner) => match inner.downcast::<kiln_cpu::CpuError>() {
            Ok(cpu) => KilnError::Cpu(*cpu),
            Err(other) => KilnError::Cuda(CudaError::Host(other)),
        },
        e => KilnError::Cuda(e),
    }
}

/// What a CUDA evaluation ran: the optimised program and its schedule (for `explain`).
pub(crate) struct CudaRun {
    pub outputs: Vec<Resident>,
    pub optimized: Program,
    pub opt_report: Option<kiln_opt::OptReport>,
    pub schedule: Schedule,
}

/// Optimises, schedules and runs `program` on CUDA device `ordinal`; `resident[i]`, when
/// present, is the device memory input `i` stands in for.
pub(crate) fn run(
    program: &Program,
    resident: &[Option<Arc<dyn DeviceMemory>>],
    ordinal: usize,
    config: &Config,
) -> Result<CudaRun> {
    let rt = runtime(ordinal)?;
    program.verify()?;
    let (optimized, opt_report) = crate::pipeline::optimize_if(program, config)?;
    let schedule = kiln_sched::schedule(&optimized, &config.sched)?;
    let cpu = crate::pipeline::cpu()?;
    let host = |l: &kiln_ir::LibraryStep,
                s: &Schedule,
                inputs: &[Realized],
                temps: &[Option<Arc<kiln_ir::Storage>>]| {
        kiln_cpu::library::run(cpu, l, s, inputs, temps).map_err(|e| Box::new(e) as HostError)
    };
    let outputs = rt
        .run_schedule(&schedule, &optimized.inputs, resident, &host)
        .map_err(from_cuda)?;
    Ok(CudaRun {
        outputs,
        optimized,
        opt_report,
        schedule,
    })
}

/// The CUDA C of each kernel of `schedule` (for `explain`).
pub(crate) fn sources(schedule: &Schedule) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for step in &schedule.steps {
        if let kiln_ir::Step::Kernel(k) = step {
            out.push((k.kernel.name.clone(), kiln_cuda::generate(&k.kernel)?.text));
        }
    }
    Ok(out)
}

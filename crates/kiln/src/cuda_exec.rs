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
//! against the interpreter on the GPU machine (`benches/gpu/run.sh`). The plan caches serve CUDA
//! evaluations as they do the CPU's (exact schedules per program in `PlanCache::cuda`; class
//! templates and disk plans for the optimiser); kernels come from the CUDA code store.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use kiln_cuda::{CudaError, CudaRuntime, DeviceMemory, HostError, Resident};
use kiln_ir::{Program, Realized, Schedule};

use crate::error::{KilnError, Result};
use crate::pipeline::Config;
use crate::plan_cache::{self, PlanKey, Source};

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

/// Where the library steps of CUDA device `ordinal` ran so far: cuBLAS, cuFFT, or the host.
pub fn cuda_library_steps(ordinal: usize) -> Result<kiln_cuda::LibrarySteps> {
    Ok(runtime(ordinal)?.library_steps())
}

/// Memory of device `ordinal` another library owns, read in place (see
/// `Array::from_cuda_memory`).
///
/// # Safety
/// As `CudaRuntime::foreign`.
pub(crate) unsafe fn foreign(
    ordinal: usize,
    address: u64,
    dtype: kiln_ir::DType,
    len: usize,
    owner: Box<dyn std::any::Any + Send + Sync>,
) -> Result<Arc<dyn DeviceMemory>> {
    let rt = runtime(ordinal)?;
    // SAFETY: the caller's guarantees.
    let memory = unsafe { rt.foreign(address, dtype, len, owner) }?;
    Ok(memory)
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

/// What a CUDA evaluation made: its outputs, and with `explain` text what it ran.
pub(crate) struct CudaRun {
    pub outputs: Vec<Resident>,
    pub text: Option<CudaText>,
}

/// The optimised program and schedule of an evaluation (for `explain`).
pub(crate) struct CudaText {
    pub optimized: Program,
    pub opt_report: Option<kiln_opt::OptReport>,
    pub schedule: Schedule,
}

/// Runs `program` on CUDA device `ordinal`; `resident[i]`, when present, is the device memory
/// input `i` stands in for. Without `want_text` the plan caches answer first, as on the CPU
/// (`plan_cache`): an identical program reuses its schedule, another length of a parametric
/// class or a program an earlier process optimised skips the optimiser.
pub(crate) fn run(
    program: &Program,
    resident: &[Option<Arc<dyn DeviceMemory>>],
    ordinal: usize,
    config: &Config,
    want_text: bool,
) -> Result<CudaRun> {
    let rt = runtime(ordinal)?;
    let cpu = crate::pipeline::cpu()?;
    let host = |l: &kiln_ir::LibraryStep,
                s: &Schedule,
                inputs: &[Realized],
                temps: &[Option<Arc<kiln_ir::Storage>>]| {
        kiln_cpu::library::run(cpu, l, s, inputs, temps).map_err(|e| Box::new(e) as HostError)
    };
    // `run_schedule` verifies the schedule against the inputs before any launch.
    let execute = |schedule: &Schedule, inputs: &[Realized]| {
        rt.run_schedule(schedule, inputs, resident, &host)
            .map_err(from_cuda)
    };
    if want_text {
        program.verify()?;
        let (optimized, opt_report) = crate::pipeline::optimize_if(program, config)?;
        let schedule = kiln_sched::schedule(&optimized, &config.sched)?;
        let outputs = execute(&schedule, &optimized.inputs)?;
        return Ok(CudaRun {
            outputs,
            text: Some(CudaText {
                optimized,
                opt_report,
                schedule,
            }),
        });
    }
    let (plans, store) = crate::pipeline::plan_caches()?;
    let lock = || plans.lock().unwrap_or_else(|p| p.into_inner());
    let hash = PlanKey::hash_of(program, config);
    let cached = lock().cuda.get(hash, program, config);
    if let Some(schedule) = cached {
        // The key's nodes passed `verify` when it was stored; only the input data can differ.
        crate::pipeline::verify_inputs(program)?;
        Source::Exact.count();
        let outputs = execute(&schedule, &program.inputs)?;
        return Ok(CudaRun {
            outputs,
            text: None,
        });
    }
    program.verify()?;
    let (optimized, source) = plan_cache::optimized_for(plans, store, program, config)?;
    let schedule = Arc::new(kiln_sched::schedule(&optimized, &config.sched)?);
    let outputs = execute(&schedule, &optimized.inputs)?;
    // Stored only once it has run: a schedule the runtime rejects is not kept.
    lock().cuda.insert(hash, program, config, schedule);
    source.count();
    Ok(CudaRun {
        outputs,
        text: None,
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

//! The evaluation pipeline: the single function where kiln's stage order is written.
//!
//! ```text
//! arrays -> collect (Program) -> verify -> optimise (egg) -> verify -> schedule (fusion, kernel IR)
//!        -> verify -> execute (cranelift kernels, library steps) -> realize the requested nodes
//! ```
//!
//! Arrays are evaluated on their own device: the requested arrays are grouped by device, and a
//! CUDA group runs the same optimiser and scheduler, then executes on the device (`cuda_exec`;
//! no plan caches there yet). Nothing is realized until every group has run.
//!
//! The plan caches (`plan_cache`) stand in for stages: an identical program reuses its prepared
//! schedule (no optimiser, scheduler or kernel lookup); a program of the same layout class (new
//! lengths) reuses a probe-checked optimised program rebound to its extents (no optimiser); a
//! program an earlier process optimised reads its optimised program from disk (no optimiser).
//! `explain` never uses them.
//!
//! Invariants: only the requested arrays become realized leaves (their inputs are dropped);
//! already-realized arrays are program inputs, never recomputed; a failure at any stage leaves
//! every array exactly as it was (nothing is realized until execution has succeeded); whatever
//! plan cache answers, the program that is scheduled passed `Program::verify` on this
//! evaluation's inputs (or is equal to one that did, for an exact hit), and every schedule is
//! verified by `prepare` before it runs, so a cache can cost speed but never change a result.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use kiln_cpu::CpuBackend;
use kiln_cuda::{DeviceMemory, Resident};
use kiln_ir::{NodeId, Program, Realized, Storage};
use kiln_opt::{OptConfig, OptReport};
use kiln_sched::SchedConfig;

use crate::device::Device;
use crate::error::{KilnError, Result, invalid};
use crate::graph::{Array, Data, NodeState};
use crate::plan_cache::{self, PlanCache, PlanKey, Source};
use crate::plan_store::PlanStore;
use rustc_hash::FxBuildHasher as FxBuild;

pub use crate::plan_cache::{PlanCacheStats, plan_cache_stats};

/// Options of the pipeline.
#[derive(Clone, Debug)]
pub struct Config {
    /// Run the e-graph optimiser (on by default; `KILN_OPT=0` turns it off).
    pub optimize: bool,
    pub opt: OptConfig,
    pub sched: SchedConfig,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            optimize: std::env::var("KILN_OPT").map_or(true, |v| v != "0"),
            opt: OptConfig::default(),
            sched: SchedConfig::default(),
        }
    }
}

struct Runtime {
    cpu: CpuBackend,
    config: RwLock<Config>,
    /// The in-memory plan caches (exact and class; see `plan_cache`).
    plans: std::sync::Mutex<PlanCache>,
    /// Optimised programs on disk (`None`: the disk cache is off or unusable).
    plan_store: Option<PlanStore>,
}

static RUNTIME: OnceLock<std::result::Result<Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static Runtime> {
    let rt = RUNTIME.get_or_init(|| {
        CpuBackend::from_env()
            .map(|cpu| Runtime {
                plan_store: PlanStore::open(
                    &kiln_cache::CacheConfig::from_env(),
                    cpu.code_store().target(),
                ),
                cpu,
                config: RwLock::new(Config::default()),
                plans: std::sync::Mutex::new(PlanCache::default()),
            })
            .map_err(|e| e.to_string())
    });
    rt.as_ref().map_err(|e| {
        KilnError::Invalid(kiln_ir::IrError::Verify(format!(
            "CPU backend unavailable: {e}"
        )))
    })
}

/// The current pipeline configuration.
pub fn config() -> Result<Config> {
    let rt = runtime()?;
    Ok(rt
        .config
        .read()
        .map_or_else(|p| p.into_inner().clone(), |c| c.clone()))
}

/// Replaces the pipeline configuration (affects later evaluations).
pub fn set_config(config: Config) -> Result<()> {
    let rt = runtime()?;
    let mut guard = rt.config.write().unwrap_or_else(|p| p.into_inner());
    *guard = config;
    Ok(())
}

/// The sub-graph reachable from some arrays, as a program whose outputs are the pending ones.
struct Collected {
    program: Program,
    /// The pending requested arrays, in the order of `program.outputs`.
    pending: Vec<Array>,
    /// For each of `program.inputs`, the device memory of a resident node; its host input is
    /// then a stand-in of zeros (see `stand_in`), valid for a CUDA run only.
    resident: Vec<Option<Arc<dyn DeviceMemory>>>,
}

impl Collected {
    /// The program with host copies of every resident input in place of its stand-in: what
    /// the interpreter or a caller outside the pipeline may read.
    fn host_program(self) -> Result<Program> {
        let mut program = self.program;
        for (slot, memory) in self.resident.iter().enumerate() {
            if let (Some(memory), Some(input)) = (memory, program.inputs.get_mut(slot)) {
                let storage = Arc::new(memory.to_host()?);
                *input = Realized::with_view(storage, input.view.clone())?;
            }
        }
        Ok(program)
    }
}

/// A host input standing in for device memory `r` in a program for its device: same dtype,
/// length and view, zeros for values, never read (the CUDA runtime binds `r`'s memory instead).
/// `calloc` maps its pages lazily, so even a large stand-in costs no host memory traffic.
fn stand_in(r: &Resident) -> Result<Realized> {
    let storage = Storage::zeroed(r.memory.dtype(), r.memory.len())?;
    Ok(Realized::with_view(Arc::new(storage), r.view.clone())?)
}

/// Builds the program for `arrays` by an explicit-stack depth-first walk (no recursion, so deep
/// graphs are fine). Realized nodes become `Input`s (device data through a stand-in and
/// `Collected::resident`); shared sub-graphs appear once.
fn collect(arrays: &[&Array]) -> Result<Collected> {
    // Sized for a typical small expression so that it does not grow (rehash) while walking.
    let mut program = Program::new();
    program.nodes.reserve(64);
    let mut ids: HashMap<u64, NodeId, FxBuild> = HashMap::with_capacity_and_hasher(64, FxBuild);
    let mut pending = Vec::new();
    let mut resident: Vec<Option<Arc<dyn DeviceMemory>>> = Vec::new();
    // Pending factorisations (linalg library nodes) are realized too: their results are packed
    // and read through several lazy slices (eigenvalues and eigenvectors, U, S and Vh), which a
    // later evaluation must not recompute.
    let mut factorisations: Vec<Array> = Vec::new();
    for root in arrays {
        let mut stack: Vec<(Array, bool)> = vec![((*root).clone(), false)];
        while let Some((a, expanded)) = stack.pop() {
            if ids.contains_key(&a.0.id) {
                continue;
            }
            let state = a.0.lock();
            match &*state {
                NodeState::Realized(r) => {
                    let id = program.add_input(r.clone());
                    resident.push(None);
                    ids.insert(a.0.id, id);
                }
                NodeState::Resident(r) => {
                    let id = program.add_input(stand_in(r)?);
                    resident.push(Some(r.memory.clone()));
                    ids.insert(a.0.id, id);
                }
                NodeState::Pending { op, inputs } => {
                    if expanded {
                        let operands: Vec<NodeId> = inputs.iter().map(|i| ids[&i.0.id]).collect();
                        // The node's type was inferred when it was built; `run` verifies the
                        // whole program (inferring again) before anything executes.
                        program.nodes.push(kiln_ir::Node {
                            op: op.clone(),
                            inputs: operands,
                            dtype: a.0.dtype,
                            shape: a.0.shape.clone(),
                        });
                        let id = NodeId(u32::try_from(program.nodes.len() - 1).map_err(|_| {
                            KilnError::Invalid(kiln_ir::IrError::Verify(
                                "program has more than u32::MAX nodes".into(),
                            ))
                        })?);
                        ids.insert(a.0.id, id);
                        if matches!(op, kiln_ir::Op::Lib(kiln_ir::LibOp::Linalg(_))) {
                            factorisations.push(a.clone());
                        }
                    } else {
                        // Inputs are pushed while the lock is held (cloning handles, not the
                        // vector): taking no other lock meanwhile, this cannot deadlock.
                        stack.push((a.clone(), true));
                        for i in inputs.iter().rev() {
                            if !ids.contains_key(&i.0.id) {
                                stack.push((i.clone(), false));
                            }
                        }
                    }
                }
            }
        }
        if !root.is_realized() && !pending.iter().any(|p: &Array| p.0.id == root.0.id) {
            program.outputs.push(ids[&root.0.id]);
            pending.push((*root).clone());
        }
    }
    for f in factorisations {
        if !pending.iter().any(|p: &Array| p.0.id == f.0.id) {
            program.outputs.push(ids[&f.0.id]);
            pending.push(f);
        }
    }
    Ok(Collected {
        program,
        pending,
        resident,
    })
}

/// What one evaluation did, stage by stage (the text of `explain`).
#[derive(Clone, Debug)]
pub struct Explain {
    pub graph: String,
    pub optimized: String,
    pub opt_report: Option<OptReport>,
    pub schedule: String,
    /// Each kernel's backend code: cranelift IR on the CPU, CUDA C on a CUDA device.
    pub clif: Vec<(String, String)>,
    pub timings: Vec<(&'static str, Duration)>,
}

impl std::fmt::Display for Explain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "== graph ==\n{}", self.graph)?;
        writeln!(f, "== optimised graph ==\n{}", self.optimized)?;
        if let Some(r) = &self.opt_report {
            writeln!(
                f,
                "egg: stopped by {} after {} iterations, {} nodes / {} classes, cost {:.0} -> {:.0}",
                r.stop_reason,
                r.iterations,
                r.egraph_nodes,
                r.egraph_classes,
                r.cost_before,
                r.cost_after
            )?;
            for (rule, n) in r.rules_applied.iter().filter(|(_, n)| *n > 0) {
                writeln!(f, "  rule {rule}: {n}")?;
            }
            writeln!(f)?;
        }
        writeln!(f, "== schedule ==\n{}", self.schedule)?;
        for (name, clif) in &self.clif {
            writeln!(f, "== cranelift: {name} ==\n{clif}")?;
        }
        let times: Vec<String> = self
            .timings
            .iter()
            .map(|(s, d)| format!("{s} {:.3} ms", d.as_secs_f64() * 1e3))
            .collect();
        writeln!(f, "== timings ==\n{}", times.join(", "))
    }
}

/// The optimised program (the program itself when the optimiser is off), verified.
pub(crate) fn optimize_if(
    program: &Program,
    config: &Config,
) -> Result<(Program, Option<OptReport>)> {
    if !config.optimize {
        return Ok((program.clone(), None));
    }
    let (p, report) = kiln_opt::optimize(program, &config.opt)?;
    p.verify()?;
    Ok((p, Some(report)))
}

impl Explain {
    fn timings_only(timings: Vec<(&'static str, Duration)>) -> Explain {
        Explain {
            graph: String::new(),
            optimized: String::new(),
            opt_report: None,
            schedule: String::new(),
            clif: Vec::new(),
            timings,
        }
    }
}

/// Runs `program` on `device` (see `run` for the CPU and `cuda_exec` for CUDA devices), with
/// `resident[i]` the device memory of input `i` when it has one (CUDA only).
fn run_on(
    device: Device,
    program: &Program,
    resident: &[Option<Arc<dyn DeviceMemory>>],
    want_text: bool,
) -> Result<(Vec<Data>, Explain)> {
    match device {
        Device::Cpu => {
            if resident.iter().any(Option::is_some) {
                return Err(invalid(
                    "a CPU evaluation reads data on a CUDA device; move it with to_device",
                ));
            }
            let (outputs, explain) = run(program, want_text)?;
            Ok((outputs.into_iter().map(Data::Host).collect(), explain))
        }
        Device::Cuda(n) => {
            let start = Instant::now();
            let ran = crate::cuda_exec::run(program, resident, n, &config()?, want_text)?;
            let mut explain = Explain::timings_only(vec![("cuda", start.elapsed())]);
            if let Some(text) = ran.text {
                explain.graph = program.to_string();
                explain.optimized = text.optimized.to_string();
                explain.opt_report = text.opt_report;
                explain.schedule = kiln_sched::explain(&text.schedule);
                explain.clif = crate::cuda_exec::sources(&text.schedule)?;
            }
            Ok((ran.outputs.into_iter().map(Data::Device).collect(), explain))
        }
    }
}

/// Runs the pipeline on a collected program; returns the outputs and the explanation. Without
/// text, the plan caches answer first (see `plan_cache`).
fn run(program: &Program, want_text: bool) -> Result<(Vec<Realized>, Explain)> {
    let rt = runtime()?;
    let config = config()?;
    let mut timings = Vec::new();
    let mut clock = Instant::now();
    let mut lap = |name: &'static str, timings: &mut Vec<(&'static str, Duration)>| {
        timings.push((name, clock.elapsed()));
        clock = Instant::now();
    };
    if !want_text {
        let hash = PlanKey::hash_of(program, &config);
        let cached = rt
            .plans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .exact
            .get(hash, program, &config);
        if let Some(schedule) = cached {
            // Every cached key's nodes passed `verify` before its plan was stored, and these
            // nodes are equal to them, so only the input data (not part of the key) is checked.
            verify_inputs(program)?;
            Source::Exact.count();
            lap("exact_plan", &mut timings);
            // The prepared plan checks only what can differ between hits (input dtypes, views,
            // storage lengths), which the key and `verify_inputs` do not fully pin down.
            let outputs = rt.cpu.execute_prepared(&schedule, &program.inputs)?;
            lap("execute", &mut timings);
            return Ok((outputs, Explain::timings_only(timings)));
        }
        program.verify()?;
        // A class template or a disk plan replaces the optimiser; the result is verified either
        // way (see `plan_cache`).
        let (optimized, source) =
            plan_cache::optimized_for(&rt.plans, rt.plan_store.as_ref(), program, &config)?;
        lap(source.stage_name(), &mut timings);
        let schedule = kiln_sched::schedule(&optimized, &config.sched)?;
        lap("schedule", &mut timings);
        // `prepare` verifies the schedule and compiles its kernels once for every later hit.
        let schedule = std::sync::Arc::new(rt.cpu.prepare(&schedule, &optimized.inputs)?);
        rt.plans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .exact
            .insert(hash, program, &config, schedule.clone());
        source.count();
        lap("prepare", &mut timings);
        let outputs = rt.cpu.execute_prepared(&schedule, &optimized.inputs)?;
        lap("execute", &mut timings);
        return Ok((outputs, Explain::timings_only(timings)));
    }
    program.verify()?;
    let (optimized, opt_report) = optimize_if(program, &config)?;
    lap("optimise", &mut timings);
    let schedule = kiln_sched::schedule(&optimized, &config.sched)?;
    schedule.verify(&optimized.inputs)?;
    lap("schedule", &mut timings);
    let outputs = rt.cpu.execute(&schedule, &optimized.inputs)?;
    lap("compile+execute", &mut timings);
    let mut clif = Vec::new();
    for step in &schedule.steps {
        if let kiln_ir::Step::Kernel(k) = step {
            clif.push((k.kernel.name.clone(), rt.cpu.clif_text(&k.kernel)?));
        }
    }
    let explain = Explain {
        graph: if want_text {
            program.to_string()
        } else {
            String::new()
        },
        optimized: if want_text {
            optimized.to_string()
        } else {
            String::new()
        },
        opt_report,
        schedule: if want_text {
            kiln_sched::explain(&schedule)
        } else {
            String::new()
        },
        clif,
        timings,
    };
    Ok((outputs, explain))
}

/// The part of `Program::verify` that a plan-cache hit still needs: each `Input` node's slot
/// exists and holds data of the node's dtype and shape.
pub(crate) fn verify_inputs(program: &Program) -> Result<()> {
    for (i, n) in program.nodes.iter().enumerate() {
        if let kiln_ir::Op::Input(slot) = n.op {
            match program.inputs.get(slot) {
                Some(r) if r.dtype() == n.dtype && *r.shape() == n.shape => {}
                _ => {
                    return Err(KilnError::Invalid(kiln_ir::IrError::Verify(format!(
                        "node %{i} ({}): input slot {slot} disagrees with the node",
                        n.op
                    ))));
                }
            }
        }
    }
    Ok(())
}

/// The program an evaluation of `arrays` would run (pending requested arrays are its outputs),
/// with host copies of any device data it reads.
pub fn program_of(arrays: &[&Array]) -> Result<Program> {
    collect(arrays)?.host_program()
}

/// Runs a whole program through the pipeline (optimise, schedule, compile, execute) and returns
/// its outputs: the entry point of differential tests against `kiln_interp::run_program`.
pub fn run_program(program: &Program) -> Result<Vec<Realized>> {
    Ok(run(program, false)?.0)
}

/// `run_program` on `device` (a CUDA device runs the schedule there; see `cuda_exec`).
pub fn run_program_on(program: &Program, device: Device) -> Result<Vec<Realized>> {
    run_on(device, program, &[], false)?
        .0
        .into_iter()
        .map(Data::into_host)
        .collect()
}

/// `arrays` grouped by device, in order of first appearance.
fn by_device<'a>(arrays: &[&'a Array]) -> Vec<(Device, Vec<&'a Array>)> {
    let mut groups: Vec<(Device, Vec<&'a Array>)> = Vec::new();
    for a in arrays {
        match groups.iter_mut().find(|(d, _)| *d == a.device()) {
            Some((_, g)) => g.push(a),
            None => groups.push((a.device(), vec![a])),
        }
    }
    groups
}

/// Evaluates several arrays together (shared sub-graphs are computed once, each device's arrays
/// on that device). Each becomes a realized leaf; on any failure none does.
pub fn eval(arrays: &[&Array]) -> Result<()> {
    let mut done = Vec::new();
    for (device, group) in by_device(arrays) {
        let Collected {
            program,
            pending,
            resident,
        } = collect(&group)?;
        if pending.is_empty() {
            continue;
        }
        let (outputs, explain) = run_on(device, &program, &resident, false)?;
        LAST_TIMINGS.with(|t| *t.borrow_mut() = explain.timings);
        done.push((pending, outputs));
    }
    for (pending, outputs) in done {
        for (a, r) in pending.iter().zip(outputs) {
            a.realize(r);
        }
    }
    Ok(())
}

thread_local! {
    /// The stage timings of this thread's latest `eval`.
    static LAST_TIMINGS: std::cell::RefCell<Vec<(&'static str, Duration)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The stage timings of the calling thread's latest `eval` (which plan cache answered, the
/// optimiser, scheduler, kernel preparation and execution), for benchmarks.
pub fn last_eval_timings() -> Vec<(&'static str, Duration)> {
    LAST_TIMINGS.with(|t| t.borrow().clone())
}

/// Evaluates `arrays` like `eval` and returns the text of every stage: the graph, the
/// optimised graph with egg's report, the schedule with each kernel's IR, the cranelift IR of
/// each kernel, and stage timings.
pub fn explain(arrays: &[&Array]) -> Result<Explain> {
    let groups = by_device(arrays);
    if groups.len() > 1 {
        return Err(invalid(
            "explain evaluates arrays of one device at a time; these live on several",
        ));
    }
    let device = groups.first().map_or(Device::Cpu, |g| g.0);
    let Collected {
        program,
        pending,
        resident,
    } = collect(arrays)?;
    if pending.is_empty() {
        let mut nothing = Explain::timings_only(Vec::new());
        nothing.graph = "(every requested array is already realized: nothing to compute)".into();
        return Ok(nothing);
    }
    let (outputs, explain) = run_on(device, &program, &resident, true)?;
    for (a, r) in pending.iter().zip(outputs) {
        a.realize(r);
    }
    Ok(explain)
}

/// Computes `arrays` with the naive reference interpreter, without optimising, compiling or
/// realizing anything: the oracle for differential tests.
pub fn reference(arrays: &[&Array]) -> Result<Vec<Realized>> {
    let mut results = Vec::with_capacity(arrays.len());
    for a in arrays {
        match a.host_data()? {
            Some(r) => results.push(r),
            // The first output is `a`'s (factorisations it reads may follow).
            None => results.extend(
                kiln_interp::run_program(&collect(&[a])?.host_program()?)?
                    .into_iter()
                    .take(1),
            ),
        }
    }
    Ok(results)
}

/// The process's CPU backend.
/// The in-memory plan caches and the disk plan store (shared by every device).
pub(crate) fn plan_caches() -> Result<(
    &'static std::sync::Mutex<PlanCache>,
    Option<&'static PlanStore>,
)> {
    let rt = runtime()?;
    Ok((&rt.plans, rt.plan_store.as_ref()))
}

pub(crate) fn cpu() -> Result<&'static CpuBackend> {
    Ok(&runtime()?.cpu)
}

/// The counters of the disk plan store (`None`: no disk cache).
pub(crate) fn plan_store_stats() -> Result<Option<kiln_cache::DiskStats>> {
    Ok(runtime()?.plan_store.as_ref().map(PlanStore::stats))
}

/// Statistics of the CPU backend (kernels compiled, cache hits, compile time).
pub fn backend_stats() -> Result<kiln_cpu::CpuStats> {
    Ok(runtime()?.cpu.stats())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_ir::Shape;

    /// A plan-cache hit skips the node checks but must still reject inputs that disagree with
    /// their `Input` nodes.
    #[test]
    fn cache_hit_still_checks_inputs() -> Result<()> {
        let x = Array::from_slice(&[1.0f64, 2.0, 3.0], &[3])?;
        let y = crate::sin(&(&x * 3.25)?)?;
        let program = program_of(&[&y])?;
        let first = run_program(&program)?;
        let again = run_program(&program)?;
        assert_eq!(first[0].shape(), again[0].shape());
        let mut bad = program.clone();
        bad.inputs[0] = Realized::from_vec(&[1.0f64, 2.0], Shape::from([2]))?;
        assert!(run_program(&bad).is_err());
        bad.inputs[0] = Realized::from_vec(&[1.0f32, 2.0, 3.0], Shape::from([3]))?;
        assert!(run_program(&bad).is_err());
        bad.inputs.clear();
        assert!(run_program(&bad).is_err());
        Ok(())
    }
}

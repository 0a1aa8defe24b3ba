//! The plan caches: where the pipeline finds an optimised, prepared schedule for a program
//! before running the optimiser and the scheduler.
//!
//! Three levels, tried in order on every evaluation without `explain` text:
//! 1. **exact** (`PlanKey`): a program equal to an earlier one (nodes with their shapes, outputs,
//!    input views, options) reuses its `PreparedSchedule` on the CPU, its `Schedule` on a CUDA
//!    device (`PlanCache::cuda`; schedules are device-independent and the CUDA runtime verifies
//!    each against its inputs): no optimiser, scheduler or kernel lookup; only the inputs are
//!    checked.
//! 2. **class** (`plan_class::ClassKey`): a program of the same layout class as an earlier one
//!    (new lengths) reuses that one's optimised program, rebound to the new extents and verified,
//!    if the probe found it parametric; the scheduler and kernel resolution run (kernels are
//!    shape-generic, so nothing compiles), the optimiser does not.
//! 3. **disk** (`plan_store`): a program an earlier process optimised, or another length of a
//!    parametric class an earlier process optimised, reads the optimised program from the disk
//!    cache (rebound to its extents); no optimiser (and no rule set is built).
//!
//! Otherwise the optimiser runs, its result is probed for parametricity, stored on disk and in
//! the class cache. Every level ends in the same checks as a fresh plan, so all levels give the
//! same results as optimising from scratch.
//!
//! Invariant: an entry is reused only after an exact comparison of its key (hashes select a
//! bucket, never decide a hit); cached entries hold no array data.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use kiln_cpu::PreparedSchedule;
use kiln_ir::{NodeId, Program, Schedule};
use rustc_hash::{FxBuildHasher as FxBuild, FxHasher};

use crate::pipeline::Config;
use crate::plan_class::{self, ClassKey, Classified, KeyOptions};

/// Most plans (of each kind) kept in memory before that cache is cleared.
const PLAN_CACHE_ENTRIES: usize = 4096;

/// Counters of the plan caches (process-wide); every evaluation without `explain` text counts
/// once, in exactly one of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanCacheStats {
    /// Evaluations that reused a prepared schedule of an identical program.
    pub hits: u64,
    /// Evaluations that reused the optimised program of another length of the same layout class
    /// (no optimiser; the scheduler ran and found every kernel cached).
    pub class_hits: u64,
    /// Evaluations whose optimised program came from the disk cache, stored for this program or
    /// for another length of its class (no optimiser).
    pub disk_hits: u64,
    /// Evaluations that ran the optimiser (or had it turned off) and the scheduler.
    pub misses: u64,
}

static HITS: AtomicU64 = AtomicU64::new(0);
static CLASS_HITS: AtomicU64 = AtomicU64::new(0);
static DISK_HITS: AtomicU64 = AtomicU64::new(0);
static MISSES: AtomicU64 = AtomicU64::new(0);

/// How often evaluations reused a cached plan (process-wide).
pub fn plan_cache_stats() -> PlanCacheStats {
    PlanCacheStats {
        hits: HITS.load(Relaxed),
        class_hits: CLASS_HITS.load(Relaxed),
        disk_hits: DISK_HITS.load(Relaxed),
        misses: MISSES.load(Relaxed),
    }
}

/// Where an evaluation's plan came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Exact,
    Class,
    Disk,
    Optimised,
}

impl Source {
    /// The name of the stage that produced the optimised program (for timings).
    pub(crate) fn stage_name(self) -> &'static str {
        match self {
            Source::Exact => "exact_plan",
            Source::Class => "class_plan",
            Source::Disk => "disk_plan",
            Source::Optimised => "optimise",
        }
    }

    pub(crate) fn count(self) {
        let counter = match self {
            Source::Exact => &HITS,
            Source::Class => &CLASS_HITS,
            Source::Disk => &DISK_HITS,
            Source::Optimised => &MISSES,
        };
        counter.fetch_add(1, Relaxed);
    }
}

/// The identity of a plan: the program's nodes (ops, attributes, constants, dtypes, shapes) and
/// outputs, each input's view (strides and offset decide the kernels' layouts) and the options
/// that change the optimiser's output. Equal keys give identical schedules, so one can be reused
/// with the new program's inputs (the optimiser keeps input slots). Compared structurally (no
/// text is formatted): a lookup hashes and compares the program in place, and only a miss
/// copies it into a key.
#[derive(PartialEq, Eq, Hash)]
pub(crate) struct PlanKey {
    nodes: Vec<kiln_ir::Node>,
    outputs: Vec<NodeId>,
    layouts: Vec<(Vec<isize>, usize)>,
    optimize: bool,
    fast_math: bool,
}

impl PlanKey {
    fn of(program: &Program, config: &Config) -> PlanKey {
        PlanKey {
            nodes: program.nodes.clone(),
            outputs: program.outputs.clone(),
            layouts: program
                .inputs
                .iter()
                .map(|i| (i.view.strides.clone(), i.view.offset))
                .collect(),
            optimize: config.optimize,
            fast_math: config.opt.fast_math,
        }
    }

    /// The hash `PlanKey::of(program, config)` would have, computed without building it.
    pub(crate) fn hash_of(program: &Program, config: &Config) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = FxHasher::default();
        program.nodes.hash(&mut h);
        program.outputs.hash(&mut h);
        program.inputs.len().hash(&mut h);
        for i in &program.inputs {
            (&i.view.strides, i.view.offset).hash(&mut h);
        }
        (config.optimize, config.opt.fast_math).hash(&mut h);
        h.finish()
    }

    /// Whether this key is `PlanKey::of(program, config)`.
    fn matches(&self, program: &Program, config: &Config) -> bool {
        self.optimize == config.optimize
            && self.fast_math == config.opt.fast_math
            && self.nodes == program.nodes
            && self.outputs == program.outputs
            && self.layouts.len() == program.inputs.len()
            && self
                .layouts
                .iter()
                .zip(&program.inputs)
                .all(|((strides, offset), i)| {
                    *strides == i.view.strides && *offset == i.view.offset
                })
    }
}

/// What the class cache knows about a layout class.
enum Template {
    /// The optimised program of one member (inputs removed) and the values its symbols had.
    Parametric {
        optimized: Arc<Program>,
        values: Vec<usize>,
    },
    /// The probe found the optimisation depends on the extents: optimise every length.
    NotParametric,
}

/// Plans by `PlanKey::hash_of`; a bucket holds the (rare) colliding keys.
pub(crate) struct ExactPlans<T> {
    plans: HashMap<u64, Vec<(PlanKey, Arc<T>)>, FxBuild>,
    len: usize,
}

impl<T> Default for ExactPlans<T> {
    fn default() -> Self {
        ExactPlans {
            plans: HashMap::default(),
            len: 0,
        }
    }
}

impl<T> ExactPlans<T> {
    pub(crate) fn get(&self, hash: u64, program: &Program, config: &Config) -> Option<Arc<T>> {
        self.plans
            .get(&hash)?
            .iter()
            .find(|(key, _)| key.matches(program, config))
            .map(|(_, plan)| plan.clone())
    }

    pub(crate) fn insert(&mut self, hash: u64, program: &Program, config: &Config, plan: Arc<T>) {
        if self.len >= PLAN_CACHE_ENTRIES {
            self.plans.clear();
            self.len = 0;
        }
        let key = PlanKey::of(program, config);
        self.plans.entry(hash).or_default().push((key, plan));
        self.len += 1;
    }
}

/// The in-memory plan caches.
#[derive(Default)]
pub(crate) struct PlanCache {
    /// Prepared CPU schedules of exact programs.
    pub(crate) exact: ExactPlans<PreparedSchedule>,
    /// Schedules of exact programs evaluated on CUDA devices.
    pub(crate) cuda: ExactPlans<Schedule>,
    classes: HashMap<ClassKey, Template, FxBuild>,
}

impl PlanCache {
    /// The optimised program of `program`'s class rebound to its extents, if the class has a
    /// parametric template. `Some(None)`: the class is known not to be parametric.
    fn rebound(&self, program: &Program, classified: &Classified) -> Option<Option<Program>> {
        match self.classes.get(&classified.key)? {
            Template::NotParametric => Some(None),
            Template::Parametric { optimized, values } => Some(plan_class::rebind(
                optimized,
                values,
                &classified.values,
                program.inputs.clone(),
            )),
        }
    }

    fn remember(&mut self, classified: Classified, optimized: &Program, parametric: bool) {
        if self.classes.len() >= PLAN_CACHE_ENTRIES {
            self.classes.clear();
        }
        let template = if parametric {
            Template::Parametric {
                optimized: Arc::new(Program {
                    nodes: optimized.nodes.clone(),
                    inputs: Vec::new(),
                    outputs: optimized.outputs.clone(),
                }),
                values: classified.values,
            }
        } else {
            Template::NotParametric
        };
        self.classes.insert(classified.key, template);
    }
}

/// The optimised program for a verified `program` that missed the exact cache, and where it came
/// from (class template, disk, or the optimiser). Fills the class cache and the disk store.
pub(crate) fn optimized_for(
    plans: &std::sync::Mutex<PlanCache>,
    store: Option<&crate::plan_store::PlanStore>,
    program: &Program,
    config: &Config,
) -> crate::error::Result<(Program, Source)> {
    if !config.optimize {
        return Ok((program.clone(), Source::Optimised));
    }
    let lock = || plans.lock().unwrap_or_else(|p| p.into_inner());
    let classified = plan_class::classify(
        program,
        &KeyOptions {
            optimize: config.optimize,
            opt: config.opt.clone(),
        },
    );
    let known = lock().rebound(program, &classified);
    if let Some(Some(rebound)) = known {
        return Ok((rebound, Source::Class));
    }
    let class_known = known.is_some();
    let disk_keys = store.and_then(|s| s.keys(program, &classified, &config.opt));
    if let (Some(store), Some(keys)) = (store, &disk_keys)
        && let Some(plan) = store.load(keys, program, &classified)
    {
        if !class_known {
            lock().remember(classified, &plan.optimized, plan.parametric);
        }
        return Ok((plan.optimized, Source::Disk));
    }
    let (optimized, _) = kiln_opt::optimize(program, &config.opt)?;
    optimized.verify()?;
    // A class already known needs no probe: it is not parametric (else it would have hit).
    let parametric =
        !class_known && plan_class::is_parametric(program, &optimized, &classified, &config.opt);
    if let (Some(store), Some(keys)) = (store, &disk_keys) {
        store.save(keys, &optimized, &classified.values, parametric);
    }
    if !class_known {
        lock().remember(classified, &optimized, parametric);
    }
    Ok((optimized, Source::Optimised))
}

//! The compiler: turns a kernel's entry points into relocatable machine code (`ObjCode`) with
//! cranelift for the host ISA, and describes that target (the disk cache keys on it).
//!
//! Invariant: compiling is a pure function of (kernel text, entries, target): the code holds no
//! addresses, only relocations (see `objcode.rs`), and is made callable only by `loader::load`.
//! A kernel whose vector code cranelift cannot lower on this machine is recompiled with scalar
//! loops only.

use crate::abi::{FinishFn, MainFn, PartialFn};
use crate::codegen::{self, Entry, imports};
use crate::error::CpuError;
use crate::objcode::{ObjCode, Reloc, RelocKind, RelocTarget};
use cranelift_codegen::binemit::Reloc as ClifReloc;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{ExternalName, Function};
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, FinalizedRelocTarget};
use kiln_ir::Kernel;

pub struct Jit {
    isa: OwnedTargetIsa,
    next_id: u32,
}

/// The entry point every kernel has, compiled eagerly.
#[derive(Clone, Copy)]
pub struct EntryPoints {
    pub main: MainFn,
    /// Whether vector loops were kept (false after a fallback to scalar code).
    pub vectorized: bool,
}

/// The entry points of a split reduction (see `abi.rs`), compiled on first use: most
/// reducing kernels never run split, and these two functions are most of their compile time.
#[derive(Clone, Copy)]
pub struct SplitEntries {
    pub partial: PartialFn,
    pub finish: FinishFn,
}

/// The code generator and its exact version (part of every disk-cache key).
pub fn compiler_version() -> String {
    format!("cranelift-codegen {}", cranelift_codegen::VERSION)
}

impl Jit {
    /// A compiler for the host (`overrides` empty), or with some ISA flags overridden after
    /// detection (e.g.
    /// `("has_sse41", "false")`, to produce code for an older CPU of the same family; such code
    /// calls libcalls where the host had instructions). The flags are part of
    /// `target_fingerprint`, so such code never shares a cache key with native code.
    pub fn with_isa_flags(overrides: &[(&str, &str)]) -> Result<Jit, CpuError> {
        let setting = |e: settings::SetError| CpuError::Module(e.to_string());
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(setting)?;
        // The IR verifier costs about a quarter of a kernel's compile time; debug builds (and
        // so every test) keep it, release builds trust the tested code generator.
        let verifier = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        flags.set("enable_verifier", verifier).map_err(setting)?;
        // Absolute (non-PIC) calls to helpers and libcalls: each is a relocation the loader
        // patches with a full 64-bit address, so code can be loaded anywhere.
        flags
            .set("use_colocated_libcalls", "false")
            .map_err(setting)?;
        flags.set("is_pic", "false").map_err(setting)?;
        let mut isa_builder = cranelift_native::builder()
            .map_err(|e| CpuError::Module(format!("host machine is not supported: {e}")))?;
        for (name, value) in overrides {
            isa_builder.set(name, value).map_err(setting)?;
        }
        let isa = isa_builder
            .finish(settings::Flags::new(flags))
            .map_err(|e| CpuError::Module(e.to_string()))?;
        Ok(Jit { isa, next_id: 0 })
    }

    /// The target the code is compiled for: triple, shared settings and every ISA feature
    /// flag, one per line. Two processes may share machine code only if these are equal.
    pub fn target_fingerprint(&self) -> String {
        let mut s = format!("{}\n{}", self.isa.triple(), self.isa.flags());
        for v in self.isa.isa_flags() {
            s.push_str(&format!("{} = {}\n", v.name, v.value_string()));
        }
        s
    }

    /// The CPU features cranelift detected and uses (`has_*` flags that are on).
    pub fn cpu_features(&self) -> Vec<String> {
        self.isa
            .isa_flags()
            .iter()
            .filter(|v| v.as_bool() == Some(true))
            .map(|v| v.name.trim_start_matches("has_").to_string())
            .collect()
    }

    /// The target ISA code is compiled for.
    #[cfg(test)]
    pub(crate) fn isa(&self) -> &dyn cranelift_codegen::isa::TargetIsa {
        &*self.isa
    }

    pub fn triple(&self) -> String {
        self.isa.triple().to_string()
    }

    fn build_all(
        &mut self,
        kernel: &Kernel,
        entries: &[Entry],
        simd: bool,
    ) -> Result<Vec<(Entry, Function)>, CpuError> {
        let mut out = Vec::new();
        for &entry in entries {
            self.next_id += 1;
            let f = codegen::build(kernel, entry, &*self.isa, simd, self.next_id)?;
            out.push((entry, f));
        }
        Ok(out)
    }

    /// The cranelift IR of a kernel's entry points, as text.
    pub fn clif_text(&mut self, kernel: &Kernel) -> Result<String, CpuError> {
        let entries = if kernel.reduce.is_some() {
            vec![Entry::Main, Entry::Partial, Entry::Finish]
        } else {
            vec![Entry::Main]
        };
        let mut text = String::new();
        for (entry, f) in self.build_all(kernel, &entries, true)? {
            text.push_str(&format!(
                "; {} {}\n{}\n",
                kernel.name,
                entry.suffix(),
                f.display()
            ));
        }
        Ok(text)
    }

    /// Compiles `entries` into one image.
    fn emit(
        &mut self,
        kernel: &Kernel,
        entries: &[Entry],
        simd: bool,
    ) -> Result<ObjCode, CpuError> {
        let functions = self.build_all(kernel, entries, simd)?;
        assemble(&*self.isa, &kernel.name, functions, simd)
    }

    /// Compiles `entries` of a kernel (with vector loops, or scalar ones if cranelift cannot
    /// lower those) into relocatable code.
    pub fn compile(&mut self, kernel: &Kernel, entries: &[Entry]) -> Result<ObjCode, CpuError> {
        match self.emit(kernel, entries, true) {
            Ok(obj) => Ok(obj),
            Err(CpuError::Codegen { .. }) => self.emit(kernel, entries, false),
            Err(e) => Err(e),
        }
    }
}

/// Compiles cranelift functions (one per entry point) into one relocatable image: code
/// aligned per function, and every external reference (helper, libcall) a symbol relocation.
pub(crate) fn assemble(
    isa: &dyn cranelift_codegen::isa::TargetIsa,
    kernel_name: &str,
    functions: Vec<(Entry, Function)>,
    simd: bool,
) -> Result<ObjCode, CpuError> {
    let codegen_err = |detail: String| CpuError::Codegen {
        kernel: kernel_name.to_string(),
        detail,
    };
    let align = isa.function_alignment().preferred.max(16) as usize;
    let mut obj = ObjCode {
        entries: Vec::new(),
        code: Vec::new(),
        relocs: Vec::new(),
        vectorized: simd,
    };
    for (entry, func) in functions {
        let mut ctx = Context::for_function(func);
        ctx.compile(isa, &mut ControlPlane::default())
            .map_err(|e| codegen_err(format!("{:?}", e.inner)))?;
        let code = ctx
            .compiled_code()
            .ok_or_else(|| codegen_err("no compiled code".into()))?;
        obj.code.resize(obj.code.len().next_multiple_of(align), 0);
        let start = obj.code.len() as u32;
        obj.entries.push((entry, start));
        obj.code.extend_from_slice(code.code_buffer());
        for r in code.buffer.relocs() {
            let kind = match r.kind {
                ClifReloc::Abs8 => RelocKind::Abs8,
                ClifReloc::Abs4 => RelocKind::Abs4,
                ClifReloc::X86PCRel4 | ClifReloc::X86CallPCRel4 => RelocKind::PcRel4,
                other => return Err(codegen_err(format!("relocation kind {other:?}"))),
            };
            let target = match &r.target {
                FinalizedRelocTarget::Func(off) => RelocTarget::Local(start + off),
                FinalizedRelocTarget::ExternalName(ExternalName::LibCall(lc)) => {
                    RelocTarget::Symbol(format!("{}{lc}", crate::loader::LIBCALL_PREFIX))
                }
                FinalizedRelocTarget::ExternalName(ExternalName::User(name)) => {
                    let user = &ctx.func.params.user_named_funcs()[*name];
                    let h = imports::helper_of(user)
                        .ok_or_else(|| codegen_err(format!("unknown import {user}")))?;
                    RelocTarget::Symbol(h.symbol().to_string())
                }
                FinalizedRelocTarget::ExternalName(other) => {
                    return Err(codegen_err(format!("external name {other:?}")));
                }
            };
            obj.relocs.push(Reloc {
                offset: start + r.offset,
                kind,
                target,
                addend: r.addend,
            });
        }
    }
    obj.validate()?;
    Ok(obj)
}

/// Loads code compiled for `[Entry::Main]` and returns its entry point.
pub fn load_main(obj: &ObjCode) -> Result<EntryPoints, CpuError> {
    match crate::loader::load(obj)?.as_slice() {
        // SAFETY: the function was built by `codegen::build` for `Entry::Main`, whose
        // signature (`codegen::signature`) is the C ABI of `MainFn`.
        [(Entry::Main, ptr)] => Ok(EntryPoints {
            main: unsafe { std::mem::transmute::<*const u8, MainFn>(*ptr) },
            vectorized: obj.vectorized,
        }),
        _ => Err(CpuError::BadObjCode("expected a main entry only".into())),
    }
}

/// Loads code compiled for `[Entry::Partial, Entry::Finish]` and returns its entry points.
pub fn load_split(obj: &ObjCode) -> Result<SplitEntries, CpuError> {
    match crate::loader::load(obj)?.as_slice() {
        // SAFETY: both functions were built by `codegen::build` for the entries they are
        // paired with, whose signatures are the C ABIs of `PartialFn` and `FinishFn`.
        [(Entry::Partial, p), (Entry::Finish, f)] => Ok(SplitEntries {
            partial: unsafe { std::mem::transmute::<*const u8, PartialFn>(*p) },
            finish: unsafe { std::mem::transmute::<*const u8, FinishFn>(*f) },
        }),
        _ => Err(CpuError::BadObjCode(
            "expected partial and finish entries".into(),
        )),
    }
}

//! The JIT module: turns built cranelift functions into callable machine code.
//!
//! Invariant: one `JITModule` per backend, only touched under the backend's mutex; code it
//! emits is never freed (cranelift-jit leaks code memory on drop on purpose), so a function
//! pointer handed out stays valid for the life of the process. A kernel whose vector code
//! cranelift cannot lower on this machine is recompiled with scalar loops only.

use crate::abi::{FinishFn, MainFn, PartialFn};
use crate::codegen::{self, Entry};
use crate::error::CpuError;
use crate::helpers::Helper;
use cranelift_codegen::Context;
use cranelift_codegen::ir::{AbiParam, Function, Signature, types};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{FuncId, Linkage, Module, default_libcall_names};
use kiln_ir::Kernel;
use std::collections::HashMap;

pub struct Jit {
    module: JITModule,
    helper_ids: HashMap<Helper, FuncId>,
    next_id: u32,
}

/// An entry point and the address of its finalized machine code.
type EntryCode = (Entry, *const u8);

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

fn helper_signature(h: Helper, call_conv: cranelift_codegen::isa::CallConv) -> Signature {
    use types::{F32, F64, I32, I64};
    let mut sig = Signature::new(call_conv);
    let (params, ret): (&[_], Option<_>) = match h {
        Helper::F32Unary => (&[I32, F32], Some(F32)),
        Helper::F64Unary => (&[I32, F64], Some(F64)),
        Helper::F32Binary => (&[I32, F32, F32], Some(F32)),
        Helper::F64Binary => (&[I32, F64, F64], Some(F64)),
        Helper::C64Unary => (&[I32, F32, F32, I64], None),
        Helper::C128Unary => (&[I32, F64, F64, I64], None),
        Helper::C64Binary => (&[I32, F32, F32, F32, F32, I64], None),
        Helper::C128Binary => (&[I32, F64, F64, F64, F64, I64], None),
        Helper::I64Binary | Helper::U64Binary => (&[I32, I64, I64], Some(I64)),
    };
    sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
    sig.returns.extend(ret.map(AbiParam::new));
    sig
}

impl Jit {
    pub fn new() -> Result<Jit, CpuError> {
        let module_err = |e: cranelift_module::ModuleError| CpuError::Module(e.to_string());
        // The IR verifier costs about a quarter of a kernel's compile time; debug builds (and
        // so every test) keep it, release builds trust the tested code generator.
        let verifier = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        let flags = [("opt_level", "speed"), ("enable_verifier", verifier)];
        let mut builder =
            JITBuilder::with_flags(&flags, default_libcall_names()).map_err(module_err)?;
        for h in Helper::ALL {
            builder.symbol(h.symbol(), h.address());
        }
        let mut module = JITModule::new(builder);
        let call_conv = module.isa().default_call_conv();
        let mut helper_ids = HashMap::new();
        for h in Helper::ALL {
            let id = module
                .declare_function(h.symbol(), Linkage::Import, &helper_signature(h, call_conv))
                .map_err(module_err)?;
            helper_ids.insert(h, id);
        }
        Ok(Jit {
            module,
            helper_ids,
            next_id: 0,
        })
    }

    /// Every entry point of a kernel (what `clif_text` shows).
    fn all_entries(kernel: &Kernel) -> Vec<Entry> {
        if kernel.reduce.is_some() {
            vec![Entry::Main, Entry::Partial, Entry::Finish]
        } else {
            vec![Entry::Main]
        }
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
            let f = codegen::build(
                kernel,
                entry,
                &mut self.module,
                &self.helper_ids,
                simd,
                self.next_id,
            )?;
            out.push((entry, f));
        }
        Ok(out)
    }

    /// The cranelift IR of a kernel's entry points, as text.
    pub fn clif_text(&mut self, kernel: &Kernel) -> Result<String, CpuError> {
        let mut text = String::new();
        for (entry, f) in self.build_all(kernel, &Self::all_entries(kernel), true)? {
            text.push_str(&format!(
                "; {} {}\n{}\n",
                kernel.name,
                entry.suffix(),
                f.display()
            ));
        }
        Ok(text)
    }

    fn define(
        &mut self,
        kernel: &Kernel,
        entries: &[Entry],
        simd: bool,
    ) -> Result<Vec<(Entry, FuncId)>, CpuError> {
        let mut ids = Vec::new();
        for (entry, func) in self.build_all(kernel, entries, simd)? {
            let name = format!("kiln_kernel_{}_{}", self.next_id, entry.suffix());
            let id = self
                .module
                .declare_function(&name, Linkage::Local, &func.signature)
                .map_err(|e| CpuError::Module(e.to_string()))?;
            let mut ctx = Context::for_function(func);
            self.module
                .define_function(id, &mut ctx)
                .map_err(|e| CpuError::Codegen {
                    kernel: kernel.name.clone(),
                    detail: format!("{e:?}"),
                })?;
            ids.push((entry, id));
        }
        Ok(ids)
    }

    /// Defines `entries` (with vector loops, or scalar ones if cranelift cannot lower those)
    /// and finalizes them: their code addresses and whether vector loops were kept.
    fn compile_entries(
        &mut self,
        kernel: &Kernel,
        entries: &[Entry],
    ) -> Result<(Vec<EntryCode>, bool), CpuError> {
        let (ids, vectorized) = match self.define(kernel, entries, true) {
            Ok(ids) => (ids, true),
            Err(CpuError::Codegen { .. }) => (self.define(kernel, entries, false)?, false),
            Err(e) => return Err(e),
        };
        self.module
            .finalize_definitions()
            .map_err(|e| CpuError::Module(e.to_string()))?;
        let ptrs = ids
            .into_iter()
            .map(|(entry, id)| (entry, self.module.get_finalized_function(id)))
            .collect();
        Ok((ptrs, vectorized))
    }

    /// Compiles a kernel's `main` entry point.
    pub fn compile(&mut self, kernel: &Kernel) -> Result<EntryPoints, CpuError> {
        let (ptrs, vectorized) = self.compile_entries(kernel, &[Entry::Main])?;
        match ptrs.as_slice() {
            // SAFETY: the function was built by `codegen::build` for `Entry::Main`, whose
            // signature (`codegen::signature`) is the C ABI of `MainFn`.
            [(Entry::Main, ptr)] => Ok(EntryPoints {
                main: unsafe { std::mem::transmute::<*const u8, MainFn>(*ptr) },
                vectorized,
            }),
            _ => Err(CpuError::Internal("kernel without main entry".into())),
        }
    }

    /// Compiles a reducing kernel's `partial` and `finish` entry points.
    pub fn compile_split(&mut self, kernel: &Kernel) -> Result<SplitEntries, CpuError> {
        let (ptrs, _) = self.compile_entries(kernel, &[Entry::Partial, Entry::Finish])?;
        match ptrs.as_slice() {
            // SAFETY: both functions were built by `codegen::build` for the entries they are
            // paired with, whose signatures are the C ABIs of `PartialFn` and `FinishFn`.
            [(Entry::Partial, p), (Entry::Finish, f)] => Ok(SplitEntries {
                partial: unsafe { std::mem::transmute::<*const u8, PartialFn>(*p) },
                finish: unsafe { std::mem::transmute::<*const u8, FinishFn>(*f) },
            }),
            _ => Err(CpuError::Internal(
                "split reduction without partial/finish entries".into(),
            )),
        }
    }
}

//! Kernel IR -> cranelift IR. `build` produces one entry point (see `abi.rs`) of a kernel as a
//! cranelift `Function`; compiling and caching it is `jit.rs`'s job.
//!
//! Invariant: codegen reads only the `Kernel` (never the array graph or the launch geometry),
//! so one compiled kernel serves every size and stride with the same inner-stride classes.

mod emit;
mod eval;
pub mod imports;
mod kernel;
mod loops;
mod ops;
mod simd;
mod types;

use crate::error::CpuError;
use cranelift_codegen::ir::{
    AbiParam, Function, InstBuilder, Signature, UserFuncName, types as clif_types,
};
use cranelift_codegen::isa::{CallConv, TargetIsa};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use emit::Emitter;
use kiln_ir::Kernel;

/// The entry points of a compiled kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Main,
    Partial,
    Finish,
}

impl Entry {
    pub fn suffix(self) -> &'static str {
        match self {
            Entry::Main => "main",
            Entry::Partial => "partial",
            Entry::Finish => "finish",
        }
    }
}

/// The cranelift signature of an entry point.
pub fn signature(entry: Entry, call_conv: CallConv) -> Signature {
    let mut sig = Signature::new(call_conv);
    let n = match entry {
        Entry::Main => 3,
        Entry::Partial => 5,
        Entry::Finish => 3,
    };
    for _ in 0..n {
        sig.params.push(AbiParam::new(clif_types::I64));
    }
    sig
}

/// Builds one entry point of `kernel`. `simd` allows vector loops.
pub fn build(
    kernel: &Kernel,
    entry: Entry,
    isa: &dyn TargetIsa,
    simd: bool,
    func_index: u32,
) -> Result<Function, CpuError> {
    let call_conv = isa.default_call_conv();
    let mut func = Function::with_name_signature(
        UserFuncName::user(0, func_index),
        signature(entry, call_conv),
    );
    let mut fctx = FunctionBuilderContext::new();
    let builder = FunctionBuilder::new(&mut func, &mut fctx);
    let mut e = Emitter::new(builder, call_conv, isa.frontend_config(), &kernel.name);
    let block = e.b.create_block();
    e.b.append_block_params_for_function_params(block);
    e.b.switch_to_block(block);
    let params = e.b.block_params(block).to_vec();
    let frame = e.load_frame(kernel, params[0]);
    let outer = kernel.outer_rank;
    let reduce_arg = kernel.reduce.as_ref().map(|r| r.op.is_arg());
    match (entry, &kernel.reduce) {
        (Entry::Main, None) => e.elementwise_main(kernel, &frame, params[1], params[2], simd)?,
        (Entry::Main, Some(_)) => {
            let mut total = e.i64c(1);
            for &d in &frame.dims[outer..] {
                total = e.b.ins().imul(total, d);
            }
            let zero = e.i64c(0);
            let odims = frame.dims[..outer].to_vec();
            e.counted_loop(params[1], params[2], 1, &mut |e, o| {
                let oidx = e.unflatten(o, &odims);
                let red = e.reduce_point(kernel, &frame, &oidx, zero, total, simd)?;
                e.finish_point(kernel, &frame, &oidx, &red)
            })?;
        }
        (Entry::Partial, Some(r)) => {
            let odims = frame.dims[..outer].to_vec();
            let oidx = e.unflatten(params[1], &odims);
            let red = e.reduce_point(kernel, &frame, &oidx, params[2], params[3], simd)?;
            let d = kernel.value(r.value).dtype;
            e.write_acc(d, &red, params[4]);
        }
        (Entry::Finish, Some(r)) => {
            let odims = frame.dims[..outer].to_vec();
            let oidx = e.unflatten(params[1], &odims);
            let d = kernel.value(r.value).dtype;
            let red = e.read_acc(d, reduce_arg.unwrap_or(false), params[2]);
            e.finish_point(kernel, &frame, &oidx, &red)?;
        }
        (Entry::Partial | Entry::Finish, None) => {
            return Err(CpuError::Internal(format!(
                "{} entry of kernel {} without reduction",
                entry.suffix(),
                kernel.name
            )));
        }
    }
    e.b.ins().return_(&[]);
    e.b.seal_all_blocks();
    let config = e.frontend_config();
    e.b.finalize(config);
    Ok(func)
}

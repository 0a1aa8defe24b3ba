//! How generated code names the Rust helpers it calls: each helper is an imported function
//! `UserExternalName { namespace: HELPER_NAMESPACE, index }`, where `index` is the helper's
//! position in `Helper::ALL`, with the C signature `helper_signature` gives.
//!
//! Invariant: generated code never contains a helper's address. Calls go through relocations
//! that the loader (`loader.rs`) resolves by symbol name when it maps the code, so saved
//! machine code stays valid in another process.

use crate::helpers::Helper;
use cranelift_codegen::ir::{
    AbiParam, ExtFuncData, ExternalName, FuncRef, Function, Signature, UserExternalName, types,
};
use cranelift_codegen::isa::CallConv;

/// The namespace of helper imports in `UserExternalName`.
pub const HELPER_NAMESPACE: u32 = 0;

/// The C signature of a helper.
pub fn helper_signature(h: Helper, call_conv: CallConv) -> Signature {
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

/// The helper an imported name refers to.
pub fn helper_of(name: &UserExternalName) -> Option<Helper> {
    if name.namespace != HELPER_NAMESPACE {
        return None;
    }
    Helper::ALL.get(name.index as usize).copied()
}

/// Declares helper `h` in `func` (not colocated: the call loads a full 64-bit address, so the
/// helper can be anywhere in the address space).
pub fn import_helper(func: &mut Function, h: Helper, call_conv: CallConv) -> FuncRef {
    let index = Helper::ALL.iter().position(|&x| x == h).unwrap_or(0) as u32;
    let signature = func.import_signature(helper_signature(h, call_conv));
    let name = func.declare_imported_user_function(UserExternalName::new(HELPER_NAMESPACE, index));
    func.import_function(ExtFuncData {
        name: ExternalName::user(name),
        signature,
        colocated: false,
        patchable: false,
    })
}

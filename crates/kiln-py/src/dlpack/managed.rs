//! The two DLPack managed-tensor kinds (1.x `DLManagedTensorVersioned`, legacy
//! `DLManagedTensor`) behind one trait, and the capsule destructor of the Python protocol.
//!
//! Invariant: a managed tensor's deleter is called at most once, and only by whoever owns the
//! tensor: the capsule while it is named `dltensor[_versioned]` (its destructor deletes), the
//! consumer after renaming it `used_dltensor[_versioned]` (the destructor then does nothing).

use std::ffi::{CStr, c_void};
use std::ptr;

use pyo3::ffi;

use super::abi::{
    DLManagedTensor, DLManagedTensorVersioned, DLTensor, LEGACY_NAME, LEGACY_USED_NAME, VERSION,
    VERSIONED_NAME, VERSIONED_USED_NAME,
};

/// A deleter as DLPack declares it.
pub(crate) type Deleter<M> = unsafe extern "C" fn(*mut M);

/// What export and import need from either managed-tensor struct.
pub(crate) trait Managed: Sized + 'static {
    /// Capsule name while unconsumed, and after the consumer took ownership.
    const NAME: &'static CStr;
    const USED_NAME: &'static CStr;
    /// A managed tensor kiln produces (at kiln's DLPack version for the versioned kind).
    fn produced(tensor: DLTensor, flags: u64, deleter: Deleter<Self>) -> Self;
    /// Whether kiln can read the fields after the version (always for the legacy kind).
    fn readable(&self) -> Result<(), String>;
    fn tensor(&self) -> &DLTensor;
    fn tensor_mut(&mut self) -> &mut DLTensor;
    fn set_manager_ctx(&mut self, ctx: *mut c_void);
    fn manager_ctx(&self) -> *mut c_void;
    fn deleter(&self) -> Option<Deleter<Self>>;
}

impl Managed for DLManagedTensorVersioned {
    const NAME: &'static CStr = VERSIONED_NAME;
    const USED_NAME: &'static CStr = VERSIONED_USED_NAME;
    fn produced(tensor: DLTensor, flags: u64, deleter: Deleter<Self>) -> Self {
        DLManagedTensorVersioned {
            version: VERSION,
            manager_ctx: ptr::null_mut(),
            deleter: Some(deleter),
            flags,
            dl_tensor: tensor,
        }
    }
    fn readable(&self) -> Result<(), String> {
        // The header: a consumer may read the rest only if the major version matches; the
        // deleter (which precedes `flags`) stays callable in every version.
        if self.version.major == VERSION.major {
            Ok(())
        } else {
            Err(format!(
                "DLPack tensor of version {}.{}: kiln reads version {}.x",
                self.version.major, self.version.minor, VERSION.major
            ))
        }
    }
    fn tensor(&self) -> &DLTensor {
        &self.dl_tensor
    }
    fn tensor_mut(&mut self) -> &mut DLTensor {
        &mut self.dl_tensor
    }
    fn set_manager_ctx(&mut self, ctx: *mut c_void) {
        self.manager_ctx = ctx;
    }
    fn manager_ctx(&self) -> *mut c_void {
        self.manager_ctx
    }
    fn deleter(&self) -> Option<Deleter<Self>> {
        self.deleter
    }
}

impl Managed for DLManagedTensor {
    const NAME: &'static CStr = LEGACY_NAME;
    const USED_NAME: &'static CStr = LEGACY_USED_NAME;
    fn produced(tensor: DLTensor, _flags: u64, deleter: Deleter<Self>) -> Self {
        DLManagedTensor {
            dl_tensor: tensor,
            manager_ctx: ptr::null_mut(),
            deleter: Some(deleter),
        }
    }
    fn readable(&self) -> Result<(), String> {
        Ok(())
    }
    fn tensor(&self) -> &DLTensor {
        &self.dl_tensor
    }
    fn tensor_mut(&mut self) -> &mut DLTensor {
        &mut self.dl_tensor
    }
    fn set_manager_ctx(&mut self, ctx: *mut c_void) {
        self.manager_ctx = ctx;
    }
    fn manager_ctx(&self) -> *mut c_void {
        self.manager_ctx
    }
    fn deleter(&self) -> Option<Deleter<Self>> {
        self.deleter
    }
}

/// Calls the tensor's deleter (DLPack allows none: then there is nothing to release).
///
/// # Safety
/// `managed` points at a live managed tensor that the caller owns and never uses again.
pub(crate) unsafe fn delete<M: Managed>(managed: *mut M) {
    // SAFETY: the caller owns the live tensor; its deleter frees it, so it is read first.
    unsafe {
        if let Some(deleter) = (*managed).deleter() {
            deleter(managed);
        }
    }
}

/// The destructor of a capsule kiln produces: deletes the tensor unless a consumer renamed the
/// capsule (took ownership), keeping any exception in flight (the protocol's reference code).
///
/// # Safety
/// Called by Python, with the GIL held, on a capsule created by `export` with name `M::NAME`.
pub(crate) unsafe extern "C" fn capsule_destructor<M: Managed>(capsule: *mut ffi::PyObject) {
    // SAFETY: Python passes the capsule being destroyed and holds the GIL; the error
    // indicator is saved and restored around calls that may set it.
    unsafe {
        if ffi::PyCapsule_IsValid(capsule, M::USED_NAME.as_ptr()) == 1 {
            return; // consumed: the consumer calls the deleter
        }
        let (mut kind, mut value, mut traceback) =
            (ptr::null_mut(), ptr::null_mut(), ptr::null_mut());
        ffi::PyErr_Fetch(&mut kind, &mut value, &mut traceback);
        let managed = ffi::PyCapsule_GetPointer(capsule, M::NAME.as_ptr()) as *mut M;
        if managed.is_null() {
            // Renamed to something else: nobody can know who owns it; report, do not guess.
            ffi::PyErr_WriteUnraisable(capsule);
        } else {
            delete(managed);
        }
        ffi::PyErr_Restore(kind, value, traceback);
    }
}

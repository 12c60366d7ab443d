//! The C entry points called from Rust on slices, as the verdict benchmark and the tests call them: the same
//! ABI a cgo caller crosses, with the pointer bookkeeping done once here.

use crate::{ZrBytes, zr_bytes_free, zr_judge};

/// `zr_judge` on the encoded parameters, claim record, dispute and momentum: its code and a copy of its output.
pub fn judge(params: &[u8], claim_record: &[u8], dispute: &[u8], momentum: &[u8]) -> (i32, Vec<u8>) {
    let mut out = ZrBytes { ptr: std::ptr::null_mut(), len: 0 };
    // SAFETY: every pointer is a live slice of its length; `out` is a writable `ZrBytes`.
    let code = unsafe {
        zr_judge(
            params.as_ptr(),
            params.len(),
            claim_record.as_ptr(),
            claim_record.len(),
            dispute.as_ptr(),
            dispute.len(),
            momentum.as_ptr(),
            momentum.len(),
            &mut out,
        )
    };
    let bytes = if out.ptr.is_null() {
        Vec::new()
    } else {
        // SAFETY: the library wrote `len` bytes at `ptr`.
        unsafe { std::slice::from_raw_parts(out.ptr, out.len) }.to_vec()
    };
    // SAFETY: the library's output, given back once.
    unsafe { zr_bytes_free(out) };
    (code, bytes)
}

//! Memory for a call's input and encoded values without a global allocator: a bump arena, first in a static
//! buffer (free: it is part of the module's initial memory), then in pages grown from the host (each grow
//! costs gas). Nothing is freed: an instance lives for one call.

/// Bytes served from the static buffer before growing memory.
const STATIC_ARENA: usize = 4096;
const PAGE: usize = 65536;

static mut ARENA: [u8; STATIC_ARENA] = [0; STATIC_ARENA];
/// Bytes of `ARENA` handed out.
static mut ARENA_USED: usize = 0;
/// The grown region being handed out: its next free byte and its end (0 and 0 until memory is grown).
static mut GROWN_NEXT: usize = 0;
static mut GROWN_END: usize = 0;

/// `len` zeroed bytes that live until the call ends; aborts if memory cannot grow.
#[inline(never)]
pub fn take(len: usize) -> &'static mut [u8] {
    // Safety: a contract instance runs single-threaded and these statics are only touched here; each region
    // handed out is unused arena or grown memory, never handed out twice. `ARENA_USED <= STATIC_ARENA` and
    // `GROWN_NEXT <= GROWN_END` always hold, so the wrapping arithmetic never wraps.
    unsafe {
        if STATIC_ARENA.wrapping_sub(ARENA_USED) >= len {
            let start = (core::ptr::addr_of_mut!(ARENA) as *mut u8).add(ARENA_USED);
            ARENA_USED = ARENA_USED.wrapping_add(len);
            return core::slice::from_raw_parts_mut(start, len);
        }
        if GROWN_END.wrapping_sub(GROWN_NEXT) < len {
            let pages = len / PAGE + 1;
            GROWN_NEXT = grow(pages) * PAGE;
            GROWN_END = GROWN_NEXT + pages * PAGE;
        }
        let start = GROWN_NEXT;
        GROWN_NEXT = GROWN_NEXT.wrapping_add(len);
        core::slice::from_raw_parts_mut(start as *mut u8, len)
    }
}

#[cfg(target_arch = "wasm32")]
fn grow(pages: usize) -> usize {
    match core::arch::wasm32::memory_grow(0, pages) {
        usize::MAX => crate::abort("out of memory: the contract's memory limit is reached"),
        first => first,
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn grow(_: usize) -> usize {
    crate::abort("contracts run on wasm32")
}

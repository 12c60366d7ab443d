//! The zrollup contract SDK: typed methods with [`contract!`] (the ABI written beside them), events and
//! record types ([`events!`], [`record!`]), the argument encoding ([`codec`]), safe wrappers over the host
//! API (module `env`) and storage helpers. The low-level form, [`entry!`] with [`Args`] and [`ret`], stays for
//! contracts that parse their own input.
//!
//! `no_std` and no dependencies; builds with rustc 1.63 for `wasm32-unknown-unknown`. Without the `alloc`
//! feature there is no heap (input and large results use a bump arena, [`heap`]); with it, `alloc`'s `Vec`,
//! `String` and maps work through std's allocator, and a panic aborts the call with its message. A wasm
//! method is an exported function with no parameters and no results; it reads its input and sets its return
//! data through the host.
#![no_std]

#[cfg(feature = "alloc")]
extern crate alloc;
// rustc 1.63 has no default allocation-error handler for `no_std`: std supplies it (and the allocator).
#[cfg(feature = "alloc")]
extern crate std;

pub mod abi;
pub mod codec;
pub mod heap;
mod macros;

pub use codec::{Decode, Encode, ErrorMessage, Output};

/// The raw host imports. Every pointer/length pair is checked by the host; a bad one traps.
pub mod host {
    #[link(wasm_import_module = "env")]
    extern "C" {
        pub fn input_len() -> u32;
        pub fn input_copy(out: *mut u8);
        pub fn storage_read(key: *const u8, key_len: u32, out: *mut u8, out_cap: u32) -> i64;
        pub fn storage_write(key: *const u8, key_len: u32, value: *const u8, value_len: u32);
        pub fn storage_remove(key: *const u8, key_len: u32);
        pub fn caller(out: *mut u8);
        pub fn self_address(out: *mut u8);
        pub fn value(out: *mut u8);
        pub fn balance(address: *const u8, out: *mut u8);
        pub fn transfer(to: *const u8, amount: *const u8) -> u32;
        pub fn block_height() -> u64;
        pub fn block_timestamp() -> u64;
        pub fn emit_event(topic: *const u8, topic_len: u32, data: *const u8, data_len: u32);
        pub fn call(
            contract: *const u8,
            method: *const u8,
            method_len: u32,
            input: *const u8,
            input_len: u32,
            value: *const u8,
        ) -> u32;
        pub fn return_data_len() -> u32;
        pub fn return_data_copy(out: *mut u8);
        pub fn sha3_256(data: *const u8, len: u32, out: *mut u8);
        pub fn ed25519_verify(public_key: *const u8, message: *const u8, message_len: u32, signature: *const u8) -> u32;
        pub fn set_return(data: *const u8, len: u32);
        pub fn abort(message: *const u8, len: u32) -> !;
    }
}

/// A NoM address (20 bytes).
pub type Address = [u8; 20];

/// Stops the call: every write of this call is undone and the receipt fails with `message`.
pub fn abort(message: &str) -> ! {
    unsafe { host::abort(message.as_ptr(), message.len() as u32) }
}

/// Aborts with the concatenation of `parts` (at most 256 bytes are kept).
#[cold]
#[inline(never)]
pub fn abort_with(parts: &[&str]) -> ! {
    let mut buf = [0u8; 256];
    let mut len = 0;
    for part in parts {
        let take = part.len().min(buf.len() - len);
        buf[len..len + take].copy_from_slice(&part.as_bytes()[..take]);
        len += take;
    }
    // A cut may split a UTF-8 character: the host reads the message lossily.
    unsafe { host::abort(buf.as_ptr(), len as u32) }
}

/// The whole input of this call, in memory that lives until the call ends.
pub fn input_bytes() -> &'static [u8] {
    let len = unsafe { host::input_len() } as usize;
    let buf = heap::take(len);
    if len > 0 {
        unsafe { host::input_copy(buf.as_mut_ptr()) };
    }
    buf
}

/// Starts a method [`contract!`] exports: notes whether it is a view and reads its input.
#[doc(hidden)]
#[inline(never)]
pub fn __begin(view: bool) -> codec::Reader<'static> {
    __enter(view);
    codec::Reader::new(input_bytes())
}

/// Whether the running method is a `#[view]`: writes abort.
static mut IN_VIEW: bool = false;

/// Called first by every method [`contract!`] exports.
#[doc(hidden)]
#[inline(always)]
pub fn __enter(view: bool) {
    // Safety: an instance runs one call on one thread.
    unsafe { IN_VIEW = view };
    #[cfg(feature = "alloc")]
    std::panic::set_hook(alloc::boxed::Box::new(|info| panicked(info)));
}

#[inline(always)]
/// Aborts a panicking call with where it panicked, `panic at src/lib.rs:12`, and its message when it is a
/// plain string (formatting others would link all of `core::fmt` into every contract).
#[cfg(feature = "alloc")]
fn panicked(info: &std::panic::PanicInfo<'_>) -> ! {
    let mut line = [0u8; 10];
    let mut digits = line.len();
    let mut n = info.location().map_or(0, |l| l.line());
    loop {
        digits -= 1;
        line[digits] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let file = info.location().map_or("?", |l| l.file());
    let line = core::str::from_utf8(&line[digits..]).unwrap_or("?");
    let message = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
    let separator = if message.is_empty() { "" } else { ": " };
    abort_with(&["panic at ", file, ":", line, separator, message])
}

#[inline(always)]
fn writes_allowed() {
    // Safety: as in `__enter`.
    if unsafe { IN_VIEW } {
        write_in_view();
    }
}

#[cold]
#[inline(never)]
fn write_in_view() -> ! {
    abort("a view method cannot write storage, transfer, send ZNN with a call or emit events")
}

/// Aborts with `message` unless `condition` holds.
pub fn require(condition: bool, message: &str) {
    if !condition {
        abort(message);
    }
}

/// The call's input, copied into `buf`; aborts if it does not fit.
pub fn input(buf: &mut [u8]) -> &[u8] {
    let len = unsafe { host::input_len() } as usize;
    require(len <= buf.len(), "input too large");
    unsafe { host::input_copy(buf.as_mut_ptr()) };
    &buf[..len]
}

/// Reads `key` into `buf`; `None` if absent. Aborts if the value is longer than `buf`.
pub fn storage_get<'a>(key: &[u8], buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let len = unsafe { host::storage_read(key.as_ptr(), key.len() as u32, buf.as_mut_ptr(), buf.len() as u32) };
    if len < 0 {
        return None;
    }
    let len = len as usize;
    require(len <= buf.len(), "stored value larger than buffer");
    Some(&buf[..len])
}

/// Writes `value` under `key`.
pub fn storage_set(key: &[u8], value: &[u8]) {
    writes_allowed();
    unsafe { host::storage_write(key.as_ptr(), key.len() as u32, value.as_ptr(), value.len() as u32) }
}

/// Removes `key`.
pub fn storage_remove(key: &[u8]) {
    writes_allowed();
    unsafe { host::storage_remove(key.as_ptr(), key.len() as u32) }
}

/// The value under `key`, in memory that lives until the call ends; `None` if absent.
pub fn storage_bytes(key: &[u8]) -> Option<&'static [u8]> {
    // Most values fit a first small read; a longer one is read again at its length.
    const FIRST: usize = 256;
    let buf = heap::take(FIRST);
    let len = unsafe { host::storage_read(key.as_ptr(), key.len() as u32, buf.as_mut_ptr(), FIRST as u32) };
    if len < 0 {
        return None;
    }
    let len = len as usize;
    if len <= FIRST {
        return Some(&buf[..len]);
    }
    let buf = heap::take(len);
    unsafe { host::storage_read(key.as_ptr(), key.len() as u32, buf.as_mut_ptr(), len as u32) };
    Some(buf)
}

/// The value of type `T` under `key` (written by [`store`]); `None` if absent. A value that does not decode
/// as `T` aborts the call.
pub fn load<T: for<'a> Decode<'a>>(key: &[u8]) -> Option<T> {
    let mut reader = codec::Reader::new(storage_bytes(key)?);
    let value = reader.arg("stored value");
    reader.finish();
    Some(value)
}

/// Stores `value` under `key` in the argument encoding.
pub fn store<T: Encode + ?Sized>(key: &[u8], value: &T) {
    codec::with_encoded(value, |bytes| storage_set(key, bytes))
}

/// A `u128` stored under `key`, 0 if absent.
pub fn get_u128(key: &[u8]) -> u128 {
    let mut buf = [0u8; 16];
    match storage_get(key, &mut buf) {
        Some(bytes) if bytes.len() == 16 => u128::from_le_bytes(buf),
        Some(_) => abort("stored value is not a u128"),
        None => 0,
    }
}

/// Stores a `u128` under `key` (removing the key for 0 keeps the state small).
pub fn set_u128(key: &[u8], value: u128) {
    if value == 0 {
        storage_remove(key);
    } else {
        storage_set(key, &value.to_le_bytes());
    }
}

/// A `u64` stored under `key`, 0 if absent.
pub fn get_u64(key: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    match storage_get(key, &mut buf) {
        Some(bytes) if bytes.len() == 8 => u64::from_le_bytes(buf),
        Some(_) => abort("stored value is not a u64"),
        None => 0,
    }
}

/// Stores a `u64` under `key`.
pub fn set_u64(key: &[u8], value: u64) {
    storage_set(key, &value.to_le_bytes());
}

/// An address stored under `key`, if any.
pub fn get_address(key: &[u8]) -> Option<Address> {
    let mut buf = [0u8; 20];
    let len = storage_get(key, &mut buf).map(|bytes| bytes.len())?;
    require(len == 20, "stored value is not an address");
    Some(buf)
}

/// The account that called (the transaction's sender, or the calling contract).
pub fn caller() -> Address {
    let mut out = [0u8; 20];
    unsafe { host::caller(out.as_mut_ptr()) };
    out
}

/// This contract's address.
pub fn self_address() -> Address {
    let mut out = [0u8; 20];
    unsafe { host::self_address(out.as_mut_ptr()) };
    out
}

/// ZNN sent with this call.
pub fn value() -> u128 {
    let mut out = [0u8; 16];
    unsafe { host::value(out.as_mut_ptr()) };
    u128::from_le_bytes(out)
}

/// The ZNN balance of `address`.
pub fn balance(address: &Address) -> u128 {
    let mut out = [0u8; 16];
    unsafe { host::balance(address.as_ptr(), out.as_mut_ptr()) };
    u128::from_le_bytes(out)
}

/// Sends ZNN from this contract; `false` if its balance is too low.
pub fn transfer(to: &Address, amount: u128) -> bool {
    writes_allowed();
    let amount = amount.to_le_bytes();
    unsafe { host::transfer(to.as_ptr(), amount.as_ptr()) == 0 }
}

/// The height of the momentum being executed.
pub fn block_height() -> u64 {
    unsafe { host::block_height() }
}

/// The timestamp (unix seconds) of the momentum being executed.
pub fn block_timestamp() -> u64 {
    unsafe { host::block_timestamp() }
}

/// Emits an event into the receipt.
pub fn emit(topic: &[u8], data: &[u8]) {
    writes_allowed();
    unsafe { host::emit_event(topic.as_ptr(), topic.len() as u32, data.as_ptr(), data.len() as u32) }
}

/// Calls `method` on `contract`. `Ok(len)` gives the length of its return data (read it with
/// [`return_data`]); `Err(())` means the callee failed and its writes were undone.
pub fn call(contract: &Address, method: &str, input: &[u8], value: u128) -> Result<usize, ()> {
    if value > 0 {
        writes_allowed();
    }
    let value = value.to_le_bytes();
    let status = unsafe {
        host::call(
            contract.as_ptr(),
            method.as_ptr(),
            method.len() as u32,
            input.as_ptr(),
            input.len() as u32,
            value.as_ptr(),
        )
    };
    if status == 0 {
        Ok(unsafe { host::return_data_len() } as usize)
    } else {
        Err(())
    }
}

/// Calls `method` on `contract` with typed arguments (a tuple, e.g. `(to, amount)`, or `()`) and decodes its
/// return data as `R` (`()` for none). `Err(())` means the callee failed and its writes were undone; return
/// data that is not an `R` aborts this call.
pub fn call_typed<A: Encode + ?Sized, R: for<'a> Decode<'a>>(
    contract: &Address,
    method: &str,
    args: &A,
    value: u128,
) -> Result<R, ()> {
    let len = codec::with_encoded(args, |input| call(contract, method, input, value))?;
    let buf = heap::take(len);
    if len > 0 {
        unsafe { host::return_data_copy(buf.as_mut_ptr()) };
    }
    let mut reader = codec::Reader::new(buf);
    let result = reader.arg("return data");
    reader.finish();
    Ok(result)
}

/// The return data of the last [`call`], copied into `buf`; aborts if it does not fit.
pub fn return_data(buf: &mut [u8]) -> &[u8] {
    let len = unsafe { host::return_data_len() } as usize;
    require(len <= buf.len(), "return data too large");
    unsafe { host::return_data_copy(buf.as_mut_ptr()) };
    &buf[..len]
}

/// SHA3-256 of `data`.
pub fn sha3_256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    unsafe { host::sha3_256(data.as_ptr(), data.len() as u32, out.as_mut_ptr()) };
    out
}

/// Whether `signature` is a valid ed25519 signature of `message` by `public_key`.
pub fn ed25519_verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    unsafe { host::ed25519_verify(public_key.as_ptr(), message.as_ptr(), message.len() as u32, signature.as_ptr()) == 1 }
}

/// Sets the call's return data.
pub fn ret(data: &[u8]) {
    unsafe { host::set_return(data.as_ptr(), data.len() as u32) }
}

/// Decodes fixed-width arguments in order; aborts on short input.
pub struct Args<'a> {
    rest: &'a [u8],
}

impl<'a> Args<'a> {
    /// Arguments over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Args { rest: input }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        require(self.rest.len() >= n, "missing argument");
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        head
    }

    /// A 20-byte address.
    pub fn address(&mut self) -> Address {
        let mut out = [0u8; 20];
        out.copy_from_slice(self.take(20));
        out
    }

    /// A little-endian `u128`.
    pub fn u128(&mut self) -> u128 {
        let mut out = [0u8; 16];
        out.copy_from_slice(self.take(16));
        u128::from_le_bytes(out)
    }

    /// A little-endian `u64`.
    pub fn u64(&mut self) -> u64 {
        let mut out = [0u8; 8];
        out.copy_from_slice(self.take(8));
        u64::from_le_bytes(out)
    }

    /// A `u32` length then that many bytes.
    pub fn bytes(&mut self) -> &'a [u8] {
        let mut len = [0u8; 4];
        len.copy_from_slice(self.take(4));
        self.take(u32::from_le_bytes(len) as usize)
    }

    /// Aborts unless every byte was read.
    pub fn finish(self) {
        require(self.rest.is_empty(), "too many arguments");
    }
}

/// Builds a storage key `prefix ‖ parts…` in a fixed buffer.
pub struct Key {
    buf: [u8; 64],
    len: usize,
}

impl Key {
    /// A key starting with `prefix`.
    pub fn new(prefix: &[u8]) -> Key {
        let mut key = Key { buf: [0u8; 64], len: 0 };
        key.push(prefix);
        key
    }

    /// Appends bytes.
    pub fn push(&mut self, part: &[u8]) -> &mut Key {
        require(self.buf.len() - self.len >= part.len(), "storage key too long");
        // Safety: the range is inside `buf`, checked above (`len <= buf.len()` always holds).
        unsafe { self.buf.get_unchecked_mut(self.len..self.len + part.len()) }.copy_from_slice(part);
        self.len += part.len();
        self
    }

    /// The key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        // Safety: `len <= buf.len()` always holds (see `push`).
        unsafe { self.buf.get_unchecked(..self.len) }
    }
}

/// Exports contract methods: `entry! { fn name() { … } … }` makes each an exported `extern "C"` function.
#[macro_export]
macro_rules! entry {
    ($(fn $name:ident() $body:block)*) => {
        $(
            #[no_mangle]
            pub extern "C" fn $name() $body
        )*
    };
}

/// Installs the panic handler every `no_std` contract needs: a panic aborts the call with "panic". With the
/// `alloc` feature std handles panics (each method reports the panic's message) and this does nothing.
#[cfg(feature = "alloc")]
#[macro_export]
macro_rules! panic_handler {
    () => {};
}

/// Installs the panic handler every `no_std` contract needs: a panic aborts the call with "panic". With the
/// `alloc` feature std handles panics (each method reports the panic's message) and this does nothing.
#[cfg(not(feature = "alloc"))]
#[macro_export]
macro_rules! panic_handler {
    () => {
        #[panic_handler]
        fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
            $crate::abort("panic")
        }
    };
}

//! The argument and return encoding, the same for every contract and every client (`zr call`, the test kit):
//! integers little-endian at their width, `bool` one byte (0 or 1), an address 20 bytes, a fixed array its
//! items in order, byte strings, strings and lists a `u32` item count then the items, `Option` a tag byte
//! (0 none, 1 some) then the value, a record its fields in order. Nothing is self-describing: the ABI says
//! which types a method takes.

use crate::abort_with;

/// Reads a method's arguments in order; a malformed or missing one aborts the call naming it.
pub struct Reader<'a> {
    rest: &'a [u8],
    /// The argument being read, named in an abort.
    current: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `input`.
    pub fn new(input: &'a [u8]) -> Self {
        Reader { rest: input, current: "" }
    }

    /// The next `n` bytes, or an abort naming the argument.
    #[inline(always)]
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        if self.rest.len() < n {
            self.fail("input ends early");
        }
        // Safety: `n` is within `rest`, checked above (unchecked slicing keeps panic paths out of every
        // method: a contract pays gas for each byte of its code at each call).
        let (head, tail) = unsafe { (self.rest.get_unchecked(..n), self.rest.get_unchecked(n..)) };
        self.rest = tail;
        head
    }

    /// Aborts: argument `current` is malformed, because `why`.
    #[cold]
    #[inline(never)]
    pub fn fail(&self, why: &str) -> ! {
        abort_with(&["argument `", self.current, "` is malformed: ", why])
    }

    /// Decodes the argument called `name`.
    #[inline(always)]
    pub fn arg<T: Decode<'a>>(&mut self, name: &'static str) -> T {
        self.current = name;
        T::decode(self)
    }

    /// Aborts unless every byte was read.
    #[inline(always)]
    pub fn finish(&self) {
        if !self.rest.is_empty() {
            abort_with(&["too many arguments: input has bytes after the last one"]);
        }
    }
}

/// Writes an encoding into a buffer of exactly [`Encode::size`] bytes.
pub struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    /// A writer filling `buf` from its start.
    pub fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Appends bytes.
    #[inline(always)]
    pub fn put(&mut self, bytes: &[u8]) {
        // One comparison keeps this sound even if a size wrapped (a build without overflow checks); the
        // slicing's own checks and panic paths would cost more code, which a contract pays for at every call.
        if self.buf.len() - self.pos < bytes.len() {
            crate::abort("an encoding is larger than its computed size");
        }
        // Safety: the range is inside `buf`, checked above; `pos <= buf.len()` always holds.
        unsafe {
            core::ptr::copy_nonoverlapping(bytes.as_ptr(), self.buf.as_mut_ptr().add(self.pos), bytes.len());
        }
        self.pos += bytes.len();
    }

    /// The bytes written so far.
    pub fn written(&self) -> &[u8] {
        // Safety: `pos` never passes `buf.len()` (see `put`).
        unsafe { self.buf.get_unchecked(..self.pos) }
    }
}

/// A value read from the encoding; it aborts the call (through [`Reader::fail`]) when the bytes are not one.
pub trait Decode<'a>: Sized {
    /// Reads one value.
    fn decode(reader: &mut Reader<'a>) -> Self;

    /// Reads `N` values: item by item, but bytes at once.
    fn decode_array<const N: usize>(reader: &mut Reader<'a>) -> [Self; N] {
        core::array::from_fn(|_| Self::decode(reader))
    }
}

/// A value written in the encoding.
///
/// # Safety
/// `encode` must write exactly `size()` bytes (the writer aborts past its buffer; fewer leave zeros in the
/// encoding). The SDK's impls and the ones its macros generate hold to it.
pub unsafe trait Encode {
    /// Its encoded length in bytes.
    fn size(&self) -> usize;
    /// Writes it.
    fn encode(&self, writer: &mut Writer<'_>);

    /// The encoded length of `items` in a row: item by item, but bytes at once.
    #[inline(always)]
    fn size_of_all(items: &[Self]) -> usize
    where
        Self: Sized,
    {
        items.iter().map(Encode::size).sum()
    }
    /// Writes `items` in a row.
    #[inline(always)]
    fn encode_all(items: &[Self], writer: &mut Writer<'_>)
    where
        Self: Sized,
    {
        for item in items {
            item.encode(writer);
        }
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl<'a> Decode<'a> for $t {
            #[inline(always)]
            fn decode(reader: &mut Reader<'a>) -> Self {
                let mut bytes = [0u8; core::mem::size_of::<$t>()];
                bytes.copy_from_slice(reader.take(core::mem::size_of::<$t>()));
                <$t>::from_le_bytes(bytes)
            }
        }
        unsafe impl Encode for $t {
            #[inline(always)]
            fn size(&self) -> usize {
                core::mem::size_of::<$t>()
            }
            #[inline(always)]
            fn encode(&self, writer: &mut Writer<'_>) {
                writer.put(&self.to_le_bytes());
            }
        }
    )*};
}
integers!(u16, u32, u64, u128, i8, i16, i32, i64, i128);

impl<'a> Decode<'a> for u8 {
    #[inline(always)]
    fn decode(reader: &mut Reader<'a>) -> Self {
        reader.take(1)[0]
    }
    fn decode_array<const N: usize>(reader: &mut Reader<'a>) -> [Self; N] {
        let mut out = [0u8; N];
        out.copy_from_slice(reader.take(N));
        out
    }
}

unsafe impl Encode for u8 {
    #[inline(always)]
    fn size(&self) -> usize {
        1
    }
    #[inline(always)]
    fn encode(&self, writer: &mut Writer<'_>) {
        writer.put(&[*self]);
    }
    #[inline(always)]
    fn size_of_all(items: &[Self]) -> usize {
        items.len()
    }
    #[inline(always)]
    fn encode_all(items: &[Self], writer: &mut Writer<'_>) {
        writer.put(items);
    }
}

impl<'a> Decode<'a> for bool {
    #[inline(always)]
    fn decode(reader: &mut Reader<'a>) -> Self {
        match reader.take(1)[0] {
            0 => false,
            1 => true,
            _ => reader.fail("a bool is the byte 0 or 1"),
        }
    }
}

unsafe impl Encode for bool {
    #[inline(always)]
    fn size(&self) -> usize {
        1
    }
    #[inline(always)]
    fn encode(&self, writer: &mut Writer<'_>) {
        writer.put(&[*self as u8]);
    }
}

impl<'a, T: Decode<'a>, const N: usize> Decode<'a> for [T; N] {
    #[inline(always)]
    fn decode(reader: &mut Reader<'a>) -> Self {
        T::decode_array(reader)
    }
}

unsafe impl<T: Encode, const N: usize> Encode for [T; N] {
    #[inline(always)]
    fn size(&self) -> usize {
        T::size_of_all(self)
    }
    #[inline(always)]
    fn encode(&self, writer: &mut Writer<'_>) {
        T::encode_all(self, writer)
    }
}

/// Reads a `u32` item count.
#[inline(always)]
fn count(reader: &mut Reader<'_>) -> usize {
    u32::decode(reader) as usize
}

impl<'a> Decode<'a> for &'a [u8] {
    #[inline(always)]
    fn decode(reader: &mut Reader<'a>) -> Self {
        let len = count(reader);
        reader.take(len)
    }
}

impl<'a> Decode<'a> for &'a str {
    #[inline(always)]
    fn decode(reader: &mut Reader<'a>) -> Self {
        let bytes = <&[u8]>::decode(reader);
        match core::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => reader.fail("a string must be UTF-8"),
        }
    }
}

unsafe impl<T: Encode> Encode for [T] {
    #[inline(always)]
    fn size(&self) -> usize {
        4 + T::size_of_all(self)
    }
    #[inline(always)]
    fn encode(&self, writer: &mut Writer<'_>) {
        (self.len() as u32).encode(writer);
        T::encode_all(self, writer)
    }
}

unsafe impl Encode for str {
    #[inline(always)]
    fn size(&self) -> usize {
        self.as_bytes().size()
    }
    #[inline(always)]
    fn encode(&self, writer: &mut Writer<'_>) {
        self.as_bytes().encode(writer)
    }
}

unsafe impl<T: Encode + ?Sized> Encode for &T {
    #[inline(always)]
    fn size(&self) -> usize {
        (**self).size()
    }
    #[inline(always)]
    fn encode(&self, writer: &mut Writer<'_>) {
        (**self).encode(writer)
    }
}

impl<'a, T: Decode<'a>> Decode<'a> for Option<T> {
    #[inline(always)]
    fn decode(reader: &mut Reader<'a>) -> Self {
        match reader.take(1)[0] {
            0 => None,
            1 => Some(T::decode(reader)),
            _ => reader.fail("an option's tag is the byte 0 or 1"),
        }
    }
}

unsafe impl<T: Encode> Encode for Option<T> {
    #[inline(always)]
    fn size(&self) -> usize {
        1 + self.as_ref().map_or(0, Encode::size)
    }
    #[inline(always)]
    fn encode(&self, writer: &mut Writer<'_>) {
        match self {
            None => writer.put(&[0]),
            Some(value) => {
                writer.put(&[1]);
                value.encode(writer);
            }
        }
    }
}

unsafe impl Encode for () {
    #[inline(always)]
    fn size(&self) -> usize {
        0
    }
    #[inline(always)]
    fn encode(&self, _: &mut Writer<'_>) {}
}

#[cfg(feature = "alloc")]
mod owned {
    use alloc::string::String;
    use alloc::vec::Vec;

    use super::*;

    impl<'a, T: Decode<'a>> Decode<'a> for Vec<T> {
        #[inline(always)]
        fn decode(reader: &mut Reader<'a>) -> Self {
            let len = count(reader);
            // Each item takes at least one byte of input unless it is zero-sized: bound the allocation by it.
            if core::mem::size_of::<T>() > 0 && len > reader.rest.len() {
                reader.fail("a list is longer than the input");
            }
            (0..len).map(|_| T::decode(reader)).collect()
        }
    }

    impl<'a> Decode<'a> for String {
        #[inline(always)]
        fn decode(reader: &mut Reader<'a>) -> Self {
            String::from(<&str>::decode(reader))
        }
    }

    unsafe impl<T: Encode> Encode for Vec<T> {
        #[inline(always)]
        fn size(&self) -> usize {
            self.as_slice().size()
        }
        #[inline(always)]
        fn encode(&self, writer: &mut Writer<'_>) {
            self.as_slice().encode(writer)
        }
    }

    unsafe impl Encode for String {
        #[inline(always)]
        fn size(&self) -> usize {
            self.as_str().size()
        }
        #[inline(always)]
        fn encode(&self, writer: &mut Writer<'_>) {
            self.as_str().encode(writer)
        }
    }
}

/// Encodes `value` into memory from the call's arena ([`crate::heap`]) and passes the bytes to `use_bytes`.
#[inline(always)]
pub fn with_encoded<T: Encode + ?Sized, R>(value: &T, use_bytes: impl FnOnce(&[u8]) -> R) -> R {
    let mut writer = Writer::new(crate::heap::take(value.size()));
    value.encode(&mut writer);
    use_bytes(writer.written())
}

/// What a method may return: a value, which becomes the call's return data, or a `Result` whose error aborts
/// the call with its message.
pub trait Output {
    /// Sets the return data (or aborts).
    fn finish(self);
}

/// An error a method returns: its message becomes the failed receipt's error.
pub trait ErrorMessage {
    /// The message.
    fn message(&self) -> &str;
}

impl ErrorMessage for &str {
    fn message(&self) -> &str {
        self
    }
}

#[cfg(feature = "alloc")]
impl ErrorMessage for alloc::string::String {
    fn message(&self) -> &str {
        self
    }
}

impl<T: Output, E: ErrorMessage> Output for Result<T, E> {
    #[inline(always)]
    fn finish(self) {
        match self {
            Ok(value) => value.finish(),
            Err(error) => crate::abort(error.message()),
        }
    }
}

impl Output for () {
    #[inline(always)]
    fn finish(self) {}
}

/// Implements [`Output`] for types that encode: their encoding is the return data.
#[macro_export]
macro_rules! returns_encoded {
    ($($t:ty),* $(,)?) => {$(
        impl $crate::codec::Output for $t {
            fn finish(self) {
                $crate::codec::with_encoded(&self, $crate::ret)
            }
        }
    )*};
}
returns_encoded!(&[u8], &str);

macro_rules! returns_integer {
    ($($t:ty),*) => {$(
        impl Output for $t {
            #[inline(always)]
            fn finish(self) {
                crate::ret(&self.to_le_bytes())
            }
        }
    )*};
}
returns_integer!(u8, u16, u32, u64, u128, i8, i16, i32, i64, i128);

impl Output for bool {
    #[inline(always)]
    fn finish(self) {
        crate::ret(&[self as u8])
    }
}

impl<T: Encode, const N: usize> Output for [T; N] {
    #[inline(always)]
    fn finish(self) {
        with_encoded(&self, crate::ret)
    }
}

impl<T: Encode> Output for Option<T> {
    #[inline(always)]
    fn finish(self) {
        with_encoded(&self, crate::ret)
    }
}

#[cfg(feature = "alloc")]
returns_encoded!(alloc::string::String);

#[cfg(feature = "alloc")]
impl<T: Encode> Output for alloc::vec::Vec<T> {
    #[inline(always)]
    fn finish(self) {
        with_encoded(&self, crate::ret)
    }
}

macro_rules! tuples {
    ($(($($name:ident),+))*) => {$(
        #[allow(non_snake_case)]
        unsafe impl<$($name: Encode),+> Encode for ($($name,)+) {
            #[inline(always)]
            fn size(&self) -> usize {
                let ($($name,)+) = self;
                0 $(+ $name.size())+
            }
            #[inline(always)]
            fn encode(&self, writer: &mut Writer<'_>) {
                let ($($name,)+) = self;
                $($name.encode(writer);)+
            }
        }
        impl<$($name: Encode),+> Output for ($($name,)+) {
            fn finish(self) {
                with_encoded(&self, crate::ret)
            }
        }
        impl<'a, $($name: Decode<'a>),+> Decode<'a> for ($($name,)+) {
            #[inline(always)]
            fn decode(reader: &mut Reader<'a>) -> Self {
                ($($name::decode(reader),)+)
            }
        }
    )*};
}
tuples!((A) (A, B) (A, B, C) (A, B, C, D) (A, B, C, D, E) (A, B, C, D, E, F));

impl<'a> Decode<'a> for () {
    #[inline(always)]
    fn decode(_: &mut Reader<'a>) -> Self {}
}

//! The contract's ABI, which the macros write into the wasm custom section `zr_abi`: one JSON object a line,
//! each a method (`{"kind":"method","name":…,"view":…,"inputs":[{"name":…,"type":…}],"output":…}`), an
//! event (`{"kind":"event","name":…,"fields":[…]}`) or a record type (`{"kind":"type","name":…,"fields":[…]}`).
//! Types are written as in Rust (`u128`, `Address`, `[u8; 32]`, `&str`, `Vec<u64>`, `Option<T>`, a record's
//! name); a `Result<T, E>` output returns `T`. The linker concatenates every line into one section; the VM
//! checks it at upload and the RPC serves it.

/// The bytes of `text` as an array, to place a `concat!`ed line in a static.
pub const fn bytes<const N: usize>(text: &str) -> [u8; N] {
    let source = text.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = source[i];
        i += 1;
    }
    out
}

/// Places one ABI line (a string literal) in the `zr_abi` section.
#[doc(hidden)]
#[macro_export]
macro_rules! __abi_line {
    ($line:expr) => {
        const _: () = {
            const LINE: &str = $line;
            #[link_section = "zr_abi"]
            #[used]
            static ABI_LINE: [u8; LINE.len()] = $crate::abi::bytes(LINE);
        };
    };
}

/// `{"name":…,"type":…}` items, comma-separated, as one string literal.
#[doc(hidden)]
#[macro_export]
macro_rules! __abi_fields {
    () => { "" };
    ($name:ident : $ty:ty $(, $rest_name:ident : $rest_ty:ty)*) => {
        concat!(
            "{\"name\":\"", stringify!($name), "\",\"type\":\"", stringify!($ty), "\"}"
            $(, ",{\"name\":\"", stringify!($rest_name), "\",\"type\":\"", stringify!($rest_ty), "\"}")*
        )
    };
}

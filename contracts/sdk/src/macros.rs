//! The macros that turn plain Rust into a contract: [`contract!`](crate::contract) (methods),
//! [`events!`](crate::events) and [`record!`](crate::record) (composite types). Each writes its part of the
//! ABI next to the code it generates, so the ABI cannot drift from the methods.

/// Declares the contract's methods as plain functions with typed parameters and results.
///
/// ```ignore
/// zr_sdk::contract! {
///     /// Moves tokens from the caller to `to`.
///     pub fn transfer(to: Address, amount: u128) -> Result<(), &'static str> { … }
///
///     #[view]
///     pub fn balance(owner: Address) -> u128 { … }
/// }
/// ```
///
/// For each function it exports a wasm method of the same name that decodes the arguments (aborting with the
/// argument's name when one is malformed or missing, or when input is left over), calls the function and
/// encodes its result as the return data; an `Err` aborts the call with its message. `#[view]` (first among
/// the attributes) marks a read-only method: the ABI says so and any write in it aborts the call. The
/// functions stay ordinary Rust functions that the contract's own code may call.
#[macro_export]
macro_rules! contract {
    ($($items:tt)*) => {
        $crate::__contract_items!([] [] $($items)*);
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __contract_items {
    ([$($attrs:tt)*] [$($view:tt)*] #[view] $($rest:tt)*) => {
        $crate::__contract_items!([$($attrs)*] [view] $($rest)*);
    };
    ([$($attrs:tt)*] [$($view:tt)*] #[$meta:meta] $($rest:tt)*) => {
        $crate::__contract_items!([$($attrs)* #[$meta]] [$($view)*] $($rest)*);
    };
    (
        [$($attrs:tt)*] [$($view:tt)*]
        $vis:vis fn $name:ident ($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block
        $($rest:tt)*
    ) => {
        $($attrs)*
        $vis fn $name($($arg: $ty),*) $(-> $ret)? $body

        const _: () = {
            #[export_name = stringify!($name)]
            extern "C" fn export() {
                #[allow(unused_mut)]
                let mut reader = $crate::__begin($crate::__is_view!($($view)*));
                $(let $arg: $ty = reader.arg(stringify!($arg));)*
                reader.finish();
                $crate::codec::Output::finish($name($($arg),*));
            }
        };
        $crate::__abi_line!(concat!(
            "{\"kind\":\"method\",\"name\":\"", stringify!($name),
            "\",\"view\":", $crate::__is_view!($($view)*),
            ",\"inputs\":[", $crate::__abi_fields!($($arg: $ty),*),
            "],\"output\":\"", $crate::__abi_output!($($ret)?), "\"}\n"
        ));

        $crate::__contract_items!([] [] $($rest)*);
    };
    ([] []) => {};
}

#[doc(hidden)]
#[macro_export]
macro_rules! __is_view {
    (view) => {
        true
    };
    () => {
        false
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __abi_output {
    () => {
        "()"
    };
    ($ret:ty) => {
        stringify!($ret)
    };
}

/// Declares events: each becomes a struct with public fields and an `emit` method, whose topic is the
/// event's name and whose data is the fields encoded in order.
///
/// ```ignore
/// zr_sdk::events! {
///     /// Tokens moved.
///     Transfer { from: Address, to: Address, amount: u128 }
/// }
/// Transfer { from, to, amount }.emit();
/// ```
#[macro_export]
macro_rules! events {
    ($($(#[$meta:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? })*) => {$(
        $(#[$meta])*
        pub struct $name {
            $(#[allow(missing_docs)] pub $field: $ty),*
        }

        // Safety: `encode` writes each field, `size` adds up the same fields.
        unsafe impl $crate::codec::Encode for $name {
            fn size(&self) -> usize {
                0 $(+ $crate::codec::Encode::size(&self.$field))*
            }
            fn encode(&self, _writer: &mut $crate::codec::Writer<'_>) {
                $($crate::codec::Encode::encode(&self.$field, _writer);)*
            }
        }

        impl $name {
            /// Emits the event into the receipt.
            pub fn emit(&self) {
                $crate::codec::with_encoded(self, |data| $crate::emit(stringify!($name).as_bytes(), data))
            }
        }

        $crate::__abi_line!(concat!(
            "{\"kind\":\"event\",\"name\":\"", stringify!($name),
            "\",\"fields\":[", $crate::__abi_fields!($($field: $ty),*), "]}\n"
        ));
    )*};
}

/// Declares composite types that methods take and return: each struct encodes as its fields in order, and
/// the ABI describes it by name.
///
/// ```ignore
/// zr_sdk::record! {
///     pub struct Proposal { pub to: Address, pub amount: u128, pub approvals: u32 }
/// }
/// ```
#[macro_export]
macro_rules! record {
    ($($(#[$meta:meta])* $vis:vis struct $name:ident { $($fvis:vis $field:ident : $ty:ty),* $(,)? })*) => {$(
        $(#[$meta])*
        $vis struct $name {
            $($fvis $field: $ty),*
        }

        // Safety: `encode` writes each field, `size` adds up the same fields.
        unsafe impl $crate::codec::Encode for $name {
            fn size(&self) -> usize {
                0 $(+ $crate::codec::Encode::size(&self.$field))*
            }
            fn encode(&self, _writer: &mut $crate::codec::Writer<'_>) {
                $($crate::codec::Encode::encode(&self.$field, _writer);)*
            }
        }

        impl<'a> $crate::codec::Decode<'a> for $name {
            fn decode(_reader: &mut $crate::codec::Reader<'a>) -> Self {
                $name { $($field: $crate::codec::Decode::decode(_reader)),* }
            }
        }

        impl $crate::codec::Output for $name {
            fn finish(self) {
                $crate::codec::with_encoded(&self, $crate::ret)
            }
        }

        $crate::__abi_line!(concat!(
            "{\"kind\":\"type\",\"name\":\"", stringify!($name),
            "\",\"fields\":[", $crate::__abi_fields!($($field: $ty),*), "]}\n"
        ));
    )*};
}

//! Fixed-size byte arrays with hex text forms, shared by hashes, keys and signatures.

use crate::ParseError;

/// Parses `text` as lowercase or uppercase hex (an optional `0x` prefix is accepted) of exactly `N` bytes.
pub fn parse_hex_array<const N: usize>(what: &'static str, text: &str) -> Result<[u8; N], ParseError> {
    let raw = parse_hex(what, text)?;
    raw.as_slice().try_into().map_err(|_| ParseError::Length { what, expected: N, actual: raw.len() })
}

/// Parses `text` as hex of any even length (an optional `0x` prefix is accepted).
pub fn parse_hex(what: &'static str, text: &str) -> Result<Vec<u8>, ParseError> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    hex::decode(text).map_err(|e| ParseError::Hex { what, reason: e.to_string() })
}

/// Defines a newtype over `[u8; N]` with hex `Display`/`FromStr`, hex serde and the canonical codec.
macro_rules! hex_bytes_newtype {
    ($(#[$meta:meta])* $name:ident, $len:expr, $what:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, bincode::Encode, bincode::Decode)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// The length in bytes.
            pub const LEN: usize = $len;

            /// The raw bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Builds the value from a slice of exactly the right length.
            pub fn from_slice(bytes: &[u8]) -> Result<Self, $crate::ParseError> {
                bytes.try_into().map(Self).map_err(|_| $crate::ParseError::Length {
                    what: $what,
                    expected: $len,
                    actual: bytes.len(),
                })
            }

            /// Lowercase hex, as NoM prints it.
            pub fn to_hex(&self) -> String {
                hex::encode(self.0)
            }
        }

        impl AsRef<[u8]> for $name {
            fn as_ref(&self) -> &[u8] {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), hex::encode(self.0))
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::ParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::bytes::parse_hex_array::<$len>($what, s).map(Self)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&hex::encode(self.0))
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use hex_bytes_newtype;

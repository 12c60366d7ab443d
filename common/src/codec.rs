//! The canonical codec: the one byte format for everything hashed, signed, stored or sent.
//!
//! bincode `=2.0.1` with `config::legacy()`: fixed-width little-endian integers, u64 length prefixes,
//! u32 enum tags — the byte format of bincode 1 and of wincode, its maintained successor. This module is
//! the only place that names bincode, so moving to wincode touches nothing else.
//!
//! Decoding is strict: the input must not exceed the type's size limit, must be consumed whole, and must
//! re-encode to exactly the same bytes, so one value has one encoding and one hash.

use bincode::config::{self, Configuration, Fixint, LittleEndian, NoLimit};
use bincode::{Decode, Encode};

/// The largest input any decode accepts, whatever the type: it bounds what a length prefix may make
/// the decoder allocate.
pub const GLOBAL_DECODE_LIMIT: usize = 8 * 1024 * 1024;

type Legacy = Configuration<LittleEndian, Fixint, NoLimit>;

fn legacy() -> Legacy {
    config::legacy()
}

/// Decoding untrusted bytes failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The input is longer than the type allows.
    #[error("{what}: encoding is {actual} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The type being decoded.
        what: &'static str,
        /// Its size limit.
        limit: usize,
        /// The input size.
        actual: usize,
    },
    /// The bytes are not a valid encoding (truncated, a bad tag, invalid UTF-8, …).
    #[error("{what}: malformed encoding: {reason}")]
    Malformed {
        /// The type being decoded.
        what: &'static str,
        /// The decoder's reason.
        reason: String,
    },
    /// Bytes were left after the value.
    #[error("{what}: {trailing} trailing bytes after the value")]
    TrailingBytes {
        /// The type being decoded.
        what: &'static str,
        /// How many bytes were left.
        trailing: usize,
    },
    /// The value decodes but does not re-encode to the same bytes.
    #[error("{what}: non-canonical encoding")]
    NonCanonical {
        /// The type being decoded.
        what: &'static str,
    },
}

/// Encodes `value` in the canonical format.
pub fn encode<T: Encode>(value: &T) -> Vec<u8> {
    // Encoding into a Vec cannot fail for the plain data types this crate defines.
    bincode::encode_to_vec(value, legacy()).expect("canonical encoding into a Vec never fails")
}

/// The length of `value`'s canonical encoding, counted without building it.
pub fn encoded_len<T: Encode>(value: &T) -> usize {
    let mut size = bincode::enc::write::SizeWriter::default();
    bincode::encode_into_writer(value, &mut size, legacy()).expect("counting an encoding never fails");
    size.bytes_written
}

/// Decodes a `T` from exactly `bytes`, at most `limit` bytes long.
pub fn decode<T: Encode + Decode<()>>(what: &'static str, bytes: &[u8], limit: usize) -> Result<T, CodecError> {
    let limit = limit.min(GLOBAL_DECODE_LIMIT);
    if bytes.len() > limit {
        return Err(CodecError::TooLarge { what, limit, actual: bytes.len() });
    }
    let (value, read): (T, usize) = bincode::decode_from_slice(bytes, legacy().with_limit::<GLOBAL_DECODE_LIMIT>())
        .map_err(|e| CodecError::Malformed { what, reason: e.to_string() })?;
    if read != bytes.len() {
        return Err(CodecError::TrailingBytes { what, trailing: bytes.len() - read });
    }
    if encode(&value) != bytes {
        return Err(CodecError::NonCanonical { what });
    }
    Ok(value)
}

/// The largest record a node stores and reads back whole (the settlement state, which may hold tens of MiB of
/// challenges): 1 GiB.
pub const STORED_DECODE_LIMIT: usize = 1 << 30;

/// [`decode`] of a node's own stored state, which may be larger than anything accepted from outside.
pub fn decode_stored<T: Encode + Decode<()>>(what: &'static str, bytes: &[u8]) -> Result<T, CodecError> {
    if bytes.len() > STORED_DECODE_LIMIT {
        return Err(CodecError::TooLarge { what, limit: STORED_DECODE_LIMIT, actual: bytes.len() });
    }
    let (value, read): (T, usize) = bincode::decode_from_slice(bytes, legacy().with_limit::<STORED_DECODE_LIMIT>())
        .map_err(|e| CodecError::Malformed { what, reason: e.to_string() })?;
    if read != bytes.len() {
        return Err(CodecError::TrailingBytes { what, trailing: bytes.len() - read });
    }
    Ok(value)
}

/// A type with one canonical byte encoding.
pub trait Canonical: Encode + Decode<()> + Sized {
    /// The type's name in error messages.
    const NAME: &'static str;
    /// The longest encoding accepted when decoding.
    const MAX_ENCODED_LEN: usize;

    /// The canonical bytes.
    fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Strictly decodes the canonical bytes.
    fn from_bytes(bytes: &[u8]) -> Result<Self, CodecError> {
        decode(Self::NAME, bytes, Self::MAX_ENCODED_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Encode, Decode)]
    struct Sample {
        a: u64,
        b: Vec<u8>,
        c: bool,
    }

    impl Canonical for Sample {
        const NAME: &'static str = "sample";
        const MAX_ENCODED_LEN: usize = 64;
    }

    #[test]
    fn legacy_layout() {
        let bytes = Sample { a: 1, b: vec![9], c: true }.to_bytes();
        assert_eq!(hex::encode(&bytes), "0100000000000000".to_owned() + "0100000000000000" + "09" + "01");
    }

    #[test]
    fn rejects_trailing_truncated_oversized_and_noncanonical() {
        let good = Sample { a: 1, b: vec![9], c: true }.to_bytes();
        let mut trailing = good.clone();
        trailing.push(0);
        assert_eq!(Sample::from_bytes(&trailing), Err(CodecError::TrailingBytes { what: "sample", trailing: 1 }));
        assert!(matches!(Sample::from_bytes(&good[..good.len() - 1]), Err(CodecError::Malformed { .. })));
        assert!(matches!(Sample::from_bytes(&[0; 65]), Err(CodecError::TooLarge { .. })));
        let mut bad_bool = good.clone();
        *bad_bool.last_mut().unwrap() = 2;
        assert!(matches!(Sample::from_bytes(&bad_bool), Err(CodecError::Malformed { .. })));
    }

    #[test]
    fn huge_length_prefix_does_not_allocate() {
        let mut bytes = vec![0u8; 8];
        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(Sample::from_bytes(&bytes), Err(CodecError::Malformed { .. })));
    }
}

//! Primitives every zrollup crate shares.
//!
//! This crate owns the byte-exact NoM (go-zenon) primitives the rollup must match — SHA3-256 hashes,
//! ed25519 keys and SLIP-10 derivation, `z1…` addresses and `zts1…` token standards, account-block and
//! momentum hashing, PoW — and the rollup's own types (transaction, bundle, receipt, claim) with the one
//! canonical codec used for everything hashed, signed, stored or sent.

pub mod abi;
pub mod address;
pub mod bytes;
pub mod codec;
pub mod daemon;
pub mod error;
pub mod hash;
pub mod json;
pub mod keys;
pub mod lifecycle;
pub mod metrics;
pub mod mnemonic;
pub mod nom;
pub mod rate;
pub mod rollup;
pub mod token;

pub use address::{Address, AddressKind};
pub use codec::{Canonical, CodecError};
pub use error::ParseError;
pub use hash::{Hash, sha3_256};
pub use keys::{KeyPair, PublicKey, Signature, SignatureBatch};
pub use token::TokenStandard;

//! What the rollup inbox's L1 data says, as pure functions of it: the payload tags and their encodings
//! (bundles, claims, bonds, challenge parts, withdrawal proofs, data-availability challenges, leaves parts) and
//! the canonical ordering rule that turns a momentum's inbox blocks into the rollup's transactions. No I/O: the
//! settlement and the C library the go-zenon spork links use it without `zr-sequencing`'s L1 client.

pub mod bundle;
pub mod order;
#[cfg(test)]
mod rulebook;

pub use order::{
    Ordered, Sequenced, Signatures, Verified, bundle_signatures, canonical_order, locks_amount, order_verified,
    sender_rank, verify_inbox, verify_inbox_with,
};

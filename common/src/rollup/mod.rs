//! The rollup's own objects: transactions, bundles, receipts and claims, with their signing hashes.
//!
//! Each hashed type derives the canonical codec (see [`crate::codec`]); serde derives give the JSON-RPC
//! shape only and never touch the hashed bytes.

mod bundle;
mod claim;
pub mod limits;
mod receipt;
pub mod samples;
pub mod settlement;
mod transaction;

pub use bundle::{Bundle, BundleBody};
pub use claim::{Claim, ClaimBody};
pub use receipt::{DropReason, Event, Receipt, ReceiptStatus};
pub use transaction::{Transaction, TxBody, TxError, TxKind};

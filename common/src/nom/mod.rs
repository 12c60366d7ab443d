//! NoM (go-zenon) ledger objects — account blocks, momentums — hashed and signed byte for byte as go-zenon
//! does, with znnd's JSON shapes; PoW and plasma rules.

mod account_block;
mod momentum;
pub mod plasma;
pub mod pow;
pub mod rpc;

pub use account_block::{AccountBlock, BlockType, HashHeight};
pub use momentum::{AccountHeader, Momentum};

/// Account blocks per momentum, at most.
pub const MAX_BLOCKS_PER_MOMENTUM: usize = 100;
/// An account block's `data`, at most.
pub const MAX_DATA_LEN: usize = 16 * 1024;
/// The version field of blocks and momentums.
pub const VERSION: u64 = 1;

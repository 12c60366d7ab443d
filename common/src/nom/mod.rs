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

/// go-zenon's `publicKey` and `signature` fields of an object whose hash is `hash`, signed by `key`: account
/// blocks and momentums carry them the same way, as byte strings.
fn signature_fields(key: &crate::KeyPair, hash: &crate::Hash) -> (Vec<u8>, Vec<u8>) {
    (key.public().0.to_vec(), key.sign(hash).0.to_vec())
}

//! What a follower checks of each momentum a node hands it, before anything uses it: the momentum's hash,
//! its producer's signature, the link to the momentum before it (the seed of the sender ranking), and that
//! its blocks are exactly the ones its content lists, each hashing to its header.

use zr_common::Hash;
use zr_common::nom::rpc::DetailedMomentum;

/// The height of the genesis momentum.
const GENESIS_HEIGHT: u64 = 1;

/// A momentum from the node does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MomentumError {
    /// The hash is not the hash of the momentum's fields.
    #[error("momentum {height}: hash {claimed} is not its computed hash {computed}")]
    Hash {
        /// The height.
        height: u64,
        /// The hash given.
        claimed: Hash,
        /// The hash computed.
        computed: Hash,
    },
    /// No producer key, or a signature that does not verify.
    #[error("momentum {height}: producer signature does not verify")]
    Signature {
        /// The height.
        height: u64,
    },
    /// `previousHash` is not the hash of the momentum before.
    #[error("momentum {height}: previous hash {claimed} is not {expected}, the momentum before it")]
    Link {
        /// The height.
        height: u64,
        /// The previous hash given.
        claimed: Hash,
        /// The hash of the momentum before.
        expected: Hash,
    },
    /// The blocks are not the content the momentum lists.
    #[error("momentum {height}: its blocks are not the content it lists ({reason})")]
    Content {
        /// The height.
        height: u64,
        /// What differs.
        reason: String,
    },
}

/// Checks `detailed`; `previous` is the hash of the momentum before it, when known.
pub fn check_momentum(detailed: &DetailedMomentum, previous: Option<&Hash>) -> Result<(), MomentumError> {
    let m = &detailed.momentum.momentum;
    let height = m.height;
    let computed = m.compute_hash();
    if computed != m.hash {
        return Err(MomentumError::Hash { height, claimed: m.hash, computed });
    }
    // The genesis momentum is nobody's to sign (as in go-zenon); it is fixed by the chain's genesis.
    let signature = zr_common::Signature::from_slice(&m.signature).ok();
    match (m.producer_key(), signature) {
        _ if height == GENESIS_HEIGHT => {}
        (Some(key), Some(signature)) if key.verify(&m.hash, &signature).is_ok() => {}
        _ => return Err(MomentumError::Signature { height }),
    }
    if let Some(expected) = previous
        && *expected != m.previous_hash
    {
        return Err(MomentumError::Link { height, claimed: m.previous_hash, expected: *expected });
    }
    if detailed.blocks.len() != m.content.len() {
        let reason = format!("{} blocks for {} content entries", detailed.blocks.len(), m.content.len());
        return Err(MomentumError::Content { height, reason });
    }
    for (block, header) in detailed.blocks.iter().map(|b| &b.block).zip(&m.content) {
        if block.compute_hash() != block.hash || block.header() != *header {
            return Err(MomentumError::Content { height, reason: format!("block {} differs", block.hash) });
        }
    }
    Ok(())
}

//! L1 errors.

/// Talking to the L1 failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum L1Error {
    /// The node could not be reached, or the connection broke.
    #[error("L1 unreachable at {endpoint}: {reason}")]
    Transport {
        /// The endpoint.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// The node answered with a JSON-RPC error.
    #[error("L1 refused {method}: {message} (code {code})")]
    Rpc {
        /// The method called.
        method: String,
        /// The JSON-RPC error code.
        code: i64,
        /// The node's message.
        message: String,
    },
    /// The node's answer did not have the expected shape.
    #[error("unexpected answer to {method}: {reason}")]
    Decode {
        /// The method called.
        method: String,
        /// What was wrong.
        reason: String,
    },
    /// The answer was larger than this client reads.
    #[error("the answer to {method} is larger than {limit} bytes")]
    TooLarge {
        /// The method called.
        method: String,
        /// The limit.
        limit: usize,
    },
    /// The node refused a published block.
    #[error("L1 refused the block: {message}")]
    Refused {
        /// What kind of refusal, for callers that wait or fix.
        reason: Refusal,
        /// The node's message.
        message: String,
    },
    /// The account's fused plasma does not cover the block and PoW cannot pay that much.
    #[error(
        "{address} has {available} plasma, the block needs {required}, more than PoW can pay: fuse QSR to it \
         (1 QSR gives 2100 plasma) or wait for its unconfirmed blocks to be confirmed"
    )]
    NeedsFusedPlasma {
        /// The account.
        address: zr_common::Address,
        /// Plasma it has now.
        available: u64,
        /// Plasma the block needs.
        required: u64,
    },
    /// The request cannot be made as asked.
    #[error("{0}")]
    Invalid(String),
}

/// Why a node refused a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The plasma paid (fused + PoW) is not enough, or the account's plasma is in use: waiting for the next
    /// momentum frees plasma held by unconfirmed blocks.
    Plasma,
    /// The account has as many unconfirmed blocks as the node allows: wait for the next momentum.
    Unconfirmed,
    /// Anything else (a bad hash, signature, height, …): posting again as is will not help.
    Invalid,
}

impl Refusal {
    /// Classifies a go-zenon (or devnet) refusal message: JSON-RPC errors from znnd carry only text, so the
    /// text is read here, at the adapter, and nowhere else.
    pub fn of_message(message: &str) -> Refusal {
        let message = message.to_ascii_lowercase();
        if message.contains("plasma") {
            Refusal::Plasma
        } else if message.contains("unconfirmed") || message.contains("uncommitted") {
            Refusal::Unconfirmed
        } else {
            Refusal::Invalid
        }
    }
}

impl L1Error {
    /// Whether retrying later may succeed (the node was unreachable), as opposed to a refusal.
    pub fn is_transient(&self) -> bool {
        matches!(self, L1Error::Transport { .. })
    }

    /// Whether the block may be accepted if posted again after the next momentum (plasma held by
    /// unconfirmed blocks comes back, the unconfirmed-block limit clears).
    pub fn clears_with_next_momentum(&self) -> bool {
        matches!(
            self,
            L1Error::Refused { reason: Refusal::Plasma | Refusal::Unconfirmed, .. } | L1Error::NeedsFusedPlasma { .. }
        )
    }
}

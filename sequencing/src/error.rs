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
    /// The request cannot be made as asked.
    #[error("{0}")]
    Invalid(String),
}

impl L1Error {
    /// Whether retrying later may succeed (the node was unreachable), as opposed to a refusal.
    pub fn is_transient(&self) -> bool {
        matches!(self, L1Error::Transport { .. })
    }
}

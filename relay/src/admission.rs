//! Admission: what a transaction must be to enter the mempool, and the refusals, each with a stable
//! JSON-RPC code (`zr_rpc_api::codes::rejected`) and a message naming the reason.

use jsonrpsee::types::ErrorObjectOwned;
use zr_common::rollup::{Transaction, TxError, limits};
use zr_common::{Canonical, Hash};
use zr_rpc_api::codes::rejected;

/// Why a transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Not hex of a canonical transaction.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// Another rollup's.
    #[error("wrong chain id: this relay serves chain {expected}, the transaction is for {actual}")]
    WrongChain {
        /// This rollup's id.
        expected: u64,
        /// The transaction's.
        actual: u64,
    },
    /// The signature does not verify.
    #[error("bad signature: {0}")]
    BadSignature(String),
    /// A field or the gas limit is out of bounds.
    #[error("outside the protocol's limits: {0}")]
    Limits(String),
    /// The fee is below the relay's minimum.
    #[error("fee per gas {offered} is below this relay's minimum of {min}")]
    FeeTooLow {
        /// The relay's minimum.
        min: u64,
        /// The transaction's.
        offered: u64,
    },
    /// The nonce is used.
    #[error("nonce too low: the account's next nonce is {expected}")]
    NonceTooLow {
        /// The account's next nonce.
        expected: u64,
    },
    /// The nonce is too far ahead.
    #[error("nonce too high: the account's next nonce is {expected}; this relay queues nonces up to {max}")]
    NonceTooHigh {
        /// The account's next nonce.
        expected: u64,
        /// The highest nonce queued.
        max: u64,
    },
    /// The sender cannot pay the maximum fee.
    #[error(
        "insufficient funds: its maximum fee (gas limit × fee per gas) with those of the sender's transactions held \
         before it is {needs}, the account has {has} ZNN"
    )]
    InsufficientFunds {
        /// The maximum fee, smallest unit.
        needs: u128,
        /// The sender's ZNN, smallest unit.
        has: u128,
    },
    /// The sender holds the most transactions allowed.
    #[error("the sender already has {cap} transactions in this relay's mempool")]
    SenderFull {
        /// The cap.
        cap: usize,
    },
    /// The pool is full of better-paying transactions.
    #[error("the mempool is full ({cap} transactions) of transactions paying at least as much")]
    PoolFull {
        /// The cap.
        cap: usize,
    },
    /// A same-nonce transaction is held and this one does not pay enough more.
    #[error("replacement refused: {reason}")]
    Underpriced {
        /// Why.
        reason: String,
    },
    /// Already held or done.
    #[error("transaction {hash} is already known")]
    Known {
        /// Its hash.
        hash: Hash,
    },
    /// The same transaction arrived a moment earlier and its write has not committed yet (a user sending it
    /// again waits for that write: see `Relay::admit`).
    #[error("the relay cannot admit transactions right now: {hash} is being stored; ask again shortly")]
    BeingStored {
        /// Its hash.
        hash: Hash,
    },
    /// The relay cannot check the transaction now (its executor is unreachable, its store failed).
    #[error("the relay cannot admit transactions right now: {0}")]
    Unavailable(String),
}

impl Rejection {
    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            Rejection::Malformed(_) => rejected::MALFORMED,
            Rejection::WrongChain { .. } => rejected::WRONG_CHAIN,
            Rejection::BadSignature(_) => rejected::BAD_SIGNATURE,
            Rejection::Limits(_) => rejected::LIMITS,
            Rejection::FeeTooLow { .. } => rejected::FEE_TOO_LOW,
            Rejection::NonceTooLow { .. } => rejected::NONCE_TOO_LOW,
            Rejection::NonceTooHigh { .. } => rejected::NONCE_TOO_HIGH,
            Rejection::InsufficientFunds { .. } => rejected::INSUFFICIENT_FUNDS,
            Rejection::SenderFull { .. } => rejected::SENDER_FULL,
            Rejection::PoolFull { .. } => rejected::POOL_FULL,
            Rejection::Underpriced { .. } => rejected::UNDERPRICED,
            Rejection::Known { .. } => rejected::KNOWN,
            Rejection::BeingStored { .. } | Rejection::Unavailable(_) => zr_rpc_api::codes::SERVER_ERROR,
        }
    }

    /// Every [`Rejection::label`], so metrics can show each reason from zero.
    pub const LABELS: [&'static str; 13] = [
        "malformed",
        "wrong_chain",
        "bad_signature",
        "limits",
        "fee_too_low",
        "nonce_too_low",
        "nonce_too_high",
        "insufficient_funds",
        "sender_full",
        "pool_full",
        "underpriced",
        "known",
        "unavailable",
    ];

    /// A short name for metrics labels.
    pub fn label(&self) -> &'static str {
        match self {
            Rejection::Malformed(_) => "malformed",
            Rejection::WrongChain { .. } => "wrong_chain",
            Rejection::BadSignature(_) => "bad_signature",
            Rejection::Limits(_) => "limits",
            Rejection::FeeTooLow { .. } => "fee_too_low",
            Rejection::NonceTooLow { .. } => "nonce_too_low",
            Rejection::NonceTooHigh { .. } => "nonce_too_high",
            Rejection::InsufficientFunds { .. } => "insufficient_funds",
            Rejection::SenderFull { .. } => "sender_full",
            Rejection::PoolFull { .. } => "pool_full",
            Rejection::Underpriced { .. } => "underpriced",
            Rejection::Known { .. } => "known",
            Rejection::BeingStored { .. } | Rejection::Unavailable(_) => "unavailable",
        }
    }
}

impl From<Rejection> for ErrorObjectOwned {
    fn from(rejection: Rejection) -> Self {
        let data = match &rejection {
            Rejection::NonceTooLow { expected } | Rejection::NonceTooHigh { expected, .. } => {
                Some(serde_json::json!({ "expected": expected }))
            }
            Rejection::Known { hash } => Some(serde_json::json!({ "hash": hash })),
            _ => None,
        };
        ErrorObjectOwned::owned(rejection.code(), rejection.to_string(), data)
    }
}

/// Decodes and checks a transaction on its own: hex, canonical encoding, chain id, the protocol's field
/// and gas bounds, the relay's minimum fee, and the signature. Returns it with its hash.
pub fn check_alone(hex_tx: &str, chain_id: u64, min_fee_per_gas: u64) -> Result<(Transaction, Hash), Rejection> {
    let hex_tx = hex_tx.strip_prefix("0x").unwrap_or(hex_tx);
    if hex_tx.len() > 2 * limits::MAX_TX_LEN {
        return Err(Rejection::Malformed(format!(
            "{} hex digits, more than a transaction's {} bytes",
            hex_tx.len(),
            limits::MAX_TX_LEN
        )));
    }
    let bytes = hex::decode(hex_tx).map_err(|e| Rejection::Malformed(format!("not hex: {e}")))?;
    check_bytes(&bytes, chain_id, min_fee_per_gas)
}

/// [`check_alone`] of a transaction's canonical bytes (as gossip carries them).
pub fn check_bytes(bytes: &[u8], chain_id: u64, min_fee_per_gas: u64) -> Result<(Transaction, Hash), Rejection> {
    let tx = Transaction::from_bytes(bytes).map_err(|e| Rejection::Malformed(e.to_string()))?;
    zr_protocol::check_transaction(&tx, chain_id).map_err(|e| match e {
        TxError::WrongChain { expected, actual } => Rejection::WrongChain { expected, actual },
        TxError::Limit(reason) => Rejection::Limits(reason),
        TxError::Signature(e) => Rejection::BadSignature(e.to_string()),
        TxError::Codec(e) => Rejection::Malformed(e.to_string()),
    })?;
    if tx.body.fee_per_gas < min_fee_per_gas {
        return Err(Rejection::FeeTooLow { min: min_fee_per_gas, offered: tx.body.fee_per_gas });
    }
    let hash = tx.hash();
    tx.body.sender.verify_rollup(&hash, &tx.signature).map_err(|e| Rejection::BadSignature(e.to_string()))?;
    Ok((tx, hash))
}

/// The hash of a hex-encoded transaction, if it decodes (to name what was refused).
pub fn hash_of_hex(hex_tx: &str) -> Option<Hash> {
    let bytes = hex::decode(hex_tx.strip_prefix("0x").unwrap_or(hex_tx)).ok()?;
    Transaction::from_bytes(&bytes).ok().map(|tx| tx.hash())
}

#[cfg(test)]
mod tests {
    use super::*;
    use zr_common::KeyPair;
    use zr_common::rollup::{TxBody, TxKind};

    fn signed(chain_id: u64, fee_per_gas: u64, gas_limit: u64) -> Transaction {
        let key = KeyPair::from_seed(&[4; 32]);
        let kind = TxKind::Transfer { to: key.address(), token: zr_common::TokenStandard::ZNN, amount: 1 };
        TxBody { chain_id, sender: key.public(), nonce: 0, gas_limit, fee_per_gas, kind }.sign(&key)
    }

    #[test]
    fn each_refusal_names_its_reason() {
        let good = signed(1, 2, 60_000);
        let hex_good = hex::encode(good.to_bytes());
        assert_eq!(check_alone(&hex_good, 1, 1).unwrap().1, good.hash());
        assert_eq!(check_alone(&format!("0x{hex_good}"), 1, 1).unwrap().1, good.hash());
        assert!(matches!(check_alone("zz", 1, 1), Err(Rejection::Malformed(_))));
        assert!(matches!(check_alone(&format!("{hex_good}00"), 1, 1), Err(Rejection::Malformed(_))));
        assert!(matches!(check_alone(&"00".repeat(limits::MAX_TX_LEN + 1), 1, 1), Err(Rejection::Malformed(_))));
        assert_eq!(check_alone(&hex_good, 2, 1), Err(Rejection::WrongChain { expected: 2, actual: 1 }));
        assert_eq!(check_alone(&hex_good, 1, 5), Err(Rejection::FeeTooLow { min: 5, offered: 2 }));
        let cheap = hex::encode(signed(1, 2, 10).to_bytes());
        assert!(matches!(check_alone(&cheap, 1, 1), Err(Rejection::Limits(_))));
        let mut forged = good.clone();
        forged.body.nonce = 9;
        let forged = hex::encode(forged.to_bytes());
        assert!(matches!(check_alone(&forged, 1, 1), Err(Rejection::BadSignature(_))));
        let all = [
            Rejection::Malformed(String::new()),
            Rejection::WrongChain { expected: 1, actual: 2 },
            Rejection::BadSignature(String::new()),
            Rejection::Limits(String::new()),
            Rejection::FeeTooLow { min: 1, offered: 0 },
            Rejection::NonceTooLow { expected: 1 },
            Rejection::NonceTooHigh { expected: 1, max: 2 },
            Rejection::InsufficientFunds { needs: 1, has: 0 },
            Rejection::SenderFull { cap: 1 },
            Rejection::PoolFull { cap: 1 },
            Rejection::Underpriced { reason: String::new() },
            Rejection::Known { hash: Hash::ZERO },
            Rejection::Unavailable(String::new()),
        ];
        let codes: std::collections::BTreeSet<i32> = all[..12].iter().map(Rejection::code).collect();
        assert_eq!(codes.len(), 12, "every admission refusal has its own code");
        let labels: Vec<&str> = all.iter().map(Rejection::label).collect();
        assert_eq!(labels, Rejection::LABELS, "LABELS lists every label, in order");
        // A transaction whose write is in flight is refused as the relay being busy, with the same code and label.
        let storing = Rejection::BeingStored { hash: Hash::ZERO };
        assert_eq!((storing.code(), storing.label()), (all[12].code(), all[12].label()));
    }
}

//! The rollup's own objects: transactions, bundles, receipts and claims, with their signing hashes.
//!
//! Each hashed type derives the canonical codec (see [`crate::codec`]); serde derives give the JSON-RPC
//! shape only and never touch the hashed bytes.

/// A signed rollup object: `$signed` holds a `$body` and `$signer`'s ed25519 signature over `$body::hash`
/// (SHA3-256 over `$domain`'s tag and the canonical body), which `$body::sign` makes; its canonical encoding is
/// named `$name` and at most `$max` bytes long.
macro_rules! signed {
    (
        $(#[doc = $doc:literal])*
        $signed:ident($body:ident) by $signer:literal under $domain:expr, $name:literal up to $max:expr
    ) => {
        $(#[doc = $doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, bincode::Encode, bincode::Decode)]
        #[serde(rename_all = "camelCase")]
        pub struct $signed {
            /// The signed fields.
            pub body: $body,
            #[doc = concat!("ed25519 by ", $signer, " over [`", stringify!($body), "::hash`].")]
            pub signature: crate::Signature,
        }

        impl $body {
            /// The signing hash: SHA3-256 over the domain tag and the canonical body.
            pub fn hash(&self) -> crate::Hash {
                crate::hash::domain_hash($domain, &crate::codec::encode(self))
            }

            #[doc = concat!("Signs the body with ", $signer, "'s key.")]
            pub fn sign(self, key: &crate::KeyPair) -> $signed {
                let signature = key.sign(&self.hash());
                $signed { body: self, signature }
            }
        }

        impl crate::codec::Canonical for $signed {
            const NAME: &'static str = $name;
            const MAX_ENCODED_LEN: usize = $max;
        }
    };
}

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

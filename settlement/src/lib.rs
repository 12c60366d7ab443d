//! The rollup's settlement, as `docs/protocol.md` writes it down: a deterministic state machine that the L1
//! runs once per momentum over the inbox sends that momentum confirms. It owns bonds, every claim with its
//! status, finality from the anchor on, challenges (in parts, a bounded verdict queue), data-availability
//! challenges, withdrawals paid once against a final root, and the payouts the inbox owes.
//!
//! No database, runtime or RPC here: the devnet's inbox contract (and, through a C library, a go-zenon spork)
//! is a thin adapter that feeds it sends, gives it L1's view of a momentum ([`L1View`]) and a VM to judge
//! with ([`Verifier`]), stores the state and pays out what it owes.

mod checks;
#[doc(hidden)]
pub mod fixtures;
pub mod inbox;
mod judge;
pub mod query;
mod refusal;
mod state;
mod stored;

pub use checks::{check_claim, check_withdrawal_proof};
pub use judge::{Judgement, judge_dispute, steps_of};
pub use refusal::Refusal;
pub use state::{L1View, Payout, RowKey, Settlement, StoredChanges};
pub use stored::Stored;
pub use zr_common::rollup::settlement::Parameters;
pub use zr_protocol::Verifier;

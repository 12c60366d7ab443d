//! What L1 decides about the rollup (the inbox contract's settlement state, as its RPC serves it): bonds,
//! claims with their status, and the final root.

use serde::{Deserialize, Serialize};

use crate::{Address, Hash, PublicKey};

/// Momentums after its inclusion in which a claim can be challenged; past them, unchallenged, bonded and
/// building on the final root of the height before, it is final.
pub const FINALITY_WINDOW: u64 = 6;

/// The least ZNN (smallest unit) a bond locks: 10 ZNN.
pub const MIN_BOND: u128 = 10 * 100_000_000;

/// A bond locked on L1 by a send to the inbox with a bond payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Bond {
    /// ZNN locked, smallest unit (bonds sent again add up).
    #[serde(with = "crate::json::decimal_amount")]
    pub amount: u128,
    /// The momentum that confirmed the first bond send: claims included from then on are bonded.
    pub since: u64,
    /// The momentum that confirmed an unbond request: from then on the bond covers no new claim or
    /// challenge, and it is paid back after [`UNBOND_DELAY`] momentums when nothing is open against it.
    pub unbonding_since: Option<u64>,
}

/// Momentums from an unbond request to the bond's payment back (a claim's window, twice over).
pub const UNBOND_DELAY: u64 = 2 * FINALITY_WINDOW;

/// Where a claim stands on L1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum ClaimStatus {
    /// Within its challenge window, or waiting for the height before to be final.
    Pending,
    /// Final: its new root is the rollup's canonical root for its height.
    Final {
        /// The momentum that made it final.
        at: u64,
    },
    /// Recorded but never final: why.
    Unfinalizable {
        /// Why (no live bond when included, built on a root that is not the final one, another root is final).
        reason: String,
    },
    /// Rejected by the pillars' verdict on a challenge (or because it builds on a rejected claim).
    Rejected {
        /// The challenge that proved it wrong (that proved the claim it builds on wrong).
        challenge: Hash,
        /// Why.
        reason: String,
    },
}

/// Momentums an executor has to post the leaves of a claim under a data-availability challenge.
pub const DA_WINDOW: u64 = 20;

/// A data-availability challenge as L1 recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct DaRecord {
    /// Who challenged.
    pub challenger: Address,
    /// The executor challenged.
    pub executor: PublicKey,
    /// The claim's height.
    pub height: u64,
    /// The momentum that confirmed it.
    pub opened_at: u64,
    /// Where it stands.
    pub status: DaStatus,
}

/// Where a data-availability challenge stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum DaStatus {
    /// Waiting for the leaves, until `opened_at + DA_WINDOW`.
    Open,
    /// The executor posted leaves that hash to its claim: the data is available, the challenger's bond forfeit.
    Answered {
        /// The momentum.
        at: u64,
    },
    /// Not answered in time: the claim is rejected and the executor's bond slashed (half to the challenger).
    Unanswered {
        /// The momentum.
        at: u64,
    },
}

/// Verdicts the pillars reach per momentum at most; challenges over it wait, in order.
pub const MAX_VERDICTS_PER_MOMENTUM: usize = 4;

/// Momentums a challenge's parts may take to arrive; an incomplete one is then dropped (its sender charged
/// nothing more than the blocks' plasma).
pub const CHALLENGE_PARTS_EXPIRE: u64 = 60;

/// A challenge as L1 recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeRecord {
    /// SHA3 of the challenge's bytes.
    pub id: Hash,
    /// Who posted it.
    pub challenger: Address,
    /// The executor challenged.
    pub executor: PublicKey,
    /// The height of the claim challenged.
    pub height: u64,
    /// The leaf disputed.
    pub index: u32,
    /// The momentum that confirmed its last part.
    pub completed_at: u64,
    /// The verdict.
    pub status: ChallengeStatus,
}

/// The pillars' verdict on a challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum ChallengeStatus {
    /// Complete, waiting for verdict work (over the per-momentum cap).
    Waiting,
    /// The executor's leaf is wrong: its claim is rejected and its bond slashed (half to the challenger).
    ExecutorWrong {
        /// The momentum of the verdict.
        at: u64,
        /// The root the leaf should have claimed.
        correct_root: Hash,
        /// ZNN slashed from the executor's bond (half credited to the challenger's bond, half burned).
        #[serde(with = "crate::json::decimal_amount")]
        slashed: u128,
    },
    /// The challenge proves nothing against the claim: the challenger's bond is forfeit.
    ChallengerWrong {
        /// The momentum of the verdict.
        at: u64,
        /// Why.
        reason: String,
    },
}

/// A claim as L1 recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct ClaimRecord {
    /// The executor's key (it signed the claim).
    pub executor: PublicKey,
    /// The momentum height claimed.
    pub height: u64,
    /// The root it builds on.
    pub prev_state_root: Hash,
    /// The root it claims.
    pub new_state_root: Hash,
    /// Its leaves' commitment.
    pub leaves_root: Hash,
    /// The VM version it was executed with.
    pub vm_version: Hash,
    /// The L1 block that carried it.
    pub l1_block: Hash,
    /// The momentum that confirmed that block.
    pub included_at: u64,
    /// Its status.
    pub status: ClaimStatus,
}

impl ClaimRecord {
    /// The last momentum in which the claim can still be challenged.
    pub fn window_ends(&self) -> u64 {
        self.included_at + FINALITY_WINDOW
    }
}

/// The rollup's final root: the highest height whose claim is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct FinalRoot {
    /// The momentum height.
    pub height: u64,
    /// The state root after it.
    pub root: Hash,
}

/// An inbox send the settlement refused once confirmed, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Refused {
    /// The L1 block.
    pub l1_block: Hash,
    /// Who sent it.
    pub sender: Address,
    /// The momentum that confirmed it.
    pub at: u64,
    /// Why.
    pub reason: String,
}

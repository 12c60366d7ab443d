//! What L1 decides about the rollup (the inbox contract's settlement state, as its RPC serves it): bonds,
//! claims with their status, and the final root.

use serde::{Deserialize, Serialize};

use crate::{Address, Hash, PublicKey};

/// Momentums after its inclusion in which a claim can be challenged; past them, unchallenged, bonded and
/// building on the final root of the height before, it is final.
pub const FINALITY_WINDOW: u64 = 6;

/// The least ZNN (smallest unit) a bond locks: 10 ZNN.
pub const MIN_BOND: u128 = 10 * 100_000_000;

/// ZNN (smallest unit) a data-availability challenge sends with its payload: its own deposit, forfeit when the
/// executor answers, paid back with a reward when it does not. One bond cannot open many (1 ZNN).
pub const DA_DEPOSIT: u128 = 100_000_000;

/// ZNN (smallest unit) a challenge deposits per part when its part 0 opens it (0.1 ZNN): paid back when the
/// challenge completes and decodes, forfeit when its parts never all arrive or do not make a challenge. It
/// prices the room a challenge reserves in the queue, which other challenges are refused for.
pub const PART_DEPOSIT: u128 = 10_000_000;

/// Challenges (complete and waiting, or still arriving in parts) one challenger may have open at once.
pub const MAX_OPEN_CHALLENGES_PER_CHALLENGER: usize = 2;

/// Bytes of challenges the settlement holds at once (reserved whole for those arriving in parts, and held by
/// those waiting for a verdict): 64 MiB, room for seven of the largest.
pub const MAX_CHALLENGE_BYTES_HELD: usize = 64 * 1024 * 1024;

/// The settlement's parameters, fixed in the L1 genesis (on NoM: in the spork). Served by
/// `embedded.rollup.getParameters`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct Parameters {
    /// The rollup's chain id: a claim of another chain is refused.
    pub chain_id: u64,
    /// The accepted VM version, from a height on (ascending heights; the first from the anchor's next): a
    /// claim must carry the version of the last entry at or below its height, so an upgrade is a new entry.
    pub vm_versions: Vec<VmVersionFrom>,
    /// Where finality starts: claims at or below its height are refused, the first final claim builds on its
    /// root.
    pub anchor: FinalRoot,
    /// Momentums after inclusion in which a claim can be challenged.
    pub finality_window: u64,
    /// The least ZNN (smallest unit) a bond locks.
    #[serde(with = "crate::json::decimal_amount")]
    pub min_bond: u128,
    /// ZNN (smallest unit) a data-availability challenge deposits.
    #[serde(with = "crate::json::decimal_amount")]
    pub da_deposit: u128,
    /// Momentums an executor has to answer a data-availability challenge.
    pub da_window: u64,
    /// ZNN (smallest unit) a challenge deposits per part, sent with its part 0.
    #[serde(with = "crate::json::decimal_amount")]
    pub part_deposit: u128,
    /// Momentums from an unbond request to the bond's payment back.
    pub unbond_delay: u64,
    /// Verdicts the pillars reach per momentum at most.
    pub max_verdicts_per_momentum: u32,
    /// Momentums a challenge's parts may take to arrive.
    pub challenge_parts_expire: u64,
    /// Challenges one challenger may have open (waiting or arriving) at once.
    pub max_open_challenges_per_challenger: u32,
}

/// The longest window a parameter may set, in momentums (about a year at 10 s): keeps every deadline
/// arithmetic far from overflow.
pub const MAX_WINDOW: u64 = 3_153_600;

/// The VM version a claim must carry from `from_height` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase")]
pub struct VmVersionFrom {
    /// The first height it applies to.
    pub from_height: u64,
    /// The version.
    pub vm_version: Hash,
}

impl Parameters {
    /// The defaults for a rollup of `chain_id` whose claims carry `vm_version` from the first momentum on,
    /// anchored at the empty state before momentum 1.
    pub fn new(chain_id: u64, vm_version: Hash) -> Parameters {
        Parameters {
            chain_id,
            vm_versions: vec![VmVersionFrom { from_height: 1, vm_version }],
            anchor: FinalRoot { height: 0, root: Hash::ZERO },
            finality_window: FINALITY_WINDOW,
            min_bond: MIN_BOND,
            da_deposit: DA_DEPOSIT,
            da_window: DA_WINDOW,
            part_deposit: PART_DEPOSIT,
            unbond_delay: UNBOND_DELAY,
            max_verdicts_per_momentum: MAX_VERDICTS_PER_MOMENTUM as u32,
            challenge_parts_expire: CHALLENGE_PARTS_EXPIRE,
            max_open_challenges_per_challenger: MAX_OPEN_CHALLENGES_PER_CHALLENGER as u32,
        }
    }

    /// The VM version a claim at `height` must carry, if any applies yet.
    pub fn vm_version_at(&self, height: u64) -> Option<Hash> {
        self.vm_versions.iter().rev().find(|v| v.from_height <= height).map(|v| v.vm_version)
    }

    /// Why these parameters cannot run a settlement, if they cannot.
    pub fn check(&self) -> Result<(), String> {
        if self.chain_id == 0 {
            return Err("the rollup chain id must not be 0".into());
        }
        if self.vm_versions.is_empty() {
            return Err("at least one accepted VM version is needed".into());
        }
        if self.vm_versions.windows(2).any(|w| w[0].from_height >= w[1].from_height) {
            return Err("accepted VM versions must be in ascending height order".into());
        }
        if self.vm_versions[0].from_height > self.anchor.height + 1 {
            return Err(format!(
                "the first accepted VM version must apply from height {} (the anchor's next), not {}",
                self.anchor.height + 1,
                self.vm_versions[0].from_height
            ));
        }
        let windows = [self.finality_window, self.da_window, self.challenge_parts_expire, self.unbond_delay];
        if windows.iter().any(|w| !(1..=MAX_WINDOW).contains(w)) {
            return Err(format!(
                "the finality window, the data-availability window, the parts' expiry and the unbond delay must be 1 \
                 to {MAX_WINDOW} momentums"
            ));
        }
        if self.min_bond == 0 || self.da_deposit == 0 || self.part_deposit == 0 {
            return Err("the least bond, the data-availability deposit and the part deposit must be positive".into());
        }
        if self.max_verdicts_per_momentum == 0 || self.max_open_challenges_per_challenger == 0 {
            return Err("verdicts per momentum and open challenges per challenger must be positive".into());
        }
        Ok(())
    }
}

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
    /// ZNN (smallest unit) it deposited.
    #[serde(with = "crate::json::decimal_amount")]
    pub deposit: u128,
    /// The challenged claim's leaves root: any claimant of the height whose claim has the same leaves may
    /// answer with them.
    pub leaves_root: Hash,
    /// Where it stands.
    pub status: DaStatus,
}

/// Where a data-availability challenge stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, bincode::Encode, bincode::Decode)]
#[serde(rename_all = "camelCase", rename_all_fields = "camelCase", tag = "kind")]
pub enum DaStatus {
    /// Waiting for the leaves, until `opened_at + DA_WINDOW`.
    Open,
    /// The executor posted leaves that hash to its claim: the data is available, the challenger's deposit
    /// forfeit (its bond is untouched).
    Answered {
        /// The momentum.
        at: u64,
    },
    /// Not answered in time: the claim is rejected and the executor's bond slashed (half to the challenger's
    /// bond), the deposit paid back.
    Unanswered {
        /// The momentum.
        at: u64,
    },
    /// The claim was rejected by a verdict before the window ended: the deposit is paid back.
    Moot {
        /// The momentum.
        at: u64,
    },
}

/// Verdict work the pillars do per momentum: the bundle blocks of the claimed momentums they order (a full
/// momentum's 100). A verdict over it waits for the next momentum; the first of a momentum always runs, so a
/// momentum's verdicts order at most one full momentum's bundles.
pub const VERDICT_WORK_PER_MOMENTUM: u64 = 100;

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
    /// The executor's claim is wrong: it is rejected and its executor's bond slashed (half to the challenger).
    ExecutorWrong {
        /// The momentum of the verdict.
        at: u64,
        /// What was wrong.
        reason: String,
        /// The root the leaf should have claimed, when the challenge re-executed it.
        correct_root: Option<Hash>,
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
    /// The challenge costs its challenger nothing and changes nothing: it was right but came after the claim
    /// was already settled (rejected by another challenge), or the pillars could not judge it for a fault of
    /// their own.
    Refunded {
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
    /// The record of a claim just carried by L1 block `l1_block`, confirmed at momentum `included_at`: pending.
    pub fn pending(body: &super::claim::ClaimBody, l1_block: Hash, included_at: u64) -> ClaimRecord {
        ClaimRecord {
            executor: body.executor,
            height: body.height,
            prev_state_root: body.prev_state_root,
            new_state_root: body.new_state_root,
            leaves_root: body.leaves_root,
            vm_version: body.vm_version,
            l1_block,
            included_at,
            status: ClaimStatus::Pending,
        }
    }

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

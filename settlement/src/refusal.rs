//! Why the settlement refused an inbox send: each is recorded (`embedded.rollup.getRefused`) with its text,
//! and the send changes nothing (a deposit it carried is paid back).

use zr_common::{Hash, PublicKey};

/// A send the settlement refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A settlement payload that does not decode.
    #[error("{0}")]
    Undecodable(String),
    /// A claim whose signature does not verify.
    #[error("the claim's signature does not verify")]
    ClaimSignature,
    /// A claim posted from another account than its executor's.
    #[error("a claim is posted by its executor's own account")]
    NotExecutorsAccount,
    /// A claim of another rollup.
    #[error("the claim is of chain {claimed}, this rollup is chain {ours}")]
    OtherChain {
        /// The claim's.
        claimed: u64,
        /// The settlement's.
        ours: u64,
    },
    /// A claim at or below the anchor.
    #[error("height {height} is at or below the anchor {anchor}, where finality starts")]
    BelowAnchor {
        /// The claim's height.
        height: u64,
        /// The anchor's.
        anchor: u64,
    },
    /// A claim of a height already final.
    #[error("height {0} is final already")]
    FinalAlready(u64),
    /// A claim of a momentum L1 does not hold yet.
    #[error("L1 holds no momentum {height} yet (this is momentum {at})")]
    FutureMomentum {
        /// The claim's height.
        height: u64,
        /// The momentum confirming it.
        at: u64,
    },
    /// A claim whose VM version is not the accepted one at its height.
    #[error("the claim's VM version {claimed} is not the one accepted at height {height}, {accepted}")]
    OtherVmVersion {
        /// The claim's.
        claimed: Hash,
        /// The claim's height.
        height: u64,
        /// The accepted one.
        accepted: Hash,
    },
    /// A claim of a height before any accepted VM version.
    #[error("no VM version is accepted at height {0}")]
    NoVmVersion(u64),
    /// A claim whose timestamp is not its momentum's.
    #[error("the claim's timestamp {claimed} is not momentum {height}'s, {actual}")]
    Timestamp {
        /// The claim's height.
        height: u64,
        /// The claim's.
        claimed: u64,
        /// The momentum's.
        actual: u64,
    },
    /// The pillars could not read the claimed momentum (their own fault: post the claim again).
    #[error("the pillars could not read momentum {height}: {reason}")]
    MomentumUnreadable {
        /// The height.
        height: u64,
        /// Why.
        reason: String,
    },
    /// A claim with no leaves (every momentum has its prelude leaf).
    #[error("a claim commits to at least its prelude leaf; its leaves root is zero")]
    NoLeaves,
    /// A claim of an executor with no live bond.
    #[error("the executor has no live bond (send one with the bond payload before claiming)")]
    ExecutorUnbonded,
    /// A second claim of one executor at one height.
    #[error("this executor's claim for height {0} is recorded already")]
    ClaimRecorded(u64),
    /// A bond of another token or below the least bond.
    #[error("a bond is at least {0} ZNN (smallest unit)")]
    BondTooSmall(u128),
    /// An unbond request of an unbonding bond.
    #[error("the bond is unbonding already")]
    UnbondingAlready,
    /// An unbond request with no bond.
    #[error("no bond to unbond")]
    NoBond,
    /// A challenge from an account with no live bond.
    #[error("a challenger needs a live bond (send one with the bond payload first)")]
    ChallengerUnbonded,
    /// A data-availability challenge with too small a deposit.
    #[error("a data-availability challenge deposits at least {0} ZNN (smallest unit) with its payload")]
    DepositTooSmall(u128),
    /// A data-availability challenge, or a challenge's part 0, naming a claim that is not open.
    #[error("no open claim of {executor} at height {height}")]
    NoOpenClaim {
        /// The executor.
        executor: PublicKey,
        /// The height.
        height: u64,
    },
    /// A data-availability challenge of a claim under one already.
    #[error("that claim is under a data-availability challenge already")]
    DaOpenAlready,
    /// Leaves posted for a height with no open data-availability challenge.
    #[error("no open data-availability challenge at height {0}")]
    NoDaChallenge(u64),
    /// Leaves posted by an account with no claim at the height.
    #[error("only an executor with a claim at height {0} may post leaves for it")]
    NotClaimant(u64),
    /// A data-availability challenge of leaves already posted in full.
    #[error("the claim's leaves at height {0} are on L1 already (a data-availability challenge was answered)")]
    LeavesOnL1(u64),
    /// A part numbered outside its count, or a count outside the bound.
    #[error("{what} come in 1 to {max} parts, this part says {index}/{count}")]
    PartNumber {
        /// Challenge parts or leaves.
        what: &'static str,
        /// The bound.
        max: u32,
        /// The part's index.
        index: u32,
        /// Its count.
        count: u32,
    },
    /// A part whose count differs from its earlier parts'.
    #[error("a part of {0} with another count than its earlier parts")]
    PartMismatch(String),
    /// Leaves that do not decode.
    #[error("the leaves do not decode: {0}")]
    LeavesUndecodable(String),
    /// Leaves that do not hash to the claim's leaves root.
    #[error("the leaves posted do not hash to the leaves root of a claim under an open data-availability challenge")]
    LeavesMismatch,
    /// A part of a challenge arriving whose index is in already.
    #[error("part {0} of this challenge is in already")]
    PartIn(u32),
    /// A challenge already in.
    #[error("challenge {0} is in already")]
    ChallengeIn(Hash),
    /// A part 0 whose bytes do not begin a dispute (its executor and height).
    #[error(
        "a challenge's part 0 begins with the dispute's variant, executor and height (44 bytes); this one does not"
    )]
    NoDisputeHead,
    /// A challenge opened by a part other than its part 0.
    #[error("a challenge opens with its part 0 (this one is part {0}); send its parts in order")]
    OpensWithPartZero(u32),
    /// A part 0 without its deposit, or a later part carrying an amount.
    #[error(
        "a challenge's part 0 deposits exactly {0} ZNN (smallest unit: count × the part deposit), its later parts nothing"
    )]
    PartDeposit(u128),
    /// A challenge part longer than a part may be.
    #[error("a challenge part carries at most 16 256 bytes, this one {0}")]
    PartTooLong(usize),
    /// A challenger with its share of the verdict queue taken.
    #[error("this challenger has {0} challenges open (waiting or arriving), the most one may have")]
    TooManyOpen(u32),
    /// The pillars hold as many challenge bytes as they take.
    #[error("the pillars hold {held} bytes of challenges, {limit} at most: post again after some verdicts")]
    QueueFull {
        /// Held now.
        held: usize,
        /// The bound.
        limit: usize,
    },
    /// A withdrawal paid already.
    #[error("the withdrawal of {0} is paid already")]
    WithdrawalPaid(Hash),
    /// A withdrawal proven against a height that is not recently final.
    #[error("height {0} is not a recent final height: prove against the final root")]
    NotFinalHeight(u64),
    /// A withdrawal proof that does not show the withdrawal.
    #[error("the proof does not show that withdrawal in the final state")]
    WithdrawalNotProven,
    /// A withdrawal proof that does not check out.
    #[error("the withdrawal proof is invalid: {0}")]
    WithdrawalProof(String),
    /// A withdrawal value that does not decode.
    #[error("the withdrawal does not decode: {0}")]
    WithdrawalValue(String),
    /// A withdrawal to an address L1 cannot pay by a contract send (only user accounts can be paid: a send to a
    /// contract address would fail on go-zenon and take the whole receive with it).
    #[error("the withdrawal pays {0}, which is not a user account: L1 pays user accounts only")]
    RecipientNotUser(zr_common::Address),
    /// A withdrawal the inbox cannot cover.
    #[error("the inbox holds less {token} than the withdrawal of {tx_hash}")]
    Unpayable {
        /// The token.
        token: zr_common::TokenStandard,
        /// The withdrawing transaction.
        tx_hash: Hash,
    },
}

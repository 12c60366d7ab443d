//! The settlement state and its rules, one method per inbox send and one per momentum step.
//!
//! A claim is recorded only if it is bound to this rollup (chain id, the accepted VM version at its height, a
//! momentum L1 holds, that momentum's timestamp, above the anchor). It is final once its window has passed
//! with nothing open against it, if its executor had a live bond when it was included and it builds on the
//! final root of the height before (the anchor's for the first). Claims of one height that disagree wait for
//! a challenge to settle them; any bonded executor may claim any height not yet final.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use zr_common::nom::AccountBlock;
use zr_common::rollup::Claim;
use zr_common::rollup::settlement::{
    Bond, ChallengeRecord, ChallengeStatus, ClaimRecord, ClaimStatus, DaRecord, DaStatus, FinalRoot,
    MAX_CHALLENGE_BYTES_HELD, Parameters, Refused, VERDICT_WORK_PER_MOMENTUM,
};
use zr_common::{Address, Canonical, Hash, TokenStandard};
use zr_fraud::Dispute;
use zr_inbox::bundle::{
    ChallengePart, DaChallenge, LeavesPart, MAX_CHALLENGE_PART_LEN, MAX_CHALLENGE_PARTS, MAX_LEAVES_PARTS,
    WithdrawalProof,
};

use crate::judge::Judgement;
use crate::refusal::Refusal;
use crate::stored::Stored;

/// Heights of settled claims kept below the final height (what `embedded.rollup.getClaims` can show).
const KEEP_SETTLED: u64 = 256;
/// Refusals kept, newest last.
const KEEP_REFUSED: usize = 256;

/// What L1 tells the settlement about its momentums when a claim is recorded.
pub trait L1View {
    /// The timestamp of momentum `height`; `None` when L1 holds no such momentum, `Err` when it cannot be read.
    fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String>;
}

/// What the inbox pays on L1 with a contract send: a rollup withdrawal, a bond back, a deposit back.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Payout {
    /// The withdrawing rollup transaction; `None` for a bond or a deposit paid back.
    pub withdrawal: Option<Hash>,
    /// The L1 account paid.
    pub recipient: Address,
    /// The token.
    pub token: TokenStandard,
    /// The amount.
    pub amount: u128,
}

/// The settlement state.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Settlement {
    params: Parameters,
    bonds: BTreeMap<Address, Bond>,
    /// By (height, executor's L1 address).
    claims: BTreeMap<(u64, Address), ClaimRecord>,
    /// The final root: the anchor until a claim above it is final.
    final_root: FinalRoot,
    /// Final roots (and leaves roots) of recent heights, for late claims and withdrawals.
    recent_final: BTreeMap<u64, (Hash, Hash)>,
    refused: Vec<Refused>,
    /// Challenges whose parts are still arriving, by id.
    /// (Keyed by id and sender: nobody can take a challenge's id before its challenger posts it.)
    partial: BTreeMap<(Hash, Address), PartialChallenge>,
    /// Complete challenges waiting for a verdict, in completion order (their bytes stay in `challenge_bytes`).
    queue: Vec<Queued>,
    /// Every challenge completed, by id.
    challenges: BTreeMap<Hash, ChallengeRecord>,
    /// Copies of a waiting challenge completed by other senders, by id: (sender, deposit), settled with its
    /// verdict (the deposit back, or forfeit with the bond when the challenge proves nothing).
    copies: BTreeMap<Hash, Vec<(Address, u128)>>,
    /// Withdrawals paid, by withdrawing transaction: the L1 block that paid each (paid once, ever).
    paid: Stored<Hash, Hash>,
    /// Data-availability challenges, by (height, executor's address).
    da: BTreeMap<(u64, Address), DaRecord>,
    /// Leaves arriving in answer to them, by (height, sender's address): how many parts, and those in.
    leaves_parts: BTreeMap<(u64, Address), (u32, BTreeSet<u32>)>,
    /// The bytes of challenge parts arriving and of challenges waiting, by (id, index).
    challenge_bytes: Stored<(Hash, Address, u32), Vec<u8>>,
    /// The bytes of leaves parts arriving, by (height, sender, index).
    leaves_bytes: Stored<(u64, Address, u32), Vec<u8>>,
    /// (height, leaves root) of leaves posted in full on L1: a claim with them cannot be challenged for its
    /// data again.
    answered_leaves: BTreeSet<(u64, Hash)>,
    /// Payouts due and not yet paid (the inbox pays them when it can), in the order they fell due.
    owed: Vec<Payout>,
    /// The last momentum at which the queue had no room for a challenge of the largest size: no claim is due
    /// before a whole window has passed since, so a challenger refused for room has a window to post again.
    congested_at: Option<u64>,
}

/// A challenge whose parts are arriving (their bytes in `challenge_bytes`).
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
struct PartialChallenge {
    from: Address,
    /// The claim it challenges, as its part 0 names it: it holds that height's finality while it arrives.
    executor: zr_common::PublicKey,
    height: u64,
    count: u32,
    /// The indices in so far.
    parts: BTreeSet<u32>,
    first_at: u64,
    /// ZNN deposited with part 0: paid back when the challenge completes and decodes, else forfeit.
    deposit: u128,
}

/// A complete challenge waiting for its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, bincode::Encode, bincode::Decode)]
struct Queued {
    id: Hash,
    /// Its challenger (its parts' bytes are stored under it).
    from: Address,
    /// Its parts (in `challenge_bytes`).
    count: u32,
    /// Its bytes.
    len: usize,
}

/// What a momentum changed of the maps the adapter stores by key (see [`Stored`]), to write with it:
/// each key with its value now, `None` where removed.
#[derive(Debug, Default)]
pub struct StoredChanges {
    /// Withdrawals paid: transaction → the paying L1 block.
    pub paid: Vec<(Hash, Option<Arc<Hash>>)>,
    /// Challenge parts' bytes by (id, index).
    pub challenge_bytes: Vec<((Hash, Address, u32), StoredBytes)>,
    /// Leaves parts' bytes by (height, sender, index).
    pub leaves_bytes: Vec<((u64, Address, u32), StoredBytes)>,
}

/// The key of a row of the settlement's stored maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RowKey {
    /// A withdrawal paid, by its rollup transaction.
    Paid(Hash),
    /// A challenge part's bytes: (id, challenger, index).
    ChallengeBytes(Hash, Address, u32),
    /// A leaves part's bytes: (height, sender, index).
    LeavesBytes(u64, Address, u32),
}

/// A stored part's bytes now, `None` where removed.
pub type StoredBytes = Option<Arc<Vec<u8>>>;

/// Parts of one challenge a challenger is expected to get into each momentum (see `Settlement::parts_time`).
const PARTS_PER_MOMENTUM: u64 = 8;

/// Bytes the largest challenge takes in the queue.
const LARGEST_CHALLENGE: usize = MAX_CHALLENGE_PARTS as usize * MAX_CHALLENGE_PART_LEN;

/// Where a challenge whose parts do not hash to `id` is recorded: SHA3("zrollup/unhashed-challenge" ‖ id ‖
/// sender), which no challenge's bytes can be made to hash to on purpose.
pub fn unhashed_key(id: &Hash, sender: &Address) -> Hash {
    zr_common::hash::sha3_256_concat([b"zrollup/unhashed-challenge".as_slice(), id.0.as_slice(), sender.0.as_slice()])
}

/// Checks a part's numbering: `1 ≤ count ≤ max`, `index < count`.
fn part_numbered(what: &'static str, max: u32, index: u32, count: u32) -> Result<(), Refusal> {
    match count == 0 || count > max || index >= count {
        true => Err(Refusal::PartNumber { what, max, index, count }),
        false => Ok(()),
    }
}

impl Settlement {
    /// An empty settlement under `params` (checked by [`Parameters::check`]), final at its anchor.
    pub fn new(params: Parameters) -> Result<Settlement, String> {
        params.check()?;
        Ok(Settlement {
            final_root: params.anchor,
            params,
            bonds: BTreeMap::new(),
            claims: BTreeMap::new(),
            recent_final: BTreeMap::new(),
            refused: Vec::new(),
            partial: BTreeMap::new(),
            queue: Vec::new(),
            challenge_bytes: Stored::default(),
            leaves_bytes: Stored::default(),
            challenges: BTreeMap::new(),
            copies: BTreeMap::new(),
            paid: Stored::default(),
            da: BTreeMap::new(),
            leaves_parts: BTreeMap::new(),
            answered_leaves: BTreeSet::new(),
            owed: Vec::new(),
            congested_at: None,
        })
    }

    /// The parameters it runs under.
    pub fn parameters(&self) -> &Parameters {
        &self.params
    }

    /// The bond of `address`, if any.
    pub fn bond(&self, address: &Address) -> Option<&Bond> {
        self.bonds.get(address)
    }

    /// The final root, once a claim above the anchor is final.
    pub fn final_root(&self) -> Option<FinalRoot> {
        Some(self.final_root).filter(|f| f.height > self.params.anchor.height)
    }

    /// The root finality builds on next: the final root, or the anchor.
    pub fn final_base(&self) -> FinalRoot {
        self.final_root
    }

    /// Claims of heights from `from`, at most `count` heights, in (height, executor) order.
    pub fn claims(&self, from: u64, count: u64) -> Vec<ClaimRecord> {
        let end = from.saturating_add(count);
        self.claims
            .range((from, Address([0; 20]))..)
            .take_while(|((h, _), _)| *h < end)
            .map(|(_, c)| c.clone())
            .collect()
    }

    /// Recent refusals, newest last.
    pub fn refused(&self) -> &[Refused] {
        &self.refused
    }

    /// Payouts due that the inbox could not cover yet.
    pub fn owed(&self) -> &[Payout] {
        &self.owed
    }

    /// The L1 block that paid the withdrawal of rollup transaction `tx_hash`, if paid.
    pub fn payout(&self, tx_hash: &Hash) -> Option<Hash> {
        self.paid.get(tx_hash).copied().filter(|block| *block != Hash::ZERO)
    }

    // ----- Sends, as a momentum confirms them -----

    /// Records a settlement payload that does not decode.
    pub fn undecodable(&mut self, block: &AccountBlock, at: u64, reason: String) {
        if zr_inbox::locks_amount(&block.data) {
            self.pay_back(block);
        }
        self.refuse(block, at, Refusal::Undecodable(reason));
    }

    /// Records a bond sent in `block`, confirmed at momentum `at`.
    pub fn bond_sent(&mut self, block: &AccountBlock, at: u64) {
        if block.token_standard != TokenStandard::ZNN || block.amount < self.params.min_bond {
            // Publishing refuses these; a block that got through anyway is paid back.
            self.pay_back(block);
            return self.refuse(block, at, Refusal::BondTooSmall(self.params.min_bond));
        }
        // Sent to an unbonding bond, it is paid back with it.
        let bond = self.bonds.entry(block.address).or_insert(Bond { amount: 0, since: at, unbonding_since: None });
        bond.amount = bond.amount.saturating_add(block.amount);
    }

    /// Records an unbond request sent in `block` at momentum `at`.
    pub fn unbond(&mut self, block: &AccountBlock, at: u64) {
        match self.bonds.get_mut(&block.address) {
            Some(bond) if bond.unbonding_since.is_none() => bond.unbonding_since = Some(at),
            Some(_) => self.refuse(block, at, Refusal::UnbondingAlready),
            None => self.refuse(block, at, Refusal::NoBond),
        }
    }

    /// Records a claim sent in `block`, confirmed at momentum `at`; `l1` gives the claimed momentum.
    pub fn claim_sent(&mut self, block: &AccountBlock, claim: Claim, at: u64, l1: &dyn L1View) {
        if let Err(reason) = self.record(block, claim, at, l1) {
            self.refuse(block, at, reason);
        }
    }

    fn record(&mut self, block: &AccountBlock, claim: Claim, at: u64, l1: &dyn L1View) -> Result<(), Refusal> {
        let timestamp = |height| l1.momentum_timestamp(height);
        crate::checks::check_claim(&self.params, &claim, &block.address, self.final_root.height, at, timestamp)?;
        let body = &claim.body;
        let key = (body.height, block.address);
        if self.claims.contains_key(&key) {
            return Err(Refusal::ClaimRecorded(body.height));
        }
        // Not recorded at all without a bond: a claim that can never be final would hold its executor's place at
        // the height (and cost the pillars storage) for nothing.
        if !self.live_bond(&block.address) {
            return Err(Refusal::ExecutorUnbonded);
        }
        self.claims.insert(key, ClaimRecord::pending(body, block.hash, at));
        Ok(())
    }

    /// Records a data-availability challenge sent in `block` (with its deposit) at momentum `at`.
    pub fn da_challenge(&mut self, block: &AccountBlock, challenge: DaChallenge, at: u64) {
        let key = (challenge.height, challenge.executor.address());
        let leaves_root = self.claims.get(&key).filter(|c| c.status == ClaimStatus::Pending).map(|c| c.leaves_root);
        let refused = if block.token_standard != TokenStandard::ZNN || block.amount < self.params.da_deposit {
            Some(Refusal::DepositTooSmall(self.params.da_deposit))
        } else if !self.live_bond(&block.address) {
            Some(Refusal::ChallengerUnbonded)
        } else if leaves_root.is_none() {
            Some(Refusal::NoOpenClaim { executor: challenge.executor, height: challenge.height })
        } else if self.da.get(&key).is_some_and(|d| d.status == DaStatus::Open) {
            Some(Refusal::DaOpenAlready)
        } else if leaves_root.is_some_and(|root| self.answered_leaves.contains(&(challenge.height, root))) {
            Some(Refusal::LeavesOnL1(challenge.height))
        } else {
            None
        };
        if let Some(reason) = refused {
            self.pay_back(block);
            return self.refuse(block, at, reason);
        }
        let record = DaRecord {
            challenger: block.address,
            executor: challenge.executor,
            height: challenge.height,
            opened_at: at,
            deposit: block.amount,
            leaves_root: leaves_root.unwrap_or_default(),
            status: DaStatus::Open,
        };
        self.da.insert(key, record);
    }

    /// Records a part of the leaves a claimant of the height posts in `block` at momentum `at` to answer the
    /// data-availability challenges of every claim at that height with those leaves.
    pub fn leaves_part(&mut self, block: &AccountBlock, part: LeavesPart, at: u64) {
        if let Err(reason) = self.add_leaves_part(block, part, at) {
            self.refuse(block, at, reason);
        }
    }

    fn add_leaves_part(&mut self, block: &AccountBlock, part: LeavesPart, at: u64) -> Result<(), Refusal> {
        let key = (part.height, block.address);
        if !self.da_open_at(part.height) {
            return Err(Refusal::NoDaChallenge(part.height));
        }
        // Only claimants of the height (bonded when they claimed) may hold leaves in the pillars' state.
        if !self.claims.contains_key(&key) {
            return Err(Refusal::NotClaimant(part.height));
        }
        part_numbered("leaves", MAX_LEAVES_PARTS, part.index, part.count)?;
        let (count, parts) = self.leaves_parts.entry(key).or_insert_with(|| (part.count, BTreeSet::new()));
        if *count != part.count {
            return Err(Refusal::PartMismatch("these leaves".into()));
        }
        parts.insert(part.index);
        let whole = parts.len() as u32 == *count;
        self.leaves_bytes.insert((part.height, block.address, part.index), part.bytes);
        if !whole {
            return Ok(());
        }
        let bytes = self.take_leaves_bytes(key);
        let leaves: Vec<zr_protocol::ClaimLeaf> =
            zr_common::codec::decode("claim leaves", &bytes, MAX_LEAVES_PARTS as usize * MAX_CHALLENGE_PART_LEN)
                .map_err(|e| Refusal::LeavesUndecodable(e.to_string()))?;
        let root = zr_protocol::leaves_root(&leaves);
        let answered: Vec<(u64, Address)> = self
            .da
            .iter()
            .filter(|((h, _), d)| *h == part.height && d.status == DaStatus::Open && d.leaves_root == root)
            .map(|(k, _)| *k)
            .collect();
        if leaves.is_empty() || answered.is_empty() {
            return Err(Refusal::LeavesMismatch);
        }
        // The data is available: each challenge's deposit is forfeit (it stays with the inbox); the
        // challengers' bonds are untouched.
        for key in answered {
            if let Some(record) = self.da.get_mut(&key) {
                record.status = DaStatus::Answered { at };
            }
        }
        self.answered_leaves.insert((part.height, root));
        Ok(())
    }

    fn da_open_at(&self, height: u64) -> bool {
        self.da
            .range((height, Address([0; 20]))..=(height, Address([0xff; 20])))
            .any(|(_, d)| d.status == DaStatus::Open)
    }

    /// Records a part of a challenge sent in `block`, confirmed at momentum `at`; a refused part's amount is
    /// owed back.
    pub fn challenge_part(&mut self, block: &AccountBlock, part: ChallengePart, at: u64) {
        if let Err(reason) = self.add_part(block, part, at) {
            if matches!(reason, Refusal::QueueFull { .. }) {
                self.congested_at = Some(at);
            }
            self.pay_back(block);
            self.refuse(block, at, reason);
        }
    }

    fn add_part(&mut self, block: &AccountBlock, part: ChallengePart, at: u64) -> Result<(), Refusal> {
        part_numbered("challenges", MAX_CHALLENGE_PARTS, part.index, part.count)?;
        if !self.live_bond(&block.address) {
            return Err(Refusal::ChallengerUnbonded);
        }
        if part.bytes.len() > MAX_CHALLENGE_PART_LEN {
            return Err(Refusal::PartTooLong(part.bytes.len()));
        }
        let deposit = u128::from(part.count) * self.params.part_deposit;
        let key = (part.id, block.address);
        let head = match self.partial.get(&key) {
            // A new challenge is admitted whole or not at all: room for all its parts is reserved now (and paid
            // for with its deposit), so none of its later parts can be refused for space.
            None => {
                // (Only a new sender of an id completed already is refused: one whose parts are arriving gets its
                // deposit back when they are in.)
                if self.challenges.contains_key(&part.id) {
                    return Err(Refusal::ChallengeIn(part.id));
                }
                if part.index != 0 {
                    return Err(Refusal::OpensWithPartZero(part.index));
                }
                if block.token_standard != TokenStandard::ZNN || block.amount != deposit {
                    return Err(Refusal::PartDeposit(deposit));
                }
                // Its part 0 names the claim; it must be open, as the challenge holds its height while it arrives.
                let (executor, height) = Dispute::head(&part.bytes).ok_or(Refusal::NoDisputeHead)?;
                let open = self.claims.get(&(height, executor.address()));
                if !open.is_some_and(|c| c.status == ClaimStatus::Pending) {
                    return Err(Refusal::NoOpenClaim { executor, height });
                }
                let open = self.open_challenges_of(&block.address);
                if open >= self.params.max_open_challenges_per_challenger as usize {
                    return Err(Refusal::TooManyOpen(self.params.max_open_challenges_per_challenger));
                }
                let held = self.challenge_bytes_held();
                if held + part.count as usize * MAX_CHALLENGE_PART_LEN > MAX_CHALLENGE_BYTES_HELD {
                    return Err(Refusal::QueueFull { held, limit: MAX_CHALLENGE_BYTES_HELD });
                }
                (executor, height)
            }
            Some(arriving) if arriving.count != part.count => {
                return Err(Refusal::PartMismatch(format!("challenge {}", part.id)));
            }
            // A part is taken once: part 0 again could replace the head that holds finality at its height.
            Some(arriving) if arriving.parts.contains(&part.index) => return Err(Refusal::PartIn(part.index)),
            Some(_) if block.amount != 0 => return Err(Refusal::PartDeposit(deposit)),
            Some(arriving) => (arriving.executor, arriving.height),
        };
        let entry = self.partial.entry(key).or_insert_with(|| PartialChallenge {
            from: block.address,
            executor: head.0,
            height: head.1,
            count: part.count,
            parts: BTreeSet::new(),
            first_at: at,
            deposit,
        });
        entry.parts.insert(part.index);
        let whole = entry.parts.len() as u32 == entry.count;
        self.challenge_bytes.insert((part.id, block.address, part.index), part.bytes);
        if !whole {
            return Ok(());
        }
        let Some(done) = self.partial.remove(&key) else { return Ok(()) };
        self.complete(part.id, done, at);
        Ok(())
    }

    /// A challenge whose parts are all in: recorded, and queued for its verdict when it decodes and names a
    /// claim that may be judged. Its deposit is paid back when it decodes (the bond backs it from now on), and
    /// forfeit when its parts do not make a challenge, which also costs its challenger the bond.
    fn complete(&mut self, id: Hash, done: PartialChallenge, at: u64) {
        let bytes = self.challenge_bytes_of(id, done.from, done.count);
        let hashes = zr_common::sha3_256(&bytes) == id;
        if let Some(first) = self.challenges.get(&id).filter(|_| hashes).map(|c| c.status.clone()) {
            // The same challenge, completed first by another sender: this copy fares as its verdict does.
            self.drop_challenge_bytes(id, done.from, done.count);
            let copy = (done.from, done.deposit);
            match first {
                ChallengeStatus::Waiting => self.copies.entry(id).or_default().push(copy),
                status => self.settle_copy(copy, &status, at),
            }
            return;
        }
        let decoded = match hashes {
            true => Dispute::from_bytes(&bytes).map_err(|e| format!("the challenge does not decode: {e}")).and_then(
                |dispute| match (dispute.executor(), dispute.height()) == (done.executor, done.height) {
                    true => Ok(dispute),
                    false => Err("it names another claim than its part 0 did".to_string()),
                },
            ),
            false => Err("its parts do not hash to its id".to_string()),
        };
        // Parts that do not hash to their id are recorded apart ([`unhashed_key`]), never under the id: the
        // challenge that does hash to it stays open to its challenger.
        let key = match hashes {
            true => id,
            false => unhashed_key(&id, &done.from),
        };
        let mut record = ChallengeRecord {
            id: key,
            challenger: done.from,
            executor: zr_common::PublicKey([0; 32]),
            height: 0,
            index: 0,
            completed_at: at,
            status: ChallengeStatus::Waiting,
        };
        match decoded {
            Err(reason) => {
                self.drop_challenge_bytes(id, done.from, done.count);
                record.status = self.challenger_wrong(&done.from, at, reason);
            }
            Ok(dispute) => {
                (record.executor, record.height, record.index) =
                    (dispute.executor(), dispute.height(), dispute.index());
                self.owe(Payout {
                    withdrawal: None,
                    recipient: done.from,
                    token: TokenStandard::ZNN,
                    amount: done.deposit,
                });
                // Its claim was open when part 0 came, and its height cannot have become final since.
                self.queue.push(Queued { id, from: done.from, count: done.count, len: bytes.len() });
            }
        }
        self.challenges.insert(key, record);
    }

    fn open_challenges_of(&self, challenger: &Address) -> usize {
        let arriving = self.partial.values().filter(|p| p.from == *challenger).count();
        let waiting = self
            .queue
            .iter()
            .filter(|queued| self.challenges.get(&queued.id).is_some_and(|c| c.challenger == *challenger))
            .count();
        arriving + waiting
    }

    /// Bytes reserved for challenges arriving (all their parts) and held by those waiting.
    fn challenge_bytes_held(&self) -> usize {
        self.partial.values().map(|p| p.count as usize * MAX_CHALLENGE_PART_LEN).sum::<usize>()
            + self.queue.iter().map(|queued| queued.len).sum::<usize>()
    }

    /// Checks a withdrawal proof sent in `block` at momentum `at`: the withdrawal to pay, once, or `None`
    /// (refused, with the reason recorded). The caller pays it and records the paying block with
    /// [`Settlement::paid`], or gives it back with [`Settlement::unpayable`].
    pub fn withdrawal(
        &mut self,
        block: &AccountBlock,
        proof: WithdrawalProof,
        at: u64,
    ) -> Option<(Hash, zr_protocol::Withdrawal)> {
        match self.check_withdrawal(&proof) {
            Ok(withdrawal) => {
                // Marked at once, so a second proof in the same momentum is refused; the paying block follows.
                self.paid.insert(proof.tx_hash, Hash::ZERO);
                Some((proof.tx_hash, withdrawal))
            }
            Err(reason) => {
                self.refuse(block, at, reason);
                None
            }
        }
    }

    fn check_withdrawal(&self, proof: &WithdrawalProof) -> Result<zr_protocol::Withdrawal, Refusal> {
        if self.paid.contains_key(&proof.tx_hash) {
            return Err(Refusal::WithdrawalPaid(proof.tx_hash));
        }
        let Some((root, _)) = self.recent_final.get(&proof.height) else {
            return Err(Refusal::NotFinalHeight(proof.height));
        };
        crate::checks::check_withdrawal_proof(root, proof)
    }

    /// Records that `l1_block` paid the withdrawal of `tx_hash`.
    pub fn paid(&mut self, tx_hash: Hash, l1_block: Hash) {
        self.paid.insert(tx_hash, l1_block);
    }

    /// Records a withdrawal the inbox could not pay (it may be proven again later).
    pub fn unpayable(&mut self, block: &AccountBlock, tx_hash: &Hash, token: TokenStandard, at: u64) {
        self.paid.remove(tx_hash);
        self.refuse(block, at, Refusal::Unpayable { token, tx_hash: *tx_hash });
    }

    // ----- Each momentum, after its sends -----

    /// Judges the waiting challenges in completion order at momentum `at`, up to the parameters' verdicts per
    /// momentum and [`VERDICT_WORK_PER_MOMENTUM`]: `work` tells what judging a claim at a height costs (the
    /// bundle blocks of that momentum, which the verdict orders), and a verdict that would go past the budget
    /// waits for the next momentum (the first of a momentum always runs). `judge` decides each against the
    /// claim recorded (see [`crate::judge_dispute`]).
    pub fn judge(
        &mut self,
        at: u64,
        work: &mut dyn FnMut(u64) -> u64,
        judge: &mut dyn FnMut(&Dispute, &ClaimRecord, &Parameters) -> Judgement,
    ) {
        let (mut judged, mut used) = (0usize, 0u64);
        while judged < self.params.max_verdicts_per_momentum as usize && !self.queue.is_empty() {
            let queued = self.queue.remove(0);
            let id = queued.id;
            let Some(challenger) = self.challenges.get(&id).map(|c| c.challenger) else { continue };
            let status = match Dispute::from_bytes(&self.challenge_bytes_of(id, queued.from, queued.count)) {
                Ok(dispute) => {
                    // A challenge naming no recorded claim is settled without ordering any momentum.
                    let claimed = self.claims.contains_key(&(dispute.height(), dispute.executor().address()));
                    let cost = if claimed { work(dispute.height()) } else { 0 };
                    if judged > 0 && used.saturating_add(cost) > VERDICT_WORK_PER_MOMENTUM {
                        self.queue.insert(0, queued);
                        break;
                    }
                    used = used.saturating_add(cost);
                    self.verdict(&id, &challenger, &dispute, at, judge)
                }
                Err(e) => self.challenger_wrong(&challenger, at, format!("the challenge does not decode: {e}")),
            };
            judged += 1;
            self.drop_challenge_bytes(id, queued.from, queued.count);
            for copy in self.copies.remove(&id).unwrap_or_default() {
                self.settle_copy(copy, &status, at);
            }
            if let Some(record) = self.challenges.get_mut(&id) {
                record.status = status;
            }
        }
    }

    fn verdict(
        &mut self,
        id: &Hash,
        challenger: &Address,
        dispute: &Dispute,
        at: u64,
        judge: &mut dyn FnMut(&Dispute, &ClaimRecord, &Parameters) -> Judgement,
    ) -> ChallengeStatus {
        let executor = dispute.executor().address();
        let Some(claim) = self.claims.get(&(dispute.height(), executor)).cloned() else {
            // A claim of a settled height may have been pruned since the challenge came in: nobody can say.
            if dispute.height() <= self.final_root.height {
                let reason = format!("height {} is final and its claims are no longer kept", dispute.height());
                return ChallengeStatus::Refunded { at, reason };
            }
            return self.challenger_wrong(challenger, at, "no such claim is recorded".into());
        };
        match (judge(dispute, &claim, &self.params), &claim.status) {
            (Judgement::ExecutorWrong { reason, correct_root }, ClaimStatus::Pending) => {
                let slashed = self.reject_from(id, challenger, executor, dispute.height(), reason.clone());
                ChallengeStatus::ExecutorWrong { at, reason, correct_root, slashed }
            }
            // Right, but about a claim already settled: nothing changes, and the challenger loses nothing.
            (Judgement::ExecutorWrong { reason, .. }, settled) => {
                let settled = match settled {
                    ClaimStatus::Rejected { .. } => "was rejected already",
                    ClaimStatus::Unfinalizable { .. } => "can never be final",
                    _ => "is final",
                };
                ChallengeStatus::Refunded { at, reason: format!("right ({reason}), but the claim {settled}") }
            }
            (Judgement::ProvesNothing(reason), _) => self.challenger_wrong(challenger, at, reason),
            (Judgement::CannotJudge(reason), _) => {
                ChallengeStatus::Refunded { at, reason: format!("the pillars could not judge it: {reason}") }
            }
        }
    }

    /// A copy of a challenge (its sender and deposit), once the challenge has `status`: a challenge that proves
    /// nothing costs every sender of it the bond and the deposit; otherwise the deposit goes back.
    fn settle_copy(&mut self, (from, deposit): (Address, u128), status: &ChallengeStatus, at: u64) {
        match status {
            ChallengeStatus::ChallengerWrong { reason, .. } => {
                self.challenger_wrong(&from, at, reason.clone());
            }
            _ => self.owe(Payout { withdrawal: None, recipient: from, token: TokenStandard::ZNN, amount: deposit }),
        }
    }

    fn challenger_wrong(&mut self, challenger: &Address, at: u64, reason: String) -> ChallengeStatus {
        self.bonds.remove(challenger);
        ChallengeStatus::ChallengerWrong { at, reason }
    }

    /// Rejects the open claim of `executor` at `height` (for `reason`) and every later one of that executor,
    /// and slashes its bond, half to `challenger`'s (none when an executor challenges itself); returns the
    /// amount slashed.
    fn reject_from(&mut self, id: &Hash, challenger: &Address, executor: Address, height: u64, reason: String) -> u128 {
        for ((h, who), claim) in self.claims.iter_mut() {
            if *who != executor || *h < height || claim.status != ClaimStatus::Pending {
                continue;
            }
            let reason = match *h == height {
                true => reason.clone(),
                false => format!("it builds on the claim for height {height} that was proven wrong"),
            };
            claim.status = ClaimStatus::Rejected { challenge: *id, reason };
        }
        let slashed = self.bonds.remove(&executor).map_or(0, |b| b.amount);
        if *challenger != executor
            && let Some(bond) = self.bonds.get_mut(challenger)
        {
            bond.amount = bond.amount.saturating_add(slashed / 2);
        }
        slashed
    }

    /// Settles what momentum `at` makes final, height by height from the one after the final root, after
    /// closing data-availability challenges and challenge parts whose time is up.
    ///
    /// No height becomes final while a challenge is arriving (its parts may take longer than a window, and
    /// its height is unknown until it is whole), nor within a window of a momentum at which the queue had no
    /// room for the largest challenge: filling the queue delays finality, at the price of the fillers'
    /// deposits and bonds, and never lets a claim become final unchallengeable.
    pub fn settle(&mut self, at: u64) {
        self.expire_da(at);
        self.expire_parts(at);
        if self.challenge_bytes_held() + LARGEST_CHALLENGE > MAX_CHALLENGE_BYTES_HELD {
            self.congested_at = Some(at);
        }
        let window = self.params.finality_window;
        let due_from = self.congested_at.map_or(0, |c| c.saturating_add(window));
        // The lowest height a challenge arriving names: it and every later height wait.
        let arriving_from = self.partial.values().map(|p| p.height).min().unwrap_or(u64::MAX);
        let pending_heights: BTreeSet<u64> =
            self.claims.iter().filter(|(_, c)| c.status == ClaimStatus::Pending).map(|((h, _), _)| *h).collect();
        for height in pending_heights {
            let FinalRoot { height: final_height, root: base } = self.final_root;
            if height <= final_height {
                self.settle_late(height, at);
                continue;
            }
            if height > final_height + 1 || height >= arriving_from {
                // The height before is not final yet, or a challenge of this height is arriving.
                break;
            }
            let open: Vec<zr_common::PublicKey> = self
                .challenges
                .values()
                .filter(|c| c.status == ChallengeStatus::Waiting && c.height == height)
                .map(|c| c.executor)
                .chain(
                    self.da.values().filter(|d| d.status == DaStatus::Open && d.height == height).map(|d| d.executor),
                )
                .collect();
            // What the height's open claims say (root and leaves): they must all agree, and one be due.
            let mut says = BTreeSet::new();
            let (mut due, mut challenged) = (false, false);
            for record in self.at_height(height) {
                if record.prev_state_root != base {
                    record.status = ClaimStatus::Unfinalizable {
                        reason: format!("it builds on {}, not the final root {base}", record.prev_state_root),
                    };
                    continue;
                }
                challenged |= open.contains(&record.executor);
                due |= at >= record.included_at.saturating_add(window).max(due_from);
                says.insert((record.new_state_root, record.leaves_root));
            }
            // None due yet, claims that disagree (left to a challenge), or one awaiting its verdict: this height
            // and every later one wait.
            let agreed = says.first().copied().filter(|_| says.len() == 1 && due && !challenged);
            let Some((root, leaves_root)) = agreed else { break };
            for record in self.at_height(height) {
                if at >= record.included_at.saturating_add(window).max(due_from) {
                    record.status = ClaimStatus::Final { at };
                }
            }
            // Claims of this height still in their window are settled as late ones when it ends.
            self.final_root = FinalRoot { height, root };
            self.recent_final.insert(height, (root, leaves_root));
        }
        self.prune();
    }

    /// Pending claims of a height already final: final if they agree once their window passes, else never.
    fn settle_late(&mut self, height: u64, at: u64) {
        let Some((root, leaves_root)) = self.recent_final.get(&height).copied() else { return };
        let window = self.params.finality_window;
        for record in self.at_height(height) {
            if (record.new_state_root, record.leaves_root) != (root, leaves_root) {
                record.status = ClaimStatus::Unfinalizable { reason: format!("another root, {root}, is final") };
            } else if at >= record.included_at.saturating_add(window) {
                record.status = ClaimStatus::Final { at };
            }
        }
    }

    fn at_height(&mut self, height: u64) -> impl Iterator<Item = &mut ClaimRecord> {
        self.claims
            .range_mut((height, Address([0; 20]))..=(height, Address([0xff; 20])))
            .map(|(_, c)| c)
            .filter(|c| c.status == ClaimStatus::Pending)
    }

    /// Data-availability challenges whose claim was rejected meanwhile (moot: deposit back), or past their
    /// window unanswered (the claim rejected, the executor's bond slashed, the deposit back).
    fn expire_da(&mut self, at: u64) {
        let open: Vec<(u64, Address)> =
            self.da.iter().filter(|(_, d)| d.status == DaStatus::Open).map(|(k, _)| *k).collect();
        for key in open {
            let record = self.da[&key].clone();
            let claim_open = self.claims.get(&key).is_some_and(|c| c.status == ClaimStatus::Pending);
            let status = if !claim_open {
                DaStatus::Moot { at }
            } else if at >= record.opened_at.saturating_add(self.params.da_window) {
                let id =
                    zr_common::sha3_256(&DaChallenge { executor: record.executor, height: record.height }.to_bytes());
                let reason = format!(
                    "its executor did not post its leaves within {} momentums of a data-availability challenge",
                    self.params.da_window
                );
                self.reject_from(&id, &record.challenger, key.1, record.height, reason);
                DaStatus::Unanswered { at }
            } else {
                continue;
            };
            self.owe(Payout {
                withdrawal: None,
                recipient: record.challenger,
                token: TokenStandard::ZNN,
                amount: record.deposit,
            });
            if let Some(open) = self.da.get_mut(&key) {
                open.status = status;
            }
        }
        // Leaves still arriving for a height with nothing open to answer are dropped.
        let idle: Vec<(u64, Address)> =
            self.leaves_parts.keys().filter(|(h, _)| !self.da_open_at(*h)).copied().collect();
        for key in idle {
            self.take_leaves_bytes(key);
        }
    }

    /// Momentums a challenge of `count` parts has for them all to arrive after its part 0: two, and one more for
    /// every [`PARTS_PER_MOMENTUM`] parts, at most the parameters' `challenge_parts_expire`. A challenge arriving
    /// holds finality, so a small one left unfinished holds it only briefly.
    fn parts_time(&self, count: u32) -> u64 {
        (2 + u64::from(count).div_ceil(PARTS_PER_MOMENTUM)).min(self.params.challenge_parts_expire)
    }

    /// Challenges whose parts did not all arrive in time are dropped, their deposit forfeit (it stays with the
    /// inbox) and their sender fined.
    fn expire_parts(&mut self, at: u64) {
        let expired: Vec<(Hash, Address)> = self
            .partial
            .iter()
            .filter(|(_, p)| at >= p.first_at.saturating_add(self.parts_time(p.count)))
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            let Some(partial) = self.partial.remove(&id) else { continue };
            self.drop_challenge_bytes(id.0, partial.from, partial.count);
            if let Some(bond) = self.bonds.get_mut(&partial.from) {
                bond.amount = bond.amount.saturating_sub(self.params.min_bond / 10);
                if bond.amount == 0 {
                    self.bonds.remove(&partial.from);
                }
            }
        }
    }

    /// Bonds whose unbonding delay has passed with nothing open against them: removed and owed back. Open: a
    /// pending claim of the owner, a challenge by or against it awaiting its verdict or its parts, a
    /// data-availability challenge by or against it.
    pub fn release_bonds(&mut self, at: u64) {
        let delay = self.params.unbond_delay;
        let due: Vec<Address> = self
            .bonds
            .iter()
            .filter(|(_, b)| b.unbonding_since.is_some_and(|since| at >= since.saturating_add(delay)))
            .map(|(owner, _)| *owner)
            .filter(|owner| {
                let claims_open = self.claims.iter().any(|((_, a), c)| a == owner && c.status == ClaimStatus::Pending);
                let challenges_open = self.challenges.values().any(|c| {
                    c.status == ChallengeStatus::Waiting && (c.challenger == *owner || c.executor.address() == *owner)
                });
                let arriving = self.partial.values().any(|p| p.from == *owner || p.executor.address() == *owner);
                let da_open = self
                    .da
                    .values()
                    .any(|d| d.status == DaStatus::Open && (d.challenger == *owner || d.executor.address() == *owner));
                !claims_open && !challenges_open && !arriving && !da_open
            })
            .collect();
        for owner in due {
            if let Some(bond) = self.bonds.remove(&owner) {
                self.owe(Payout { withdrawal: None, recipient: owner, token: TokenStandard::ZNN, amount: bond.amount });
            }
        }
    }

    /// Takes every payout owed, to pay now; those the inbox cannot cover go back with [`Settlement::owe`].
    pub fn take_owed(&mut self) -> Vec<Payout> {
        std::mem::take(&mut self.owed)
    }

    /// Owes `payout` (paid by the inbox when it can, in order).
    pub fn owe(&mut self, payout: Payout) {
        self.owed.push(payout);
    }

    /// Owes the sender of `block` what it sent, when it was refused.
    fn pay_back(&mut self, block: &AccountBlock) {
        if block.amount > 0 {
            self.owe(Payout {
                withdrawal: None,
                recipient: block.address,
                token: block.token_standard,
                amount: block.amount,
            });
        }
    }

    /// The bytes of challenge `id`'s parts in so far, in order.
    fn challenge_bytes_of(&self, id: Hash, from: Address, count: u32) -> Vec<u8> {
        (0..count).filter_map(|index| self.challenge_bytes.get(&(id, from, index))).flatten().copied().collect()
    }

    fn drop_challenge_bytes(&mut self, id: Hash, from: Address, count: u32) {
        for index in 0..count {
            self.challenge_bytes.remove(&(id, from, index));
        }
    }

    /// Removes the leaves arriving from a sender for a height, returning their bytes in order.
    fn take_leaves_bytes(&mut self, key: (u64, Address)) -> Vec<u8> {
        let (_, parts) = self.leaves_parts.remove(&key).unwrap_or_default();
        let mut bytes = Vec::new();
        for index in parts {
            if let Some(part) = self.leaves_bytes.remove(&(key.0, key.1, index)) {
                bytes.extend_from_slice(&part);
            }
        }
        bytes
    }

    // ----- Storage, for the adapter -----

    /// What changed of the maps stored by key since the last call, to write with the momentum.
    pub fn take_stored_changes(&mut self) -> StoredChanges {
        StoredChanges {
            paid: self.paid.take_changes(),
            challenge_bytes: self.challenge_bytes.take_changes(),
            leaves_bytes: self.leaves_bytes.take_changes(),
        }
    }

    /// Puts back a withdrawal paid, as stored.
    pub fn restore_paid(&mut self, tx_hash: Hash, l1_block: Hash) {
        self.paid.restore(tx_hash, l1_block);
    }

    /// Puts back a challenge part's bytes, as stored.
    pub fn restore_challenge_bytes(&mut self, id: Hash, from: Address, index: u32, bytes: Vec<u8>) {
        self.challenge_bytes.restore((id, from, index), bytes);
    }

    /// Puts back a leaves part's bytes, as stored.
    pub fn restore_leaves_bytes(&mut self, height: u64, sender: Address, index: u32, bytes: Vec<u8>) {
        self.leaves_bytes.restore((height, sender, index), bytes);
    }

    /// From now on the stored maps' rows are loaded on demand: a row neither restored nor answered absent
    /// ([`Settlement::restore_absent`]) reads as absent and is listed by [`Settlement::rows_missing`], and what
    /// was decided with it must be discarded and decided again with the row answered.
    pub fn rows_on_demand(&mut self) {
        self.paid.on_demand();
        self.challenge_bytes.on_demand();
        self.leaves_bytes.on_demand();
    }

    /// The rows read that the adapter has not answered yet.
    pub fn rows_missing(&self) -> Vec<RowKey> {
        let paid = self.paid.missing().into_iter().map(RowKey::Paid);
        let challenge =
            self.challenge_bytes.missing().into_iter().map(|(id, from, i)| RowKey::ChallengeBytes(id, from, i));
        let leaves = self.leaves_bytes.missing().into_iter().map(|(h, from, i)| RowKey::LeavesBytes(h, from, i));
        paid.chain(challenge).chain(leaves).collect()
    }

    /// Notes that the adapter holds no row at `key`.
    pub fn restore_absent(&mut self, key: RowKey) {
        match key {
            RowKey::Paid(tx_hash) => self.paid.restore_absent(tx_hash),
            RowKey::ChallengeBytes(id, from, index) => self.challenge_bytes.restore_absent((id, from, index)),
            RowKey::LeavesBytes(height, from, index) => self.leaves_bytes.restore_absent((height, from, index)),
        }
    }

    /// Whether `address` has a bond that covers new claims and challenges: not unbonding, and (after fines) at
    /// least the least bond.
    fn live_bond(&self, address: &Address) -> bool {
        self.bonds.get(address).is_some_and(|b| b.unbonding_since.is_none() && b.amount >= self.params.min_bond)
    }

    fn refuse(&mut self, block: &AccountBlock, at: u64, reason: Refusal) {
        self.refused.push(Refused { l1_block: block.hash, sender: block.address, at, reason: reason.to_string() });
        if self.refused.len() > KEEP_REFUSED {
            self.refused.remove(0);
        }
    }

    fn prune(&mut self) {
        let keep_from = self.final_root.height.saturating_sub(KEEP_SETTLED);
        let named: BTreeSet<(u64, Address)> = self
            .challenges
            .values()
            .filter(|c| c.status == ChallengeStatus::Waiting)
            .map(|c| (c.height, c.executor.address()))
            .collect();
        self.claims.retain(|key, c| key.0 >= keep_from || c.status == ClaimStatus::Pending || named.contains(key));
        self.recent_final.retain(|h, _| *h >= keep_from);
        self.challenges.retain(|_, c| c.height >= keep_from || c.status == ChallengeStatus::Waiting);
        self.da.retain(|(h, _), d| *h >= keep_from || d.status == DaStatus::Open);
        self.answered_leaves.retain(|(h, _)| *h >= keep_from);
    }

    // ----- Queries -----

    /// Data-availability challenges of claims at heights from `from`, at most `count` heights.
    pub fn da_challenges(&self, from: u64, count: u64) -> Vec<DaRecord> {
        let end = from.saturating_add(count);
        self.da.range((from, Address([0; 20]))..).take_while(|((h, _), _)| *h < end).map(|(_, d)| d.clone()).collect()
    }

    /// Data-availability challenges still open, of any height.
    pub fn open_da_challenges(&self) -> Vec<DaRecord> {
        self.da.values().filter(|d| d.status == DaStatus::Open).cloned().collect()
    }

    /// Complete challenges waiting for a verdict.
    pub fn waiting(&self) -> usize {
        self.queue.len()
    }

    /// A challenge by id.
    pub fn challenge(&self, id: &Hash) -> Option<&ChallengeRecord> {
        self.challenges.get(id)
    }

    /// The challenges of claims at heights from `from`, at most `count` heights.
    pub fn challenges(&self, from: u64, count: u64) -> Vec<ChallengeRecord> {
        let end = from.saturating_add(count);
        self.challenges.values().filter(|c| c.height >= from && c.height < end).cloned().collect()
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;

#[cfg(test)]
#[path = "model.rs"]
mod model;

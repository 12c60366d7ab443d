//! The rollup inbox's settlement state, decided by the pillars as momentums are produced: bonds, every claim
//! an executor posts with its status, and the final root. On NoM this would ship in go-zenon as a spork; here
//! it is part of the devnet's state, committed with each momentum.
//!
//! A claim is final once its window of `FINALITY_WINDOW` momentums after inclusion has passed, if its executor
//! had a live bond when it was included and it builds on the final root of the height before (the empty state
//! for the first). Claims of one height that disagree are left pending: only a challenge can
//! settle them.

use std::collections::BTreeMap;

use zr_common::nom::AccountBlock;
use zr_common::rollup::Claim;
use zr_common::rollup::settlement::{
    Bond, CHALLENGE_PARTS_EXPIRE, ChallengeRecord, ChallengeStatus, ClaimRecord, ClaimStatus, DA_WINDOW, DaRecord,
    DaStatus, FinalRoot, MAX_VERDICTS_PER_MOMENTUM, MIN_BOND, Refused, UNBOND_DELAY,
};
use zr_common::{Address, Canonical, Hash, TokenStandard};
use zr_fraud::Challenge;
use zr_sequencing::bundle::{ChallengePart, DaChallenge, LeavesPart, MAX_CHALLENGE_PARTS, WithdrawalProof};

/// Heights of settled claims kept below the final height (what `embedded.rollup.getClaims` can show).
const KEEP_SETTLED: u64 = 256;
/// Refusals kept, newest last.
const KEEP_REFUSED: usize = 256;

/// The settlement state.
#[derive(Debug, Clone, Default, PartialEq, Eq, bincode::Encode, bincode::Decode)]
pub struct Settlement {
    bonds: BTreeMap<Address, Bond>,
    /// By (height, executor's L1 address).
    claims: BTreeMap<(u64, Address), ClaimRecord>,
    final_root: Option<FinalRoot>,
    /// Final roots (and leaves roots) of recent heights, for late claims.
    recent_final: BTreeMap<u64, (Hash, Hash)>,
    refused: Vec<Refused>,
    /// Challenges whose parts are still arriving, by id.
    partial: BTreeMap<Hash, PartialChallenge>,
    /// Complete challenges waiting for a verdict, in completion order, with their bytes.
    queue: Vec<(Hash, Vec<u8>)>,
    /// Every challenge completed, by id.
    challenges: BTreeMap<Hash, ChallengeRecord>,
    /// Withdrawals paid, by withdrawing transaction: the L1 block that paid each (paid once, ever).
    paid: BTreeMap<Hash, Hash>,
    /// Data-availability challenges, by (height, executor's address).
    da: BTreeMap<(u64, Address), DaRecord>,
    /// Leaves arriving in answer to them, by (height, executor's address).
    leaves_parts: BTreeMap<(u64, Address), Parts>,
}

/// Parts of something posted in pieces: how many there will be, and those in so far by index.
type Parts = (u32, BTreeMap<u32, Vec<u8>>);

/// A challenge whose parts are arriving.
#[derive(Debug, Clone, PartialEq, Eq, bincode::Encode, bincode::Decode)]
struct PartialChallenge {
    from: Address,
    count: u32,
    parts: BTreeMap<u32, Vec<u8>>,
    first_at: u64,
}

impl Settlement {
    /// The bond of `address`, if any.
    pub fn bond(&self, address: &Address) -> Option<&Bond> {
        self.bonds.get(address)
    }

    /// The final root, if any claim is final yet.
    pub fn final_root(&self) -> Option<FinalRoot> {
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

    /// The L1 block that paid the withdrawal of rollup transaction `tx_hash`, if paid.
    pub fn payout(&self, tx_hash: &Hash) -> Option<Hash> {
        self.paid.get(tx_hash).copied()
    }

    /// Checks a withdrawal proof sent in `block` at momentum `at`: the withdrawal to pay, once, or `None`
    /// (refused, with the reason recorded). The caller pays it and records the paying block.
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

    fn check_withdrawal(&self, proof: &WithdrawalProof) -> Result<zr_protocol::Withdrawal, String> {
        if self.paid.contains_key(&proof.tx_hash) {
            return Err(format!("the withdrawal of {} is paid already", proof.tx_hash));
        }
        let Some((root, _)) = self.recent_final.get(&proof.height) else {
            return Err(format!("height {} is not a recent final height: prove against the final root", proof.height));
        };
        let key = zr_protocol::StateKey::Withdrawal { tx_hash: proof.tx_hash }.hash();
        match proof.proof.verify(root, &key) {
            Ok(Some(value_hash)) if value_hash == zr_common::sha3_256(&proof.value) => {}
            Ok(_) => return Err("the proof does not show that withdrawal in the final state".into()),
            Err(e) => return Err(format!("the withdrawal proof is invalid: {e}")),
        }
        zr_protocol::state::decode_value("withdrawal", &proof.value)
            .map_err(|e| format!("the withdrawal does not decode: {e}"))
    }

    /// Records that `l1_block` paid the withdrawal of `tx_hash`.
    pub fn paid(&mut self, tx_hash: Hash, l1_block: Hash) {
        self.paid.insert(tx_hash, l1_block);
    }

    /// Records a withdrawal the inbox could not pay (it may be proven again later).
    pub fn unpayable(&mut self, block: &AccountBlock, tx_hash: &Hash, at: u64, reason: String) {
        self.paid.remove(tx_hash);
        self.refuse(block, at, reason);
    }

    /// Data-availability challenges of claims at heights from `from`, at most `count` heights.
    pub fn da_challenges(&self, from: u64, count: u64) -> Vec<DaRecord> {
        let end = from.saturating_add(count);
        self.da.range((from, Address([0; 20]))..).take_while(|((h, _), _)| *h < end).map(|(_, d)| d.clone()).collect()
    }

    /// Records a data-availability challenge sent in `block` at momentum `at`.
    pub fn da_challenge(&mut self, block: &AccountBlock, challenge: DaChallenge, at: u64) {
        let key = (challenge.height, challenge.executor.address());
        let refused = if !self.live_bond(&block.address) {
            Some("a challenger needs a live bond (send one with the bond payload first)".to_owned())
        } else if self.claims.get(&key).is_none_or(|c| c.status != ClaimStatus::Pending) {
            Some(format!("no open claim of {} at height {}", challenge.executor, challenge.height))
        } else if self.da.get(&key).is_some_and(|d| d.status == DaStatus::Open) {
            Some("that claim is under a data-availability challenge already".to_owned())
        } else {
            None
        };
        if let Some(reason) = refused {
            return self.refuse(block, at, reason);
        }
        let record = DaRecord {
            challenger: block.address,
            executor: challenge.executor,
            height: challenge.height,
            opened_at: at,
            status: DaStatus::Open,
        };
        self.da.insert(key, record);
    }

    /// Records a part of the leaves an executor posts in `block` at momentum `at` to answer a challenge.
    pub fn leaves_part(&mut self, block: &AccountBlock, part: LeavesPart, at: u64) {
        if let Err(reason) = self.add_leaves_part(block, part, at) {
            self.refuse(block, at, reason);
        }
    }

    fn add_leaves_part(&mut self, block: &AccountBlock, part: LeavesPart, at: u64) -> Result<(), String> {
        let key = (part.height, block.address);
        if self.da.get(&key).is_none_or(|d| d.status != DaStatus::Open) {
            return Err(format!("no open data-availability challenge of this account's claim at {}", part.height));
        }
        if part.count == 0 || part.count > MAX_CHALLENGE_PARTS || part.index >= part.count {
            return Err(format!(
                "leaves come in 1 to {MAX_CHALLENGE_PARTS} parts, this part says {}/{}",
                part.index, part.count
            ));
        }
        let (count, parts) = self.leaves_parts.entry(key).or_insert_with(|| (part.count, BTreeMap::new()));
        if *count != part.count {
            return Err("a part of these leaves with another count".into());
        }
        parts.insert(part.index, part.bytes);
        if parts.len() as u32 != *count {
            return Ok(());
        }
        let (_, parts) = self.leaves_parts.remove(&key).expect("just updated");
        let bytes: Vec<u8> = parts.into_values().flatten().collect();
        let leaves: Vec<zr_protocol::ClaimLeaf> =
            zr_common::codec::decode("claim leaves", &bytes, MAX_CHALLENGE_PARTS as usize * 16 * 1024)
                .map_err(|e| format!("the leaves do not decode: {e}"))?;
        let claim = &self.claims[&key];
        if zr_protocol::leaves_root(&leaves) != claim.leaves_root {
            return Err("the leaves posted do not hash to the claim's leaves root".into());
        }
        let challenger = self.da[&key].challenger;
        // The data was available: the challenge cost its challenger's bond (a spam deterrent).
        self.bonds.remove(&challenger);
        self.da.get_mut(&key).expect("open").status = DaStatus::Answered { at };
        Ok(())
    }

    /// Data-availability challenges past their window unanswered: their claims are rejected, their executors'
    /// bonds slashed.
    fn expire_da(&mut self, at: u64) {
        let due: Vec<(u64, Address)> = self
            .da
            .iter()
            .filter(|(_, d)| d.status == DaStatus::Open && at >= d.opened_at + DA_WINDOW)
            .map(|(k, _)| *k)
            .collect();
        for (height, executor) in due {
            let record = self.da.get_mut(&(height, executor)).expect("listed");
            record.status = DaStatus::Unanswered { at };
            let challenger = record.challenger;
            let id = zr_common::sha3_256(&DaChallenge { executor: record.executor, height }.to_bytes());
            let first = format!(
                "its executor did not post its leaves within {DA_WINDOW} momentums of a data-availability challenge"
            );
            self.reject_from(&id, &challenger, executor, height, first);
        }
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

    /// Records a part of a challenge sent in `block`, confirmed at momentum `at`.
    pub fn challenge_part(&mut self, block: &AccountBlock, part: ChallengePart, at: u64) {
        if let Err(reason) = self.add_part(block, part, at) {
            self.refuse(block, at, reason);
        }
    }

    fn add_part(&mut self, block: &AccountBlock, part: ChallengePart, at: u64) -> Result<(), String> {
        if part.count == 0 || part.count > MAX_CHALLENGE_PARTS || part.index >= part.count {
            return Err(format!(
                "a challenge has 1 to {MAX_CHALLENGE_PARTS} parts, this part says {}/{}",
                part.index, part.count
            ));
        }
        if self.challenges.contains_key(&part.id) || self.queue.iter().any(|(id, _)| *id == part.id) {
            return Err(format!("challenge {} is in already", part.id));
        }
        if !self.live_bond(&block.address) {
            return Err("a challenger needs a live bond (send one with the bond payload first)".into());
        }
        let entry = self.partial.entry(part.id).or_insert_with(|| PartialChallenge {
            from: block.address,
            count: part.count,
            parts: BTreeMap::new(),
            first_at: at,
        });
        if entry.from != block.address || entry.count != part.count {
            return Err(format!("part of challenge {} from another sender or with another count", part.id));
        }
        entry.parts.insert(part.index, part.bytes);
        if entry.parts.len() as u32 == entry.count {
            let done = self.partial.remove(&part.id).expect("just updated");
            let bytes: Vec<u8> = done.parts.into_values().flatten().collect();
            if zr_common::sha3_256(&bytes) != part.id {
                return Err(format!("the parts of challenge {} do not hash to its id", part.id));
            }
            let (challenge, status) = match Challenge::from_bytes(&bytes) {
                Ok(challenge) => (Some(challenge), ChallengeStatus::Waiting),
                Err(e) => (None, self.challenger_wrong(&done.from, at, format!("the challenge does not decode: {e}"))),
            };
            let record = ChallengeRecord {
                id: part.id,
                challenger: done.from,
                executor: challenge.as_ref().map_or(zr_common::PublicKey([0; 32]), |c| c.executor),
                height: challenge.as_ref().map_or(0, |c| c.height),
                index: challenge.as_ref().map_or(0, |c| c.index),
                completed_at: at,
                status,
            };
            if challenge.is_some() {
                self.queue.push((part.id, bytes));
            }
            self.challenges.insert(part.id, record);
        }
        Ok(())
    }

    /// Judges up to [`MAX_VERDICTS_PER_MOMENTUM`] waiting challenges in completion order at momentum `at`:
    /// `verdict` re-executes the challenged leaf against the claim recorded, giving the correct root when the
    /// executor is wrong and why not otherwise.
    pub fn judge(&mut self, at: u64, verdict: &mut dyn FnMut(&Challenge, &ClaimRecord) -> Result<Hash, String>) {
        let take = self.queue.len().min(MAX_VERDICTS_PER_MOMENTUM);
        for (id, bytes) in self.queue.drain(..take).collect::<Vec<_>>() {
            let challenge = Challenge::from_bytes(&bytes).expect("queued challenges decoded when they completed");
            let challenger = self.challenges[&id].challenger;
            let executor = challenge.executor.address();
            let status = match self.claims.get(&(challenge.height, executor)).cloned() {
                None => self.challenger_wrong(&challenger, at, "no such claim is recorded".into()),
                Some(claim) if claim.status != ClaimStatus::Pending => self.challenger_wrong(
                    &challenger,
                    at,
                    "the claim is not open to challenges (final or settled)".into(),
                ),
                Some(claim) => match verdict(&challenge, &claim) {
                    Ok(correct_root) => self.executor_wrong(&id, &challenger, &challenge, at, correct_root),
                    Err(reason) => self.challenger_wrong(&challenger, at, reason),
                },
            };
            self.challenges.get_mut(&id).expect("recorded").status = status;
        }
    }

    fn challenger_wrong(&mut self, challenger: &Address, at: u64, reason: String) -> ChallengeStatus {
        self.bonds.remove(challenger);
        ChallengeStatus::ChallengerWrong { at, reason }
    }

    fn executor_wrong(
        &mut self,
        id: &Hash,
        challenger: &Address,
        what: &Challenge,
        at: u64,
        correct_root: Hash,
    ) -> ChallengeStatus {
        let reason = format!("leaf {} is wrong: it should give root {correct_root}", what.index);
        let slashed = self.reject_from(id, challenger, what.executor.address(), what.height, reason);
        ChallengeStatus::ExecutorWrong { at, correct_root, slashed }
    }

    /// Rejects the open claim of `executor` at `height` (for `reason`) and every later one of that executor,
    /// and slashes its bond, half to `challenger`'s; returns the amount slashed.
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
        if let Some(bond) = self.bonds.get_mut(challenger) {
            bond.amount = bond.amount.saturating_add(slashed / 2);
        }
        slashed
    }

    /// Records a bond sent in `block`, confirmed at momentum `at`.
    pub fn bond_sent(&mut self, block: &AccountBlock, at: u64) {
        if block.token_standard != TokenStandard::ZNN || block.amount < MIN_BOND {
            // Publishing refuses these; a block that got through anyway locks nothing.
            return self.refuse(block, at, format!("a bond is at least {MIN_BOND} ZNN (smallest unit)"));
        }
        // Sent to an unbonding bond, it is paid back with it.
        let bond = self.bonds.entry(block.address).or_insert(Bond { amount: 0, since: at, unbonding_since: None });
        bond.amount = bond.amount.saturating_add(block.amount);
    }

    /// Records an unbond request sent in `block` at momentum `at`.
    pub fn unbond(&mut self, block: &AccountBlock, at: u64) {
        match self.bonds.get_mut(&block.address) {
            Some(bond) if bond.unbonding_since.is_none() => bond.unbonding_since = Some(at),
            Some(_) => self.refuse(block, at, "the bond is unbonding already".into()),
            None => self.refuse(block, at, "no bond to unbond".into()),
        }
    }

    /// Bonds whose unbonding delay has passed with nothing open against them, removed to be paid back:
    /// (owner, amount). Open: a pending claim of the owner, or a challenge by or against it awaiting its verdict.
    pub fn release_bonds(&mut self, at: u64) -> Vec<(Address, u128)> {
        let due: Vec<Address> = self
            .bonds
            .iter()
            .filter(|(_, b)| b.unbonding_since.is_some_and(|since| at >= since + UNBOND_DELAY))
            .map(|(owner, _)| *owner)
            .filter(|owner| {
                let claims_open = self.claims.iter().any(|((_, a), c)| a == owner && c.status == ClaimStatus::Pending);
                let challenges_open = self.challenges.values().any(|c| {
                    c.status == ChallengeStatus::Waiting && (c.challenger == *owner || c.executor.address() == *owner)
                });
                let da_open = self
                    .da
                    .values()
                    .any(|d| d.status == DaStatus::Open && (d.challenger == *owner || d.executor.address() == *owner));
                !claims_open && !challenges_open && !da_open
            })
            .collect();
        due.into_iter().filter_map(|owner| self.bonds.remove(&owner).map(|b| (owner, b.amount))).collect()
    }

    /// Whether `address` has a bond that covers new claims and challenges (not unbonding).
    fn live_bond(&self, address: &Address) -> bool {
        self.bonds.get(address).is_some_and(|b| b.unbonding_since.is_none())
    }

    /// Records a claim sent in `block`, confirmed at momentum `at`.
    pub fn claim_sent(&mut self, block: &AccountBlock, claim: Claim, at: u64) {
        if let Err(reason) = self.record(block, claim, at) {
            self.refuse(block, at, reason);
        }
    }

    /// Records a payload that does not decode.
    pub fn undecodable(&mut self, block: &AccountBlock, at: u64, reason: String) {
        self.refuse(block, at, reason);
    }

    fn record(&mut self, block: &AccountBlock, claim: Claim, at: u64) -> Result<(), String> {
        if claim.verify_signature().is_err() {
            return Err("the claim's signature does not verify".into());
        }
        let body = &claim.body;
        if body.executor.address() != block.address {
            return Err("a claim is posted by its executor's own account".into());
        }
        if let Some(done) = self.final_root
            && body.height <= done.height
        {
            return Err(format!("height {} is final already", body.height));
        }
        let key = (body.height, block.address);
        if self.claims.contains_key(&key) {
            return Err(format!("this executor's claim for height {} is recorded already", body.height));
        }
        let status = match self.live_bond(&block.address) {
            true => ClaimStatus::Pending,
            false => ClaimStatus::Unfinalizable { reason: "its executor had no bond when it was included".into() },
        };
        self.claims.insert(
            key,
            ClaimRecord {
                executor: body.executor,
                height: body.height,
                prev_state_root: body.prev_state_root,
                new_state_root: body.new_state_root,
                leaves_root: body.leaves_root,
                vm_version: body.vm_version,
                l1_block: block.hash,
                included_at: at,
                status,
            },
        );
        Ok(())
    }

    fn refuse(&mut self, block: &AccountBlock, at: u64, reason: String) {
        self.refused.push(Refused { l1_block: block.hash, sender: block.address, at, reason });
        if self.refused.len() > KEEP_REFUSED {
            self.refused.remove(0);
        }
    }

    /// Settles what momentum `at` makes final, height by height from the one after the final root.
    pub fn settle(&mut self, at: u64) {
        self.expire_da(at);
        let pending_heights: Vec<u64> = self
            .claims
            .iter()
            .filter(|(_, c)| c.status == ClaimStatus::Pending)
            .map(|((h, _), _)| *h)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for height in pending_heights {
            let (expected_height, base) = match self.final_root {
                Some(done) => (done.height + 1, done.root),
                None => (height, Hash::ZERO),
            };
            if height < expected_height {
                self.settle_late(height, at);
                continue;
            }
            if height > expected_height {
                // The height before is not final yet.
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
            let mut says = std::collections::BTreeSet::new();
            let (mut due, mut challenged) = (false, false);
            for record in self.at_height(height) {
                if record.prev_state_root != base {
                    record.status = ClaimStatus::Unfinalizable {
                        reason: format!("it builds on {}, not the final root {base}", record.prev_state_root),
                    };
                    continue;
                }
                challenged |= open.contains(&record.executor);
                due |= at >= record.window_ends();
                says.insert((record.new_state_root, record.leaves_root));
            }
            // None due yet, claims that disagree (left to a challenge), or one awaiting its verdict: this height
            // and every later one wait.
            let agreed = says.first().copied().filter(|_| says.len() == 1 && due && !challenged);
            let Some((root, leaves_root)) = agreed else { break };
            for record in self.at_height(height) {
                if at >= record.window_ends() {
                    record.status = ClaimStatus::Final { at };
                }
            }
            // Claims of this height still in their window are settled as late ones when it ends.
            self.final_root = Some(FinalRoot { height, root });
            self.recent_final.insert(height, (root, leaves_root));
        }
        self.prune(at);
    }

    /// Pending claims of a height already final: final if they agree once their window passes, else never.
    fn settle_late(&mut self, height: u64, at: u64) {
        let Some((root, leaves_root)) = self.recent_final.get(&height).copied() else { return };
        for record in self.at_height(height) {
            if (record.new_state_root, record.leaves_root) != (root, leaves_root) {
                record.status = ClaimStatus::Unfinalizable { reason: format!("another root, {root}, is final") };
            } else if at >= record.window_ends() {
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

    fn prune(&mut self, at: u64) {
        self.partial.retain(|_, p| at < p.first_at + CHALLENGE_PARTS_EXPIRE);
        let Some(done) = self.final_root else { return };
        let keep_from = done.height.saturating_sub(KEEP_SETTLED);
        self.claims.retain(|(h, _), c| *h >= keep_from || c.status == ClaimStatus::Pending);
        self.recent_final.retain(|h, _| *h >= keep_from);
        self.challenges.retain(|_, c| c.height >= keep_from || c.status == ChallengeStatus::Waiting);
        self.da.retain(|(h, _), d| *h >= keep_from || d.status == DaStatus::Open);
    }
}

#[cfg(test)]
mod tests {
    use zr_common::KeyPair;
    use zr_common::rollup::ClaimBody;
    use zr_common::rollup::settlement::FINALITY_WINDOW;

    use super::*;

    fn key(n: u8) -> KeyPair {
        KeyPair::from_seed(&[n; 32])
    }

    fn root(n: u8) -> Hash {
        Hash([n; 32])
    }

    fn block_of(who: &KeyPair, n: u8) -> AccountBlock {
        AccountBlock { address: who.address(), hash: Hash([n; 32]), ..AccountBlock::default() }
    }

    fn claim(who: &KeyPair, height: u64, prev: Hash, new: Hash) -> Claim {
        ClaimBody {
            chain_id: 1,
            executor: who.public(),
            height,
            timestamp: 0,
            prev_state_root: prev,
            new_state_root: new,
            leaves_root: Hash::ZERO,
            vm_version: Hash::ZERO,
        }
        .sign(who)
    }

    fn bonded(keys: &[&KeyPair]) -> Settlement {
        let mut s = Settlement::default();
        for (i, k) in keys.iter().enumerate() {
            let bond =
                AccountBlock { token_standard: TokenStandard::ZNN, amount: MIN_BOND, ..block_of(k, 100 + i as u8) };
            s.bond_sent(&bond, 1);
        }
        s
    }

    fn status(s: &Settlement, height: u64, who: &KeyPair) -> ClaimStatus {
        s.claims(height, 1).into_iter().find(|c| c.executor == who.public()).expect("recorded").status
    }

    #[test]
    fn claims_chain_into_finality_after_the_window() {
        let (a, b) = (key(1), key(2));
        let mut s = bonded(&[&a, &b]);
        s.claim_sent(&block_of(&a, 1), claim(&a, 5, Hash::ZERO, root(5)), 2);
        s.claim_sent(&block_of(&a, 2), claim(&a, 6, root(5), root(6)), 3);
        s.settle(2 + FINALITY_WINDOW - 1);
        assert_eq!(s.final_root(), None, "still in its window");
        s.settle(3 + FINALITY_WINDOW);
        assert_eq!(s.final_root(), Some(FinalRoot { height: 6, root: root(6) }), "both heights in one momentum");
        assert_eq!(status(&s, 5, &a), ClaimStatus::Final { at: 3 + FINALITY_WINDOW });
        // A late agreeing claim is final after its own window; a late disagreeing one never.
        s.claim_sent(&block_of(&b, 3), claim(&b, 7, root(6), root(7)), 20);
        s.claim_sent(&block_of(&a, 4), claim(&a, 7, root(6), root(7)), 21);
        s.settle(20 + FINALITY_WINDOW);
        assert_eq!(s.final_root().unwrap().height, 7);
        assert_eq!(status(&s, 7, &a), ClaimStatus::Pending);
        s.settle(21 + FINALITY_WINDOW);
        assert!(matches!(status(&s, 7, &a), ClaimStatus::Final { .. }));
    }

    #[test]
    fn disagreeing_claims_wait_and_broken_chains_never_finalise() {
        let (a, b, c) = (key(1), key(2), key(3));
        let mut s = bonded(&[&a, &b]);
        s.claim_sent(&block_of(&a, 1), claim(&a, 5, Hash::ZERO, root(5)), 2);
        s.claim_sent(&block_of(&b, 2), claim(&b, 5, Hash::ZERO, root(55)), 2);
        s.settle(100);
        assert_eq!(s.final_root(), None, "two roots for one height: left to a challenge");
        assert_eq!(status(&s, 5, &a), ClaimStatus::Pending);

        let mut s = bonded(&[&a, &b]);
        s.claim_sent(&block_of(&a, 1), claim(&a, 5, Hash::ZERO, root(5)), 2);
        s.claim_sent(&block_of(&b, 2), claim(&b, 6, root(99), root(6)), 2);
        s.claim_sent(&block_of(&c, 3), claim(&c, 6, root(5), root(6)), 2);
        s.settle(100);
        assert_eq!(s.final_root(), Some(FinalRoot { height: 5, root: root(5) }));
        assert!(matches!(status(&s, 6, &b), ClaimStatus::Unfinalizable { reason } if reason.contains("builds on")));
        assert!(matches!(status(&s, 6, &c), ClaimStatus::Unfinalizable { reason } if reason.contains("no bond")));
    }

    /// A challenge of leaf 0 of `who`'s claim at `height`, its witness a placeholder: these tests stand in for
    /// the re-execution (the fraud library's own tests cover it).
    fn challenge_of(who: &KeyPair, height: u64) -> Challenge {
        let leaf = zr_protocol::ClaimLeaf {
            tx_hash: Hash::ZERO,
            post_state_root: Hash::ZERO,
            receipt_hash: Hash::ZERO,
            cumulative_gas: 0,
            cumulative_receipt_bytes: 0,
            cumulative_state_bytes: 0,
        };
        Challenge {
            executor: who.public(),
            height,
            index: 0,
            witness: zr_fraud::Witness {
                claim: claim(who, height, Hash::ZERO, Hash::ZERO),
                previous: None,
                leaf: (leaf, zr_protocol::LeafProof { index: 0, leaf_count: 1, siblings: vec![] }),
                step: zr_fraud::Step::Prelude { deposits: vec![] },
                state: zr_protocol::Multiproof::default(),
                code: vec![],
            },
            code: vec![],
        }
    }

    fn part(id: Hash, index: u32, count: u32, bytes: &[u8]) -> ChallengePart {
        ChallengePart { id, index, count, bytes: bytes.to_vec() }
    }

    #[test]
    fn bad_challenges_are_refused_or_cost_their_bond() {
        let (executor, challenger, stranger) = (key(1), key(2), key(3));
        let mut s = bonded(&[&executor, &challenger]);
        s.claim_sent(&block_of(&executor, 1), claim(&executor, 5, Hash::ZERO, root(5)), 2);
        // An unbonded challenger, a part numbered past its count, a count over the cap: refused, nothing kept.
        s.challenge_part(&block_of(&stranger, 10), part(root(1), 0, 1, b"x"), 3);
        s.challenge_part(&block_of(&challenger, 11), part(root(1), 2, 2, b"x"), 3);
        s.challenge_part(&block_of(&challenger, 12), part(root(1), 0, MAX_CHALLENGE_PARTS + 1, b"x"), 3);
        let reasons: Vec<&str> = s.refused().iter().map(|r| r.reason.as_str()).collect();
        assert!(reasons[0].contains("live bond") && reasons[1].contains("parts") && reasons[2].contains("parts"));
        // Parts whose whole does not hash to the id: refused when complete.
        s.challenge_part(&block_of(&challenger, 13), part(root(1), 0, 1, b"x"), 3);
        assert!(s.refused().last().unwrap().reason.contains("do not hash"));
        // A complete challenge that does not decode costs its bond at once.
        let garbage = b"not a challenge".to_vec();
        s.challenge_part(&block_of(&challenger, 14), part(zr_common::sha3_256(&garbage), 0, 1, &garbage), 3);
        let record = s.challenge(&zr_common::sha3_256(&garbage)).unwrap();
        assert!(matches!(&record.status, ChallengeStatus::ChallengerWrong { reason, .. } if reason.contains("decode")));
        assert_eq!(s.bond(&challenger.address()), None);
        // The same challenge again: refused.
        s.bond_sent(
            &AccountBlock { token_standard: TokenStandard::ZNN, amount: MIN_BOND, ..block_of(&challenger, 15) },
            4,
        );
        s.challenge_part(&block_of(&challenger, 16), part(zr_common::sha3_256(&garbage), 0, 1, &garbage), 4);
        assert!(s.refused().last().unwrap().reason.contains("in already"));
        // Parts that never complete are dropped after their time.
        s.challenge_part(&block_of(&challenger, 17), part(root(9), 0, 2, b"half"), 4);
        assert_eq!(s.partial.len(), 1);
        s.settle(4 + CHALLENGE_PARTS_EXPIRE);
        assert!(s.partial.is_empty());
    }

    #[test]
    fn verdicts_reject_the_claim_and_those_after_it_or_cost_the_challenger() {
        let (executor, challenger, honest) = (key(1), key(2), key(4));
        let mut s = bonded(&[&executor, &challenger, &honest]);
        s.claim_sent(&block_of(&executor, 1), claim(&executor, 5, Hash::ZERO, root(50)), 2);
        s.claim_sent(&block_of(&honest, 2), claim(&honest, 5, Hash::ZERO, root(5)), 2);
        s.claim_sent(&block_of(&executor, 3), claim(&executor, 6, root(50), root(60)), 3);
        let challenge = challenge_of;
        let post = |s: &mut Settlement, c: &Challenge, n: u8, at: u64| {
            let bytes = c.to_bytes();
            s.challenge_part(&block_of(&challenger, n), part(zr_common::sha3_256(&bytes), 0, 1, &bytes), at);
        };
        // Disputed and challenged: nothing of height 5 is final before the verdict.
        post(&mut s, &challenge(&executor, 5), 20, 3);
        s.settle(50);
        assert_eq!(s.final_root(), None);
        // The verdict: the executor is wrong. Its claims from there are rejected, its bond split.
        s.judge(51, &mut |_, _| Ok(root(5)));
        assert!(matches!(status(&s, 5, &executor), ClaimStatus::Rejected { .. }));
        assert!(
            matches!(status(&s, 6, &executor), ClaimStatus::Rejected { reason, .. } if reason.contains("builds on"))
        );
        assert_eq!(s.bond(&executor.address()), None);
        assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND + MIN_BOND / 2);
        s.settle(51);
        assert_eq!(s.final_root(), Some(FinalRoot { height: 5, root: root(5) }));
        // A challenge of a final claim, and of a claim that does not exist: the challenger pays.
        post(&mut s, &challenge(&honest, 5), 21, 52);
        post(&mut s, &challenge(&honest, 99), 22, 52);
        s.judge(52, &mut |_, _| panic!("no re-execution for what cannot be challenged"));
        let verdicts: Vec<ChallengeStatus> = s.challenges(5, 100).into_iter().map(|c| c.status).collect();
        assert!(verdicts.iter().filter(|v| matches!(v, ChallengeStatus::ChallengerWrong { .. })).count() == 2);
        assert_eq!(s.bond(&challenger.address()), None, "forfeit");
    }

    #[test]
    fn verdicts_are_capped_per_momentum_and_wait_in_order() {
        let (executor, challenger) = (key(1), key(2));
        let mut s = bonded(&[&executor, &challenger]);
        for i in 0..(MAX_VERDICTS_PER_MOMENTUM + 2) {
            let bytes = challenge_of(&executor, 100 + i as u64).to_bytes();
            s.challenge_part(&block_of(&challenger, 30 + i as u8), part(zr_common::sha3_256(&bytes), 0, 1, &bytes), 2);
        }
        assert_eq!(s.waiting(), MAX_VERDICTS_PER_MOMENTUM + 2);
        s.judge(3, &mut |_, _| Err("unused".into()));
        assert_eq!(s.waiting(), 2, "the rest wait for the next momentum");
        s.judge(4, &mut |_, _| Err("unused".into()));
        assert_eq!(s.waiting(), 0);
    }

    #[test]
    fn data_availability_challenges_hold_finality_and_reject_the_silent() {
        use zr_sequencing::bundle::encode_leaves;
        let (executor, challenger, other) = (key(1), key(2), key(3));
        let leaves = vec![zr_protocol::ClaimLeaf {
            tx_hash: root(1),
            post_state_root: root(5),
            receipt_hash: Hash::ZERO,
            cumulative_gas: 0,
            cumulative_receipt_bytes: 0,
            cumulative_state_bytes: 0,
        }];
        let mut body = claim(&executor, 5, Hash::ZERO, root(5)).body;
        body.leaves_root = zr_protocol::leaves_root(&leaves);
        let mut s = bonded(&[&executor, &challenger]);
        s.claim_sent(&block_of(&executor, 1), body.clone().sign(&executor), 2);
        let da = |who: &KeyPair| DaChallenge { executor: who.public(), height: 5 };
        // Refused: an unbonded challenger, a claim that does not exist.
        s.da_challenge(&block_of(&other, 2), da(&executor), 3);
        s.da_challenge(&block_of(&challenger, 3), da(&other), 3);
        s.da_challenge(&block_of(&challenger, 4), da(&executor), 3);
        s.da_challenge(&block_of(&challenger, 5), da(&executor), 3);
        let reasons: Vec<&str> = s.refused().iter().map(|r| r.reason.as_str()).collect();
        assert!(
            reasons[0].contains("live bond") && reasons[1].contains("no open claim") && reasons[2].contains("already")
        );
        // Open: not final, even past the claim's window (and within the executor's time to answer).
        s.settle(2 + FINALITY_WINDOW + 1);
        assert_eq!(s.final_root(), None);
        // Leaves from another account, or that do not hash to the claim: refused, still open.
        let parts = |leaves: &[zr_protocol::ClaimLeaf]| -> Vec<LeavesPart> {
            encode_leaves(5, leaves)
                .into_iter()
                .map(|data| match zr_sequencing::bundle::decode_payload(&data).unwrap() {
                    zr_sequencing::bundle::Payload::LeavesPart(part) => part,
                    _ => unreachable!("leaves parts"),
                })
                .collect()
        };
        s.leaves_part(&block_of(&other, 6), parts(&leaves)[0].clone(), 4);
        assert!(s.refused().last().unwrap().reason.contains("no open data-availability challenge"));
        let mut wrong = leaves.clone();
        wrong[0].receipt_hash = root(9);
        s.leaves_part(&block_of(&executor, 7), parts(&wrong)[0].clone(), 4);
        assert!(s.refused().last().unwrap().reason.contains("do not hash"));
        // Answered: the data was there, the challenger's bond is forfeit, and the claim goes on to be final.
        s.leaves_part(&block_of(&executor, 8), parts(&leaves)[0].clone(), 10);
        assert!(matches!(s.da_challenges(5, 1)[0].status, DaStatus::Answered { at: 10 }));
        assert_eq!(s.bond(&challenger.address()), None);
        s.settle(51);
        assert_eq!(s.final_root(), Some(FinalRoot { height: 5, root: root(5) }));

        // Unanswered: the claim and those after it are rejected, the bond slashed, half to the challenger.
        let mut s = bonded(&[&executor, &challenger]);
        s.claim_sent(&block_of(&executor, 1), body.sign(&executor), 2);
        s.claim_sent(&block_of(&executor, 2), claim(&executor, 6, root(5), root(6)), 3);
        s.da_challenge(&block_of(&challenger, 4), da(&executor), 3);
        s.settle(3 + DA_WINDOW - 1);
        assert_eq!(status(&s, 5, &executor), ClaimStatus::Pending);
        s.settle(3 + DA_WINDOW);
        assert!(matches!(s.da_challenges(5, 1)[0].status, DaStatus::Unanswered { .. }));
        assert!(matches!(status(&s, 5, &executor), ClaimStatus::Rejected { reason, .. } if reason.contains("leaves")));
        assert!(matches!(status(&s, 6, &executor), ClaimStatus::Rejected { .. }));
        assert_eq!(s.bond(&executor.address()), None);
        assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND + MIN_BOND / 2);
    }

    #[test]
    fn bonds_are_paid_back_after_the_delay_when_nothing_is_open() {
        use zr_common::rollup::settlement::UNBOND_DELAY;
        let (a, b) = (key(1), key(2));
        let mut s = bonded(&[&a, &b]);
        s.claim_sent(&block_of(&a, 1), claim(&a, 5, Hash::ZERO, root(5)), 2);
        s.unbond(&block_of(&a, 2), 3);
        s.unbond(&block_of(&b, 3), 3);
        s.unbond(&block_of(&b, 4), 4);
        assert!(s.refused().last().unwrap().reason.contains("unbonding already"));
        // Claims of an unbonding executor are never final.
        s.claim_sent(&block_of(&a, 5), claim(&a, 6, root(5), root(6)), 4);
        assert!(matches!(status(&s, 6, &a), ClaimStatus::Unfinalizable { .. }));
        assert_eq!(s.release_bonds(3 + UNBOND_DELAY - 1), vec![]);
        // b has nothing open; a's claim at 5 is still pending (in its window at 3 + delay? it settles first).
        let released = s.release_bonds(3 + UNBOND_DELAY);
        assert_eq!(released, vec![(b.address(), MIN_BOND)]);
        s.settle(3 + UNBOND_DELAY);
        assert_eq!(s.release_bonds(3 + UNBOND_DELAY), vec![(a.address(), MIN_BOND)]);
        assert_eq!(s.bond(&a.address()), None);
        s.unbond(&block_of(&a, 6), 30);
        assert!(s.refused().last().unwrap().reason.contains("no bond"));
    }

    #[test]
    fn bad_claims_and_bonds_are_refused_with_their_reason() {
        let (a, b) = (key(1), key(2));
        let mut s = bonded(&[&a]);
        let good = claim(&a, 5, Hash::ZERO, root(5));
        s.claim_sent(&block_of(&a, 1), good.clone(), 2);
        s.claim_sent(&block_of(&a, 2), good.clone(), 3);
        s.claim_sent(&block_of(&b, 3), good.clone(), 3);
        let mut forged = good.clone();
        forged.body.new_state_root = root(66);
        s.claim_sent(&block_of(&a, 4), forged, 3);
        s.settle(2 + FINALITY_WINDOW);
        s.claim_sent(&block_of(&a, 5), claim(&a, 5, Hash::ZERO, root(5)), 10);
        s.bond_sent(&AccountBlock { token_standard: TokenStandard::QSR, amount: MIN_BOND, ..block_of(&b, 6) }, 10);
        let reasons: Vec<&str> = s.refused().iter().map(|r| r.reason.as_str()).collect();
        assert_eq!(reasons.len(), 5, "{reasons:?}");
        assert!(reasons[0].contains("recorded already"));
        assert!(reasons[1].contains("its executor's own account"));
        assert!(reasons[2].contains("signature"));
        assert!(reasons[3].contains("final already"));
        assert!(reasons[4].contains("at least"));
        assert_eq!(s.bond(&b.address()), None);
    }
}

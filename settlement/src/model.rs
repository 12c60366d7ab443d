//! A model-based property test of the settlement: random runs of honest and malicious executors and
//! challengers, checked after every momentum against what the rollup promises.
//!
//! The truth: the root after height h is `truth(h)` (the anchor's, zero, at 0). Honest executors claim it,
//! late or early, sometimes skipping a momentum; malicious ones post wrong roots, other chains and VM
//! versions, other timestamps, wrong bases, future heights, and challenge their own wrong claims from a
//! second account. An honest challenger challenges every open claim that is wrong; a malicious one posts
//! groundless challenges, parts it never completes, and data-availability challenges of honest claims
//! (which honest executors answer). The judge stands in for re-execution: a claim is wrong exactly when it
//! differs from the truth.
//!
//! The true state holds a withdrawal every third height; a liar's wrong root may hold a withdrawal to itself
//! that the truth does not. Anyone proves withdrawals, true or made up, against any height, again and again.
//!
//! After every momentum: only the truth is ever final; no honest executor's or honest challenger's bond ever
//! shrinks; every withdrawal paid is in the truth, paid once, against a final height; the settlement never
//! pays or owes more than was sent to it. At the end, after a quiet tail in which only honest parties act,
//! every height honest executors claimed is final.

use proptest::prelude::*;
use zr_common::rollup::ClaimBody;
use zr_common::rollup::settlement::{DA_DEPOSIT, MIN_BOND, PART_DEPOSIT};
use zr_common::{KeyPair, sha3_256};
use zr_inbox::bundle::WithdrawalProof;
use zr_protocol::{ClaimLeaf, LeafProof, StateKey, Tree, Withdrawal};

use super::*;

const VM: Hash = Hash([7; 32]);

/// Heights the true states are built for (far above any a run reaches).
const HEIGHTS: u64 = 400;

/// The withdrawal made at `height` (every third height has one), and its transaction.
fn withdrawal_at(height: u64) -> Option<(Hash, Withdrawal)> {
    let recipient = Address([0x77; 20]);
    let withdrawal = Withdrawal { recipient, token: TokenStandard::ZNN, amount: 1_000 + u128::from(height), height };
    (height.is_multiple_of(3) && height > 0)
        .then(|| (sha3_256(&[&b"withdraw"[..], &height.to_le_bytes()].concat()), withdrawal))
}

fn set(tree: &mut Tree, key: StateKey, value: Vec<u8>) {
    tree.set(key.hash(), Some(std::sync::Arc::new(value))).expect("a whole tree");
}

/// The true state after each height: its height, and every withdrawal made so far.
fn true_states() -> &'static [Tree] {
    static STATES: std::sync::OnceLock<Vec<Tree>> = std::sync::OnceLock::new();
    STATES.get_or_init(|| {
        let mut states = vec![Tree::default()];
        let mut tree = Tree::default();
        for height in 1..HEIGHTS {
            set(
                &mut tree,
                StateKey::Storage { contract: Address([1; 20]), key: vec![] },
                height.to_le_bytes().to_vec(),
            );
            if let Some((tx_hash, withdrawal)) = withdrawal_at(height) {
                set(&mut tree, StateKey::Withdrawal { tx_hash }, zr_common::codec::encode(&withdrawal));
            }
            states.push(tree.clone());
        }
        states
    })
}

fn truth(height: u64) -> Hash {
    true_states()[height as usize].root()
}

/// A liar's state at `height`: the truth plus a withdrawal to the liar that nobody made.
fn stolen(height: u64, thief: Address) -> (Tree, Hash, Withdrawal) {
    let mut tree = true_states()[height as usize].clone();
    let tx_hash = sha3_256(&[&b"steal"[..], &height.to_le_bytes()].concat());
    let withdrawal = Withdrawal { recipient: thief, token: TokenStandard::ZNN, amount: 1 << 40, height };
    set(&mut tree, StateKey::Withdrawal { tx_hash }, zr_common::codec::encode(&withdrawal));
    (tree, tx_hash, withdrawal)
}

/// The leaves root a claim of `new` at `height` carries: the true leaves' for the true root, made up otherwise.
fn leaves_of(height: u64, new: Hash) -> Hash {
    match new == truth(height) {
        true => zr_protocol::leaves_root(&honest_leaves(height)),
        false => sha3_256(&new.0),
    }
}

fn timestamp(height: u64) -> u64 {
    1_000 + height
}

struct Chain;

impl L1View for Chain {
    fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
        Ok(Some(timestamp(height)))
    }
}

/// What a malicious executor gets wrong in a claim.
#[derive(Debug, Clone, Copy)]
enum Lie {
    Root,
    Chain,
    Vm,
    Timestamp,
    Base,
    Future,
    /// A root with a withdrawal to the liar in it.
    Steal,
}

#[derive(Debug, Clone)]
enum Action {
    /// Honest executor `who` claims the truth at the height `lag` momentums back.
    HonestClaim { who: usize, lag: u64 },
    /// Malicious executor `who` claims a lie at the height `lag` momentums back.
    Lie { who: usize, lag: u64, lie: Lie },
    /// The malicious challenger challenges a random recorded claim with nothing to prove.
    Groundless { pick: usize },
    /// The malicious challenger posts part 0 of a two-part challenge of a random open claim and never part 1.
    HalfChallenge { pick: usize },
    /// A liar's accomplice posts, first, part 0 of the challenge the honest challenger will send against the
    /// liar's open wrong claim, under the same id but as one of two parts.
    Squat { who: usize },
    /// The malicious challenger opens a data-availability challenge of a random open claim.
    Da { pick: usize },
    /// A malicious executor challenges its own wrong claims from its second account.
    SelfChallenge { who: usize },
    /// A malicious party asks for its bond back.
    Unbond { who: usize },
    /// Anyone proves the true withdrawal of height `made` against the state of height `made + later`.
    Withdraw { made: u64, later: u64 },
    /// A liar proves the withdrawal its wrong root at `height` holds.
    WithdrawStolen { height: u64 },
}

fn action() -> impl Strategy<Value = Action> {
    let lie = prop_oneof![
        Just(Lie::Root),
        Just(Lie::Chain),
        Just(Lie::Vm),
        Just(Lie::Timestamp),
        Just(Lie::Base),
        Just(Lie::Future),
        Just(Lie::Steal)
    ];
    prop_oneof![
        6 => (0..2usize, 1..4u64).prop_map(|(who, lag)| Action::HonestClaim { who, lag }),
        3 => (0..2usize, 1..4u64, lie).prop_map(|(who, lag, lie)| Action::Lie { who, lag, lie }),
        1 => any::<usize>().prop_map(|pick| Action::Groundless { pick }),
        1 => any::<usize>().prop_map(|pick| Action::HalfChallenge { pick }),
        1 => (0..2usize).prop_map(|who| Action::Squat { who }),
        1 => any::<usize>().prop_map(|pick| Action::Da { pick }),
        1 => (0..2usize).prop_map(|who| Action::SelfChallenge { who }),
        1 => (0..3usize).prop_map(|who| Action::Unbond { who }),
        2 => (1..60u64, 0..4u64).prop_map(|(made, later)| Action::Withdraw { made, later }),
        1 => (1..60u64).prop_map(|height| Action::WithdrawStolen { height }),
    ]
}

struct Run {
    s: Settlement,
    honest: Vec<KeyPair>,
    liars: Vec<KeyPair>,
    /// The liars' second accounts, bonded, challenging their own claims.
    accomplices: Vec<KeyPair>,
    challenger: KeyPair,
    troll: KeyPair,
    sent_in: u128,
    owed_out: u128,
    blocks: u32,
    /// Heights honest executors claimed.
    claimed: BTreeSet<u64>,
    /// Claims the honest challenger has challenged, by (height, executor).
    challenged: BTreeSet<(u64, Address)>,
    /// Withdrawals paid: (transaction, the height proven against, the final height when paid).
    withdrawals_paid: Vec<(Hash, u64, u64)>,
}

impl Run {
    fn new() -> Run {
        let key = |n: u8| KeyPair::from_seed(&[n; 32]);
        let mut run = Run {
            s: Settlement::new(Parameters::new(1, VM)).unwrap(),
            honest: vec![key(1), key(2)],
            liars: vec![key(3), key(4)],
            accomplices: vec![key(5), key(6)],
            challenger: key(7),
            troll: key(8),
            sent_in: 0,
            owed_out: 0,
            blocks: 0,
            claimed: BTreeSet::new(),
            challenged: BTreeSet::new(),
            withdrawals_paid: Vec::new(),
        };
        // The rollup's deposits that fund its true withdrawals are in the inbox.
        run.sent_in += (1..HEIGHTS).filter_map(withdrawal_at).map(|(_, w)| w.amount).sum::<u128>();
        let everyone: Vec<KeyPair> =
            [&run.honest[..], &run.liars, &run.accomplices, &[run.challenger.clone(), run.troll.clone()]].concat();
        for who in &everyone {
            let bond = run.send(who, MIN_BOND);
            run.s.bond_sent(&bond, 1);
        }
        run
    }

    fn send(&mut self, from: &KeyPair, amount: u128) -> AccountBlock {
        self.blocks += 1;
        self.sent_in += amount;
        let mut hash = [0u8; 32];
        hash[..4].copy_from_slice(&self.blocks.to_le_bytes());
        AccountBlock {
            address: from.address(),
            hash: Hash(hash),
            token_standard: TokenStandard::ZNN,
            amount,
            ..AccountBlock::default()
        }
    }

    fn claim(&mut self, who: &KeyPair, height: u64, prev: Hash, new: Hash, at: u64, edit: impl Fn(&mut ClaimBody)) {
        let mut body = ClaimBody {
            chain_id: 1,
            executor: who.public(),
            height,
            timestamp: timestamp(height),
            prev_state_root: prev,
            new_state_root: new,
            leaves_root: leaves_of(height, new),
            vm_version: VM,
        };
        edit(&mut body);
        let block = self.send(who, 0);
        self.s.claim_sent(&block, body.sign(who), at, &Chain);
    }

    /// A challenge's bytes: a shape dispute of `executor`'s claim at `height`, told apart by `salt`.
    fn dispute(executor: &KeyPair, height: u64, salt: u32) -> Vec<u8> {
        let leaf = ClaimLeaf { cumulative_gas: u64::from(salt), ..ClaimLeaf::default() };
        Dispute::Shape(zr_fraud::ShapeChallenge {
            executor: executor.public(),
            height,
            leaf,
            proof: LeafProof { index: 0, leaf_count: 1, siblings: vec![] },
        })
        .to_bytes()
    }

    /// Posts a challenge; whether the settlement took it.
    fn challenge(&mut self, from: &KeyPair, executor: &KeyPair, height: u64, salt: u32, at: u64) -> bool {
        let bytes = Self::dispute(executor, height, salt);
        let block = self.send(from, PART_DEPOSIT);
        let id = sha3_256(&bytes);
        self.s.challenge_part(&block, ChallengePart { id, index: 0, count: 1, bytes }, at);
        self.s.challenge(&id).is_some()
    }

    /// Posts only part 0 (a true one) of a two-part challenge of `executor`'s claim at `height`.
    fn half_challenge(&mut self, from: &KeyPair, executor: &KeyPair, height: u64, salt: u32, at: u64) {
        let bytes = Self::dispute(executor, height, salt);
        let block = self.send(from, 2 * PART_DEPOSIT);
        let part = ChallengePart { id: sha3_256(&bytes), index: 0, count: 2, bytes };
        self.s.challenge_part(&block, part, at);
    }

    /// The open claims, recorded.
    fn pending(&self) -> Vec<ClaimRecord> {
        self.s.claims(0, u64::MAX).into_iter().filter(|c| c.status == ClaimStatus::Pending).collect()
    }

    fn act(&mut self, action: &Action, at: u64) {
        match *action {
            Action::HonestClaim { who, lag } => {
                let height = at.saturating_sub(lag).max(1);
                let who = self.honest[who].clone();
                self.claimed.insert(height);
                self.claim(&who, height, truth(height - 1), truth(height), at, |_| {});
            }
            Action::Lie { who, lag, lie } => {
                let height = at.saturating_sub(lag).max(1);
                let who = self.liars[who].clone();
                let wrong = sha3_256(&[&height.to_le_bytes()[..], b"lie"].concat());
                match lie {
                    Lie::Root => self.claim(&who, height, truth(height - 1), wrong, at, |_| {}),
                    Lie::Chain => self.claim(&who, height, truth(height - 1), wrong, at, |b| b.chain_id = 2),
                    Lie::Vm => self.claim(&who, height, truth(height - 1), wrong, at, |b| b.vm_version = Hash([9; 32])),
                    Lie::Timestamp => self.claim(&who, height, truth(height - 1), wrong, at, |b| b.timestamp += 1),
                    Lie::Base => self.claim(&who, height, wrong, truth(height), at, |_| {}),
                    Lie::Future => self.claim(&who, at + 5, truth(at + 4), wrong, at, |_| {}),
                    Lie::Steal => {
                        let stolen = stolen(height, who.address()).0.root();
                        self.claim(&who, height, truth(height - 1), stolen, at, |_| {});
                    }
                }
            }
            Action::Groundless { pick } => {
                let open = self.s.claims(0, u64::MAX);
                if let Some(target) = open.get(pick % open.len().max(1)).cloned() {
                    let executor = self.key_of(&target.executor);
                    let troll = self.troll.clone();
                    self.challenge(&troll, &executor, target.height, self.blocks, at);
                }
            }
            Action::HalfChallenge { pick } => {
                let open = self.pending();
                if let Some(target) = open.get(pick % open.len().max(1)).cloned() {
                    let executor = self.key_of(&target.executor);
                    let troll = self.troll.clone();
                    self.half_challenge(&troll, &executor, target.height, self.blocks, at);
                }
            }
            Action::Squat { who } => {
                let liar = self.liars[who].clone();
                let accomplice = self.accomplices[who].clone();
                let wrong = self.pending().into_iter().find(|c| c.executor == liar.public() && !is_true(c));
                if let Some(claim) = wrong {
                    // The very bytes (and so the id) the honest challenger sends in its duties.
                    self.half_challenge(&accomplice, &liar, claim.height, u32::MAX, at);
                }
            }
            Action::Da { pick } => {
                let open = self.pending();
                if let Some(target) = open.get(pick % open.len().max(1)).cloned() {
                    let block = self.send(&self.troll.clone(), DA_DEPOSIT);
                    self.s.da_challenge(&block, DaChallenge { executor: target.executor, height: target.height }, at);
                }
            }
            Action::SelfChallenge { who } => {
                let liar = self.liars[who].clone();
                let accomplice = self.accomplices[who].clone();
                let wrong: Vec<u64> = self
                    .s
                    .claims(0, u64::MAX)
                    .into_iter()
                    .filter(|c| c.executor == liar.public() && c.status == ClaimStatus::Pending)
                    .map(|c| c.height)
                    .collect();
                if let Some(height) = wrong.first() {
                    self.challenge(&accomplice, &liar, *height, self.blocks, at);
                }
            }
            Action::Unbond { who } => {
                let who = [&self.liars[0], &self.liars[1], &self.troll][who].clone();
                let block = self.send(&who, 0);
                self.s.unbond(&block, at);
            }
            Action::Withdraw { made, later } => {
                let Some((tx_hash, withdrawal)) = withdrawal_at(made) else { return };
                let value = zr_common::codec::encode(&withdrawal);
                self.withdraw(&true_states()[(made + later) as usize].clone(), tx_hash, value, made + later, at);
            }
            Action::WithdrawStolen { height } => {
                for liar in self.liars.clone() {
                    let (tree, tx_hash, withdrawal) = stolen(height, liar.address());
                    self.withdraw(&tree, tx_hash, zr_common::codec::encode(&withdrawal), height, at);
                }
            }
        }
    }

    /// Proves `tx_hash`'s withdrawal `value` in `tree`, said to be the state at `height`; pays it when the
    /// settlement says so, as the inbox does.
    fn withdraw(&mut self, tree: &Tree, tx_hash: Hash, value: Vec<u8>, height: u64, at: u64) {
        let proof = tree.prove(&StateKey::Withdrawal { tx_hash }.hash()).expect("a whole tree");
        let block = self.send(&self.troll.clone(), 0);
        let proof = WithdrawalProof { tx_hash, height, value, proof };
        if let Some((paid, withdrawal)) = self.s.withdrawal(&block, proof, at) {
            self.withdrawals_paid.push((paid, height, self.s.final_base().height));
            self.owed_out += withdrawal.amount;
            self.s.paid(paid, block.hash);
        }
    }

    fn key_of(&self, public: &zr_common::PublicKey) -> KeyPair {
        [&self.honest[..], &self.liars[..]].concat().into_iter().find(|k| k.public() == *public).expect("an executor")
    }

    /// The honest parties' part of a momentum: answer data-availability challenges of honest claims, and
    /// challenge every open wrong claim once.
    fn honest_duties(&mut self, at: u64) {
        for da in self.s.open_da_challenges() {
            // Any honest executor with a claim at the height whose leaves are the challenged claim's answers.
            let claims = self.s.claims(da.height, 1);
            let answering = self.honest.iter().find(|k| {
                claims.iter().any(|c| c.executor == k.public() && c.leaves_root == da.leaves_root && is_true(c))
            });
            if let Some(who) = answering.cloned() {
                let leaves = honest_leaves(da.height);
                for part in zr_inbox::bundle::encode_leaves(da.height, &leaves) {
                    let block = self.send(&who, 0);
                    if let Ok(zr_inbox::bundle::Payload::LeavesPart(part)) = zr_inbox::bundle::decode_payload(&part) {
                        self.s.leaves_part(&block, part, at);
                    }
                }
            }
        }
        let wrong: Vec<ClaimRecord> = self
            .s
            .claims(0, u64::MAX)
            .into_iter()
            .filter(|c| c.status == ClaimStatus::Pending && !is_true(c))
            .filter(|c| !self.challenged.contains(&(c.height, c.executor.address())))
            .collect();
        for claim in wrong {
            let executor = self.key_of(&claim.executor);
            let challenger = self.challenger.clone();
            // Over its share of the verdict queue, the challenger tries again next momentum.
            if self.challenge(&challenger, &executor, claim.height, u32::MAX, at) {
                self.challenged.insert((claim.height, claim.executor.address()));
            }
        }
    }

    fn momentum(&mut self, at: u64) {
        self.s.judge(at, &mut |_| 1, &mut |_, claim, _| match is_true(claim) {
            true => Judgement::ProvesNothing("the claim is the truth".into()),
            false => Judgement::ExecutorWrong { reason: "not the truth".into(), correct_root: None },
        });
        self.s.settle(at);
        self.s.release_bonds(at);
        self.owed_out += self.s.take_owed().iter().map(|p| p.amount).sum::<u128>();
    }

    fn check(&self, at: u64) -> Result<(), TestCaseError> {
        if let Some(done) = self.s.final_root() {
            prop_assert_eq!(done.root, truth(done.height), "a wrong root is final at momentum {}", at);
        }
        for who in self.honest.iter().chain([&self.challenger]) {
            let bond = self.s.bond(&who.address()).map_or(0, |b| b.amount);
            prop_assert!(bond >= MIN_BOND, "an honest party's bond shrank to {} at momentum {}", bond, at);
        }
        prop_assert!(self.owed_out <= self.sent_in, "owes {} of {} sent in", self.owed_out, self.sent_in);
        let mut once = BTreeSet::new();
        for (tx_hash, height, final_height) in &self.withdrawals_paid {
            prop_assert!(once.insert(*tx_hash), "withdrawal {} paid twice", tx_hash);
            let real = (1..HEIGHTS).filter_map(withdrawal_at).any(|(tx, w)| tx == *tx_hash && w.height <= *height);
            prop_assert!(real, "withdrawal {} paid against height {}, where it was never made", tx_hash, height);
            prop_assert!(height <= final_height, "paid against height {} above the final {}", height, final_height);
        }
        Ok(())
    }
}

/// The leaves an honest executor claims and serves for `height`.
fn honest_leaves(height: u64) -> Vec<ClaimLeaf> {
    vec![ClaimLeaf { tx_hash: truth(height), post_state_root: truth(height), ..ClaimLeaf::default() }]
}

fn is_true(claim: &ClaimRecord) -> bool {
    claim.prev_state_root == truth(claim.height - 1)
        && claim.new_state_root == truth(claim.height)
        && claim.leaves_root == leaves_of(claim.height, claim.new_state_root)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn no_wrong_root_is_ever_final_and_no_honest_party_loses(
        momentums in prop::collection::vec(prop::collection::vec(action(), 0..5), 10..50)
    ) {
        let mut run = Run::new();
        let mut at = 2;
        for actions in &momentums {
            for action in actions {
                run.act(action, at);
            }
            run.honest_duties(at);
            run.momentum(at);
            run.check(at)?;
            at += 1;
        }
        // A quiet tail: honest executors claim every height not final yet, and everyone honest does its part.
        let last = at - 1;
        for height in 1..=last {
            if run.s.final_base().height < height {
                let who = run.honest[0].clone();
                run.claimed.insert(height);
                run.claim(&who, height, truth(height - 1), truth(height), at, |_| {});
            }
        }
        // Long enough for a challenge arriving to expire, and a window after it.
        for _ in 0..run.s.parameters().challenge_parts_expire + 2 * run.s.parameters().finality_window {
            // Every withdrawal made so far proven against the final height, and every stolen one, now and then.
            let final_height = run.s.final_base().height;
            for made in (at.is_multiple_of(8)).then_some(1..=final_height).into_iter().flatten() {
                run.act(&Action::Withdraw { made, later: final_height - made }, at);
                run.act(&Action::WithdrawStolen { height: made }, at);
            }
            run.honest_duties(at);
            run.momentum(at);
            run.check(at)?;
            at += 1;
        }
        let final_height = run.s.final_base().height;
        prop_assert!(final_height >= last, "final height {} below {} after the quiet tail", final_height, last);
    }
}

//! The settlement's rules, and for each attack on them a test named after it.

use zr_common::KeyPair;
use zr_common::rollup::ClaimBody;
use zr_common::rollup::settlement::{
    DA_DEPOSIT, FINALITY_WINDOW, MAX_OPEN_CHALLENGES_PER_CHALLENGER, MIN_BOND, PART_DEPOSIT, UNBOND_DELAY,
};
use zr_fraud::{Challenge, ShapeChallenge};
use zr_protocol::{ClaimLeaf, LeafProof};

use super::*;
use crate::fixtures::NoCode;
use zr_common::keys::fixtures::key;
use zr_inbox::bundle::MAX_CHALLENGE_PART_LEN;

const VM: Hash = Hash([7; 32]);

fn params() -> Parameters {
    Parameters::new(1, VM)
}

/// L1 as the tests have it: every momentum below 10 000, its timestamp 1 000 more than its height.
struct Momentums;

impl L1View for Momentums {
    fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
        Ok((1..10_000).contains(&height).then_some(1_000 + height))
    }
}

fn root(n: u8) -> Hash {
    Hash([n; 32])
}

fn block_of(who: &KeyPair, n: u8) -> AccountBlock {
    AccountBlock { address: who.address(), hash: Hash([n; 32]), ..AccountBlock::default() }
}

fn znn(block: AccountBlock, amount: u128) -> AccountBlock {
    AccountBlock { token_standard: TokenStandard::ZNN, amount, ..block }
}

fn body(who: &KeyPair, height: u64, prev: Hash, new: Hash) -> ClaimBody {
    ClaimBody {
        chain_id: 1,
        executor: who.public(),
        height,
        timestamp: 1_000 + height,
        prev_state_root: prev,
        new_state_root: new,
        // Claims that agree on the root agree on the leaves.
        leaves_root: zr_common::sha3_256(&new.0),
        vm_version: VM,
    }
}

fn claim(who: &KeyPair, height: u64, prev: Hash, new: Hash) -> Claim {
    body(who, height, prev, new).sign(who)
}

fn bonded(keys: &[&KeyPair]) -> Settlement {
    let mut s = Settlement::new(params()).unwrap();
    for (i, k) in keys.iter().enumerate() {
        s.bond_sent(&znn(block_of(k, 100 + i as u8), MIN_BOND), 1);
    }
    s
}

/// Keys `crowd` (flooders, challengers, from 10 on) and a settlement where they, then `named`, are bonded.
fn crowd_bonded(crowd: std::ops::Range<u8>, named: &[&KeyPair]) -> (Vec<KeyPair>, Settlement) {
    let crowd: Vec<KeyPair> = crowd.map(key).collect();
    let keys: Vec<&KeyPair> = crowd.iter().chain(named.iter().copied()).collect();
    let s = bonded(&keys);
    (crowd, s)
}

/// Keys 1 and 2, both bonded.
fn two_bonded() -> (KeyPair, KeyPair, Settlement) {
    let (one, two) = (key(1), key(2));
    let s = bonded(&[&one, &two]);
    (one, two, s)
}

/// Keys 1, 2 and 3, all bonded.
fn three_bonded() -> (KeyPair, KeyPair, KeyPair, Settlement) {
    let (one, two, three) = (key(1), key(2), key(3));
    let s = bonded(&[&one, &two, &three]);
    (one, two, three, s)
}

fn post(s: &mut Settlement, who: &KeyPair, n: u8, claim: Claim, at: u64) {
    s.claim_sent(&block_of(who, n), claim, at, &Momentums);
}

fn status(s: &Settlement, height: u64, who: &KeyPair) -> ClaimStatus {
    s.claims(height, 1).into_iter().find(|c| c.executor == who.public()).expect("recorded").status
}

fn last_refusal(s: &Settlement) -> String {
    s.refused().last().map(|r| r.reason.clone()).unwrap_or_default()
}

/// A leaf dispute of leaf 0 of `who`'s claim at `height`; its witness a placeholder, the tests' judge decides.
fn dispute_of(who: &KeyPair, height: u64) -> Dispute {
    let leaf = ClaimLeaf::default();
    Dispute::Leaf(Box::new(Challenge {
        executor: who.public(),
        height,
        index: 0,
        witness: zr_fraud::Witness {
            claim: claim(who, height, Hash::ZERO, Hash::ZERO),
            previous: None,
            leaf: (leaf, LeafProof { index: 0, leaf_count: 1, siblings: vec![] }),
            step: zr_fraud::Step::Prelude { deposits: vec![] },
            state: zr_protocol::Multiproof::default(),
            code: vec![],
        },
        code: vec![],
    }))
}

fn part(id: Hash, index: u32, count: u32, bytes: &[u8]) -> ChallengePart {
    ChallengePart { id, index, count, bytes: bytes.to_vec() }
}

/// Bytes that begin a dispute of `executor`'s claim at `height` (what a part 0 must start with), then `rest`.
fn headed(executor: &KeyPair, height: u64, rest: &[u8]) -> Vec<u8> {
    [&dispute_of(executor, height).to_bytes()[..zr_fraud::DISPUTE_HEAD_LEN], rest].concat()
}

/// The block of a challenge's part 0 of `count` parts: it carries the deposit.
fn opening(who: &KeyPair, n: u8, count: u32) -> AccountBlock {
    znn(block_of(who, n), u128::from(count) * PART_DEPOSIT)
}

/// A dispute as it is posted: its id (the hash of its bytes), and its bytes in one part or in two halves.
struct Posted {
    id: Hash,
    bytes: Vec<u8>,
}

impl Posted {
    fn new(dispute: &Dispute) -> Posted {
        let bytes = dispute.to_bytes();
        Posted { id: zr_common::sha3_256(&bytes), bytes }
    }

    /// The dispute of `who`'s claim at `height` ([`dispute_of`]).
    fn of(who: &KeyPair, height: u64) -> Posted {
        Posted::new(&dispute_of(who, height))
    }

    /// All of it in one part.
    fn whole(&self) -> ChallengePart {
        part(self.id, 0, 1, &self.bytes)
    }

    /// Part `index` (0 or 1) of two: the first half, or the second.
    fn half(&self, index: u32) -> ChallengePart {
        let (first, second) = self.bytes.split_at(self.bytes.len() / 2);
        part(self.id, index, 2, [first, second][index as usize])
    }
}

/// Keys 1, 2 and 3 bonded, key 1's claim of height 1 posted (at momentum 2), and the dispute of that claim ready
/// to post (whether the claim is wrong is the judge's to say): where the tests of one challenge sent by several
/// accounts start.
fn three_bonded_and_a_disputed_claim() -> (KeyPair, KeyPair, KeyPair, Settlement, Posted) {
    let (executor, two, three, mut s) = three_bonded();
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(66)), 2);
    let posted = Posted::of(&executor, 1);
    (executor, two, three, s, posted)
}

/// Posts `dispute` whole from `challenger`.
fn challenge(s: &mut Settlement, challenger: &KeyPair, n: u8, dispute: &Dispute, at: u64) -> Hash {
    let posted = Posted::new(dispute);
    s.challenge_part(&opening(challenger, n, 1), posted.whole(), at);
    posted.id
}

fn wrong() -> Judgement {
    Judgement::ExecutorWrong { reason: "leaf 0 is wrong".into(), correct_root: Some(root(5)) }
}

#[test]
fn claims_chain_into_finality_after_the_window() {
    let (a, b, mut s) = two_bonded();
    post(&mut s, &a, 1, claim(&a, 1, Hash::ZERO, root(1)), 2);
    post(&mut s, &a, 2, claim(&a, 2, root(1), root(2)), 3);
    s.settle(2 + FINALITY_WINDOW - 1);
    assert_eq!(s.final_root(), None, "still in its window");
    s.settle(3 + FINALITY_WINDOW);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 2, root: root(2) }), "both heights in one momentum");
    assert_eq!(status(&s, 1, &a), ClaimStatus::Final { at: 3 + FINALITY_WINDOW });
    // A late agreeing claim is final after its own window; a late disagreeing one never.
    post(&mut s, &b, 3, claim(&b, 3, root(2), root(3)), 20);
    post(&mut s, &a, 4, claim(&a, 3, root(2), root(3)), 21);
    s.settle(20 + FINALITY_WINDOW);
    assert_eq!(s.final_root().unwrap().height, 3);
    assert_eq!(status(&s, 3, &a), ClaimStatus::Pending);
    s.settle(21 + FINALITY_WINDOW);
    assert!(matches!(status(&s, 3, &a), ClaimStatus::Final { .. }));
}

#[test]
fn disagreeing_claims_wait_and_broken_chains_never_finalise() {
    let (a, b, c) = (key(1), key(2), key(3));
    let mut s = bonded(&[&a, &b]);
    post(&mut s, &a, 1, claim(&a, 1, Hash::ZERO, root(1)), 2);
    post(&mut s, &b, 2, claim(&b, 1, Hash::ZERO, root(11)), 2);
    s.settle(100);
    assert_eq!(s.final_root(), None, "two roots for one height: left to a challenge");
    assert_eq!(status(&s, 1, &a), ClaimStatus::Pending);

    let mut s = bonded(&[&a, &b]);
    post(&mut s, &a, 1, claim(&a, 1, Hash::ZERO, root(1)), 2);
    post(&mut s, &b, 2, claim(&b, 2, root(99), root(2)), 3);
    post(&mut s, &c, 3, claim(&c, 2, root(1), root(2)), 3);
    s.settle(100);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 1, root: root(1) }));
    assert!(matches!(status(&s, 2, &b), ClaimStatus::Unfinalizable { reason } if reason.contains("builds on")));
    assert!(s.refused().iter().any(|r| r.sender == c.address() && r.reason.contains("no live bond")));
    assert_eq!(s.claims(2, 1).len(), 1, "the unbonded executor's claim is not recorded");
}

/// Defect 1: a bonded claim of another rollup used to be recorded beside the honest one, disagree with it,
/// and hold finality forever (its challenge could only cost the challenger).
#[test]
fn attack_claim_of_another_chain_id_halts_finality() {
    let (honest, other, mut s) = two_bonded();
    post(&mut s, &honest, 1, claim(&honest, 1, Hash::ZERO, root(1)), 2);
    let mut foreign = body(&other, 1, Hash::ZERO, root(77));
    foreign.chain_id = 2;
    post(&mut s, &other, 2, foreign.sign(&other), 2);
    assert!(last_refusal(&s).contains("chain 2"), "{}", last_refusal(&s));
    assert_eq!(s.claims(1, 1).len(), 1, "the other chain's claim is not recorded");
    s.settle(2 + FINALITY_WINDOW);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 1, root: root(1) }));
}

/// Defect 1: claims not bound to the VM version, an existing momentum or its timestamp.
#[test]
fn attack_claims_of_another_vm_a_future_momentum_or_another_timestamp_are_refused() {
    let a = key(1);
    let mut s = bonded(&[&a]);
    let mut vm = body(&a, 1, Hash::ZERO, root(1));
    vm.vm_version = root(9);
    post(&mut s, &a, 1, vm.sign(&a), 5);
    assert!(last_refusal(&s).contains("VM version"), "{}", last_refusal(&s));
    post(&mut s, &a, 2, claim(&a, 5, Hash::ZERO, root(1)), 5);
    assert!(last_refusal(&s).contains("no momentum 5 yet"), "{}", last_refusal(&s));
    post(&mut s, &a, 3, claim(&a, 50_000, Hash::ZERO, root(1)), 60_000);
    assert!(last_refusal(&s).contains("no momentum"), "{}", last_refusal(&s));
    let mut late = body(&a, 1, Hash::ZERO, root(1));
    late.timestamp += 1;
    post(&mut s, &a, 4, late.sign(&a), 5);
    assert!(last_refusal(&s).contains("timestamp"), "{}", last_refusal(&s));
    let mut empty = body(&a, 1, Hash::ZERO, root(1));
    empty.leaves_root = Hash::ZERO;
    post(&mut s, &a, 5, empty.sign(&a), 5);
    assert!(last_refusal(&s).contains("leaves root is zero"), "{}", last_refusal(&s));
    assert!(s.claims(0, 100_000).is_empty());
}

/// An upgrade is a parameter: from its height on, claims carry the new version and the old one is refused.
#[test]
fn the_vm_version_follows_its_height() {
    let a = key(1);
    let mut p = params();
    p.vm_versions.push(zr_common::rollup::settlement::VmVersionFrom { from_height: 3, vm_version: root(8) });
    let mut s = Settlement::new(p).unwrap();
    s.bond_sent(&znn(block_of(&a, 100), MIN_BOND), 1);
    post(&mut s, &a, 1, claim(&a, 2, Hash::ZERO, root(1)), 5);
    post(&mut s, &a, 2, claim(&a, 3, Hash::ZERO, root(1)), 5);
    assert!(last_refusal(&s).contains("accepted at height 3"), "{}", last_refusal(&s));
    let mut upgraded = body(&a, 3, Hash::ZERO, root(1));
    upgraded.vm_version = root(8);
    post(&mut s, &a, 3, upgraded.sign(&a), 5);
    assert_eq!(s.claims(0, 10).len(), 2);
}

/// Defect 2: with no final root, the lowest claimed height used to win, height 0 included, and honest claims
/// were then unfinalizable.
#[test]
fn attack_claim_at_height_zero_steals_the_start_of_finality() {
    let (honest, attacker, mut s) = two_bonded();
    post(&mut s, &attacker, 1, claim(&attacker, 0, Hash::ZERO, root(66)), 2);
    assert!(last_refusal(&s).contains("anchor"), "{}", last_refusal(&s));
    post(&mut s, &honest, 2, claim(&honest, 1, Hash::ZERO, root(1)), 2);
    s.settle(2 + FINALITY_WINDOW);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 1, root: root(1) }));
}

/// Defect 2: a settlement started after the state has content starts from its anchor.
#[test]
fn finality_starts_from_the_anchor() {
    let (a, b) = (key(1), key(2));
    let mut p = params();
    p.anchor = FinalRoot { height: 100, root: root(100) };
    p.vm_versions[0].from_height = 101;
    let mut s = Settlement::new(p).unwrap();
    s.bond_sent(&znn(block_of(&a, 100), MIN_BOND), 1);
    s.bond_sent(&znn(block_of(&b, 101), MIN_BOND), 1);
    assert_eq!(s.final_root(), None);
    assert_eq!(s.final_base(), FinalRoot { height: 100, root: root(100) });
    post(&mut s, &b, 1, claim(&b, 50, Hash::ZERO, root(50)), 200);
    assert!(last_refusal(&s).contains("anchor"));
    post(&mut s, &b, 2, claim(&b, 101, Hash::ZERO, root(9)), 200);
    post(&mut s, &a, 3, claim(&a, 101, root(100), root(101)), 200);
    s.settle(200 + FINALITY_WINDOW);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 101, root: root(101) }));
    assert!(matches!(status(&s, 101, &b), ClaimStatus::Unfinalizable { .. }));
}

#[test]
fn bad_parameters_are_refused() {
    let mut p = params();
    p.chain_id = 0;
    assert!(Settlement::new(p).unwrap_err().contains("chain id"));
    let mut p = params();
    p.vm_versions.clear();
    assert!(Settlement::new(p).is_err());
    let mut p = params();
    p.vm_versions[0].from_height = 5;
    assert!(Settlement::new(p).unwrap_err().contains("anchor's next"));
    let mut p = params();
    p.vm_versions.push(zr_common::rollup::settlement::VmVersionFrom { from_height: 1, vm_version: root(1) });
    assert!(Settlement::new(p).unwrap_err().contains("ascending"));
    // A window of u64::MAX made every deadline overflow: a claim final at once in a release build.
    let mut p = params();
    p.finality_window = u64::MAX;
    assert!(Settlement::new(p).unwrap_err().contains("1 to"));
}

/// Review finding: a right challenge whose claim was pruned (its height long final) used to cost the bond. A
/// challenge of a claim no longer open is now refused at its part 0, its deposit owed back, its bond untouched.
#[test]
fn attack_a_right_challenge_of_a_pruned_claim_is_fined() {
    let (executor, challenger, mut s) = two_bonded();
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(1)), 2);
    s.settle(2 + FINALITY_WINDOW);
    assert_eq!(s.final_root().unwrap().height, 1);
    s.claims.clear();
    let id = challenge(&mut s, &challenger, 9, &dispute_of(&executor, 1), 20);
    assert!(last_refusal(&s).contains("no open claim"), "{}", last_refusal(&s));
    assert_eq!(s.challenge(&id), None);
    assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND);
    assert_eq!(s.owed().last().unwrap().amount, PART_DEPOSIT);
}

/// Review finding: the byte bound was checked on every part, so once others filled the room a challenge already
/// arriving could not complete and was fined. Its room is now reserved whole when its first part comes.
#[test]
fn attack_filling_the_queue_fines_a_challenge_already_arriving() {
    use zr_common::rollup::settlement::MAX_CHALLENGE_BYTES_HELD;
    use zr_inbox::bundle::MAX_CHALLENGE_PART_LEN;
    let (honest, liar) = (key(1), key(50));
    let (flooders, mut s) = crowd_bonded(10..30, &[&honest, &liar]);
    post(&mut s, &liar, 1, claim(&liar, 1, Hash::ZERO, root(66)), 2);
    let big = 520;
    // The honest challenge's first part reserves room for all 520 of its parts.
    s.challenge_part(&opening(&honest, 1, big), part(root(200), 0, big, &headed(&liar, 1, b"first")), 3);
    // Flooders take what room is left: each new challenge is refused once it no longer fits.
    let mut n = 0u8;
    for f in &flooders {
        for _ in 0..2 {
            n += 1;
            s.challenge_part(&opening(f, 100 + n, big), part(Hash([n; 32]), 0, big, &headed(&liar, 1, b"x")), 3);
        }
    }
    let room = MAX_CHALLENGE_BYTES_HELD / (big as usize * MAX_CHALLENGE_PART_LEN);
    assert_eq!(s.partial.len(), room, "as many whole challenges as fit");
    assert!(s.refused().iter().any(|r| r.reason.contains("bytes of challenges")));
    // The honest challenge's later part is never refused for space.
    let refused_before = s.refused().len();
    s.challenge_part(&block_of(&honest, 2), part(root(200), 1, big, b"second"), 4);
    assert_eq!(s.refused().len(), refused_before);
}

#[test]
fn bad_challenges_are_refused_or_cost_their_bond() {
    let (executor, challenger, stranger) = (key(1), key(2), key(3));
    let mut s = bonded(&[&executor, &challenger]);
    post(&mut s, &executor, 1, claim(&executor, 5, Hash::ZERO, root(5)), 6);
    // An unbonded challenger, a part numbered past its count, a count over the cap: refused, nothing kept.
    s.challenge_part(&opening(&stranger, 10, 1), part(root(1), 0, 1, b"x"), 7);
    s.challenge_part(&opening(&challenger, 11, 2), part(root(1), 2, 2, b"x"), 7);
    s.challenge_part(&opening(&challenger, 12, 1), part(root(1), 0, MAX_CHALLENGE_PARTS + 1, b"x"), 7);
    let reasons: Vec<&str> = s.refused().iter().map(|r| r.reason.as_str()).collect();
    assert!(reasons[0].contains("live bond") && reasons[1].contains("parts") && reasons[2].contains("parts"));
    // Every refused part's deposit is owed back.
    assert_eq!(s.owed().iter().map(|p| p.amount).sum::<u128>(), 4 * PART_DEPOSIT);
    // A challenge that does not decode costs its bond at once, and its deposit.
    let garbage = headed(&executor, 5, b"not a challenge");
    s.challenge_part(&opening(&challenger, 14, 1), part(zr_common::sha3_256(&garbage), 0, 1, &garbage), 7);
    let record = s.challenge(&zr_common::sha3_256(&garbage)).unwrap();
    assert!(matches!(&record.status, ChallengeStatus::ChallengerWrong { reason, .. } if reason.contains("decode")));
    assert_eq!(s.bond(&challenger.address()), None);
    assert_eq!(s.owed().iter().map(|p| p.amount).sum::<u128>(), 4 * PART_DEPOSIT, "nothing more owed");
    // The same challenge again: refused.
    s.bond_sent(&znn(block_of(&challenger, 15), MIN_BOND), 8);
    s.challenge_part(&opening(&challenger, 16, 1), part(zr_common::sha3_256(&garbage), 0, 1, &garbage), 8);
    assert!(last_refusal(&s).contains("in already"));
}

#[test]
fn verdicts_reject_the_claim_and_those_after_it_or_cost_the_challenger() {
    let (executor, challenger, honest) = (key(1), key(2), key(4));
    let mut s = bonded(&[&executor, &challenger, &honest]);
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(50)), 2);
    post(&mut s, &honest, 2, claim(&honest, 1, Hash::ZERO, root(1)), 2);
    post(&mut s, &executor, 3, claim(&executor, 2, root(50), root(60)), 3);
    // Disputed and challenged: nothing of height 1 is final before the verdict.
    challenge(&mut s, &challenger, 20, &dispute_of(&executor, 1), 3);
    s.settle(50);
    assert_eq!(s.final_root(), None);
    // The verdict: the executor is wrong. Its claims from there are rejected, its bond split.
    s.judge(51, &mut |_| 1, &mut |_, _, _| wrong());
    assert!(matches!(status(&s, 1, &executor), ClaimStatus::Rejected { .. }));
    assert!(matches!(status(&s, 2, &executor), ClaimStatus::Rejected { reason, .. } if reason.contains("builds on")));
    assert_eq!(s.bond(&executor.address()), None);
    assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND + MIN_BOND / 2);
    s.settle(51);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 1, root: root(1) }));
    // A challenge of a claim that does not exist is refused at its part 0; one that proves nothing costs the bond.
    challenge(&mut s, &challenger, 22, &dispute_of(&honest, 99), 52);
    assert!(last_refusal(&s).contains("no open claim"), "{}", last_refusal(&s));
    post(&mut s, &honest, 24, claim(&honest, 2, root(1), root(2)), 53);
    challenge(&mut s, &challenger, 25, &dispute_of(&honest, 2), 53);
    s.judge(54, &mut |_| 1, &mut |_, _, _| Judgement::ProvesNothing("the leaf is correct".into()));
    assert_eq!(s.bond(&challenger.address()), None, "forfeit");
    assert_eq!(s.bond(&honest.address()).unwrap().amount, MIN_BOND, "the honest executor keeps its bond");
}

/// Defect 5: a second correct challenge of a claim already rejected used to cost its challenger the bond.
#[test]
fn attack_cheater_challenges_itself_first_so_the_honest_challenger_is_fined() {
    let (cheater, alt, honest_challenger, mut s) = three_bonded();
    post(&mut s, &cheater, 1, claim(&cheater, 1, Hash::ZERO, root(66)), 2);
    let first = challenge(&mut s, &alt, 10, &dispute_of(&cheater, 1), 3);
    let mut second_dispute = dispute_of(&cheater, 1);
    if let Dispute::Leaf(c) = &mut second_dispute {
        c.code = vec![vec![1]];
    }
    let second = challenge(&mut s, &honest_challenger, 11, &second_dispute, 3);
    s.judge(4, &mut |_| 1, &mut |_, _, _| wrong());
    assert!(matches!(s.challenge(&first).unwrap().status, ChallengeStatus::ExecutorWrong { .. }));
    assert!(matches!(s.challenge(&second).unwrap().status, ChallengeStatus::Refunded { .. }));
    assert_eq!(s.bond(&honest_challenger.address()).unwrap().amount, MIN_BOND, "a correct challenger loses nothing");
    // The executor's own account challenging itself earns nothing back.
    let (cheater, honest) = (key(5), key(6));
    let mut s = bonded(&[&cheater, &honest]);
    post(&mut s, &cheater, 1, claim(&cheater, 1, Hash::ZERO, root(66)), 2);
    challenge(&mut s, &cheater, 12, &dispute_of(&cheater, 1), 3);
    s.judge(4, &mut |_| 1, &mut |_, _, _| wrong());
    assert_eq!(s.bond(&cheater.address()), None, "slashed whole, none of it back");
}

/// Defect 5: a verdict the pillars could not reach for their own fault used to cost the challenger.
#[test]
fn attack_pillar_fault_fines_a_correct_challenger() {
    let (executor, challenger, mut s) = two_bonded();
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(66)), 2);
    let id = challenge(&mut s, &challenger, 10, &dispute_of(&executor, 1), 3);
    s.judge(4, &mut |_| 1, &mut |_, _, _| Judgement::CannotJudge("store read failed".into()));
    assert!(
        matches!(&s.challenge(&id).unwrap().status, ChallengeStatus::Refunded { reason, .. } if reason.contains("could not judge"))
    );
    assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND);
    assert_eq!(status(&s, 1, &executor), ClaimStatus::Pending, "nothing decided: it can be challenged again");
}

/// Defect 6: one bond used to fill the verdict queue for dozens of momentums.
#[test]
fn attack_one_bond_floods_the_verdict_queue() {
    let (executor, spammer, honest, mut s) = three_bonded();
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(66)), 2);
    for i in 0..10u8 {
        let mut d = dispute_of(&executor, 1);
        if let Dispute::Leaf(c) = &mut d {
            c.code = vec![vec![i]];
        }
        challenge(&mut s, &spammer, 10 + i, &d, 3);
    }
    assert_eq!(s.waiting(), MAX_OPEN_CHALLENGES_PER_CHALLENGER);
    assert!(last_refusal(&s).contains("challenges open"));
    let id = challenge(&mut s, &honest, 30, &dispute_of(&executor, 1), 3);
    s.judge(4, &mut |_| 1, &mut |_, _, _| wrong());
    assert!(
        matches!(
            s.challenge(&id).unwrap().status,
            ChallengeStatus::ExecutorWrong { .. } | ChallengeStatus::Refunded { .. }
        ),
        "the honest challenge is judged in the first momentum"
    );
}

/// Defect 6: parts that never complete used to cost nothing while the pillars kept them for 60 momentums.
#[test]
fn attack_unfinished_challenge_parts_cost_nothing() {
    let (executor, challenger, mut s) = two_bonded();
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(1)), 2);
    s.challenge_part(&opening(&challenger, 17, 2), part(root(9), 0, 2, &headed(&executor, 1, b"half")), 4);
    // Two parts have three momentums to arrive.
    s.settle(4 + 2);
    assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND);
    s.settle(4 + 3);
    assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND - MIN_BOND / 10);
    assert!(s.partial.is_empty());
}

/// Second review, high: about eight part 0s from four bonds reserved the whole 64 MiB queue for 60 momentums (at a
/// fine of 1 ZNN each), so the honest challenge was refused for room and the wrong claim became final.
#[test]
fn attack_reserving_the_whole_queue_lets_a_wrong_root_become_final() {
    let (liar, honest) = (key(1), key(2));
    let (fillers, mut s) = crowd_bonded(10..14, &[&liar, &honest]);
    post(&mut s, &liar, 1, claim(&liar, 1, Hash::ZERO, root(66)), 2);
    use zr_common::rollup::settlement::MAX_CHALLENGE_BYTES_HELD;
    use zr_inbox::bundle::MAX_CHALLENGE_PART_LEN;
    // Eight part 0s reserve every part's room there is.
    let mut room = (MAX_CHALLENGE_BYTES_HELD / MAX_CHALLENGE_PART_LEN) as u32;
    let mut n = 0u8;
    for f in &fillers {
        for _ in 0..2 {
            n += 1;
            let count = room.min(MAX_CHALLENGE_PARTS);
            room -= count;
            s.challenge_part(&opening(f, 100 + n, count), part(Hash([n; 32]), 0, count, &headed(&liar, 1, b"x")), 3);
        }
    }
    assert_eq!((room, s.partial.len()), (0, 8), "{:?}", s.refused());
    // The honest challenger is refused for room, and its deposit owed back.
    let honest_challenge = dispute_of(&liar, 1);
    let id = challenge(&mut s, &honest, 50, &honest_challenge, 4);
    assert!(last_refusal(&s).contains("bytes of challenges"), "{}", last_refusal(&s));
    assert_eq!(s.challenge(&id), None);
    // However long the fillers hold the room, the wrong claim does not become final.
    let expire = s.parameters().challenge_parts_expire;
    for at in 4..3 + expire {
        s.settle(at);
        assert_eq!(s.final_root(), None, "final at {at} while the queue was full");
    }
    // Their parts expire: each filler loses its deposit (520 × 0.1 ZNN per challenge) and a fine.
    s.settle(3 + expire);
    for f in &fillers {
        assert_eq!(s.bond(&f.address()).unwrap().amount, MIN_BOND - 2 * (MIN_BOND / 10));
        assert!(s.owed().iter().all(|p| p.recipient != f.address()), "a forfeit deposit is not owed back");
    }
    // The honest challenger still has a whole window after the room came back, and rejects the claim.
    // (the last momentum without room was 2 + expire; the window runs from it, as from a claim's inclusion).
    let last_chance = 2 + expire + FINALITY_WINDOW;
    s.settle(last_chance - 1);
    assert_eq!(s.final_root(), None);
    let id = challenge(&mut s, &honest, 51, &honest_challenge, last_chance);
    s.judge(last_chance, &mut |_| 1, &mut |_, _, _| wrong());
    s.settle(last_chance);
    assert!(matches!(s.challenge(&id).unwrap().status, ChallengeStatus::ExecutorWrong { .. }));
    assert!(matches!(status(&s, 1, &liar), ClaimStatus::Rejected { .. }));
}

/// A challenge of the largest size takes longer than a window to post: its parts used to arrive after its
/// claim was final, when the verdict could only refund it.
#[test]
fn attack_a_claim_becomes_final_while_its_challenge_is_still_arriving() {
    let (liar, honest, mut s) = two_bonded();
    post(&mut s, &liar, 1, claim(&liar, 1, Hash::ZERO, root(66)), 2);
    let posted = Posted::of(&liar, 1);
    s.challenge_part(&opening(&honest, 10, 2), posted.half(0), 2 + FINALITY_WINDOW - 1);
    // The window ends; the second part is two momentums away (two parts have three to arrive).
    s.settle(2 + FINALITY_WINDOW);
    s.settle(2 + FINALITY_WINDOW + 1);
    assert_eq!(s.final_root(), None, "an arriving challenge holds finality");
    s.challenge_part(&block_of(&honest, 11), posted.half(1), 2 + FINALITY_WINDOW + 1);
    assert_eq!(s.owed().last().unwrap().amount, 2 * PART_DEPOSIT, "its deposit is paid back when it is whole");
    s.judge(2 + FINALITY_WINDOW + 1, &mut |_| 1, &mut |_, _, _| wrong());
    assert!(matches!(status(&s, 1, &liar), ClaimStatus::Rejected { .. }));
}

/// Without a deposit, reserving room for a challenge never meant to complete cost only the fine; a later part
/// carrying an amount would be kept by the inbox for nothing.
#[test]
fn attack_parts_reserve_room_without_paying_for_it() {
    let (executor, challenger, mut s) = two_bonded();
    post(&mut s, &executor, 9, claim(&executor, 1, Hash::ZERO, root(1)), 2);
    let a = headed(&executor, 1, b"a");
    s.challenge_part(&block_of(&challenger, 1), part(root(9), 0, 3, &a), 4);
    assert!(last_refusal(&s).contains("deposits exactly 30000000"), "{}", last_refusal(&s));
    s.challenge_part(&opening(&challenger, 2, 3), part(root(9), 1, 3, b"b"), 4);
    assert!(last_refusal(&s).contains("opens with its part 0"), "{}", last_refusal(&s));
    s.challenge_part(&opening(&challenger, 3, 3), part(root(9), 0, 3, &a), 4);
    s.challenge_part(&znn(block_of(&challenger, 4), 5), part(root(9), 1, 3, b"b"), 4);
    assert!(last_refusal(&s).contains("later parts nothing"));
    assert_eq!(s.partial.len(), 1);
    // Each refused part's amount is owed back: the 3-part deposit sent with part 1, and the 5 sent with a later part.
    let back: Vec<u128> = s.owed().iter().map(|p| p.amount).collect();
    assert_eq!(back, vec![3 * PART_DEPOSIT, 5]);
}

/// Second review: parts that, whole, did not hash to their id were refused without a fine, after holding room
/// as long as any challenge.
#[test]
fn attack_parts_that_do_not_hash_to_their_id_cost_nothing() {
    let (executor, challenger, mut s) = two_bonded();
    post(&mut s, &executor, 9, claim(&executor, 1, Hash::ZERO, root(1)), 2);
    s.challenge_part(&opening(&challenger, 1, 2), part(root(9), 0, 2, &headed(&executor, 1, b"a")), 4);
    s.challenge_part(&block_of(&challenger, 2), part(root(9), 1, 2, b"b"), 5);
    assert!(s.challenge(&root(9)).is_none(), "recorded apart from the id it does not hash to");
    let apart = super::unhashed_key(&root(9), &challenger.address());
    let record = s.challenge(&apart).unwrap();
    assert!(
        matches!(&record.status, ChallengeStatus::ChallengerWrong { reason, .. } if reason.contains("do not hash"))
    );
    assert_eq!(s.bond(&challenger.address()), None);
    assert!(s.owed().is_empty(), "the deposit is forfeit");
}

/// Second review: a challenge naming a made-up executor at a final height was refunded only at its verdict,
/// after taking a verdict slot (and the pillars' work) for free; third review: refunded at once with its deposit,
/// a stream of them held every height's finality for nothing. A part 0 must name an open claim.
#[test]
fn attack_challenges_of_made_up_claims_hold_finality_for_free() {
    let (executor, challenger, nobody) = (key(1), key(2), key(3));
    let mut s = bonded(&[&executor, &challenger]);
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(1)), 2);
    post(&mut s, &executor, 2, claim(&executor, 2, root(1), root(2)), 2);
    // Part 0s naming no claim, at a final height or not: refused, holding nothing.
    let bytes = dispute_of(&nobody, 1).to_bytes();
    s.challenge_part(&opening(&challenger, 9, 2), part(root(9), 0, 2, &bytes[..60]), 3);
    assert!(last_refusal(&s).contains("no open claim"), "{}", last_refusal(&s));
    assert!(s.partial.is_empty());
    // One of height 2's claim holds height 2 and after, not height 1.
    let bytes = dispute_of(&executor, 2).to_bytes();
    s.challenge_part(&opening(&challenger, 10, 2), part(zr_common::sha3_256(&bytes), 0, 2, &bytes[..60]), 3);
    s.settle(2 + FINALITY_WINDOW);
    assert_eq!(s.final_root().map(|f| f.height), Some(1), "height 1 is not held");
}

/// Third review: the partial challenges were keyed by id alone, so the wrong executor (who can compute the id of
/// the dispute that proves it wrong) opened it first from another account and the honest part 0 was refused.
#[test]
fn attack_the_wrong_executor_takes_the_id_of_the_challenge_against_it() {
    let (liar, accomplice, honest, mut s, posted) = three_bonded_and_a_disputed_claim();
    s.challenge_part(&opening(&accomplice, 10, 2), posted.half(0), 2);
    s.challenge_part(&opening(&honest, 11, 2), posted.half(0), 2);
    s.challenge_part(&block_of(&honest, 12), posted.half(1), 3);
    assert_eq!(s.refused(), &[], "the honest challenge is not refused");
    assert_eq!(s.challenge(&posted.id).unwrap().challenger, honest.address());
    s.judge(3, &mut |_| 1, &mut |_, _, _| wrong());
    assert!(matches!(status(&s, 1, &liar), ClaimStatus::Rejected { .. }));
}

#[test]
fn verdicts_are_capped_per_momentum_and_wait_in_order() {
    let executor = key(1);
    let (challengers, mut s) = crowd_bonded(10..13, &[&executor]);
    let max = s.parameters().max_verdicts_per_momentum as usize;
    for n in 0..6u8 {
        post(&mut s, &executor, 40 + n, claim(&executor, 100 + u64::from(n), Hash::ZERO, root(n)), 200);
    }
    for (i, c) in challengers.iter().enumerate() {
        for j in 0..2 {
            challenge(&mut s, c, (i * 2 + j) as u8, &dispute_of(&executor, 100 + (i * 2 + j) as u64), 200);
        }
    }
    assert_eq!(s.waiting(), 6, "{:?}", s.refused());
    s.judge(201, &mut |_| 1, &mut |_, _, _| Judgement::ProvesNothing("unused".into()));
    assert_eq!(s.waiting(), 6 - max, "the rest wait for the next momentum");
}

/// Defect 6: judging used to be capped by count alone, so four verdicts against full momentums (each ordering
/// about 16 000 transactions) could take a second of the pillars' time in one momentum.
#[test]
fn attack_verdicts_against_full_momentums_overrun_the_momentum() {
    let executor = key(1);
    let (challengers, mut s) = crowd_bonded(10..14, &[&executor]);
    for (i, c) in challengers.iter().enumerate() {
        let height = 1 + i as u64;
        post(&mut s, &executor, 50 + i as u8, claim(&executor, height, Hash::ZERO, root(height as u8)), 10);
        challenge(&mut s, c, i as u8, &dispute_of(&executor, height), 10);
    }
    assert_eq!(s.waiting(), 4);
    let judge_all = |s: &mut Settlement, at: u64, cost: u64| {
        let mut judged = 0;
        s.judge(at, &mut |_| cost, &mut |_, _, _| {
            judged += 1;
            Judgement::ProvesNothing("the leaf is correct".into())
        });
        judged
    };
    // Full momentums (100 bundle blocks each): one verdict a momentum; the rest wait their turn, in order.
    assert_eq!(judge_all(&mut s, 11, 100), 1);
    assert_eq!(s.waiting(), 3);
    // Momentums of 40 bundle blocks: two fit the budget of 100, the third waits.
    assert_eq!(judge_all(&mut s, 12, 40), 2);
    assert_eq!(judge_all(&mut s, 13, 40), 1);
    assert_eq!(s.waiting(), 0);
}

fn leaves_parts(height: u64, leaves: &[ClaimLeaf]) -> Vec<LeavesPart> {
    zr_inbox::bundle::encode_leaves(height, leaves)
        .into_iter()
        .map(|data| match zr_inbox::bundle::decode_payload(&data).unwrap() {
            zr_inbox::bundle::Payload::LeavesPart(part) => part,
            _ => unreachable!("leaves parts"),
        })
        .collect()
}

fn one_leaf() -> Vec<ClaimLeaf> {
    vec![ClaimLeaf { tx_hash: root(1), post_state_root: root(5), ..ClaimLeaf::default() }]
}

fn da_block(who: &KeyPair, n: u8) -> AccountBlock {
    znn(block_of(who, n), DA_DEPOSIT)
}

#[test]
fn data_availability_challenges_hold_finality_and_reject_the_silent() {
    let (executor, challenger, other) = (key(1), key(2), key(3));
    let leaves = one_leaf();
    let mut b = body(&executor, 1, Hash::ZERO, root(5));
    b.leaves_root = zr_protocol::leaves_root(&leaves);
    let mut s = bonded(&[&executor, &challenger]);
    post(&mut s, &executor, 1, b.clone().sign(&executor), 6);
    let da = |who: &KeyPair| DaChallenge { executor: who.public(), height: 1 };
    // Refused, the deposit owed back: an unbonded challenger, a claim that does not exist, a small deposit.
    s.da_challenge(&da_block(&other, 2), da(&executor), 7);
    s.da_challenge(&da_block(&challenger, 3), da(&other), 7);
    s.da_challenge(&znn(block_of(&challenger, 4), DA_DEPOSIT - 1), da(&executor), 7);
    s.da_challenge(&da_block(&challenger, 5), da(&executor), 7);
    s.da_challenge(&da_block(&challenger, 6), da(&executor), 7);
    let reasons: Vec<&str> = s.refused().iter().map(|r| r.reason.as_str()).collect();
    assert!(reasons[0].contains("live bond") && reasons[1].contains("no open claim"), "{reasons:?}");
    assert!(reasons[2].contains("deposits at least") && reasons[3].contains("already"), "{reasons:?}");
    assert_eq!(s.owed().len(), 4, "each refused deposit is owed back");
    // Open: not final, even past the claim's window (and within the executor's time to answer).
    s.settle(6 + FINALITY_WINDOW + 1);
    assert_eq!(s.final_root(), None);
    // Leaves from another account, or that do not hash to the claim: refused, still open.
    s.leaves_part(&block_of(&other, 6), leaves_parts(1, &leaves)[0].clone(), 8);
    assert!(last_refusal(&s).contains("only an executor with a claim"), "{}", last_refusal(&s));
    s.leaves_part(&block_of(&executor, 6), leaves_parts(2, &leaves)[0].clone(), 8);
    assert!(last_refusal(&s).contains("no open data-availability challenge at height 2"), "{}", last_refusal(&s));
    let mut wrong_leaves = leaves.clone();
    wrong_leaves[0].receipt_hash = root(9);
    s.leaves_part(&block_of(&executor, 7), leaves_parts(1, &wrong_leaves)[0].clone(), 8);
    assert!(last_refusal(&s).contains("do not hash"));
    s.leaves_part(&block_of(&executor, 7), leaves_parts(1, &[])[0].clone(), 8);
    assert!(last_refusal(&s).contains("do not hash"), "no leaves at all is no answer");
    // Answered: the deposit is forfeit, the challenger's bond untouched, and the claim goes on to be final.
    s.leaves_part(&block_of(&executor, 8), leaves_parts(1, &leaves)[0].clone(), 10);
    assert!(matches!(s.da_challenges(1, 1)[0].status, DaStatus::Answered { at: 10 }));
    assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND);
    s.settle(51);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 1, root: root(5) }));
}

#[test]
fn an_unanswered_data_availability_challenge_rejects_the_claim_and_pays_the_challenger() {
    let (executor, challenger, mut s) = two_bonded();
    post(&mut s, &executor, 1, claim(&executor, 5, Hash::ZERO, root(5)), 6);
    post(&mut s, &executor, 2, claim(&executor, 6, root(5), root(6)), 7);
    s.da_challenge(&da_block(&challenger, 4), DaChallenge { executor: executor.public(), height: 5 }, 7);
    let window = s.parameters().da_window;
    s.settle(7 + window - 1);
    assert_eq!(status(&s, 5, &executor), ClaimStatus::Pending);
    s.settle(7 + window);
    assert!(matches!(s.da_challenges(5, 1)[0].status, DaStatus::Unanswered { .. }));
    assert!(matches!(status(&s, 5, &executor), ClaimStatus::Rejected { reason, .. } if reason.contains("leaves")));
    assert!(matches!(status(&s, 6, &executor), ClaimStatus::Rejected { .. }));
    assert_eq!(s.bond(&executor.address()), None);
    assert_eq!(s.bond(&challenger.address()).unwrap().amount, MIN_BOND + MIN_BOND / 2);
    assert_eq!(
        s.take_owed(),
        vec![Payout {
            withdrawal: None,
            recipient: challenger.address(),
            token: TokenStandard::ZNN,
            amount: DA_DEPOSIT
        }]
    );
}

/// Defect 3: a data-availability challenge opened again after the executor answered used to need another
/// answer, and an executor that answered a height once never answered again: slashed. Leaves on L1 stay
/// there, so a claim whose leaves were posted cannot be challenged for them again.
#[test]
fn attack_reopened_data_availability_challenge_slashes_the_honest_executor() {
    let (executor, challenger) = (key(1), key(2));
    let leaves = one_leaf();
    let mut b = body(&executor, 1, Hash::ZERO, root(5));
    b.leaves_root = zr_protocol::leaves_root(&leaves);
    let mut s = bonded(&[&executor, &challenger]);
    post(&mut s, &executor, 1, b.sign(&executor), 6);
    let da = DaChallenge { executor: executor.public(), height: 1 };
    s.da_challenge(&da_block(&challenger, 10), da.clone(), 7);
    s.leaves_part(&block_of(&executor, 20), leaves_parts(1, &leaves)[0].clone(), 8);
    assert!(matches!(s.da_challenges(1, 1)[0].status, DaStatus::Answered { .. }));
    assert!(s.owed().is_empty(), "the deposit is forfeit");
    s.da_challenge(&da_block(&challenger, 11), da, 9);
    assert!(last_refusal(&s).contains("on L1 already"), "{}", last_refusal(&s));
    assert_eq!(s.owed().len(), 1, "the refused challenge's deposit is owed back");
    s.settle(7 + s.parameters().da_window + 1);
    assert_eq!(s.bond(&executor.address()).unwrap().amount, MIN_BOND);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 1, root: root(5) }));
}

/// Defect 1 of the review: a bonded account used to stall a height by claiming the honest root and having a
/// second account challenge its own claim's data, answering only at the last momentum and again. Any
/// claimant with the same leaves answers for it, at once.
#[test]
fn attack_self_data_availability_challenge_stalls_finality() {
    let (honest, attacker, accomplice) = (key(1), key(2), key(3));
    let leaves = one_leaf();
    let mut s = bonded(&[&honest, &attacker, &accomplice]);
    for (who, n) in [(&honest, 1u8), (&attacker, 2)] {
        let mut b = body(who, 1, Hash::ZERO, root(5));
        b.leaves_root = zr_protocol::leaves_root(&leaves);
        post(&mut s, who, n, b.sign(who), 2);
    }
    s.da_challenge(&da_block(&accomplice, 3), DaChallenge { executor: attacker.public(), height: 1 }, 3);
    // The honest executor, whose claim has the same leaves, answers the challenge of the attacker's claim.
    s.leaves_part(&block_of(&honest, 4), leaves_parts(1, &leaves)[0].clone(), 4);
    assert!(matches!(s.da_challenges(1, 5)[0].status, DaStatus::Answered { at: 4 }), "{:?}", s.refused());
    s.da_challenge(&da_block(&accomplice, 5), DaChallenge { executor: attacker.public(), height: 1 }, 5);
    assert!(last_refusal(&s).contains("on L1 already"));
    s.settle(2 + FINALITY_WINDOW);
    assert_eq!(s.final_root(), Some(FinalRoot { height: 1, root: root(5) }), "final when its window ends");
}

/// A data-availability challenge of a claim that a verdict rejects meanwhile is moot: the deposit comes back.
#[test]
fn a_moot_data_availability_challenge_pays_its_deposit_back() {
    let (executor, challenger, mut s) = two_bonded();
    post(&mut s, &executor, 1, claim(&executor, 5, Hash::ZERO, root(5)), 6);
    s.da_challenge(&da_block(&challenger, 4), DaChallenge { executor: executor.public(), height: 5 }, 7);
    challenge(&mut s, &challenger, 5, &dispute_of(&executor, 5), 7);
    s.judge(8, &mut |_| 1, &mut |_, _, _| wrong());
    s.settle(8);
    assert!(matches!(s.da_challenges(5, 1)[0].status, DaStatus::Moot { at: 8 }));
    let back: Vec<u128> = s.owed().iter().map(|p| p.amount).collect();
    assert_eq!(back, vec![PART_DEPOSIT, DA_DEPOSIT], "the challenge's deposit, then the moot one's");
}

/// Defect 4: a claim's leaves must always fit a data-availability answer; the ordering cap makes the largest
/// claim 16 384 leaves.
#[test]
fn the_largest_claims_leaves_fit_a_data_availability_answer() {
    let leaves: Vec<ClaimLeaf> = (0..=zr_common::rollup::limits::MAX_MOMENTUM_TRANSACTIONS as u32)
        .map(|i| ClaimLeaf {
            tx_hash: Hash([(i % 251) as u8; 32]),
            post_state_root: Hash([(i % 241) as u8; 32]),
            receipt_hash: Hash([(i % 239) as u8; 32]),
            cumulative_gas: u64::MAX,
            cumulative_receipt_bytes: u64::MAX,
            cumulative_state_bytes: u64::MAX,
        })
        .collect();
    assert_eq!(leaves.len(), 16_384);
    let parts = leaves_parts(5, &leaves);
    assert!(parts.len() as u32 <= zr_inbox::bundle::MAX_LEAVES_PARTS, "{} parts", parts.len());
    let executor = key(1);
    let challenger = key(2);
    let mut b = body(&executor, 5, Hash::ZERO, root(5));
    b.leaves_root = zr_protocol::leaves_root(&leaves);
    let mut s = bonded(&[&executor, &challenger]);
    post(&mut s, &executor, 1, b.sign(&executor), 6);
    s.da_challenge(&da_block(&challenger, 2), DaChallenge { executor: executor.public(), height: 5 }, 7);
    for p in parts {
        s.leaves_part(&block_of(&executor, 3), p, 8);
    }
    assert!(matches!(s.da_challenges(5, 1)[0].status, DaStatus::Answered { .. }), "{:?}", s.refused());
}

#[test]
fn bonds_are_owed_back_after_the_delay_when_nothing_is_open() {
    let (a, b, mut s) = two_bonded();
    post(&mut s, &a, 1, claim(&a, 1, Hash::ZERO, root(1)), 2);
    s.unbond(&block_of(&a, 2), 3);
    s.unbond(&block_of(&b, 3), 3);
    s.unbond(&block_of(&b, 4), 4);
    assert!(last_refusal(&s).contains("unbonding already"));
    // Claims of an unbonding executor are not recorded.
    post(&mut s, &a, 5, claim(&a, 2, root(1), root(2)), 4);
    assert!(last_refusal(&s).contains("no live bond"));
    s.release_bonds(3 + UNBOND_DELAY - 1);
    assert!(s.owed().is_empty());
    s.release_bonds(3 + UNBOND_DELAY);
    let bond = |who: &KeyPair| Payout {
        withdrawal: None,
        recipient: who.address(),
        token: TokenStandard::ZNN,
        amount: MIN_BOND,
    };
    assert_eq!(s.take_owed(), vec![bond(&b)]);
    s.settle(3 + UNBOND_DELAY);
    s.release_bonds(3 + UNBOND_DELAY);
    assert_eq!(s.take_owed(), vec![bond(&a)]);
    assert_eq!(s.bond(&a.address()), None);
    s.unbond(&block_of(&a, 6), 30);
    assert!(last_refusal(&s).contains("no bond"));
}

#[test]
fn bad_claims_and_bonds_are_refused_with_their_reason() {
    let (a, b) = (key(1), key(2));
    let mut s = bonded(&[&a]);
    let good = claim(&a, 1, Hash::ZERO, root(1));
    post(&mut s, &a, 1, good.clone(), 2);
    post(&mut s, &a, 2, good.clone(), 3);
    post(&mut s, &b, 3, good.clone(), 3);
    let mut forged = good.clone();
    forged.body.new_state_root = root(66);
    post(&mut s, &a, 4, forged, 3);
    s.settle(2 + FINALITY_WINDOW);
    post(&mut s, &a, 5, claim(&a, 1, Hash::ZERO, root(1)), 10);
    s.bond_sent(&AccountBlock { token_standard: TokenStandard::QSR, amount: MIN_BOND, ..block_of(&b, 6) }, 10);
    let reasons: Vec<&str> = s.refused().iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(reasons[0].contains("recorded already"));
    assert!(reasons[1].contains("its executor's own account"));
    assert!(reasons[2].contains("signature"));
    assert!(reasons[3].contains("final already"));
    assert!(reasons[4].contains("at least"));
    assert_eq!(s.bond(&b.address()), None);
    assert_eq!(s.owed().len(), 1, "the QSR sent as a bond is owed back");
}

// ----- Shape challenges, judged against L1's momentum -----

/// The verifier of shape disputes.
const NO_VM: NoCode = NoCode { version: VM, refuse: None };

/// Momentum 5 with one deposit to the inbox and no bundles: its only step is the prelude.
fn momentum_with_one_deposit() -> (zr_common::nom::Momentum, Vec<AccountBlock>, Hash) {
    let depositor = key(9);
    let deposit = AccountBlock {
        block_type: zr_common::nom::BlockType::UserSend as u64,
        address: depositor.address(),
        to_address: Address::INBOX,
        token_standard: TokenStandard::ZNN,
        amount: 500,
        hash: root(40),
        ..AccountBlock::default()
    };
    let momentum = zr_common::nom::Momentum {
        version: 1,
        chain_identifier: 1,
        hash: root(41),
        previous_hash: root(42),
        height: 5,
        timestamp: 1_005,
        data: vec![],
        content: vec![],
        changes_hash: Hash::ZERO,
        public_key: vec![],
        signature: vec![],
    };
    let prelude = zr_protocol::transition::prelude_hash(
        5,
        &[zr_protocol::Deposit {
            account: depositor.address(),
            token: TokenStandard::ZNN,
            amount: 500,
            l1_block: root(40),
        }],
    );
    (momentum, vec![deposit], prelude)
}

fn leaf(tx_hash: Hash, post: Hash) -> ClaimLeaf {
    ClaimLeaf { tx_hash, post_state_root: post, ..ClaimLeaf::default() }
}

/// The record of `executor`'s claim at 5 over `leaves`, claiming `new_root`.
fn record_of(executor: &KeyPair, leaves: &[ClaimLeaf], new_root: Hash) -> ClaimRecord {
    ClaimRecord {
        executor: executor.public(),
        height: 5,
        prev_state_root: Hash::ZERO,
        new_state_root: new_root,
        leaves_root: zr_protocol::leaves_root(leaves),
        vm_version: VM,
        l1_block: Hash::ZERO,
        included_at: 6,
        status: ClaimStatus::Pending,
    }
}

fn shape(executor: &KeyPair, leaves: &[ClaimLeaf], index: u32) -> Dispute {
    Dispute::Shape(ShapeChallenge {
        executor: executor.public(),
        height: 5,
        leaf: leaves[index as usize],
        proof: LeafProof::new(leaves, index).unwrap(),
    })
}

fn judged(dispute: &Dispute, record: &ClaimRecord) -> Judgement {
    let (momentum, blocks, _) = momentum_with_one_deposit();
    crate::judge_dispute(dispute, record, &params(), Ok(Some((momentum, blocks))), &NO_VM)
}

/// Defect 1: a leaf whose step is not L1's, a wrong leaf count, or a claimed root that is not the last
/// leaf's could never be proven wrong (every such challenge was judged against the challenger).
#[test]
fn attack_claims_wrong_in_shape_are_proven_wrong() {
    let executor = key(1);
    let (_, _, prelude) = momentum_with_one_deposit();
    // Honest: one leaf, the prelude's, whose root is the claim's. A shape dispute proves nothing.
    let honest = vec![leaf(prelude, root(5))];
    assert!(matches!(judged(&shape(&executor, &honest, 0), &record_of(&executor, &honest, root(5))),
        Judgement::ProvesNothing(r) if r.contains("where L1 puts it")));
    // Another step at leaf 0 (the deposit left out).
    let other_step = vec![leaf(root(3), root(5))];
    assert!(matches!(judged(&shape(&executor, &other_step, 0), &record_of(&executor, &other_step, root(5))),
        Judgement::ExecutorWrong { reason, .. } if reason.contains("L1's step 0")));
    // A leaf more than L1 has steps (a transaction invented).
    let extra = vec![leaf(prelude, root(5)), leaf(root(3), root(6))];
    assert!(matches!(judged(&shape(&executor, &extra, 0), &record_of(&executor, &extra, root(6))),
        Judgement::ExecutorWrong { reason, .. } if reason.contains("2 leaves")));
    // The claimed root is not the last leaf's.
    assert!(matches!(judged(&shape(&executor, &honest, 0), &record_of(&executor, &honest, root(66))),
        Judgement::ExecutorWrong { reason, .. } if reason.contains("not its last leaf's")));
    // A leaf that is not the claim's proves nothing.
    assert!(matches!(judged(&shape(&executor, &other_step, 0), &record_of(&executor, &honest, root(5))),
        Judgement::ProvesNothing(r) if r.contains("not the claim's")));
    // A momentum the pillars cannot read: nobody pays.
    let record = record_of(&executor, &honest, root(5));
    assert!(matches!(
        crate::judge_dispute(&shape(&executor, &honest, 0), &record, &params(), Err("disk".into()), &NO_VM),
        Judgement::CannotJudge(_)
    ));
}

/// Reopens `s` as an adapter does: its encoding, and every stored change it took so far replayed.
fn reopen(s: &Settlement, changes: &[StoredChanges]) -> Settlement {
    let encoded = zr_common::codec::encode(s);
    let mut reopened: Settlement = zr_common::codec::decode("settlement", &encoded, encoded.len()).unwrap();
    let mut paid = BTreeMap::new();
    let mut challenge_bytes = BTreeMap::new();
    let mut leaves_bytes = BTreeMap::new();
    for change in changes {
        paid.extend(change.paid.iter().cloned());
        challenge_bytes.extend(change.challenge_bytes.iter().cloned());
        leaves_bytes.extend(change.leaves_bytes.iter().cloned());
    }
    for (tx, block) in paid.into_iter().filter_map(|(k, v)| v.map(|v| (k, *v))) {
        reopened.restore_paid(tx, block);
    }
    for ((id, from, index), bytes) in challenge_bytes.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))) {
        reopened.restore_challenge_bytes(id, from, index, bytes.to_vec());
    }
    for ((height, sender, index), bytes) in leaves_bytes.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))) {
        reopened.restore_leaves_bytes(height, sender, index, bytes.to_vec());
    }
    reopened
}

/// Defect 6: the whole state, challenge bytes included, was written with every momentum. The bytes of parts and
/// leaves and the withdrawals paid are now stored by key, only what a momentum changed, and the state reopens
/// the same from its (small) encoding and those keys.
#[test]
fn a_momentum_writes_what_it_changed_and_the_state_reopens_the_same() {
    let (executor, challenger) = (key(1), key(2));
    let leaves: Vec<ClaimLeaf> = (0..2_000u32).map(|i| leaf(Hash::ZERO, Hash([i as u8; 32]))).collect();
    let mut b = body(&executor, 1, Hash::ZERO, root(5));
    b.leaves_root = zr_protocol::leaves_root(&leaves);
    let mut s = bonded(&[&executor, &challenger]);
    post(&mut s, &executor, 1, b.sign(&executor), 2);
    s.da_challenge(&da_block(&challenger, 3), DaChallenge { executor: executor.public(), height: 1 }, 2);
    let leaves_parts = leaves_parts(1, &leaves);
    assert!(leaves_parts.len() > 2);
    s.leaves_part(&block_of(&executor, 4), leaves_parts[0].clone(), 3);
    let big = headed(&executor, 1, &[7u8; MAX_CHALLENGE_PART_LEN - zr_fraud::DISPUTE_HEAD_LEN]);
    s.challenge_part(&opening(&challenger, 5, 3), part(root(9), 0, 3, &big), 3);
    s.challenge_part(&block_of(&challenger, 6), part(root(9), 1, 3, &big), 3);
    s.paid(root(44), root(45));
    let mut changes = vec![s.take_stored_changes()];
    assert_eq!((changes[0].paid.len(), changes[0].challenge_bytes.len(), changes[0].leaves_bytes.len()), (1, 2, 1));
    let encoded = zr_common::codec::encode(&s).len();
    assert!(encoded < 4_096, "the state's own encoding holds no part bytes: {encoded} bytes");
    assert_eq!(reopen(&s, &changes), s);
    // The next momentum writes only what it changed: the leaves answered (their parts removed).
    for (i, part) in leaves_parts.iter().enumerate().skip(1) {
        s.leaves_part(&block_of(&executor, 10 + i as u8), part.clone(), 4);
    }
    assert!(matches!(s.da_challenges(1, 1)[0].status, DaStatus::Answered { at: 4 }), "{:?}", s.refused());
    changes.push(s.take_stored_changes());
    let last = changes.last().unwrap();
    assert!(last.paid.is_empty() && last.challenge_bytes.is_empty());
    assert!(last.leaves_bytes.iter().all(|(_, bytes)| bytes.is_none()), "every leaves part removed");
    assert_eq!(reopen(&s, &changes), s);
    assert!(s.take_stored_changes().leaves_bytes.is_empty(), "an idle momentum writes none");
}

/// Review finding: a part index already in used to be taken again, so part 0 could be sent once naming an open
/// claim (holding finality from its height) and again with the start of a dispute of a made-up claim at a
/// final height, refunded at its verdict: finality held forever, for nothing. An index is taken once, and a
/// challenge must name the claim its part 0 named.
#[test]
fn attack_part_zero_sent_again_holds_finality_for_free() {
    let (executor, attacker, nobody) = (key(1), key(2), key(3));
    let mut s = bonded(&[&executor, &attacker]);
    post(&mut s, &executor, 1, claim(&executor, 1, Hash::ZERO, root(1)), 2);
    let made_up = dispute_of(&nobody, 0).to_bytes();
    let id = zr_common::sha3_256(&made_up);
    let (first, second) = made_up.split_at(made_up.len() / 2);
    s.challenge_part(&opening(&attacker, 10, 2), part(id, 0, 2, &headed(&executor, 1, &[])), 3);
    s.challenge_part(&block_of(&attacker, 11), part(id, 0, 2, first), 5);
    assert!(last_refusal(&s).contains("part 0 of this challenge is in already"), "{}", last_refusal(&s));
    s.challenge_part(&block_of(&attacker, 12), part(id, 1, 2, second), 5);
    // The bytes are the first part 0 and the made-up second half: they hash to nothing, and cost the bond.
    assert!(s.challenge(&id).is_none(), "not recorded under the id it claims");
    assert!(s.bond(&attacker.address()).is_none_or(|b| b.amount < MIN_BOND));
}

/// Review finding: the second sender of the same challenge had its later parts refused (the id was in) and
/// its deposit and a tenth of its bond taken when they expired; and garbage completed under an honest
/// challenge's id blocked that id for good. The second sender gets its deposit back; garbage is recorded apart.
#[test]
fn attack_two_senders_of_one_challenge_and_garbage_under_its_id() {
    let (liar, first, second, griefer) = (key(1), key(2), key(3), key(4));
    let mut s = bonded(&[&liar, &first, &second, &griefer]);
    post(&mut s, &liar, 1, claim(&liar, 1, Hash::ZERO, root(66)), 2);
    let posted = Posted::of(&liar, 1);
    // The griefer completes the id with garbage first.
    s.challenge_part(&opening(&griefer, 20, 2), posted.half(0), 2);
    s.challenge_part(&block_of(&griefer, 21), part(posted.id, 1, 2, &[0; 3]), 2);
    assert!(s.challenge(&posted.id).is_none(), "garbage is not recorded under the id");
    s.challenge_part(&opening(&second, 10, 2), posted.half(0), 2);
    s.challenge_part(&opening(&first, 11, 2), posted.half(0), 2);
    s.challenge_part(&block_of(&first, 12), posted.half(1), 2);
    s.challenge_part(&block_of(&second, 13), posted.half(1), 3);
    assert_eq!(s.challenge(&posted.id).unwrap().challenger, first.address());
    s.judge(3, &mut |_| 1, &mut |_, _, _| wrong());
    for at in 3..8 {
        s.settle(at);
    }
    assert_eq!(s.bond(&second.address()).unwrap().amount, MIN_BOND, "the second sender is not fined");
    let owed: u128 = s.take_owed().iter().filter(|p| p.recipient == second.address()).map(|p| p.amount).sum();
    assert_eq!(owed, 2 * PART_DEPOSIT, "and its deposit comes back with the verdict");
}

/// Review finding: copies of one challenge completed by other senders were refunded whatever the first's
/// verdict, so copies of a challenge that proves nothing held room (and finality) for free. A copy fares as
/// the first's verdict does.
#[test]
fn attack_copies_of_a_challenge_that_proves_nothing_cost_nothing() {
    let (executor, first, copier, mut s, posted) = three_bonded_and_a_disputed_claim();
    s.challenge_part(&opening(&copier, 10, 2), posted.half(0), 2);
    s.challenge_part(&opening(&first, 11, 1), posted.whole(), 2);
    s.challenge_part(&block_of(&copier, 12), posted.half(1), 3);
    assert!(s.take_owed().iter().all(|p| p.recipient != copier.address()), "nothing back before the verdict");
    s.judge(3, &mut |_| 1, &mut |_, _, _| Judgement::ProvesNothing("the claim holds".into()));
    assert!(matches!(s.challenge(&posted.id).unwrap().status, ChallengeStatus::ChallengerWrong { .. }));
    assert_eq!(s.bond(&copier.address()), None, "the copier's bond goes too");
    assert!(s.take_owed().iter().all(|p| p.recipient != copier.address()), "and its deposit");
    // After the verdict, a copy fares as it did, at once.
    let late = key(4);
    let mut s2 = bonded(&[&executor, &first, &late]);
    post(&mut s2, &executor, 1, claim(&executor, 1, Hash::ZERO, root(1)), 2);
    s2.challenge_part(&opening(&late, 10, 2), posted.half(0), 2);
    s2.challenge_part(&opening(&first, 11, 1), posted.whole(), 2);
    s2.judge(2, &mut |_| 1, &mut |_, _, _| wrong());
    let _ = s2.take_owed();
    s2.challenge_part(&block_of(&late, 12), posted.half(1), 3);
    let back: u128 = s2.take_owed().iter().filter(|p| p.recipient == late.address()).map(|p| p.amount).sum();
    assert_eq!(back, 2 * PART_DEPOSIT, "a copy of a right challenge gets its deposit back");
}

/// Attack review: the pillars' own failure to compile a challenge's code (a node that cannot start the compiler's
/// threads, a CPU it does not support) was judged "the challenge proves nothing", which cost a right
/// challenger its bond and let the wrong claim go final. A node fault decides nothing; only code that does not
/// hash or validate proves nothing.
#[test]
fn attack_a_pillars_compile_failure_does_not_cost_a_right_challenger() {
    let executor = key(1);
    let (momentum, blocks, prelude) = momentum_with_one_deposit();
    let leaves = vec![leaf(prelude, root(5))];
    let record = record_of(&executor, &leaves, root(5));
    let deposits = zr_inbox::order_verified(
        zr_inbox::verify_inbox_with(1, &Address::INBOX, &blocks, zr_inbox::Signatures::CheckedByL1),
        &momentum.previous_hash,
    )
    .deposits;
    let claim = ClaimBody {
        timestamp: momentum.timestamp,
        prev_state_root: record.prev_state_root,
        new_state_root: record.new_state_root,
        leaves_root: record.leaves_root,
        ..body(&executor, 5, Hash::ZERO, root(5))
    }
    .sign(&executor);
    let code = b"any code".to_vec();
    let dispute = Dispute::Leaf(Box::new(Challenge {
        executor: executor.public(),
        height: 5,
        index: 0,
        witness: zr_fraud::Witness {
            claim,
            previous: None,
            leaf: (leaves[0], LeafProof::new(&leaves, 0).unwrap()),
            step: zr_fraud::Step::Prelude { deposits },
            state: zr_protocol::Multiproof::default(),
            code: vec![zr_common::sha3_256(&code)],
        },
        code: vec![code],
    }));
    let judge = |verifier: NoCode| {
        crate::judge_dispute(&dispute, &record, &params(), Ok(Some((momentum.clone(), blocks.clone()))), &verifier)
    };
    let fault = judge(NoCode {
        version: VM,
        refuse: Some(zr_protocol::UntrustedCode::Fault("no thread for the compiler".into())),
    });
    assert!(matches!(&fault, Judgement::CannotJudge(r) if r.contains("no thread")), "{fault:?}");
    // Code that is not what it claims to be is still the challenger's fault.
    let forged =
        judge(NoCode { version: VM, refuse: Some(zr_protocol::UntrustedCode::NotTheCode("does not hash".into())) });
    assert!(matches!(&forged, Judgement::ProvesNothing(r) if r.contains("does not hash")), "{forged:?}");
}

/// The inbox's funds, for steps run through `inbox::step_momentum`.
struct Funds(u128);

impl crate::inbox::InboxFunds for Funds {
    fn balance(&self, _: &zr_common::TokenStandard) -> u128 {
        self.0
    }
    fn credit(&mut self, _: zr_common::TokenStandard, amount: u128) {
        self.0 += amount;
    }
    fn debit(&mut self, _: zr_common::TokenStandard, amount: u128) {
        self.0 -= amount;
    }
}

/// The go-zenon spork runs the steps of a quiet stretch in one receive and stops judging after its verdict cap,
/// leaving challenges waiting. A wrong claim must not slip through those verdict-less steps: its height is held
/// while the challenge waits, however long, and the next step that judges rejects it.
#[test]
fn attack_steps_without_verdicts_never_make_a_challenged_claim_final() {
    let (executor, challenger) = (key(1), key(10));
    let mut s = bonded(&[&executor, &challenger]);
    post(&mut s, &executor, 40, claim(&executor, 1, Hash::ZERO, root(1)), 10);
    challenge(&mut s, &challenger, 0, &dispute_of(&executor, 1), 10);
    assert_eq!(s.waiting(), 1);
    let mut funds = Funds(u128::MAX / 2);
    let window = s.parameters().finality_window;
    for at in 10..10 + 3 * window {
        crate::inbox::step_momentum(&mut s, at, None, &mut funds, usize::MAX);
    }
    assert_eq!(status(&s, 1, &executor), ClaimStatus::Pending, "held while its challenge waits");
    assert_eq!(s.final_root(), None);
    let (mut work, mut judge) = (|_| 1, |_: &Dispute, _: &ClaimRecord, _: &Parameters| wrong());
    let verdicts = crate::inbox::Verdicts { work: &mut work, judge: &mut judge };
    crate::inbox::step_momentum(&mut s, 10 + 3 * window, Some(verdicts), &mut funds, usize::MAX);
    assert!(matches!(status(&s, 1, &executor), ClaimStatus::Rejected { .. }));
}

/// Refunds spammed into what the inbox owes cannot push an honest payout out: at most `max` are paid per call,
/// in the order they fell due, and the rest stay owed for the next call, none lost.
#[test]
fn attack_a_payout_cap_delays_but_never_drops_what_is_owed() {
    let payout = |n: u8| Payout {
        withdrawal: None,
        recipient: key(n).address(),
        token: zr_common::TokenStandard::ZNN,
        amount: 1,
    };
    let mut s = bonded(&[]);
    for n in 0..5 {
        s.owe(payout(n));
    }
    let mut funds = Funds(10);
    let first = crate::inbox::pay_owed(&mut s, &mut funds, 3);
    assert_eq!(first, (0..3).map(payout).collect::<Vec<_>>());
    assert_eq!(s.owed(), &[payout(3), payout(4)]);
    assert_eq!(crate::inbox::pay_owed(&mut s, &mut funds, 3), vec![payout(3), payout(4)]);
    assert_eq!(funds.0, 5);
}

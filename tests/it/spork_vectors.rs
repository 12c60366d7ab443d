//! What the spork's tests in go-zenon's mock chain replay, written from the Rust side.
//!
//! - `rollup_verdict_fixtures_test.go`: a bundle with one token transfer posted by the mock genesis's `User1`, its
//!   claim by `User1` with a wrong post-state root for that transfer, and `User2`'s challenge of it in parts, with
//!   the witness an honest executor builds (`TestRollup_aWrongClaimIsJudgedByThePillars`).
//! - `testdata/rollup_agreement_vectors.json`: the agreement scenarios. Each is a sequence of sends to the inbox,
//!   run here through the settlement as the devnet runs momentums (each momentum's sends, then its step, verdicts
//!   by the VM), with the `embedded.rollup.*` answers after each momentum's sends and the payouts made; the Go test
//!   replays the sends through the spork and must find the same (`TestRollup_agreesWithTheDevnetsSettlement`).
//!
//! The committed files must be what this writes (`ZR_WRITE_GO_FIXTURES=1` rewrites them).

use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::{Bundle, BundleBody, ClaimBody, TxBody, TxKind};
use zr_common::{Address, Canonical, Hash, KeyPair, sha3_256};
use zr_executor::execute::run_momentum;
use zr_fraud::{Challenge, Dispute, Verdict, build_witness, verify_leaf};
use zr_protocol::BlockInfo;
use zr_sequencing::bundle::{encode_bundle, encode_challenge, encode_claim};

use crate::witness_verify::{VM, pre_state, wasm};
use zr_common::keys::fixtures::key;

const TESTS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spork/go-zenon/vm/embedded/tests");

/// go-zenon's mock chain: its genesis timestamp, and the ed25519 seeds of its `User1` and `User2`
/// (`wallet.DeriveWithIndex(n, 0x01234567890123456789012345678902)` in `chain/genesis/mock`).
const MOCK_GENESIS_TIMESTAMP: u64 = 1_000_000_000;
const MOCK_USER1_SEED: &str = "5128e60b486a18f68c66b85650758b28e6960cd66bacf8f445787983e39f780c";
const MOCK_USER2_SEED: &str = "2b11f8d899cf434d2e79cd729f07af4945b6296125427f0e38e55c7343fd70d5";
/// The rollup the mock chain settles (its parameters in `definition/rollup_parameters.go`).
const ROLLUP_CHAIN: u64 = 1337;
/// The momentum that confirms the bundle.
const HEIGHT: u64 = 30;

fn seeded(seed: &str) -> KeyPair {
    KeyPair::from_seed(&hex::decode(seed).unwrap().try_into().unwrap())
}

/// The witness tests' state (funded accounts, the token deployed) with 100 tokens minted to `holder`.
fn with_tokens(holder: &KeyPair) -> (zr_protocol::Tree, Address) {
    let (pre, token, _) = pre_state();
    let owner = key(1);
    let mint = TxBody {
        chain_id: ROLLUP_CHAIN,
        sender: owner.public(),
        nonce: 5,
        gas_limit: 50_000_000,
        fee_per_gas: 1,
        kind: TxKind::Call {
            contract: token,
            method: "mint".into(),
            input: [holder.address().0.as_slice(), &100u128.to_le_bytes()].concat(),
            value: 0,
        },
    }
    .sign(&owner);
    let ctx = zr_protocol::TxContext {
        block: BlockInfo { height: HEIGHT - 1, timestamp: MOCK_GENESIS_TIMESTAMP },
        poster: owner.address(),
    };
    let applied =
        zr_protocol::apply_transaction(VM.as_ref(), pre, &mint, mint.hash(), &ctx, zr_protocol::Used::default())
            .unwrap();
    let success = applied.receipt.as_ref().map(|r| &r.status);
    assert_eq!(success, Some(&zr_common::rollup::ReceiptStatus::Success));
    (applied.tree, token)
}

/// A mock momentum: only its height and time (and its inbox sends) matter to the rollup.
fn mock_momentum(height: u64) -> Momentum {
    Momentum {
        version: 1,
        chain_identifier: 100,
        hash: Hash::ZERO,
        previous_hash: Hash::ZERO,
        height,
        timestamp: mock_timestamp(height),
        data: Vec::new(),
        content: Vec::new(),
        changes_hash: Hash::ZERO,
        public_key: Vec::new(),
        signature: Vec::new(),
    }
}

fn mock_timestamp(height: u64) -> u64 {
    MOCK_GENESIS_TIMESTAMP + 10 * (height - 1)
}

/// A send to the inbox from `from` (its L1 block, as the rollup reads it).
fn inbox_send(from: &KeyPair, account_height: u64, data: Vec<u8>, amount: u128) -> AccountBlock {
    let mut block = AccountBlock {
        block_type: 2,
        height: account_height,
        address: from.address(),
        to_address: Address::INBOX,
        amount,
        token_standard: zr_common::TokenStandard::ZNN,
        data,
        ..AccountBlock::default()
    };
    block.hash = block.compute_hash();
    block
}

/// The token-transfer case: `User1`'s bundle at momentum [`HEIGHT`], its claim (right and wrong), and a challenge
/// of each, with the witness an honest executor builds for the transfer's leaf.
struct TransferCase {
    bundle: Vec<u8>,
    right_claim: Vec<u8>,
    wrong_claim: Vec<u8>,
    /// The challenge of the wrong claim, in parts, and its id.
    proving: (Vec<Vec<u8>>, Hash),
    /// The same leaf's challenge of the right claim: it proves nothing.
    proving_nothing: Vec<Vec<u8>>,
    /// The transfer's correct post-state root.
    correct_root: Hash,
    /// The state root every claim below [`HEIGHT`] ends at (the witnesses' pre-state), for a chain of claims
    /// final up to it.
    pre_root: Hash,
    /// A bundle withdrawing 1 ZNN to `User2`, its right claim, the withdrawal proof once it is final, and the
    /// withdrawing transaction.
    withdrawing: (Vec<u8>, Vec<u8>, Vec<u8>, Hash),
}

fn transfer_case() -> TransferCase {
    let user1 = seeded(MOCK_USER1_SEED);
    let (alice, bob) = (key(2), key(3));
    let (pre, token) = with_tokens(&alice);
    let transfer = TxBody {
        chain_id: ROLLUP_CHAIN,
        sender: alice.public(),
        nonce: 0,
        gas_limit: 50_000_000,
        fee_per_gas: 1,
        kind: TxKind::Call {
            contract: token,
            method: "transfer".into(),
            input: [bob.address().0.as_slice(), &7u128.to_le_bytes()].concat(),
            value: 0,
        },
    }
    .sign(&alice);
    let bundle: Bundle =
        BundleBody { chain_id: ROLLUP_CHAIN, poster: user1.public(), transactions: vec![transfer] }.sign(&user1);
    let bundle = encode_bundle(&bundle).unwrap();
    let block = inbox_send(&user1, 1, bundle.clone(), 0);
    let ordered = zr_settlement::steps_of(ROLLUP_CHAIN, &mock_momentum(HEIGHT), &[block]);
    assert_eq!(ordered.transactions.len(), 1, "the bundle orders its transfer");
    let info = BlockInfo { height: HEIGHT, timestamp: mock_timestamp(HEIGHT) };
    let run = run_momentum(VM.as_ref(), pre.clone(), info, &ordered).unwrap();
    let statuses: Vec<_> = run.receipts.iter().map(|r| &r.status).collect();
    assert_eq!(statuses, [&zr_common::rollup::ReceiptStatus::Success], "the transfer succeeds");
    let correct = run.leaves.clone();
    // The transfer's leaf is the last, so a wrong root there keeps the claim's shape.
    let index = correct.len() as u32 - 1;
    let claim_of = |leaves: &[zr_protocol::ClaimLeaf]| {
        ClaimBody {
            chain_id: ROLLUP_CHAIN,
            executor: user1.public(),
            height: HEIGHT,
            timestamp: mock_timestamp(HEIGHT),
            prev_state_root: pre.root(),
            new_state_root: leaves[index as usize].post_state_root,
            leaves_root: zr_protocol::leaves_root(leaves),
            vm_version: VM.version(),
        }
        .sign(&user1)
    };
    let mut wrong = correct.clone();
    wrong[index as usize].post_state_root = Hash([0xee; 32]);
    let challenge = |claim: &zr_common::rollup::Claim, leaves: &[zr_protocol::ClaimLeaf], expected: Verdict| {
        let witness = build_witness(VM.as_ref(), pre.clone(), claim, leaves, &ordered, index).unwrap();
        assert_eq!(verify_leaf(&witness, VM.as_ref(), VM.version(), ROLLUP_CHAIN), expected);
        let code: Vec<Vec<u8>> = witness
            .code
            .iter()
            .map(|hash| [wasm("token"), wasm("counter")].into_iter().find(|c| sha3_256(c) == *hash).unwrap())
            .collect();
        let dispute =
            Dispute::Leaf(Box::new(Challenge { executor: user1.public(), height: HEIGHT, index, witness, code }));
        (encode_challenge(&dispute.to_bytes()), sha3_256(&dispute.to_bytes()))
    };
    let (right_claim, wrong_claim) = (claim_of(&correct), claim_of(&wrong));
    let proving = challenge(&wrong_claim, &wrong, Verdict::Wrong { correct: correct[index as usize] });
    let (proving_nothing, _) = challenge(&right_claim, &correct, Verdict::Correct);
    TransferCase {
        bundle,
        right_claim: encode_claim(&right_claim),
        wrong_claim: encode_claim(&wrong_claim),
        proving,
        proving_nothing,
        correct_root: correct[index as usize].post_state_root,
        pre_root: pre.root(),
        withdrawing: withdrawing(&pre, &alice),
    }
}

/// `holder` withdraws 1 ZNN to `User2` in a bundle of `User1`'s at [`HEIGHT`]: the bundle, `User1`'s right claim
/// of it, the withdrawal's proof against that claim's root, and the withdrawing transaction's hash.
fn withdrawing(pre: &zr_protocol::Tree, holder: &KeyPair) -> (Vec<u8>, Vec<u8>, Vec<u8>, Hash) {
    use zr_sequencing::bundle::{WithdrawalProof, encode_withdrawal};
    let (user1, user2) = (seeded(MOCK_USER1_SEED), seeded(MOCK_USER2_SEED));
    let withdraw = TxBody {
        chain_id: ROLLUP_CHAIN,
        sender: holder.public(),
        nonce: 0,
        gas_limit: 50_000_000,
        fee_per_gas: 1,
        kind: TxKind::Withdraw {
            token: zr_common::TokenStandard::ZNN,
            amount: 100_000_000,
            l1_recipient: user2.address(),
        },
    }
    .sign(holder);
    let tx_hash = withdraw.hash();
    let bundle: Bundle =
        BundleBody { chain_id: ROLLUP_CHAIN, poster: user1.public(), transactions: vec![withdraw] }.sign(&user1);
    let bundle = encode_bundle(&bundle).unwrap();
    let ordered =
        zr_settlement::steps_of(ROLLUP_CHAIN, &mock_momentum(HEIGHT), &[inbox_send(&user1, 1, bundle.clone(), 0)]);
    let info = BlockInfo { height: HEIGHT, timestamp: mock_timestamp(HEIGHT) };
    let run = run_momentum(VM.as_ref(), pre.clone(), info, &ordered).unwrap();
    let statuses: Vec<_> = run.receipts.iter().map(|r| &r.status).collect();
    assert_eq!(statuses, [&zr_common::rollup::ReceiptStatus::Success], "the withdrawal succeeds");
    let claim = ClaimBody {
        chain_id: ROLLUP_CHAIN,
        executor: user1.public(),
        height: HEIGHT,
        timestamp: mock_timestamp(HEIGHT),
        prev_state_root: pre.root(),
        new_state_root: run.tree.root(),
        leaves_root: zr_protocol::leaves_root(&run.leaves),
        vm_version: VM.version(),
    }
    .sign(&user1);
    let key = zr_protocol::StateKey::Withdrawal { tx_hash }.hash();
    let value = run.tree.get(&key).unwrap().expect("the withdrawal is in the state").as_ref().clone();
    let proof = WithdrawalProof { tx_hash, height: HEIGHT, value, proof: run.tree.prove(&key).unwrap() };
    (bundle, encode_claim(&claim), encode_withdrawal(&proof), tx_hash)
}

/// `TestRollup_aWrongClaimIsJudgedByThePillars`'s fixtures.
fn verdict_fixtures(case: &TransferCase) -> String {
    let (parts, id) = &case.proving;
    let mut entries = vec![
        ("bundle".to_owned(), hex::encode(&case.bundle)),
        ("claim".to_owned(), hex::encode(&case.wrong_claim)),
        ("challengeId".to_owned(), id.to_hex()),
        ("correctRoot".to_owned(), case.correct_root.to_hex()),
        ("parts".to_owned(), parts.len().to_string()),
        ("user2".to_owned(), seeded(MOCK_USER2_SEED).address().to_string()),
    ];
    for (i, part) in parts.iter().enumerate() {
        entries.push((format!("part{i}"), hex::encode(part)));
    }
    let mut text = String::from(
        "// Code generated by zr-tests' spork_vectors test (ZR_WRITE_GO_FIXTURES=1 cargo test -p zr-tests spork); DO NOT \
         EDIT.\n\npackage tests\n\n// rollupVerdictFixtures is a token transfer, a wrong claim of it and the challenge \
         that proves it.\nvar rollupVerdictFixtures = map[string]string{\n",
    );
    let width = entries.iter().map(|(key, _)| key.len()).max().unwrap_or(0) + 3;
    for (key, value) in entries {
        let key = format!("\"{key}\":");
        text.push_str(&format!("\t{key:<width$} \"{value}\",\n"));
    }
    text.push_str("}\n");
    text
}

/// A send of a scenario: its momentum, the mock user sending (1 or 2), the payload and the ZNN sent.
type ScenarioSend = (u64, usize, Vec<u8>, u128);

/// The agreement scenarios: their names, their sends, and the momentum of the closing empty send.
fn scenarios(case: &TransferCase) -> Vec<(&'static str, Vec<ScenarioSend>, u64)> {
    use zr_common::rollup::settlement::{DA_DEPOSIT, MIN_BOND, PART_DEPOSIT};
    use zr_sequencing::bundle::{BOND_TAG, DaChallenge, UNBOND_TAG, encode_da_challenge};
    let user1 = seeded(MOCK_USER1_SEED);
    let mock_claim = |height: u64, prev: u8, new: u8| {
        let body = ClaimBody {
            chain_id: ROLLUP_CHAIN,
            executor: user1.public(),
            height,
            timestamp: mock_timestamp(height),
            prev_state_root: Hash([prev; 32]),
            new_state_root: Hash([new; 32]),
            leaves_root: Hash([0xee; 32]),
            vm_version: VM.version(),
        };
        encode_claim(&body.sign(&user1))
    };
    let bonds = || vec![(21, 1, vec![BOND_TAG], MIN_BOND), (21, 2, vec![BOND_TAG], MIN_BOND)];
    let parts = |parts: &[Vec<u8>], at: u64| -> Vec<ScenarioSend> {
        let deposit = parts.len() as u128 * PART_DEPOSIT;
        parts.iter().enumerate().map(|(i, p)| (at, 2, p.clone(), if i == 0 { deposit } else { 0 })).collect()
    };
    // The same parts, sent by user 1 (the executor) with the same deposit.
    let copied = |parts: &[Vec<u8>], at: u64| -> Vec<ScenarioSend> {
        let deposit = parts.len() as u128 * PART_DEPOSIT;
        parts.iter().enumerate().map(|(i, p)| (at, 1, p.clone(), if i == 0 { deposit } else { 0 })).collect()
    };
    let da = encode_da_challenge(&DaChallenge { executor: user1.public(), height: 2 });
    // Claims of every height below HEIGHT, each building on the one before, ending at the witnesses' pre-state:
    // those L1 holds by momentum 22 then, the rest with the bundle at HEIGHT (a claim is of a momentum L1 holds).
    let chain_to = |root: Hash| -> Vec<ScenarioSend> {
        (1..HEIGHT)
            .map(|height| {
                let prev = if height == 1 { Hash::ZERO } else { root };
                let body = ClaimBody {
                    chain_id: ROLLUP_CHAIN,
                    executor: user1.public(),
                    height,
                    timestamp: mock_timestamp(height),
                    prev_state_root: prev,
                    new_state_root: root,
                    leaves_root: Hash([0xee; 32]),
                    vm_version: VM.version(),
                };
                (if height < 22 { 22 } else { HEIGHT }, 1, encode_claim(&body.sign(&user1)), 0)
            })
            .collect()
    };
    // The bonds, the transfer's bundle and `claim` of it, and a challenge of it (`proof`'s parts) from `at` on.
    let challenged = |claim: &[u8], proof: &[Vec<u8>], at: u64| -> Vec<ScenarioSend> {
        [bonds(), vec![(HEIGHT, 1, case.bundle.clone(), 0), (HEIGHT + 1, 1, claim.to_vec(), 0)], parts(proof, at)]
            .concat()
    };
    let (withdraw_bundle, withdraw_claim, withdrawal_proof, _) = case.withdrawing.clone();
    vec![
        (
            // Claims final in turn, a conflicting claim refused, a data-availability challenge never answered
            // (its claim rejected, its executor slashed), an unbond waiting for it.
            "claimsAndAnUnansweredDataChallenge",
            [
                bonds(),
                vec![
                    (22, 1, mock_claim(1, 0, 1), 0),
                    (23, 1, mock_claim(2, 1, 2), 0),
                    (24, 1, mock_claim(2, 1, 3), 0),
                    (24, 2, da, DA_DEPOSIT),
                    (25, 1, vec![UNBOND_TAG], 0),
                ],
            ]
            .concat(),
            50,
        ),
        (
            // A wrong claim of a token transfer, challenged with a witness: the executor is wrong.
            "aWrongClaimIsRejected",
            challenged(&case.wrong_claim, &case.proving.0, HEIGHT + 2),
            HEIGHT + 12,
        ),
        (
            // The same challenge of the right claim proves nothing: it costs its challenger, and the claim stands.
            "aChallengeOfARightClaimCostsItsChallenger",
            challenged(&case.right_claim, &case.proving_nothing, HEIGHT + 2),
            HEIGHT + 12,
        ),
        (
            // A claim that does not build on the final root never becomes final, so its window passing does not
            // shield it: a challenge nine momentums later still rejects it.
            "aClaimOffTheFinalChainIsChallengeableAfterItsWindow",
            challenged(&case.wrong_claim, &case.proving.0, HEIGHT + 10),
            HEIGHT + 14,
        ),
        (
            // The executor, slashed by the verdict, then posts the same challenge itself: refused, for a challenger
            // needs a live bond, and its deposit paid back.
            "aSlashedExecutorCannotChallenge",
            [challenged(&case.wrong_claim, &case.proving.0, HEIGHT + 2), copied(&case.proving.0, HEIGHT + 3)].concat(),
            HEIGHT + 12,
        ),
        (
            // A withdrawal proven against a final root is paid by the inbox's contract send, once: a second proof
            // of it is refused.
            "aWithdrawalIsPaidOnce",
            [
                bonds(),
                chain_to(case.pre_root),
                vec![
                    (HEIGHT, 1, withdraw_bundle, 0),
                    (HEIGHT + 1, 1, withdraw_claim, 0),
                    (HEIGHT + 8, 2, withdrawal_proof.clone(), 0),
                    (HEIGHT + 9, 2, withdrawal_proof, 0),
                ],
            ]
            .concat(),
            HEIGHT + 10,
        ),
    ]
}

/// Runs a scenario through the settlement as the devnet runs momentums, with the VM judging: the answers that
/// changed after each momentum's sends (the spork has received them, their momentum's step has not run; `getWithdrawal` asked of
/// `withdrawal`) and the payouts.
fn run_scenario(sends: &[ScenarioSend], poke_at: u64, withdrawal: Hash) -> serde_json::Value {
    use serde_json::{Value, json};
    use zr_common::TokenStandard;
    use zr_settlement::inbox::{InboxFunds, apply_send, step_momentum};
    use zr_settlement::{L1View, Settlement, judge_dispute};

    struct MockMomentums;
    impl L1View for MockMomentums {
        fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
            Ok((height >= 1).then(|| mock_timestamp(height)))
        }
    }
    struct Funds(u128);
    impl InboxFunds for Funds {
        fn balance(&self, token: &TokenStandard) -> u128 {
            if *token == TokenStandard::ZNN { self.0 } else { 0 }
        }
        fn credit(&mut self, _: TokenStandard, amount: u128) {
            self.0 += amount;
        }
        fn debit(&mut self, _: TokenStandard, amount: u128) {
            self.0 -= amount;
        }
    }
    let users = [seeded(MOCK_USER1_SEED), seeded(MOCK_USER2_SEED)];
    let answers = |settlement: &Settlement| {
        let query = |method: &str, params: Value| {
            let params = params.as_array().cloned().unwrap_or_default();
            zr_settlement::query::query(settlement, &format!("embedded.rollup.{method}"), &params).unwrap()
        };
        json!({
            "getBond/user1": query("getBond", json!([users[0].address()])),
            "getBond/user2": query("getBond", json!([users[1].address()])),
            "getClaims": query("getClaims", json!([1, HEIGHT + 1])),
            "getChallenges": query("getChallenges", json!([1, HEIGHT + 1])),
            "getDaChallenges": query("getDaChallenges", json!([1, HEIGHT + 1])),
            "getFinal": query("getFinal", json!([])),
            "getRefused": query("getRefused", json!([])),
            "getOwed": query("getOwed", json!([])),
            "getWithdrawal": query("getWithdrawal", json!([withdrawal])),
        })
    };
    let params = zr_settlement::Parameters::new(ROLLUP_CHAIN, VM.version());
    let mut settlement = Settlement::new(params).unwrap();
    let mut funds = Funds(0);
    let (mut paid, mut steps, mut account_heights) = (Vec::new(), Vec::new(), [1u64, 1]);
    let mut last = serde_json::Map::new();
    let mut held: std::collections::BTreeMap<u64, Vec<AccountBlock>> = Default::default();
    for height in sends[0].0..=poke_at {
        let now: Vec<&ScenarioSend> = sends.iter().filter(|(at, ..)| *at == height).collect();
        for (_, user, data, amount) in &now {
            account_heights[user - 1] += 1;
            let block = inbox_send(&users[user - 1], account_heights[user - 1], data.clone(), *amount);
            let payout = apply_send(&mut settlement, &block, height, &MockMomentums, &mut funds);
            if let Some(tx_hash) = payout.as_ref().and_then(|p| p.withdrawal) {
                // Paid by a contract send now, as the devnet and the spork record it.
                settlement.paid(tx_hash, block.hash);
            }
            paid.extend(payout);
            held.entry(height).or_default().push(block);
        }
        if !now.is_empty() || height == poke_at {
            // Each step lists the answers that changed since the step before (all of them at the first): the Go
            // test compares every answer, each against the last one listed.
            let now = answers(&settlement);
            let changed: serde_json::Map<String, Value> = now
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(method, answer)| last.get(*method) != Some(*answer))
                .map(|(method, answer)| (method.clone(), answer.clone()))
                .collect();
            last = now.as_object().cloned().unwrap_or_default();
            steps.push(json!({"at": height, "expect": changed}));
        }
        if height == poke_at {
            // Its own step runs with a later receive, which the test does not make.
            break;
        }
        let claimed = |h: u64| Ok(Some((mock_momentum(h), held.get(&h).cloned().unwrap_or_default())));
        let mut work = |h: u64| zr_settlement::inbox::verdict_work(&claimed(h));
        let mut judge = |dispute: &_, claim: &_, params: &_| {
            judge_dispute(dispute, claim, params, claimed(claim.height), VM.as_ref())
        };
        let verdicts = zr_settlement::inbox::Verdicts { work: &mut work, judge: &mut judge };
        paid.extend(step_momentum(&mut settlement, height, Some(verdicts), &mut funds, usize::MAX));
    }
    let payouts: Vec<Value> =
        paid.iter().map(|p| json!({"recipient": p.recipient, "amount": p.amount.to_string()})).collect();
    json!({
        "sends": sends.iter().map(|(at, user, data, amount)| json!({
            "at": at, "sender": format!("user{user}"), "data": hex::encode(data), "amount": amount.to_string(),
        })).collect::<Vec<_>>(),
        "pokeAt": poke_at,
        "steps": steps,
        "payouts": payouts,
    })
}

fn agreement_vectors(case: &TransferCase) -> String {
    let scenarios: Vec<serde_json::Value> = scenarios(case)
        .into_iter()
        .map(|(name, sends, poke_at)| {
            let mut vector = run_scenario(&sends, poke_at, case.withdrawing.3);
            vector["name"] = name.into();
            vector["withdrawal"] = case.withdrawing.3.to_hex().into();
            vector
        })
        .collect();
    serde_json::to_string_pretty(&scenarios).unwrap() + "\n"
}

#[test]
fn the_spork_fixtures_and_agreement_vectors_are_the_rust_encodings() {
    let case = transfer_case();
    let files = [
        ("rollup_verdict_fixtures_test.go", verdict_fixtures(&case)),
        ("testdata/rollup_agreement_vectors.json", agreement_vectors(&case)),
    ];
    for (name, expected) in files {
        let path = format!("{TESTS_DIR}/{name}");
        if std::env::var("ZR_WRITE_GO_FIXTURES").as_deref() == Ok("1") {
            std::fs::create_dir_all(std::path::Path::new(&path).parent().unwrap()).unwrap();
            std::fs::write(&path, &expected).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(committed == expected, "{path} is stale: ZR_WRITE_GO_FIXTURES=1 cargo test -p zr-tests spork_vectors");
    }
}

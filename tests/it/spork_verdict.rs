//! The spork's verdict scenario for go-zenon's mock chain, written from the Rust side: a bundle with one token
//! transfer posted by the mock genesis's `User1`, its claim by `User1` with a wrong post-state root for that
//! transfer, and `User2`'s challenge of it in parts, with the witness an honest executor builds. The mock-chain
//! test (`vm/embedded/tests/rollup_test.go`) posts them in momentums 30 to 32; the pillars judge the challenge
//! through cgo and must find the executor wrong with the root computed here. The committed Go file must be what
//! this writes (`ZR_WRITE_GO_FIXTURES=1` rewrites it).

use zr_common::nom::{AccountBlock, Momentum};
use zr_common::rollup::{Bundle, BundleBody, ClaimBody, TxBody, TxKind};
use zr_common::{Address, Canonical, Hash, KeyPair, sha3_256};
use zr_executor::execute::run_momentum;
use zr_fraud::{Challenge, Dispute, Verdict, build_witness, verify_leaf};
use zr_protocol::BlockInfo;
use zr_sequencing::bundle::{encode_bundle, encode_challenge, encode_claim};

use crate::witness_verify::{VM, pre_state, wasm};

const FILE: &str =
    concat!(env!("CARGO_MANIFEST_DIR"), "/../spork/go-zenon/vm/embedded/tests/rollup_verdict_fixtures_test.go");

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

fn key(n: u8) -> KeyPair {
    KeyPair::from_seed(&[n; 32])
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

/// The fixtures: the bundle, the wrong claim, the challenge's parts, and what the verdict must say.
fn fixtures() -> Vec<(String, String)> {
    let (user1, user2) = (seeded(MOCK_USER1_SEED), seeded(MOCK_USER2_SEED));
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
    let bundle_payload = encode_bundle(&bundle).unwrap();

    // The momentum as the pillars read it: only its inbox sends and its height and time matter to the order.
    let block = AccountBlock {
        block_type: 2,
        address: user1.address(),
        to_address: Address::INBOX,
        data: bundle_payload.clone(),
        ..AccountBlock::default()
    };
    let timestamp = MOCK_GENESIS_TIMESTAMP + 10 * (HEIGHT - 1);
    let momentum = Momentum {
        version: 1,
        chain_identifier: 100,
        hash: Hash::ZERO,
        previous_hash: Hash::ZERO,
        height: HEIGHT,
        timestamp,
        data: Vec::new(),
        content: Vec::new(),
        changes_hash: Hash::ZERO,
        public_key: Vec::new(),
        signature: Vec::new(),
    };
    let ordered = zr_settlement::steps_of(ROLLUP_CHAIN, &momentum, &[block]);
    assert_eq!(ordered.transactions.len(), 1, "the bundle orders its transfer");
    let run = run_momentum(VM.as_ref(), pre.clone(), BlockInfo { height: HEIGHT, timestamp }, &ordered).unwrap();
    let statuses: Vec<_> = run.receipts.iter().map(|r| &r.status).collect();
    assert_eq!(statuses, [&zr_common::rollup::ReceiptStatus::Success], "the transfer succeeds");
    let correct = run.leaves.clone();
    let index = correct.len() as u32 - 1;

    // User1 claims a wrong root for the transfer (the last leaf, so the claim's shape holds).
    let mut wrong = correct.clone();
    wrong[index as usize].post_state_root = Hash([0xee; 32]);
    let claim = ClaimBody {
        chain_id: ROLLUP_CHAIN,
        executor: user1.public(),
        height: HEIGHT,
        timestamp,
        prev_state_root: pre.root(),
        new_state_root: Hash([0xee; 32]),
        leaves_root: zr_protocol::leaves_root(&wrong),
        vm_version: VM.version(),
    }
    .sign(&user1);
    let witness = build_witness(VM.as_ref(), pre, &claim, &wrong, &ordered, index).unwrap();
    let verdict = verify_leaf(&witness, VM.as_ref(), VM.version(), ROLLUP_CHAIN);
    assert_eq!(verdict, Verdict::Wrong { correct: correct[index as usize] });
    let code: Vec<Vec<u8>> = witness
        .code
        .iter()
        .map(|hash| [wasm("token"), wasm("counter")].into_iter().find(|c| sha3_256(c) == *hash).unwrap())
        .collect();
    let dispute = Dispute::Leaf(Box::new(Challenge { executor: user1.public(), height: HEIGHT, index, witness, code }));
    let parts = encode_challenge(&dispute.to_bytes());

    let mut entries = vec![
        ("bundle".to_owned(), hex::encode(&bundle_payload)),
        ("claim".to_owned(), hex::encode(encode_claim(&claim))),
        ("challengeId".to_owned(), sha3_256(&dispute.to_bytes()).to_hex()),
        ("correctRoot".to_owned(), correct[index as usize].post_state_root.to_hex()),
        ("parts".to_owned(), parts.len().to_string()),
        ("user2".to_owned(), user2.address().to_string()),
    ];
    for (i, part) in parts.iter().enumerate() {
        entries.push((format!("part{i}"), hex::encode(part)));
    }
    entries
}

fn go_file(entries: &[(String, String)]) -> String {
    let mut text = String::from(
        "// Code generated by zr-tests' spork_verdict test (ZR_WRITE_GO_FIXTURES=1 cargo test -p zr-tests spork); DO NOT \
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

#[test]
fn the_spork_verdict_fixtures_are_the_rust_encodings() {
    let expected = go_file(&fixtures());
    if std::env::var("ZR_WRITE_GO_FIXTURES").as_deref() == Ok("1") {
        std::fs::write(FILE, &expected).unwrap();
    }
    let committed = std::fs::read_to_string(FILE).unwrap_or_default();
    assert!(committed == expected, "{FILE} is stale: ZR_WRITE_GO_FIXTURES=1 cargo test -p zr-tests spork_verdict");
}

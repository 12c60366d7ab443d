//! What the Go side is fed, written from the Rust types: the canonical bytes the binding's tests
//! (`spork/go-zenon/vm/embedded/zrffi`) pass the library, the inbox payloads the spork's tests in go-zenon's mock
//! chain send (`vm/embedded/tests`), and the settlement parameters the spork runs under on the mock chain
//! (`vm/embedded/definition`). The committed files must be what this writes (`ZR_WRITE_GO_FIXTURES=1` rewrites
//! them), so a change of an encoding or of the VM version fails here until the Go side follows.

use zr_common::rollup::ClaimBody;
use zr_common::rollup::settlement::Parameters;
use zr_common::{Canonical, Hash, KeyPair, codec};
use zr_inbox::bundle::{BOND_TAG, DaChallenge, UNBOND_TAG, encode_claim, encode_da_challenge};

const SPORK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../spork/go-zenon");

/// go-zenon's mock chain: its chain identifier, its genesis timestamp, and the ed25519 seed of its `User1`
/// (`wallet.DeriveWithIndex(1, 0x01234567890123456789012345678902)` in `chain/genesis/mock`), whose address the
/// Go tests check.
const MOCK_CHAIN_IDENTIFIER: u64 = 100;
const MOCK_GENESIS_TIMESTAMP: u64 = 1_000_000_000;
const MOCK_USER1_SEED: &str = "5128e60b486a18f68c66b85650758b28e6960cd66bacf8f445787983e39f780c";

/// The rollup the spork settles on the mock chain.
const MOCK_ROLLUP_CHAIN_ID: u64 = 1337;

fn mock_parameters() -> Parameters {
    Parameters::new(MOCK_ROLLUP_CHAIN_ID, zr_protocol::gas::vm_version())
}

fn user1() -> KeyPair {
    let seed: [u8; 32] = hex::decode(MOCK_USER1_SEED).unwrap().try_into().unwrap();
    KeyPair::from_seed(&seed)
}

/// User1's claim of mock momentum `height` (its timestamp is the genesis's plus 10 s a momentum after it).
fn mock_claim(height: u64, prev: u8, new: u8) -> Vec<u8> {
    let executor = user1();
    let body = ClaimBody {
        chain_id: MOCK_ROLLUP_CHAIN_ID,
        executor: executor.public(),
        height,
        timestamp: MOCK_GENESIS_TIMESTAMP + 10 * (height - 1),
        prev_state_root: Hash([prev; 32]),
        new_state_root: Hash([new; 32]),
        leaves_root: Hash([0xee; 32]),
        vm_version: zr_protocol::gas::vm_version(),
    };
    encode_claim(&body.sign(&executor))
}

/// The agreement scenario, as the mock chain's tests replay it: sends to the inbox, each confirmed at its momentum
/// (sender, the payload's fixture name, the ZNN sent), then an empty send at `POKE_AT` so the steps of every
/// momentum before it run. It bonds two executors, records claims, refuses a conflicting one, opens a
/// data-availability challenge the executor never answers, and unbonds.
const SCENARIO: [(u64, &str, &str, u128); 7] = [
    (21, "user1", "bond", zr_common::rollup::settlement::MIN_BOND),
    (21, "user2", "bond", zr_common::rollup::settlement::MIN_BOND),
    (22, "user1", "claim_1", 0),
    (23, "user1", "claim_2", 0),
    (24, "user1", "claim_2_other_root", 0),
    (24, "user2", "da_challenge_2", zr_common::rollup::settlement::DA_DEPOSIT),
    (25, "user1", "unbond", 0),
];
const POKE_AT: u64 = 50;

/// go-zenon's mock `User2` (`wallet.DeriveWithIndex(2, …)`), the data-availability challenger.
const MOCK_USER2_SEED: &str = "2b11f8d899cf434d2e79cd729f07af4945b6296125427f0e38e55c7343fd70d5";

fn user2() -> KeyPair {
    let seed: [u8; 32] = hex::decode(MOCK_USER2_SEED).unwrap().try_into().unwrap();
    KeyPair::from_seed(&seed)
}

/// What the devnet's settlement holds at each momentum of the scenario, run as the devnet runs a momentum (its
/// sends, then its step): after each momentum's sends, the embedded.rollup.* answers the Go test must match once
/// the spork received the same sends, and at the end the payouts made.
fn agreement_vector(payloads: &[(&str, String)]) -> String {
    use serde_json::{Value, json};
    use zr_common::TokenStandard;
    use zr_common::nom::AccountBlock;
    use zr_settlement::inbox::{InboxFunds, apply_send, step_momentum};
    use zr_settlement::{Judgement, L1View, Settlement};

    struct MockMomentums;
    impl L1View for MockMomentums {
        fn momentum_timestamp(&self, height: u64) -> Result<Option<u64>, String> {
            Ok((height >= 1).then(|| MOCK_GENESIS_TIMESTAMP + 10 * (height - 1)))
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
    fn answers(settlement: &Settlement, users: &[KeyPair]) -> Value {
        let query = |method: &str, params: Value| {
            let params = params.as_array().cloned().unwrap_or_default();
            zr_settlement::query::query(settlement, &format!("embedded.rollup.{method}"), &params).unwrap()
        };
        json!({
            "getBond/user1": query("getBond", json!([users[0].address()])),
            "getBond/user2": query("getBond", json!([users[1].address()])),
            "getClaims": query("getClaims", json!([1, 2])),
            "getDaChallenges": query("getDaChallenges", json!([1, 2])),
            "getFinal": query("getFinal", json!([])),
            "getRefused": query("getRefused", json!([])),
            "getOwed": query("getOwed", json!([])),
        })
    }

    let users = [user1(), user2()];
    let mut settlement = Settlement::new(mock_parameters()).unwrap();
    let mut funds = Funds(0);
    let mut paid = Vec::new();
    let mut steps = Vec::new();
    let mut account_heights = [1u64, 1];
    for height in SCENARIO[0].0..=POKE_AT {
        let sends: Vec<_> = SCENARIO.iter().filter(|(at, ..)| *at == height).collect();
        for (_, sender, name, amount) in &sends {
            let user = usize::from(*sender == "user2");
            account_heights[user] += 1;
            let data = hex::decode(&payloads.iter().find(|(n, _)| n == name).unwrap().1).unwrap();
            let mut block = AccountBlock {
                block_type: 2,
                height: account_heights[user],
                address: users[user].address(),
                to_address: zr_common::Address::INBOX,
                amount: *amount,
                token_standard: TokenStandard::ZNN,
                data,
                ..AccountBlock::default()
            };
            block.hash = block.compute_hash();
            paid.extend(apply_send(&mut settlement, &block, height, &MockMomentums, &mut funds));
        }
        // The spork has received a momentum's sends once its step (after them) has not run yet.
        if !sends.is_empty() || height == POKE_AT {
            steps.push(json!({"at": height, "expect": answers(&settlement, &users)}));
        }
        if height == POKE_AT {
            // Its own step runs with a later receive, which the test does not make.
            break;
        }
        let mut work = |_| 1;
        let mut judge = |_: &_, _: &_, _: &_| Judgement::CannotJudge("no challenge in this scenario".to_owned());
        paid.extend(step_momentum(&mut settlement, height, &mut work, &mut judge, &mut funds, usize::MAX));
    }
    let payouts: Vec<Value> =
        paid.iter().map(|p| json!({"recipient": p.recipient, "amount": p.amount.to_string()})).collect();
    let vector = json!({
        "sends": SCENARIO.iter().map(|(at, sender, name, amount)| json!({
            "at": at, "sender": sender, "payload": name, "amount": amount.to_string(),
        })).collect::<Vec<_>>(),
        "pokeAt": POKE_AT,
        "steps": steps,
        "payouts": payouts,
    });
    serde_json::to_string_pretty(&vector).unwrap()
}

fn go_map(header: &str, package: &str, name: &str, key_type: &str, entries: &[(String, String)]) -> String {
    let mut text = format!(
        "// Code generated by zr-ffi's go_fixtures test (ZR_WRITE_GO_FIXTURES=1 cargo test -p zr-ffi); DO NOT EDIT.\n\
         {header}\npackage {package}\n\nvar {name} = map[{key_type}]string{{\n"
    );
    // As gofmt lays a map literal out: the values aligned one space past the longest key.
    let width = entries.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    for (key, value) in entries {
        let key = format!("{key}:");
        text.push_str(&format!("\t{key:<w$} {value},\n", w = width + 1));
    }
    text.push_str("}\n");
    text
}

fn quoted(text: &str) -> String {
    format!("{text:?}")
}

fn files() -> Vec<(&'static str, String)> {
    let executor = KeyPair::from_seed(&[4; 32]);
    let claim = crate::abi::claim(&executor, crate::abi::CHAIN + 1);
    let binding = [
        ("claim_chain8", hex::encode(claim.to_bytes())),
        ("params_chain7", hex::encode(codec::encode(&crate::abi::params()))),
        ("sender", hex::encode(executor.address().0)),
    ];
    let payloads = [
        ("bond", hex::encode([BOND_TAG])),
        ("claim_1", hex::encode(mock_claim(1, 0, 1))),
        ("claim_2", hex::encode(mock_claim(2, 1, 2))),
        ("claim_2_other_root", hex::encode(mock_claim(2, 1, 3))),
        ("da_challenge_2", hex::encode(encode_da_challenge(&DaChallenge { executor: user1().public(), height: 2 }))),
        ("unbond", hex::encode([UNBOND_TAG])),
        ("user1", user1().address().to_string()),
        ("user2", user2().address().to_string()),
    ];
    let parameters = serde_json::to_string(&mock_parameters()).unwrap();
    let vector = agreement_vector(&payloads);
    let entries = |list: &[(&str, String)]| -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (quoted(k), quoted(v))).collect()
    };
    vec![
        ("vm/embedded/zrffi/fixtures_test.go", go_map("", "zrffi", "fixtures", "string", &entries(&binding))),
        (
            "vm/embedded/tests/rollup_fixtures_test.go",
            go_map("", "tests", "rollupFixtures", "string", &entries(&payloads)),
        ),
        (
            "vm/embedded/tests/rollup_vector_test.go",
            format!(
                "// Code generated by zr-ffi's go_fixtures test (ZR_WRITE_GO_FIXTURES=1 cargo test -p zr-ffi); DO NOT EDIT.\n\n\
                 package tests\n\n\
                 // rollupAgreementVector is a scenario and what the devnet's settlement holds after it.\n\
                 const rollupAgreementVector = `{vector}`\n"
            ),
        ),
        (
            "vm/embedded/definition/rollup_parameters.go",
            go_map(
                "\n// The settlement parameters of the rollup each L1 chain settles, by its chain identifier: 100 is go-zenon's\n\
                 // mock chain (rollup chain id 1337, the VM version of this library); a network's entry is fixed with the\n\
                 // release that activates the spork on it.",
                "definition",
                "rollupParametersByChain",
                "uint64",
                &[(MOCK_CHAIN_IDENTIFIER.to_string(), format!("`{parameters}`"))],
            ),
        ),
    ]
}

#[test]
fn the_go_fixtures_are_the_rust_encodings() {
    let write = std::env::var("ZR_WRITE_GO_FIXTURES").as_deref() == Ok("1");
    for (path, expected) in files() {
        let path = format!("{SPORK}/{path}");
        if write {
            std::fs::write(&path, &expected).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == expected,
            "{path} is stale: ZR_WRITE_GO_FIXTURES=1 cargo test -p zr-ffi --test it go_fixtures"
        );
    }
}

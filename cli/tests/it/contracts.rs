//! Contracts by their ABI on `zr up`: docs/contracts.md's walkthrough from `zr new` to a deployed contract
//! called by method name, and the AMM example swapping through the relay.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::rollup::Network;

fn example(name: &str) -> String {
    format!("{}/../contracts/wasm/{name}.wasm", env!("CARGO_MANIFEST_DIR"))
}

/// `zr up` with 100 ms momentums and 100 ZNN deposited into the rollup: the network and the key's address.
fn funded() -> (Network, String) {
    let net = Network::up_with(&["--momentum-interval-ms", "100"]);
    net.json(&["deposit", "100"]);
    let me = net.json(&["key", "show"])["address"].as_str().unwrap().to_owned();
    (net, me)
}

fn deploy(net: &Network, wasm: &str, init: &[&str]) -> String {
    let mut args = vec!["deploy", wasm];
    for arg in init {
        args.extend(["--init", arg]);
    }
    net.json(&args)["contract"].as_str().unwrap().to_owned()
}

/// Builds the project `zr new` made with its own build script (Debian's rustc 1.63, which `.ci/install-deps`
/// installs).
fn build(project: &Path) {
    assert!(Path::new("/usr/bin/rustc").exists(), "Debian's rustc is needed: run .ci/install-deps");
    let target = project.join("target");
    let built = Command::new(project.join("build.sh")).env("CONTRACT_TARGET_DIR", &target).output().unwrap();
    assert!(built.status.success(), "build.sh: {}", String::from_utf8_lossy(&built.stderr));
}

#[test]
fn docs_walkthrough_from_zr_new_to_a_contract_called_by_method_name() {
    let net = Network::up_with(&["--momentum-interval-ms", "100"]);
    net.json(&["deposit", "100"]);
    let project = net.home.path().join("hello");
    let made = net.json(&["new", "hello", "--path", project.to_str().unwrap()]);
    assert_eq!(made["name"], "hello");
    build(&project);
    let wasm = project.join("hello.wasm");
    let contract = deploy(&net, wasm.to_str().unwrap(), &["5"]);

    let added = net.json(&["call", &contract, "add", "3"]);
    assert_eq!(added["status"], "executed");
    assert_eq!(added["decodedResult"], "8");
    assert_eq!(added["decodedEvents"][0]["name"], "Added");
    assert_eq!(added["decodedEvents"][0]["fields"]["total"], "8");
    let by_name = net.json(&["call", &contract, "add", "amount=2"]);
    assert_eq!(by_name["decodedResult"], "10");
    let count = net.json(&["query", &contract, "count"]);
    assert_eq!(count["decoded"], "10");

    let described = net.zr(&["contract", &contract]);
    let text = String::from_utf8_lossy(&described.stdout);
    assert!(text.contains("add(amount: u64) -> Result<u64, &'static str>"), "{text}");
    assert!(text.contains("count() -> u64 (view)"), "{text}");
    assert!(text.contains("Added { by: Address, amount: u64, total: u64 }"), "{text}");

    // Types are checked before anything is signed.
    let wrong = net.zr(&["call", &contract, "add", "1.5"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("argument `amount` (u64): `1.5` is not an integer"));
    let shown = net.zr(&["tx", added["hash"].as_str().unwrap()]);
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("Added { by: z1"), "{shown}");
}

#[test]
fn an_unknown_method_is_refused_with_the_list_of_the_contracts_methods() {
    let (net, me) = funded();
    let token = deploy(&net, &example("token"), &[]);
    let refused = net.zr(&["query", &token, "balance_of", &me]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(
            "the contract has no method `balance_of`; its methods: init, mint, transfer, approve, transfer_from, \
             balance, allowance, total_supply"
        ),
        "{stderr}"
    );
    // Raw TYPE:VALUE arguments still reach a contract with an ABI; the result decodes by it.
    net.json(&["call", &token, "mint", &format!("address:{me}"), "u128:7"]);
    assert_eq!(net.json(&["query", &token, "balance", &me])["decoded"], "7");
}

#[test]
fn the_amm_swaps_through_the_relay_with_a_minimum_out() {
    let (net, me) = funded();
    let token_a = deploy(&net, &example("token"), &[]);
    let token_b = deploy(&net, &example("token"), &[]);
    let pair = deploy(&net, &example("amm"), &[&token_a, &token_b]);
    for token in [&token_a, &token_b] {
        net.json(&["call", token, "mint", &me, "1000000"]);
        net.json(&["call", token, "approve", &pair, "1000000"]);
    }
    let added = net.json(&["call", &pair, "add_liquidity", "100000", "100000", "0"]);
    assert_eq!(added["decodedResult"], "99000", "the first deposit's shares, less the 1000 locked");
    let quote = net.json(&["query", &pair, "quote", &token_a, "1000"]);
    assert_eq!(quote["decoded"], "987");

    let too_greedy = net.zr(&["call", &pair, "swap", &format!("token_in={token_a}"), "amount_in=1000", "min_out=988"]);
    assert_eq!(too_greedy.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&too_greedy.stderr).contains("slippage: the swap would pay less than min_out"));

    let swapped = net.json(&["call", &pair, "swap", &format!("token_in={token_a}"), "amount_in=1000", "min_out=987"]);
    assert_eq!(swapped["decodedResult"], "987");
    let events: Vec<&Value> = swapped["decodedEvents"].as_array().unwrap().iter().collect();
    let swap = events.iter().find(|e| e["name"] == "Swap").unwrap();
    assert_eq!(swap["fields"]["amount_out"], "987");
    assert_eq!(net.json(&["query", &token_b, "balance", &me])["decoded"], "900987");
    let pool = net.json(&["query", &pair, "pool"])["decoded"].clone();
    assert_eq!((&pool["reserve_a"], &pool["reserve_b"]), (&Value::from("101000"), &Value::from("99013")));
}

#[test]
fn an_nft_is_minted_approved_and_moved_by_its_spender() {
    let (net, me) = funded();
    let nft = deploy(&net, &example("nft"), &["Zenon Cats", "ZCAT"]);
    let minted = net.json(&["call", &nft, "mint", &me, "ipfs://cat/1"]);
    assert_eq!(minted["decodedResult"], "1");
    // A second key, sponsored by the relay for its first fees, is approved and moves the token to itself.
    let spender_key = net.home.path().join("spender.json");
    let created = net.json(&["key", "new", "--key", spender_key.to_str().unwrap()]);
    let spender = created["address"].as_str().unwrap().to_owned();
    net.json(&["call", &nft, "approve", &spender, "1"]);
    let key = format!("--key={}", spender_key.display());
    let moved = net.json(&["call", &nft, "transfer_from", &me, &spender, "1", &key]);
    assert_eq!(moved["decodedEvents"][0]["fields"]["to"], spender.as_str());
    assert_eq!(net.json(&["query", &nft, "owner_of", "1"])["decoded"], spender.as_str());
    assert_eq!(net.json(&["query", &nft, "token_uri", "1"])["decoded"], "ipfs://cat/1");
    let stolen = net.zr(&["call", &nft, "transfer_from", &spender, &me, "1"]);
    assert!(String::from_utf8_lossy(&stolen.stderr).contains("not the token's owner, approved spender or an operator"));
}

#[test]
fn a_multisig_pays_once_with_two_of_three_approvals() {
    use zr_common::{Hash, KeyPair};
    let net = Network::up_with(&["--momentum-interval-ms", "100"]);
    net.json(&["deposit", "100"]);
    let owners: Vec<KeyPair> = (1..=3u8).map(|n| KeyPair::from_seed(&[n; 32])).collect();
    let keys: Vec<String> = owners.iter().map(|k| format!("0x{}", hex::encode(k.public().0))).collect();
    let wallet = deploy(&net, &example("multisig"), &[&serde_json::to_string(&keys).unwrap(), "2"]);
    net.json(&["call", &wallet, "deposit", "--value", "5"]);
    let receiver = zr_common::Address::from_public_key(b"multisig receiver").to_string();
    let action = serde_json::json!({ "to": receiver, "amount": "200000000", "method": "", "input": "0x" }).to_string();
    let hash = net.json(&["query", &wallet, "action_hash", &action, "0"])["decoded"].as_str().unwrap().to_owned();
    let hash = Hash(hex::decode(&hash[2..]).unwrap().try_into().unwrap());
    let approvals: Vec<Value> = [0usize, 2]
        .iter()
        .map(|&n| serde_json::json!({ "owner": n, "signature": format!("0x{}", hex::encode(owners[n].sign(&hash).0)) }))
        .collect();
    let approvals = serde_json::to_string(&approvals).unwrap();
    let executed = net.json(&["call", &wallet, "execute", &action, "0", &approvals]);
    assert_eq!(executed["decodedEvents"][0]["name"], "Executed");
    assert_eq!(net.json(&["balance", &receiver])["rollup"]["znn"], "200000000");
    let replayed = net.zr(&["call", &wallet, "execute", &action, "0", &approvals]);
    assert!(String::from_utf8_lossy(&replayed.stderr).contains("wrong nonce"));
}

//! Gas and time per call of each example contract's methods, on the test kit (the real VM and state
//! transition, in memory): `cargo run --release -p zr-testkit --example gas_table`. Time is the wall time of
//! signing and applying one transaction (or running one read-only call), averaged over repeated calls with the
//! module cached, as an executor runs them; gas is the receipt's.

use std::time::Instant;

use serde_json::{Value, json};
use zr_testkit::{App, Contract, Hash, KeyPair, Wallet, ZNN};

const CALLS: u32 = 200;

fn example(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../contracts/wasm/{name}.wasm", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Runs `call` `CALLS` times (with its iteration number); prints the gas of the last and the mean time.
fn measure(contract: &str, method: &str, mut call: impl FnMut(u32) -> u64) {
    let mut gas = 0;
    let started = Instant::now();
    for i in 0..CALLS {
        gas = call(i);
    }
    let micros = started.elapsed().as_secs_f64() * 1e6 / f64::from(CALLS);
    println!("| {contract} | `{method}` | {gas} | {micros:.0} µs |");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn token(app: &mut App, owner: &Wallet, code: &[u8]) -> Contract {
    app.deploy_raw(owner, code, vec![], 0).unwrap()
}

fn main() {
    println!("| contract | method | gas | time per call |");
    println!("|---|---|---|---|");
    let mut app = App::new();
    let alice = app.account(1_000_000 * ZNN);
    let bob = app.account(1_000_000 * ZNN);

    for (name, code) in [
        ("token (hand-parsed, before)", include_bytes!("../tests/it/fixtures/token-hand-parsed.wasm").to_vec()),
        ("token", example("token")),
    ] {
        let t = token(&mut app, &alice, &code);
        let mint = [alice.address().0.as_slice(), &u128::MAX.to_le_bytes()[..15], &[0]].concat();
        app.call_raw(&alice, &t.address, "mint", mint, 0).unwrap();
        let transfer = [bob.address().0.as_slice(), &1u128.to_le_bytes()].concat();
        measure(name, "transfer", |_| {
            app.call_raw(&alice, &t.address, "transfer", transfer.clone(), 0).unwrap().gas_used
        });
        if t.abi.is_none() {
            continue;
        }
        measure(name, "mint", |_| app.call(&alice, &t, "mint", json!([bob.address(), "1"])).unwrap().gas_used());
        measure(name, "approve", |i| {
            app.call(&alice, &t, "approve", json!([bob.address(), (1000 + i).to_string()])).unwrap().gas_used()
        });
        measure(name, "transfer_from", |_| {
            app.call(&bob, &t, "transfer_from", json!([alice.address(), bob.address(), "1"])).unwrap().gas_used()
        });
        measure(name, "balance (query)", |_| app.query_with_gas(&t, "balance", json!([bob.address()])).unwrap().1);
    }

    let token_a = app.deploy(&alice, &example("token"), json!([])).unwrap();
    let token_b = app.deploy(&alice, &example("token"), json!([])).unwrap();
    let pair = app.deploy(&alice, &example("amm"), json!([token_a.address, token_b.address])).unwrap();
    for t in [&token_a, &token_b] {
        app.call(&alice, t, "mint", json!([alice.address(), "1000000000000"])).unwrap();
        app.call(&alice, t, "approve", json!([pair.address, "1000000000000"])).unwrap();
    }
    measure("amm", "add_liquidity", |_| {
        app.call(&alice, &pair, "add_liquidity", json!(["1000000", "1000000", "1"])).unwrap().gas_used()
    });
    measure("amm", "swap", |i| {
        let token_in = if i % 2 == 0 { &token_a } else { &token_b };
        app.call(&alice, &pair, "swap", json!([token_in.address, "1000", "1"])).unwrap().gas_used()
    });
    measure("amm", "remove_liquidity", |_| {
        app.call(&alice, &pair, "remove_liquidity", json!(["1000", "0", "0"])).unwrap().gas_used()
    });
    measure("amm", "quote (query)", |_| {
        app.query_with_gas(&pair, "quote", json!([token_a.address, "1000"])).unwrap().1
    });

    let nft = app.deploy(&alice, &example("nft"), json!(["Zenon Cats", "ZCAT"])).unwrap();
    measure("nft", "mint", |_| {
        app.call(&alice, &nft, "mint", json!([alice.address(), "ipfs://cat"])).unwrap().gas_used()
    });
    measure("nft", "approve", |_| app.call(&alice, &nft, "approve", json!([bob.address(), 1])).unwrap().gas_used());
    measure("nft", "transfer_from", |i| {
        let (from, to) = if i % 2 == 0 { (&alice, &bob) } else { (&bob, &alice) };
        app.call(from, &nft, "transfer_from", json!([from.address(), to.address(), 2])).unwrap().gas_used()
    });
    measure("nft", "token_uri (query)", |_| app.query_with_gas(&nft, "token_uri", json!([1])).unwrap().1);

    let owners: Vec<KeyPair> = (1..=3u8).map(|n| KeyPair::from_seed(&[n; 32])).collect();
    let keys: Vec<String> = owners.iter().map(|k| format!("0x{}", hex(&k.public().0))).collect();
    let wallet = app.deploy(&alice, &example("multisig"), json!([keys, 2])).unwrap();
    measure("multisig", "deposit", |_| {
        app.call_with_value(&alice, &wallet, "deposit", json!([]), ZNN).unwrap().gas_used()
    });
    let receiver = zr_testkit::Address::from_public_key(b"receiver");
    let action = json!({ "to": receiver, "amount": "1", "method": "", "input": "0x" });
    // Signing happens off chain: the approvals are made before the timed calls.
    let approvals: Vec<Value> = (0..u64::from(CALLS))
        .map(|nonce| {
            let hash = app.query(&wallet, "action_hash", json!([action, nonce])).unwrap();
            let bytes: Vec<u8> = (0..32)
                .map(|i| u8::from_str_radix(&hash.as_str().unwrap()[2 + 2 * i..4 + 2 * i], 16).unwrap())
                .collect();
            let hash = Hash(bytes.try_into().unwrap());
            json!(
                [0, 2]
                    .map(|n: usize| json!({ "owner": n, "signature": format!("0x{}", hex(&owners[n].sign(&hash).0)) }))
            )
        })
        .collect();
    measure("multisig", "execute (2 of 3)", |i| {
        app.call(&bob, &wallet, "execute", json!([action, i, approvals[i as usize]])).unwrap().gas_used()
    });
    measure("multisig", "action_hash (query)", |_| {
        app.query_with_gas(&wallet, "action_hash", json!([action, 0])).unwrap().1
    });

    println!();
    println!("| contract | wasm bytes | functions |");
    println!("|---|---|---|");
    for name in ["token", "amm", "multisig", "nft", "counter", "escrow"] {
        let code = example(name);
        let functions = zr_vm::validate(&code).unwrap();
        println!("| {name} | {} | {functions} |", code.len());
    }
}

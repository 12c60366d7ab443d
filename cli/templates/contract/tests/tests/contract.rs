//! {{name}} on the real VM and state transition, in memory. Build the wasm first: `../build.sh`.

use serde_json::json;
use zr_testkit::{App, Failure, ZNN};

const WASM: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../{{name}}.wasm");

#[test]
fn add_returns_the_new_count_and_emits_added() {
    let mut app = App::new();
    let alice = app.account(100 * ZNN);
    let contract = app.deploy_file(&alice, WASM, json!([5])).unwrap();
    let added = app.call(&alice, &contract, "add", json!({ "amount": 3 })).unwrap();
    // 64-bit integers are JSON strings, so no client rounds them.
    assert_eq!(added.value, json!("8"));
    assert_eq!(added.event("Added"), Some(&json!({ "by": alice.address(), "amount": "3", "total": "8" })));
    assert_eq!(app.query(&contract, "count", json!([])).unwrap(), json!("8"));
}

#[test]
fn an_overflowing_add_fails_with_its_message_and_changes_nothing() {
    let mut app = App::new();
    let alice = app.account(100 * ZNN);
    let contract = app.deploy_file(&alice, WASM, json!([u64::MAX.to_string()])).unwrap();
    let failed = app.call(&alice, &contract, "add", json!([1])).unwrap_err();
    assert!(matches!(&failed, Failure::Failed { reason, .. } if reason == "aborted: the count would overflow"));
    assert_eq!(app.query(&contract, "count", json!([])).unwrap(), json!(u64::MAX.to_string()));
}

//! `zr up` as a newcomer runs it.

use std::process::Command;

#[test]
fn up_starts_a_devnet_and_prints_its_endpoints() {
    let home = tempfile::tempdir().unwrap();
    // The user's key exists first, so it is funded at genesis.
    let key = Command::new(env!("CARGO_BIN_EXE_zr"))
        .args(["key", "new", "--json"])
        .env("ZR_HOME", home.path())
        .output()
        .unwrap();
    let key: serde_json::Value = serde_json::from_slice(&key.stdout).unwrap();
    let (mut child, info) = crate::start_up(home.path(), 50);
    assert!(info["funded"].as_array().unwrap().contains(&key["address"]));
    let http = info["l1Http"].as_str().unwrap().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer: serde_json::Value = rt.block_on(async {
        let body = serde_json::json!({"jsonrpc":"2.0","id":1,"method":"ledger.getAccountInfoByAddress","params":[key["address"]]});
        reqwest::Client::new().post(&http).json(&body).send().await.unwrap().json().await.unwrap()
    });
    assert_eq!(answer["result"]["balanceInfoMap"]["zts1znnxxxxxxxxxxxxx9z4ulx"]["balance"], "100000000000000");
    child.kill().unwrap();
    child.wait().unwrap();
}

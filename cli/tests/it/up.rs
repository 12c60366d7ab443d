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

/// `zr up` with `args`, expected to refuse at once: its stderr.
fn refused(home: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_zr"))
        .arg("up")
        .args(args)
        .args(["--http-listen", "127.0.0.1:0", "--ws-listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"])
        .args(["--rpc-listen", "127.0.0.1:0", "--executor-ops-listen", "127.0.0.1:0"])
        .args(["--relay-listen", "127.0.0.1:0", "--relay-ops-listen", "127.0.0.1:0"])
        .env("ZR_HOME", home)
        .env_remove("ZR_ZNND_BIN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A second `zr up` on a running network's directory is refused (it would post from the same L1 accounts and,
/// on znnd, stop the first one's node as a leftover); a znnd network on a devnet's directory is refused without
/// touching its keys.
#[test]
fn a_second_zr_up_and_another_l1_on_the_same_directory_are_refused() {
    let home = tempfile::tempdir().unwrap();
    let (mut child, info) = crate::start_up(home.path(), 50);
    let dir = info["dataDir"].as_str().unwrap().to_owned();
    let second = refused(home.path(), &["--momentum-interval-ms", "50"]);
    assert!(second.contains("another `zr up` runs on"), "{second}");
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    assert!(child.wait().unwrap().success(), "Ctrl-C stops zr up cleanly");

    let dev_key = std::fs::read(format!("{dir}/dev-key.json")).unwrap();
    let other_l1 = refused(home.path(), &["--l1", "znnd", "--data-dir", &dir, "--znnd-bin", "/nonexistent"]);
    assert!(other_l1.contains("holds a network on the devnet"), "{other_l1}");
    assert_eq!(std::fs::read(format!("{dir}/dev-key.json")).unwrap(), dev_key, "the keys are kept");
    let pace = refused(home.path(), &["--l1", "znnd", "--momentum-interval-ms", "50"]);
    assert!(pace.contains("every 10 s"), "{pace}");
}

/// A network whose settlement accepts another VM version (one made by an older `zr`) is refused at start,
/// naming both versions, rather than running on with every claim refused.
#[test]
fn a_network_of_another_vm_version_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let (child, info) = crate::start_up(home.path(), 50);
    let dir = std::path::PathBuf::from(info["dataDir"].as_str().unwrap());
    let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
    let mut child = child;
    assert!(child.wait().unwrap().success());
    // The same keys and genesis, but a chain whose settlement was made for another VM.
    std::fs::remove_dir_all(dir.join("devnet")).unwrap();
    let genesis = std::fs::read_to_string(dir.join("genesis.toml")).unwrap();
    let other = "08".repeat(32);
    let genesis = match genesis.contains("[rollup]") {
        true => genesis.replacen("[rollup]", &format!("[rollup]\nvm_version = \"{other}\""), 1),
        false => format!("{genesis}\n[rollup]\nvm_version = \"{other}\"\n"),
    };
    std::fs::write(dir.join("genesis.toml"), genesis).unwrap();
    let refusal = refused(home.path(), &["--momentum-interval-ms", "50"]);
    assert!(refusal.contains("is a network made by another zr"), "{refusal}");
    assert!(refusal.contains(&other), "{refusal}");
}

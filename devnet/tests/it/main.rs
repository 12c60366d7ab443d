//! The `zr-devnet` binary as an operator runs it: killed with SIGKILL, it restarts with every confirmed
//! momentum intact.

use std::io::BufReader;
use std::process::{Child, Command};
use std::time::Duration;

use serde_json::{Value, json};
use zr_common::{KeyPair, daemon};
use zr_config::{DevnetConfig, Layered};
use zr_devnet::Genesis;

struct Node {
    child: Child,
    http: String,
}

/// Runs `zr-devnet` as `config` says (written beside its data directory and passed with `--config`); returns it
/// with the URL it announced and the stdout lines after that one.
fn spawn(config: &DevnetConfig) -> (Node, std::io::Lines<BufReader<std::process::ChildStdout>>) {
    let file = config.data_dir.with_extension("toml");
    config.write_file(&file).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_zr-devnet"));
    let spawned = daemon::spawn(command.args(["--config", file.to_str().unwrap()]).env("ZR_LOG", "warn")).unwrap();
    // The announcement: {"daemon":"zr-devnet","http":"http://127.0.0.1:PORT",…}
    let http = spawned.announced["http"].as_str().expect("an http endpoint").to_owned();
    (Node { child: spawned.child, http }, spawned.stdout)
}

/// The devnet laid out in `dir` (its genesis and pillar key written there), a momentum every 20 ms.
fn start(dir: &std::path::Path) -> Node {
    spawn(&DevnetConfig::in_dir(dir, 20)).0
}

/// A dev chain (no genesis, no pillar key) in `dir`, a momentum every 20 ms.
fn dev_chain(dir: &std::path::Path) -> DevnetConfig {
    DevnetConfig { genesis: None, pillar_keys: Vec::new(), ..DevnetConfig::in_dir(dir, 20) }
}

fn call(http: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let response = reqwest::Client::new().post(http).json(&body).send().await.unwrap();
        let value: Value = response.json().await.unwrap();
        value["result"].clone()
    })
}

fn frontier_height(http: &str) -> u64 {
    call(http, "ledger.getFrontierMomentum", json!([]))["height"].as_u64().unwrap()
}

#[test]
fn sigkill_loses_no_confirmed_momentum() {
    let dir = tempfile::tempdir().unwrap();
    let pillar = KeyPair::from_seed(&[1; 32]);
    pillar.write_file(&dir.path().join("pillar.json")).unwrap();
    Genesis::dev(321, 1_700_000_000, &[pillar.public()], &[KeyPair::from_seed(&[2; 32]).address()])
        .write(&dir.path().join("genesis.toml"))
        .unwrap();

    let mut node = start(dir.path());
    while frontier_height(&node.http) < 20 {
        std::thread::sleep(Duration::from_millis(20));
    }
    // Everything up to the height read now was confirmed and must survive.
    let height = frontier_height(&node.http);
    let before = call(&node.http, "ledger.getMomentumsByHeight", json!([1, height]))["list"].clone();
    node.child.kill().unwrap(); // SIGKILL
    node.child.wait().unwrap();

    let mut node = start(dir.path());
    let after = call(&node.http, "ledger.getMomentumsByHeight", json!([1, height]))["list"].clone();
    assert_eq!(after, before);
    let resumed = frontier_height(&node.http);
    assert!(resumed >= height);
    while frontier_height(&node.http) < resumed + 3 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let next = call(&node.http, "ledger.getMomentumsByHeight", json!([height, 2]))["list"].clone();
    assert_eq!(next[1]["previousHash"], next[0]["hash"]);
    node.child.kill().unwrap();
    node.child.wait().unwrap();
}

/// Runs `zr-devnet` with `args`, which must fail: its error output.
fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_zr-devnet")).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn bad_config_exits_non_zero_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("devnet.toml"), "momentum_interval = 5\n").unwrap();
    let err = refused(&["--config", dir.path().join("devnet.toml").to_str().unwrap()]);
    assert!(err.contains("momentum_interval"), "{err}");
    // Pillar keys for a chain that does not exist yet, and no genesis: refused (not a dev chain).
    KeyPair::generate().write_file(&dir.path().join("pillar.json")).unwrap();
    let (empty, pillar) = (dir.path().join("empty"), dir.path().join("pillar.json"));
    let err = refused(
        &[
            ["--data-dir", empty.to_str().unwrap(), "--http-listen", "127.0.0.1:0"].as_slice(),
            &["--ws-listen", "127.0.0.1:0", "--ops-listen", "127.0.0.1:0"],
            &["--pillar-key", pillar.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(err.contains("pass a genesis file"), "{err}");
}

/// Started alone, with no genesis and no pillar key, `zr-devnet` runs a dev chain: a generated pillar key
/// produces momentums, a generated dev key is funded and printed, and a restart resumes the same chain.
#[test]
fn started_alone_it_runs_a_dev_chain_with_a_funded_key() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let (node, mut lines) = spawn(&dev_chain(dir.path()));
        let dev = lines.next().expect("a dev chain line").unwrap();
        // "dev chain (no genesis given): funded dev account z1… with key PATH"
        let words: Vec<&str> = dev.split_whitespace().collect();
        assert!(dev.starts_with("dev chain"), "{dev}");
        (node.child, node.http, words[words.len() - 4].to_owned(), words[words.len() - 1].to_owned())
    };
    let (mut child, http, address, key_file) = run();
    let key = KeyPair::read_file(std::path::Path::new(&key_file)).unwrap();
    assert_eq!(key.address().to_string(), address);
    while frontier_height(&http) < 3 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let info = call(&http, "ledger.getAccountInfoByAddress", json!([address]));
    let znn = &info["balanceInfoMap"]["zts1znnxxxxxxxxxxxxx9z4ulx"]["balance"];
    assert_eq!(znn, "100000000000000", "{info}");
    let plasma = call(&http, "embedded.plasma.get", json!([address]));
    assert!(plasma["currentPlasma"].as_u64().unwrap() > 1_000_000, "{plasma}");
    let before = frontier_height(&http);
    child.kill().unwrap();
    child.wait().unwrap();
    let (mut child, http, again, _) = run();
    assert_eq!(again, address, "the restart resumes the same dev chain");
    assert!(frontier_height(&http) >= before);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// SIGTERM (what `kill` and service managers send) stops the devnet cleanly, and the endpoints it
/// announced on stdout are in its data directory too.
#[test]
fn sigterm_stops_it_cleanly_and_its_endpoints_are_in_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dev_chain(dir.path());
    let (mut node, _lines) = spawn(&config);
    let file: Value = serde_json::from_str(
        &std::fs::read_to_string(config.data_dir.join(zr_common::daemon::ENDPOINTS_FILE)).unwrap(),
    )
    .unwrap();
    assert_eq!(file["daemon"], "zr-devnet");
    assert_eq!(file["http"], node.http.as_str());
    assert_eq!(file["pid"], node.child.id());
    assert!(file["ops"].as_str().unwrap().starts_with("http://127.0.0.1:"), "{file}");
    let killed = Command::new("kill").args(["-TERM", &node.child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = node.child.wait().unwrap();
    assert!(status.success(), "a SIGTERM is a clean stop, got {status}");
}

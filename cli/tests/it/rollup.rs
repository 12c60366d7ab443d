//! The README's walk-through: `zr up`, then in "another terminal" keys, deposit, deploy (a small and a
//! 200 KB+ contract), call, query, transfer, balance and tx --watch against it.

use std::path::Path;
use std::process::{Child, Command, Output};

use serde_json::Value;

/// `zr up` in a fresh `ZR_HOME` with a key of its own (funded by the network's genesis).
pub struct Network {
    child: Child,
    pub home: tempfile::TempDir,
    pub info: Value,
}

impl Drop for Network {
    /// Stops `zr up` as Ctrl-C does (so it stops what it started, znnd included), killing it after 30 s.
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.child.try_wait().ok().flatten().is_none() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn up() -> Network {
    Network::up_with(&["--momentum-interval-ms", "100"])
}

fn zr_in(home: &Path, net: &[String], args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zr"))
        .args(args)
        .args(net)
        .env("ZR_HOME", home)
        .env_remove("ZR_KEY")
        .env_remove("ZR_L1_HTTP")
        .env_remove("ZR_EXECUTOR")
        .env_remove("ZR_RELAY")
        .output()
        .unwrap()
}

impl Network {
    /// `zr up` with `args`, after `zr key new`.
    pub fn up_with(args: &[&str]) -> Network {
        let home = tempfile::tempdir().unwrap();
        let created = zr_in(home.path(), &[], &["key", "new", "--json"]);
        assert!(created.status.success());
        let (child, info) = crate::start_up_with(home.path(), args);
        Network { child, home, info }
    }

    /// Runs `zr` against this network.
    pub fn zr(&self, args: &[&str]) -> Output {
        let net = vec![
            format!("--l1-http={}", self.info["l1Http"].as_str().unwrap()),
            format!("--l1-ws={}", self.info["l1Ws"].as_str().unwrap()),
            format!("--executor={}", self.info["executorRpc"].as_str().unwrap()),
            format!("--relay={}", self.info["relayRpc"].as_str().unwrap()),
        ];
        zr_in(self.home.path(), &net, args)
    }

    /// Runs `zr … --json`, which must succeed; what it printed.
    pub fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        let out = self.zr(&all);
        assert!(out.status.success(), "zr {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn big_contract(path: &Path) {
    // A contract of more than 200 KB: a large constant table in its data segment.
    let table: String = (0..210_000u32).map(|i| format!("\\{:02x}", (i * 7 % 251) as u8)).collect();
    let text = format!(
        r#"(module
          (import "env" "set_return" (func $ret (param i32 i32)))
          (memory (export "memory") 5)
          (data (i32.const 1024) "{table}")
          (func (export "first") (call $ret (i32.const 1024) (i32.const 4))))"#
    );
    let wasm = wat::parse_str(&text).unwrap();
    assert!(wasm.len() > 200 * 1024);
    std::fs::write(path, wasm).unwrap();
}

#[test]
fn walkthrough_against_zr_up() {
    let net = up();
    let me = net.json(&["key", "show"])["address"].as_str().unwrap().to_owned();
    assert!(net.info["funded"].as_array().unwrap().iter().any(|a| a == &me));

    let deposit = net.json(&["deposit", "1000"]);
    assert_eq!(deposit["account"]["znn"], "100000000000");

    let token_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm");
    let deployed = net.json(&["deploy", token_path]);
    let token = deployed["contract"].as_str().unwrap().to_owned();
    assert!(token.starts_with("z1"));

    let mint = net.json(&["call", &token, "mint", &format!("address:{me}"), "u128:1000"]);
    assert_eq!(mint["status"], "executed");
    let balance = net.json(&["query", &token, "balance", &format!("address:{me}"), "--as", "u128"]);
    assert_eq!(balance["decoded"], "1000");

    let other = "z1qqjnwjjpnue8xmmpanz6csze6tcmtzzdtfsww7";
    let failed = net.zr(&["call", &token, "transfer", &format!("address:{other}"), "u128:5000"]);
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stderr).contains("insufficient token balance"));

    let transfer = net.json(&["transfer", other, "1.5"]);
    assert_eq!(transfer["status"], "executed");
    let hash = transfer["hash"].as_str().unwrap();
    let watched = net.json(&["tx", hash, "--watch"]);
    assert_eq!(watched["status"], "executed");
    // 1000 deposited, 1.5 sent, and the relay's fees for every transaction so far (under 0.05 ZNN).
    let mine = net.json(&["balance"]);
    let mine: u128 = mine["rollup"]["znn"].as_str().unwrap().parse().unwrap();
    assert!((99_845_000_000..99_850_000_000).contains(&mine), "{mine}");
    let theirs = net.json(&["balance", other]);
    assert_eq!(theirs["rollup"]["znn"], "150000000");

    // A withdrawal: burned on the rollup, paid on L1 once its claim is final; the transfer before it is final too.
    let withdrawn = net.json(&["withdraw", "2"]);
    assert_eq!(withdrawn["recipient"], me.as_str(), "{withdrawn}");
    assert!(withdrawn["l1Block"].as_str().is_some_and(|h| h.len() == 64), "{withdrawn}");
    assert!(withdrawn["finalAt"].as_u64().unwrap() >= withdrawn["executedAt"].as_u64().unwrap());
    // Paid to this key's own account, the payout is received there as a NoM wallet would.
    assert!(withdrawn["receivedBy"].as_str().is_some_and(|h| h.len() == 64), "{withdrawn}");
    let settled = net.json(&["tx", hash]);
    assert_eq!(settled["final"], true, "{settled}");

    // A contract larger than 200 KB goes up in chunks over several momentums.
    let big = net.home.path().join("big.wasm");
    big_contract(&big);
    let deployed = net.json(&["deploy", big.to_str().unwrap()]);
    let big_contract = deployed["contract"].as_str().unwrap().to_owned();
    let first = net.json(&["query", &big_contract, "first"]);
    assert_eq!(first["decoded"], "00070e15");
    // Deploying the same code again skips the upload.
    let again = net.json(&["deploy", big.to_str().unwrap()]);
    assert_ne!(again["contract"], deployed["contract"]);
}

/// A key made after the network: no L1 funds, no plasma. Through the relay its first deploy just works (the
/// relay sponsors its first fees); posting it directly fails at once, saying how much QSR to fuse.
#[test]
fn a_brand_new_key_deploys_through_the_relay() {
    let net = up();
    let fresh = net.home.path().join("fresh.json");
    let created = net.zr(&["key", "new", "--key", fresh.to_str().unwrap()]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let token_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../contracts/wasm/token.wasm");
    let key = format!("--key={}", fresh.display());
    let direct = net.zr(&["deploy", token_path, &key, "--direct", "--timeout=20"]);
    assert!(!direct.status.success());
    let error = String::from_utf8_lossy(&direct.stderr);
    assert!(error.contains("Fuse at least") && error.contains("relay"), "{error}");
    let deployed = net.json(&["deploy", token_path, &key]);
    assert_eq!(deployed["transaction"]["status"], "executed", "{deployed}");
    let balance = net.json(&["balance", &key]);
    assert!(balance["rollup"]["znn"].as_str().unwrap().parse::<u128>().unwrap() > 0, "{balance}");
}

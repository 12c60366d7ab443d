//! The operators' view: a real Prometheus (Debian's `prometheus`, which `.ci/install-deps` installs) scrapes a
//! running devnet, executor and relay under load with the shipped scrape jobs, and every query of every
//! shipped dashboard must parse, name only metrics the daemons export, and return series. The shipped
//! Prometheus config and alert rules must pass `promtool`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use zr_common::Canonical;
use zr_common::daemon::Served;
use zr_rpc_api::{RollupRelayApiClient, RollupStateApiClient};

use crate::relay::{relay_config, transfer};
use crate::rollup_support::*;
use crate::support::{Killed, TestNet, eventually};

fn ops_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops")
}

fn tool(name: &str) -> Command {
    let path = Path::new("/usr/bin").join(name);
    assert!(path.exists(), "{name} is not installed: run .ci/install-deps (it installs Debian's prometheus)");
    Command::new(path)
}

/// Debian's Prometheus on `config`, its data in `data`, on a free loopback port; the process (killed when
/// dropped) and its URL.
fn start_prometheus(config: &Path, data: &Path) -> (Killed, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = tool("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", data.display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (Killed(child), format!("http://127.0.0.1:{port}"))
}

/// Every query of every panel of the shipped dashboards, with the dashboard's file name.
fn dashboard_queries() -> Vec<(String, String)> {
    let mut queries = Vec::new();
    let dir = ops_dir().join("grafana/dashboards");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for file in files {
        let dashboard: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for panel in dashboard["panels"].as_array().unwrap() {
            for target in panel["targets"].as_array().unwrap() {
                queries.push((name.clone(), target["expr"].as_str().unwrap().to_owned()));
            }
        }
    }
    assert!(queries.len() >= 30, "the dashboards have their panels");
    queries
}

/// The `zr_…` metric names a query uses, without the histogram suffixes.
fn metric_names(query: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = query.as_bytes();
    let mut i = 0;
    while let Some(start) = query[i..].find("zr_").map(|p| p + i) {
        let end =
            query[start..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(query.len(), |p| p + start);
        let boundary = start == 0 || !(bytes[start - 1].is_ascii_alphanumeric() || bytes[start - 1] == b'_');
        if boundary {
            let name = &query[start..end];
            let base = ["_bucket", "_sum", "_count"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
            names.insert(base.to_owned());
        }
        i = end;
    }
    names
}

#[test]
fn shipped_prometheus_configs_and_alert_rules_pass_promtool() {
    for config in ["prometheus/prometheus.yml", "cluster/prometheus.yml"] {
        let output = tool("promtool").arg("check").arg("config").arg(ops_dir().join(config)).output().unwrap();
        assert!(output.status.success(), "{config}: {}", String::from_utf8_lossy(&output.stdout));
    }
    let script = ops_dir().join("cluster.sh");
    let syntax = Command::new("bash").arg("-n").arg(&script).output().unwrap();
    assert!(syntax.status.success(), "{}", String::from_utf8_lossy(&syntax.stderr));
    let rules = ops_dir().join("prometheus/alerts.yml");
    let output = tool("promtool").arg("check").arg("rules").arg(&rules).output().unwrap();
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_returns_series_from_a_live_prometheus() {
    let net = TestNet::start().await;
    let (_executor_dir, executor) = first_executor(&net).await;
    let relay_dir = tempfile::tempdir().unwrap();
    let config = relay_config(&net, &net.relays[0], relay_dir.path(), &executor.rpc_url());
    let relay = zr_relay::start(&config, net.relays[0].clone(), net.client()).await.unwrap();
    let url = relay.rpc_url();

    // Load: a funded sender's transfers through the relay, with a replay refused now and then.
    let alice = net.alice.clone();
    deposit(&net, &alice, 1_000_000 * 100_000_000, &executor.rpc_url()).await;
    let load = {
        let url = url.clone();
        tokio::spawn(async move {
            let client = api(&url);
            for nonce in 0.. {
                let tx = transfer(&alice, nonce, 1);
                client.send_transaction(hex::encode(tx.to_bytes())).await.unwrap();
                if nonce % 5 == 4 {
                    let _ = client.send_transaction(hex::encode(tx.to_bytes())).await.unwrap_err();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };

    // Prometheus with the shipped jobs, pointed at this run's ops ports, scraping every second.
    let shipped = std::fs::read_to_string(ops_dir().join("prometheus/prometheus.yml")).unwrap();
    let mut config = shipped
        .replace("scrape_interval: 5s", "scrape_interval: 1s")
        .replace("evaluation_interval: 5s", "evaluation_interval: 1s")
        .replace("127.0.0.1:9101", &net.handle().ops_addr.to_string())
        .replace("127.0.0.1:9102", &executor.ops_addr.to_string())
        .replace("127.0.0.1:9103", &relay.ops_addr.to_string());
    let prom_dir = tempfile::tempdir().unwrap();
    std::fs::copy(ops_dir().join("prometheus/alerts.yml"), prom_dir.path().join("alerts.yml")).unwrap();
    config.push('\n');
    std::fs::write(prom_dir.path().join("prometheus.yml"), &config).unwrap();
    let (prometheus, prom) = start_prometheus(&prom_dir.path().join("prometheus.yml"), &prom_dir.path().join("data"));
    let query = async |expr: &str| -> serde_json::Value {
        let answer = reqwest::Client::new().get(format!("{prom}/api/v1/query")).query(&[("query", expr)]).send().await;
        match answer {
            Ok(answer) => answer.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        }
    };
    // Every job is up, and enough scrapes are in for rates over a minute.
    eventually(async || {
        let up = query("sum(up)").await;
        up["data"]["result"][0]["value"][1] == "3"
    })
    .await;
    tokio::time::sleep(Duration::from_secs(8)).await;

    let mut exported = String::new();
    for ops in [net.handle().ops_addr, executor.ops_addr, relay.ops_addr] {
        exported += &reqwest::get(format!("http://{ops}/metrics")).await.unwrap().text().await.unwrap();
    }
    let mut empty = Vec::new();
    for (dashboard, expr) in dashboard_queries() {
        for name in metric_names(&expr) {
            assert!(
                exported.contains(&format!("\n{name}")),
                "{dashboard}: {expr} names {name}, which no daemon exports"
            );
        }
        let answer = query(&expr).await;
        assert_eq!(answer["status"], "success", "{dashboard}: {expr} does not run: {answer}");
        if answer["data"]["result"].as_array().is_none_or(|r| r.is_empty()) {
            empty.push(format!("{dashboard}: {expr}"));
        }
    }
    assert!(empty.is_empty(), "queries without series under load:\n{}", empty.join("\n"));
    // The rules load and evaluate (none fires on a healthy system).
    let rules: serde_json::Value = reqwest::get(format!("{prom}/api/v1/rules")).await.unwrap().json().await.unwrap();
    let groups = rules["data"]["groups"].as_array().unwrap();
    assert_eq!(groups[0]["rules"].as_array().unwrap().len(), 10, "{rules}");
    let firing: serde_json::Value = reqwest::get(format!("{prom}/api/v1/alerts")).await.unwrap().json().await.unwrap();
    assert!(
        firing["data"]["alerts"].as_array().unwrap().iter().all(|a| a["state"] != "firing"),
        "a healthy system fires no alert: {firing}"
    );
    drop(prometheus);
    load.abort();
    relay.stop().await;
    executor.stop().await;
}

/// `ops/cluster.sh down` when dropped, so a failing test leaves no daemon behind.
struct Cluster {
    bin: PathBuf,
    run: PathBuf,
    /// `ZR_CLUSTER_PORT_BASE`: the cluster's 15 ports are `base..base + 15`.
    base: u16,
}

/// Ports the cluster listens on.
const CLUSTER_PORTS: u16 = 15;

impl Cluster {
    fn command(&self, command: &str) -> std::process::Output {
        Command::new(ops_dir().join("cluster.sh"))
            .arg(command)
            .env("ZR_BIN_DIR", &self.bin)
            .env("ZR_CLUSTER_DIR", &self.run)
            .env("ZR_CLUSTER_PORT_BASE", self.base.to_string())
            .output()
            .unwrap()
    }

    /// The port at `offset` from the base (0–2 the devnet's HTTP, WebSocket and ops; then per executor and
    /// relay its RPC, ops and gossip).
    fn port(&self, offset: u16) -> u16 {
        self.base + offset
    }

    /// A base whose 15 ports are free, below Linux's ephemeral range (where other tests' connections take
    /// their source ports), from a place that differs per process so parallel runs rarely meet.
    fn free_base() -> u16 {
        let start = 20_000 + (std::process::id() % 400) as u16 * 25;
        (0..400u16)
            .map(|i| 20_000 + (start - 20_000 + i * 25) % 10_000)
            .find(|base| (0..CLUSTER_PORTS).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok()))
            .expect("no 15 free ports from 20000 to 30000")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.command("down");
    }
}

/// `ops/cluster.sh` with this build's daemons, on 15 free ports (`ZR_CLUSTER_PORT_BASE`): `up` starts the
/// devnet, two executors, two relays and a challenger as processes, each announced and ready; the cluster's
/// Prometheus config scrapes all five ops ports; a deposit and a transfer through relay 1 land on executor 2;
/// `down` stops them all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cluster_script_runs_every_daemon_as_a_process() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster { bin: dir.path().join("bin"), run: dir.path().join("run"), base: Cluster::free_base() };
    std::fs::create_dir_all(&cluster.bin).unwrap();
    std::fs::create_dir_all(cluster.run.join("keys")).unwrap();
    for (name, exe) in [
        ("zr-devnet", env!("CARGO_BIN_EXE_devnet-under-test")),
        ("zr-executor", env!("CARGO_BIN_EXE_executor-under-test")),
        ("zr-relay", env!("CARGO_BIN_EXE_relay-under-test")),
        ("zr-challenge", env!("CARGO_BIN_EXE_challenge-under-test")),
    ] {
        std::os::unix::fs::symlink(exe, cluster.bin.join(name)).unwrap();
    }
    // The keys, as `zr key new --json` leaves them (this crate builds no `zr`; the script makes only missing ones).
    let mut keys = std::collections::BTreeMap::new();
    for name in ["pillar", "dev", "executor-1", "executor-2", "relay-1", "relay-2", "challenger"] {
        let key = zr_common::KeyPair::from_seed(&zr_common::sha3_256(name.as_bytes()).0);
        key.write_file(&cluster.run.join(format!("keys/{name}.json"))).unwrap();
        let info = serde_json::json!({ "address": key.address(), "publicKey": key.public() });
        std::fs::write(cluster.run.join(format!("keys/{name}.info")), info.to_string()).unwrap();
        keys.insert(name, key);
    }

    let up = cluster.command("up");
    let said = format!("{}{}", String::from_utf8_lossy(&up.stdout), String::from_utf8_lossy(&up.stderr));
    assert!(up.status.success(), "{said}");
    let status = String::from_utf8_lossy(&cluster.command("status").stdout).into_owned();
    for name in ["devnet", "executor-1", "executor-2", "relay-1", "relay-2"] {
        assert!(
            status.lines().any(|l| l.starts_with(&format!("{name}: running")) && l.contains(", ready,")),
            "{status}"
        );
    }
    assert!(status.lines().any(|l| l.starts_with("challenger: running")), "{status}");

    // The cluster config (the shipped one, its ports moved to the base) scrapes every daemon's ops port.
    let prom_dir = tempfile::tempdir().unwrap();
    let (prometheus, prom) =
        start_prometheus(&cluster.run.join("config/prometheus.yml"), &prom_dir.path().join("data"));
    let up_query = format!("{prom}/api/v1/query?query=sum(up)");
    eventually(async || {
        let Ok(answer) = reqwest::get(&up_query).await else { return false };
        let answer: serde_json::Value = answer.json().await.unwrap_or_default();
        answer["data"]["result"][0]["value"][1] == "5"
    })
    .await;
    drop(prometheus);

    // The dev key deposits on L1 and transfers through relay 1; executor 2 executes it.
    let (l1_http, l1_ws) =
        (format!("http://127.0.0.1:{}", cluster.port(0)), format!("ws://127.0.0.1:{}", cluster.port(1)));
    let l1 = zr_sequencing::ZnndClient::new(&l1_http, &l1_ws).unwrap();
    let dev = keys["dev"].clone();
    let deposit = zr_sequencing::SendRequest {
        to: zr_common::Address::INBOX,
        token: zr_common::TokenStandard::ZNN,
        amount: 10 * 100_000_000,
        data: vec![],
    };
    zr_sequencing::send_block(&l1, 3, &dev, deposit).await.unwrap();
    let executor_2 = format!("http://127.0.0.1:{}", cluster.port(6));
    let relay_1 = format!("http://127.0.0.1:{}", cluster.port(9));
    eventually(async || api(&executor_2).get_balance(dev.address(), None).await.is_ok_and(|a| a.znn > 0)).await;
    let hash = api(&relay_1).send_transaction(hex::encode(transfer(&dev, 0, 1).to_bytes())).await.unwrap();
    executed(&executor_2, &hash).await;

    let down = cluster.command("down");
    assert!(down.status.success());
    let status = String::from_utf8_lossy(&cluster.command("status").stdout).into_owned();
    assert_eq!(status.lines().filter(|l| l.ends_with(": stopped")).count(), 6, "{status}");
}

/// Every shipped systemd unit starts a binary with flags it knows: its `ExecStart` is run with `--help`
/// appended, which clap answers only once every flag before it parsed.
#[test]
fn the_systemd_units_start_their_daemons_with_flags_they_know() {
    let binaries = [
        ("zr-devnet", env!("CARGO_BIN_EXE_devnet-under-test")),
        ("zr-executor", env!("CARGO_BIN_EXE_executor-under-test")),
        ("zr-relay", env!("CARGO_BIN_EXE_relay-under-test")),
        ("zr-challenge", env!("CARGO_BIN_EXE_challenge-under-test")),
    ];
    let mut units: Vec<PathBuf> =
        std::fs::read_dir(ops_dir().join("systemd")).unwrap().map(|e| e.unwrap().path()).collect();
    units.sort();
    assert_eq!(units.len(), 4, "{units:?}");
    for unit in units {
        let text = std::fs::read_to_string(&unit).unwrap();
        let exec = text.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("an ExecStart line");
        let mut words = exec.split_whitespace();
        let program = words.next().unwrap().strip_prefix("/usr/local/bin/").expect("installed in /usr/local/bin");
        let (_, binary) = binaries.iter().find(|(name, _)| *name == program).unwrap_or_else(|| panic!("{program}"));
        let out = Command::new(binary).args(words).arg("--help").output().unwrap();
        assert!(out.status.success(), "{}: {exec}: {}", unit.display(), String::from_utf8_lossy(&out.stderr));
    }
}

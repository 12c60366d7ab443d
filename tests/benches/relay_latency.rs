//! Submit-to-executed latency through a relay on a `zr up`-like network (`cargo bench -p zr-tests --bench
//! relay_latency`): the devnet makes a momentum every second, an executor and a relay run beside it, and
//! transfers are submitted with `rollup.sendTransactionAndWatch` at a steady pace unrelated to the momentum
//! clock. Prints the median and worst latency, in seconds and in momentums.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee::ws_client::WsClientBuilder;
use zr_common::rollup::{TxBody, TxKind};
use zr_common::{Address, Canonical, KeyPair, TokenStandard, sha3_256};
use zr_config::{DevnetConfig, ExecutorConfig, L1Section, OpsSection, RelayConfig, RpcSection};
use zr_devnet::{Devnet, Genesis};
use zr_rpc_api::{RollupRelayApiClient, RollupStateApiClient, TransactionStatus};
use zr_sequencing::{SendRequest, send_block};

const MOMENTUM_MS: u64 = 1_000;
const SAMPLES: usize = 40;

fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let key = |n: u8| KeyPair::from_seed(&sha3_256(&[n]).0);
    let (pillar, user, relay_key, executor_key) = (key(1), key(2), key(3), key(4));
    let genesis = Genesis::dev(321, 1_700_000_000, &[pillar.public()], &[user.address(), relay_key.address()]);
    genesis.write(&dir.path().join("genesis.toml")).unwrap();
    pillar.write_file(&dir.path().join("pillar.json")).unwrap();
    relay_key.write_file(&dir.path().join("relay.json")).unwrap();
    executor_key.write_file(&dir.path().join("executor.json")).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let devnet = Devnet::start(&DevnetConfig {
            data_dir: dir.path().join("chain"),
            genesis: Some(dir.path().join("genesis.toml")),
            pillar_keys: vec![dir.path().join("pillar.json")],
            http_listen: loopback(),
            ws_listen: loopback(),
            momentum_interval_ms: MOMENTUM_MS,
            ops: OpsSection::on(loopback()),
            ..DevnetConfig::default()
        })
        .await
        .unwrap();
        let l1 = Arc::new(zr_devnet::InProcessL1::new(devnet.chain.clone()));
        let l1_section = L1Section { http: devnet.http_url(), ws: devnet.ws_url(), ca_file: None };
        let executor = zr_executor::node::start(
            &ExecutorConfig {
                data_dir: dir.path().join("executor"),
                key_file: Some(dir.path().join("executor.json")),
                l1: l1_section.clone(),
                rpc: RpcSection::on(loopback()),
                ops: OpsSection::on(loopback()),
                ..ExecutorConfig::default()
            },
            executor_key,
            l1.clone(),
        )
        .await
        .unwrap();
        let relay = zr_relay::start(
            &RelayConfig {
                data_dir: dir.path().join("relay"),
                key_file: Some(dir.path().join("relay.json")),
                executor: executor.rpc_url(),
                l1: l1_section,
                rpc: RpcSection::on(loopback()),
                ops: OpsSection::on(loopback()),
                ..RelayConfig::default()
            },
            relay_key,
            l1.clone(),
        )
        .await
        .unwrap();
        // The user deposits on L1 first.
        let deposit = SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: 10_000_000_000, data: vec![] };
        send_block(l1.as_ref(), 321, &user, deposit).await.unwrap();
        let api = jsonrpsee_http_client::HttpClientBuilder::default().build(relay.rpc_url()).unwrap();
        while api.get_balance(user.address(), None).await.unwrap().znn == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ws = WsClientBuilder::default().build(relay.ws_url()).await.unwrap();
        let mut waits = Vec::new();
        // A pace that drifts against the momentum clock, so submissions land at every phase of it.
        let pace = Duration::from_millis(MOMENTUM_MS * 3 / 7);
        for nonce in 0..SAMPLES as u64 {
            let to = Address::from_public_key(&nonce.to_le_bytes());
            let kind = TxKind::Transfer { to, token: TokenStandard::ZNN, amount: 1 };
            let tx = TxBody { chain_id: 1, sender: user.public(), nonce, gas_limit: 100_000, fee_per_gas: 1, kind }
                .sign(&user);
            let submitted = Instant::now();
            let mut sub = ws.send_transaction_and_watch(hex::encode(tx.to_bytes())).await.unwrap();
            waits.push(tokio::spawn(async move {
                while let Some(Ok(view)) = sub.next().await {
                    if view.status == TransactionStatus::Executed {
                        return submitted.elapsed();
                    }
                    assert!(!view.status.is_terminal(), "{view:?}");
                }
                panic!("the status stream ended before `executed`");
            }));
            tokio::time::sleep(pace).await;
        }
        let mut latencies = Vec::new();
        for wait in waits {
            latencies.push(wait.await.unwrap());
        }
        latencies.sort();
        let in_momentums = |d: Duration| d.as_secs_f64() * 1000.0 / MOMENTUM_MS as f64;
        let median = latencies[latencies.len() / 2];
        let worst = *latencies.last().unwrap();
        println!(
            "submit to executed over {SAMPLES} transfers, momentum every {MOMENTUM_MS} ms: median {:.2} s ({:.2} momentums), worst {:.2} s ({:.2} momentums)",
            median.as_secs_f64(),
            in_momentums(median),
            worst.as_secs_f64(),
            in_momentums(worst)
        );
        relay.stop().await;
        executor.stop().await;
        devnet.stop().await;
    });
}

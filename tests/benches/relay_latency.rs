//! Submit-to-executed latency through a relay on a `zr up`-like network (`cargo bench -p zr-tests --bench
//! relay_latency`): the devnet makes a momentum every second, an executor and a relay run beside it, and
//! transfers are submitted with `rollup.sendTransactionAndWatch` at a steady pace unrelated to the momentum
//! clock. Prints the median and worst latency, in seconds and in momentums.

use std::time::{Duration, Instant};

use jsonrpsee::ws_client::WsClientBuilder;
use zr_common::keys::fixtures::numbered_key as key;
use zr_common::rollup::{TxBody, TxKind};
use zr_common::{Address, Canonical, TokenStandard};
use zr_config::Listen;
use zr_local_network::LocalNet;
use zr_local_network::devnet::L1_CHAIN;
use zr_rpc_api::{RollupRelayApiClient, RollupStateApiClient, TransactionStatus};
use zr_sequencing::{SendRequest, send_block};

const MOMENTUM_MS: u64 = 1_000;
const SAMPLES: usize = 40;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let user = key(2);
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let relay_key = key(3);
        let devnet =
            zr_local_network::devnet::start(dir.path(), &[user.address(), relay_key.address()], MOMENTUM_MS).await.unwrap();
        let net = LocalNet::builder(dir.path(), 1, devnet.l1_section(), key(4))
            .relay(relay_key, Listen::loopback_any())
            .start(devnet.l1.clone())
            .await
            .unwrap();
        let (l1, relay) = (&devnet.l1, net.relay());
        // The user deposits on L1 first.
        let deposit = SendRequest { to: Address::INBOX, token: TokenStandard::ZNN, amount: 10_000_000_000, data: vec![] };
        send_block(l1.as_ref(), L1_CHAIN, &user, deposit).await.unwrap();
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
        net.stop().await;
        devnet.stop().await;
    });
}

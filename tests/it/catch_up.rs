//! Following L1 under load: an executor catches up across 100 full momentums (100 blocks of 16 KiB each,
//! far more per request than the node answers), and the follower refuses momentums that do not check out.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use zr_common::daemon::Served;
use zr_common::nom::rpc::{AccountInfo, DetailedMomentum, GetRequiredParam, GetRequiredResult, PlasmaInfo};
use zr_common::nom::{AccountBlock, MAX_DATA_LEN, Momentum};
use zr_common::rollup::settlement::{Bond, ClaimRecord, DaRecord, FinalRoot};
use zr_common::{Address, Hash, KeyPair, TokenStandard};
use zr_devnet::{Devnet, Genesis, InProcessL1};
use zr_rpc_api::RollupStateApiClient;
use zr_sequencing::{L1, L1Error, MomentumSubscription, SendRequest, follow, send_block};

use crate::rollup_support::*;
use crate::support::{CHAIN, TestNet, config_in};

const FULL_MOMENTUMS: u64 = 100;
const FILLERS: u64 = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_executor_catches_up_across_100_full_momentums() {
    let dir = tempfile::tempdir().unwrap();
    let pillar = KeyPair::from_seed(&[1; 32]);
    let executor = KeyPair::from_seed(&[4; 32]);
    // Each filler's fused plasma pays 9 full blocks a momentum.
    let fillers: Vec<KeyPair> = (0..FILLERS).map(|i| KeyPair::from_seed(&[100 + i as u8; 32])).collect();
    let mut funded: Vec<Address> = fillers.iter().map(KeyPair::address).collect();
    funded.push(executor.address());
    Genesis::dev(CHAIN, 1_700_000_000, &[pillar.public()], &funded).write(&dir.path().join("genesis.toml")).unwrap();
    pillar.write_file(&dir.path().join("pillar.json")).unwrap();
    // Momentums are produced here, by hand, only once they are full.
    let config = zr_config::DevnetConfig { momentum_interval_ms: 3_600_000, ..config_in(dir.path()) };
    let devnet = Devnet::start(&config).await.unwrap();
    let l1 = InProcessL1::new(devnet.chain.clone());
    for height in 1..=FULL_MOMENTUMS {
        for i in 0..100u64 {
            let key = &fillers[(i % FILLERS) as usize];
            let mut data = vec![(height * 100 + i) as u8; MAX_DATA_LEN];
            data[0] = 1;
            let send = SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data };
            send_block(&l1, CHAIN, key, send).await.unwrap();
        }
        let chain = devnet.chain.clone();
        let pillar = pillar.clone();
        let produced =
            tokio::task::spawn_blocking(move || chain.produce(&pillar, 1_700_000_000 + height)).await.unwrap().unwrap();
        assert_eq!(produced.blocks.len(), 100);
    }
    // The node cannot answer 50 full momentums at once (its 64 MiB response cap).
    let client = zr_sequencing::ZnndClient::new(devnet.http_url(), devnet.ws_url()).unwrap();
    assert!(client.detailed_momentums(1, 50).await.is_err());

    // A fresh executor (as after a restart behind the head) follows over znnd's JSON-RPC.
    let exec_dir = tempfile::tempdir().unwrap();
    let l1_section = zr_config::L1Section::at(devnet.http_url(), devnet.ws_url());
    let node = zr_local_network::LocalNet::builder(exec_dir.path(), ROLLUP, l1_section, executor)
        .tune_executor(|config| config.claim_every = 0)
        .start(Arc::new(client))
        .await
        .unwrap()
        .executor;
    let api = api(&node.rpc_url());
    tokio::time::timeout(Duration::from_secs(240), async {
        while api.get_head().await.unwrap().height < FULL_MOMENTUMS {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the executor did not catch up");
    // Every one of them is executed and claimed.
    for height in [1, FULL_MOMENTUMS / 2, FULL_MOMENTUMS] {
        let leaves = api.get_claim_leaves(height).await.unwrap().expect("leaves");
        assert_eq!(leaves.len(), 1, "garbage bundles are skipped whole; the prelude leaf remains");
    }
    node.stop().await;
    devnet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_follower_refuses_momentums_that_do_not_check_out() {
    let net = TestNet::start().await;
    // A block in momentum 3 to tamper with.
    eventually_height(&net, 2).await;
    post_data(&net, &net.alice, b"\x01some data".to_vec(), 0).await;
    let target = net.handle().chain.frontier_momentum().height + 2;
    eventually_height(&net, target + 2).await;
    let genuine = InProcessL1::new(net.handle().chain.clone()).detailed_momentums(1, target + 2).await.unwrap();
    let with_blocks = genuine.iter().skip(1).find(|m| !m.blocks.is_empty()).expect("a momentum with blocks").clone();
    let at = with_blocks.momentum.momentum.height;
    let tampers: [fn(&mut DetailedMomentum); 4] = [
        |m| m.blocks[0].block.data.push(0),
        |m| m.momentum.momentum.timestamp += 1,
        |m| m.momentum.momentum.signature[0] ^= 1,
        |m| m.blocks.clear(),
    ];
    for how in tampers {
        let l1 = Arc::new(Tampering {
            inner: InProcessL1::new(net.handle().chain.clone()),
            height: at,
            remaining: AtomicU32::new(2),
            how,
        });
        let mut follower = follow(l1.clone(), 1);
        for expected in &genuine[..at as usize] {
            let got = tokio::time::timeout(Duration::from_secs(20), follower.next()).await.unwrap().unwrap();
            // (Confirmation counts differ as the chain grows; the momentum and its blocks may not.)
            assert_eq!(got.momentum, expected.momentum);
            let blocks = |m: &DetailedMomentum| m.blocks.iter().map(|b| b.block.clone()).collect::<Vec<_>>();
            assert_eq!(blocks(&got), blocks(expected), "height {}", expected.momentum.momentum.height);
        }
        assert_eq!(l1.remaining.load(Ordering::SeqCst), 0, "the broken answers were asked for and refused");
    }
    // A broken link: a follower seeded with the wrong previous momentum refuses the next one.
    let previous = Some(zr_common::Hash([9; 32]));
    assert!(matches!(
        zr_sequencing::check_momentum(&genuine[1], previous.as_ref()),
        Err(zr_sequencing::MomentumError::Link { .. })
    ));
    assert_eq!(zr_sequencing::check_momentum(&genuine[1], Some(&genuine[0].momentum.momentum.hash)), Ok(()));
}

async fn eventually_height(net: &TestNet, height: u64) {
    tokio::time::timeout(Duration::from_secs(20), async {
        while net.handle().chain.frontier_momentum().height < height {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("devnet stalled");
}

/// An `L1` that hands out broken momentums for a while, as a faulty or hostile node would.
struct Tampering {
    inner: InProcessL1,
    height: u64,
    remaining: AtomicU32,
    how: fn(&mut DetailedMomentum),
}

impl L1 for Tampering {
    async fn frontier_momentum(&self) -> Result<Momentum, L1Error> {
        self.inner.frontier_momentum().await
    }

    async fn detailed_momentums(&self, height: u64, count: u64) -> Result<Vec<DetailedMomentum>, L1Error> {
        let mut list = self.inner.detailed_momentums(height, count).await?;
        for momentum in &mut list {
            if momentum.momentum.momentum.height == self.height
                && self.remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
            {
                (self.how)(momentum);
            }
        }
        Ok(list)
    }

    async fn subscribe_momentums(&self) -> Result<MomentumSubscription, L1Error> {
        self.inner.subscribe_momentums().await
    }

    async fn publish(&self, block: &AccountBlock) -> Result<(), L1Error> {
        self.inner.publish(block).await
    }

    async fn frontier_block(&self, address: &Address) -> Result<Option<AccountBlock>, L1Error> {
        self.inner.frontier_block(address).await
    }

    async fn account_info(&self, address: &Address) -> Result<AccountInfo, L1Error> {
        self.inner.account_info(address).await
    }

    async fn plasma(&self, address: &Address) -> Result<PlasmaInfo, L1Error> {
        self.inner.plasma(address).await
    }

    async fn required_pow(&self, param: &GetRequiredParam) -> Result<GetRequiredResult, L1Error> {
        self.inner.required_pow(param).await
    }

    async fn rollup_final(&self) -> Result<Option<FinalRoot>, L1Error> {
        self.inner.rollup_final().await
    }

    async fn rollup_bond(&self, address: &Address) -> Result<Option<Bond>, L1Error> {
        self.inner.rollup_bond(address).await
    }

    async fn rollup_claims(&self, height: u64, count: u64) -> Result<Vec<ClaimRecord>, L1Error> {
        self.inner.rollup_claims(height, count).await
    }

    async fn rollup_da_challenges(&self, height: u64, count: u64) -> Result<Vec<DaRecord>, L1Error> {
        self.inner.rollup_da_challenges(height, count).await
    }

    async fn unreceived_blocks(&self, address: &Address, page: u32) -> Result<Vec<AccountBlock>, L1Error> {
        self.inner.unreceived_blocks(address, page).await
    }

    async fn rollup_open_da_challenges(&self) -> Result<Vec<DaRecord>, L1Error> {
        self.inner.rollup_open_da_challenges().await
    }

    async fn rollup_challenges(
        &self,
        height: u64,
        count: u64,
    ) -> Result<Vec<zr_common::rollup::settlement::ChallengeRecord>, L1Error> {
        self.inner.rollup_challenges(height, count).await
    }

    async fn rollup_withdrawal(&self, tx_hash: &Hash) -> Result<Option<Hash>, L1Error> {
        self.inner.rollup_withdrawal(tx_hash).await
    }
}

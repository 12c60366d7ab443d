//! Bundles: every momentum the relay takes its ready transactions in the pool's order, packs as many as fit
//! one 16 KiB L1 account block (after compression) into each bundle, up to the momentum's gas budget and the
//! configured number of bundles, signs them and posts them to the inbox. Each bundle's block is recorded
//! (the transactions' stage `bundled`) before it is published, so a crash never posts a bundle the relay
//! does not know about.

use std::sync::Arc;

use zr_common::rollup::{Bundle, BundleBody, Transaction, limits};
use zr_common::{Address, TokenStandard};
use zr_protocol::gas::MOMENTUM;
use zr_sequencing::bundle::encode_bundle;
use zr_sequencing::{L1, L1Error, Poster, SendRequest};

use crate::pool::Stage;
use crate::service::Relay;
use crate::store::Change;

/// The largest prefix of `txs` (at most [`limits::MAX_BUNDLE_TXS`]) whose bundle fits one account block,
/// found by bisection on the compressed size; with the encoded bundle data.
pub fn fill(relay_key: &zr_common::KeyPair, chain_id: u64, txs: &[Arc<Transaction>]) -> Option<(Bundle, Vec<u8>)> {
    let encode = |n: usize| {
        let body = BundleBody {
            chain_id,
            poster: relay_key.public(),
            transactions: txs[..n].iter().map(|t| t.as_ref().clone()).collect(),
        };
        let bundle = body.sign(relay_key);
        encode_bundle(&bundle).ok().map(|data| (bundle, data))
    };
    let max = txs.len().min(limits::MAX_BUNDLE_TXS);
    let mut best = None;
    let (mut lo, mut hi) = (1, max);
    while lo <= hi {
        let mid = lo + (hi - lo) / 2;
        match encode(mid) {
            Some(found) => {
                best = Some(found);
                lo = mid + 1;
            }
            None => hi = mid - 1,
        }
    }
    best
}

/// Posts the next bundles at L1 height `l1_height`.
pub async fn post_bundles<L: L1>(relay: &Relay, poster: &Poster<L>, l1_height: u64) {
    let ready = relay.pool.lock().expect("pool lock").ready();
    // Leave what does not fit the momentum's gas budget for the next one.
    let mut gas = 0u64;
    let ready: Vec<Arc<Transaction>> = ready
        .into_iter()
        .take_while(|tx| {
            gas = gas.saturating_add(tx.body.gas_limit);
            gas <= MOMENTUM.momentum_gas_budget
        })
        .collect();
    let mut rest = ready.as_slice();
    for _ in 0..relay.settings.max_bundles_per_momentum {
        if rest.is_empty() {
            break;
        }
        let Some((bundle, data)) = fill(&relay.key, relay.settings.chain_id, rest) else {
            tracing::warn!(target: "zr::relay", tx = %rest[0].hash(), "a transaction does not fit a bundle on its own");
            break;
        };
        let count = bundle.body.transactions.len();
        let (taken, after) = rest.split_at(count);
        rest = after;
        let bytes = data.len();
        let bundle_hash = bundle.body.hash();
        let send = SendRequest { to: Address::INBOX, token: TokenStandard::ZERO, amount: 0, data };
        let slot = poster.slot().await;
        let posted = slot
            .post_with(send, |block| {
                let stage = Stage::Bundled { bundle: bundle_hash, l1_block: block.hash, posted_at: l1_height };
                let changes = set_stage(relay, taken, stage);
                async move { relay.store.write(changes).await.map_err(|e| L1Error::Invalid(e.to_string())) }
            })
            .await;
        drop(slot);
        relay.metrics.plasma_exhausted.set(u64::from(poster.plasma_exhausted()));
        match posted {
            Ok(block) => {
                relay.metrics.bundles.inc();
                relay.metrics.bundle_bytes.add(bytes as u64);
                relay.metrics.bundled_txs.add(count as u64);
                tracing::info!(target: "zr::relay", bundle = %bundle_hash, block = %block.hash, txs = count, bytes, "bundle posted");
            }
            Err(err) => {
                tracing::warn!(target: "zr::relay", bundle = %bundle_hash, error = %err, "bundle not posted; its transactions wait for the next momentum");
                let changes = set_stage(relay, taken, Stage::Pending);
                if let Err(err) = relay.store.write(changes).await {
                    tracing::error!(target: "zr::relay", error = %err, "cannot record the unposted bundle");
                }
                break;
            }
        }
    }
}

/// Moves `txs` to `stage` in the pool; returns the rows to persist.
fn set_stage(relay: &Relay, txs: &[Arc<Transaction>], stage: Stage) -> Vec<Change> {
    let mut pool = relay.pool.lock().expect("pool lock");
    txs.iter()
        .filter_map(|tx| {
            let hash = tx.hash();
            pool.set_stage(&hash, stage.clone()).then(|| Change::held(pool.get(&hash).expect("held")))
        })
        .collect()
}

//! Bundles: every momentum the relay takes its ready transactions in the pool's order, packs as many as fit
//! one 16 KiB L1 account block (after compression) into each bundle, up to the momentum's gas budget and the
//! configured number of bundles, signs them and posts them to the inbox. Each bundle's block is recorded
//! (the transactions' stage `bundled`) before it is published, so a crash never posts a bundle the relay
//! does not know about.

use std::sync::Arc;

use zr_common::rollup::{Bundle, BundleBody, Transaction, limits};
use zr_common::{Address, TokenStandard};
use zr_protocol::gas::MOMENTUM;
use zr_sequencing::bundle::{PayloadError, encode_bundle};
use zr_sequencing::{L1, L1Error, Poster, SendRequest};

use crate::service::Relay;

/// The largest prefix of `txs` (at most [`limits::MAX_BUNDLE_TXS`]) whose bundle fits one account block,
/// with the encoded bundle data. Compressed size grows about linearly with the count, so each try's size
/// predicts the count that fills the block; a bisection step every third try bounds the search whatever the
/// data (zstd at level 19 takes milliseconds a try, and a bisection from 512 needs nine).
pub fn fill(relay_key: &zr_common::KeyPair, chain_id: u64, txs: &[Arc<Transaction>]) -> Option<(Bundle, Vec<u8>)> {
    let encode = |n: usize| {
        let body = BundleBody {
            chain_id,
            poster: relay_key.public(),
            transactions: txs[..n].iter().map(|t| t.as_ref().clone()).collect(),
        };
        let bundle = body.sign(relay_key);
        match encode_bundle(&bundle) {
            Ok(data) => Ok((bundle, data)),
            // How far over: the compressed size against the L1 limit, or the raw size against its cap.
            Err(PayloadError::TooLarge(size)) => Err((size, limits::MAX_L1_DATA)),
            Err(PayloadError::Bomb(raw)) => Err((raw, limits::MAX_BUNDLE_LEN)),
            Err(_) => Err((usize::MAX, 1)),
        }
    };
    let max = txs.len().min(limits::MAX_BUNDLE_TXS);
    // `lo` is known to fit (0 trivially), `hi` known not to (one past the most there are).
    let (mut lo, mut hi) = (0, max + 1);
    let mut best = None;
    let mut guess = max;
    let mut tries = 0u32;
    while lo + 1 < hi {
        tries += 1;
        let n = if tries.is_multiple_of(3) { lo + (hi - lo) / 2 } else { guess.clamp(lo + 1, hi - 1) };
        let (size, limit) = match encode(n) {
            Ok(found) => {
                let size = found.1.len();
                lo = n;
                best = Some(found);
                (size, limits::MAX_L1_DATA)
            }
            Err((size, limit)) => {
                hi = n;
                (size, limit)
            }
        };
        guess = (n as u128 * limit as u128 / size.max(1) as u128) as usize;
    }
    best
}

/// Posts the next bundles at L1 height `l1_height`.
pub async fn post_bundles<L: L1>(relay: &Relay, poster: &Poster<L>, l1_height: u64) {
    let ready = relay.mempool.ready();
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
    let mut spent = 0u64;
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
                let bundled = relay.mempool.bundled(taken, bundle_hash, block.hash, l1_height);
                async move { bundled.await.map_err(|e| L1Error::Invalid(e.to_string())) }
            })
            .await;
        drop(slot);
        relay.metrics.plasma_exhausted.set(u64::from(poster.plasma_exhausted()));
        match posted {
            Ok(block) => {
                relay.metrics.bundles.inc();
                relay.last_post.fetch_max(l1_height, std::sync::atomic::Ordering::Relaxed);
                relay.metrics.bundle_bytes.add(bytes as u64);
                let plasma = zr_common::nom::plasma::required_plasma(bytes);
                relay.metrics.bundle_plasma.add(plasma);
                spent += plasma;
                relay.metrics.bundled_txs.add(count as u64);
                tracing::info!(target: "zr::relay", bundle = %bundle_hash, block = %block.hash, txs = count, bytes, "bundle posted");
            }
            Err(err) => {
                tracing::warn!(target: "zr::relay", bundle = %bundle_hash, error = %err, "bundle not posted; its transactions wait for the next momentum");
                relay.mempool.unposted(taken, bundle_hash).await;
                break;
            }
        }
    }
    watch_plasma(relay, poster, spent).await;
}

/// Keeps the plasma gauges current: what the account has, and how many momentums it lasts at `spent` a
/// momentum (this momentum's spending; left as it was when nothing was posted).
async fn watch_plasma<L: L1>(relay: &Relay, poster: &Poster<L>, spent: u64) {
    if let Ok(plasma) = poster.l1().plasma(&relay.key.address()).await {
        relay.metrics.plasma_available.set(plasma.current_plasma);
        if let Some(left) = plasma.current_plasma.checked_div(spent) {
            relay.metrics.plasma_momentums_left.set(left);
        }
    }
}

#[cfg(test)]
mod tests {
    use zr_common::KeyPair;
    use zr_common::rollup::{TxBody, TxKind};

    use super::*;

    fn transfers(count: usize, memo: usize) -> Vec<Arc<Transaction>> {
        (0..count)
            .map(|i| {
                let key = KeyPair::from_seed(&zr_common::sha3_256(&(i as u64).to_le_bytes()).0);
                let to = KeyPair::from_seed(&[(i % 251) as u8; 32]).address();
                let kind = if memo == 0 {
                    TxKind::Transfer { to, token: TokenStandard::ZNN, amount: i as u128 + 1 }
                } else {
                    TxKind::Call { contract: to, method: "m".into(), input: vec![(i % 7) as u8; memo], value: 0 }
                };
                let body =
                    TxBody { chain_id: 1, sender: key.public(), nonce: 0, gas_limit: 1_000_000, fee_per_gas: 1, kind };
                Arc::new(body.sign(&key))
            })
            .collect()
    }

    fn fits(key: &KeyPair, txs: &[Arc<Transaction>], n: usize) -> bool {
        let transactions = txs[..n].iter().map(|t| t.as_ref().clone()).collect();
        encode_bundle(&BundleBody { chain_id: 1, poster: key.public(), transactions }.sign(key)).is_ok()
    }

    #[test]
    fn fill_finds_the_largest_prefix_that_fits() {
        let key = KeyPair::from_seed(&[3; 32]);
        for (count, memo) in [(0, 0), (1, 0), (40, 0), (600, 0), (300, 200), (40, 2_000), (20, 15_000)] {
            let txs = transfers(count, memo);
            let found = fill(&key, 1, &txs).map_or(0, |(bundle, data)| {
                assert!(data.len() <= limits::MAX_L1_DATA);
                bundle.body.transactions.len()
            });
            let most = count.min(limits::MAX_BUNDLE_TXS);
            assert!(found == 0 || fits(&key, &txs, found), "{count} transactions with {memo}-byte inputs");
            assert!(
                found == most || !fits(&key, &txs, found + 1),
                "{found} of {count} with {memo}-byte inputs: more fit"
            );
        }
    }
}

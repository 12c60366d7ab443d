//! The one way zrollup daemons post to L1: a [`Poster`] owns an account's chain of send blocks. Posts are
//! made one at a time on the account's frontier (unconfirmed blocks included, so blocks posted within one
//! momentum chain on each other, and a restarted daemon continues from what the node holds); a refusal that
//! the next momentum clears (plasma held by unconfirmed blocks, the unconfirmed-block limit) is retried once
//! a momentum later, up to a bound; when the account's plasma stays short, the poster says so (a clear error,
//! and [`Poster::plasma_exhausted`] for a metric) instead of waiting forever.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, MutexGuard};
use zr_common::nom::AccountBlock;
use zr_common::{Address, KeyPair};

use crate::{L1, L1Error, SendRequest, build_send_block};

/// Posts send blocks from one account.
pub struct Poster<L> {
    l1: Arc<L>,
    key: KeyPair,
    chain_identifier: u64,
    retry_every: Duration,
    attempts: u32,
    lock: Mutex<()>,
    plasma_exhausted: AtomicBool,
}

/// Exclusive use of the account's chain, for a caller that records a block between building and publishing
/// it (a relay persists the bundle's block before it goes out).
pub struct PostSlot<'a, L> {
    poster: &'a Poster<L>,
    _guard: MutexGuard<'a, ()>,
}

impl<L: L1> Poster<L> {
    /// A poster for `key`'s account on the L1 with `chain_identifier`. A refused block is retried every
    /// `retry_every` (about a momentum), `attempts` times in all.
    pub fn new(l1: Arc<L>, key: KeyPair, chain_identifier: u64, retry_every: Duration, attempts: u32) -> Poster<L> {
        Poster {
            l1,
            key,
            chain_identifier,
            retry_every,
            attempts: attempts.max(1),
            lock: Mutex::new(()),
            plasma_exhausted: AtomicBool::new(false),
        }
    }

    /// The L1 it posts to.
    pub fn l1(&self) -> &Arc<L> {
        &self.l1
    }

    /// The posting account's key.
    pub fn key(&self) -> &KeyPair {
        &self.key
    }

    /// Whether the last post failed for want of plasma after every retry.
    pub fn plasma_exhausted(&self) -> bool {
        self.plasma_exhausted.load(Ordering::Relaxed)
    }

    /// Waits for the account's chain.
    pub async fn slot(&self) -> PostSlot<'_, L> {
        PostSlot { poster: self, _guard: self.lock.lock().await }
    }

    /// Builds, signs and publishes `send`, retrying refusals the next momentum clears. Returns the block.
    pub async fn post(&self, send: SendRequest) -> Result<AccountBlock, L1Error> {
        let slot = self.slot().await;
        slot.post_with(send, |_| async { Ok(()) }).await
    }

    /// Receives every send from `sender` L1 lists as unreceived for the account (from the inbox: bonds and
    /// deposits paid back), on the same chain as its posts. Returns the receive blocks.
    pub async fn receive_from(&self, sender: &Address) -> Result<Vec<AccountBlock>, L1Error> {
        let _slot = self.slot().await;
        crate::receive_from(self.l1.as_ref(), self.chain_identifier, &self.key, sender).await
    }
}

impl<L: L1> PostSlot<'_, L> {
    /// [`Poster::post`], calling `record` with each block before it is published (a retry builds a new block
    /// and records it again); an error from `record` stops the post.
    pub async fn post_with<F, Fut>(&self, send: SendRequest, mut record: F) -> Result<AccountBlock, L1Error>
    where
        F: FnMut(&AccountBlock) -> Fut,
        Fut: std::future::Future<Output = Result<(), L1Error>>,
    {
        let poster = self.poster;
        let mut attempt = 1;
        loop {
            let result = async {
                let block =
                    build_send_block(poster.l1.as_ref(), poster.chain_identifier, &poster.key, send.clone()).await?;
                record(&block).await?;
                poster.l1.publish(&block).await?;
                Ok::<_, L1Error>(block)
            }
            .await;
            match result {
                Ok(block) => {
                    poster.plasma_exhausted.store(false, Ordering::Relaxed);
                    return Ok(block);
                }
                Err(err) if err.clears_with_next_momentum() && attempt < poster.attempts => {
                    tracing::debug!(target: "zr::l1", attempt, error = %err, "block refused; posting again after the next momentum");
                    attempt += 1;
                    tokio::time::sleep(poster.retry_every).await;
                }
                Err(err) => {
                    if matches!(err, L1Error::NeedsFusedPlasma { .. })
                        || matches!(err, L1Error::Refused { reason: crate::Refusal::Plasma, .. })
                    {
                        poster.plasma_exhausted.store(true, Ordering::Relaxed);
                        tracing::error!(target: "zr::l1", address = %poster.key.address(), error = %err,
                            "out of plasma: posting stops until QSR is fused to this account");
                    }
                    return Err(err);
                }
            }
        }
    }
}

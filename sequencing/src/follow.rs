//! Following momentums from a height, with reconnection and back-off.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use zr_common::Address;
use zr_common::nom::rpc::DetailedMomentum;
use zr_common::nom::{AccountBlock, BlockType};

use crate::L1;

/// Momentums fetched per request while catching up.
const BATCH: u64 = 50;
/// Without a notification, the follower still polls this often (a notification may be lost).
const POLL: Duration = Duration::from_secs(2);
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A stream of momentums in height order, each exactly once.
pub struct Follower {
    rx: mpsc::Receiver<DetailedMomentum>,
    task: tokio::task::JoinHandle<()>,
}

impl Follower {
    /// The next momentum; waits for it to be produced.
    pub async fn next(&mut self) -> Option<DetailedMomentum> {
        self.rx.recv().await
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Follows `l1` from momentum `from` on: catches up by height, then waits for notifications (falling back to
/// polling), and reconnects with back-off when the node goes away. Nothing is skipped or repeated.
pub fn follow<L: L1 + 'static>(l1: Arc<L>, from: u64) -> Follower {
    let (tx, rx) = mpsc::channel(2 * BATCH as usize);
    let task = tokio::spawn(async move {
        let mut next = from.max(1);
        let mut backoff = Duration::from_millis(100);
        loop {
            let mut subscription = match l1.subscribe_momentums().await {
                Ok(sub) => Some(sub),
                Err(err) => {
                    tracing::warn!(target: "zr::l1", error = %err, "momentum subscription failed; polling");
                    None
                }
            };
            loop {
                match l1.detailed_momentums(next, BATCH).await {
                    Ok(list) => {
                        backoff = Duration::from_millis(100);
                        let full = list.len() as u64 == BATCH;
                        for momentum in list {
                            if momentum.momentum.momentum.height != next {
                                tracing::warn!(target: "zr::l1", expected = next, got = momentum.momentum.momentum.height, "L1 answered out of order; refetching");
                                break;
                            }
                            if tx.send(momentum).await.is_err() {
                                return;
                            }
                            next += 1;
                        }
                        if full {
                            continue;
                        }
                    }
                    Err(err) => {
                        tracing::warn!(target: "zr::l1", error = %err, retry_in = ?backoff, "cannot read momentums");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(MAX_BACKOFF);
                        break;
                    }
                }
                match subscription.as_mut() {
                    Some(sub) => match tokio::time::timeout(POLL, sub.events.recv()).await {
                        Ok(Some(_)) | Err(_) => {}
                        Ok(None) => break,
                    },
                    None => {
                        tokio::time::sleep(POLL.min(backoff * 4)).await;
                        break;
                    }
                }
            }
        }
    });
    Follower { rx, task }
}

/// The account blocks of a momentum sent to `inbox`, in momentum content order.
pub fn inbox_blocks<'a>(momentum: &'a DetailedMomentum, inbox: &'a Address) -> impl Iterator<Item = &'a AccountBlock> {
    momentum
        .blocks
        .iter()
        .map(|b| &b.block)
        .filter(move |b| b.to_address == *inbox && b.kind() == Some(BlockType::UserSend))
}

//! Following momentums from a height, with reconnection and back-off, in requests bounded by bytes, checking
//! every momentum before handing it on.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use zr_common::nom::rpc::DetailedMomentum;
use zr_common::nom::{AccountBlock, BlockType};
use zr_common::{Address, Hash};

use crate::L1;
use crate::check::check_momentum;

/// Momentums fetched per request while catching up, at most.
const BATCH: u64 = 50;
/// What one request should bring back, about: a full momentum (100 blocks of 16 KiB in base64) is about
/// 2.3 MB of JSON, so a few of them; well under the devnet's 64 MiB and the client's 32 MiB response caps.
const REQUEST_BYTES: u64 = 8 * 1024 * 1024;
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
        let mut previous: Option<Hash> = None;
        let mut window = BATCH;
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
                // The link of the first momentum is checked against the one before it.
                if previous.is_none() && next > 1 {
                    match l1.detailed_momentums(next - 1, 1).await {
                        Ok(list) if list.len() == 1 && check_momentum(&list[0], None).is_ok() => {
                            previous = Some(list[0].momentum.momentum.hash);
                        }
                        // Without it the first link cannot be checked: wait rather than skip the check.
                        other => {
                            tracing::warn!(target: "zr::l1", result = ?other.map(|l| l.len()), "cannot read the momentum before; retrying");
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            continue;
                        }
                    }
                }
                match l1.detailed_momentums(next, window).await {
                    Ok(list) => {
                        backoff = Duration::from_millis(100);
                        let full = list.len() as u64 == window;
                        let bytes: u64 = list.iter().map(estimated_bytes).sum();
                        let received = list.len() as u64;
                        let mut refused = false;
                        for momentum in list {
                            let height = momentum.momentum.momentum.height;
                            if height != next {
                                tracing::warn!(target: "zr::l1", expected = next, got = height, "L1 answered out of order; refetching");
                                refused = true;
                                break;
                            }
                            if let Err(err) = check_momentum(&momentum, previous.as_ref()) {
                                tracing::error!(target: "zr::l1", error = %err, "L1 sent a momentum that does not check out; refetching");
                                refused = true;
                                break;
                            }
                            previous = Some(momentum.momentum.momentum.hash);
                            if tx.send(momentum).await.is_err() {
                                return;
                            }
                            next += 1;
                        }
                        // Size the next request by what this one weighed.
                        window = window_for(bytes, received.max(1), window);
                        if refused {
                            tokio::time::sleep(backoff).await;
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                            continue;
                        }
                        if full {
                            continue;
                        }
                    }
                    Err(err) if window > 1 => {
                        // Most likely the answer was too large for the node or this client: ask for less.
                        window = (window / 2).max(1);
                        tracing::info!(target: "zr::l1", error = %err, window, "reading fewer momentums per request");
                        continue;
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

/// About how many bytes of JSON a momentum with its blocks takes (data travels as base64).
fn estimated_bytes(momentum: &DetailedMomentum) -> u64 {
    1024 + momentum.blocks.iter().map(|b| 1024 + b.block.data.len() as u64 * 4 / 3).sum::<u64>()
}

/// The next window after a request of `window` momentums that brought `received` weighing `bytes`: as many
/// as fit [`REQUEST_BYTES`] at that weight, between 1 and [`BATCH`], growing at most twofold.
fn window_for(bytes: u64, received: u64, window: u64) -> u64 {
    let per_momentum = (bytes / received.max(1)).max(1);
    (REQUEST_BYTES / per_momentum).clamp(1, BATCH).min(window * 2)
}

/// The account blocks of a momentum sent to `inbox`, in momentum content order.
pub fn inbox_blocks<'a>(momentum: &'a DetailedMomentum, inbox: &'a Address) -> impl Iterator<Item = &'a AccountBlock> {
    momentum
        .blocks
        .iter()
        .map(|b| &b.block)
        .filter(move |b| b.to_address == *inbox && b.kind() == Some(BlockType::UserSend))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_follow_the_weight_of_momentums() {
        let full = 100 * (1024 + 16 * 1024 * 4 / 3) + 1024;
        assert_eq!(window_for(0, 0, BATCH), BATCH);
        assert_eq!(window_for(full * 3, 3, 3), 3);
        assert_eq!(window_for(full * 50, 50, 50), REQUEST_BYTES / full);
        // One full momentum for a request of 50 (the rest not produced yet) weighs as one, not a fiftieth.
        assert_eq!(window_for(full, 1, 50), REQUEST_BYTES / full);
        assert_eq!(window_for(10, 1, 1), 2, "grows at most twofold");
        assert_eq!(window_for(u64::MAX / 2, 1, 1), 1, "never below one");
    }
}

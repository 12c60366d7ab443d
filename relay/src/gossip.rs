//! Transaction gossip between relays: what a relay admits from its users it publishes; what peers publish is
//! checked as a user's transaction would be before it is kept and forwarded (garbage and bad signatures are
//! rejected, which penalises the peer; stateful refusals such as far-future nonces are ignored), and held as
//! the other relay's to bundle.

use std::sync::Arc;

use tokio::sync::Semaphore;
use zr_p2p::{P2p, Verdict};

use crate::admission::Rejection;
use crate::service::Relay;

/// Transactions a second one peer may gossip, sustained (relays forward their users' traffic).
pub const PEER_RATE: u32 = 5_000;
/// Transactions one peer may gossip at once.
pub const PEER_BURST: u32 = 10_000;
/// Gossiped transactions being admitted at once.
const CONCURRENT: usize = 256;

/// Admits what peers gossip until the gossip node stops.
pub async fn consume(relay: Arc<Relay>, mut p2p: P2p) {
    let slots = Arc::new(Semaphore::new(CONCURRENT));
    while let Some(message) = p2p.inbound.recv().await {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let (relay, verdicts) = (relay.clone(), p2p.verdicts.clone());
        tokio::spawn(async move {
            let verdict = match relay.admit_gossiped(&message.data).await {
                Ok(true) => Verdict::Accept,
                Ok(false) => Verdict::Ignore,
                Err(
                    rejection @ (Rejection::Malformed(_)
                    | Rejection::WrongChain { .. }
                    | Rejection::BadSignature(_)
                    | Rejection::Limits(_)),
                ) => {
                    tracing::debug!(target: "zr::relay", peer = %message.from, error = %rejection, "invalid gossiped transaction");
                    Verdict::Reject
                }
                Err(rejection) => {
                    tracing::debug!(target: "zr::relay", peer = %message.from, error = %rejection, "gossiped transaction not kept");
                    Verdict::Ignore
                }
            };
            let _ = verdicts.send((message, verdict)).await;
            drop(slot);
        });
    }
}

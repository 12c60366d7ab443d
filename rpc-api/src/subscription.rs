//! Serving a subscription while its client is there: from a broadcast channel, as the devnet's and the executor's
//! do, or from any stream of items, as the relay's status follower does.

use std::future::Future;

use jsonrpsee::core::server::SubscriptionSink;
use tokio::sync::broadcast::{self, error::RecvError};

/// The next event for a subscription's client, or `None` once the client has gone or the channel is closed. A
/// client too slow for the channel misses the events it fell behind on: it re-reads what it missed by height,
/// as znnd's clients do.
pub async fn next_event<T: Clone>(events: &mut broadcast::Receiver<T>, sink: &SubscriptionSink) -> Option<T> {
    let received = async {
        loop {
            match events.recv().await {
                Ok(event) => return Some(event),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            }
        }
    };
    while_open(sink, received).await
}

/// `next`'s item, or `None` as soon as the subscription's client has gone (what `next` was waiting for is
/// dropped then).
pub async fn while_open<T>(sink: &SubscriptionSink, next: impl Future<Output = Option<T>>) -> Option<T> {
    tokio::select! {
        item = next => item,
        () = sink.closed() => None,
    }
}

//! Serving a subscription from a broadcast channel, as the devnet's and the executor's do.

use jsonrpsee::core::server::SubscriptionSink;
use tokio::sync::broadcast::{self, error::RecvError};

/// The next event for a subscription's client, or `None` once the client has gone or the channel is closed. A
/// client too slow for the channel misses the events it fell behind on: it re-reads what it missed by height,
/// as znnd's clients do.
pub async fn next_event<T: Clone>(events: &mut broadcast::Receiver<T>, sink: &SubscriptionSink) -> Option<T> {
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(event) => return Some(event),
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return None,
            },
            () = sink.closed() => return None,
        }
    }
}

//! JSON-RPC batches processed concurrently. jsonrpsee runs the calls of a batch one after the other, so a
//! batch of submissions would wait on each one's account lookup and durable write in turn; this middleware
//! runs them together (their writes then share one group commit) and answers in the batch's order.

use jsonrpsee::core::middleware::{Batch, BatchEntry, Notification, RpcServiceT};
use jsonrpsee::core::server::{BatchResponseBuilder, MethodResponse};
use jsonrpsee::types::Request;

/// Wraps the RPC service so batches run concurrently.
#[derive(Clone)]
pub struct ConcurrentBatch<S> {
    service: S,
    max_response_bytes: usize,
}

impl<S> ConcurrentBatch<S> {
    /// Wraps `service`; a batch's answer is capped at `max_response_bytes`.
    pub fn new(service: S, max_response_bytes: usize) -> Self {
        ConcurrentBatch { service, max_response_bytes }
    }
}

impl<S: zr_rpc_api::metrics::Wrapped> RpcServiceT for ConcurrentBatch<S> {
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        self.service.call(request)
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let service = self.service.clone();
        let limit = self.max_response_bytes;
        async move {
            let mut notified = false;
            let answers = futures::future::join_all(batch.into_iter().map(|entry| {
                let service = service.clone();
                let is_notification = matches!(entry, Ok(BatchEntry::Notification(_)));
                notified |= is_notification;
                async move {
                    match entry {
                        Ok(BatchEntry::Call(request)) => Some(service.call(request).await),
                        Ok(BatchEntry::Notification(notification)) => {
                            service.notification(notification).await;
                            None
                        }
                        Err(err) => {
                            let (err, id) = err.into_parts();
                            Some(MethodResponse::error(id, err))
                        }
                    }
                }
            }))
            .await;
            let mut response = BatchResponseBuilder::new_with_limit(limit);
            for answer in answers.into_iter().flatten() {
                if let Err(too_large) = response.append(answer) {
                    return too_large;
                }
            }
            if response.is_empty() && notified {
                MethodResponse::notification()
            } else {
                MethodResponse::from_batch(response.finish())
            }
        }
    }

    fn notification<'a>(&self, n: Notification<'a>) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.service.notification(n)
    }
}

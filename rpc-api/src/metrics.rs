//! RPC metrics, a jsonrpsee middleware for every server of the API: every call's time and whether it
//! failed, by method. Only the API's own method names become labels (anything else counts as `other`), so a
//! client cannot grow the metrics by inventing names.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use jsonrpsee::core::middleware::{Batch, Notification, RpcServiceT};
use jsonrpsee::core::server::MethodResponse;
use jsonrpsee::types::Request;
use zr_common::metrics::{CounterVec, HistogramVec};

/// The label of calls to methods the API does not have.
const OTHER: &str = "other";
/// The label of whole batches.
const BATCH: &str = "batch";

/// What the middleware records into.
#[derive(Clone)]
pub struct RpcMetrics {
    /// The API's method names.
    pub methods: Arc<BTreeSet<&'static str>>,
    /// Seconds per call, by method.
    pub seconds: HistogramVec,
    /// Calls answered with an error, by method.
    pub errors: CounterVec,
}

/// The RPC middleware that times every call, including each call of a batch.
#[derive(Clone)]
pub struct Timed<S> {
    service: S,
    metrics: RpcMetrics,
}

impl RpcMetrics {
    /// Registers `<prefix>_rpc_seconds{method}` and `<prefix>_rpc_errors_total{method}` for the methods of
    /// `module`.
    pub fn register<C>(
        registry: &zr_common::metrics::Registry,
        prefix: &str,
        module: &jsonrpsee::RpcModule<C>,
    ) -> Self {
        let metrics = RpcMetrics {
            methods: Arc::new(module.method_names().collect()),
            seconds: registry.histogram_vec(
                &format!("{prefix}_rpc_seconds"),
                "Time to answer an RPC call, by method",
                &["method"],
                zr_common::metrics::LATENCY_BUCKETS,
            ),
            errors: registry.counter_vec(
                &format!("{prefix}_rpc_errors_total"),
                "RPC calls answered with an error, by method",
                &["method"],
            ),
        };
        // Every method's error count from zero, so a dashboard shows the methods before their first error.
        for method in metrics.methods.iter() {
            metrics.errors.with_label_values(&[method]);
        }
        metrics
    }
}

/// What the RPC middlewares here and in the relay wrap: a jsonrpsee server service that answers a call, a
/// batch and a notification each with one `MethodResponse`.
pub trait Wrapped:
    RpcServiceT<MethodResponse = MethodResponse, BatchResponse = MethodResponse, NotificationResponse = MethodResponse>
    + Send
    + Sync
    + Clone
    + 'static
{
}

impl<T> Wrapped for T where
    T: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Send
        + Sync
        + Clone
        + 'static
{
}

impl<S> Timed<S> {
    /// Wraps `service`.
    pub fn new(service: S, metrics: RpcMetrics) -> Self {
        Timed { service, metrics }
    }
}

impl<S: Wrapped> RpcServiceT for Timed<S> {
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let method = request.method_name();
        // A `&'static str` from the method table: no allocation per call.
        let label = self.metrics.methods.get(method).copied().unwrap_or(OTHER);
        let (service, metrics) = (self.service.clone(), self.metrics.clone());
        async move {
            let started = Instant::now();
            let response = service.call(request).await;
            metrics.seconds.with_label_values(&[label]).observe(started.elapsed().as_secs_f64());
            if response.is_error() {
                metrics.errors.with_label_values(&[label]).inc();
            }
            response
        }
    }

    /// A batch this layer sees whole (no layer above fans it out) is timed as one, labelled `batch`.
    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let (service, metrics) = (self.service.clone(), self.metrics.clone());
        async move {
            let started = Instant::now();
            let response = service.batch(batch).await;
            metrics.seconds.with_label_values(&[BATCH]).observe(started.elapsed().as_secs_f64());
            response
        }
    }

    fn notification<'a>(&self, n: Notification<'a>) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.service.notification(n)
    }
}

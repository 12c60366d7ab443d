//! Metrics and the ops endpoint every daemon serves: `/metrics` (Prometheus text), `/health`, `/ready`.
//!
//! Metrics are the `prometheus` crate's, registered in one [`Registry`] per daemon (so several daemons in
//! one process, as in tests and `zr up`, keep theirs apart), with the process' own (memory, CPU, open files)
//! beside them. Names follow `zr_<daemon>_<name>` with `_total`, `_seconds` and `_bytes` suffixes; labels
//! are few and bounded (method, result, reason, stage), never a hash or an address.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use prometheus::{Encoder, HistogramOpts, Opts, TextEncoder};
use tokio::net::TcpListener;

pub use prometheus::{HistogramVec, IntCounterVec as CounterVec, IntGaugeVec as GaugeVec};

/// Latency buckets in seconds, from a fast RPC call to a slow momentum.
pub const LATENCY_BUCKETS: &[f64] =
    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// A monotonically increasing count.
#[derive(Debug, Clone)]
pub struct Counter(prometheus::IntCounter);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.inc_by(n);
    }

    /// Adds one.
    pub fn inc(&self) {
        self.0.inc();
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

/// A value that goes up and down.
#[derive(Debug, Clone)]
pub struct Gauge(prometheus::IntGauge);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: u64) {
        self.0.set(i64::try_from(value).unwrap_or(i64::MAX));
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        u64::try_from(self.0.get()).unwrap_or(0)
    }
}

/// Durations, as a histogram in seconds ([`LATENCY_BUCKETS`]).
#[derive(Debug, Clone)]
pub struct Timer(prometheus::Histogram);

impl Timer {
    /// Records one duration.
    pub fn observe(&self, duration: Duration) {
        self.0.observe(duration.as_secs_f64());
    }

    /// How many durations were recorded.
    pub fn count(&self) -> u64 {
        self.0.get_sample_count()
    }
}

/// A daemon's metrics.
#[derive(Clone)]
pub struct Registry(prometheus::Registry);

impl Default for Registry {
    fn default() -> Self {
        let registry = prometheus::Registry::new();
        // The process' memory, CPU and file descriptors (Linux; absent elsewhere).
        #[cfg(target_os = "linux")]
        let _ = registry.register(Box::new(prometheus::process_collector::ProcessCollector::for_self()));
        Registry(registry)
    }
}

impl Registry {
    fn register<C: prometheus::core::Collector + Clone + 'static>(&self, collector: C) -> C {
        // Names are fixed in the code, so a clash is a bug, caught by every test that starts the daemon.
        self.0.register(Box::new(collector.clone())).expect("metric names are unique and valid");
        collector
    }

    /// Registers a counter; `name` should end in `_total`.
    pub fn counter(&self, name: &str, help: &str) -> Arc<Counter> {
        let counter = prometheus::IntCounter::new(name, help).expect("valid metric name");
        Arc::new(Counter(self.register(counter)))
    }

    /// Registers a gauge.
    pub fn gauge(&self, name: &str, help: &str) -> Arc<Gauge> {
        let gauge = prometheus::IntGauge::new(name, help).expect("valid metric name");
        Arc::new(Gauge(self.register(gauge)))
    }

    /// Registers a latency histogram; `name` should end in `_seconds`.
    pub fn timer(&self, name: &str, help: &str) -> Arc<Timer> {
        let opts = HistogramOpts::new(name, help).buckets(LATENCY_BUCKETS.to_vec());
        Arc::new(Timer(self.register(prometheus::Histogram::with_opts(opts).expect("valid metric name"))))
    }

    /// Registers a family of counters told apart by `labels`.
    pub fn counter_vec(&self, name: &str, help: &str, labels: &[&str]) -> CounterVec {
        self.register(CounterVec::new(Opts::new(name, help), labels).expect("valid metric name"))
    }

    /// Registers a family of gauges told apart by `labels`.
    pub fn gauge_vec(&self, name: &str, help: &str, labels: &[&str]) -> GaugeVec {
        self.register(GaugeVec::new(Opts::new(name, help), labels).expect("valid metric name"))
    }

    /// Registers a family of histograms with `buckets`, told apart by `labels`.
    pub fn histogram_vec(&self, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
        let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
        self.register(HistogramVec::new(opts, labels).expect("valid metric name"))
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        // Encoding into memory fails only on invalid metric families, which registration refuses.
        let _ = TextEncoder::new().encode(&self.0.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

fn answer(request: &Request<Incoming>, registry: &Registry, ready: &AtomicBool) -> Response<Full<Bytes>> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, "the ops endpoint answers GET\n".into());
    }
    match request.uri().path() {
        "/metrics" => text(StatusCode::OK, registry.render()),
        "/health" => text(StatusCode::OK, "ok\n".into()),
        "/ready" if ready.load(Ordering::Relaxed) => text(StatusCode::OK, "ready\n".into()),
        "/ready" => text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n".into()),
        _ => text(StatusCode::NOT_FOUND, "not found: try /metrics, /health or /ready\n".into()),
    }
}

/// Serves `/metrics`, `/health` (200 while the process runs) and `/ready` (200 once `ready` is set, 503
/// before) over HTTP/1.1 on `addr`; returns the bound address and the task (abort it to stop).
pub async fn serve_ops(
    addr: SocketAddr,
    registry: Arc<Registry>,
    ready: Arc<AtomicBool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(target: "zr::ops", error = %e, "cannot accept an ops connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (registry, ready) = (registry.clone(), ready.clone());
            let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                let response = answer(&request, &registry, &ready);
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(async move {
                let connection = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(5))
                    .serve_connection(TokioIo::new(stream), service);
                if let Err(e) = connection.await {
                    tracing::debug!(target: "zr::ops", error = %e, "ops connection ended");
                }
            });
        }
    });
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_render_as_prometheus_text_with_labels() {
        let registry = Registry::default();
        let admitted = registry.counter("zr_test_admitted_total", "Admitted");
        let rejected = registry.counter_vec("zr_test_rejected_total", "Refused", &["reason"]);
        let held = registry.gauge("zr_test_held", "Held");
        let took = registry.timer("zr_test_step_seconds", "A step");
        admitted.add(3);
        rejected.with_label_values(&["nonce"]).inc();
        held.set(7);
        took.observe(Duration::from_millis(3));
        let text = registry.render();
        assert!(text.contains("# TYPE zr_test_admitted_total counter\nzr_test_admitted_total 3"), "{text}");
        assert!(text.contains("zr_test_rejected_total{reason=\"nonce\"} 1"), "{text}");
        assert!(text.contains("zr_test_held 7"), "{text}");
        assert!(text.contains("zr_test_step_seconds_bucket{le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("zr_test_step_seconds_count 1"), "{text}");
        assert_eq!(took.count(), 1);
    }

    async fn get(addr: SocketAddr, request: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn the_ops_endpoint_answers_health_readiness_and_metrics() {
        let registry = Arc::new(Registry::default());
        registry.counter("zr_test_seen_total", "Seen").inc();
        let ready = Arc::new(AtomicBool::new(false));
        let (addr, task) = serve_ops("127.0.0.1:0".parse().unwrap(), registry, ready.clone()).await.unwrap();
        let ask = |path: &str| format!("GET {path} HTTP/1.1\r\nhost: ops\r\nconnection: close\r\n\r\n");
        assert!(get(addr, &ask("/ready")).await.starts_with("HTTP/1.1 503"));
        ready.store(true, Ordering::Relaxed);
        assert!(get(addr, &ask("/ready")).await.starts_with("HTTP/1.1 200"));
        assert!(get(addr, &ask("/health")).await.starts_with("HTTP/1.1 200"));
        let metrics = get(addr, &ask("/metrics")).await;
        assert!(metrics.starts_with("HTTP/1.1 200") && metrics.contains("zr_test_seen_total 1"), "{metrics}");
        assert!(get(addr, &ask("/other")).await.starts_with("HTTP/1.1 404"));
        let post = "POST /metrics HTTP/1.1\r\nhost: ops\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
        assert!(get(addr, post).await.starts_with("HTTP/1.1 405"));
        assert!(get(addr, "garbage\r\n\r\n").await.starts_with("HTTP/1.1 400"), "a malformed request is refused");
        task.abort();
    }

    #[test]
    #[should_panic(expected = "metric names are unique")]
    fn a_name_registered_twice_is_a_bug() {
        let registry = Registry::default();
        registry.counter("zr_test_twice_total", "Once");
        registry.counter("zr_test_twice_total", "Twice");
    }
}

//! Metrics and the ops endpoint every daemon serves: `/metrics` (Prometheus text), `/health`, `/ready`.
//!
//! Metric names follow `zr_<crate>_<name>` with `_total`, `_seconds` and `_bytes` suffixes.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A monotonically increasing count.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one.
    pub fn inc(&self) {
        self.add(1);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Durations: a count and a sum in seconds, enough for Prometheus' `rate(sum)/rate(count)`.
#[derive(Debug, Default)]
pub struct Timer {
    count: AtomicU64,
    nanos: AtomicU64,
}

impl Timer {
    /// Records one duration.
    pub fn observe(&self, duration: std::time::Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.nanos.fetch_add(u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    }
}

enum Metric {
    Counter(Arc<Counter>),
    Gauge(Arc<Gauge>),
    Timer(Arc<Timer>),
}

/// A set of named metrics.
#[derive(Default)]
pub struct Registry {
    metrics: Mutex<Vec<(String, String, Metric)>>,
}

impl Registry {
    fn add(&self, name: &str, help: &str, metric: Metric) {
        self.metrics.lock().unwrap_or_else(|p| p.into_inner()).push((name.into(), help.into(), metric));
    }

    /// Registers a counter; `name` should end in `_total`.
    pub fn counter(&self, name: &str, help: &str) -> Arc<Counter> {
        let metric = Arc::new(Counter::default());
        self.add(name, help, Metric::Counter(metric.clone()));
        metric
    }

    /// Registers a gauge.
    pub fn gauge(&self, name: &str, help: &str) -> Arc<Gauge> {
        let metric = Arc::new(Gauge::default());
        self.add(name, help, Metric::Gauge(metric.clone()));
        metric
    }

    /// Registers a timer; `name` should end in `_seconds`.
    pub fn timer(&self, name: &str, help: &str) -> Arc<Timer> {
        let metric = Arc::new(Timer::default());
        self.add(name, help, Metric::Timer(metric.clone()));
        metric
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (name, help, metric) in self.metrics.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let _ = writeln!(out, "# HELP {name} {help}");
            match metric {
                Metric::Counter(c) => {
                    let _ = writeln!(out, "# TYPE {name} counter\n{name} {}", c.get());
                }
                Metric::Gauge(g) => {
                    let _ = writeln!(out, "# TYPE {name} gauge\n{name} {}", g.get());
                }
                Metric::Timer(t) => {
                    let count = t.count.load(Ordering::Relaxed);
                    let secs = t.nanos.load(Ordering::Relaxed) as f64 / 1e9;
                    let _ = writeln!(out, "# TYPE {name} summary\n{name}_sum {secs}\n{name}_count {count}");
                }
            }
        }
        out
    }
}

/// Serves `/metrics`, `/health` (200 while the process runs) and `/ready` (200 once `ready` is set) on
/// `addr`; returns the bound address. Each connection gets one response and is closed.
pub async fn serve_ops(
    addr: SocketAddr,
    registry: Arc<Registry>,
    ready: Arc<AtomicBool>,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else { continue };
            let registry = registry.clone();
            let ready = ready.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 1024];
                let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut buf)).await;
                let Ok(Ok(n)) = read else { return };
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("");
                let (status, body) = match path {
                    "/metrics" => ("200 OK", registry.render()),
                    "/health" => ("200 OK", "ok\n".to_owned()),
                    "/ready" if ready.load(Ordering::Relaxed) => ("200 OK", "ready\n".to_owned()),
                    "/ready" => ("503 Service Unavailable", "not ready\n".to_owned()),
                    _ => ("404 Not Found", "not found: try /metrics, /health or /ready\n".to_owned()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    Ok((bound, task))
}

//! Per-client limits of the public RPC: the relay accepts connections itself (jsonrpsee's own loop does not
//! say who is calling), caps the connections one IP address holds open, tags every HTTP request and
//! WebSocket with its caller's IP, and a middleware refuses calls beyond the caller's rate with
//! [`codes::rejected::RATE_LIMITED`], so one flooding client slows only itself.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use jsonrpsee::core::middleware::{Batch, Notification, RpcServiceT};
use jsonrpsee::core::server::MethodResponse;
use jsonrpsee::server::HttpRequest;
use jsonrpsee::types::{ErrorObjectOwned, Request};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use zr_common::metrics::Counter;
use zr_common::rate::KeyedRates;
use zr_rpc_api::codes;

/// IP addresses whose call rate is tracked at most (the stalest are forgotten beyond it).
const TRACKED_IPS: usize = 65_536;
/// Calls that take an executor's scarce slots (a read-only call runs wasm, two at a time; a witness is built
/// one at a time): each client may make [`HEAVY_CALLS_PER_SECOND`] of them, so one cannot starve the rest.
pub const HEAVY_METHODS: [&str; 4] =
    ["rollup.call", "rollup.getWitness", "rollup.getWitnessFor", "rollup.getClaimLeaves"];
/// Heavy calls a second one client may make (with a burst of twice that), while per-client limits are on.
pub const HEAVY_CALLS_PER_SECOND: u32 = 10;

/// The client an address counts as: an IPv4 address (IPv4-mapped IPv6 included) is itself; an IPv6 address
/// counts as its /64, which one host or subscriber holds whole (keying on the full address let one client be
/// 2^64 clients).
pub fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
    }
}

/// The limits of one client IP address.
#[derive(Debug, Clone, Copy)]
pub struct ClientLimits {
    /// Calls a second sustained (every call of a batch counts); 0 means no limit.
    pub calls_per_second: u32,
    /// Calls at once before the rate applies.
    pub burst: u32,
    /// Connections (HTTP keep-alive or WebSocket) open at once.
    pub connections: u32,
}

/// The caller of a request, put in the request's extensions by the accept loop.
#[derive(Debug, Clone, Copy)]
struct RemoteIp(IpAddr);

/// The call rates of every client, shared by all connections.
#[derive(Clone)]
pub struct CallRates {
    rates: Option<Arc<Mutex<KeyedRates<IpAddr>>>>,
    heavy: Arc<Mutex<KeyedRates<IpAddr>>>,
    per_second: u32,
    refused: Arc<Counter>,
}

impl CallRates {
    /// Rates for `limits`; each refusal counts in `refused`.
    pub fn new(limits: &ClientLimits, refused: Arc<Counter>) -> CallRates {
        let rates = (limits.calls_per_second > 0).then(|| {
            let burst = limits.burst.max(limits.calls_per_second);
            Arc::new(Mutex::new(KeyedRates::new(limits.calls_per_second, burst, TRACKED_IPS)))
        });
        let heavy = KeyedRates::new(HEAVY_CALLS_PER_SECOND, 2 * HEAVY_CALLS_PER_SECOND, TRACKED_IPS);
        CallRates { rates, heavy: Arc::new(Mutex::new(heavy)), per_second: limits.calls_per_second, refused }
    }

    /// `None` when the call may go on, else the refusal.
    fn refuse(&self, request: &Request<'_>) -> Option<ErrorObjectOwned> {
        let rates = self.rates.as_ref()?;
        let RemoteIp(ip) = *request.extensions().get::<RemoteIp>()?;
        let now = Instant::now();
        if HEAVY_METHODS.contains(&request.method_name()) && !self.heavy.lock().expect("rates lock").allow(&ip, now) {
            self.refused.inc();
            return Some(ErrorObjectOwned::owned(
                codes::rejected::RATE_LIMITED,
                format!(
                    "rate limited: {ip} makes more than {HEAVY_CALLS_PER_SECOND} calls a second of {}; slow down \
                     and retry",
                    HEAVY_METHODS.join(", ")
                ),
                None::<()>,
            ));
        }
        if rates.lock().expect("rates lock").allow(&ip, now) {
            return None;
        }
        self.refused.inc();
        Some(ErrorObjectOwned::owned(
            codes::rejected::RATE_LIMITED,
            format!("rate limited: {ip} sends more than {} calls a second; slow down and retry", self.per_second),
            None::<()>,
        ))
    }
}

/// The RPC middleware that applies [`CallRates`] to every call, including each call of a batch.
#[derive(Clone)]
pub struct RateLimited<S> {
    service: S,
    rates: CallRates,
}

impl<S> RateLimited<S> {
    /// Wraps `service`.
    pub fn new(service: S, rates: CallRates) -> Self {
        RateLimited { service, rates }
    }
}

impl<S: zr_rpc_api::metrics::Wrapped> RpcServiceT for RateLimited<S> {
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, request: Request<'a>) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let refusal = self.rates.refuse(&request);
        let service = self.service.clone();
        async move {
            match refusal {
                Some(refusal) => MethodResponse::error(request.id(), refusal),
                None => service.call(request).await,
            }
        }
    }

    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        self.service.batch(batch)
    }

    fn notification<'a>(&self, n: Notification<'a>) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.service.notification(n)
    }
}

/// Open connections per IP address; a [`ConnectionSlot`] gives its place back when dropped.
#[derive(Clone, Default)]
pub struct OpenConnections(Arc<Mutex<BTreeMap<IpAddr, u32>>>);

/// One connection's place in [`OpenConnections`].
pub struct ConnectionSlot {
    open: OpenConnections,
    ip: IpAddr,
}

impl OpenConnections {
    /// A place for one more connection from `ip`, unless it holds `cap` already.
    pub fn take(&self, ip: IpAddr, cap: u32) -> Option<ConnectionSlot> {
        let mut open = self.0.lock().expect("connections lock");
        let count = open.entry(ip).or_insert(0);
        if *count >= cap {
            return None;
        }
        *count += 1;
        Some(ConnectionSlot { open: self.clone(), ip })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().expect("connections lock");
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// A connection's place, carried in each request's extensions: jsonrpsee keeps a WebSocket request's
/// extensions for as long as the socket is open, so an upgraded connection keeps its place too (the HTTP
/// connection that carried the upgrade ends at the upgrade).
#[derive(Clone)]
struct HeldSlot(#[allow(dead_code)] Arc<ConnectionSlot>);

/// Tags `request` with its caller, for [`RateLimited`], and with its connection's place.
pub fn tag_caller<B>(mut request: HttpRequest<B>, ip: IpAddr, slot: &Arc<ConnectionSlot>) -> HttpRequest<B> {
    request.extensions_mut().insert(RemoteIp(ip));
    request.extensions_mut().insert(HeldSlot(slot.clone()));
    request
}

/// Answers a connection over its IP's cap with 429 and closes it.
pub async fn refuse_connection(mut socket: TcpStream, ip: IpAddr, cap: u32) {
    let body = format!("{ip} holds {cap} connections to this relay already; close one first\n");
    let answer = format!(
        "HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = socket.write_all(answer.as_bytes()).await;
    let _ = socket.shutdown().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hardening #8: per-IP limits keyed on the full IPv6 address, so one host with a /64 was 2^64 clients.
    fn request_from(ip: IpAddr, method: &str) -> Request<'_> {
        let mut request = Request::borrowed(method, None, jsonrpsee::types::Id::Number(1));
        request.extensions_mut().insert(RemoteIp(ip));
        request
    }

    /// Hardening #8: the executor runs two read-only calls at a time for everyone, so one client at ~70 calls a
    /// second starved the rest. Heavy calls are rated per client, apart from the general rate.
    #[test]
    fn one_client_cannot_take_every_heavy_call() {
        let limits = ClientLimits { calls_per_second: 2_000, burst: 20_000, connections: 64 };
        let refused = zr_common::metrics::Registry::default().counter("refused", "refused calls");
        let rates = CallRates::new(&limits, refused);
        let (flooder, other): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let allowed = (0..100).filter(|_| rates.refuse(&request_from(flooder, "rollup.call")).is_none()).count();
        assert_eq!(allowed, 2 * HEAVY_CALLS_PER_SECOND as usize, "the burst, then refused");
        let refusal = rates.refuse(&request_from(flooder, "rollup.getWitnessFor")).unwrap();
        assert_eq!(refusal.code(), codes::rejected::RATE_LIMITED);
        assert!(rates.refuse(&request_from(flooder, "rollup.getBalance")).is_none(), "light calls go on");
        assert!(rates.refuse(&request_from(other, "rollup.call")).is_none(), "another client is served");
    }

    #[test]
    fn an_ipv6_client_is_its_slash_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_of(a), client_of(b));
        assert_eq!(client_of(a), "2001:db8:1:2::".parse::<IpAddr>().unwrap());
        assert_ne!(client_of(a), client_of(other));
        let mapped: IpAddr = "::ffff:10.0.0.7".parse().unwrap();
        assert_eq!(client_of(mapped), "10.0.0.7".parse::<IpAddr>().unwrap());
        let v4: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(client_of(v4), v4);
        let open = OpenConnections::default();
        let _held = open.take(client_of(a), 1).unwrap();
        assert!(open.take(client_of(b), 1).is_none(), "another address of the same /64 is the same client");
    }
}

//! The web explorer: a static page (HTML, JavaScript and CSS built into the binary, nothing fetched from
//! elsewhere) served under `/explorer` on the executor's RPC port, which it then talks to over JSON-RPC
//! (HTTP for reads, WebSocket for the live claims); and the RPC methods it needs ([`rpc`]).

pub mod rpc;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, LOCATION, X_CONTENT_TYPE_OPTIONS};
use http::{Method, StatusCode};
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use tower::{Layer, Service};

/// The explorer's path on the RPC port.
pub const PATH: &str = "/explorer";

/// The explorer's files: path under [`PATH`], content type, bytes.
const ASSETS: [(&str, &str, &str); 3] = [
    ("/", "text/html; charset=utf-8", include_str!("assets/index.html")),
    ("/app.js", "text/javascript; charset=utf-8", include_str!("assets/app.js")),
    ("/style.css", "text/css; charset=utf-8", include_str!("assets/style.css")),
];

/// Same origin only, nothing inline but styles, no frames: the page shows what untrusted transactions carry.
const POLICY: &str = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; \
                      script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; \
                      frame-ancestors 'none'";

/// The file served for a request path, if it is one of the explorer's.
fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    let rest = path.strip_prefix(PATH)?;
    ASSETS.iter().find(|(name, _, _)| *name == rest).map(|(_, kind, body)| (*kind, *body))
}

fn response(
    status: StatusCode,
    builder: impl FnOnce(http::response::Builder) -> http::response::Builder,
    body: &'static str,
) -> HttpResponse {
    builder(HttpResponse::builder().status(status))
        .body(HttpBody::from(body))
        .unwrap_or_else(|_| HttpResponse::new(HttpBody::from("")))
}

/// Serves the explorer's files on `GET /explorer…`; every other request goes on to the RPC server.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExplorerLayer;

impl<S> Layer<S> for ExplorerLayer {
    type Service = Explorer<S>;

    fn layer(&self, inner: S) -> Explorer<S> {
        Explorer { inner }
    }
}

/// The service [`ExplorerLayer`] makes.
#[derive(Debug, Clone)]
pub struct Explorer<S> {
    inner: S,
}

impl<S, B> Service<HttpRequest<B>> for Explorer<S>
where
    S: Service<HttpRequest<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let path = request.uri().path();
        if request.method() != Method::GET || !(path == PATH || path.starts_with("/explorer/")) {
            return Box::pin(self.inner.call(request));
        }
        let answer = if path == PATH {
            // Relative asset paths resolve under the directory.
            response(StatusCode::PERMANENT_REDIRECT, |b| b.header(LOCATION, "/explorer/"), "")
        } else {
            match asset(path) {
                Some((kind, body)) => response(
                    StatusCode::OK,
                    |b| {
                        b.header(CONTENT_TYPE, kind)
                            .header(CACHE_CONTROL, "no-cache")
                            .header(CONTENT_SECURITY_POLICY, POLICY)
                            .header(X_CONTENT_TYPE_OPTIONS, "nosniff")
                    },
                    body,
                ),
                None => response(
                    StatusCode::NOT_FOUND,
                    |b| b.header(CONTENT_TYPE, "text/plain; charset=utf-8"),
                    "no such explorer file\n",
                ),
            }
        };
        Box::pin(async move { Ok(answer) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_explorers_files_are_served() {
        assert_eq!(asset("/explorer/").map(|a| a.0), Some("text/html; charset=utf-8"));
        assert!(asset("/explorer/app.js").is_some());
        assert!(asset("/explorer/../Cargo.toml").is_none());
        assert!(asset("/explorer/style.css/").is_none());
        assert!(asset("/other/").is_none());
    }
}

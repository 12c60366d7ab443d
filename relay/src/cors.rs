//! CORS for browser wallets: the origins the operator allows (none by default).

use tower_http::cors::{AllowOrigin, Any, CorsLayer};

/// The CORS layer for `origins` (`*` allows any), or none when the list is empty.
pub fn layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        AllowOrigin::list(origins.iter().filter_map(|o| o.parse().ok()))
    };
    Some(CorsLayer::new().allow_origin(allow).allow_methods(Any).allow_headers(Any))
}

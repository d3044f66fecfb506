//! One log line and one metrics update per HTTP request, under a request id.
//!
//! The line has the request id, route, status, duration and, for GraphQL, the operation name, its
//! cost and its outcome. Never the query text, variables or response: they hold personal data
//! (names, emails, comments) and filter values.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

use crate::ops::metrics::{Metrics, Outcome};

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request's id: the caller's `X-Request-Id` when it is a sane token, else a new one. Sent back
/// in the response's `X-Request-Id` and in every log line of the request.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// What the GraphQL handler tells the log line and the metrics (a response extension).
#[derive(Clone, Debug)]
pub struct GraphqlOutcome {
    pub operation: String,
    pub outcome: Outcome,
    pub cost: Option<usize>,
    /// The API key's name (never the key).
    pub principal: Option<String>,
}

/// Operation name recorded when the request named none that the document defines.
pub const UNKNOWN_OPERATION: &str = "unknown";

pub async fn observe(State(metrics): State<Arc<Metrics>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(request.headers());
    let route = route_of(request.uri().path());
    let method = request.method().clone();
    request.extensions_mut().insert(RequestId(id.clone()));
    let in_flight = metrics.request_started();
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    drop(in_flight);
    let seconds = started.elapsed().as_secs_f64();
    let duration_ms = (seconds * 1e6).round() / 1e3;
    let status = response.status().as_u16();
    metrics.http_request(route, status);
    let graphql = response.extensions().get::<GraphqlOutcome>().cloned().or_else(|| {
        // Refused before GraphQL ran (wrong method, media type, oversized or malformed body).
        (route == "/graphql").then(|| GraphqlOutcome {
            operation: UNKNOWN_OPERATION.to_owned(),
            outcome: Outcome::Rejected,
            cost: None,
            principal: None,
        })
    });
    let _entered = span.enter();
    match graphql {
        Some(graphql) => {
            metrics.graphql_request(&graphql.operation, graphql.outcome, seconds, graphql.cost);
            tracing::info!(
                request_id = %id,
                method = %method,
                route,
                status,
                duration_ms,
                operation = %graphql.operation,
                cost = graphql.cost,
                outcome = graphql.outcome.as_str(),
                key = graphql.principal.as_deref(),
                "graphql request"
            );
        }
        // Probes and scrapes come every few seconds: keep them out of the info log.
        None if matches!(route, "/healthz" | "/readyz" | "/metrics") => {
            tracing::debug!(request_id = %id, method = %method, route, status, duration_ms, "http request");
        }
        None => tracing::info!(request_id = %id, method = %method, route, status, duration_ms, "http request"),
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    response
}

/// The routes by name: a fixed set, so an attacker's paths do not become metric labels.
fn route_of(path: &str) -> &'static str {
    match path {
        "/" => "/",
        "/graphql" => "/graphql",
        "/graphql/ws" => "/graphql/ws",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        _ if path.starts_with("/graphiql/") => "/graphiql/{file}",
        _ => "unmatched",
    }
}

fn request_id(headers: &HeaderMap) -> String {
    let given = headers.get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok());
    match given {
        Some(id) if is_sane_id(id) => id.to_owned(),
        _ => new_request_id(),
    }
}

/// Up to 128 characters of letters, digits and `-_.:`: what tracing systems send, and nothing that
/// could forge a log line.
fn is_sane_id(id: &str) -> bool {
    (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

/// 16 hex digits: a per-process prefix (start time and pid) and a counter, unique without a
/// random-number dependency.
fn new_request_id() -> String {
    static PREFIX: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = *PREFIX.get_or_init(|| {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        nanos ^ std::process::id().rotate_left(16)
    });
    format!("{prefix:08x}{:08x}", COUNTER.fetch_add(1, Ordering::Relaxed) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_taken_when_sane_and_made_otherwise() {
        let mut headers = HeaderMap::new();
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("trace-1.a:b_c"));
        assert_eq!(request_id(&headers), "trace-1.a:b_c");
        headers.insert(REQUEST_ID_HEADER, HeaderValue::from_static("bad id\" level=error"));
        let made = request_id(&headers);
        assert_eq!(made.len(), 16);
        assert_ne!(made, request_id(&HeaderMap::new()));
        assert!(!is_sane_id(&"x".repeat(129)));
    }

    #[test]
    fn graphiql_files_share_one_route_name() {
        assert_eq!(route_of("/graphiql/graphiql.min.0123456789ab.js"), "/graphiql/{file}");
        assert_eq!(route_of("/graphiqlx"), "unmatched");
    }
}

//! HTTP: routes, GraphQL-over-HTTP handling, the browser pages (GraphiQL, the dashboard), and the
//! operational endpoints.

mod compression;
mod dashboard;
mod graphiql;
pub(crate) mod graphql;
mod media;
mod ops;
pub mod origins;
mod pages;
mod websocket;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::Method;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, ETAG, RETRY_AFTER};
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::auth::Authenticator;
use crate::auth::failures::AuthFailures;
use crate::db::Databases;
use crate::graphql::gate::Gate;
use crate::http::origins::Origins;
use crate::ops::lifecycle::Lifecycle;
use crate::ops::metrics::Metrics;
use crate::ops::request_log::observe;

pub use crate::graphql::gate::persisted;

/// What every handler needs.
#[derive(Clone)]
pub struct HttpState {
    pub gate: Gate,
    pub databases: Databases,
    pub metrics: Arc<Metrics>,
    pub lifecycle: Lifecycle,
    pub max_body_bytes: usize,
    pub auth: Authenticator,
    pub auth_failures: AuthFailures,
    pub origins: Origins,
}

/// How long browsers may cache a CORS preflight answer.
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(600);

pub fn router(state: HttpState) -> Router {
    let metrics = state.metrics.clone();
    let origins = state.origins.clone();
    let cors = cors(&origins);
    // The WebSocket route is added after the compression layer, which applies only to the routes
    // before it: an upgrade has no body to compress, and its messages are framed by the socket.
    Router::new()
        .route("/", get(graphiql::page))
        .route("/graphiql/{file}", get(graphiql::asset))
        .route("/dashboard", get(dashboard::page))
        .route("/dashboard/persisted-queries.json", get(dashboard::persisted_queries))
        .route("/dashboard/{file}", get(dashboard::asset))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .layer(compression::layer())
        .layer(axum::middleware::map_response(compression::weaken_etag))
        .route("/graphql/ws", get(websocket::websocket))
        .with_state(state)
        .layer(cors)
        .layer(axum::middleware::from_fn_with_state(origins, origins::only_loopback_hosts))
        .layer(axum::middleware::from_fn_with_state(metrics, observe))
}

/// CORS for the pages `origins` allows: GET and POST with `Authorization` and `Content-Type`. Never
/// with credentials (cookies): a key travels in `Authorization`, which is why `*` is safe to allow.
fn cors(origins: &Origins) -> CorsLayer {
    let allow_origin = if origins.is_any() {
        AllowOrigin::any()
    } else {
        let origins = origins.clone();
        AllowOrigin::predicate(move |origin, _| origins.allows(origin))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE])
        // A page may read how long to wait after a 429 or 503, and revalidate GET answers.
        .expose_headers([RETRY_AFTER, ETAG])
        .max_age(PREFLIGHT_MAX_AGE)
}

//! HTTP: routes, GraphQL-over-HTTP handling, GraphiQL, and the operational endpoints.

pub(crate) mod graphql;
mod media;
mod ops;
pub mod persisted;

use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::extract::ws::{CloseFrame, Message};
use axum::extract::{State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};

use crate::auth::Authenticator;
use crate::auth::rate_limit::RateLimiter;
use crate::db::Databases;
use crate::graphql::AppSchema;
use crate::graphql::limits::Limits;
use crate::http::persisted::PersistedQueries;
use crate::loaders::Loaders;
use crate::ops::lifecycle::Lifecycle;
use crate::ops::metrics::Metrics;
use crate::ops::request_log::observe;

/// What every handler needs.
#[derive(Clone)]
pub struct HttpState {
    pub schema: AppSchema,
    pub databases: Databases,
    pub metrics: Arc<Metrics>,
    pub lifecycle: Lifecycle,
    pub max_body_bytes: usize,
    pub auth: Authenticator,
    pub persisted: PersistedQueries,
    pub limits: Limits,
    pub rate_limiter: RateLimiter,
}

pub fn router(state: HttpState) -> Router {
    let metrics = state.metrics.clone();
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(websocket))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(metrics, observe))
}

/// GraphiQL, the in-browser IDE, talking to `/graphql` (and `/graphql/ws` for subscriptions).
async fn graphiql() -> Html<String> {
    Html(
        async_graphql::http::GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("customer-insights")
            .finish(),
    )
}

/// WebSocket close code 1001: the server is going away.
const GOING_AWAY: u16 = 1001;

/// Subscriptions over WebSocket, graphql-transport-ws (and the older graphql-ws) protocol. Each
/// connection gets its own loaders, batching on the thread pool as subscription events arrive one by
/// one, and reads the primary: an event announces a write the replica may not have yet. When the
/// server stops, the connection's subscriptions end and it is closed with 1001 (going away), so
/// clients reconnect elsewhere instead of seeing a broken connection.
///
/// The API key comes from the upgrade request's `Authorization` header or, for browsers (which cannot
/// set headers on a WebSocket), from `Authorization` in the `connection_init` payload. A missing or bad
/// key closes the connection (1002, the reason in the close frame) before any subscription starts.
async fn websocket(
    State(state): State<HttpState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("<invalid>").to_owned());
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| async move {
            let _open = state.metrics.websocket_opened();
            let _held = state.lifecycle.hold();
            let db = state.databases.primary.connection.clone();
            let auth = state.auth.clone();
            let on_init = move |payload: serde_json::Value| async move {
                let from_payload = ["Authorization", "authorization"]
                    .iter()
                    .find_map(|key| payload.get(*key).and_then(|v| v.as_str()).map(str::to_owned));
                let principal = auth
                    .authenticate(header.or(from_payload).as_deref())
                    .await
                    .map_err(|failure| async_graphql::Error::new(failure.to_string()))?;
                let mut data = async_graphql::Data::default();
                data.insert(principal);
                data.insert(Loaders::spawned(&db));
                Ok(data)
            };
            let (mut sink, stream) = socket.split();
            let lifecycle = state.lifecycle.clone();
            let stream = stream.take_until(async move { lifecycle.stopping().await });
            GraphQLWebSocket::new_with_pair(&mut sink, stream, state.schema.clone(), protocol)
                .on_connection_init(on_init)
                .serve()
                .await;
            if state.lifecycle.is_stopping() {
                let frame = CloseFrame { code: GOING_AWAY, reason: "the server is shutting down".into() };
                let _ = sink.send(Message::Close(Some(frame))).await;
                let _ = sink.close().await;
            }
        })
        .into_response()
}

//! GraphQL over WebSocket (graphql-transport-ws, and the older graphql-ws), on `/graphql/ws`.
//!
//! Every operation of a socket passes the same gate as HTTP requests (`SocketExecutor`), under the
//! principal of the socket's key. Around the protocol:
//! - the key comes from the upgrade request's `Authorization` header or, for browsers (which cannot set
//!   headers on a WebSocket), from `Authorization` in the `connection_init` payload; a missing or bad
//!   key closes the socket (1002, the reason in the close frame) before anything runs;
//! - a bad key counts as a failed authentication of the client's address, and an address slowed down
//!   for sending bad keys gets 429 instead of an upgrade;
//! - a socket that sends no `connection_init` in time (10 s by default) is closed (4408);
//! - the key is checked again every `RECHECK` and the socket closed (4403) once it is revoked;
//! - at most `--max-subscriptions` subscriptions run at once on one socket;
//! - messages are bounded like request bodies;
//! - when the server stops, the socket is closed with 1001 (going away), so clients reconnect elsewhere.
//!
//! Subscriptions get loaders of their own, batching on the thread pool as events arrive one by one, and
//! read the primary: an event announces a write the replica may not have yet.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::header::{AUTHORIZATION, HOST, ORIGIN, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures_util::stream::BoxStream;
use futures_util::{SinkExt, StreamExt};

use crate::auth::authenticator::AuthFailure;
use crate::auth::{Authenticator, Principal};
use crate::graphql::gate::answer::within_bytes;
use crate::graphql::gate::limits::LimitExceeded;
use crate::graphql::gate::{Gate, Refusal, Transport};
use crate::http::HttpState;
use crate::loaders::Loaders;

/// How often a socket's key is checked again (keys are cached for `KEY_CACHE_TTL`, so a revoked key's
/// socket closes within the sum of both).
const RECHECK: Duration = Duration::from_secs(1);

/// Close codes of graphql-transport-ws and RFC 6455.
const GOING_AWAY: u16 = 1001;
const INIT_TIMED_OUT: u16 = 4408;
const FORBIDDEN: u16 = 4403;

pub async fn websocket(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> HttpResponse {
    // A browser page from another site must not drive the API with the user's reach (cross-site
    // WebSocket hijacking): browsers always send `Origin`; other clients need not. The server's own
    // pages (GraphiQL) are of its own origin.
    if let Some(origin) = headers.get(ORIGIN)
        && !state.origins.allows_socket(origin, headers.get(HOST))
    {
        let message = "this origin may not open a WebSocket here (see --allowed-origins)";
        return (StatusCode::FORBIDDEN, message).into_response();
    }
    // An address that keeps sending bad keys waits, over HTTP and WebSocket alike.
    if let Err(seconds) = state.auth_failures.check(peer.ip()) {
        let message = format!("too many missing or bad API keys from this address; retry in {seconds} s");
        return (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, seconds.to_string())], message).into_response();
    }
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("<invalid>").to_owned());
    let max_message = state.max_body_bytes;
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| serve(state, socket, protocol, header, peer.ip()))
        .into_response()
}

/// The socket's principal, set by `connection_init`, and the key it came with (to check it again).
#[derive(Default)]
pub struct Session {
    principal: Mutex<Option<Principal>>,
    key: Mutex<Option<String>>,
    subscriptions: AtomicUsize,
}

impl Session {
    fn principal(&self) -> Option<Principal> {
        self.principal.lock().ok().and_then(|p| p.clone())
    }
}

async fn serve(state: HttpState, socket: WebSocket, protocol: GraphQLProtocol, header: Option<String>, peer: IpAddr) {
    let _open = state.metrics.websocket_opened();
    let _held = state.lifecycle.hold();
    let session = Arc::new(Session::default());
    let (initialized, init_done) = tokio::sync::oneshot::channel::<()>();
    let on_init = {
        let (auth, failures, session) = (state.auth.clone(), state.auth_failures.clone(), session.clone());
        let db = state.databases.primary.connection.clone();
        move |payload: serde_json::Value| async move {
            let from_payload = ["Authorization", "authorization"]
                .iter()
                .find_map(|key| payload.get(*key).and_then(|v| v.as_str()).map(str::to_owned));
            let key = header.or(from_payload);
            let principal = auth.authenticate(key.as_deref()).await.map_err(|failure| {
                if matches!(failure, AuthFailure::Invalid | AuthFailure::Missing) {
                    failures.record(peer);
                }
                async_graphql::Error::new(failure.to_string())
            })?;
            if let (Ok(mut slot), Ok(mut key_slot)) = (session.principal.lock(), session.key.lock()) {
                *slot = Some(principal);
                *key_slot = key;
            }
            let _ = initialized.send(());
            let mut data = Data::default();
            data.insert(Loaders::spawned(&db));
            Ok(data)
        }
    };
    let (mut sink, stream) = socket.split();
    let lifecycle = state.lifecycle.clone();
    let stream = stream.take_until(async move { lifecycle.stopping().await });
    let executor = SocketExecutor { gate: state.gate.clone(), session: session.clone() };
    let closed = {
        let protocol_run =
            GraphQLWebSocket::new_with_pair(&mut sink, stream, executor, protocol).on_connection_init(on_init).serve();
        tokio::select! {
            () = protocol_run => None,
            () = init_timeout(state.gate.limits().websocket_init_timeout, init_done) => Some((INIT_TIMED_OUT, "connection initialisation timeout")),
            () = revoked(&state.auth, &session) => Some((FORBIDDEN, "the API key was revoked")),
        }
    };
    let close = match closed {
        Some(close) => Some(close),
        None if state.lifecycle.is_stopping() => Some((GOING_AWAY, "the server is shutting down")),
        None => None,
    };
    if let Some((code, reason)) = close {
        let _ = sink.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
        let _ = sink.close().await;
    }
}

/// Completes when `connection_init` has not arrived in time; never once it has.
async fn init_timeout(timeout: Duration, init_done: tokio::sync::oneshot::Receiver<()>) {
    if tokio::time::timeout(timeout, init_done).await.is_err() {
        return;
    }
    std::future::pending().await
}

/// Completes once the socket's key stops being valid (revoked, or its row deleted).
async fn revoked(auth: &Authenticator, session: &Session) {
    let mut ticks = tokio::time::interval(RECHECK);
    loop {
        ticks.tick().await;
        let key = session.key.lock().ok().and_then(|k| k.clone());
        if let Some(key) = key
            && let Err(AuthFailure::Invalid | AuthFailure::Missing) = auth.authenticate(Some(&key)).await
        {
            if let Ok(mut principal) = session.principal.lock() {
                *principal = None;
            }
            return;
        }
    }
}

/// Runs a socket's operations through the gate, as its principal.
#[derive(Clone)]
struct SocketExecutor {
    gate: Gate,
    session: Arc<Session>,
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: Request) -> Response {
        self.execute_stream(request, None).next().await.unwrap_or_default()
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        // The protocol runs operations only after `connection_init` succeeded; a principal is missing
        // only once the key was revoked (the socket is closing).
        let Some(principal) = self.session.principal() else {
            let refusal =
                async_graphql::ServerError::new("the API key is not valid (unknown, revoked or malformed)", None);
            return futures_util::stream::once(async move { Response::from_errors(vec![refusal]) }).boxed();
        };
        let refuse = |refusal: Refusal| futures_util::stream::once(async move { refusal.into_response() }).boxed();
        let admitted = match self.gate.admit(request, &principal, Transport::WebSocket) {
            Ok(admitted) => admitted,
            Err(refusal) => return refuse(refusal),
        };
        let session_data = session_data.unwrap_or_default();
        let max_bytes = self.gate.limits().max_response_bytes;
        if admitted.kind != Some(OperationType::Subscription) {
            return self
                .gate
                .stream(admitted, session_data)
                .map(move |response| within_bytes(response, max_bytes))
                .boxed();
        }
        let maximum = self.gate.limits().max_subscriptions;
        let running = self.session.subscriptions.fetch_add(1, Ordering::AcqRel);
        let slot = SubscriptionSlot(self.session.clone());
        if running >= maximum {
            let exceeded = LimitExceeded {
                limit: "number of subscriptions on one connection",
                maximum: maximum as u64,
                actual: running as u64 + 1,
            };
            return refuse(Refusal::Subscriptions { operation: admitted.operation.clone(), exceeded });
        }
        // The slot is given back when the stream ends or is dropped (stopped by the client).
        self.gate
            .stream(admitted, session_data)
            .map(move |response| {
                let _ = &slot;
                within_bytes(response, max_bytes)
            })
            .boxed()
    }
}

/// One running subscription of a socket.
struct SubscriptionSlot(Arc<Session>);

impl Drop for SubscriptionSlot {
    fn drop(&mut self) {
        self.0.subscriptions.fetch_sub(1, Ordering::AcqRel);
    }
}

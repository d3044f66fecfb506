//! HTTP: routes, GraphQL-over-HTTP handling and GraphiQL.

mod graphql;
mod media;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::graphql::AppSchema;
use crate::loaders::Loaders;

/// What every handler needs.
#[derive(Clone)]
pub struct HttpState {
    pub schema: AppSchema,
    pub db: sea_orm::DatabaseConnection,
    pub max_body_bytes: usize,
}

pub fn router(state: HttpState) -> Router {
    Router::new()
        .route("/", get(graphiql))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/graphql/ws", get(websocket))
        .with_state(state)
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

/// Subscriptions over WebSocket, graphql-transport-ws (and the older graphql-ws) protocol. Each
/// connection gets its own loaders, batching on the thread pool as subscription events arrive one by one.
async fn websocket(State(state): State<HttpState>, protocol: GraphQLProtocol, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            let mut data = async_graphql::Data::default();
            data.insert(Loaders::spawned(&state.db));
            GraphQLWebSocket::new(stream, state.schema.clone(), protocol).with_data(data).serve()
        })
        .into_response()
}

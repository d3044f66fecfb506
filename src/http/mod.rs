//! HTTP: routes, GraphQL-over-HTTP handling and GraphiQL.

mod graphql;
mod media;

use axum::Router;
use axum::response::Html;
use axum::routing::get;

use crate::graphql::AppSchema;

/// What every handler needs.
#[derive(Clone)]
pub struct HttpState {
    pub schema: AppSchema,
    pub db: sea_orm::DatabaseConnection,
    pub max_body_bytes: usize,
}

pub fn router(state: HttpState) -> Router {
    Router::new().route("/", get(graphiql)).route("/graphql", get(graphql::get).post(graphql::post)).with_state(state)
}

/// GraphiQL, the in-browser IDE, talking to `/graphql`.
async fn graphiql() -> Html<String> {
    Html(async_graphql::http::GraphiQLSource::build().endpoint("/graphql").title("customer-insights").finish())
}

//! The GraphQL API: thin resolvers that parse arguments, call the data layer and map rows to types.

pub mod connection;
pub mod cost;
pub mod customers;
pub mod enums;
pub mod feedback;
pub mod inputs;
pub mod insights;
pub mod mutations;
pub mod node;
pub mod order_summary;
pub mod orders;
pub mod query;
pub mod scalars;
pub mod subscriptions;
pub mod touchpoints;

use std::sync::Arc;

use async_graphql::Schema;
use sea_orm::DatabaseConnection;

use crate::events::FeedbackEvents;
use crate::graphql::mutations::MutationRoot;
use crate::graphql::query::QueryRoot;
use crate::graphql::subscriptions::SubscriptionRoot;
use crate::ops::metrics::Metrics;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Builds the schema around the primary database (the default of requests that do not choose one),
/// the event bus and the metrics. No I/O happens here.
pub fn build_schema(db: DatabaseConnection, events: FeedbackEvents, metrics: Arc<Metrics>) -> AppSchema {
    schema_builder().data(db).data(events).data(metrics).extension(cost::CostRecorder).finish()
}

fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).register_output_type::<node::Node>()
}

/// The schema without a database: enough for SDL and introspection, not for resolving data.
pub fn schema_without_data() -> AppSchema {
    schema_builder().finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_without_data().sdl()
}

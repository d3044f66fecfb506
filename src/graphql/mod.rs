//! The GraphQL API: thin resolvers that parse arguments, call the data layer and map rows to types.

pub mod clv;
pub mod complaints;
pub mod connection;
mod connection_fields;
pub mod customers;
pub mod deletions;
pub mod enums;
pub mod feedback;
pub mod gate;
pub mod inputs;
pub mod insights;
pub mod mutations;
pub mod node;
pub mod order_summary;
pub mod orders;
pub mod page_nodes;
pub mod plain_values;
pub mod planned;
pub mod prefetch;
pub mod query;
pub mod row_times;
pub mod scalars;
pub mod subscriptions;
pub mod touchpoints;

use std::sync::Arc;

use async_graphql::{SDLExportOptions, Schema};
use sea_orm::DatabaseConnection;

use crate::events::Events;
use crate::graphql::gate::limits::Limits;
use crate::graphql::mutations::MutationRoot;
use crate::graphql::query::QueryRoot;
use crate::graphql::subscriptions::SubscriptionRoot;
use crate::ops::metrics::Metrics;
use crate::rollups::CountSource;
use crate::services::writes::AnswerQueue;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What resolvers read besides the database: the limits and where satisfaction counts come from.
/// Everything enforced per request (limits, access, cost, rate limit) is the gate's (`gate`).
#[derive(Clone)]
pub struct SchemaOptions {
    pub limits: Limits,
    pub introspection: bool,
    /// Where satisfaction queries read their counts.
    pub satisfaction_source: CountSource,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions { limits: Limits::default(), introspection: true, satisfaction_source: CountSource::Rollups }
    }
}

/// Builds the schema around the primary database (the default of requests that do not choose one),
/// the event bus, the metrics and the options. No I/O happens here.
pub fn build_schema(
    db: DatabaseConnection,
    events: Events,
    metrics: Arc<Metrics>,
    options: &SchemaOptions,
) -> AppSchema {
    let mut builder = schema_builder()
        .data(AnswerQueue::new(db.clone()))
        .data(db)
        .data(events)
        .data(metrics)
        .data(options.limits.clone())
        .data(options.satisfaction_source)
        // No extensions: every per-request check runs once per document in the gate, and fields resolve
        // on async-graphql's fast path. The gate measured the document before; these are second guards.
        .limit_depth(options.limits.max_depth as usize + 1)
        .limit_recursive_depth(64);
    if !options.introspection {
        builder = builder.disable_introspection();
    }
    builder.finish()
}

fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, MutationRoot, SubscriptionRoot> {
    Schema::build(QueryRoot, MutationRoot, SubscriptionRoot).register_output_type::<node::Node>()
}

/// The schema without a database: enough for SDL and introspection, not for resolving data.
pub fn schema_without_data() -> AppSchema {
    schema_builder().finish()
}

/// The schema in SDL, as committed in `schema.graphql`, with each custom scalar's `@specifiedBy`.
pub fn sdl() -> String {
    schema_without_data().sdl_with_options(SDLExportOptions::new().include_specified_by())
}

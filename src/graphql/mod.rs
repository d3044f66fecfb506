//! The GraphQL API: thin resolvers that parse arguments, call the data layer and map rows to types.

pub mod connection;
pub mod cost;
pub mod customers;
pub mod enums;
pub mod feedback;
pub mod guard;
pub mod inputs;
pub mod insights;
pub mod limits;
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

use crate::auth::policy::{AccessPolicy, IntrospectionDisabled};
use crate::auth::rate_limit::{RateLimit, RateLimiter};
use crate::events::FeedbackEvents;
use crate::graphql::limits::Limits;
use crate::graphql::mutations::MutationRoot;
use crate::graphql::query::QueryRoot;
use crate::graphql::subscriptions::SubscriptionRoot;
use crate::ops::metrics::Metrics;
use crate::rollups::CountSource;

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What the schema enforces besides the types: limits, rate limit, introspection.
#[derive(Clone)]
pub struct SchemaOptions {
    pub limits: Limits,
    pub rate_limiter: RateLimiter,
    pub introspection: bool,
    /// Where satisfaction queries read their counts.
    pub satisfaction_source: CountSource,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        SchemaOptions {
            limits: Limits::default(),
            rate_limiter: RateLimiter::new(RateLimit { burst: 0.0, per_second: 0.0 }),
            introspection: true,
            satisfaction_source: CountSource::Rollups,
        }
    }
}

/// Builds the schema around the primary database (the default of requests that do not choose one),
/// the event bus, the metrics and the options. No I/O happens here.
pub fn build_schema(
    db: DatabaseConnection,
    events: FeedbackEvents,
    metrics: Arc<Metrics>,
    options: &SchemaOptions,
) -> AppSchema {
    let mut builder = schema_builder()
        .data(db)
        .data(events)
        .data(metrics)
        .data(options.limits.clone())
        .data(options.rate_limiter.clone())
        .data(options.satisfaction_source)
        .extension(guard::RequestGuard)
        .extension(AccessPolicy)
        .extension(cost::CostControl)
        // The document's shape is checked before execution (`limits::check_document`); this is a
        // second guard for the depth, with async-graphql's own message.
        .limit_depth(options.limits.max_depth as usize + 1)
        .limit_recursive_depth(64);
    if !options.introspection {
        builder = builder.disable_introspection().data(IntrospectionDisabled);
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

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_without_data().sdl()
}

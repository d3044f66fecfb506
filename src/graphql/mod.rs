//! The GraphQL API: thin resolvers that parse arguments, call the data layer and map rows to types.

pub mod connection;
pub mod customers;
pub mod enums;
pub mod feedback;
pub mod inputs;
pub mod insights;
pub mod node;
pub mod order_summary;
pub mod orders;
pub mod query;
pub mod scalars;
pub mod touchpoints;

use async_graphql::{EmptyMutation, EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::graphql::query::QueryRoot;

pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

/// Builds the schema around a database handle. No I/O happens here.
pub fn build_schema(db: DatabaseConnection) -> AppSchema {
    schema_builder().data(db).finish()
}

fn schema_builder() -> async_graphql::SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot, EmptyMutation, EmptySubscription).register_output_type::<node::Node>()
}

/// The schema without a database: enough for SDL and introspection, not for resolving data.
pub fn schema_without_data() -> AppSchema {
    schema_builder().finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    schema_without_data().sdl()
}

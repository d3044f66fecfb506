//! customer-insights: a GraphQL server that turns post-purchase data into satisfaction and loyalty
//! insights. A guided tour, from the outside in:

/// API keys, roles, the field policy and the rate limit.
pub mod auth;
/// The command line (`serve`, `migrate`, `seed`, `import`, `export`, `schema`, `keys`, `rollups`, `clv`),
/// its settings from flags, environment variables and a TOML file.
pub mod cli;
/// Connecting, migrating, counting SQL statements; the primary and the read replica, their health;
/// hand-written SQL.
pub mod db;
/// Domain values parsed at the boundary (global IDs, money, timestamps) and rules SQL and Rust share.
pub mod domain;
/// The one application error type and its `code` extensions.
pub mod error;
/// Live feedback events for subscriptions (PostgreSQL LISTEN/NOTIFY across instances).
pub mod events;
/// One entry point to every decoder of untrusted bytes, for fuzzers.
pub mod fuzzing;
/// The GraphQL schema: types, inputs, connections.
pub mod graphql;
/// HTTP routes and GraphQL-over-HTTP handling.
pub mod http;
/// Per-request batch loaders behind every relation field.
pub mod loaders;
/// Operating it: metrics, request logs, shutdown.
pub mod ops;
/// Satisfaction rollups: kept exact by every write, read by satisfaction queries.
pub mod rollups;
/// The deterministic synthetic data set behind `seed` and `serve --demo`.
pub mod seed;
/// The data layer: filters, sorting and pagination in SQL.
pub mod services;
/// Building and running the application.
pub mod startup;
/// The pure metric math: histograms in, statistics out.
pub mod stats;
/// Bulk import and export (CSV, NDJSON).
pub mod transfer;

/// The seed of the randomized unit tests: the integration tests' own helper, so that one `TEST_SEED`
/// replays both.
#[cfg(test)]
#[path = "../tests/api/helpers/seed.rs"]
mod test_seed;

//! An insights query as the benchmark runs it: the GraphQL request the server answers, and the
//! hand-written SQL an analyst would run on the same database for the same figures. `check` compares
//! the two answers, so the ratio is between two ways of getting the same numbers.

use sea_orm::{DbBackend, QueryResult};
use serde_json::Value;

pub struct Case {
    /// Short, unique, shown in the table (e.g. `loyalty by segment, 2025`).
    pub name: &'static str,
    /// Whether the server answers it from the satisfaction rollups.
    pub rollups: bool,
    /// The GraphQL document (no variables).
    pub graphql: String,
    /// The hand-written SQL: statements run one after another on one connection, for this backend.
    pub sql: Vec<String>,
    /// Compares the server's `data` with the rows of each statement; `Err` says what differs.
    pub check: fn(&Value, &[Vec<QueryResult>]) -> Result<(), String>,
}

/// Reads an integer column (`BIGINT` on PostgreSQL, `INTEGER` on SQLite).
pub fn int(row: &QueryResult, column: &str) -> Result<i64, String> {
    row.try_get::<i64>("", column).map_err(|e| format!("column {column}: {e}"))
}

/// Reads a nullable float column (`DOUBLE PRECISION` / `REAL`); numeric results must be cast in SQL.
pub fn float(row: &QueryResult, column: &str) -> Result<Option<f64>, String> {
    row.try_get::<Option<f64>>("", column).map_err(|e| format!("column {column}: {e}"))
}

/// Reads a nullable text column.
pub fn text(row: &QueryResult, column: &str) -> Result<Option<String>, String> {
    row.try_get::<Option<String>>("", column).map_err(|e| format!("column {column}: {e}"))
}

/// Equal within floating-point noise (the server computes in f64 in Rust, SQL in the database).
pub fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

pub fn backend_name(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Postgres => "postgres",
        _ => "sqlite",
    }
}

//! Connecting to SQLite or PostgreSQL, migrating, and counting statements.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend, DbErr};

/// The embedded default: a SQLite file next to where the server runs, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://customer-insights.db";

/// Counts the SQL statements a connection runs. Tests use it to prove that a nested page costs a
/// fixed number of statements.
#[derive(Clone, Debug, Default)]
pub struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Clone, Debug)]
pub struct DatabaseOptions {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl DatabaseOptions {
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseOptions { url: url.into(), max_connections: 10, acquire_timeout: Duration::from_secs(5) }
    }
}

/// Opens a connection pool. SQLite files are created if missing and run in WAL mode, so readers do
/// not block the writer; foreign keys are enforced on both backends.
pub async fn connect(options: &DatabaseOptions) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let mut connect = ConnectOptions::new(options.url.clone());
    connect
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5))
                // 64 MiB of page cache per connection (the default is 2 MiB): index pages of large
                // imports and aggregations stay in memory.
                .pragma("cache_size", "-65536")
                .pragma("temp_store", "memory")
        });
    let mut db = Database::connect(connect).await?;
    let counter = StatementCounter::default();
    let count = counter.0.clone();
    db.set_metric_callback(move |info| {
        count.fetch_add(1, Ordering::Relaxed);
        if info.elapsed > Duration::from_millis(200) {
            tracing::warn!(elapsed_ms = info.elapsed.as_millis() as u64, failed = info.failed, "slow SQL statement");
        }
    });
    Ok((db, counter))
}

pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// A short name of the backend for logs.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

//! Connecting to SQLite or PostgreSQL, migrating, counting statements, probing their health (`health`),
//! and hand-written SQL (`sql`).

pub mod data_version;
pub mod deadline;
pub mod health;
pub mod set_aside;
pub mod sql;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use entity::rollups::{ANSWER_ROLLUPS, SURVEY_ROLLUPS};
use entity::{complaint, customer, feedback, order, touchpoint};
use migration::{Migrator, MigratorTrait};

use self::health::DatabaseHealth;
use crate::error::{AppError, AppResult};
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, EntityName, TransactionSession,
    TransactionTrait,
};

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

/// Statements run by every pool of the process, for `/metrics`.
static STATEMENTS_TOTAL: AtomicU64 = AtomicU64::new(0);

pub fn statements_total() -> u64 {
    STATEMENTS_TOTAL.load(Ordering::Relaxed)
}

#[derive(Clone, Debug)]
pub struct DatabaseOptions {
    pub url: String,
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// Open connections on first use rather than now: a replica that is down at start is then
    /// reported by the health probe instead of stopping the server.
    pub lazy: bool,
    /// SQLite page cache of the process, in MiB (ignored on PostgreSQL): what SQLite may hold in memory
    /// however many connections are busy.
    pub sqlite_cache_mib: u32,
    /// The longest a statement may run (PostgreSQL `statement_timeout`); SQLite statements stop at
    /// their request's deadline instead (`deadline`).
    pub statement_timeout: Option<Duration>,
}

impl DatabaseOptions {
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseOptions {
            url: url.into(),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            lazy: false,
            sqlite_cache_mib: DEFAULT_SQLITE_CACHE_MIB,
            statement_timeout: None,
        }
    }
}

/// Opens a connection pool. SQLite files are created if missing and run in WAL mode, so readers do
/// not block the writer; foreign keys are enforced on both backends.
pub async fn connect(options: &DatabaseOptions) -> Result<(DatabaseConnection, StatementCounter), DbErr> {
    let mut connect = ConnectOptions::new(options.url.clone());
    connect
        .max_connections(options.max_connections)
        .acquire_timeout(options.acquire_timeout)
        .connect_lazy(options.lazy)
        .sqlx_logging(false)
        // A connection in steady use is not pinged before each statement (a round trip each); one idle
        // for a while is, so a database restart costs no request an error.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .map_sqlx_sqlite_opts({
            let cache_mib = options.sqlite_cache_mib;
            move |opts| {
                sqlite_options(opts, cache_mib).pragma("soft_heap_limit", (u64::from(cache_mib) << 20).to_string())
            }
        })
        // No JIT compilation: the server's statements are lookups and aggregations over index ranges,
        // which finish in milliseconds, but a join on a list of time ranges is estimated generically
        // (thousands of rows) and crosses `jit_above_cost`, and compiling then costs 20 ms or more.
        .map_sqlx_postgres_opts(|opts| opts.options([("jit", "off")]))
        .map_sqlx_sqlite_before_acquire(|connection, _| Box::pin(stop_at_request_deadline(connection)))
        .map_sqlx_sqlite_pool_opts(|pool| {
            pool.after_connect(|connection, _| {
                Box::pin(async move { stop_at_request_deadline(connection).await.map(|_| ()) })
            })
        });
    if let Some(timeout) = options.statement_timeout {
        connect.statement_timeout(timeout);
    }
    let mut db = Database::connect(connect).await?;
    let counter = StatementCounter::default();
    let count = counter.0.clone();
    db.set_metric_callback(move |info| {
        count.fetch_add(1, Ordering::Relaxed);
        STATEMENTS_TOTAL.fetch_add(1, Ordering::Relaxed);
        if info.elapsed > Duration::from_millis(200) {
            tracing::warn!(elapsed_ms = info.elapsed.as_millis() as u64, failed = info.failed, "slow SQL statement");
        }
    });
    Ok((db, counter))
}

/// How long a pooled connection may sit idle before it is pinged when handed out again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(5);

/// Gives a SQLite connection handed to a request a progress handler that interrupts its statements once
/// the request's deadline has passed; outside a request, one that never does.
async fn stop_at_request_deadline(
    connection: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<bool, sea_orm::sqlx::Error> {
    let deadline = deadline::current();
    let mut handle = connection.lock_handle().await?;
    match deadline {
        Some(deadline) => {
            handle.set_progress_handler(deadline::SQLITE_CHECK_EVERY, move || tokio::time::Instant::now() < deadline)
        }
        None => handle.remove_progress_handler(),
    }
    Ok(true)
}

/// SQLite memory of a process unless told otherwise: the pages of large imports and aggregations stay
/// in memory. See [`sqlite_options`] for how it is shared. The server's peak memory follows it (the
/// dashboard's insights on a million answers: about 145 MiB at 32, 190 at 64), while the insights and
/// imports it serves run within a tenth or so of their speed at 64 (`docs/performance.md`).
pub const DEFAULT_SQLITE_CACHE_MIB: u32 = 32;

/// Pages written to the write-ahead log before a commit folds the log back into the database file (a
/// checkpoint: page writes and an fsync). SQLite's default, 1,000 pages (4 MiB), has a batch of 1,000
/// answers checkpoint every other commit and write the same index pages back again each time; at 4,000
/// pages a batch costs a fifth less, and the log stays at 16 MiB.
const WAL_PAGES_BEFORE_CHECKPOINT: u32 = 4000;

/// SQLite settings of every connection, within `cache_mib` MiB of SQLite memory for the process. A
/// connection's page cache may take half of it, and one of its sorts (`GROUP BY`, `ORDER BY`, index
/// builds) as much again before spilling to temporary files: SQLite sizes a sort's memory by the page
/// cache. SQLite's soft heap limit (one for the process, set by [`connect`]) makes the page caches give
/// pages back as the whole nears the budget, so the connection running a large aggregation gets the room.
pub fn sqlite_options(opts: SqliteConnectOptions, cache_mib: u32) -> SqliteConnectOptions {
    opts.create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5))
        .pragma("cache_size", format!("-{}", u64::from(cache_mib) * 1024 / 2))
        .pragma("wal_autocheckpoint", WAL_PAGES_BEFORE_CHECKPOINT.to_string())
        // Temporary b-trees larger than the page cache spill to temporary files (the operating system's
        // cache, not this process's memory), so a large aggregation cannot grow the heap past the budget.
        .pragma("temp_store", "file")
        // Erased personal data must not linger in free pages of the file.
        .pragma("secure_delete", "on")
}

/// PostgreSQL keeps a prepared statement's plan per connection and, from its sixth run on, may reuse a
/// generic plan, made without the parameters' values, when its estimate looks no worse. An insight's
/// values (a period, a range of customers) decide its plan: run generically, the purchases pass by
/// segment joined each of 62,000 orders to its customer by a nested loop, twice PostgreSQL's CPU of the
/// merge join planned for the values (412 against 182-230 ms a request at a million answers). Insight
/// statements read thousands of rows, so planning them at every run costs next to nothing.
const PLAN_EVERY_RUN: &str = "plan_cache_mode = force_custom_plan";

/// Runs an insight's read in a transaction of its own. On PostgreSQL its statements are planned for
/// their parameters at every run ([`PLAN_EVERY_RUN`]) and with `settings` (`SET LOCAL`, e.g.
/// `enable_hashjoin = off`, for a statement whose best plan PostgreSQL's estimates miss); the settings
/// end with the transaction, so the pooled connection goes back as it was. On SQLite, whose plans do
/// not depend on the values, it is a plain read transaction.
pub async fn analytic_read<D: TransactionTrait, T>(
    db: &D,
    settings: &[&str],
    read: impl AsyncFnOnce(&D::Transaction) -> AppResult<T>,
) -> AppResult<T> {
    let txn = db.begin().await.map_err(AppError::from_db)?;
    if txn.get_database_backend() == DbBackend::Postgres {
        let settings = std::iter::once(&PLAN_EVERY_RUN).chain(settings).map(|setting| format!("SET LOCAL {setting}; "));
        txn.execute_unprepared(&settings.collect::<String>()).await.map_err(AppError::from_db)?;
    }
    let result = read(&txn).await?;
    txn.commit().await.map_err(AppError::from_db)?;
    Ok(result)
}

/// After a bulk write (seed, import, a migration that refills tables, a rollups rebuild), leaves the
/// database as fast to read as before it. PostgreSQL gets fresh planner statistics (autovacuum would get
/// to it later; a plan made for empty tables can be slower by orders of magnitude). SQLite folds its
/// write-ahead log back into the database file and truncates it: a log of hundreds of MiB slows every
/// read that has to look through it until a checkpoint, which a busy reader can postpone indefinitely.
/// SQLite's plans do not depend on statistics unless `ANALYZE` ran once, which this server never does:
/// its statements are written for the plans SQLite makes without them.
pub async fn after_bulk_write(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return checkpoint(db).await;
    }
    let tables = data_tables().into_iter().chain([ANSWER_ROLLUPS, SURVEY_ROLLUPS]).collect::<Vec<_>>();
    db.execute_unprepared(&format!("ANALYZE {}", tables.join(", "))).await?;
    Ok(())
}

/// The tables of the data set (what a seed fills), parents first.
pub fn data_tables() -> [&'static str; 5] {
    [
        customer::Entity.table_name(),
        order::Entity.table_name(),
        touchpoint::Entity.table_name(),
        feedback::Entity.table_name(),
        complaint::Entity.table_name(),
    ]
}

/// The SQLite part of [`after_bulk_write`] (the log folded back), for a bulk write that refreshed its
/// tables' statistics inside its transaction.
pub async fn checkpoint(db: &DatabaseConnection) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        db.execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)").await?;
    }
    Ok(())
}

/// Inside a bulk write's transaction, once `table` has grown: PostgreSQL plans the statements that follow
/// (lookups by external id of the rows just written, foreign-key checks) from the table as it is, instead
/// of from the statistics of an empty table, which would have it scan the table once per lookup (300 ms
/// per batch at 10,000 customers). SQLite plans without statistics.
pub async fn refresh_statistics(txn: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("ANALYZE {table}")).await?;
    }
    Ok(())
}

/// Applies pending migrations; after any, [`after_bulk_write`] (some refill tables).
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    migrate(db, None).await
}

/// Applies up to `steps` pending migrations (all when `None`), then [`after_bulk_write`] if any ran.
pub async fn migrate(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbErr> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    if pending == 0 {
        return Ok(());
    }
    Migrator::up(db, steps).await?;
    let applied = steps.map_or(pending, |steps| pending.min(steps as usize));
    tracing::info!(applied, "database migrated");
    after_bulk_write(db).await
}

/// A short name of the backend for logs.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DbBackend::Postgres => "postgres",
        DbBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// What a request does, which decides the database it runs on.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Access {
    /// Queries: the replica when there is one and it answers, else the primary.
    Read,
    /// Mutations, subscriptions and anything that must read its own writes: always the primary.
    Write,
}

/// A database connection pool and the watcher of its health.
#[derive(Clone)]
pub struct Pool {
    pub connection: DatabaseConnection,
    pub health: Arc<DatabaseHealth>,
}

/// The primary database and an optional read replica.
#[derive(Clone)]
pub struct Databases {
    pub primary: Pool,
    pub replica: Option<Pool>,
}

impl Databases {
    /// Watches the given pools' health (the URLs open the probes' own connections).
    pub async fn watch(
        primary: DatabaseConnection,
        primary_url: &str,
        replica: Option<(DatabaseConnection, &str)>,
    ) -> Result<Self, DbErr> {
        // The primary was just migrated, so it answers; a replica is used once its first probe answers.
        let primary = Pool { connection: primary, health: DatabaseHealth::start("primary", primary_url, true).await? };
        let replica = match replica {
            Some((connection, url)) => {
                Some(Pool { connection, health: DatabaseHealth::start("replica", url, false).await? })
            }
            None => None,
        };
        Ok(Databases { primary, replica })
    }

    /// The pool a request should use, or `None` when every database able to serve it is down.
    pub fn route(&self, access: Access) -> Option<&Pool> {
        let healthy = |pool: &&Pool| pool.health.is_up();
        match access {
            Access::Write => Some(&self.primary).filter(healthy),
            Access::Read => self.replica.as_ref().filter(healthy).or(Some(&self.primary).filter(healthy)),
        }
    }

    pub fn pools(&self) -> impl Iterator<Item = &Pool> {
        std::iter::once(&self.primary).chain(self.replica.as_ref())
    }
}

/// Pool figures of one database, read when `/metrics` is scraped.
#[derive(Clone, Debug)]
pub struct PoolSnapshot {
    pub database: &'static str,
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
    pub up: bool,
}

impl Pool {
    /// Connections in use and idle, and the limit, for `/metrics`.
    pub fn snapshot(&self) -> PoolSnapshot {
        let (size, idle, max) = match self.connection.get_database_backend() {
            DbBackend::Postgres => {
                let pool = self.connection.get_postgres_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            DbBackend::Sqlite => {
                let pool = self.connection.get_sqlite_connection_pool();
                (pool.size(), pool.num_idle(), pool.options().get_max_connections())
            }
            _ => (0, 0, 0),
        };
        let idle = u32::try_from(idle).unwrap_or(u32::MAX).min(size);
        PoolSnapshot { database: self.health.role, in_use: size - idle, idle, max, up: self.health.is_up() }
    }
}

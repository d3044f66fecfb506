//! Whether each database answers, watched in the background, so requests fail fast while it is down
//! and the server recovers by itself when it is back.
//!
//! Without this, every request during an outage would wait the pool's whole acquire timeout (the
//! driver retries a refused connection until then). A probe on a connection of its own (so a busy
//! pool cannot delay it) runs `SELECT 1` every second; a request that meets a connection failure
//! marks the database down at once. While a database is down, requests that need it are answered
//! SERVICE_UNAVAILABLE without touching it; the first successful probe lets them through again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

use super::sqlite_options;

const PROBE_INTERVAL: Duration = Duration::from_secs(1);
/// A probe (or readiness check) slower than this counts as a failure.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

pub struct DatabaseHealth {
    /// `primary` or `replica`: the label in logs, metrics and `/readyz`.
    pub role: &'static str,
    up: AtomicBool,
    probe: DatabaseConnection,
}

/// The answer of a live check, for `/readyz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Up,
    Down(&'static str),
}

impl DatabaseHealth {
    /// Opens the probe connection (lazily: a database that is down at start is reported, not fatal) and
    /// starts probing at once. The probe stops when the last handle is dropped. `initially_up`: whether
    /// requests may use the database before the first probe has answered.
    pub async fn start(role: &'static str, url: &str, initially_up: bool) -> Result<Arc<Self>, DbErr> {
        let mut connect = ConnectOptions::new(url.to_owned());
        connect
            .max_connections(1)
            .min_connections(0)
            .acquire_timeout(PROBE_TIMEOUT)
            .connect_timeout(PROBE_TIMEOUT)
            .connect_lazy(true)
            .sqlx_logging(false)
            // The probe runs `SELECT 1`: it needs no page cache to speak of.
            .map_sqlx_sqlite_opts(|opts| sqlite_options(opts, 1));
        let probe = Database::connect(connect).await?;
        let health = Arc::new(DatabaseHealth { role, up: AtomicBool::new(initially_up), probe });
        tokio::spawn(probe_forever(Arc::downgrade(&health)));
        Ok(health)
    }

    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// A request met a connection failure: stop sending requests until a probe succeeds.
    pub fn report_failure(&self) {
        self.set_up(false);
    }

    fn set_up(&self, up: bool) {
        let was = self.up.swap(up, Ordering::Relaxed);
        match (was, up) {
            (true, false) => {
                tracing::warn!(database = self.role, "database unreachable: answering SERVICE_UNAVAILABLE")
            }
            (false, true) => tracing::info!(database = self.role, "database reachable: serving requests from it"),
            _ => {}
        }
    }

    /// Runs `SELECT 1` now, and records the answer.
    pub async fn check(&self) -> Check {
        let result = tokio::time::timeout(PROBE_TIMEOUT, self.probe.execute_unprepared("SELECT 1")).await;
        let check = match result {
            Ok(Ok(_)) => Check::Up,
            Ok(Err(e)) => {
                tracing::debug!(database = self.role, error = %e, "database probe failed");
                Check::Down("the database does not answer")
            }
            Err(_) => Check::Down("the database answers too slowly"),
        };
        self.set_up(check == Check::Up);
        check
    }

    /// How many migrations the database lacks (on the primary, `serve` applies them at start; a
    /// rolling deployment may leave an older schema behind a newer binary, or the reverse).
    pub async fn pending_migrations(&self) -> Result<usize, Check> {
        match tokio::time::timeout(PROBE_TIMEOUT, Migrator::get_pending_migrations(&self.probe)).await {
            Ok(Ok(pending)) => Ok(pending.len()),
            Ok(Err(_)) => Err(Check::Down("cannot read the migration table")),
            Err(_) => Err(Check::Down("the database answers too slowly")),
        }
    }
}

async fn probe_forever(health: Weak<DatabaseHealth>) {
    loop {
        let Some(strong) = health.upgrade() else { return };
        strong.check().await;
        drop(strong);
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

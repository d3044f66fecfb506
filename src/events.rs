//! Live feedback events for subscriptions. Writes announce the ids of the feedback they created or
//! changed; each server instance hands them to its subscribers.
//!
//! On PostgreSQL the announcement is a `NOTIFY`, delivered to every instance that `LISTEN`s, whichever
//! instance or import wrote, so several instances behind a load balancer all deliver every event. Single
//! writes send it right after they commit; an import sends it inside its transaction, so it is delivered
//! on commit. Elsewhere (SQLite, one process) the writer broadcasts in-process after commit.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::broadcast;

use crate::error::{AppError, AppResult};

const CHANNEL: &str = "feedback_submitted";
/// PostgreSQL limits a notification's payload to 8000 bytes: ids go in chunks well below that.
const IDS_PER_NOTIFICATION: usize = 400;
/// Events a slow subscriber may fall behind by before it skips ahead.
const BUFFER: usize = 4096;

#[derive(Clone)]
pub struct FeedbackEvents {
    sender: broadcast::Sender<i64>,
    backend: DbBackend,
}

impl FeedbackEvents {
    /// Starts listening for notifications on PostgreSQL. The listener reconnects by itself after an outage.
    pub fn start(db: &DatabaseConnection) -> Self {
        let (sender, _) = broadcast::channel(BUFFER);
        let backend = db.get_database_backend();
        if backend == DbBackend::Postgres {
            let pool = db.get_postgres_connection_pool().clone();
            let sender = sender.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = listen(&pool, &sender).await {
                        tracing::warn!(error = %e, "feedback notifications interrupted; listening again");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
        FeedbackEvents { sender, backend }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<i64> {
        self.sender.subscribe()
    }

    /// After a committed write: in-process delivery where the database does not notify.
    pub fn committed(&self, ids: &[i64]) {
        if self.backend != DbBackend::Postgres {
            for id in ids {
                // No subscriber is not an error.
                let _ = self.sender.send(*id);
            }
        }
    }
}

async fn listen(pool: &sea_orm::sqlx::PgPool, sender: &broadcast::Sender<i64>) -> Result<(), sea_orm::sqlx::Error> {
    let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    loop {
        let notification = listener.recv().await?;
        for id in notification.payload().split(',').filter_map(|id| id.parse::<i64>().ok()) {
            let _ = sender.send(id);
        }
    }
}

/// `notify` after a write committed: the write stands whatever happens here, so a failure is logged
/// (subscribers miss these events), not returned to the writer as if the write had failed.
pub async fn notify_committed(db: &impl ConnectionTrait, ids: &[i64]) {
    if let Err(error) = notify(db, ids).await {
        tracing::error!(%error, answers = ids.len(), "subscribers were not told of committed answers");
    }
}

/// Announces feedback ids to every instance on PostgreSQL. Inside a transaction the notification is
/// sent on commit; but PostgreSQL makes every committing transaction that notifies wait for the others
/// (one lock for the whole database), so single writes notify right after they commit instead
/// (`notify_committed`), and keep their commits concurrent. Bulk imports notify inside their one
/// transaction.
pub async fn notify(db: &impl ConnectionTrait, ids: &[i64]) -> AppResult<()> {
    if db.get_database_backend() != DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    for chunk in ids.chunks(IDS_PER_NOTIFICATION) {
        let payload = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        );
        db.execute_raw(statement).await.map_err(AppError::from_db)?;
    }
    Ok(())
}

//! Live events for subscriptions. Writes announce the ids of the rows they created or changed, by
//! topic (answers; complaints opened or reopened); each server instance hands them to its subscribers.
//!
//! On PostgreSQL the announcement is a `NOTIFY` on the topic's channel, delivered to every instance
//! that `LISTEN`s, whichever instance or import wrote, so several instances behind a load balancer all
//! deliver every event. Single writes send it right after they commit; an import sends it inside its
//! transaction, so it is delivered on commit. Elsewhere (SQLite, one process) the writer broadcasts
//! in-process after commit.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use tokio::sync::broadcast;

use crate::error::{AppError, AppResult};

/// What an event announces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topic {
    /// Answers created or changed.
    Feedback,
    /// Complaints opened or reopened.
    Complaints,
}

impl Topic {
    const ALL: [Topic; 2] = [Topic::Feedback, Topic::Complaints];

    /// The PostgreSQL notification channel.
    fn channel(self) -> &'static str {
        match self {
            Topic::Feedback => "feedback_submitted",
            Topic::Complaints => "complaint_opened",
        }
    }
}

/// PostgreSQL limits a notification's payload to 8000 bytes: ids go in chunks well below that.
const IDS_PER_NOTIFICATION: usize = 400;
/// Events a slow subscriber may fall behind by before it skips ahead.
const BUFFER: usize = 4096;

#[derive(Clone)]
pub struct Events {
    feedback: broadcast::Sender<i64>,
    complaints: broadcast::Sender<i64>,
    backend: DbBackend,
}

impl Events {
    /// Starts listening for notifications on PostgreSQL. The listener reconnects by itself after an outage.
    pub fn start(db: &DatabaseConnection) -> Self {
        let events = Events {
            feedback: broadcast::channel(BUFFER).0,
            complaints: broadcast::channel(BUFFER).0,
            backend: db.get_database_backend(),
        };
        if events.backend == DbBackend::Postgres {
            let pool = db.get_postgres_connection_pool().clone();
            let listening = events.clone();
            tokio::spawn(async move {
                loop {
                    if let Err(e) = listening.listen(&pool).await {
                        tracing::warn!(error = %e, "notifications interrupted; listening again");
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            });
        }
        events
    }

    fn sender(&self, topic: Topic) -> &broadcast::Sender<i64> {
        match topic {
            Topic::Feedback => &self.feedback,
            Topic::Complaints => &self.complaints,
        }
    }

    pub fn subscribe(&self, topic: Topic) -> broadcast::Receiver<i64> {
        self.sender(topic).subscribe()
    }

    /// After a committed write: in-process delivery where the database does not notify.
    pub fn committed(&self, topic: Topic, ids: &[i64]) {
        if self.backend != DbBackend::Postgres {
            for id in ids {
                // No subscriber is not an error.
                let _ = self.sender(topic).send(*id);
            }
        }
    }

    async fn listen(&self, pool: &sea_orm::sqlx::PgPool) -> Result<(), sea_orm::sqlx::Error> {
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(pool).await?;
        listener.listen_all(Topic::ALL.map(Topic::channel)).await?;
        loop {
            let notification = listener.recv().await?;
            let Some(topic) = Topic::ALL.into_iter().find(|t| t.channel() == notification.channel()) else { continue };
            for id in notification.payload().split(',').filter_map(|id| id.parse::<i64>().ok()) {
                let _ = self.sender(topic).send(id);
            }
        }
    }
}

/// `notify` after a write committed: the write stands whatever happens here, so a failure is logged
/// (subscribers miss these events), not returned to the writer as if the write had failed.
pub async fn notify_committed(db: &impl ConnectionTrait, topic: Topic, ids: &[i64]) {
    if let Err(error) = notify(db, topic, ids).await {
        tracing::error!(%error, rows = ids.len(), ?topic, "subscribers were not told of committed rows");
    }
}

/// Announces ids to every instance on PostgreSQL. Inside a transaction the notification is sent on
/// commit; but PostgreSQL makes every committing transaction that notifies wait for the others (one
/// lock for the whole database), so single writes notify right after they commit instead
/// (`notify_committed`), and keep their commits concurrent. Bulk imports notify inside their one
/// transaction.
pub async fn notify(db: &impl ConnectionTrait, topic: Topic, ids: &[i64]) -> AppResult<()> {
    if db.get_database_backend() != DbBackend::Postgres || ids.is_empty() {
        return Ok(());
    }
    for chunk in ids.chunks(IDS_PER_NOTIFICATION) {
        let payload = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let statement = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [topic.channel().into(), payload.into()],
        );
        db.execute_raw(statement).await.map_err(AppError::from_db)?;
    }
    Ok(())
}

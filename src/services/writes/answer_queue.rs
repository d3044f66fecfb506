//! Single-answer upserts that arrive together share a transaction. Survey tools push answers one request
//! at a time, many at once; a transaction per answer spends most of its time on round trips, commits and
//! re-counting the same rollup rows. Answers wait in a queue; a few writers each take what has queued
//! (up to [`MAX_BATCH`]) and write it with `upsert_feedbacks`: one transaction, the same rules. Nothing
//! waits on purpose: an answer that finds a writer idle is written at once, alone.
//!
//! Each answer keeps its own outcome. When a shared transaction fails (one answer names an unknown
//! customer, two name the same answer, a conflict outlasted its retries), each of its answers is written
//! again on its own, so only the faulty one fails, with the error `upsert_feedback` gives it. An answer
//! whose request gave up (timeout, closed connection) before a writer took it is not written.

use std::sync::{Arc, OnceLock};

use entity::feedback;
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::{AppError, AppResult};
use crate::services::writes::{FeedbackWrite, MAX_BATCH, Upserted, upsert_feedback, upsert_feedbacks};

type Reply = oneshot::Sender<AppResult<Upserted<feedback::Model>>>;

struct Pending {
    write: FeedbackWrite,
    reply: Reply,
}

/// Answers queued beyond this make new requests wait for room (backpressure, bounded memory).
const QUEUE: usize = 4 * MAX_BATCH;

/// The queue of single-answer upserts to the primary database. Cheap to clone; the writers start with
/// the first answer (they need the runtime).
#[derive(Clone)]
pub struct AnswerQueue {
    db: DatabaseConnection,
    sender: Arc<OnceLock<mpsc::Sender<Pending>>>,
}

impl AnswerQueue {
    pub fn new(db: DatabaseConnection) -> AnswerQueue {
        AnswerQueue { db, sender: Arc::new(OnceLock::new()) }
    }

    /// Upserts one answer, in a transaction shared with the answers queued beside it.
    pub async fn upsert(&self, write: FeedbackWrite) -> AppResult<Upserted<feedback::Model>> {
        let (reply, outcome) = oneshot::channel();
        let sender = self.sender.get_or_init(|| start_writers(&self.db));
        sender
            .send(Pending { write, reply })
            .await
            .map_err(|_| AppError::Internal("the answer writers stopped".into()))?;
        outcome.await.map_err(|_| AppError::Internal("an answer writer stopped before answering".into()))?
    }
}

/// Writers per database: SQLite has one writer at a time, so a second would only wait; PostgreSQL
/// writes several transactions at once, and a few writers keep it busy while each batch stays large.
fn writers(backend: DbBackend) -> usize {
    match backend {
        DbBackend::Postgres => 4,
        _ => 1,
    }
}

fn start_writers(db: &DatabaseConnection) -> mpsc::Sender<Pending> {
    let (sender, receiver) = mpsc::channel(QUEUE);
    let receiver = Arc::new(Mutex::new(receiver));
    for _ in 0..writers(db.get_database_backend()) {
        let (db, receiver) = (db.clone(), receiver.clone());
        tokio::spawn(async move {
            while let Some(batch) = next_batch(&receiver).await {
                write(&db, batch).await;
            }
        });
    }
    sender
}

/// Waits for an answer, then takes whatever else has queued, up to a batch. `None` once every sender
/// is gone.
async fn next_batch(receiver: &Mutex<mpsc::Receiver<Pending>>) -> Option<Vec<Pending>> {
    let mut receiver = receiver.lock().await;
    let first = receiver.recv().await?;
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
        match receiver.try_recv() {
            Ok(pending) => batch.push(pending),
            Err(_) => break,
        }
    }
    Some(batch)
}

async fn write(db: &DatabaseConnection, mut batch: Vec<Pending>) {
    batch.retain(|pending| !pending.reply.is_closed());
    if batch.len() > 1 {
        let writes = batch.iter().map(|pending| pending.write.clone()).collect();
        if let Ok(results) = upsert_feedbacks(db, writes).await {
            for (pending, result) in batch.into_iter().zip(results) {
                // A request that gave up meanwhile needs no answer.
                let _ = pending.reply.send(Ok(result));
            }
            return;
        }
    }
    for pending in batch {
        let result = upsert_feedback(db, pending.write).await;
        let _ = pending.reply.send(result);
    }
}

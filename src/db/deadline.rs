//! A request's deadline, seen by the database layer, so that a request stopped for taking too long
//! stops its statements too, instead of leaving them running after the client got `TIMEOUT`.
//!
//! - SQLite: every connection handed to a request gets a progress handler that interrupts the statement
//!   running on it once the request's deadline has passed (`SQLITE_INTERRUPT`).
//! - PostgreSQL: the server's connections carry `statement_timeout` equal to the request timeout
//!   (`DatabaseOptions::statement_timeout`), so no statement outlives the longest request.

use std::future::Future;

use tokio::time::Instant;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `work` (a request, with the loaders it drives) under `deadline`.
pub async fn scope<F: Future>(deadline: Instant, work: F) -> F::Output {
    DEADLINE.scope(deadline, work).await
}

/// The deadline of the request running on this task, if any.
pub fn current() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

/// SQLite virtual-machine steps between two looks at the clock: about a millisecond of work.
pub const SQLITE_CHECK_EVERY: i32 = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_deadline_is_seen_inside_its_scope_only() {
        assert_eq!(current(), None);
        let deadline = Instant::now();
        assert_eq!(scope(deadline, async { current() }).await, Some(deadline));
    }
}

//! The server's own times on customers, orders, touchpoints and answers (`docs/api.md`, "Incremental
//! extracts"): `recorded_at`, when this server first stored the row, and `updated_at`, when a write last
//! changed it. Every write path stamps them through here: a new row gets both, a changed row a new
//! `updated_at`, and a write that changes nothing (a repeated upsert) leaves both.
//!
//! The time is the server's clock when the write runs, truncated to microseconds as every stored
//! timestamp is (`domain::time`). A write becomes visible when it commits, a little later: extracts
//! overlap their windows by a margin for this (`docs/api.md`).

use chrono::{DateTime, Utc};
use sea_orm::ActiveModelTrait;

use crate::domain::time::normalize;
use crate::error::{AppError, AppResult};
use crate::services::writes::store::Keyed;

/// The columns of a table's row times.
#[derive(Copy, Clone, Debug)]
pub struct TimeColumns<C> {
    pub recorded_at: C,
    pub updated_at: C,
}

/// The time a write stamps on the rows it stores, and on the tombstones of those it deletes.
pub fn now() -> DateTime<Utc> {
    normalize(Utc::now())
}

/// Stamps a row about to be inserted: stored and changed `at`. Rows of tables without times are left.
pub fn stamp_new<E: Keyed>(row: &mut E::ActiveModel, at: DateTime<Utc>) -> AppResult<()> {
    let Some(times) = E::TIMES else { return Ok(()) };
    row.try_set(times.recorded_at, at.into()).map_err(AppError::from_db)?;
    row.try_set(times.updated_at, at.into()).map_err(AppError::from_db)
}

/// Stamps a stored row a write changes: changed `at`. Call it only when something changed.
pub fn stamp_changed<E: Keyed>(row: &mut E::ActiveModel, at: DateTime<Utc>) -> AppResult<()> {
    let Some(times) = E::TIMES else { return Ok(()) };
    row.try_set(times.updated_at, at.into()).map_err(AppError::from_db)
}

//! The server's own times of a row, flattened into `Customer`, `Order`, `Touchpoint` and `Feedback`
//! (written once, described once; `services::writes::times` keeps them).

use async_graphql::SimpleObject;

use crate::graphql::scalars::DateTime;

/// The server's times of a row, as fields of the row's type.
#[derive(SimpleObject)]
pub struct RowTimes {
    /// When this server first stored the row: not a time of the source system (as `createdAt`,
    /// `placedAt` and the like are). For incremental extracts (`docs/api.md`).
    pub recorded_at: DateTime,
    /// When a write last changed the row on this server; a write that changes nothing leaves it. Filter
    /// by it with `updatedSince` and order by it with `UPDATED_AT` to extract the changes since a time.
    pub updated_at: DateTime,
}

impl RowTimes {
    pub fn new(recorded_at: chrono::DateTime<chrono::Utc>, updated_at: chrono::DateTime<chrono::Utc>) -> Self {
        RowTimes { recorded_at: DateTime(recorded_at), updated_at: DateTime(updated_at) }
    }
}

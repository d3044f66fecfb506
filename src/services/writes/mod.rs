//! Writes for admin consoles: upserts by external id, status changes, deletes and erasure. Each call is
//! one transaction. Records arrive checked by their own rules (`validated()`, called by every write
//! path before it writes) and are checked here against the data (references exist, an order belongs to
//! the touchpoint's customer, ...). A refusal is an `AppError::Invalid` naming the record's field, which
//! the caller names in its own terms.

mod answer_queue;
pub(crate) mod complaints;
pub(crate) mod customers;
mod feedback;
mod orders;
pub mod store;
pub mod times;
pub mod tombstones;
mod touchpoints;

pub use crate::domain::validation::{
    ComplaintWrite, CustomerWrite, FeedbackWrite, MAX_BATCH, OrderWrite, TouchpointWrite,
};
pub use answer_queue::AnswerQueue;
pub use complaints::{complaint_row, open_complaint, reopen_complaint, resolve_complaint, respond_to_complaint};
pub use customers::{ERASED, Erased, customer_row, erase_customer, erased_among, upsert_customer};
pub use feedback::{answer_row, delete_feedback, upsert_feedback, upsert_feedbacks};
pub use orders::{order_row, set_order_status, upsert_order};
pub use touchpoints::{delete_touchpoint, touchpoint_row, upsert_touchpoint};

/// The result of an upsert: the row as stored, whether it was new, and whether anything changed.
#[derive(Clone, Debug)]
pub struct Upserted<M> {
    pub model: M,
    pub created: bool,
    pub changed: bool,
}

//! Bounds on an answer, and what it actually cost.
//!
//! Rows: every list the API builds from the database (a connection's page, an insight's rows) takes its
//! rows from the request's `RowBudget` before it is built, so an answer past `--max-response-rows` fails
//! with `LIMIT_EXCEEDED` instead of being assembled in memory. Bytes are checked by the transport once
//! the answer is serialized (`--max-response-bytes`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_graphql::{Context, Response, Value};

use crate::error::{AppError, AppResult, LimitExceeded};

/// The rows an answer may still hold; request data.
#[derive(Clone, Debug)]
pub struct RowBudget {
    maximum: u64,
    used: Arc<AtomicU64>,
}

impl RowBudget {
    pub fn new(maximum: u64) -> Self {
        RowBudget { maximum, used: Arc::default() }
    }

    /// Takes `rows` from the budget, or says the answer would be over it.
    pub fn take(&self, rows: usize) -> Result<(), LimitExceeded> {
        let rows = rows as u64;
        let used = self.used.fetch_add(rows, Ordering::Relaxed).saturating_add(rows);
        if used > self.maximum {
            return Err(LimitExceeded { limit: "number of rows in the answer", maximum: self.maximum, actual: used });
        }
        Ok(())
    }

    /// Gives the whole budget back: a subscription's events are answers of their own.
    pub fn refill(&self) {
        self.used.store(0, Ordering::Relaxed);
    }
}

/// The refusal of an answer of `actual` bytes, past `maximum` (`--max-response-bytes`).
pub fn too_many_bytes(maximum: usize, actual: usize) -> LimitExceeded {
    LimitExceeded { limit: "size of the answer in bytes", maximum: maximum as u64, actual: actual as u64 }
}

/// A WebSocket message's answer, or its refusal when it is over `maximum` bytes once serialized (HTTP
/// checks the body it writes instead, serializing once).
pub fn within_bytes(response: Response, maximum: usize) -> Response {
    match serde_json::to_vec(&response) {
        Ok(bytes) if bytes.len() > maximum => {
            Response::from_errors(vec![too_many_bytes(maximum, bytes.len()).to_server_error()])
        }
        _ => response,
    }
}

/// Takes `rows` from the request's row budget (requests without one, like the SDL export, have none).
pub fn take_rows(ctx: &Context<'_>, rows: usize) -> AppResult<()> {
    match ctx.data_opt::<RowBudget>() {
        Some(budget) => budget.take(rows).map_err(AppError::LimitExceeded),
        None => Ok(()),
    }
}

/// The cost of what was actually answered: one per field present in the answer, in every row. Like the
/// price, but with the real lengths of the lists.
pub fn actual_cost(data: &Value) -> u64 {
    match data {
        Value::Object(fields) => fields.values().map(|value| 1 + actual_cost(value)).sum(),
        Value::List(items) => items.iter().map(actual_cost).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_past_its_maximum_and_the_actual_cost_counts_fields() {
        let budget = RowBudget::new(10);
        assert!(budget.take(6).is_ok() && budget.take(4).is_ok());
        assert_eq!(budget.take(1).unwrap_err().actual, 11);
        let data = Value::from_json(serde_json::json!({
            "customers": { "totalCount": 3, "nodes": [{ "id": 1, "name": "a" }, { "id": 2, "name": "b" }] }
        }))
        .unwrap();
        assert_eq!(actual_cost(&data), 1 + 1 + 1 + 2 * 2);
        assert_eq!(actual_cost(&Value::Null), 0);
    }

    #[test]
    fn a_refilled_budget_bounds_the_next_answer_alone() {
        let budget = RowBudget::new(10);
        let shared = budget.clone();
        assert!(shared.take(10).is_ok());
        budget.refill();
        assert!(shared.take(10).is_ok(), "the clone the request holds sees the refill");
        assert!(shared.take(1).is_err());
    }
}

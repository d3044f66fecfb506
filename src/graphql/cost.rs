//! The cost of an operation, and what it is allowed to cost.
//!
//! The requested cost is async-graphql's complexity, computed while the document is validated (before
//! anything runs): one per field, and a connection costs its page size times its children (see
//! `limits::page_cost`). It is checked against the complexity limit and charged to the key's rate-limit
//! bucket there. The actual cost counts the fields really resolved (a connection's rows times their
//! fields), so a page shorter than asked costs less; the difference is refunded after the request.
//! Both go to the response's `extensions.cost`, in the shape large public GraphQL APIs use.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, NextValidation, ResolveInfo,
};
use async_graphql::{ServerError, ServerResult, ValidationResult, Value};

use crate::auth::Principal;
use crate::auth::rate_limit::{RateLimiter, Throttle};
use crate::error::ErrorCode;
use crate::graphql::limits::{LimitExceeded, Limits};

/// One request's cost figures; request data.
#[derive(Clone, Debug, Default)]
pub struct CostSlot(Arc<CostFigures>);

#[derive(Debug, Default)]
struct CostFigures {
    /// `usize::MAX` until validation computed it.
    requested: AtomicUsize,
    actual: AtomicUsize,
    throttle: Mutex<Option<Throttle>>,
}

impl CostSlot {
    pub fn new() -> Self {
        let slot = CostSlot::default();
        slot.0.requested.store(usize::MAX, Ordering::Relaxed);
        slot
    }

    pub fn requested(&self) -> Option<usize> {
        Some(self.0.requested.load(Ordering::Relaxed)).filter(|cost| *cost != usize::MAX)
    }

    pub fn actual(&self) -> usize {
        self.0.actual.load(Ordering::Relaxed)
    }

    pub fn throttle(&self) -> Option<Throttle> {
        self.0.throttle.lock().ok().and_then(|t| *t)
    }

    fn set_throttle(&self, throttle: Throttle) {
        if let Ok(mut slot) = self.0.throttle.lock() {
            *slot = Some(throttle);
        }
    }

    /// `extensions.cost` of the response.
    pub fn to_extension(&self) -> Option<Value> {
        let requested = self.requested()?;
        let mut cost = serde_json::json!({ "requestedQueryCost": requested, "actualQueryCost": self.actual() });
        if let Some(throttle) = self.throttle() {
            cost["throttleStatus"] = serde_json::json!({
                "maximumAvailable": throttle.maximum_available,
                "currentlyAvailable": throttle.currently_available,
                "restoreRate": throttle.restore_rate,
            });
        }
        Value::from_json(cost).ok()
    }
}

/// Checks and records each request's cost.
pub struct CostControl;

impl ExtensionFactory for CostControl {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostControl)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostControl {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        let cost = result.complexity;
        let Some(slot) = ctx.data_opt::<CostSlot>() else { return Ok(result) };
        slot.0.requested.store(cost, Ordering::Relaxed);
        if let Some(limits) = ctx.data_opt::<Limits>()
            && cost > limits.max_complexity
        {
            let exceeded = LimitExceeded { limit: "cost", maximum: limits.max_complexity as u64, actual: cost as u64 };
            return Err(vec![exceeded.to_server_error()]);
        }
        if let (Some(limiter), Some(principal)) = (ctx.data_opt::<RateLimiter>(), ctx.data_opt::<Principal>()) {
            match limiter.charge(&principal.name, cost as f64) {
                Ok(throttle) => slot.set_throttle(throttle),
                Err(wait) => {
                    let seconds = if wait.is_finite() { wait.ceil().max(1.0) as u64 } else { u64::MAX };
                    let message = format!(
                        "rate limit: this key has spent its query cost budget; retry in {seconds} s (this query costs {cost})"
                    );
                    slot.set_throttle(limiter.status(&principal.name));
                    let mut error = ServerError::new(message, None);
                    let extensions = error.extensions.get_or_insert_with(Default::default);
                    extensions.set("code", ErrorCode::RateLimited.as_str());
                    extensions.set("retryAfterSeconds", seconds);
                    return Err(vec![error]);
                }
            }
        }
        Ok(result)
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if let Some(slot) = ctx.data_opt::<CostSlot>() {
            slot.0.actual.fetch_add(1, Ordering::Relaxed);
        }
        next.run(ctx, info).await
    }
}

//! The cost of an operation: async-graphql's complexity, computed while the document is validated
//! (before anything runs), handed to the HTTP layer for logs and metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextValidation};
use async_graphql::{ServerError, ValidationResult};

/// Where the validated operation's cost is left; request data, one per request.
#[derive(Clone, Debug, Default)]
pub struct CostSlot(Arc<AtomicUsize>);

/// `usize::MAX` marks "not computed" (the document never passed validation).
const UNKNOWN: usize = usize::MAX;

impl CostSlot {
    pub fn new() -> Self {
        CostSlot(Arc::new(AtomicUsize::new(UNKNOWN)))
    }

    pub fn get(&self) -> Option<usize> {
        Some(self.0.load(Ordering::Relaxed)).filter(|cost| *cost != UNKNOWN)
    }
}

/// Records each request's cost into its `CostSlot`.
pub struct CostRecorder;

impl ExtensionFactory for CostRecorder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CostRecorder)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for CostRecorder {
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let result = next.run(ctx).await?;
        if let Some(slot) = ctx.data_opt::<CostSlot>() {
            slot.0.store(result.complexity, Ordering::Relaxed);
        }
        Ok(result)
    }
}

//! The same request checks and error codes on every transport. The HTTP handler checks a request's
//! document before executing it; WebSocket operations go straight to the schema, so this extension
//! repeats the size and shape checks when any document is parsed (cheap: one linear pass), and gives
//! the errors of subscription responses their `code` like HTTP responses get theirs.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextSubscribe};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::error::{ErrorCode, finish_errors};
use crate::graphql::limits::{Limits, check_all_operations};

pub struct RequestGuard;

impl ExtensionFactory for RequestGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestGuard)
    }
}

fn limit_error(message: String, limit: &str, maximum: u64) -> ServerError {
    let mut error = ServerError::new(message, None);
    let extensions = error.extensions.get_or_insert_with(Default::default);
    extensions.set("code", ErrorCode::LimitExceeded.as_str());
    extensions.set("limit", limit);
    extensions.set("maximum", maximum);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestGuard {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let Some(limits) = ctx.data_opt::<Limits>() else { return next.run(ctx, query, variables).await };
        if query.len() > limits.max_document_bytes {
            let message =
                format!("the query document is {} bytes, over the limit of {}", query.len(), limits.max_document_bytes);
            return Err(limit_error(message, "document size", limits.max_document_bytes as u64));
        }
        // Measured before async-graphql's own parse step, whose recursion check follows fragment spreads
        // without memoizing them (a fragment bomb would take minutes there). Parsing twice costs a
        // linear pass; a document that does not parse is left to `next` to report.
        if let Ok(document) = async_graphql::parser::parse_query(query) {
            check_all_operations(&document, limits)
                .map_err(|exceeded| limit_error(exceeded.to_string(), exceeded.limit, exceeded.maximum))?;
        }
        next.run(ctx, query, variables).await
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                finish_errors(&mut response.errors);
                response
            })
            .boxed()
    }
}

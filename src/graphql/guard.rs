//! The same request checks and error codes on every transport. The HTTP handler checks a request's
//! document before executing it; WebSocket operations go straight to the schema, so this extension
//! repeats the size and shape checks when any document is parsed (cheap: one linear pass), and gives
//! the errors of subscription responses their `code` like HTTP responses get theirs.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextSubscribe};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerResult, Variables};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::error::finish_errors;
use crate::graphql::limits::{Limits, check_all_operations, check_document_size};

pub struct RequestGuard;

/// Request data from the HTTP handler: it has checked the document already (it parses it first, to
/// route and label the request), so the guard does not parse and measure it a second time.
pub struct DocumentChecked;

impl ExtensionFactory for RequestGuard {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestGuard)
    }
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
        let Some(limits) = ctx.data_opt::<Limits>().filter(|_| ctx.data_opt::<DocumentChecked>().is_none()) else {
            return next.run(ctx, query, variables).await;
        };
        check_document_size(query, limits).map_err(|exceeded| exceeded.to_server_error())?;
        // Measured before async-graphql's own parse step, whose recursion check follows fragment spreads
        // without memoizing them (a fragment bomb would take minutes there). Parsing twice costs a
        // linear pass; a document that does not parse is left to `next` to report.
        if let Ok(document) = async_graphql::parser::parse_query(query) {
            check_all_operations(&document, limits).map_err(|exceeded| exceeded.to_server_error())?;
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

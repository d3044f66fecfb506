//! The root `Query` type: global-ID lookups, single-object lookups and the root connections.

use async_graphql::{Context, ID, Object, Result};
use futures_util::future::try_join_all;
use sea_orm::FromQueryResult;

use crate::domain::ids::NodeType;
use crate::error::{AppError, AppResult};
use crate::graphql::complaints::Complaint;
use crate::graphql::connection::{Connection, LoadersOf, database, load_by_id, max_page_size};
use crate::graphql::connection_fields::connection_fields;
use crate::graphql::customers::Customer;
use crate::graphql::deletions::{DeletedRow, deleted_rows};
use crate::graphql::enums::NodeType as DeletedType;
use crate::graphql::feedback::Feedback;
use crate::graphql::inputs::{RowKey, row_key};
use crate::graphql::insights::Insights;
use crate::graphql::node::{Node, load_node};
use crate::graphql::orders::Order;
use crate::graphql::scalars::DateTime;
use crate::graphql::touchpoints::Touchpoint;
use crate::loaders::Loaders;
use crate::services::listing::Listing;
use crate::services::lookups::{ExternalKey, by_external_id};
use crate::services::pagination::PageArgs;

pub struct QueryRoot;

/// Finds one row by global ID or by external id: exactly one of the two must be given.
async fn lookup<E>(
    ctx: &Context<'_>,
    node_type: NodeType,
    id: Option<ID>,
    external_id: Option<String>,
) -> AppResult<Option<E::Model>>
where
    E: Listing + ExternalKey,
    E::Model: FromQueryResult + Clone + Send + Sync,
    Loaders: LoadersOf<E>,
{
    match row_key(id, external_id, node_type, "")? {
        RowKey::Id(id) => load_by_id::<E>(ctx, id).await,
        RowKey::ExternalId(external_id) => by_external_id::<E>(database(ctx)?, &external_id).await,
    }
}

/// The entry point of every read.
#[Object(name = "Query")]
impl QueryRoot {
    /// Aggregated satisfaction insights.
    async fn insights(&self) -> Insights {
        Insights
    }

    /// Fetches any object by its global ID; null if it does not exist.
    async fn node(&self, ctx: &Context<'_>, #[graphql(desc = "A global ID.")] id: ID) -> Result<Option<Node>> {
        Ok(load_node(ctx, "id", &id).await?)
    }

    /// Fetches many objects by global ID, in the order given; null for each one that does not exist.
    /// At most 100 IDs.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global IDs.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        let max = max_page_size(ctx) as usize;
        if ids.len() > max {
            return Err(AppError::bad_input("ids", format!("at most {max} IDs")).into());
        }
        let fields: Vec<String> = (0..ids.len()).map(|i| format!("ids[{i}]")).collect();
        let loads = ids.iter().zip(&fields).map(|(id, field)| load_node(ctx, field, id));
        Ok(try_join_all(loads).await?)
    }

    /// One customer, by global `id` or by `externalId` (exactly one of them); null if none matches.
    async fn customer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The customer's global ID.")] id: Option<ID>,
        #[graphql(desc = "The customer's id in the source system.")] external_id: Option<String>,
    ) -> Result<Option<Customer>> {
        Ok(lookup::<entity::customer::Entity>(ctx, NodeType::Customer, id, external_id).await?.map(Customer))
    }

    /// One order, by global `id` or by `externalId` (exactly one of them); null if none matches.
    async fn order(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The order's global ID.")] id: Option<ID>,
        #[graphql(desc = "The order's id in the source system.")] external_id: Option<String>,
    ) -> Result<Option<Order>> {
        Ok(lookup::<entity::order::Entity>(ctx, NodeType::Order, id, external_id).await?.map(Order))
    }

    /// One touchpoint, by global `id` or by `externalId` (exactly one of them); null if none matches.
    async fn touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint's global ID.")] id: Option<ID>,
        #[graphql(desc = "The touchpoint's id in the source system.")] external_id: Option<String>,
    ) -> Result<Option<Touchpoint>> {
        Ok(lookup::<entity::touchpoint::Entity>(ctx, NodeType::Touchpoint, id, external_id).await?.map(Touchpoint))
    }

    /// One survey answer, by global `id` or by `externalId` (exactly one of them); null if none matches.
    async fn feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The answer's global ID.")] id: Option<ID>,
        #[graphql(desc = "The answer's id in the source system.")] external_id: Option<String>,
    ) -> Result<Option<Feedback>> {
        Ok(lookup::<entity::feedback::Entity>(ctx, NodeType::Feedback, id, external_id).await?.map(Feedback))
    }

    /// One complaint, by global `id` or by `externalId` (exactly one of them); null if none matches.
    async fn complaint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The complaint's global ID.")] id: Option<ID>,
        #[graphql(desc = "The complaint's id in the source system.")] external_id: Option<String>,
    ) -> Result<Option<Complaint>> {
        Ok(lookup::<entity::complaint::Entity>(ctx, NodeType::Complaint, id, external_id).await?.map(Complaint))
    }

    /// The rows deleted at or after `since`, in the order they were deleted: what an incremental extract
    /// deletes from its copy (`docs/api.md`, "Incremental extracts"). Kept for good.
    async fn deletions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Rows deleted at or after this time.")] since: DateTime,
        #[graphql(desc = "Only rows of these types (all when not given).")] types: Option<Vec<DeletedType>>,
        #[graphql(desc = "Page size (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
    ) -> Result<Connection<DeletedRow>> {
        let page = PageArgs { first, after, ..Default::default() };
        Ok(deleted_rows(ctx, since, types, page).await?)
    }

    /// The root connections (`customers`, `orders`, `touchpoints`, `feedbacks`, `complaints`), as fields
    /// of `Query`.
    #[graphql(flatten)]
    async fn lists(&self) -> RootLists {
        RootLists
    }
}

// Ordering customers by NAME needs ADMIN (the order and the cursors reveal names): the gate's access
// policy decides it before any resolver runs.
connection_fields! {
    /// The root connection fields, flattened into `Query`.
    RootLists {
        /// All customers, filtered and ordered.
        customers: Customer, all, "Which customers to include.";
        /// All orders, filtered and ordered.
        orders: Order, all, "Which orders to include.";
        /// All touchpoints, filtered and ordered.
        touchpoints: Touchpoint, all, "Which touchpoints to include.";
        /// All survey answers, filtered and ordered.
        feedbacks: Feedback, all, "Which answers to include.";
        /// All complaints, filtered and ordered.
        complaints: Complaint, all, "Which complaints to include.";
    }
}

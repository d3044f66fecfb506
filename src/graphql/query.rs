//! The root `Query` type: global-ID lookups, single-object lookups and the root connections.

use async_graphql::{Context, ID, Object, Result};
use futures_util::future::try_join_all;
use sea_orm::FromQueryResult;

use crate::domain::ids::{GlobalId, NodeType};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::{
    Connection, ConnectionNode, LoadersOf, database, load_by_id, max_page_size, root_connection,
};
use crate::graphql::customers::Customer;
use crate::graphql::feedback::Feedback;
use crate::graphql::inputs::{
    CustomerFilterInput, CustomerOrderBy, FeedbackFilterInput, FeedbackOrderBy, OrderFilterInput, OrderOrderBy,
    TouchpointFilterInput, TouchpointOrderBy,
};
use crate::graphql::insights::Insights;
use crate::graphql::node::{Node, load_node};
use crate::graphql::orders::Order;
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
    match (id, external_id) {
        (Some(id), None) => load_by_id::<E>(ctx, GlobalId::decode_as("id", &id, node_type)?).await,
        (None, Some(external_id)) => {
            crate::graphql::inputs::check_text("externalId", &external_id)?;
            by_external_id::<E>(database(ctx)?, &external_id).await
        }
        _ => Err(AppError::bad_input("id", "give exactly one of id and externalId")),
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

    /// All customers, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    async fn customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which customers to include.")] filter: Option<CustomerFilterInput>,
        #[graphql(desc = "The order of the rows.")] order_by: Option<CustomerOrderBy>,
    ) -> Result<Connection<Customer>> {
        // Ordering by NAME needs ADMIN (the order and the cursors reveal names): the gate's access policy.
        let args = Customer::list_args(PageArgs { first, after, last, before }, filter, order_by)?;
        Ok(root_connection::<Customer>(ctx, args).await?)
    }

    /// All orders, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which orders to include.")] filter: Option<OrderFilterInput>,
        #[graphql(desc = "The order of the rows.")] order_by: Option<OrderOrderBy>,
    ) -> Result<Connection<Order>> {
        let args = Order::list_args(PageArgs { first, after, last, before }, filter, order_by)?;
        Ok(root_connection::<Order>(ctx, args).await?)
    }

    /// All touchpoints, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    async fn touchpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which touchpoints to include.")] filter: Option<TouchpointFilterInput>,
        #[graphql(desc = "The order of the rows.")] order_by: Option<TouchpointOrderBy>,
    ) -> Result<Connection<Touchpoint>> {
        let args = Touchpoint::list_args(PageArgs { first, after, last, before }, filter, order_by)?;
        Ok(root_connection::<Touchpoint>(ctx, args).await?)
    }

    /// All survey answers, filtered and ordered.
    #[allow(clippy::too_many_arguments)]
    async fn feedbacks(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size from the start (at most 100, default 20).")] first: Option<i32>,
        #[graphql(desc = "Return rows after this cursor.")] after: Option<String>,
        #[graphql(desc = "Page size from the end (at most 100).")] last: Option<i32>,
        #[graphql(desc = "Return rows before this cursor.")] before: Option<String>,
        #[graphql(desc = "Which answers to include.")] filter: Option<FeedbackFilterInput>,
        #[graphql(desc = "The order of the rows.")] order_by: Option<FeedbackOrderBy>,
    ) -> Result<Connection<Feedback>> {
        let args = Feedback::list_args(PageArgs { first, after, last, before }, filter, order_by)?;
        Ok(root_connection::<Feedback>(ctx, args).await?)
    }
}

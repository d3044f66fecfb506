//! The `Node` interface and global-ID lookups.

use async_graphql::{Context, ID, Interface};

use crate::domain::ids::{GlobalId, NodeType};
use crate::error::AppResult;
use crate::graphql::complaints::Complaint;
use crate::graphql::connection::load_by_id;
use crate::graphql::customers::Customer;
use crate::graphql::feedback::Feedback;
use crate::graphql::orders::Order;
use crate::graphql::touchpoints::Touchpoint;

/// An object with an opaque, globally unique ID that `node(id)` can fetch again
/// (Relay's Global Object Identification).
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque global ID: pass it to `node` to fetch this object again."))]
pub enum Node {
    Customer(Customer),
    Order(Order),
    Touchpoint(Touchpoint),
    Feedback(Feedback),
    Complaint(Complaint),
}

/// The global ID of a row of `node_type`, as clients get and give it.
pub fn global_id(node_type: NodeType, id: i64) -> ID {
    GlobalId::new(node_type, id).encode().into()
}

/// Fetches the object behind a global ID through the request's loaders; None if it no longer exists.
pub async fn load_node(ctx: &Context<'_>, field: &str, id: &str) -> AppResult<Option<Node>> {
    let id = GlobalId::decode(field, id)?;
    Ok(match id.node_type {
        NodeType::Customer => {
            load_by_id::<entity::customer::Entity>(ctx, id.id).await?.map(|m| Node::Customer(Customer(m)))
        }
        NodeType::Order => load_by_id::<entity::order::Entity>(ctx, id.id).await?.map(|m| Node::Order(Order(m))),
        NodeType::Touchpoint => {
            load_by_id::<entity::touchpoint::Entity>(ctx, id.id).await?.map(|m| Node::Touchpoint(Touchpoint(m)))
        }
        NodeType::Feedback => {
            load_by_id::<entity::feedback::Entity>(ctx, id.id).await?.map(|m| Node::Feedback(Feedback(m)))
        }
        NodeType::Complaint => {
            load_by_id::<entity::complaint::Entity>(ctx, id.id).await?.map(|m| Node::Complaint(Complaint(m)))
        }
    })
}

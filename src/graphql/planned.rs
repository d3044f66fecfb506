//! Nested connections resolved from a plan made once per field of the document.
//!
//! A settled connection (`prefetch`: its pages and everything its selection asks for are in memory)
//! whose selection is only `__typename`, a `totalCount` loaded with the pages, and `nodes` with scalar
//! fields read from the row (`ConnectionNode::SCALAR_FIELDS`) and settled connections planned in turn,
//! gets a plan when it is loaded ahead: what each selected field is, decided once for all parents. Its
//! value for a parent is then built in one pass over the parent's page, without a future, a name lookup
//! or an argument parse per field; the values are those of the resolvers (the readers call them), the
//! rows are taken from the answer's row budget as `child_connection` takes them, and an error is
//! reported at its path as async-graphql reports a field's.

use std::sync::Arc;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::{Context, ContextSelectionSet, Positioned, ServerResult, Value};

use crate::error::AppError;
use crate::graphql::connection::{ConnectionNode, Row};
use crate::graphql::gate::answer::take_rows;
use crate::graphql::page_nodes::plain_fields;
use crate::graphql::plain_values::{ReadField, reader_of};
use crate::loaders::{Loaders, PrefetchedPages, SettledPlan};
use crate::services::pagination::Pageable;

/// A settled connection field's plan: its value for one parent, built from memory.
pub trait PlannedConnection: Send + Sync {
    /// The connection's value for `parent_id`; `ctx` is the connection field's context.
    fn value(&self, ctx: &Context<'_>, parent_id: i64) -> ServerResult<Value>;
}

/// How a plan is kept among the request's loaders (`Loaders::settle`).
struct StoredPlan(Arc<dyn PlannedConnection>);

/// What a selected field of a node is, decided once per field of the document.
pub enum NodePart<N> {
    Typename,
    Scalar(ReadField<N>),
    Nested(Arc<dyn PlannedConnection>),
}

impl<N: ConnectionNode> NodePart<N> {
    /// The part `field` (selected on `N` nodes) is, when it resolves without waiting.
    pub fn of(loaders: Option<&Loaders>, field: &Positioned<Field>) -> Option<NodePart<N>> {
        let name = field.node.name.node.as_str();
        if name == "__typename" {
            return Some(NodePart::Typename);
        }
        if let Some(read) = reader_of(N::SCALAR_FIELDS, name) {
            return Some(NodePart::Scalar(read));
        }
        let plan = loaders?.settled_plan(field)?;
        let plan = plan.downcast::<StoredPlan>().ok()?;
        Some(NodePart::Nested(plan.0.clone()))
    }

    /// The field's value for `node`; `item` is the node's context in its list.
    pub fn value(&self, item: &ContextSelectionSet<'_>, field: &Positioned<Field>, node: &N) -> ServerResult<Value> {
        Ok(match self {
            NodePart::Typename => Value::String(node.introspection_type_name().into_owned()),
            NodePart::Scalar(read) => {
                let ctx = item.with_field(field);
                read(node, &ctx).map_err(|error| ctx.set_error_path(error.into_server_error(field.pos)))?
            }
            NodePart::Nested(plan) => plan.value(&item.with_field(field), N::Entity::id_of(node.row()))?,
        })
    }
}

/// What a selected field of the connection is.
enum ConnectionPart {
    Typename,
    TotalCount,
    Nodes,
}

struct ConnectionPlan<N: ConnectionNode> {
    pages: Arc<PrefetchedPages<Row<N>>>,
    parts: Vec<ConnectionPart>,
    /// The parts of the nodes' selected fields, in the selection's order.
    nodes: Vec<NodePart<N>>,
}

/// The plan of `connection` (a field listing `N` nodes, settled, its pages loaded ahead, a count with
/// them if `with_total`), kept for the nodes that select it; `None` if its selection needs more than
/// a plan holds.
pub fn plan<N>(loaders: &Loaders, connection: &Positioned<Field>, with_total: bool) -> Option<SettledPlan>
where
    N: ConnectionNode + Send + Sync + 'static,
{
    let pages = loaders.prefetched_pages::<N::Entity>(connection)?;
    let mut parts = Vec::new();
    let mut nodes = None;
    for field in plain_fields(&connection.node.selection_set.node)? {
        parts.push(match field.node.name.node.as_str() {
            "__typename" => ConnectionPart::Typename,
            "totalCount" if with_total => ConnectionPart::TotalCount,
            "nodes" if nodes.is_none() => {
                let selected = plain_fields(&field.node.selection_set.node)?;
                let node_parts: Option<Vec<NodePart<N>>> =
                    selected.into_iter().map(|field| NodePart::of(Some(loaders), field)).collect();
                nodes = Some(node_parts?);
                ConnectionPart::Nodes
            }
            _ => return None,
        });
    }
    let plan: Arc<dyn PlannedConnection> =
        Arc::new(ConnectionPlan::<N> { pages, parts, nodes: nodes.unwrap_or_default() });
    Some(Arc::new(StoredPlan(plan)))
}

impl<N> PlannedConnection for ConnectionPlan<N>
where
    N: ConnectionNode + Send + Sync + 'static,
{
    fn value(&self, ctx: &Context<'_>, parent_id: i64) -> ServerResult<Value> {
        let at_path =
            |error: AppError| ctx.set_error_path(async_graphql::Error::from(error).into_server_error(ctx.item.pos));
        let loaded = self.pages.lock().ok().and_then(|mut pages| pages.remove(&parent_id));
        let Some(loaded) = loaded else {
            return Err(at_path(AppError::Internal("a child page was not loaded".into())));
        };
        take_rows(ctx, loaded.page.items.len()).map_err(at_path)?;
        let nodes: Vec<N> = loaded.page.items.into_iter().map(N::wrap).collect();
        let selection = ctx.with_selection_set(&ctx.item.node.selection_set);
        let mut object = IndexMap::with_capacity(self.parts.len());
        for (field, part) in selected_fields(&ctx.item.node.selection_set.node.items).zip(&self.parts) {
            let value = match part {
                ConnectionPart::Typename => Value::String(N::CONNECTION.to_owned()),
                ConnectionPart::TotalCount => Value::from(loaded.total.unwrap_or_default()),
                ConnectionPart::Nodes => self.nodes_value(&selection.with_field(field), &nodes),
            };
            object.insert(field.node.response_key().node.clone(), value);
        }
        Ok(Value::Object(object))
    }
}

impl<N> ConnectionPlan<N>
where
    N: ConnectionNode + Send + Sync + 'static,
{
    /// The `nodes` list; a field that fails is reported and left out of its node, as `page_nodes` does.
    fn nodes_value(&self, ctx: &Context<'_>, nodes: &[N]) -> Value {
        let list = ctx.with_selection_set(&ctx.item.node.selection_set);
        let values = nodes.iter().enumerate().map(|(index, node)| {
            let item = list.with_index(index);
            let mut object = IndexMap::with_capacity(self.nodes.len());
            for (field, part) in selected_fields(&ctx.item.node.selection_set.node.items).zip(&self.nodes) {
                match part.value(&item, field, node) {
                    Ok(value) => {
                        object.insert(field.node.response_key().node.clone(), value);
                    }
                    Err(error) => item.add_error(error),
                }
            }
            if object.is_empty() { Value::Null } else { Value::Object(object) }
        });
        Value::List(values.collect())
    }
}

/// The fields of a selection made only of fields (`plain_fields` checked it when the plan was made).
fn selected_fields(items: &[Positioned<Selection>]) -> impl Iterator<Item = &Positioned<Field>> {
    items.iter().filter_map(|selection| match &selection.node {
        Selection::Field(field) => Some(field),
        _ => None,
    })
}

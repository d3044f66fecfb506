//! Nested pages loaded ahead: once a root connection has its rows, the connections its selection nests
//! (`customers { nodes { orders { nodes { touchpoints { ... } } } } }`) are loaded level by level, one
//! statement per field and level, before any of them is resolved. The nested fields then find their
//! pages in memory (`connection::child_connection`) instead of each parent waiting for a batch: the
//! same statements as the batched loaders, without a suspension per parent.
//!
//! Each field's arguments are read from the document with the types and conversion its resolver uses
//! (`FilterableNode::list_args`), and its query is shared with the resolver (`Loaders::child_query`), so
//! what is loaded ahead is exactly what the resolver would load. A field whose arguments do not convert
//! is left to its resolver, which reports the error.

use std::future::Future;
use std::pin::Pin;

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{Context, InputType, Positioned};

use crate::error::AppResult;
use crate::graphql::complaints::Complaint;
use crate::graphql::connection::{ConnectionNode, FilterableNode, ListArgs, LoadersOf, database, max_page_size};
use crate::graphql::customers::Customer;
use crate::graphql::feedback::Feedback;
use crate::graphql::orders::Order;
use crate::graphql::page_nodes::plain_fields;
use crate::graphql::planned;
use crate::graphql::touchpoints::Touchpoint;
use crate::loaders::{ChildQuery, Loaders, child_pages};
use crate::services::complaints::ComplaintParent;
use crate::services::feedback::FeedbackParent;
use crate::services::listing::Listing;
use crate::services::orders::OrderParent;
use crate::services::pagination::{Columns, PageArgs, PageRequest, Pageable};
use crate::services::touchpoints::TouchpointParent;

/// The node types whose connections nest others.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Customer,
    Order,
    Touchpoint,
    Feedback,
    Complaint,
}

impl NodeKind {
    fn type_name(self) -> &'static str {
        match self {
            NodeKind::Customer => "Customer",
            NodeKind::Order => "Order",
            NodeKind::Touchpoint => "Touchpoint",
            NodeKind::Feedback => "Feedback",
            NodeKind::Complaint => "Complaint",
        }
    }
}

type Prefetch<'a> = Pin<Box<dyn Future<Output = AppResult<()>> + Send + 'a>>;

/// Loads ahead what the connection field being resolved (`ctx.item`) nests under its rows, `parents`
/// (of kind `kind`).
pub async fn below(ctx: &Context<'_>, kind: NodeKind, parents: Vec<i64>) -> AppResult<()> {
    let Ok(loaders) = ctx.data::<Loaders>() else { return Ok(()) };
    let sets = node_selections(ctx, &ctx.item.node.selection_set.node);
    children(ctx, loaders, kind, sets, parents).await
}

/// Loads the connections selected in `sets` (selections on `kind` nodes) for `parents`, then what they
/// nest in turn.
fn children<'a>(
    ctx: &'a Context<'a>,
    loaders: &'a Loaders,
    kind: NodeKind,
    sets: Vec<&'a SelectionSet>,
    parents: Vec<i64>,
) -> Prefetch<'a> {
    Box::pin(async move {
        if parents.is_empty() {
            return Ok(());
        }
        let mut fields = Vec::new();
        for set in sets {
            fields_on(ctx, set, kind.type_name(), &mut fields);
        }
        for field in fields {
            let name = field.node.name.node.as_str();
            match (kind, name) {
                (NodeKind::Customer, "orders") => {
                    level::<Order>(ctx, loaders, field, OrderParent::Customer, &parents).await?
                }
                (NodeKind::Customer, "touchpoints") => {
                    level::<Touchpoint>(ctx, loaders, field, TouchpointParent::Customer, &parents).await?
                }
                (NodeKind::Customer, "feedback") => {
                    level::<Feedback>(ctx, loaders, field, FeedbackParent::Customer, &parents).await?
                }
                (NodeKind::Customer, "complaints") => {
                    level::<Complaint>(ctx, loaders, field, ComplaintParent::Customer, &parents).await?
                }
                (NodeKind::Order, "touchpoints") => {
                    level::<Touchpoint>(ctx, loaders, field, TouchpointParent::Order, &parents).await?
                }
                (NodeKind::Order, "feedback") => {
                    level::<Feedback>(ctx, loaders, field, FeedbackParent::Order, &parents).await?
                }
                (NodeKind::Order, "complaints") => {
                    level::<Complaint>(ctx, loaders, field, ComplaintParent::Order, &parents).await?
                }
                (NodeKind::Touchpoint, "feedback") => {
                    level::<Feedback>(ctx, loaders, field, FeedbackParent::Touchpoint, &parents).await?
                }
                _ => {}
            }
        }
        Ok(())
    })
}

/// Whether `name` is a connection on `kind` nodes that `children` loads ahead: such a field reads only
/// its node's id (`connection_fields!` holds nothing else), which `read_columns` relies on.
fn nests(kind: NodeKind, name: &str) -> bool {
    matches!(
        (kind, name),
        (NodeKind::Customer, "orders" | "touchpoints" | "feedback" | "complaints")
            | (NodeKind::Order, "touchpoints" | "feedback" | "complaints")
            | (NodeKind::Touchpoint, "feedback")
    )
}

/// The kind of node a connection lists, for the next level.
pub trait Prefetchable: FilterableNode {
    const KIND: NodeKind;
}

impl Prefetchable for Customer {
    const KIND: NodeKind = NodeKind::Customer;
}
impl Prefetchable for Order {
    const KIND: NodeKind = NodeKind::Order;
}
impl Prefetchable for Touchpoint {
    const KIND: NodeKind = NodeKind::Touchpoint;
}
impl Prefetchable for Feedback {
    const KIND: NodeKind = NodeKind::Feedback;
}
impl Prefetchable for Complaint {
    const KIND: NodeKind = NodeKind::Complaint;
}

/// One connection field for all `parents`: its pages, kept for its resolver, then what it nests.
async fn level<'a, N>(
    ctx: &'a Context<'a>,
    loaders: &'a Loaders,
    field: &'a Positioned<Field>,
    parent: <N::Entity as Listing>::Parent,
    parents: &[i64],
) -> AppResult<()>
where
    N: Prefetchable,
    Loaders: LoadersOf<N::Entity>,
{
    let Some(args) = arguments::<N>(ctx, &field.node) else { return Ok(()) };
    let max = max_page_size(ctx);
    if [args.page.first, args.page.last].into_iter().flatten().any(|n| u64::try_from(n).map_or(true, |n| n > max)) {
        return Ok(());
    }
    let Ok(page) = PageRequest::parse(args.page, args.sort) else { return Ok(()) };
    let with_total = selects(ctx, &field.node.selection_set.node, "totalCount");
    let columns = read_columns::<N>(&field.node);
    let query = loaders.child_query::<N::Entity>(field, parent, || {
        Ok(ChildQuery { parent, filter: args.filter, sort: args.sort, page, with_total, columns })
    })?;
    let pages = child_pages::<N::Entity>(database(ctx)?, &query, parents).await?;
    let rows: Vec<i64> = pages.values().flat_map(|page| page.page.items.iter().map(N::Entity::id_of)).collect();
    loaders.store_prefetched::<N::Entity>(field, pages);
    let sets = node_selections(ctx, &field.node.selection_set.node);
    children(ctx, loaders, N::KIND, sets, rows).await?;
    if settled::<N>(loaders, field, with_total) {
        loaders.settle(field, planned::plan::<N>(loaders, field, with_total));
    }
    Ok(())
}

/// Whether everything a nested connection's selection asks for is now in memory: its page, its count
/// if asked for, and in its nodes only fields that read the row or nested connections settled in turn.
/// Such a connection resolves without waiting (`page_nodes`); one that waits anywhere below is resolved
/// concurrently with its siblings, so the DataLoader batches below it span all parents.
fn settled<N: ConnectionNode>(loaders: &Loaders, connection: &Positioned<Field>, with_total: bool) -> bool {
    let Some(fields) = plain_fields(&connection.node.selection_set.node) else { return false };
    fields.iter().all(|field| match field.node.name.node.as_str() {
        "__typename" | "pageInfo" => true,
        "totalCount" => with_total,
        "nodes" => plain_fields(&field.node.selection_set.node).is_some_and(|node_fields| {
            node_fields.iter().all(|node_field| {
                let name = node_field.node.name.node.as_str();
                name == "__typename" || N::resolves_in_place(name) || loaders.is_settled(node_field)
            })
        }),
        _ => false,
    })
}

/// The columns the nodes of `connection` read, when its selection is one a plan resolves (`planned`):
/// `__typename`, `totalCount` and `nodes` selecting `__typename`, fields read from the row
/// (`ConnectionNode::SCALAR_FIELDS`, which names their columns) and the connections nested below (which
/// read the id). Any other selection reads every column: its resolvers may read any of them. The same
/// holds when such a page ends up resolved the general way (a nested connection left to its resolver):
/// its nodes' fields are the same readers.
fn read_columns<N: Prefetchable>(connection: &Field) -> Columns {
    let some = || {
        let mut columns = Columns::of::<N::Entity>(&[N::Entity::id_column()]);
        for field in plain_fields(&connection.selection_set.node)? {
            match field.node.name.node.as_str() {
                "__typename" | "totalCount" => {}
                "nodes" => {
                    for node_field in plain_fields(&field.node.selection_set.node)? {
                        let name = node_field.node.name.node.as_str();
                        if name == "__typename" || nests(N::KIND, name) {
                            continue;
                        }
                        let (_, read, _) = N::SCALAR_FIELDS.iter().find(|(scalar, ..)| *scalar == name)?;
                        columns = columns.and(Columns::of::<N::Entity>(read));
                    }
                }
                _ => return None,
            }
        }
        Some(columns)
    };
    some().unwrap_or(Columns::ALL)
}

/// A connection field's arguments, read from the document as its resolver reads them.
fn arguments<N: FilterableNode>(ctx: &Context<'_>, field: &Field) -> Option<ListArgs<N::Entity>> {
    let page = PageArgs {
        first: argument(ctx, field, "first")?,
        after: argument(ctx, field, "after")?,
        last: argument(ctx, field, "last")?,
        before: argument(ctx, field, "before")?,
    };
    N::list_args(page, argument(ctx, field, "filter")?, argument(ctx, field, "orderBy")?).ok()
}

fn argument<T: InputType>(ctx: &Context<'_>, field: &Field, name: &str) -> Option<T> {
    let value = match field.get_argument(name) {
        Some(value) => {
            let variables = &ctx.query_env.variables;
            Some(value.node.clone().into_const_with(|name| variables.get(&name).cloned().ok_or(())).ok()?)
        }
        None => None,
    };
    T::parse(value).ok()
}

/// The selection sets a connection's nodes get: `nodes { ... }` and `edges { node { ... } }`, through
/// fragments.
fn node_selections<'a>(ctx: &'a Context<'a>, connection: &'a SelectionSet) -> Vec<&'a SelectionSet> {
    let mut top = Vec::new();
    fields_on(ctx, connection, "", &mut top);
    let mut sets = Vec::new();
    for field in top {
        match field.node.name.node.as_str() {
            "nodes" => sets.push(&field.node.selection_set.node),
            "edges" => {
                let mut edge = Vec::new();
                fields_on(ctx, &field.node.selection_set.node, "", &mut edge);
                sets.extend(
                    edge.into_iter().filter(|f| f.node.name.node == "node").map(|f| &f.node.selection_set.node),
                );
            }
            _ => {}
        }
    }
    sets
}

/// The fields of `set` that apply to objects of `type_name` (any type when empty), through fragment
/// spreads and inline fragments.
fn fields_on<'a>(ctx: &'a Context<'a>, set: &'a SelectionSet, type_name: &str, out: &mut Vec<&'a Positioned<Field>>) {
    let applies = |on: Option<&str>| on.is_none_or(|on| type_name.is_empty() || on == type_name || on == "Node");
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => out.push(field),
            Selection::InlineFragment(inline) => {
                if applies(inline.node.type_condition.as_ref().map(|c| c.node.on.node.as_str())) {
                    fields_on(ctx, &inline.node.selection_set.node, type_name, out);
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = ctx.query_env.fragments.get(&spread.node.fragment_name.node)
                    && applies(Some(fragment.node.type_condition.node.on.node.as_str()))
                {
                    fields_on(ctx, &fragment.node.selection_set.node, type_name, out);
                }
            }
        }
    }
}

/// Whether `set` selects a field named `name` (through fragments).
fn selects(ctx: &Context<'_>, set: &SelectionSet, name: &str) -> bool {
    let mut fields = Vec::new();
    fields_on(ctx, set, "", &mut fields);
    fields.iter().any(|field| field.node.name.node == name)
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;
    use entity::order::{Column, Entity};

    use super::*;

    /// `read_columns` of the first field of `document`'s operation, a connection of orders.
    fn columns_of(document: &str) -> Columns {
        let document = parse_query(document).expect("a valid document");
        let DocumentOperations::Single(operation) = document.operations else { panic!("one operation") };
        let Selection::Field(field) = &operation.node.selection_set.node.items[0].node else { panic!("a field") };
        read_columns::<Order>(&field.node)
    }

    #[test]
    fn a_plain_page_reads_the_columns_of_its_fields_and_the_id() {
        let columns = columns_of(
            "{ orders(first: 5) { __typename totalCount nodes { __typename externalId when: placedAt status
                touchpoints(first: 2) { nodes { kind } } } } }",
        );
        let expected = [Column::Id, Column::ExternalId, Column::PlacedAt, Column::Status];
        assert_eq!(columns, Columns::of::<Entity>(&expected));
        assert_ne!(columns, Columns::ALL);
    }

    #[test]
    fn the_fields_nested_pages_hang_off_are_connections() {
        use async_graphql::parser::parse_schema;
        use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};

        let schema = parse_schema(crate::graphql::sdl()).expect("the schema's SDL");
        let kinds =
            [NodeKind::Customer, NodeKind::Order, NodeKind::Touchpoint, NodeKind::Feedback, NodeKind::Complaint];
        let mut nested = 0;
        for definition in schema.definitions {
            let TypeSystemDefinition::Type(definition) = definition else { continue };
            let Some(kind) = kinds.into_iter().find(|kind| kind.type_name() == definition.node.name.node.as_str())
            else {
                continue;
            };
            let TypeKind::Object(object) = definition.node.kind else { panic!("{} is an object", kind.type_name()) };
            for field in object.fields {
                let BaseType::Named(returns) = &field.node.ty.node.base else { continue };
                let name = field.node.name.node.as_str();
                if nests(kind, name) {
                    assert!(returns.ends_with("Connection"), "{}.{name} returns {returns}", kind.type_name());
                    nested += 1;
                }
            }
        }
        assert_eq!(nested, 8, "every pair `nests` lists is a field of the schema");
    }

    #[test]
    fn other_selections_read_every_column() {
        for document in [
            "{ orders { pageInfo { hasNextPage } nodes { externalId } } }",
            "{ orders { edges { node { externalId } } } }",
            "{ orders { nodes { externalId totalAmount { amount } } } }",
            "{ orders { nodes { ... on Order { externalId } } } }",
            "{ orders { nodes { externalId @include(if: true) } } }",
            "{ orders { nodes { customer { name } } } }",
        ] {
            assert_eq!(columns_of(document), Columns::ALL, "{document}");
        }
    }
}

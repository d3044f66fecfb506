//! The `nodes` list of a connection, resolved without a future per field.
//!
//! async-graphql resolves an object by boxing one future per selected field and driving them in a
//! `FuturesUnordered`; on a nested page of a few hundred rows and a few thousand scalar fields that
//! machinery costs more than reading the rows. Most fields of a node read its row and never wait, and
//! the connections nested under a page were loaded ahead (`prefetch`), so they do not wait either. Those
//! fields are resolved here in place, in document order: scalars by their readers (`plain_values`),
//! nested connections with a plan by it (`planned`), and the other fields that never wait (an object
//! read from the row, a settled connection without a plan) through the node type's own resolvers
//! (`ContainerType::resolve_field`: the same code, values and errors as async-graphql's path). The
//! fields that may wait (lookups through DataLoaders, connections with such fields below them) are
//! driven concurrently across the whole page, so their batches form as before. A selection with fragments, directives or a response key given twice
//! goes async-graphql's general way. The schema has no extensions (access and price are decided per
//! document, `gate`), so no per-field extension hook is skipped.

use std::borrow::Cow;

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{ContainerType, ContextSelectionSet, OutputType, Positioned, ServerResult, Value};
use futures_util::future::join_all;

use crate::graphql::connection::ConnectionNode;
use crate::graphql::planned::NodePart;
use crate::loaders::Loaders;

/// The rows of a page, as the `nodes` field lists them (`[Node!]!`).
pub struct Nodes<'a, N>(pub &'a [N]);

impl<N: ConnectionNode + Sync> OutputType for Nodes<'_, N> {
    fn type_name() -> Cow<'static, str> {
        <&[N] as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <&[N] as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <&[N] as OutputType>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        let Some(fields) = plain_fields(&ctx.item.node) else {
            return resolve_list(ctx, field, self.0.iter(), Some(self.0.len())).await;
        };
        let loaders = ctx.data_opt::<Loaders>();
        let ways: Vec<Way<N>> = fields
            .iter()
            .map(|field| match NodePart::of(loaders, field) {
                Some(part) => Way::Now(part),
                None if N::resolves_in_place(&field.node.name.node) => Way::InPlace,
                None if loaders.is_some_and(|loaders| loaders.is_settled(field)) => Way::InPlace,
                None => Way::Waiting,
            })
            .collect();

        let mut objects = Vec::with_capacity(self.0.len());
        let mut waiting = Vec::new();
        for (index, node) in self.0.iter().enumerate() {
            let item = ctx.with_index(index);
            let mut object = IndexMap::with_capacity(fields.len());
            for (&field, way) in fields.iter().zip(&ways) {
                let key = field.node.response_key().node.clone();
                let resolved = match way {
                    Way::Now(part) => part.value(&item, field, node).map(Some),
                    Way::InPlace => node.resolve_field(&item.with_field(field)).await,
                    Way::Waiting => {
                        // A placeholder keeps the field's place in the document order.
                        object.insert(key.clone(), Value::Null);
                        waiting.push(async move {
                            let item = ctx.with_index(index);
                            (index, key, node.resolve_field(&item.with_field(field)).await)
                        });
                        continue;
                    }
                };
                match resolved {
                    Ok(value) => {
                        object.insert(key, value.unwrap_or_default());
                    }
                    Err(error) => ctx.add_error(error),
                }
            }
            objects.push(object);
        }
        for (index, key, result) in join_all(waiting).await {
            let Some(object) = objects.get_mut(index) else { continue };
            match result {
                Ok(value) => {
                    if let Some(slot) = object.get_mut(&key) {
                        *slot = value.unwrap_or_default();
                    }
                }
                // As async-graphql does: the error is reported and the field left out.
                Err(error) => {
                    ctx.add_error(error);
                    object.shift_remove(&key);
                }
            }
        }
        let values =
            objects.into_iter().map(|object| if object.is_empty() { Value::Null } else { Value::Object(object) });
        Ok(Value::List(values.collect()))
    }
}

/// How a selected field of a page's nodes is resolved.
enum Way<N> {
    /// Without a future: read from the row, or a nested connection's plan (`planned`).
    Now(NodePart<N>),
    /// Through the node type's resolver, which does not wait.
    InPlace,
    /// Through the node type's resolver, concurrently with the page's other waiting fields.
    Waiting,
}

/// `root`'s `fields` (a plain selection, see `plain_fields`), each resolved in place, in order, as
/// async-graphql would: a failed field is reported and left out, an object without fields is null.
pub async fn in_place<T: ContainerType>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
    fields: &[&Positioned<Field>],
) -> Value {
    let mut object = IndexMap::with_capacity(fields.len());
    for &field in fields {
        let key = field.node.response_key().node.clone();
        if field.node.name.node == "__typename" {
            object.insert(key, Value::String(root.introspection_type_name().into_owned()));
            continue;
        }
        match root.resolve_field(&ctx.with_field(field)).await {
            Ok(value) => {
                object.insert(key, value.unwrap_or_default());
            }
            Err(error) => ctx.add_error(error),
        }
    }
    if object.is_empty() { Value::Null } else { Value::Object(object) }
}

/// The fields of a selection made only of fields, none with a directive, each under its own response key;
/// `None` for any other selection.
pub fn plain_fields(set: &SelectionSet) -> Option<Vec<&Positioned<Field>>> {
    let mut fields: Vec<&Positioned<Field>> = Vec::with_capacity(set.items.len());
    for selection in &set.items {
        let Selection::Field(field) = &selection.node else { return None };
        let key = &field.node.response_key().node;
        if !field.node.directives.is_empty() || fields.iter().any(|seen| &seen.node.response_key().node == key) {
            return None;
        }
        fields.push(field);
    }
    Some(fields)
}

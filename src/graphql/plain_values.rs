//! Node fields read straight from their row: the value a field's own resolver gives, without the
//! future, the name matching and the output machinery async-graphql wraps around each field.
//!
//! A node type lists such fields in `ConnectionNode::SCALAR_FIELDS`, each with a reader that calls the
//! field's resolver (the `#[Object]` method itself, so the field's rule stays in one place) and converts
//! its result as async-graphql's output types do. Only resolvers that never wait belong there: a reader
//! polls its resolver once.

use std::future::Future;
use std::sync::OnceLock;

use async_graphql::resolver_utils::enum_value;
use async_graphql::{Context, EnumType, Error, ID, Name, Result, ScalarType, Value};
use futures_util::FutureExt;

use crate::graphql::scalars::DateTime;

/// How a scalar field of `N` is read: the node and the field's context (for the role a personal-data
/// field is shown to); an error is the resolver's.
pub type ReadField<N> = for<'a> fn(&'a N, &'a Context<'a>) -> Result<Value>;

/// A field of a node type read from its row alone: its name in the schema, the columns of the row it
/// reads (`C`, the row's columns: a page whose nodes read only such fields selects only their columns)
/// and its reader.
pub type ScalarField<N, C> = (&'static str, &'static [C], ReadField<N>);

/// The reader of `N`'s field `name`, if `N` lists it.
pub fn reader_of<N, C>(fields: &[ScalarField<N, C>], name: &str) -> Option<ReadField<N>> {
    fields.iter().find(|(field, ..)| *field == name).map(|(.., read)| *read)
}

/// The value of a resolver that never waits, as its output type gives it.
pub fn plain<T: PlainValue>(resolver: impl Future<Output = Result<T>>) -> Result<Value> {
    match resolver.now_or_never() {
        Some(result) => result.map(PlainValue::plain_value),
        None => Err(Error::new("a field read from its row waited")),
    }
}

/// A resolver's result as a GraphQL value, the same as its `OutputType` resolves it to.
pub trait PlainValue {
    fn plain_value(self) -> Value;
}

impl PlainValue for &str {
    fn plain_value(self) -> Value {
        Value::String(self.to_owned())
    }
}

impl PlainValue for ID {
    fn plain_value(self) -> Value {
        Value::String(self.0)
    }
}

impl PlainValue for i32 {
    fn plain_value(self) -> Value {
        self.to_value()
    }
}

impl PlainValue for DateTime {
    fn plain_value(self) -> Value {
        self.to_value()
    }
}

impl<T: PlainValue> PlainValue for Option<T> {
    fn plain_value(self) -> Value {
        self.map_or(Value::Null, PlainValue::plain_value)
    }
}

/// The names of an enum's values, made once per enum (`mirror_enum!` keeps them in a static).
pub type EnumNames<T> = OnceLock<Vec<(T, Name)>>;

/// An enum's value: its GraphQL name, as `enum_value` gives it, shared instead of allocated per value.
pub fn enum_plain_value<T: EnumType + Copy>(value: T, names: &EnumNames<T>) -> Value {
    let names = names.get_or_init(|| T::items().iter().map(|item| (item.value, Name::new(item.name))).collect());
    match names.iter().find(|(known, _)| *known == value) {
        Some((_, name)) => Value::Enum(name.clone()),
        None => enum_value(value),
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::OutputType;
    use async_graphql::registry::Registry;

    use crate::graphql::complaints::Complaint;
    use crate::graphql::connection::ConnectionNode;
    use crate::graphql::customers::Customer;
    use crate::graphql::deletions::DeletedRow;
    use crate::graphql::feedback::Feedback;
    use crate::graphql::orders::Order;
    use crate::graphql::touchpoints::Touchpoint;

    /// The names a node type lists as read in place that are no field of its GraphQL type, or that it
    /// lists twice.
    fn misnamed<N: ConnectionNode + OutputType>() -> Vec<&'static str> {
        let mut registry = Registry::default();
        <N as OutputType>::create_type_info(&mut registry);
        let Some(fields) = registry.types.get(&*<N as OutputType>::type_name()).and_then(|t| t.fields()) else {
            return vec!["(no object type)"];
        };
        let names: Vec<&'static str> =
            N::SCALAR_FIELDS.iter().map(|(name, ..)| *name).chain(N::OTHER_IN_PLACE_FIELDS.iter().copied()).collect();
        names
            .iter()
            .enumerate()
            .filter(|&(i, name)| !fields.contains_key(*name) || names[..i].contains(name))
            .map(|(_, name)| *name)
            .collect()
    }

    /// A listed name that is no field of the type would never be read in place: a typo goes unnoticed
    /// otherwise.
    #[test]
    fn every_field_read_in_place_is_a_field_of_its_type_listed_once() {
        let wrong = [
            misnamed::<Customer>(),
            misnamed::<Order>(),
            misnamed::<Touchpoint>(),
            misnamed::<Feedback>(),
            misnamed::<Complaint>(),
            misnamed::<DeletedRow>(),
        ];
        assert!(wrong.iter().all(Vec::is_empty), "{wrong:?}");
        assert!(Customer::SCALAR_FIELDS.len() > 5 && Complaint::SCALAR_FIELDS.len() > 5);
        assert!(Order::resolves_in_place("totalAmount") && !Order::resolves_in_place("customer"));
    }
}

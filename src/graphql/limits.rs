//! Limits on what one request may ask, checked before anything runs.
//!
//! Two passes. First, the parsed document's shape, computed in time linear in its size (fragments are
//! measured once each and reused, cycles are rejected): depth, aliases, root fields and the number of
//! fields after fragment expansion, which stops fragment and alias bombs before async-graphql's own
//! validation (which expands fragments) ever sees them. Then, during validation, the cost: async-graphql's
//! complexity, where a connection costs its page size times the cost of what it selects per row.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::Name;
use async_graphql::{Positioned, ServerError};

use crate::error::ErrorCode;
use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, FragmentDefinition, Selection, SelectionSet,
};

use crate::services::pagination::DEFAULT_PAGE_SIZE;

/// Fields after fragment expansion beyond which a document is refused outright, whatever the other
/// limits: no real client sends this many, and it bounds the work of validating one.
pub const MAX_EXPANDED_FIELDS: u64 = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    pub max_document_bytes: usize,
    pub max_depth: u64,
    pub max_complexity: usize,
    pub max_aliases: u64,
    pub max_root_fields: u64,
    pub max_page_size: u64,
    pub max_batch: usize,
    pub timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_document_bytes: 32 * 1024,
            max_depth: 16,
            max_complexity: 500_000,
            max_aliases: 50,
            max_root_fields: 20,
            max_page_size: 100,
            max_batch: 10,
            timeout: Duration::from_secs(15),
        }
    }
}

/// A limit a request went over: the `LIMIT_EXCEEDED` error's message and extensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    pub limit: &'static str,
    pub maximum: u64,
    pub actual: u64,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let actual = if self.actual == u64::MAX { "far more".to_owned() } else { self.actual.to_string() };
        write!(f, "the query's {} is {actual}, over the limit of {}", self.limit, self.maximum)
    }
}

impl LimitExceeded {
    /// The `LIMIT_EXCEEDED` error a client gets, on every transport.
    pub fn to_server_error(&self) -> ServerError {
        let mut error = ServerError::new(self.to_string(), None);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", ErrorCode::LimitExceeded.as_str());
        extensions.set("limit", self.limit);
        extensions.set("maximum", self.maximum);
        if self.actual != u64::MAX {
            extensions.set("actual", self.actual);
        }
        error
    }
}

/// The size of the query text, checked before it is parsed.
pub fn check_document_size(query: &str, limits: &Limits) -> Result<(), LimitExceeded> {
    let (actual, maximum) = (query.len() as u64, limits.max_document_bytes as u64);
    if actual > maximum { Err(LimitExceeded { limit: "document size in bytes", maximum, actual }) } else { Ok(()) }
}

/// The cost of a connection field: its page size (the default when none is given) times what each row
/// selects, plus one for the field itself.
pub fn page_cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first.or(last).map_or(DEFAULT_PAGE_SIZE as usize, |n| usize::try_from(n).unwrap_or(0));
    size.max(1).saturating_mul(child_complexity).saturating_add(1)
}

/// The size of a selection set, with fragments expanded.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Shape {
    /// Fields at this level (through fragments too).
    top: u64,
    /// Fields at every level.
    fields: u64,
    aliases: u64,
    depth: u64,
}

/// Checks the shape of the operation a request runs. Errors name the first limit exceeded; a fragment
/// cycle is refused as a bomb.
pub fn check_document(
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    limits: &Limits,
) -> Result<(), LimitExceeded> {
    let mut measure = Measure { fragments: &document.fragments, done: HashMap::new() };
    let selected = match (&document.operations, operation_name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) => ops.values().next(),
    };
    // Validation rejects an unknown operation name; there is nothing to measure then.
    let Some(operation) = selected else { return Ok(()) };
    let shape = measure.set(&operation.node.selection_set.node);
    let bomb = LimitExceeded {
        limit: "number of fields after fragment expansion",
        maximum: MAX_EXPANDED_FIELDS,
        actual: u64::MAX,
    };
    let shape = shape.ok_or(bomb.clone())?;
    let checks = [
        ("number of fields after fragment expansion", MAX_EXPANDED_FIELDS, shape.fields),
        ("depth", limits.max_depth, shape.depth),
        ("number of aliases", limits.max_aliases, shape.aliases),
        ("number of root fields", limits.max_root_fields, shape.top),
    ];
    for (limit, maximum, actual) in checks {
        if actual > maximum {
            return Err(LimitExceeded { limit, maximum, actual });
        }
    }
    Ok(())
}

/// `check_document` for every operation of the document (when the operation to run is not known yet).
pub fn check_all_operations(document: &ExecutableDocument, limits: &Limits) -> Result<(), LimitExceeded> {
    for (name, _) in document.operations.iter() {
        check_document(document, name.map(|n| n.as_str()), limits)?;
    }
    Ok(())
}

struct Measure<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// `None` while a fragment is being measured: meeting it again is a cycle.
    done: HashMap<&'a str, Option<Shape>>,
}

impl<'a> Measure<'a> {
    /// `None` for a cycle, or sizes beyond any limit.
    fn set(&mut self, set: &'a SelectionSet) -> Option<Shape> {
        let mut shape = Shape::default();
        for item in &set.items {
            let part = match &item.node {
                Selection::Field(field) => {
                    let children = self.set(&field.node.selection_set.node)?;
                    let alias = u64::from(field.node.alias.is_some());
                    Shape {
                        top: 1,
                        fields: children.fields.saturating_add(1),
                        aliases: children.aliases.saturating_add(alias),
                        depth: children.depth + 1,
                    }
                }
                Selection::InlineFragment(inline) => self.set(&inline.node.selection_set.node)?,
                Selection::FragmentSpread(spread) => self.fragment(spread.node.fragment_name.node.as_str())?,
            };
            shape = Shape {
                top: shape.top.saturating_add(part.top),
                fields: shape.fields.saturating_add(part.fields),
                aliases: shape.aliases.saturating_add(part.aliases),
                depth: shape.depth.max(part.depth),
            };
            if shape.fields > MAX_EXPANDED_FIELDS {
                return None;
            }
        }
        Some(shape)
    }

    fn fragment(&mut self, name: &'a str) -> Option<Shape> {
        match self.done.get(name) {
            Some(Some(shape)) => return Some(*shape),
            Some(None) => return None,
            None => {}
        }
        // An unknown fragment is a validation error, reported by validation; it adds nothing here.
        let Some(fragment) = self.fragments.get(name) else { return Some(Shape::default()) };
        self.done.insert(name, None);
        let shape = self.set(&fragment.node.selection_set.node)?;
        self.done.insert(name, Some(shape));
        Some(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(query: &str, limits: &Limits) -> Result<(), LimitExceeded> {
        let document = async_graphql::parser::parse_query(query).expect("parses");
        check_document(&document, None, limits)
    }

    #[test]
    fn depth_aliases_and_root_fields_are_measured_through_fragments() {
        let limits = Limits { max_depth: 3, max_aliases: 2, max_root_fields: 2, ..Limits::default() };
        assert_eq!(check("{ a { b { c } } }", &limits), Ok(()));
        assert_eq!(check("{ a { b { c { d } } } }", &limits).unwrap_err().actual, 4);
        assert_eq!(
            check("query { ...F } fragment F on Query { a { b { c { d } } } }", &limits).unwrap_err().limit,
            "depth"
        );
        assert_eq!(check("{ x: a y: a }", &limits), Ok(()));
        assert_eq!(check("{ a b c }", &limits).unwrap_err().limit, "number of root fields");
        assert_eq!(check("{ a { x: b y: b z: b } }", &limits).unwrap_err().limit, "number of aliases");
    }

    #[test]
    fn fragment_bombs_and_cycles_are_refused_without_expanding_them() {
        // Each fragment doubles the one below: 2^40 fields, measured in 40 steps.
        let mut query = String::from("query { ...F0 } fragment F40 on Query { a }");
        for i in 0..40 {
            query.push_str(&format!(" fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1));
        }
        let error = check(&query, &Limits::default()).unwrap_err();
        assert_eq!(error.actual, u64::MAX);
        let cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        assert!(check(cycle, &Limits::default()).is_err());
    }

    #[test]
    fn a_connection_costs_its_page_size_times_its_children() {
        assert_eq!(page_cost(Some(10), None, 5), 51);
        assert_eq!(page_cost(None, Some(3), 2), 7);
        assert_eq!(page_cost(None, None, 2), DEFAULT_PAGE_SIZE as usize * 2 + 1);
        assert_eq!(page_cost(Some(0), None, 2), 3, "an empty page still costs its field");
    }
}

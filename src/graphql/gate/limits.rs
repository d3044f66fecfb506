//! Limits on what one request may ask, checked before async-graphql sees the document.
//!
//! The parsed document's shape, computed in time linear in its size (fragments are measured once each
//! and reused, cycles are rejected), for every operation in it, whichever one runs: depth, aliases,
//! root fields, and the number of selections after fragment expansion (fields, fragment spreads and
//! inline fragments), which stops fragment and alias bombs before async-graphql's own checks (which
//! expand fragments, some without memoizing them) ever see them.

use std::collections::HashMap;
use std::time::Duration;

use async_graphql::Name;
use async_graphql::Positioned;

use async_graphql::parser::types::{ExecutableDocument, FragmentDefinition, Selection, SelectionSet};

/// Selections after fragment expansion, over all operations, beyond which a document is refused
/// outright, whatever the other limits: no real client sends this many, and it bounds the work of
/// validating one.
pub const MAX_EXPANDED_SELECTIONS: u64 = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    pub max_document_bytes: usize,
    pub max_depth: u64,
    pub max_complexity: usize,
    pub max_aliases: u64,
    pub max_root_fields: u64,
    pub max_page_size: u64,
    pub max_batch: usize,
    /// For a whole request: a batch's items share it.
    pub timeout: Duration,
    /// Rows (connection rows and insight rows) one answer may hold.
    pub max_response_rows: u64,
    /// Bytes of one serialized answer.
    pub max_response_bytes: usize,
    /// Subscriptions running at once on one WebSocket.
    pub max_subscriptions: usize,
    /// How long a new WebSocket may take to send `connection_init`.
    pub websocket_init_timeout: Duration,
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
            max_response_rows: 50_000,
            max_response_bytes: 16 * 1024 * 1024,
            max_subscriptions: 20,
            websocket_init_timeout: Duration::from_secs(10),
        }
    }
}

pub use crate::error::LimitExceeded;

/// The size of the query text, checked before it is parsed.
pub fn check_document_size(query: &str, limits: &Limits) -> Result<(), LimitExceeded> {
    let (actual, maximum) = (query.len() as u64, limits.max_document_bytes as u64);
    if actual > maximum { Err(LimitExceeded { limit: "document size in bytes", maximum, actual }) } else { Ok(()) }
}

/// The size of a selection set, with fragments expanded.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
struct Shape {
    /// Fields at this level (through fragments too).
    top: u64,
    /// Selections at every level: fields, fragment spreads, inline fragments.
    selections: u64,
    aliases: u64,
    depth: u64,
}

/// Checks the shape of every operation of the document, each fragment measured once. Errors name the
/// first limit exceeded; a fragment cycle, or more selections than `MAX_EXPANDED_SELECTIONS`, is refused
/// as a bomb without expanding it.
pub fn check_document(document: &ExecutableDocument, limits: &Limits) -> Result<(), LimitExceeded> {
    let mut measure = Measure { fragments: &document.fragments, done: HashMap::new() };
    let bomb = LimitExceeded {
        limit: "number of selections after fragment expansion",
        maximum: MAX_EXPANDED_SELECTIONS,
        actual: u64::MAX,
    };
    // Fragments no operation uses are measured too: async-graphql's checks walk them all.
    for name in document.fragments.keys() {
        measure.fragment(name.as_str()).ok_or(bomb.clone())?;
    }
    let mut total: u64 = 0;
    for (_, operation) in document.operations.iter() {
        let shape = measure.set(&operation.node.selection_set.node).ok_or(bomb.clone())?;
        total = total.saturating_add(shape.selections);
        let checks = [
            ("number of selections after fragment expansion", MAX_EXPANDED_SELECTIONS, total),
            ("depth", limits.max_depth, shape.depth),
            ("number of aliases", limits.max_aliases, shape.aliases),
            ("number of root fields", limits.max_root_fields, shape.top),
        ];
        for (limit, maximum, actual) in checks {
            if actual > maximum {
                return Err(LimitExceeded { limit, maximum, actual });
            }
        }
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
                        selections: children.selections.saturating_add(1),
                        aliases: children.aliases.saturating_add(alias),
                        depth: children.depth + 1,
                    }
                }
                Selection::InlineFragment(inline) => {
                    let inner = self.set(&inline.node.selection_set.node)?;
                    Shape { selections: inner.selections.saturating_add(1), ..inner }
                }
                Selection::FragmentSpread(spread) => {
                    let inner = self.fragment(spread.node.fragment_name.node.as_str())?;
                    Shape { selections: inner.selections.saturating_add(1), ..inner }
                }
            };
            shape = Shape {
                top: shape.top.saturating_add(part.top),
                selections: shape.selections.saturating_add(part.selections),
                aliases: shape.aliases.saturating_add(part.aliases),
                depth: shape.depth.max(part.depth),
            };
            if shape.selections > MAX_EXPANDED_SELECTIONS {
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
        check_document(&document, limits)
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
    fn every_operation_and_fragment_is_measured_whichever_runs() {
        // The bomb sits in an operation that is not selected, and spreads an unknown fragment (no fields
        // at all): still refused.
        let mut query = String::from("query A { __typename } query B { ...F0 } fragment F30 on Query { ...Missing }");
        for i in 0..30 {
            query.push_str(&format!(" fragment F{i} on Query {{ ...F{} ...F{} }}", i + 1, i + 1));
        }
        assert_eq!(check(&query, &Limits::default()).unwrap_err().actual, u64::MAX);
        let unused = "query A { __typename } fragment Deep on Query { a { b { c { d { e } } } } }";
        let limits = Limits { max_depth: 3, ..Limits::default() };
        assert_eq!(
            check("query A { __typename } query B { a { b { c { d } } } }", &limits).unwrap_err().limit,
            "depth"
        );
        assert_eq!(check(unused, &Limits::default()), Ok(()), "an unused fragment within the limits is fine");
    }
}

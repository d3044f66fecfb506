//! Parsed documents, remembered by their text. Clients send the same few documents again and again, and
//! parsing one costs about ten times as much as copying its parsed form (57 against 4 µs for the nested
//! page of the benchmark). What follows the parse (the checks, the access policy, the price,
//! async-graphql's validation) runs for every request: it depends on the variables and the role.
//!
//! Bounded by the documents' text (`DOCUMENT_TEXT_BYTES`; a parsed document takes a few times its text);
//! the least recently used documents are forgotten first. Only documents that parsed are kept.

use std::sync::Arc;

use async_graphql::parser::types::ExecutableDocument;

use crate::graphql::gate::lru::BoundedLru;

/// The bytes of document text the cache holds at most: hundreds of typical documents.
pub const DOCUMENT_TEXT_BYTES: usize = 1024 * 1024;

pub struct DocumentCache(BoundedLru<Arc<str>, ExecutableDocument>);

impl Default for DocumentCache {
    fn default() -> Self {
        DocumentCache(BoundedLru::new(DOCUMENT_TEXT_BYTES, DOCUMENT_TEXT_BYTES / 16))
    }
}

impl DocumentCache {
    /// A copy of the document parsed from `text`, if remembered.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        self.0.get(text, |_| true)
    }

    /// Remembers `document`, parsed from `text`, forgetting the least recently used to make room.
    pub fn insert(&self, text: String, document: &ExecutableDocument) {
        let size = text.len();
        self.0.put(Arc::from(text), document.clone(), size);
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn document(text: &str) -> ExecutableDocument {
        parse_query(text).expect("a valid document")
    }

    #[test]
    fn a_remembered_document_is_the_one_parsed() {
        let cache = DocumentCache::default();
        let text = "query Q($n: Int) { customers(first: $n) { nodes { externalId } } }";
        assert!(cache.get(text).is_none());
        cache.insert(text.to_owned(), &document(text));
        let remembered = cache.get(text).expect("remembered");
        assert_eq!(format!("{remembered:?}"), format!("{:?}", document(text)));
        assert!(cache.get("{ customers { totalCount } }").is_none());
    }

    #[test]
    fn the_least_recently_used_documents_make_room() {
        let cache = DocumentCache::default();
        // Documents of 1/20 of the budget each: 20 fit.
        let text = |i: usize| format!("{{ a{i}: __typename }} # {}", "x".repeat(DOCUMENT_TEXT_BYTES / 20 - 40));
        for i in 0..20 {
            cache.insert(text(i), &document(&text(i)));
        }
        assert!(cache.get(&text(0)).is_some(), "used again: now the most recent");
        cache.insert(text(20), &document(&text(20)));
        assert!(cache.get(&text(0)).is_some());
        assert!(cache.get(&text(1)).is_none(), "the least recently used went");
        assert!(cache.get(&text(20)).is_some());
        let (bytes, sizes) = cache.0.bytes();
        assert!(bytes <= DOCUMENT_TEXT_BYTES);
        assert_eq!(bytes, sizes);
    }
}

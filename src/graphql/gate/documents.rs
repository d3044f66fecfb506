//! Parsed documents, remembered by their text. Clients send the same few documents again and again, and
//! parsing one costs about ten times as much as copying its parsed form (57 against 4 µs for the nested
//! page of the benchmark). What follows the parse (the checks, the access policy, the price,
//! async-graphql's validation) runs for every request: it depends on the variables and the role.
//!
//! Bounded by the documents' text (`DOCUMENT_TEXT_BYTES`; a parsed document takes a few times its text);
//! the least recently used documents are forgotten first. Only documents that parsed are kept.

use std::collections::HashMap;
use std::sync::Mutex;

use async_graphql::parser::types::ExecutableDocument;

/// The bytes of document text the cache holds at most: hundreds of typical documents.
pub const DOCUMENT_TEXT_BYTES: usize = 1024 * 1024;

#[derive(Default)]
pub struct DocumentCache(Mutex<Documents>);

#[derive(Default)]
struct Documents {
    by_text: HashMap<Box<str>, Remembered>,
    bytes: usize,
    /// Counts lookups and insertions: a document's `used` is the count at its last use.
    clock: u64,
}

struct Remembered {
    document: ExecutableDocument,
    used: u64,
}

impl DocumentCache {
    /// A copy of the document parsed from `text`, if remembered.
    pub fn get(&self, text: &str) -> Option<ExecutableDocument> {
        let mut documents = self.0.lock().ok()?;
        documents.clock += 1;
        let now = documents.clock;
        let remembered = documents.by_text.get_mut(text)?;
        remembered.used = now;
        Some(remembered.document.clone())
    }

    /// Remembers `document`, parsed from `text`, forgetting the least recently used to make room.
    pub fn insert(&self, text: String, document: &ExecutableDocument) {
        if text.len() > DOCUMENT_TEXT_BYTES / 16 {
            return;
        }
        let Ok(mut documents) = self.0.lock() else { return };
        if documents.by_text.contains_key(text.as_str()) {
            // Two requests parsed the same text at once.
            return;
        }
        while documents.bytes + text.len() > DOCUMENT_TEXT_BYTES {
            let oldest = documents.by_text.iter().min_by_key(|(_, remembered)| remembered.used);
            let Some(oldest) = oldest.map(|(text, _)| text.clone()) else { break };
            documents.by_text.remove(&oldest);
            documents.bytes -= oldest.len();
        }
        documents.clock += 1;
        let used = documents.clock;
        documents.bytes += text.len();
        documents.by_text.insert(text.into_boxed_str(), Remembered { document: document.clone(), used });
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
        let documents = cache.0.lock().expect("lock");
        assert!(documents.bytes <= DOCUMENT_TEXT_BYTES);
        assert_eq!(documents.bytes, documents.by_text.keys().map(|text| text.len()).sum::<usize>());
    }
}

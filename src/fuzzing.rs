//! The code that reads untrusted bytes before any authorization or validation, in one entry point for
//! fuzzers (`fuzz/`, cargo-fuzz) and for the randomized test below, which CI runs on stable Rust:
//! the request body parser, persisted query resolution, the GraphQL parser, the gate's document shape
//! check, pricing and access policy, and the decoding of global IDs and cursors. None of it may panic,
//! loop or allocate without bound.

use std::sync::OnceLock;

use crate::auth::Role;
use crate::domain::ids::GlobalId;
use crate::graphql::gate::access::{AccessRequest, refusals};
use crate::graphql::gate::cost::{DataShape, Pricing};
use crate::graphql::gate::limits::{Limits, check_document};
use crate::graphql::gate::persisted::PersistedQueries;
use crate::graphql::gate::schema_map::SchemaMap;
use crate::http::graphql::{PostBody, parse_post_body};
use crate::services::pagination::Cursor;

fn schema_map() -> &'static SchemaMap {
    static MAP: OnceLock<SchemaMap> = OnceLock::new();
    MAP.get_or_init(|| SchemaMap::from_sdl(&crate::graphql::sdl()).unwrap_or_default())
}

/// Feeds `data` to every decoder of untrusted input. Returns how many stages accepted it (so a fuzzer's
/// coverage and the tests can tell something happened); errors are the expected outcome of most input.
pub fn untrusted_input(data: &[u8]) -> usize {
    let mut accepted = 0;
    let limits = Limits::default();
    if let Ok(body) = parse_post_body(data, limits.max_batch) {
        accepted += 1;
        let requests = match body {
            PostBody::Single(request) => vec![*request],
            PostBody::Batch(requests) => requests,
        };
        let persisted = PersistedQueries::automatic();
        for request in requests {
            let Ok(query) = persisted.resolve(&request.query, &request.extensions) else { continue };
            if query.len() > limits.max_document_bytes {
                continue;
            }
            let Ok(document) = async_graphql::parser::parse_query(&query) else { continue };
            accepted += 1;
            if check_document(&document, &limits).is_err() {
                continue;
            }
            accepted += 1;
            // Only documents the shape check let through are priced and policed, as in the gate.
            let variables = &request.variables;
            for (_, operation) in document.operations.iter() {
                let pricing = Pricing::new(&document, variables, schema_map(), DataShape::default());
                accepted += usize::from(pricing.selection_set(&operation.node.selection_set.node, "Query") > 0);
                let access = AccessRequest {
                    document: &document,
                    operation: &operation.node,
                    variables,
                    role: Role::Viewer,
                    introspection: false,
                };
                accepted += usize::from(refusals(&access).is_empty());
            }
        }
    }
    let text = String::from_utf8_lossy(data);
    accepted += usize::from(GlobalId::decode("id", &text).is_ok());
    for field in ["createdAt", "name", "placedAt", "orderCount"] {
        accepted += usize::from(Cursor::decode("after", &text, field).is_ok());
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::rng::Rng;

    /// Inputs that reach each stage, to mutate from.
    fn seeds() -> Vec<Vec<u8>> {
        let cursor = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(r#"{"f":"createdAt","k":"2026-01-01T00:00:00Z","i":5}"#)
        };
        [
            r#"{"query":"{ customers(first: 5) { nodes { id name orders { totalCount } } } }"}"#.to_owned(),
            r#"[{"query":"query A { __typename }","operationName":"A"},{"query":"{ a: __typename }"}]"#.to_owned(),
            r#"{"query":"query { ...F } fragment F on Query { ...G } fragment G on Query { __typename }"}"#.to_owned(),
            r#"{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}"#.to_owned(),
            "Q3VzdG9tZXI6NDI".to_owned(),
            cursor,
        ]
        .into_iter()
        .map(String::into_bytes)
        .collect()
    }

    fn below(rng: &mut Rng, n: u64) -> u64 {
        rng.next_u64() % n.max(1)
    }

    /// Random edits: flip, insert, delete, duplicate a slice, splice two seeds.
    fn mutate(input: &[u8], other: &[u8], rng: &mut Rng) -> Vec<u8> {
        let mut out = input.to_vec();
        for _ in 0..=below(rng, 8) {
            let at = if out.is_empty() { 0 } else { below(rng, out.len() as u64) as usize };
            match below(rng, 5) {
                0 if !out.is_empty() => out[at] ^= 1 << below(rng, 8),
                1 => out.insert(at, b"{}[]\"\\:,.!$@#{ }..."[below(rng, 19) as usize]),
                2 if !out.is_empty() => {
                    out.remove(at);
                }
                3 if !out.is_empty() => {
                    let end = (at + 1 + below(rng, 16) as usize).min(out.len());
                    let slice = out[at..end].to_vec();
                    out.splice(at..at, slice);
                }
                _ => {
                    let cut = if other.is_empty() { 0 } else { below(rng, other.len() as u64) as usize };
                    out.truncate(at);
                    out.extend_from_slice(&other[cut..]);
                }
            }
        }
        out
    }

    #[test]
    fn thousands_of_mutated_inputs_never_panic() {
        let seeds = seeds();
        let mut rng = Rng::new(crate::test_seed::test_seed());
        let mut accepted = 0;
        for seed in &seeds {
            accepted += untrusted_input(seed);
        }
        assert!(accepted >= seeds.len(), "the seeds themselves get through some stages");
        for _ in 0..20_000 {
            let input = &seeds[below(&mut rng, seeds.len() as u64) as usize];
            let other = &seeds[below(&mut rng, seeds.len() as u64) as usize];
            untrusted_input(&mutate(input, other, &mut rng));
        }
        // Pathological shapes.
        untrusted_input(format!(r#"{{"query":"{}"}}"#, "{a".repeat(10_000)).as_bytes());
        untrusted_input(&vec![b'['; 100_000]);
        untrusted_input(&[0xff, 0xfe, 0x00, 0x80]);
    }
}

//! Persisted queries, two ways:
//! - **automatic** (the default; Apollo's protocol): a client sends `extensions.persistedQuery.sha256Hash`
//!   without the query; if the server knows the hash it runs that query, else it answers
//!   `PERSISTED_QUERY_NOT_FOUND` and the client sends hash and query together once, which registers it.
//!   Saves bandwidth; changes nothing about what may run.
//! - **allow-list** (`--persisted-queries FILE`): only the queries in the file may run, by hash or by
//!   their exact text. For production frontends: an attacker cannot send a query of their own.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use async_graphql::Extensions;
use serde_json::Value;

use crate::auth::keys::sha256_hex;
use crate::error::ErrorCode;

/// Queries remembered by the automatic mode (per instance; a client re-sends on a miss).
const AUTOMATIC_CAPACITY: usize = 10_000;

#[derive(Clone, Debug)]
pub enum PersistedQueries {
    Automatic(Arc<Mutex<HashMap<String, Arc<str>>>>),
    AllowList(Arc<HashMap<String, Arc<str>>>),
}

/// Why a request's query could not be resolved: a GraphQL error code and message.
#[derive(Debug, PartialEq, Eq)]
pub struct PersistedQueryError {
    pub code: ErrorCode,
    pub message: String,
}

impl PersistedQueries {
    pub fn automatic() -> Self {
        PersistedQueries::Automatic(Arc::default())
    }

    /// Reads an allow-list: an Apollo persisted query manifest
    /// (`{"operations": [{"id": SHA256, "body": QUERY, ...}]}`) or a JSON object `{SHA256: QUERY}`.
    /// Every hash is checked against its query.
    pub fn allow_list(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read it ({e})", path.display()))?;
        let json: Value = serde_json::from_str(&text).map_err(|e| format!("{}: not JSON ({e})", path.display()))?;
        let pairs: Vec<(String, String)> = match &json {
            Value::Object(map) if map.contains_key("operations") => json["operations"]
                .as_array()
                .ok_or_else(|| format!("{}: `operations` must be a list", path.display()))?
                .iter()
                .map(|op| match (op["id"].as_str(), op["body"].as_str()) {
                    (Some(id), Some(body)) => Ok((id.to_owned(), body.to_owned())),
                    _ => Err(format!("{}: every operation needs a string `id` and `body`", path.display())),
                })
                .collect::<Result<_, _>>()?,
            Value::Object(map) => map
                .iter()
                .map(|(hash, query)| match query.as_str() {
                    Some(query) => Ok((hash.clone(), query.to_owned())),
                    None => Err(format!("{}: the query of `{hash}` must be a string", path.display())),
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(format!("{}: expected a JSON object", path.display())),
        };
        let mut queries = HashMap::new();
        for (hash, query) in pairs {
            if sha256_hex(query.as_bytes()) != hash.to_ascii_lowercase() {
                return Err(format!("{}: `{hash}` is not the SHA-256 of its query", path.display()));
            }
            queries.insert(hash.to_ascii_lowercase(), Arc::from(query));
        }
        Ok(PersistedQueries::AllowList(Arc::new(queries)))
    }

    /// The query to run, given the request's query text (possibly empty) and its `extensions`.
    pub fn resolve(&self, query: &str, extensions: &Extensions) -> Result<String, PersistedQueryError> {
        let hash = persisted_hash(extensions)?;
        match self {
            PersistedQueries::Automatic(cache) => match (query.is_empty(), hash) {
                (_, None) => Ok(query.to_owned()),
                (true, Some(hash)) => {
                    let found = cache.lock().ok().and_then(|cache| cache.get(&hash).cloned());
                    found.map(|q| q.to_string()).ok_or_else(|| PersistedQueryError {
                        code: ErrorCode::PersistedQueryNotFound,
                        message: "PersistedQueryNotFound: send the query with its hash once".into(),
                    })
                }
                (false, Some(hash)) => {
                    if sha256_hex(query.as_bytes()) != hash {
                        return Err(bad_request(
                            "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query",
                        ));
                    }
                    if let Ok(mut cache) = cache.lock() {
                        if cache.len() >= AUTOMATIC_CAPACITY {
                            cache.clear();
                        }
                        cache.insert(hash, Arc::from(query));
                    }
                    Ok(query.to_owned())
                }
            },
            PersistedQueries::AllowList(queries) => {
                let hash = match hash {
                    Some(hash) => hash,
                    None if query.is_empty() => return Err(bad_request("the query is missing")),
                    None => sha256_hex(query.as_bytes()),
                };
                match queries.get(&hash) {
                    Some(allowed) if query.is_empty() || **allowed == *query => Ok(allowed.to_string()),
                    Some(_) => Err(bad_request("extensions.persistedQuery.sha256Hash is not the SHA-256 of the query")),
                    None => Err(PersistedQueryError {
                        code: ErrorCode::PersistedQueryNotAllowed,
                        message: "this server only runs the queries of its allow-list".into(),
                    }),
                }
            }
        }
    }
}

fn bad_request(message: &str) -> PersistedQueryError {
    PersistedQueryError { code: ErrorCode::BadRequest, message: message.to_owned() }
}

/// `extensions.persistedQuery.sha256Hash` (version 1), lower-cased, if the request has one.
fn persisted_hash(extensions: &Extensions) -> Result<Option<String>, PersistedQueryError> {
    let Some(persisted) = extensions.0.get("persistedQuery") else { return Ok(None) };
    let persisted = persisted.clone().into_json().unwrap_or_default();
    if persisted.get("version").and_then(Value::as_i64) != Some(1) {
        return Err(bad_request("extensions.persistedQuery.version must be 1"));
    }
    let hash = persisted.get("sha256Hash").and_then(Value::as_str).unwrap_or_default().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad_request("extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits"));
    }
    Ok(Some(hash))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn extensions(hash: &str) -> Extensions {
        let persisted = async_graphql::Value::from_json(json!({ "version": 1, "sha256Hash": hash })).unwrap();
        Extensions(HashMap::from([("persistedQuery".to_owned(), persisted)]))
    }

    #[test]
    fn automatic_mode_registers_on_the_first_full_request() {
        let store = PersistedQueries::automatic();
        let query = "{ customers { totalCount } }";
        let hash = sha256_hex(query.as_bytes());
        assert_eq!(store.resolve("", &extensions(&hash)).unwrap_err().code, ErrorCode::PersistedQueryNotFound);
        assert_eq!(store.resolve(query, &extensions(&hash)).unwrap(), query);
        assert_eq!(store.resolve("", &extensions(&hash)).unwrap(), query);
        assert_eq!(store.resolve("{ x }", &extensions(&hash)).unwrap_err().code, ErrorCode::BadRequest);
        assert_eq!(store.resolve(query, &Extensions::default()).unwrap(), query, "plain queries still run");
    }

    #[test]
    fn an_allow_list_runs_only_its_queries_and_checks_its_hashes() {
        let dir = tempfile::tempdir().unwrap();
        let query = "query Count { customers { totalCount } }";
        let hash = sha256_hex(query.as_bytes());
        let path = dir.path().join("manifest.json");
        let manifest = json!({ "format": "apollo-persisted-query-manifest", "version": 1,
            "operations": [{ "id": hash, "name": "Count", "type": "query", "body": query }] });
        std::fs::write(&path, manifest.to_string()).unwrap();
        let store = PersistedQueries::allow_list(&path).unwrap();
        assert_eq!(store.resolve("", &extensions(&hash)).unwrap(), query);
        assert_eq!(store.resolve(query, &Extensions::default()).unwrap(), query);
        let other = store.resolve("{ customers { nodes { email } } }", &Extensions::default()).unwrap_err();
        assert_eq!(other.code, ErrorCode::PersistedQueryNotAllowed);
        std::fs::write(&path, json!({ "0".repeat(64): query }).to_string()).unwrap();
        assert!(PersistedQueries::allow_list(&path).unwrap_err().contains("is not the SHA-256"));
    }
}

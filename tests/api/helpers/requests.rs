//! GraphQL over HTTP to a server at any address: the one POST every test goes through, and the two
//! checks most tests want on top of it (status 200; no errors).

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// What a server answered to a GraphQL POST.
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    /// The JSON body; a body that is not JSON as a JSON string, so that messages still show it.
    pub body: Value,
    /// From sending the request to reading the whole body.
    pub elapsed: Duration,
}

/// Posts `body` (one request or a batch) as `application/json` to the GraphQL endpoint of the server at
/// `address` (`http://HOST:PORT`), with `key` as a bearer token when given. Asserts nothing about the answer.
pub async fn send(client: &reqwest::Client, address: &str, key: Option<&str>, body: &Value) -> Reply {
    let started = Instant::now();
    let mut request = client.post(format!("{address}/graphql")).json(body);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").map(|v| v.to_str().unwrap_or_default().to_owned());
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply { status, retry_after, body, elapsed: started.elapsed() }
}

/// Posts `query` with `variables`; asserts status 200 and returns the body.
pub async fn post(client: &reqwest::Client, address: &str, query: &str, variables: Value) -> Value {
    let reply = send(client, address, None, &json!({ "query": query, "variables": variables })).await;
    assert_eq!(reply.status, 200, "status of {query}: {}", reply.body);
    reply.body
}

/// Like `post`, and asserts that the answer has no errors; returns `data`.
pub async fn query(client: &reqwest::Client, address: &str, query: &str, variables: Value) -> Value {
    let body = post(client, address, query, variables).await;
    assert!(body.get("errors").is_none(), "unexpected errors: {body}");
    body["data"].clone()
}

/// The `code` extension of an error.
pub fn code(error: &Value) -> &str {
    error["extensions"]["code"].as_str().unwrap_or("<no code>")
}

/// The `code` of a mutation's user error.
pub fn user_code(error: &Value) -> &str {
    error["code"].as_str().unwrap_or("<no code>")
}

/// A user error's `field` path as the validation writes it: `["inputs", "1", "score"]` is
/// `inputs[1].score`; empty when the error names no field.
pub fn field_of(error: &Value) -> String {
    let mut dotted = String::new();
    for part in error["field"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            dotted.push_str(&format!("[{part}]"));
        } else {
            if !dotted.is_empty() {
                dotted.push('.');
            }
            dotted.push_str(part);
        }
    }
    dotted
}

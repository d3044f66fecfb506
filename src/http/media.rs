//! Content negotiation of the GraphQL-over-HTTP specification
//! (https://graphql.github.io/graphql-over-http/draft/).

use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_TYPE};

pub const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";
pub const JSON: &str = "application/json";

/// The media type of the response.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum ResponseMedia {
    /// `application/graphql-response+json`: request errors get 4xx status codes.
    GraphqlResponseJson,
    /// `application/json` (legacy): every well-formed request gets 200.
    Json,
}

impl ResponseMedia {
    pub fn content_type(self) -> &'static str {
        match self {
            ResponseMedia::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            ResponseMedia::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response media type from `Accept`. No header means `application/json`, as the spec
/// asks for legacy clients; `None` means the client accepts nothing we can send (406).
pub fn negotiate(headers: &HeaderMap) -> Option<ResponseMedia> {
    let Some(accept) = headers.get(ACCEPT) else { return Some(ResponseMedia::Json) };
    let accept = accept.to_str().ok()?;
    let mut best: Option<(ResponseMedia, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality =
            parts.filter_map(|p| p.trim().strip_prefix("q=")).find_map(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
        if quality <= 0.0 {
            continue;
        }
        let candidate = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => ResponseMedia::GraphqlResponseJson,
            JSON | "application/*" | "*/*" => ResponseMedia::Json,
            _ => continue,
        };
        // Higher quality wins; on a tie the GraphQL media type wins, as the spec prefers it.
        let better = match best {
            None => true,
            Some((current, q)) => {
                quality > q || (quality == q && candidate == ResponseMedia::GraphqlResponseJson && current != candidate)
            }
        };
        if better {
            best = Some((candidate, quality));
        }
    }
    best.map(|(media, _)| media)
}

/// Whether a POST body is declared as JSON (`application/json`, any parameters).
pub fn is_json_body(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| media.trim().eq_ignore_ascii_case(JSON))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &str) -> Option<ResponseMedia> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        negotiate(&headers)
    }

    #[test]
    fn negotiates_by_quality_and_prefers_graphql_response_json() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(ResponseMedia::Json));
        assert_eq!(accept("application/json"), Some(ResponseMedia::Json));
        assert_eq!(
            accept("application/graphql-response+json, application/json;q=0.9"),
            Some(ResponseMedia::GraphqlResponseJson)
        );
        assert_eq!(
            accept("application/json, application/graphql-response+json"),
            Some(ResponseMedia::GraphqlResponseJson)
        );
        assert_eq!(accept("application/json;q=1, application/graphql-response+json;q=0.5"), Some(ResponseMedia::Json));
        assert_eq!(accept("*/*"), Some(ResponseMedia::Json));
        assert_eq!(accept("text/html"), None);
        assert_eq!(accept("application/json;q=0"), None);
    }
}

//! `GET` and `POST /graphql` per the GraphQL-over-HTTP specification: content negotiation, mutations
//! only over POST, and the status codes the spec gives for request errors.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response as GqlResponse, ServerError};
use axum::body::{Body, to_bytes};
use axum::extract::{RawQuery, State};
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{ErrorCode, finish_errors};
use crate::http::HttpState;
use crate::http::media::{ResponseMedia, is_json_body, negotiate};
use crate::loaders::Loaders;

pub async fn post(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    if !is_json_body(&headers) {
        return request_failure(
            media,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "BAD_REQUEST",
            "the request body must be JSON, sent with Content-Type: application/json",
        );
    }
    let bytes = match to_bytes(body, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!("the request body is larger than {} bytes", state.max_body_bytes);
            return request_failure(media, StatusCode::PAYLOAD_TOO_LARGE, "BAD_REQUEST", &message);
        }
    };
    let request: Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(e) => {
            let message = format!("the body is not a GraphQL request object ({e})");
            return request_failure(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message);
        }
    };
    execute(state, media, request, Method::Post).await
}

pub async fn get(State(state): State<HttpState>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let request = match async_graphql::http::parse_query_string(query.as_deref().unwrap_or("")) {
        Ok(request) if !request.query.is_empty() => request,
        Ok(_) => return request_failure(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", "the query parameter is missing"),
        Err(e) => {
            let message = format!("invalid GraphQL GET parameters ({e})");
            return request_failure(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message);
        }
    };
    execute(state, media, request, Method::Get).await
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

async fn execute(state: HttpState, media: ResponseMedia, mut request: Request, method: Method) -> Response {
    let operation_name = request.operation_name.clone();
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => return graphql_response(media, parse_failure(error)),
    };
    if method == Method::Get && selects_non_query(&document.operations, operation_name.as_deref()) {
        let mut response = request_failure(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "mutations and subscriptions must be sent with POST",
        );
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let request = request.data(Loaders::new(&state.db));
    let mut response = state.schema.execute(request).await;
    finish_errors(&mut response.errors);
    graphql_response(media, response)
}

/// Whether the operation a GET would run is a mutation or subscription (never allowed over GET).
fn selects_non_query(operations: &DocumentOperations, name: Option<&str>) -> bool {
    let is_query = |ty: OperationType| ty == OperationType::Query;
    match (operations, name) {
        (DocumentOperations::Single(op), _) => !is_query(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).is_some_and(|op| !is_query(op.node.ty)),
        // Several operations without a name: validation rejects the request anyway.
        (DocumentOperations::Multiple(_), None) => false,
    }
}

fn parse_failure(mut error: ServerError) -> GqlResponse {
    error.extensions.get_or_insert_with(Default::default).set("code", ErrorCode::GraphqlParseFailed.as_str());
    GqlResponse::from_errors(vec![error])
}

/// A request error: the document could not be parsed or validated, so nothing ran and there is no
/// `data`. Resolver errors always carry a path.
fn is_request_error(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn graphql_response(media: ResponseMedia, response: GqlResponse) -> Response {
    let request_error = is_request_error(&response);
    let mut body = match serde_json::to_value(&response) {
        Ok(body) => body,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialize a GraphQL response");
            return request_failure(media, StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal.as_str(), "internal server error");
        }
    };
    let status = match media {
        ResponseMedia::GraphqlResponseJson if request_error => {
            // The spec: a response without execution has no `data` entry at all.
            if let Some(object) = body.as_object_mut() {
                object.remove("data");
            }
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::OK,
    };
    json_response(media, status, body)
}

/// A failure before GraphQL execution, in the GraphQL response shape, with the given status code
/// (with `application/json`, the spec allows 4xx here too: the request is not well-formed).
fn request_failure(media: ResponseMedia, status: StatusCode, code: &str, message: &str) -> Response {
    json_response(media, status, json!({ "errors": [{ "message": message, "extensions": { "code": code } }] }))
}

fn json_response(media: ResponseMedia, status: StatusCode, body: serde_json::Value) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static(media.content_type()))], body.to_string()).into_response()
}

fn not_acceptable() -> Response {
    let body = json!({ "errors": [{
        "message": "this endpoint answers with application/graphql-response+json or application/json",
        "extensions": { "code": "BAD_REQUEST" }
    }] });
    (StatusCode::NOT_ACCEPTABLE, [(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"))], body.to_string())
        .into_response()
}

//! `GET` and `POST /graphql` per the GraphQL-over-HTTP specification: content negotiation, mutations
//! only over POST, and the status codes the spec gives for request errors.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response as GqlResponse, ServerError, Variables};
use axum::body::{Body, to_bytes};
use axum::extract::{Query, State};
use axum::http::header::{ALLOW, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::error::{ErrorCode, finish_errors, null_failed_fields};
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
    let request = match parse_post_body(&bytes) {
        Ok(request) => request,
        Err(message) => return request_failure(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", &message),
    };
    execute(state, media, request, Method::Post).await
}

/// The GET parameters of the spec: `variables` and `extensions` are JSON-encoded strings.
#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

pub async fn get(State(state): State<HttpState>, headers: HeaderMap, uri: Uri) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let bad_request = |message: &str| request_failure(media, StatusCode::BAD_REQUEST, "BAD_REQUEST", message);
    let Ok(Query(params)) = Query::<GetParams>::try_from_uri(&uri) else {
        return bad_request("invalid query string");
    };
    let Some(query) = params.query.filter(|q| !q.is_empty()) else {
        return bad_request("the query parameter is missing");
    };
    let mut request = Request::new(query);
    request.operation_name = params.operation_name;
    if let Some(raw) = params.variables {
        match serde_json::from_str::<serde_json::Value>(&raw) {
            Ok(value @ serde_json::Value::Object(_)) => request.variables = Variables::from_json(value),
            _ => return bad_request("the variables parameter must be a JSON object"),
        }
    }
    if let Some(raw) = params.extensions {
        match serde_json::from_str(&raw) {
            Ok(extensions) => request.extensions = extensions,
            Err(_) => return bad_request("the extensions parameter must be a JSON object"),
        }
    }
    execute(state, media, request, Method::Get).await
}

/// Parses a POST body: a JSON object with a string `query` (the spec's required member).
fn parse_post_body(bytes: &[u8]) -> Result<Request, String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| format!("the body is not JSON ({e})"))?;
    if !value.get("query").is_some_and(serde_json::Value::is_string) {
        return Err("the body must be a JSON object with a string member `query`".to_owned());
    }
    serde_json::from_value(value).map_err(|e| format!("the body is not a GraphQL request ({e})"))
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
    let (loaders, batches) = Loaders::new(&state.db);
    let mut response = batches.run(state.schema.execute(request.data(loaders))).await;
    finish_errors(&mut response.errors);
    null_failed_fields(&mut response.data, &response.errors);
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
            return request_failure(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal.as_str(),
                "internal server error",
            );
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
    (
        StatusCode::NOT_ACCEPTABLE,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"))],
        body.to_string(),
    )
        .into_response()
}

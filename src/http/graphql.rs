//! `GET` and `POST /graphql` per the GraphQL-over-HTTP specification: content negotiation, mutations
//! only over POST, and the status codes the spec gives for request errors.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response as GqlResponse, ServerError, Variables};
use axum::body::{Body, to_bytes};
use axum::extract::{Query, State};
use axum::http::header::{ALLOW, CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use crate::db::Access;
use crate::error::{ErrorCode, finish_errors, null_failed_fields};
use crate::graphql::cost::CostSlot;
use crate::http::HttpState;
use crate::http::media::{ResponseMedia, is_json_body, negotiate};
use crate::loaders::Loaders;
use crate::ops::metrics::Outcome;
use crate::ops::request_log::{GraphqlOutcome, UNKNOWN_OPERATION};

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
        Err(error) => {
            let response = graphql_response(media, parse_failure(error));
            return with_outcome(response, UNKNOWN_OPERATION.to_owned(), Outcome::Rejected, None);
        }
    };
    let operation = operation_label(&document.operations, operation_name.as_deref());
    let selected = selected_type(&document.operations, operation_name.as_deref());
    if method == Method::Get && selected.is_some_and(|ty| ty != OperationType::Query) {
        let mut response = request_failure(
            media,
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "mutations and subscriptions must be sent with POST",
        );
        response.headers_mut().insert(ALLOW, HeaderValue::from_static("POST"));
        return with_outcome(response, operation, Outcome::Rejected, None);
    }
    // Queries may read a replica; a mutation reads its own writes back, so it stays on the primary.
    let access = if selected == Some(OperationType::Mutation) { Access::Write } else { Access::Read };
    let Some(pool) = state.databases.route(access) else {
        return with_outcome(unavailable(media), operation, Outcome::Unavailable, None);
    };
    let cost = CostSlot::new();
    let (loaders, batches) = Loaders::new(&pool.connection);
    let request = request.data(loaders).data(pool.connection.clone()).data(cost.clone());
    let mut response = batches.run(state.schema.execute(request)).await;
    finish_errors(&mut response.errors);
    null_failed_fields(&mut response.data, &response.errors);
    let outcome = outcome_of(&response);
    if outcome == Outcome::Unavailable {
        pool.health.report_failure();
    }
    with_outcome(graphql_response(media, response), operation, outcome, cost.get())
}

fn outcome_of(response: &GqlResponse) -> Outcome {
    let unavailable = ErrorCode::ServiceUnavailable.as_str();
    let has_code = |code: &str| {
        response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|ext| ext.get("code"))
                .is_some_and(|c| *c == async_graphql::Value::from(code))
        })
    };
    if response.errors.is_empty() {
        Outcome::Ok
    } else if has_code(unavailable) {
        Outcome::Unavailable
    } else if is_request_error(response) {
        Outcome::Rejected
    } else {
        Outcome::FieldErrors
    }
}

fn with_outcome(mut response: Response, operation: String, outcome: Outcome, cost: Option<usize>) -> Response {
    response.extensions_mut().insert(GraphqlOutcome { operation, outcome, cost });
    response
}

/// The database the request needs is down: answered at once, without waiting on it. 503 with a
/// retry hint, so load balancers and clients back off.
fn unavailable(media: ResponseMedia) -> Response {
    let mut response = request_failure(
        media,
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::ServiceUnavailable.as_str(),
        "the database is unavailable, retry later",
    );
    response.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The type of the operation the request runs; `None` when the document does not say which
/// (validation then rejects it).
fn selected_type(operations: &DocumentOperations, name: Option<&str>) -> Option<OperationType> {
    match (operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The operation's name for logs and metrics: only a name the document defines (so arbitrary
/// `operationName` strings do not reach them), `anonymous` for an unnamed operation.
fn operation_label(operations: &DocumentOperations, name: Option<&str>) -> String {
    match (operations, name) {
        (DocumentOperations::Single(_), _) => "anonymous".to_owned(),
        (DocumentOperations::Multiple(ops), Some(name)) if ops.contains_key(name) => name.to_owned(),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.keys().next().map_or_else(|| UNKNOWN_OPERATION.to_owned(), |name| name.to_string())
        }
        _ => UNKNOWN_OPERATION.to_owned(),
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

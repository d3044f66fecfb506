//! `GET` and `POST /graphql` per the GraphQL-over-HTTP specification: content negotiation, mutations
//! only over POST, and the status codes the spec gives for request errors. Around execution: the API
//! key, persisted queries, the request limits, the rate limit and the cost report.

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response as GqlResponse, ServerError, Variables};
use axum::body::{Body, to_bytes};
use axum::extract::{Query, State};
use axum::http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::auth::authenticator::AuthFailure;
use crate::db::Access;
use crate::error::{ErrorCode, finish_errors, null_failed_fields};
use crate::graphql::cost::CostSlot;
use crate::graphql::guard::DocumentChecked;
use crate::graphql::limits::{check_document, check_document_size};
use crate::http::HttpState;
use crate::http::media::{ResponseMedia, is_json_body, negotiate};
use crate::loaders::Loaders;
use crate::ops::metrics::Outcome;
use crate::ops::request_log::{GraphqlOutcome, UNKNOWN_OPERATION};

pub async fn post(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    if !is_json_body(&headers) {
        let message = "the request body must be JSON, sent with Content-Type: application/json";
        return Answer::failure(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::BadRequest, message)
            .into_response(media);
    }
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(answer) => return answer.into_response(media),
    };
    let bytes = match to_bytes(body, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!("the request body is larger than {} bytes", state.max_body_bytes);
            return Answer::failure(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BadRequest, &message)
                .into_response(media);
        }
    };
    match parse_post_body(&bytes, state.limits.max_batch) {
        Ok(PostBody::Single(request)) => execute(&state, &principal, *request, Method::Post).await.into_response(media),
        Ok(PostBody::Batch(requests)) => {
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(execute(&state, &principal, request, Method::Post).await);
            }
            batch_response(media, answers)
        }
        Err(message) => Answer::failure(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, &message).into_response(media),
    }
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
    let principal = match authenticate(&state, &headers).await {
        Ok(principal) => principal,
        Err(answer) => return answer.into_response(media),
    };
    let bad_request = |message: &str| Answer::failure(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message);
    let Ok(Query(params)) = Query::<GetParams>::try_from_uri(&uri) else {
        return bad_request("invalid query string").into_response(media);
    };
    let mut request = Request::new(params.query.unwrap_or_default());
    request.operation_name = params.operation_name;
    if let Some(raw) = params.variables {
        match serde_json::from_str::<Value>(&raw) {
            Ok(value @ Value::Object(_)) => request.variables = Variables::from_json(value),
            _ => return bad_request("the variables parameter must be a JSON object").into_response(media),
        }
    }
    if let Some(raw) = params.extensions {
        match serde_json::from_str(&raw) {
            Ok(extensions) => request.extensions = extensions,
            Err(_) => return bad_request("the extensions parameter must be a JSON object").into_response(media),
        }
    }
    if request.query.is_empty() && !request.extensions.0.contains_key("persistedQuery") {
        return bad_request("the query parameter is missing").into_response(media);
    }
    execute(&state, &principal, request, Method::Get).await.into_response(media)
}

/// The principal of the request, or a 401 answer. Bad and missing keys get the same treatment
/// whatever the request asks for, so nothing about the data leaks before authentication.
async fn authenticate(state: &HttpState, headers: &HeaderMap) -> Result<Principal, Answer> {
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("<invalid>"));
    match state.auth.authenticate(header).await {
        Ok(principal) => Ok(principal),
        Err(AuthFailure::Unavailable(error)) => {
            tracing::error!(error = %error, "cannot check an API key");
            Err(Answer::unavailable(ErrorCode::ServiceUnavailable, "the database is unavailable, retry later"))
        }
        Err(failure) => {
            let mut answer =
                Answer::failure(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, &failure.to_string());
            answer.www_authenticate = true;
            Err(answer)
        }
    }
}

pub(crate) enum PostBody {
    Single(Box<Request>),
    Batch(Vec<Request>),
}

/// Parses a POST body: a JSON object with a string `query` (the spec's required member) or a
/// persisted query hash, or a list of up to `max_batch` of them (a batch, answered by a list).
pub(crate) fn parse_post_body(bytes: &[u8], max_batch: usize) -> Result<PostBody, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("the body is not JSON ({e})"))?;
    match value {
        Value::Array(items) if items.is_empty() => Err("a batch must hold at least one request".to_owned()),
        Value::Array(items) if items.len() > max_batch => {
            Err(format!("a batch holds at most {max_batch} requests, this one {}", items.len()))
        }
        Value::Array(items) => Ok(PostBody::Batch(items.into_iter().map(parse_request).collect::<Result<_, _>>()?)),
        value => Ok(PostBody::Single(Box::new(parse_request(value)?))),
    }
}

fn parse_request(mut value: Value) -> Result<Request, String> {
    let persisted = value.pointer("/extensions/persistedQuery").is_some();
    match value.get("query") {
        Some(Value::String(_)) => {}
        None | Some(Value::Null) if persisted => {
            if let Some(object) = value.as_object_mut() {
                object.insert("query".into(), Value::String(String::new()));
            }
        }
        _ => return Err("the body must be a JSON object with a string member `query`".to_owned()),
    }
    serde_json::from_value(value).map_err(|e| format!("the body is not a GraphQL request ({e})"))
}

#[derive(Copy, Clone, PartialEq, Eq)]
enum Method {
    Get,
    Post,
}

/// A GraphQL request's answer before it becomes an HTTP response (alone, or in a batch).
struct Answer {
    status: StatusCode,
    body: Value,
    /// A request error (nothing executed): 400 under `application/graphql-response+json`.
    request_error: bool,
    retry_after: Option<u64>,
    allow_post: bool,
    www_authenticate: bool,
    outcome: GraphqlOutcome,
}

impl Answer {
    /// A failure before GraphQL execution, with its own status code.
    fn failure(status: StatusCode, code: ErrorCode, message: &str) -> Self {
        Answer::new(status, json!({ "errors": [{ "message": message, "extensions": { "code": code.as_str() } }] }))
    }

    fn new(status: StatusCode, body: Value) -> Self {
        Answer {
            status,
            body,
            request_error: false,
            retry_after: None,
            allow_post: false,
            www_authenticate: false,
            outcome: GraphqlOutcome {
                operation: UNKNOWN_OPERATION.to_owned(),
                outcome: Outcome::Rejected,
                cost: None,
                principal: None,
            },
        }
    }

    /// 503 with a retry hint: the database is down, or the request ran out of time.
    fn unavailable(code: ErrorCode, message: &str) -> Self {
        let mut answer = Answer::failure(StatusCode::SERVICE_UNAVAILABLE, code, message);
        answer.retry_after = Some(1);
        answer.outcome.outcome = Outcome::Unavailable;
        answer
    }

    /// A GraphQL response: 200, or 400 for request errors under `application/graphql-response+json`.
    fn graphql(response: GqlResponse) -> Self {
        let request_error = is_request_error(&response);
        let body = serde_json::to_value(&response).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot serialize a GraphQL response");
            json!({ "errors": [{ "message": "internal server error", "extensions": { "code": ErrorCode::Internal.as_str() } }] })
        });
        Answer { request_error, ..Answer::new(StatusCode::OK, body) }
    }

    fn with(mut self, operation: &str, outcome: Outcome, principal: &Principal) -> Self {
        self.outcome.operation = operation.to_owned();
        self.outcome.outcome = outcome;
        self.outcome.principal = Some(principal.name.clone());
        self
    }

    fn status(&self, media: ResponseMedia) -> StatusCode {
        match media {
            ResponseMedia::GraphqlResponseJson if self.request_error => StatusCode::BAD_REQUEST,
            _ => self.status,
        }
    }

    fn into_response(mut self, media: ResponseMedia) -> Response {
        let status = self.status(media);
        if media == ResponseMedia::GraphqlResponseJson
            && self.request_error
            && let Some(object) = self.body.as_object_mut()
        {
            // The spec: a response without execution has no `data` entry at all.
            object.remove("data");
        }
        let mut response = json_response(media, status, &self.body);
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.allow_post {
            headers.insert(ALLOW, HeaderValue::from_static("POST"));
        }
        if self.www_authenticate {
            headers.insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(self.outcome);
        response
    }
}

/// A batch's answers, in order, as one JSON list (200: each item carries its own errors).
fn batch_response(media: ResponseMedia, answers: Vec<Answer>) -> Response {
    let worst = answers.iter().map(|a| a.outcome.outcome).max().unwrap_or(Outcome::Ok);
    let cost = answers.iter().filter_map(|a| a.outcome.cost).reduce(|a, b| a.saturating_add(b));
    let principal = answers.iter().find_map(|a| a.outcome.principal.clone());
    let bodies: Vec<Value> = answers.into_iter().map(|a| a.body).collect();
    let mut response = json_response(media, StatusCode::OK, &Value::Array(bodies));
    let outcome = GraphqlOutcome { operation: "batch".to_owned(), outcome: worst, cost, principal };
    response.extensions_mut().insert(outcome);
    response
}

async fn execute(state: &HttpState, principal: &Principal, mut request: Request, method: Method) -> Answer {
    match state.persisted.resolve(&request.query, &request.extensions) {
        Ok(query) => request.query = query,
        Err(error) => {
            let status = match error.code {
                ErrorCode::PersistedQueryNotFound => StatusCode::OK,
                _ => StatusCode::BAD_REQUEST,
            };
            return Answer::failure(status, error.code, &error.message).with(
                UNKNOWN_OPERATION,
                Outcome::Rejected,
                principal,
            );
        }
    }
    let limits = &state.limits;
    if let Err(exceeded) = check_document_size(&request.query, limits) {
        // 400 under either media type: like an oversized body, the request is refused unread.
        let body = json!({ "errors": [exceeded.to_server_error()] });
        return Answer::new(StatusCode::BAD_REQUEST, body).with(UNKNOWN_OPERATION, Outcome::Rejected, principal);
    }
    let operation_name = request.operation_name.clone();
    let document = match request.parsed_query() {
        Ok(document) => document,
        Err(error) => {
            return Answer::graphql(with_code(error, ErrorCode::GraphqlParseFailed)).with(
                UNKNOWN_OPERATION,
                Outcome::Rejected,
                principal,
            );
        }
    };
    let operation = operation_label(&document.operations, operation_name.as_deref());
    if let Err(exceeded) = check_document(document, operation_name.as_deref(), limits) {
        let response = GqlResponse::from_errors(vec![exceeded.to_server_error()]);
        return Answer::graphql(response).with(&operation, Outcome::Rejected, principal);
    }
    let selected = selected_type(&document.operations, operation_name.as_deref());
    if method == Method::Get && selected.is_some_and(|ty| ty != OperationType::Query) {
        let message = "mutations and subscriptions must be sent with POST";
        let mut answer = Answer::failure(StatusCode::METHOD_NOT_ALLOWED, ErrorCode::BadRequest, message);
        answer.allow_post = true;
        return answer.with(&operation, Outcome::Rejected, principal);
    }
    // Queries may read a replica; a mutation reads its own writes back, so it stays on the primary.
    let access = if selected == Some(OperationType::Mutation) { Access::Write } else { Access::Read };
    let Some(pool) = state.databases.route(access) else {
        let answer = Answer::unavailable(ErrorCode::ServiceUnavailable, "the database is unavailable, retry later");
        return answer.with(&operation, Outcome::Unavailable, principal);
    };
    let cost = CostSlot::new();
    let (loaders, batches) = Loaders::new(&pool.connection);
    let request = request
        .data(loaders)
        .data(pool.connection.clone())
        .data(cost.clone())
        .data(principal.clone())
        .data(DocumentChecked);
    let executed = tokio::time::timeout(limits.timeout, batches.run(state.schema.execute(request))).await;
    let Ok(mut response) = executed else {
        let message = format!("the request took longer than {} s and was stopped", limits.timeout.as_secs_f64());
        let mut answer = Answer::unavailable(ErrorCode::Timeout, &message);
        answer.outcome.cost = cost.requested();
        return answer.with(&operation, Outcome::Unavailable, principal);
    };
    refund_unused(state, principal, &cost);
    finish_errors(&mut response.errors);
    null_failed_fields(&mut response.data, &response.errors);
    if let Some(report) = cost.to_extension() {
        response.extensions.insert("cost".to_owned(), report);
    }
    let outcome = outcome_of(&response);
    if outcome == Outcome::Unavailable {
        pool.health.report_failure();
    }
    let retry_after = rate_limit_retry_after(&response);
    let mut answer = Answer::graphql(response);
    answer.outcome.cost = cost.requested();
    if let Some(seconds) = retry_after {
        answer.status = StatusCode::TOO_MANY_REQUESTS;
        answer.request_error = false;
        answer.retry_after = Some(seconds);
    }
    answer.with(&operation, outcome, principal)
}

/// Gives back the part of the charged cost that the request did not use (a page shorter than asked).
fn refund_unused(state: &HttpState, principal: &Principal, cost: &CostSlot) {
    if let Some(requested) = cost.requested()
        && state.rate_limiter.is_enabled()
        && cost.throttle().is_some()
        && cost.actual() < requested
    {
        state.rate_limiter.refund(&principal.name, (requested - cost.actual()) as f64);
    }
}

/// The retry hint of a RATE_LIMITED answer.
fn rate_limit_retry_after(response: &GqlResponse) -> Option<u64> {
    response.errors.iter().find_map(|error| {
        let extensions = error.extensions.as_ref()?;
        let code = extensions.get("code")?;
        if *code != async_graphql::Value::from(ErrorCode::RateLimited.as_str()) {
            return None;
        }
        match extensions.get("retryAfterSeconds")? {
            async_graphql::Value::Number(n) => n.as_u64(),
            _ => None,
        }
    })
}

fn outcome_of(response: &GqlResponse) -> Outcome {
    let has_code = |code: ErrorCode| {
        response.errors.iter().any(|e| {
            e.extensions
                .as_ref()
                .and_then(|ext| ext.get("code"))
                .is_some_and(|c| *c == async_graphql::Value::from(code.as_str()))
        })
    };
    if response.errors.is_empty() {
        Outcome::Ok
    } else if has_code(ErrorCode::ServiceUnavailable) {
        Outcome::Unavailable
    } else if is_request_error(response) {
        Outcome::Rejected
    } else {
        Outcome::FieldErrors
    }
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

fn with_code(mut error: ServerError, code: ErrorCode) -> GqlResponse {
    error.extensions.get_or_insert_with(Default::default).set("code", code.as_str());
    GqlResponse::from_errors(vec![error])
}

/// A request error: the document could not be parsed or validated, so nothing ran and there is no
/// `data`. Resolver errors always carry a path.
fn is_request_error(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn json_response(media: ResponseMedia, status: StatusCode, body: &Value) -> Response {
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

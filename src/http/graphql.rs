//! `GET` and `POST /graphql` per the GraphQL-over-HTTP specification: content negotiation, mutations
//! only over POST, and the status codes the spec gives for request errors. The API key is checked here;
//! everything about the operation itself (limits, access, cost, rate limit, deadline) is the gate's,
//! the same for every transport.

use async_graphql::{Request, Response as GqlResponse, ServerError, Variables};
use axum::body::{Body, to_bytes};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{ALLOW, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_NONE_MATCH, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::auth::Principal;
use crate::auth::authenticator::AuthFailure;
use crate::error::ErrorCode;
use crate::graphql::gate::answer::too_many_bytes;
use crate::graphql::gate::persisted::PersistedQueryError;
use crate::graphql::gate::{Refusal, Transport};
use crate::http::HttpState;
use crate::http::media::{ResponseMedia, is_json_body, negotiate};
use crate::ops::metrics::Outcome;
use crate::ops::request_log::{GraphqlOutcome, UNKNOWN_OPERATION};

pub async fn post(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    if !is_json_body(&headers) {
        let message = "the request body must be JSON, sent with Content-Type: application/json";
        return Answer::failure(StatusCode::UNSUPPORTED_MEDIA_TYPE, ErrorCode::BadRequest, message)
            .into_response(media, &state);
    }
    let principal = match authenticate(&state, &headers, peer).await {
        Ok(principal) => principal,
        Err(answer) => return answer.into_response(media, &state),
    };
    let bytes = match to_bytes(body, state.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let message = format!("the request body is larger than {} bytes", state.max_body_bytes);
            return Answer::failure(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::BadRequest, &message)
                .into_response(media, &state);
        }
    };
    // A batch's items share one deadline: ten items do not get ten timeouts.
    let deadline = tokio::time::Instant::now() + state.gate.limits().timeout;
    match parse_post_body(&bytes, state.gate.limits().max_batch) {
        Ok(PostBody::Single(request)) => execute(&state, &principal, *request, Transport::HttpPost, deadline, None)
            .await
            .into_response(media, &state),
        Ok(PostBody::Batch(requests)) => {
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(execute(&state, &principal, request, Transport::HttpPost, deadline, None).await);
            }
            batch_response(media, answers, &state)
        }
        Err(message) => {
            Answer::failure(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, &message).into_response(media, &state)
        }
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

pub async fn get(
    State(state): State<HttpState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let Some(media) = negotiate(&headers) else { return not_acceptable() };
    let principal = match authenticate(&state, &headers, peer).await {
        Ok(principal) => principal,
        Err(answer) => return answer.into_response(media, &state),
    };
    let bad_request = |message: &str| Answer::failure(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message);
    let Ok(Query(params)) = Query::<GetParams>::try_from_uri(&uri) else {
        return bad_request("invalid query string").into_response(media, &state);
    };
    let mut request = Request::new(params.query.unwrap_or_default());
    request.operation_name = params.operation_name;
    if let Some(raw) = params.variables {
        match serde_json::from_str::<Value>(&raw) {
            Ok(value @ Value::Object(_)) => request.variables = Variables::from_json(value),
            _ => return bad_request("the variables parameter must be a JSON object").into_response(media, &state),
        }
    }
    if let Some(raw) = params.extensions {
        match serde_json::from_str(&raw) {
            Ok(extensions) => request.extensions = extensions,
            Err(_) => {
                return bad_request("the extensions parameter must be a JSON object").into_response(media, &state);
            }
        }
    }
    if request.query.is_empty() && !request.extensions.0.contains_key("persistedQuery") {
        return bad_request("the query parameter is missing").into_response(media, &state);
    }
    let deadline = tokio::time::Instant::now() + state.gate.limits().timeout;
    let if_none_match = headers.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok());
    execute(&state, &principal, request, Transport::HttpGet, deadline, if_none_match).await.into_response(media, &state)
}

/// The principal of the request, or a 401 answer. Bad and missing keys get the same treatment
/// whatever the request asks for, so nothing about the data leaks before authentication; a client
/// address that keeps sending bad keys is slowed down (429) before its keys are even looked at.
async fn authenticate(state: &HttpState, headers: &HeaderMap, peer: SocketAddr) -> Result<Principal, Answer> {
    if let Err(seconds) = state.auth_failures.check(peer.ip()) {
        let message =
            format!("too many requests with a missing or bad API key from this address; retry in {seconds} s");
        let mut answer = Answer::failure(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited, &message);
        answer.retry_after = Some(seconds);
        return Err(answer);
    }
    let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("<invalid>"));
    match state.auth.authenticate(header).await {
        Ok(principal) => Ok(principal),
        Err(AuthFailure::Unavailable(error)) => {
            tracing::error!(error = %error, "cannot check an API key");
            Err(Answer::unavailable(ErrorCode::ServiceUnavailable, "the database is unavailable, retry later"))
        }
        Err(failure) => {
            state.auth_failures.record(peer.ip());
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

/// A GraphQL request's answer before it becomes an HTTP response (alone, or in a batch).
struct Answer {
    status: StatusCode,
    /// The status under `application/graphql-response+json`, where the spec wants a 4xx for a request
    /// that did not execute; `status` otherwise.
    graphql_status: Option<StatusCode>,
    body: GqlResponse,
    data: DataEntry,
    /// The `data` as JSON text, when it came from (or went into) the response cache.
    data_json: Option<Arc<str>>,
    etag: Option<String>,
    retry_after: Option<u64>,
    allow_post: bool,
    www_authenticate: bool,
    outcome: GraphqlOutcome,
}

/// Whether the body has a `data` entry: a request that did not execute has none.
#[derive(Copy, Clone, PartialEq, Eq)]
enum DataEntry {
    Present,
    Absent,
    /// `data: null` under `application/json` (what older clients expect), none under
    /// `application/graphql-response+json` (the spec).
    AbsentUnderGraphqlMedia,
}

/// A response body without `data`.
#[derive(Serialize)]
struct ErrorsOnly<'a> {
    errors: &'a [ServerError],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    extensions: &'a std::collections::BTreeMap<String, async_graphql::Value>,
}

impl Answer {
    /// A failure before GraphQL execution, with its own status code under both media types.
    fn failure(status: StatusCode, code: ErrorCode, message: &str) -> Self {
        let mut error = ServerError::new(message, None);
        error.extensions.get_or_insert_with(Default::default).set("code", code.as_str());
        Answer { status, data: DataEntry::Absent, ..Answer::graphql(GqlResponse::from_errors(vec![error])) }
    }

    /// A GraphQL response: 200, or 400 under `application/graphql-response+json` for errors found
    /// before execution (they carry no path).
    fn graphql(body: GqlResponse) -> Self {
        let request_error = is_request_error(&body);
        Answer {
            status: StatusCode::OK,
            graphql_status: request_error.then_some(StatusCode::BAD_REQUEST),
            data: if request_error { DataEntry::AbsentUnderGraphqlMedia } else { DataEntry::Present },
            body,
            data_json: None,
            etag: None,
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

    fn with(mut self, operation: &str, outcome: Outcome, principal: &Principal) -> Self {
        self.outcome.operation = operation.to_owned();
        self.outcome.outcome = outcome;
        self.outcome.principal = Some(principal.name.clone());
        self
    }

    fn status(&self, media: ResponseMedia) -> StatusCode {
        match (media, self.graphql_status) {
            (ResponseMedia::GraphqlResponseJson, Some(status)) => status,
            _ => self.status,
        }
    }

    /// The body's JSON, never larger than the answer size limit.
    fn to_json(&self, media: ResponseMedia, state: &HttpState) -> Vec<u8> {
        let without_data = match self.data {
            DataEntry::Present => false,
            DataEntry::Absent => true,
            DataEntry::AbsentUnderGraphqlMedia => media == ResponseMedia::GraphqlResponseJson,
        };
        let serialized = match &self.data_json {
            _ if without_data => {
                serde_json::to_vec(&ErrorsOnly { errors: &self.body.errors, extensions: &self.body.extensions })
            }
            // Written as it is: the cache holds it as text, and it has no errors.
            Some(data) => serde_json::to_vec(&self.body.extensions).map(|extensions| {
                let mut body = Vec::with_capacity(data.len() + extensions.len() + 24);
                body.extend_from_slice(b"{\"data\":");
                body.extend_from_slice(data.as_bytes());
                body.extend_from_slice(b",\"extensions\":");
                body.extend_from_slice(&extensions);
                body.push(b'}');
                body
            }),
            None => serde_json::to_vec(&self.body),
        };
        let limit = state.gate.limits().max_response_bytes;
        match serialized {
            Ok(bytes) if bytes.len() <= limit => bytes,
            Ok(bytes) => error_json(too_many_bytes(limit, bytes.len()).to_server_error()),
            Err(error) => {
                tracing::error!(%error, "cannot serialize a GraphQL response");
                let mut error = ServerError::new("internal server error", None);
                error.extensions.get_or_insert_with(Default::default).set("code", ErrorCode::Internal.as_str());
                error_json(error)
            }
        }
    }

    fn into_response(self, media: ResponseMedia, state: &HttpState) -> Response {
        let status = self.status(media);
        let mut response = if status == StatusCode::NOT_MODIFIED {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            json_response(media, status, self.to_json(media, state))
        };
        let headers = response.headers_mut();
        if let Some(etag) = self.etag.as_deref().and_then(|tag| HeaderValue::from_str(tag).ok()) {
            headers.insert(ETAG, etag);
        }
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

fn error_json(error: ServerError) -> Vec<u8> {
    serde_json::to_vec(&json!({ "errors": [error] })).unwrap_or_default()
}

/// A batch's answers, in order, as one JSON list (200: each item carries its own errors).
fn batch_response(media: ResponseMedia, answers: Vec<Answer>, state: &HttpState) -> Response {
    let worst = answers.iter().map(|a| a.outcome.outcome).max().unwrap_or(Outcome::Ok);
    let cost = answers.iter().filter_map(|a| a.outcome.cost).reduce(|a, b| a.saturating_add(b));
    let principal = answers.iter().find_map(|a| a.outcome.principal.clone());
    let mut body = vec![b'['];
    for (i, answer) in answers.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        body.extend(answer.to_json(media, state));
    }
    body.push(b']');
    let mut response = json_response(media, StatusCode::OK, body);
    let outcome = GraphqlOutcome { operation: "batch".to_owned(), outcome: worst, cost, principal };
    response.extensions_mut().insert(outcome);
    response
}

async fn execute(
    state: &HttpState,
    principal: &Principal,
    request: Request,
    transport: Transport,
    deadline: tokio::time::Instant,
    if_none_match: Option<&str>,
) -> Answer {
    let admitted = match state.gate.admit(request, principal, transport) {
        Ok(admitted) => admitted,
        Err(refusal) => return refused(refusal, principal),
    };
    let operation = admitted.operation.clone();
    let requested = admitted.cost.requested;
    let mut answer = match state.gate.run(admitted, deadline, if_none_match).await {
        Ok(answered) => {
            let outcome = outcome_of(&answered.response);
            // The database could not serve it (down, or other writers held it past the busy timeout):
            // worth retrying; with nothing answered, the status says so too.
            let unavailable = outcome == Outcome::Unavailable;
            let nothing_answered = unavailable && answered_nothing(&answered.response);
            let mut answer = Answer::graphql(answered.response).with(&operation, outcome, principal);
            if unavailable {
                answer.retry_after = Some(1);
            }
            if nothing_answered {
                answer.status = StatusCode::SERVICE_UNAVAILABLE;
            }
            answer.data_json = answered.data_json;
            answer.etag = answered.etag;
            if answered.not_modified {
                answer.status = StatusCode::NOT_MODIFIED;
                answer.graphql_status = None;
            }
            answer
        }
        Err(timed_out) => {
            let message = timed_out.error().message;
            Answer::unavailable(ErrorCode::Timeout, &message).with(&operation, Outcome::Unavailable, principal)
        }
    };
    // A request async-graphql refused (validation) ran nothing: it is not counted as costing anything.
    if answer.outcome.outcome != Outcome::Rejected {
        answer.outcome.cost = usize::try_from(requested).ok();
    }
    answer
}

/// The HTTP answer to a request the gate refused.
fn refused(refusal: Refusal, principal: &Principal) -> Answer {
    let operation = refusal.operation().unwrap_or(UNKNOWN_OPERATION).to_owned();
    let errors = || GqlResponse::from_errors(refusal.errors());
    let status = |status: StatusCode| Answer { status, data: DataEntry::Absent, ..Answer::graphql(errors()) };
    let answer = match &refusal {
        Refusal::Persisted(PersistedQueryError { code: ErrorCode::PersistedQueryNotFound, .. }) => {
            status(StatusCode::OK)
        }
        // Refused unread, like an oversized body: 400 under either media type.
        Refusal::Persisted(_) | Refusal::DocumentSize(_) => status(StatusCode::BAD_REQUEST),
        Refusal::Syntax(_) | Refusal::Limit { .. } | Refusal::Subscriptions { .. } => Answer::graphql(errors()),
        Refusal::Forbidden { .. } => Answer {
            graphql_status: Some(StatusCode::FORBIDDEN),
            data: DataEntry::AbsentUnderGraphqlMedia,
            ..Answer::graphql(errors())
        },
        Refusal::NotAQuery { .. } => Answer { allow_post: true, ..status(StatusCode::METHOD_NOT_ALLOWED) },
        Refusal::RateLimited { retry_after_seconds, cost, .. } => {
            let mut answer =
                Answer { retry_after: Some(*retry_after_seconds), ..status(StatusCode::TOO_MANY_REQUESTS) };
            answer.body.extensions.insert("cost".to_owned(), cost.to_extension());
            answer.outcome.cost = usize::try_from(cost.requested).ok();
            answer
        }
        Refusal::Unavailable { .. } => {
            let answer = Answer { retry_after: Some(1), ..status(StatusCode::SERVICE_UNAVAILABLE) };
            return answer.with(&operation, Outcome::Unavailable, principal);
        }
    };
    answer.with(&operation, Outcome::Rejected, principal)
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

/// No root field has a value: `data` is null, or every field in it is.
fn answered_nothing(response: &GqlResponse) -> bool {
    match &response.data {
        async_graphql::Value::Object(fields) => fields.values().all(|value| *value == async_graphql::Value::Null),
        value => *value == async_graphql::Value::Null,
    }
}

/// A request error: the document could not be validated, so nothing ran and there is no `data`.
/// Resolver errors always carry a path.
fn is_request_error(response: &GqlResponse) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

fn json_response(media: ResponseMedia, status: StatusCode, body: Vec<u8>) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static(media.content_type()))], body).into_response()
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

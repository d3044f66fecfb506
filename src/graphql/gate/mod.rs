//! The gate every GraphQL operation passes, whatever its transport (HTTP GET, POST, each item of a
//! batch, WebSocket): persisted-query resolution, the document's size and shape (every operation and
//! fragment in it, each fragment once), the access policy, the price against the cost limit and the
//! key's rate-limit budget, then execution under a deadline with the request's loaders, and the answer's
//! bounds. One check per document, before async-graphql parses (again), validates or runs anything, and
//! nothing per field: the schema has no extensions, so async-graphql resolves fields on its fast path.

pub mod access;
pub mod answer;
pub mod cache;
pub mod cost;
mod documents;
pub mod limits;
mod lru;
pub mod persisted;
pub mod schema_map;
mod shape_of_data;

use std::sync::Arc;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationDefinition, OperationType};
use async_graphql::{Data, Request, Response, ServerError};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::time::Instant;

use crate::auth::Principal;
use crate::auth::rate_limit::{RateLimiter, Throttle};
use crate::db::data_version;
use crate::db::{Access, Databases, Pool};
use crate::error::{ErrorCode, finish_errors, null_failed_fields, reports_outage};
use crate::graphql::AppSchema;
use crate::graphql::gate::access::AccessRequest;
use crate::graphql::gate::answer::{RowBudget, actual_cost};
use crate::graphql::gate::cache::{CacheKey, CachedAnswer, ResponseCache};
use crate::graphql::gate::cost::Pricing;
use crate::graphql::gate::documents::DocumentCache;
use crate::graphql::gate::limits::{LimitExceeded, Limits, check_document, check_document_size};
use crate::graphql::gate::persisted::{PersistedQueries, PersistedQueryError};
use crate::graphql::gate::schema_map::SchemaMap;
use crate::loaders::Loaders;
use crate::ops::request_log::UNKNOWN_OPERATION;

pub use shape_of_data::DataShapeCell;

/// The transport an operation came by: it decides which operation types may run.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    HttpGet,
    HttpPost,
    WebSocket,
}

/// What the gate enforces besides the schema.
#[derive(Clone)]
pub struct GateConfig {
    pub limits: Limits,
    pub rate_limiter: RateLimiter,
    pub persisted: PersistedQueries,
    pub introspection: bool,
    /// Bytes of answers the response cache may hold; 0 turns it off.
    pub response_cache_bytes: usize,
}

#[derive(Clone)]
pub struct Gate(Arc<GateInner>);

struct GateInner {
    schema: AppSchema,
    map: SchemaMap,
    config: GateConfig,
    databases: Databases,
    data_shape: DataShapeCell,
    cache: ResponseCache,
    documents: DocumentCache,
}

/// An operation the gate let through: parsed, measured, allowed, priced and charged.
pub struct Admitted {
    request: Request,
    pub operation: String,
    pub kind: Option<OperationType>,
    pub cost: Cost,
    principal: Principal,
    pool: Pool,
    /// Where the answer may be remembered: read-only operations, with the cache on.
    cache_key: Option<CacheKey>,
}

/// An operation's answer.
pub struct Answered {
    pub response: Response,
    /// The answer's `data` as JSON text, when it came from the response cache or went into it (then
    /// `response.data` is not set): transports write it as it is.
    pub data_json: Option<Arc<str>>,
    /// The answer's entity tag (read-only operations, with the cache on).
    pub etag: Option<String>,
    /// The client's `If-None-Match` named this answer: nothing to send.
    pub not_modified: bool,
}

impl Answered {
    /// The answer with its `data` in place (for transports that do not write JSON text themselves).
    pub fn into_response(self) -> Response {
        let mut response = self.response;
        if let Some(json) = self.data_json {
            response.data = serde_json::from_str::<serde_json::Value>(&json)
                .ok()
                .and_then(|value| async_graphql::Value::from_json(value).ok())
                .unwrap_or_default();
        }
        response
    }
}

/// The price of an operation and the key's budget after paying it.
#[derive(Clone, Debug, Default)]
pub struct Cost {
    pub requested: u64,
    /// The part of `requested` that is work behind insights: not refunded once the operation ran.
    pub work: u64,
    pub actual: Option<u64>,
    pub throttle: Option<Throttle>,
}

impl Cost {
    /// `extensions.cost` of a response, in the shape large public GraphQL APIs use.
    pub fn to_extension(&self) -> async_graphql::Value {
        let mut cost = serde_json::json!({
            "requestedQueryCost": self.requested,
            "actualQueryCost": self.actual.unwrap_or(self.requested),
        });
        if let Some(throttle) = self.throttle {
            cost["throttleStatus"] = serde_json::json!({
                "maximumAvailable": throttle.maximum_available,
                "currentlyAvailable": throttle.currently_available,
                "restoreRate": throttle.restore_rate,
            });
        }
        async_graphql::Value::from_json(cost).unwrap_or_default()
    }
}

/// Why the gate refused an operation. Nothing of it ran.
#[derive(Debug)]
pub enum Refusal {
    Persisted(PersistedQueryError),
    /// The query text is over the size limit (refused unread).
    DocumentSize(LimitExceeded),
    Syntax(ServerError),
    Limit {
        operation: String,
        exceeded: LimitExceeded,
    },
    Forbidden {
        operation: String,
        errors: Vec<ServerError>,
    },
    /// A mutation or subscription over GET.
    NotAQuery {
        operation: String,
    },
    RateLimited {
        operation: String,
        retry_after_seconds: u64,
        cost: Cost,
    },
    /// Too many subscriptions on one WebSocket.
    Subscriptions {
        operation: String,
        exceeded: LimitExceeded,
    },
    Unavailable {
        operation: String,
    },
}

impl Refusal {
    /// The operation's label, when the document was read far enough to know it.
    pub fn operation(&self) -> Option<&str> {
        match self {
            Refusal::Persisted(_) | Refusal::DocumentSize(_) | Refusal::Syntax(_) => None,
            Refusal::Limit { operation, .. }
            | Refusal::Forbidden { operation, .. }
            | Refusal::NotAQuery { operation }
            | Refusal::RateLimited { operation, .. }
            | Refusal::Subscriptions { operation, .. }
            | Refusal::Unavailable { operation } => Some(operation),
        }
    }

    /// The GraphQL errors a client gets, each with its `code`.
    pub fn errors(&self) -> Vec<ServerError> {
        let coded = |message: &str, code: ErrorCode| {
            let mut error = ServerError::new(message, None);
            error.extensions.get_or_insert_with(Default::default).set("code", code.as_str());
            error
        };
        match self {
            Refusal::Persisted(error) => vec![coded(&error.message, error.code)],
            Refusal::DocumentSize(exceeded)
            | Refusal::Limit { exceeded, .. }
            | Refusal::Subscriptions { exceeded, .. } => vec![exceeded.to_server_error()],
            Refusal::Syntax(error) => {
                let mut error = error.clone();
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", ErrorCode::GraphqlParseFailed.as_str());
                vec![error]
            }
            Refusal::Forbidden { errors, .. } => errors.clone(),
            Refusal::NotAQuery { .. } => {
                vec![coded("mutations and subscriptions must be sent with POST", ErrorCode::BadRequest)]
            }
            Refusal::RateLimited { retry_after_seconds, cost, .. } => {
                let message = format!(
                    "rate limit: this key has spent its query cost budget; retry in {retry_after_seconds} s (this query costs {})",
                    cost.requested
                );
                let mut error = coded(&message, ErrorCode::RateLimited);
                error.extensions.get_or_insert_with(Default::default).set("retryAfterSeconds", *retry_after_seconds);
                vec![error]
            }
            Refusal::Unavailable { .. } => {
                vec![coded("the database is unavailable, retry later", ErrorCode::ServiceUnavailable)]
            }
        }
    }

    /// The refusal as a GraphQL response (the WebSocket transport sends it as is).
    pub fn into_response(self) -> Response {
        let mut response = Response::from_errors(self.errors());
        if let Refusal::RateLimited { cost, .. } = &self {
            response.extensions.insert("cost".to_owned(), cost.to_extension());
        }
        response
    }
}

/// An operation that ran out of time: it was stopped, and its database statements with it.
#[derive(Debug)]
pub struct TimedOut {
    pub cost: Cost,
    pub timeout: std::time::Duration,
}

impl TimedOut {
    pub fn error(&self) -> ServerError {
        let message = format!("the request took longer than {} s and was stopped", self.timeout.as_secs_f64());
        let mut error = ServerError::new(message, None);
        error.extensions.get_or_insert_with(Default::default).set("code", ErrorCode::Timeout.as_str());
        error
    }
}

impl Gate {
    pub fn new(schema: AppSchema, config: GateConfig, databases: Databases, data_shape: DataShapeCell) -> Self {
        // The SDL is the schema's own; a failure to read it would be a bug caught by the unit tests, and
        // an empty map still prices every field at 1 plus its children.
        let map = SchemaMap::from_sdl(&schema.sdl()).unwrap_or_else(|error| {
            tracing::error!(%error, "cannot read the schema's types: prices are lower bounds");
            SchemaMap::default()
        });
        let cache = ResponseCache::new(config.response_cache_bytes);
        let documents = DocumentCache::default();
        Gate(Arc::new(GateInner { schema, map, config, databases, data_shape, cache, documents }))
    }

    pub fn limits(&self) -> &Limits {
        &self.0.config.limits
    }

    /// Lets `request` through for `principal`, or says why not. Nothing of the request runs here.
    pub fn admit(
        &self,
        mut request: Request,
        principal: &Principal,
        transport: Transport,
    ) -> Result<Admitted, Refusal> {
        let config = &self.0.config;
        request.query = config.persisted.resolve(&request.query, &request.extensions).map_err(Refusal::Persisted)?;
        check_document_size(&request.query, &config.limits).map_err(Refusal::DocumentSize)?;
        let operation_name = request.operation_name.clone();
        let variables = request.variables.clone();
        let remembered = self.0.documents.get(&request.query);
        let parsed_now = remembered.is_none().then(|| request.query.clone());
        if let Some(document) = remembered {
            request.set_parsed_query(document);
        }
        let document = request.parsed_query().map_err(|error| Refusal::Syntax(error.clone()))?;
        if let Some(text) = parsed_now {
            self.0.documents.insert(text, document);
        }
        let selected = selected_operation(document, operation_name.as_deref());
        let operation = operation_label(&document.operations, operation_name.as_deref());
        check_document(document, &config.limits)
            .map_err(|exceeded| Refusal::Limit { operation: operation.clone(), exceeded })?;
        let kind = selected.map(|op| op.ty);
        if transport == Transport::HttpGet && kind.is_some_and(|ty| ty != OperationType::Query) {
            return Err(Refusal::NotAQuery { operation });
        }
        // Without a selected operation (an unknown name, or several and none named) async-graphql's
        // validation refuses the request: nothing runs, nothing to police or price.
        let (requested, work) = match selected {
            Some(selected) => {
                let access = AccessRequest {
                    document,
                    operation: selected,
                    variables: &variables,
                    role: principal.role,
                    introspection: config.introspection,
                };
                let errors = access::refusals(&access);
                if !errors.is_empty() {
                    return Err(Refusal::Forbidden { operation, errors });
                }
                let pricing = Pricing::new(document, &variables, &self.0.map, self.0.data_shape.get());
                (pricing.selection_set(&selected.selection_set.node, root_type(selected.ty)), pricing.work.get())
            }
            None => (0, 0),
        };
        let maximum = config.limits.max_complexity as u64;
        if requested > maximum {
            let exceeded = LimitExceeded { limit: "cost", maximum, actual: requested };
            return Err(Refusal::Limit { operation, exceeded });
        }
        // Queries may read a replica; a mutation reads its own writes back and a subscription's events
        // announce writes the replica may not have yet, so both stay on the primary.
        let access = if kind == Some(OperationType::Query) { Access::Read } else { Access::Write };
        let Some(pool) = self.0.databases.route(access).cloned() else {
            return Err(Refusal::Unavailable { operation });
        };
        let mut cost = Cost { requested, work, actual: None, throttle: None };
        match config.rate_limiter.charge(&principal.name, requested as f64) {
            Ok(throttle) => cost.throttle = Some(throttle),
            Err(wait) => {
                cost.throttle = Some(config.rate_limiter.status(&principal.name));
                let retry_after_seconds = if wait.is_finite() { wait.ceil().max(1.0) as u64 } else { u64::MAX };
                return Err(Refusal::RateLimited { operation, retry_after_seconds, cost });
            }
        }
        let cache_key = (kind == Some(OperationType::Query) && self.0.cache.is_enabled()).then(|| {
            let variables = serde_json::to_value(&request.variables).unwrap_or_default();
            CacheKey::of(&request.query, request.operation_name.as_deref(), &variables, principal.role)
        });
        Ok(Admitted { request, operation, kind, cost, principal: principal.clone(), pool, cache_key })
    }

    /// Runs an admitted query or mutation until `deadline` (a batch shares one). The answer carries its
    /// errors' codes, `null` where a field failed, and `extensions.cost`; the unused part of the price
    /// goes back to the key's budget.
    pub async fn run(
        &self,
        admitted: Admitted,
        deadline: Instant,
        if_none_match: Option<&str>,
    ) -> Result<Answered, TimedOut> {
        let Some(key) = admitted.cache_key else {
            let response = self.execute(admitted, deadline).await?;
            return Ok(Answered { response, data_json: None, etag: None, not_modified: false });
        };
        // A failed read of the version only costs the cache's help.
        let Ok(version) = data_version::read(&admitted.pool.connection).await else {
            let response = self.execute(admitted, deadline).await?;
            return Ok(Answered { response, data_json: None, etag: None, not_modified: false });
        };
        let etag = key.etag(version);
        // Weak comparison (RFC 9110): the tag of a compressed answer comes back as `W/"..."`.
        let matches = |tag: &str| tag.trim().strip_prefix("W/").unwrap_or(tag.trim()) == etag;
        if if_none_match.is_some_and(|tags| tags.split(',').any(matches)) {
            self.refund(&admitted.principal, &admitted.cost, 0);
            return Ok(Answered {
                response: Response::default(),
                data_json: None,
                etag: Some(etag),
                not_modified: true,
            });
        }
        if let Some(hit) = self.0.cache.get(&key, version) {
            let mut cost = admitted.cost;
            self.refund(&admitted.principal, &cost, hit.actual_cost);
            cost.actual = Some(hit.actual_cost);
            let mut response = Response::default();
            response.extensions.insert("cost".to_owned(), cost.to_extension());
            return Ok(Answered { response, data_json: Some(hit.data), etag: Some(etag), not_modified: false });
        }
        let mut response = self.execute(admitted, deadline).await?;
        if !response.errors.is_empty() {
            return Ok(Answered { response, data_json: None, etag: None, not_modified: false });
        }
        let data: Arc<str> = match serde_json::to_string(&response.data) {
            Ok(json) => Arc::from(json),
            Err(_) => return Ok(Answered { response, data_json: None, etag: None, not_modified: false }),
        };
        let actual_cost = actual_cost(&response.data);
        self.0.cache.put(key, version, CachedAnswer { data: data.clone(), actual_cost });
        response.data = async_graphql::Value::Null;
        Ok(Answered { response, data_json: Some(data), etag: Some(etag), not_modified: false })
    }

    /// Gives back the part of the price an answer did not use.
    fn refund(&self, principal: &Principal, cost: &Cost, actual: u64) {
        if actual < cost.requested && self.0.config.rate_limiter.is_enabled() {
            self.0.config.rate_limiter.refund(&principal.name, (cost.requested - actual) as f64);
        }
    }

    /// Executes an admitted operation until `deadline`.
    async fn execute(&self, admitted: Admitted, deadline: Instant) -> Result<Response, TimedOut> {
        let Admitted { request, mut cost, principal, pool, .. } = admitted;
        let limits = &self.0.config.limits;
        let (loaders, batches) = Loaders::new(&pool.connection);
        let request = request
            .data(loaders)
            .data(pool.connection.clone())
            .data(principal.clone())
            .data(RowBudget::new(limits.max_response_rows));
        let execution = crate::db::deadline::scope(deadline, batches.run(self.0.schema.execute(request)));
        let Ok(mut response) = tokio::time::timeout_at(deadline, execution).await else {
            return Err(TimedOut { cost, timeout: limits.timeout });
        };
        // Past the deadline the database interrupts the request's statements: the errors that makes are
        // the timeout's.
        if !response.errors.is_empty() && Instant::now() >= deadline {
            return Err(TimedOut { cost, timeout: limits.timeout });
        }
        if response.errors.iter().any(reports_outage) {
            pool.health.report_failure();
        }
        finish_errors(&mut response.errors);
        null_failed_fields(&mut response.data, &response.errors);
        let actual = actual_cost(&response.data).saturating_add(cost.work);
        self.refund(&principal, &cost, actual);
        cost.actual = Some(actual);
        response.extensions.insert("cost".to_owned(), cost.to_extension());
        Ok(response)
    }

    /// Runs an admitted operation of a WebSocket: a query or mutation answers once, a subscription
    /// streams. `session` is the connection's data (its principal, and its loaders for subscriptions).
    pub fn stream(&self, admitted: Admitted, session: Arc<Data>) -> BoxStream<'static, Response> {
        if admitted.kind != Some(OperationType::Subscription) {
            let gate = self.clone();
            let deadline = Instant::now() + self.0.config.limits.timeout;
            return futures_util::stream::once(async move {
                match gate.run(admitted, deadline, None).await {
                    Ok(answered) => answered.into_response(),
                    Err(timed_out) => Response::from_errors(vec![timed_out.error()]),
                }
            })
            .boxed();
        }
        let Admitted { request, principal, pool, .. } = admitted;
        // Each event is bounded like an answer of its own: the rows of one event are given back once it
        // is built (a subscription's events are built one after another).
        let rows = RowBudget::new(self.0.config.limits.max_response_rows);
        let request = request.data(pool.connection.clone()).data(principal).data(rows.clone());
        self.0
            .schema
            .execute_stream_with_session_data(request, session)
            .map(move |mut response| {
                rows.refill();
                finish_errors(&mut response.errors);
                response
            })
            .boxed()
    }

    /// The database pools, for the loaders of a WebSocket's subscriptions.
    pub fn databases(&self) -> &Databases {
        &self.0.databases
    }
}

fn root_type(ty: OperationType) -> &'static str {
    match ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    }
}

/// The operation a request runs, as async-graphql will pick it; `None` when the document does not
/// say which (validation then refuses it).
fn selected_operation<'a>(document: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| &op.node),
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

//! `/healthz`, `/readyz` and `/metrics`: for load balancers, orchestrators and Prometheus.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::db::Pool;
use crate::db::health::Check;
use crate::http::HttpState;

/// The process is up and serving HTTP. Says nothing of the database: a liveness probe that failed
/// with the database would restart every instance during a database outage, which cures nothing.
pub async fn healthz() -> Response {
    axum::Json(json!({ "status": "up" })).into_response()
}

/// Ready for traffic: the primary answers now, its migrations are current, and the server is not
/// stopping. A replica that is down is reported but does not make the instance unready: reads fall
/// back to the primary.
pub async fn readyz(State(state): State<HttpState>) -> Response {
    let primary = &state.databases.primary;
    let primary_check = primary.health.check().await;
    let (migrations, migrations_current) = match primary_check {
        Check::Up => match primary.health.pending_migrations().await {
            Ok(0) => (json!({ "status": "current" }), true),
            Ok(pending) => (json!({ "status": "pending", "pending": pending }), false),
            Err(check) => (check_json(&check), false),
        },
        Check::Down(_) => (json!({ "status": "unknown" }), false),
    };
    let mut checks = serde_json::Map::new();
    checks.insert("primary".into(), check_json(&primary_check));
    checks.insert("migrations".into(), migrations);
    if let Some(replica) = &state.databases.replica {
        checks.insert("replica".into(), check_json(&replica.health.check().await));
    }
    let stopping = state.lifecycle.is_stopping();
    let ready = primary_check == Check::Up && migrations_current && !stopping;
    let status = if ready {
        "ready"
    } else if stopping {
        "stopping"
    } else {
        "unavailable"
    };
    let code = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(json!({ "status": status, "checks": checks }))).into_response()
}

fn check_json(check: &Check) -> Value {
    match check {
        Check::Up => json!({ "status": "up" }),
        Check::Down(reason) => json!({ "status": "down", "reason": reason }),
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<HttpState>) -> Response {
    let pools: Vec<_> = state.databases.pools().map(Pool::snapshot).collect();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render(&pools)).into_response()
}

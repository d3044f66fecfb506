//! Running it in production: database health, Prometheus metrics, request logs.

pub mod health;
pub mod lifecycle;
pub mod metrics;
pub mod request_log;

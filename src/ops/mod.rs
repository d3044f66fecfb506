//! Running it in production: Prometheus metrics, request logs, shutdown.

pub mod lifecycle;
pub mod metrics;
pub mod request_log;

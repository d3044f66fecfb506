//! Process metrics in the Prometheus text format (version 0.0.4), served on `GET /metrics`.
//!
//! A handful of counters and histograms behind one mutex: a request takes it once, for a few
//! hundred nanoseconds, which costs nothing next to a database round trip, and it keeps the crate
//! free of a metrics dependency for six series.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use crate::db::PoolSnapshot;

/// Latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];
/// Query cost buckets (see `graphql::cost`).
const COST_BUCKETS: [f64; 9] = [1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0];
/// Operation names come from clients: beyond this many distinct names, new ones are counted as
/// `other`, so a client cannot grow the series (and this process's memory) without bound.
const MAX_OPERATION_NAMES: usize = 200;
pub const OTHER_OPERATION: &str = "other";

/// How a GraphQL request ended.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// Data and no errors.
    Ok,
    /// Executed, with errors in some fields (bad input, not found, internal).
    FieldErrors,
    /// Not executed: malformed, invalid against the schema, or refused before execution.
    Rejected,
    /// The database could not be reached.
    Unavailable,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::FieldErrors => "field_errors",
            Outcome::Rejected => "rejected",
            Outcome::Unavailable => "unavailable",
        }
    }
}

#[derive(Clone, Debug)]
struct Histogram {
    bounds: &'static [f64],
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram { bounds, counts: vec![0; bounds.len()], sum: 0.0, count: 0 }
    }

    fn observe(&mut self, value: f64) {
        if let Some(i) = self.bounds.iter().position(|bound| value <= *bound) {
            self.counts[i] += 1;
        }
        self.sum += value;
        self.count += 1;
    }

    /// Writes `_bucket` (cumulative), `_sum` and `_count` lines.
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let separator = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, count) in self.bounds.iter().zip(&self.counts) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Default)]
struct Series {
    graphql_requests: BTreeMap<(String, Outcome), u64>,
    graphql_latency: BTreeMap<String, Histogram>,
    graphql_cost: Option<Histogram>,
    http_requests: BTreeMap<(&'static str, u16), u64>,
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<Series>,
    subscriptions: AtomicI64,
    websockets: AtomicI64,
    in_flight: AtomicI64,
}

impl Metrics {
    /// Records a finished GraphQL request.
    pub fn graphql_request(&self, operation: &str, outcome: Outcome, seconds: f64, cost: Option<usize>) {
        let Ok(mut series) = self.series.lock() else { return };
        let known = series.graphql_latency.contains_key(operation);
        let operation =
            if known || series.graphql_latency.len() < MAX_OPERATION_NAMES { operation } else { OTHER_OPERATION };
        *series.graphql_requests.entry((operation.to_owned(), outcome)).or_default() += 1;
        series
            .graphql_latency
            .entry(operation.to_owned())
            .or_insert_with(|| Histogram::new(&LATENCY_BUCKETS))
            .observe(seconds);
        if let Some(cost) = cost {
            series.graphql_cost.get_or_insert_with(|| Histogram::new(&COST_BUCKETS)).observe(cost as f64);
        }
    }

    /// Records a finished HTTP request by route (a fixed set, never the raw path) and status.
    pub fn http_request(&self, route: &'static str, status: u16) {
        if let Ok(mut series) = self.series.lock() {
            *series.http_requests.entry((route, status)).or_default() += 1;
        }
    }

    /// A guard counting one active subscription while it lives.
    pub fn subscription_started(self: &std::sync::Arc<Self>) -> Gauge {
        Gauge::enter(self.clone(), |m| &m.subscriptions)
    }

    /// A guard counting one open WebSocket connection while it lives.
    pub fn websocket_opened(self: &std::sync::Arc<Self>) -> Gauge {
        Gauge::enter(self.clone(), |m| &m.websockets)
    }

    /// A guard counting one HTTP request in flight while it lives.
    pub fn request_started(self: &std::sync::Arc<Self>) -> Gauge {
        Gauge::enter(self.clone(), |m| &m.in_flight)
    }

    pub fn active_subscriptions(&self) -> i64 {
        self.subscriptions.load(Ordering::Relaxed)
    }

    /// The whole exposition, with the pools' figures of this instant.
    pub fn render(&self, pools: &[PoolSnapshot]) -> String {
        let mut out = String::new();
        let Ok(series) = self.series.lock() else { return out };
        header(
            &mut out,
            "customer_insights_graphql_requests_total",
            "counter",
            "GraphQL requests by operation name and outcome.",
        );
        for ((operation, outcome), count) in &series.graphql_requests {
            let _ = writeln!(
                out,
                "customer_insights_graphql_requests_total{{operation=\"{}\",outcome=\"{}\"}} {count}",
                escape(operation),
                outcome.as_str()
            );
        }
        header(
            &mut out,
            "customer_insights_graphql_request_duration_seconds",
            "histogram",
            "GraphQL request latency by operation name, from the first byte read to the response built.",
        );
        for (operation, histogram) in &series.graphql_latency {
            let labels = format!("operation=\"{}\"", escape(operation));
            histogram.render(&mut out, "customer_insights_graphql_request_duration_seconds", &labels);
        }
        header(
            &mut out,
            "customer_insights_graphql_query_cost",
            "histogram",
            "Computed cost of each executed GraphQL operation.",
        );
        series.graphql_cost.clone().unwrap_or_else(|| Histogram::new(&COST_BUCKETS)).render(
            &mut out,
            "customer_insights_graphql_query_cost",
            "",
        );
        header(&mut out, "customer_insights_http_requests_total", "counter", "HTTP requests by route and status code.");
        for ((route, status), count) in &series.http_requests {
            let _ =
                writeln!(out, "customer_insights_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}");
        }
        drop(series);
        let gauges = [
            ("customer_insights_http_requests_in_flight", "HTTP requests being served.", &self.in_flight),
            ("customer_insights_subscriptions_active", "GraphQL subscriptions running.", &self.subscriptions),
            ("customer_insights_websocket_connections", "Open WebSocket connections.", &self.websockets),
        ];
        for (name, help, value) in gauges {
            header(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        render_pools(&mut out, pools);
        header(
            &mut out,
            "customer_insights_db_statements_total",
            "counter",
            "SQL statements run by this process on every pool (per request: its rate over the request rate).",
        );
        let _ = writeln!(out, "customer_insights_db_statements_total {}", crate::db::statements_total());
        out
    }
}

fn render_pools(out: &mut String, pools: &[PoolSnapshot]) {
    header(
        out,
        "customer_insights_db_pool_connections",
        "gauge",
        "Pooled database connections by state: in_use (lent to a query or transaction) or idle.",
    );
    for pool in pools {
        let _ = writeln!(
            out,
            "customer_insights_db_pool_connections{{database=\"{}\",state=\"in_use\"}} {}",
            pool.database, pool.in_use
        );
        let _ = writeln!(
            out,
            "customer_insights_db_pool_connections{{database=\"{}\",state=\"idle\"}} {}",
            pool.database, pool.idle
        );
    }
    header(
        out,
        "customer_insights_db_pool_max_connections",
        "gauge",
        "The pool's size limit; in_use at this limit means queries wait for a connection.",
    );
    for pool in pools {
        let _ =
            writeln!(out, "customer_insights_db_pool_max_connections{{database=\"{}\"}} {}", pool.database, pool.max);
    }
    header(out, "customer_insights_db_up", "gauge", "1 when the last health probe of the database succeeded.");
    for pool in pools {
        let _ = writeln!(out, "customer_insights_db_up{{database=\"{}\"}} {}", pool.database, u8::from(pool.up));
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value per the text format.
fn escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Holds one unit of a gauge; gives it back when dropped (also when a request is cancelled).
pub struct Gauge {
    metrics: std::sync::Arc<Metrics>,
    gauge: fn(&Metrics) -> &AtomicI64,
}

impl Gauge {
    fn enter(metrics: std::sync::Arc<Metrics>, gauge: fn(&Metrics) -> &AtomicI64) -> Self {
        gauge(&metrics).fetch_add(1, Ordering::Relaxed);
        Gauge { metrics, gauge }
    }
}

impl Drop for Gauge {
    fn drop(&mut self) {
        (self.gauge)(&self.metrics).fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    #[test]
    fn requests_are_counted_by_operation_and_outcome_with_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.graphql_request("NpsByKind", Outcome::Ok, 0.004, Some(12));
        metrics.graphql_request("NpsByKind", Outcome::Ok, 0.3, Some(30));
        metrics.graphql_request("NpsByKind", Outcome::Unavailable, 0.0001, None);
        let text = metrics.render(&[]);
        assert!(text.contains("customer_insights_graphql_requests_total{operation=\"NpsByKind\",outcome=\"ok\"} 2\n"));
        assert!(text.contains("outcome=\"unavailable\"} 1\n"));
        assert!(text.contains("duration_seconds_bucket{operation=\"NpsByKind\",le=\"0.001\"} 1\n"));
        assert!(text.contains("duration_seconds_bucket{operation=\"NpsByKind\",le=\"0.005\"} 2\n"));
        assert!(text.contains("duration_seconds_bucket{operation=\"NpsByKind\",le=\"0.5\"} 3\n"));
        assert!(text.contains("duration_seconds_count{operation=\"NpsByKind\"} 3\n"));
        assert!(text.contains("customer_insights_graphql_query_cost_bucket{le=\"25\"} 1\n"));
        assert!(text.contains("customer_insights_graphql_query_cost_sum 42\n"));
    }

    #[test]
    fn client_chosen_operation_names_cannot_grow_the_series_without_bound() {
        let metrics = Metrics::default();
        for i in 0..MAX_OPERATION_NAMES + 50 {
            metrics.graphql_request(&format!("op{i}"), Outcome::Ok, 0.01, None);
        }
        metrics.graphql_request("op0", Outcome::Ok, 0.01, None);
        let text = metrics.render(&[]);
        assert!(text.contains("{operation=\"other\",outcome=\"ok\"} 50\n"));
        assert!(text.contains("{operation=\"op0\",outcome=\"ok\"} 2\n"));
        assert_eq!(text.matches("_count{operation=").count(), MAX_OPERATION_NAMES + 1);
    }

    #[test]
    fn gauges_follow_their_guards_and_label_values_are_escaped() {
        let metrics = Arc::new(Metrics::default());
        let first = metrics.subscription_started();
        let second = metrics.subscription_started();
        drop(first);
        assert_eq!(metrics.active_subscriptions(), 1);
        drop(second);
        assert_eq!(metrics.active_subscriptions(), 0);
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let pools = [PoolSnapshot { database: "primary", in_use: 3, idle: 7, max: 10, up: true }];
        let text = metrics.render(&pools);
        assert!(text.contains("customer_insights_db_pool_connections{database=\"primary\",state=\"in_use\"} 3\n"));
        assert!(text.contains("customer_insights_db_up{database=\"primary\"} 1\n"));
    }
}

//! Builds the application from a configuration and a database handle, and exposes the bound port, so
//! tests can listen on port 0.

use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use crate::auth::failures::AuthFailures;
use crate::auth::rate_limit::{DEFAULT_RATE_LIMIT, RateLimit, RateLimiter};
use crate::auth::{AuthMode, Authenticator};
use crate::db::Databases;
use crate::events::Events;
use crate::graphql::gate::limits::Limits;
use crate::graphql::gate::persisted::PersistedQueries;
use crate::graphql::gate::{DataShapeCell, Gate, GateConfig};
use crate::graphql::{SchemaOptions, build_schema};
use crate::http::origins::Origins;
use crate::http::{HttpState, router};
use crate::ops::lifecycle::{Lifecycle, LifecycleControl};
use crate::ops::metrics::Metrics;
use crate::rollups::CountSource;

/// The response cache's default size.
pub const DEFAULT_RESPONSE_CACHE_MIB: usize = 32;

/// Server settings that do not concern the database.
#[derive(Clone)]
pub struct ServeConfig {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    pub listen: String,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// After the shutdown signal, how long requests in flight and closing WebSockets may take.
    pub shutdown_grace: Duration,
    /// Whether requests need an API key.
    pub auth: AuthMode,
    pub limits: Limits,
    /// The per-key cost budget; `per_second: 0` turns it off.
    pub rate_limit: RateLimit,
    pub introspection: bool,
    pub persisted: PersistedQueries,
    pub satisfaction_source: CountSource,
    /// Origins of web pages allowed to use the API from a browser (`*` for any).
    pub allowed_origins: Vec<String>,
    /// MiB of answers the response cache may hold; 0 turns it off.
    pub response_cache_mib: usize,
}

impl ServeConfig {
    /// Defaults for a server on `listen`: keys required, default limits, automatic persisted queries.
    pub fn new(listen: impl Into<String>) -> Self {
        ServeConfig {
            listen: listen.into(),
            max_body_bytes: 1_048_576,
            shutdown_grace: Duration::from_secs(10),
            auth: AuthMode::Keys,
            limits: Limits::default(),
            rate_limit: DEFAULT_RATE_LIMIT,
            introspection: true,
            persisted: PersistedQueries::automatic(),
            satisfaction_source: CountSource::Rollups,
            allowed_origins: Vec::new(),
            response_cache_mib: DEFAULT_RESPONSE_CACHE_MIB,
        }
    }
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    lifecycle: LifecycleControl,
    shutdown_grace: Duration,
}

impl Application {
    pub async fn build(databases: Databases, config: &ServeConfig) -> io::Result<Self> {
        let metrics = Arc::new(Metrics::default());
        let primary = databases.primary.connection.clone();
        let options = SchemaOptions {
            limits: config.limits.clone(),
            introspection: config.introspection,
            satisfaction_source: config.satisfaction_source,
        };
        let schema = build_schema(primary.clone(), Events::start(&primary), metrics.clone(), &options);
        let gate_config = GateConfig {
            limits: config.limits.clone(),
            rate_limiter: RateLimiter::new(config.rate_limit),
            persisted: config.persisted.clone(),
            introspection: config.introspection,
            response_cache_bytes: config.response_cache_mib.saturating_mul(1024 * 1024),
        };
        let data_shape = DataShapeCell::default();
        data_shape
            .clone()
            .watch(databases.route(crate::db::Access::Read).unwrap_or(&databases.primary).connection.clone())
            .await;
        let origins = Origins::new(&config.allowed_origins, config.auth == AuthMode::Open)
            .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
        let (lifecycle, control) = Lifecycle::new();
        let state = HttpState {
            gate: Gate::new(schema, gate_config, databases.clone(), data_shape),
            metrics,
            lifecycle,
            max_body_bytes: config.max_body_bytes,
            auth: Authenticator::new(config.auth, primary),
            auth_failures: AuthFailures::default(),
            origins,
            databases,
        };
        let router = router(state);
        let listener = TcpListener::bind(&config.listen).await?;
        Ok(Application { listener, router, lifecycle: control, shutdown_grace: config.shutdown_grace })
    }

    pub fn local_addr(&self) -> io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes; then stops accepting connections, lets the requests in
    /// flight finish, closes WebSockets with 1001 (going away), and returns. Whatever is still running
    /// after the grace period is dropped.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> io::Result<()> {
        let Application { listener, router, lifecycle, shutdown_grace } = self;
        let LifecycleControl { stop, mut connections } = lifecycle;
        let mut signalled = stop.subscribe();
        let graceful = async move {
            shutdown.await;
            // WebSockets see this and close; axum stops accepting and drains the requests in flight.
            let _ = stop.send(true);
        };
        let server = async move {
            let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
            let result = axum::serve(listener, service).with_graceful_shutdown(graceful).await;
            // Every copy of the router's state holds a sender: the channel closes with the last one,
            // after the last WebSocket has sent its close frame.
            while connections.recv().await.is_some() {}
            result
        };
        tokio::pin!(server);
        tokio::select! {
            result = &mut server => return result,
            _ = signalled.wait_for(|signalled| *signalled) => {}
        }
        match tokio::time::timeout(shutdown_grace, server).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(
                    grace_seconds = shutdown_grace.as_secs(),
                    "grace period over: dropping the requests still running"
                );
                Ok(())
            }
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

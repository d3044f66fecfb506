//! `serve`: connects, migrates, seeds the demo if asked, and runs the server until a shutdown signal.

use sea_orm::{EntityTrait, PaginatorTrait};

use super::banner::Banner;
use super::{CliError, LogFormat, ServeArgs, database_options};
use crate::auth::AuthMode;
use crate::auth::rate_limit::RateLimit;
use crate::db::{DatabaseOptions, Databases, backend_name, connect, migrate_up};
use crate::graphql::gate::persisted::PersistedQueries;
use crate::rollups::CountSource;
use crate::seed::{SeedOptions, seed};
use crate::startup::{Application, ServeConfig, shutdown_signal};

/// The pool options of `serve`: no statement outlives the longest request.
fn serving_options(args: &ServeArgs, url: &str) -> DatabaseOptions {
    DatabaseOptions {
        statement_timeout: Some(std::time::Duration::from_millis(args.limits.request_timeout_ms)),
        ..database_options(&args.database, url)
    }
}

pub(super) async fn serve(args: ServeArgs, log_format: LogFormat) -> Result<(), CliError> {
    let (db, _) = connect(&serving_options(&args, &args.database.database_url)).await?;
    migrate_up(&db).await?;
    if args.demo && entity::customer::Entity::find().count(&db).await? == 0 {
        let report = seed(&db, &SeedOptions { customers: args.demo_customers, seed: 42, ..Default::default() }).await?;
        tracing::info!(customers = report.customers, feedback = report.feedback, "seeded demo data");
    }
    let replica = match &args.read_database_url {
        Some(url) => {
            // Lazy: a replica that is down at start is reported by /readyz, and reads use the primary.
            let options = DatabaseOptions { lazy: true, ..serving_options(&args, url) };
            Some((connect(&options).await?.0, url.as_str()))
        }
        None => None,
    };
    let databases = Databases::watch(db, &args.database.database_url, replica).await?;
    let persisted = match &args.limits.persisted_queries {
        Some(path) => PersistedQueries::allow_list(path).map_err(CliError::Setup)?,
        None => PersistedQueries::automatic(),
    };
    // Secure by default: keys are required, except for the demo on a loopback address over a database
    // that has no keys (a database with keys is someone's real deployment, not the demo's).
    let has_keys = !crate::auth::keys::list(&databases.primary.connection).await?.is_empty();
    let auth = if args.demo && is_loopback(&args.listen) && !has_keys {
        AuthMode::Open
    } else {
        if args.demo {
            tracing::warn!("demo mode on a non-loopback address or a database with API keys: keys are required");
        }
        AuthMode::Keys
    };
    let config = ServeConfig {
        listen: args.listen.clone(),
        max_body_bytes: args.max_body_bytes,
        shutdown_grace: std::time::Duration::from_secs(args.shutdown_grace_seconds),
        auth,
        limits: args.limits.limits(),
        rate_limit: RateLimit { burst: args.limits.rate_limit_burst, per_second: args.limits.rate_limit_per_second },
        introspection: args.limits.introspection,
        persisted,
        satisfaction_source: if args.satisfaction_rollups { CountSource::Rollups } else { CountSource::Rows },
        allowed_origins: args.allowed_origins.clone(),
        response_cache_mib: args.response_cache_mib,
    };
    let backend = backend_name(&databases.primary.connection);
    let app = Application::build(databases, &config).await?;
    let banner = Banner {
        address: app.local_addr()?,
        database_url: &args.database.database_url,
        backend,
        auth,
        allowed_origins: &args.allowed_origins,
    };
    banner.show(log_format);
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

/// Whether `listen` only accepts local connections (`127.0.0.0/8`, `::1`, `localhost`).
fn is_loopback(listen: &str) -> bool {
    match listen.parse::<std::net::SocketAddr>() {
        Ok(address) => address.ip().is_loopback(),
        Err(_) => listen.rsplit_once(':').is_some_and(|(host, _)| host.eq_ignore_ascii_case("localhost")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_addresses_may_run_the_demo_open() {
        for open in ["127.0.0.1:8080", "127.1.2.3:80", "[::1]:8080", "localhost:8080"] {
            assert!(is_loopback(open), "{open}");
        }
        for closed in ["0.0.0.0:8080", "[::]:8080", "192.168.1.5:8080", "example.com:8080", "localhost.evil.com:80"] {
            assert!(!is_loopback(closed), "{closed}");
        }
    }
}

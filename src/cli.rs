//! The command line: `serve`, `migrate`, `seed`, `import`, `export`, `schema`, `keys` and `rollups`. Every
//! option can also come from an environment variable (shown in `--help`).

use clap::{Args, Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait};

use crate::auth::AuthMode;
use crate::auth::rate_limit::{DEFAULT_RATE_LIMIT, RateLimit};
use crate::config::LoadedCli;
use crate::db::{
    DEFAULT_DATABASE_URL, DEFAULT_SQLITE_CACHE_MIB, DatabaseOptions, Databases, backend_name, connect, migrate_up,
};
use crate::error::AppError;
use crate::graphql::gate::limits::Limits;
use crate::graphql::gate::persisted::PersistedQueries;
use crate::rollups::CountSource;
use crate::seed::{SeedOptions, seed};
use crate::startup::{Application, ServeConfig, shutdown_signal};
use crate::transfer::import::{ImportError, Progress};

#[derive(Parser, Debug)]
#[command(
    name = "customer-insights",
    version,
    about = "GraphQL server for post-purchase satisfaction and loyalty insights"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log filter, in `tracing` syntax (e.g. `info`, `customer_insights=debug`).
    #[arg(long, global = true, env = "CUSTOMER_INSIGHTS_LOG", default_value = "info")]
    pub log: String,
    /// Log format: `text` for people, `json` (one object per line) for log collectors.
    #[arg(long, global = true, env = "CUSTOMER_INSIGHTS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A TOML file of settings named like the flags (`listen = "0.0.0.0:8080"`). Flags and environment
    /// variables override it.
    #[arg(long, global = true, env = crate::config::CONFIG_ENV)]
    pub config: Option<std::path::PathBuf>,
}

#[derive(clap::ValueEnum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the GraphQL server (migrates the database first).
    Serve(Box<ServeArgs>),
    /// Apply, revert or list schema migrations.
    Migrate(MigrateArgs),
    /// Fill an empty database with a deterministic synthetic data set.
    Seed(SeedArgs),
    /// Import a directory of CSV files (customers.csv, orders.csv, touchpoints.csv, feedback.csv) or an
    /// NDJSON file: all records are validated first; then all are written in one transaction, or none.
    Import(ImportArgs),
    /// Export every table as CSV files in the import format.
    Export(ExportArgs),
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Create, list and revoke API keys.
    Keys(KeysArgs),
    /// Check or rebuild the satisfaction rollups.
    Rollups(RollupsArgs),
}

#[derive(Args, Debug)]
pub struct KeysArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub action: KeysAction,
}

#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Create a key and print it (once: only its hash is stored).
    Create {
        /// VIEWER (insights only), ANALYST (rows and insights, personal data masked) or ADMIN (everything).
        #[arg(long)]
        role: crate::auth::Role,
        /// A unique name: who or what uses the key (shown in logs and listings).
        #[arg(long)]
        name: String,
    },
    /// List keys: name, role, prefix, created, revoked.
    List,
    /// Revoke a key by name (running servers refuse it within 3 seconds and close its WebSockets within
    /// about 4).
    Revoke {
        /// The key's name.
        name: String,
    },
}

/// What one request may ask for (see the README's "Access control and limits").
#[derive(Args, Debug)]
pub struct LimitArgs {
    /// Deepest field nesting of a query.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_DEPTH", default_value_t = 16)]
    pub max_depth: u64,
    /// Highest cost of a query: one per field, a connection its page size times its children, an
    /// insight its rows times their fields plus the work behind them (see docs/security.md).
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_COST", default_value_t = 500_000)]
    pub max_cost: usize,
    /// Most aliases in a query.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_ALIASES", default_value_t = 50)]
    pub max_aliases: u64,
    /// Most root fields in a query.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_ROOT_FIELDS", default_value_t = 20)]
    pub max_root_fields: u64,
    /// Largest page (`first`/`last`) of a connection, and most IDs of `nodes`.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_PAGE_SIZE", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub max_page_size: u64,
    /// Largest query document, in bytes.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_DOCUMENT_BYTES", default_value_t = 32_768)]
    pub max_document_bytes: usize,
    /// Most requests in one batch (a JSON list of requests).
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_BATCH", default_value_t = 10)]
    pub max_batch: usize,
    /// Longest a request (a whole batch) may run before it is stopped (TIMEOUT), its database
    /// statements with it.
    #[arg(long, env = "CUSTOMER_INSIGHTS_REQUEST_TIMEOUT_MS", default_value_t = 15_000)]
    pub request_timeout_ms: u64,
    /// Most rows (connection rows and insight rows) in one answer.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_RESPONSE_ROWS", default_value_t = 50_000)]
    pub max_response_rows: u64,
    /// Largest answer, in bytes of JSON.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_RESPONSE_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_response_bytes: usize,
    /// Most subscriptions running at once on one WebSocket.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_SUBSCRIPTIONS", default_value_t = 20)]
    pub max_subscriptions: usize,
    /// Query cost a key may spend at once (its token bucket's size): two queries of the highest cost.
    #[arg(long, env = "CUSTOMER_INSIGHTS_RATE_LIMIT_BURST", default_value_t = DEFAULT_RATE_LIMIT.burst)]
    pub rate_limit_burst: f64,
    /// Query cost a key regains per second (120,000 a minute: e.g. 120 insight queries of cost 1,000);
    /// 0 turns the rate limit off.
    #[arg(long, env = "CUSTOMER_INSIGHTS_RATE_LIMIT_PER_SECOND", default_value_t = DEFAULT_RATE_LIMIT.per_second)]
    pub rate_limit_per_second: f64,
    /// Answer introspection queries (`__schema`, `__type`); `false` hides the schema from clients.
    #[arg(long, env = "CUSTOMER_INSIGHTS_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub introspection: bool,
    /// Only run the queries of this allow-list (an Apollo persisted query manifest, or `{SHA256: query}`).
    /// Without it, automatic persisted queries are on and any query may run.
    #[arg(long, env = "CUSTOMER_INSIGHTS_PERSISTED_QUERIES")]
    pub persisted_queries: Option<std::path::PathBuf>,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_document_bytes: self.max_document_bytes,
            max_depth: self.max_depth,
            max_complexity: self.max_cost,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
            max_page_size: self.max_page_size,
            max_batch: self.max_batch,
            timeout: std::time::Duration::from_millis(self.request_timeout_ms),
            max_response_rows: self.max_response_rows,
            max_response_bytes: self.max_response_bytes,
            max_subscriptions: self.max_subscriptions,
            websocket_init_timeout: Limits::default().websocket_init_timeout,
        }
    }
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// A directory of CSV files, or an NDJSON file.
    pub path: std::path::PathBuf,
    /// Only validate (every record and reference), write nothing.
    #[arg(long, env = "CUSTOMER_INSIGHTS_IMPORT_DRY_RUN")]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The directory to write the CSV files into (created if missing).
    pub dir: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://USER:PASSWORD@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Connection pool size (per database: the replica gets a pool of its own).
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_CONNECTIONS", default_value_t = 10)]
    pub max_connections: u32,
    /// How long a query may wait for a pooled connection before it fails with SERVICE_UNAVAILABLE.
    #[arg(long, env = "CUSTOMER_INSIGHTS_ACQUIRE_TIMEOUT_MS", default_value_t = 5000)]
    pub acquire_timeout_ms: u64,
    /// SQLite page cache of the process, in MiB, shared by its connections: the pages of large
    /// aggregations and imports stay in memory, and the server's memory stays bounded.
    #[arg(long, env = "CUSTOMER_INSIGHTS_SQLITE_CACHE_MIB", default_value_t = DEFAULT_SQLITE_CACHE_MIB)]
    pub sqlite_cache_mib: u32,
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, env = "CUSTOMER_INSIGHTS_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Seed an empty database with demo data before serving.
    #[arg(long, env = "CUSTOMER_INSIGHTS_DEMO")]
    pub demo: bool,
    /// How many customers the demo data has.
    #[arg(long, env = "CUSTOMER_INSIGHTS_DEMO_CUSTOMERS", default_value_t = 2000)]
    pub demo_customers: u32,
    /// The largest request body accepted, in bytes.
    #[arg(long, env = "CUSTOMER_INSIGHTS_MAX_BODY_BYTES", default_value_t = 1_048_576)]
    pub max_body_bytes: usize,
    /// A read replica (e.g. a PostgreSQL streaming standby): queries go there; mutations, subscriptions
    /// and anything that must read its own writes go to `--database-url`. Reads fall back to the primary
    /// while the replica is unreachable.
    #[arg(long, env = "CUSTOMER_INSIGHTS_READ_DATABASE_URL")]
    pub read_database_url: Option<String>,
    /// MiB of answers to read-only queries remembered while no write changes the data (every instance
    /// sees every write); 0 turns the response cache off.
    #[arg(long, env = "CUSTOMER_INSIGHTS_RESPONSE_CACHE_MIB", default_value_t = crate::startup::DEFAULT_RESPONSE_CACHE_MIB)]
    pub response_cache_mib: usize,
    /// Web pages allowed to call the API from a browser (CORS) and to open its WebSocket: origins like
    /// `https://app.example.com`, comma-separated, or `*` for any. None by default; the demo also allows
    /// pages on this machine (`http://localhost:*`).
    #[arg(long, env = "CUSTOMER_INSIGHTS_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// On SIGTERM or Ctrl-C, how long requests in flight may take to finish before the server exits anyway.
    #[arg(long, env = "CUSTOMER_INSIGHTS_SHUTDOWN_GRACE_SECONDS", default_value_t = 10)]
    pub shutdown_grace_seconds: u64,
    /// Read satisfaction counts from the rollups for the whole days of a period (the default); `false`
    /// reads every answer instead (slower; an escape hatch while `rollups check` is investigated).
    #[arg(long, env = "CUSTOMER_INSIGHTS_SATISFACTION_ROLLUPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub satisfaction_rollups: bool,
    #[command(flatten)]
    pub limits: LimitArgs,
}

#[derive(Args, Debug)]
pub struct RollupsArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub action: RollupsAction,
}

#[derive(Subcommand, Debug)]
pub enum RollupsAction {
    /// Compare the satisfaction rollups with a fresh computation from the rows; exits with 1 when they differ.
    Check,
    /// Recompute the satisfaction rollups from the rows, in one transaction.
    Rebuild,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub action: MigrateAction,
}

#[derive(Subcommand, Debug)]
pub enum MigrateAction {
    /// Apply pending migrations (all, or the next N).
    Up {
        /// How many pending migrations to apply; all by default.
        #[arg(long, env = "CUSTOMER_INSIGHTS_MIGRATE_STEPS")]
        steps: Option<u32>,
    },
    /// Revert applied migrations, newest first (default: one).
    Down {
        /// How many applied migrations to revert.
        #[arg(long, env = "CUSTOMER_INSIGHTS_MIGRATE_STEPS", default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Args, Debug)]
pub struct SeedArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Number of customers to generate (orders, touchpoints and feedback follow from them).
    #[arg(long, env = "CUSTOMER_INSIGHTS_SEED_CUSTOMERS", default_value_t = 1000)]
    pub customers: u32,
    /// Random seed: the same seed and size always give the same data.
    #[arg(long, env = "CUSTOMER_INSIGHTS_SEED", default_value_t = 42)]
    pub seed: u64,
    /// Add relationship (pulse) NPS surveys, about this many per customer and year, for denser feedback.
    #[arg(long, env = "CUSTOMER_INSIGHTS_SEED_PULSE_SURVEYS_PER_YEAR", default_value_t = 0.0)]
    pub pulse_surveys_per_year: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("database: {0}")]
    Database(#[from] DbErr),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Import(#[from] ImportError),
    #[error("{0}")]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Setup(String),
}

async fn import(args: ImportArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    migrate_up(&db).await?;
    let started = std::time::Instant::now();
    let result = crate::transfer::import::import(&db, &args.path, args.dry_run, &TerminalProgress::new()).await;
    match result {
        Ok(report) => {
            let seconds = started.elapsed().as_secs_f64();
            let verb = if report.dry_run { "validated (dry run, nothing written)" } else { "imported" };
            println!(
                "{verb}: {} customers, {} orders, {} touchpoints, {} feedback ({} rows in {seconds:.2} s, {:.0} rows/s)",
                report.customers,
                report.orders,
                report.touchpoints,
                report.feedback,
                report.total(),
                report.total() as f64 / seconds.max(1e-9)
            );
            if report.kept_erased > 0 {
                println!(
                    "{} rows belong to erased customers: their names, e-mails and comments stay erased",
                    report.kept_erased
                );
            }
            Ok(())
        }
        Err(ImportError::Invalid(errors)) => {
            for error in &errors {
                eprintln!("{error}");
            }
            Err(ImportError::Invalid(errors).into())
        }
        Err(other) => Err(other.into()),
    }
}

/// A progress bar on a terminal; silent when stderr is not one (CI logs, pipes).
struct TerminalProgress(Option<indicatif::ProgressBar>);

impl TerminalProgress {
    fn new() -> Self {
        use std::io::IsTerminal;
        TerminalProgress(std::io::stderr().is_terminal().then(indicatif::ProgressBar::hidden))
    }
}

impl Progress for TerminalProgress {
    fn start(&self, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows {per_sec} {eta}") {
                bar.set_style(style);
            }
        }
    }

    fn advance(&self, rows: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(rows);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

pub async fn run(loaded: LoadedCli) -> Result<(), CliError> {
    if let Some(path) = &loaded.config_file {
        tracing::info!(file = %path.display(), "configuration file read");
    }
    if matches!(loaded.cli.command, Command::Serve(_)) {
        // Printed (secrets masked) so an operator sees what the server really runs with, and why.
        for setting in loaded.effective_settings() {
            tracing::info!(setting = %setting.name, value = %setting.value, source = setting.source.as_str(), "setting");
        }
    }
    match loaded.cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Migrate(args) => migrate(args).await,
        Command::Seed(args) => {
            let db = open(&args.database).await?;
            migrate_up(&db).await?;
            let report = seed(
                &db,
                &SeedOptions {
                    customers: args.customers,
                    seed: args.seed,
                    pulse_surveys_per_year: args.pulse_surveys_per_year,
                },
            )
            .await?;
            println!(
                "seeded {} customers, {} orders, {} touchpoints, {} feedback",
                report.customers, report.orders, report.touchpoints, report.feedback
            );
            Ok(())
        }
        Command::Import(args) => import(args).await,
        Command::Keys(args) => keys(args).await,
        Command::Rollups(args) => rollups(args).await,
        Command::Export(args) => {
            let db = open(&args.database).await?;
            migrate_up(&db).await?;
            for (table, rows) in crate::transfer::export::export(&db, &args.dir).await? {
                println!("{}: {rows} rows", table.file_name());
            }
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
    }
}

/// The pool options of `serve`: no statement outlives the longest request.
fn serving_options(args: &ServeArgs, url: &str) -> DatabaseOptions {
    DatabaseOptions {
        statement_timeout: Some(std::time::Duration::from_millis(args.limits.request_timeout_ms)),
        ..database_options(&args.database, url)
    }
}

fn database_options(args: &DatabaseArgs, url: &str) -> DatabaseOptions {
    let mut options = DatabaseOptions::new(url);
    options.max_connections = args.max_connections;
    options.acquire_timeout = std::time::Duration::from_millis(args.acquire_timeout_ms);
    options.sqlite_cache_mib = args.sqlite_cache_mib;
    options
}

async fn open(args: &DatabaseArgs) -> Result<DatabaseConnection, CliError> {
    let (db, _) = connect(&database_options(args, &args.database_url)).await?;
    Ok(db)
}

async fn serve(args: ServeArgs) -> Result<(), CliError> {
    let (db, _) = connect(&serving_options(&args, &args.database.database_url)).await?;
    migrate_up(&db).await?;
    tracing::info!(backend = backend_name(&db), "database migrated");
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
        tracing::warn!("demo mode on a loopback address: requests without an API key run as ADMIN");
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
    let app = Application::build(databases, &config).await?;
    tracing::info!(address = %app.local_addr()?, "serving GraphQL on /graphql and GraphiQL on /");
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

async fn keys(args: KeysArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    migrate_up(&db).await?;
    match args.action {
        KeysAction::Create { role, name } => {
            let created = crate::auth::keys::create(&db, &name, role).await?;
            println!("{}", created.secret);
            eprintln!(
                "created {} key `{}`: the line above is the key; it is shown only now, store it safely",
                created.key.role, created.key.name
            );
        }
        KeysAction::List => {
            println!("name\trole\tprefix\tcreated\trevoked");
            for key in crate::auth::keys::list(&db).await? {
                let revoked = key.revoked_at.map_or_else(|| "-".to_owned(), |at| at.to_rfc3339());
                println!("{}\t{}\t{}…\t{}\t{revoked}", key.name, key.role, key.key_prefix, key.created_at.to_rfc3339());
            }
        }
        KeysAction::Revoke { name } => {
            if crate::auth::keys::revoke(&db, &name).await? {
                println!("revoked `{name}`");
            } else {
                println!("`{name}` was revoked already");
            }
        }
    }
    Ok(())
}

async fn rollups(args: RollupsArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    migrate_up(&db).await?;
    match args.action {
        RollupsAction::Check => {
            let differences = crate::rollups::maintenance::differences(&db).await?;
            for difference in differences.iter().take(20) {
                println!("{difference}");
            }
            if !differences.is_empty() {
                return Err(CliError::Setup(format!(
                    "{} rollup rows differ from the rows; `rollups rebuild` recomputes them",
                    differences.len()
                )));
            }
            println!("the satisfaction rollups match the rows");
        }
        RollupsAction::Rebuild => {
            let txn = crate::rollups::maintenance::begin_rebuild(&db).await?;
            crate::rollups::maintenance::rebuild(&txn).await?;
            crate::rollups::maintenance::commit(&db, txn).await?;
            crate::db::after_bulk_write(&db).await?;
            println!("rebuilt the satisfaction rollups");
        }
    }
    Ok(())
}

async fn migrate(args: MigrateArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    match args.action {
        MigrateAction::Up { steps } => crate::db::migrate(&db, steps).await?,
        MigrateAction::Down { steps } => Migrator::down(&db, Some(steps)).await?,
        MigrateAction::Status => {
            for migration in Migrator::get_migration_with_status(&db).await? {
                println!("{}\t{}", migration.status(), migration.name());
            }
        }
    }
    Ok(())
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

//! The command line's flags and subcommands (clap types). Every option can also come from an
//! environment variable (shown in `--help`) or the configuration file.

use clap::{Args, Parser, Subcommand};

use super::examples;

use crate::auth::rate_limit::DEFAULT_RATE_LIMIT;
use crate::db::{DEFAULT_DATABASE_URL, DEFAULT_SQLITE_CACHE_MIB};
use crate::graphql::gate::limits::Limits;

#[derive(Parser, Debug)]
#[command(
    name = "customer-insights",
    version,
    about = "GraphQL server for post-purchase satisfaction and loyalty insights",
    after_help = examples::TOP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Log filter, in `tracing` syntax (e.g. `info`, `customer_insights=debug`). By default the
    /// migrator's line per migration (one line says how many were applied) and PostgreSQL's notices
    /// (`relation ... already exists, skipping` at every start) are left out.
    #[arg(
        long,
        global = true,
        env = "CUSTOMER_INSIGHTS_LOG",
        default_value = "info,sea_orm_migration=warn,sqlx::postgres::notice=warn"
    )]
    pub log: String,
    /// Log format: `text` for people, `json` (one object per line) for log collectors.
    #[arg(long, global = true, env = "CUSTOMER_INSIGHTS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// A TOML file of settings named like the flags (`listen = "0.0.0.0:8080"`). Flags and environment
    /// variables override it.
    #[arg(long, global = true, env = super::config::CONFIG_ENV)]
    pub config: Option<std::path::PathBuf>,
    /// Print the command's effective settings as a configuration file (secrets masked) and exit.
    #[arg(long, global = true)]
    pub print_config: bool,
}

#[derive(clap::ValueEnum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the GraphQL server (migrates the database first).
    #[command(after_help = examples::SERVE)]
    Serve(Box<ServeArgs>),
    /// Apply, revert or list schema migrations.
    #[command(after_help = examples::MIGRATE)]
    Migrate(MigrateArgs),
    /// Fill an empty database with a deterministic synthetic data set.
    #[command(after_help = examples::SEED)]
    Seed(SeedArgs),
    /// Import a directory of CSV files (customers.csv, orders.csv, touchpoints.csv, feedback.csv,
    /// complaints.csv) or an NDJSON file: all records are validated first; then all are written in one transaction, or none.
    #[command(after_help = examples::IMPORT)]
    Import(ImportArgs),
    /// Export every table as CSV files in the import format.
    #[command(after_help = examples::EXPORT)]
    Export(ExportArgs),
    /// Print the GraphQL schema (SDL).
    #[command(after_help = examples::SCHEMA)]
    Schema,
    /// Create, list and revoke API keys.
    #[command(after_help = examples::KEYS)]
    Keys(KeysArgs),
    /// Check or rebuild the satisfaction rollups.
    #[command(after_help = examples::ROLLUPS)]
    Rollups(RollupsArgs),
    /// Fit the predictive CLV models (BG/NBD and Gamma-Gamma) on the orders in the database.
    #[command(after_help = examples::CLV)]
    Clv(ClvArgs),
}

#[derive(Args, Debug)]
pub struct ClvArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(subcommand)]
    pub action: ClvAction,
}

#[derive(Subcommand, Debug)]
pub enum ClvAction {
    /// Fit both models on the orders that count in one currency up to the calibration end, store them in
    /// place of that currency's model (with every customer's predictions and the tracking plot) and print
    /// the parameters.
    Fit {
        /// Orders placed at or before this time count (RFC 3339, e.g. `1997-09-30T00:00:00Z`).
        #[arg(long)]
        calibration_end: String,
        /// The ISO 4217 currency of the orders to fit on.
        #[arg(long, default_value = "USD")]
        currency: String,
        /// The unit of every time of the model: WEEK or DAY.
        #[arg(long, value_enum, ignore_case = true, default_value = "WEEK")]
        time_unit: ClvTimeUnit,
    },
}

/// The time unit of a CLV model.
#[derive(clap::ValueEnum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ClvTimeUnit {
    #[value(name = "WEEK")]
    Week,
    #[value(name = "DAY")]
    Day,
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

/// What one request may ask for (see docs/security.md, "Limits").
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
    pub(super) fn limits(&self) -> Limits {
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
    /// Import a directory's other files even if it holds CSV files that are not import files (those are
    /// left out and listed); without it, such a file (a misnamed `feedbacks.csv`) stops the import.
    #[arg(long, env = "CUSTOMER_INSIGHTS_IMPORT_SKIP_UNKNOWN_FILES")]
    pub skip_unknown_files: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The directory to write the CSV files into (created if missing).
    pub dir: std::path::PathBuf,
}

/// The database and its pool. Global: accepted after the command and after its action alike
/// (`keys create --database-url ...`, `keys --database-url ... create`).
#[derive(Args, Debug)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://USER:PASSWORD@HOST/DB`.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    /// Connection pool size (per database: the replica gets a pool of its own).
    #[arg(long, global = true, env = "CUSTOMER_INSIGHTS_MAX_CONNECTIONS", default_value_t = 10)]
    pub max_connections: u32,
    /// How long a query may wait for a pooled connection before it fails with SERVICE_UNAVAILABLE.
    #[arg(long, global = true, env = "CUSTOMER_INSIGHTS_ACQUIRE_TIMEOUT_MS", default_value_t = 5000)]
    pub acquire_timeout_ms: u64,
    /// SQLite memory of the process, in MiB, shared by its connections' page caches and sorts: the
    /// pages of large aggregations and imports stay in memory, and the server's memory stays bounded.
    #[arg(long, global = true, env = "CUSTOMER_INSIGHTS_SQLITE_CACHE_MIB", default_value_t = DEFAULT_SQLITE_CACHE_MIB)]
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

//! Every helper the integration tests share. Here: `spawn_app()` (a fresh database per test, migrated by
//! the real migrations, and the real server) and its variants; in the submodules, re-exported here:
//! requests over HTTP and WebSocket, stored rows, and the randomized tests' seed and choices.

mod chromium;
mod random;
mod requests;
mod rows;
mod seed;
mod sockets;

use std::sync::atomic::{AtomicU32, Ordering};

use customer_insights::auth::AuthMode;
use customer_insights::db::{DatabaseOptions, Databases, StatementCounter, connect, migrate_up};
use customer_insights::seed::{SeedOptions, seed};
use customer_insights::startup::{Application, ServeConfig};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend};
use serde_json::{Value, json};

pub use chromium::{Chromium, Page};
pub use random::{CHANNELS, KINDS, METRICS, Pick, REGIONS, SEGMENTS, STATUSES};
pub use requests::{Reply, code, field_of, post, query, send, user_code};
pub use rows::{Silent, assert_rollups_exact, row_counts};
pub use seed::test_seed;
pub use sockets::{Socket, acknowledged_socket, connect_socket, next_json, open_socket, send_json, subscribe};

pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A database that exists for one test.
pub struct TestDatabase {
    pub url: String,
    /// Keeps the SQLite directory alive; PostgreSQL databases are dropped in `Drop`.
    _dir: Option<tempfile::TempDir>,
    postgres_admin: Option<(String, String)>,
}

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => Self::create_postgres(admin_url).await,
            _ => Self::create_sqlite(),
        }
    }

    pub fn create_sqlite() -> TestDatabase {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("test.db").display());
        TestDatabase { url, _dir: Some(dir), postgres_admin: None }
    }

    pub async fn create_postgres(admin_url: String) -> TestDatabase {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("ci_test_{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos);
        let admin = Database::connect(&admin_url).await.expect("connect to TEST_DATABASE_URL");
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.ok();
        let (base, _) = admin_url.rsplit_once('/').expect("TEST_DATABASE_URL ends with /DATABASE");
        TestDatabase { url: format!("{base}/{name}"), _dir: None, postgres_admin: Some((admin_url, name)) }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres_admin.take() else { return };
        // Drop runs outside async code: use a short-lived runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub statements: StatementCounter,
    pub database_url: String,
    /// Dropped with the app: removes the test database.
    _database: TestDatabase,
}

/// Starts the application on an empty, migrated database.
pub async fn spawn_app() -> TestApp {
    spawn_app_on(TestDatabase::create().await).await
}

/// Starts the application on SQLite, even when `TEST_DATABASE_URL` is set, seeded like `spawn_seeded_app`.
pub async fn spawn_seeded_app_on_sqlite(customers: u32) -> TestApp {
    let app = spawn_app_on(TestDatabase::create_sqlite()).await;
    seed(&app.db, &SeedOptions { customers, seed: 7, ..Default::default() }).await.expect("seed");
    app
}

async fn spawn_app_on(database: TestDatabase) -> TestApp {
    spawn_app_configured(database, test_config()).await
}

/// Starts the application with `config` (its `listen` is ignored: a free port is used).
pub async fn spawn_app_with(configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    let mut config = test_config();
    configure(&mut config);
    spawn_app_configured(TestDatabase::create().await, config).await
}

/// Open (no keys): the tests of everything but access control; those configure their own.
pub fn test_config() -> ServeConfig {
    // No response cache unless a test is about it: the others count statements and compare fresh reads.
    let mut config = ServeConfig {
        max_body_bytes: MAX_BODY_BYTES,
        auth: AuthMode::Open,
        response_cache_mib: 0,
        ..ServeConfig::new("127.0.0.1:0")
    };
    config.limits.max_document_bytes = MAX_BODY_BYTES;
    config
}

/// Starts the application with `config` on a database seeded with `customers` before the server starts
/// (as `serve --demo` does), so what the server reads at start sees the data.
pub async fn spawn_app_with_data(customers: u32, configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
    let mut config = test_config();
    configure(&mut config);
    let database = TestDatabase::create().await;
    let seed_options = SeedOptions { customers, seed: 7, ..Default::default() };
    spawn_app_prepared(database, config, Some(seed_options)).await
}

async fn spawn_app_configured(database: TestDatabase, config: ServeConfig) -> TestApp {
    spawn_app_prepared(database, config, None).await
}

/// Connects to `database` and migrates it; with `data`, seeds it too.
pub async fn migrated(database: &TestDatabase, data: Option<SeedOptions>) -> (DatabaseConnection, StatementCounter) {
    let (db, statements) = connect(&DatabaseOptions::new(&database.url)).await.expect("connect");
    // A run asked for PostgreSQL must really run on it, never quietly on SQLite.
    let expected = if database.postgres_admin.is_some() { DbBackend::Postgres } else { DbBackend::Sqlite };
    assert_eq!(db.get_database_backend(), expected);
    migrate_up(&db).await.expect("migrate");
    if let Some(options) = data {
        seed(&db, &options).await.expect("seed");
    }
    (db, statements)
}

async fn spawn_app_prepared(database: TestDatabase, config: ServeConfig, data: Option<SeedOptions>) -> TestApp {
    let (db, statements) = migrated(&database, data).await;
    let databases = Databases::watch(db.clone(), &database.url, None).await.expect("watch the database");
    let app = Application::build(databases, &config).await.expect("build app");
    let address = format!("http://{}", app.local_addr().expect("address"));
    tokio::spawn(app.run_until(std::future::pending()));
    TestApp {
        address,
        client: reqwest::Client::new(),
        db,
        statements,
        database_url: database.url.clone(),
        _database: database,
    }
}

/// Starts the application on a database seeded with `customers` synthetic customers.
pub async fn spawn_seeded_app(customers: u32) -> TestApp {
    let app = spawn_app().await;
    seed(&app.db, &SeedOptions { customers, seed: 7, ..Default::default() }).await.expect("seed");
    app
}

/// A second server instance on the same database as `app` (as behind a load balancer).
pub async fn spawn_second_instance(app: &TestApp) -> (String, DatabaseConnection) {
    spawn_second_instance_with(app, |_| {}).await
}

/// A second instance with its own configuration.
pub async fn spawn_second_instance_with(
    app: &TestApp,
    configure: impl FnOnce(&mut ServeConfig),
) -> (String, DatabaseConnection) {
    let (db, _) = connect(&DatabaseOptions::new(&app.database_url)).await.expect("connect");
    let databases = Databases::watch(db.clone(), &app.database_url, None).await.expect("watch the database");
    let mut config = test_config();
    configure(&mut config);
    let server = Application::build(databases, &config).await.expect("build app");
    let address = format!("http://{}", server.local_addr().expect("address"));
    tokio::spawn(server.run_until(std::future::pending()));
    (address, db)
}

/// Serves `primary` (and `replica`, a connection and its URL) on a free port until `shutdown`
/// completes; returns `http://ADDRESS` and the server's task.
pub async fn start_server(
    primary: DatabaseConnection,
    primary_url: &str,
    replica: Option<(DatabaseConnection, &str)>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    start_server_with(primary, primary_url, replica, |_| {}, shutdown).await
}

/// `start_server` with settings changed by `configure`.
pub async fn start_server_with(
    primary: DatabaseConnection,
    primary_url: &str,
    replica: Option<(DatabaseConnection, &str)>,
    configure: impl FnOnce(&mut ServeConfig),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let databases = Databases::watch(primary, primary_url, replica).await.expect("watch the databases");
    let mut config = test_config();
    configure(&mut config);
    let app = Application::build(databases, &config).await.expect("build app");
    let address = format!("http://{}", app.local_addr().expect("address"));
    (address, tokio::spawn(app.run_until(shutdown)))
}

impl TestApp {
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.address)
    }

    /// `send` to this server.
    pub async fn send(&self, key: Option<&str>, body: Value) -> Reply {
        requests::send(&self.client, &self.address, key, &body).await
    }

    /// `post` to this server: asserts status 200, returns the body.
    pub async fn post(&self, query: &str, variables: Value) -> Value {
        requests::post(&self.client, &self.address, query, variables).await
    }

    /// `query` this server: asserts that the answer has no errors, returns `data`.
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        requests::query(&self.client, &self.address, query, variables).await
    }

    /// Posts a mutation that must be refused, and returns its payload's first user error: the answer
    /// has no top-level errors, the payload has user errors, and its results are null.
    pub async fn refusal(&self, mutation: &str, variables: Value) -> Value {
        let data = self.query(mutation, variables).await;
        let payloads: Vec<&Value> = data.as_object().map(|fields| fields.values().collect()).unwrap_or_default();
        let [payload] = payloads[..] else { panic!("one mutation expected: {data}") };
        let user_errors = payload["userErrors"].as_array().cloned().unwrap_or_default();
        assert!(!user_errors.is_empty(), "a refusal expected: {data}");
        for (name, value) in payload.as_object().into_iter().flatten() {
            let empty = value.is_null() || *value == false || *value == 0 || *value == json!([]);
            assert!(name == "userErrors" || empty, "a refused mutation has no results, but {name} is {value}");
        }
        user_errors[0].clone()
    }

    /// Posts a query that must fail, and returns its first error.
    pub async fn query_error(&self, query: &str, variables: Value) -> Value {
        let body = self.post(query, variables).await;
        body["errors"][0].clone()
    }
}

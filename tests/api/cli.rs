//! The binary itself: `schema`, `migrate`, `seed` against a real database.

use std::process::Command;

use crate::helpers::{TestDatabase, send};

pub(crate) fn run(args: &[&str], database_url: &str) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_customer-insights"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("CUSTOMER_INSIGHTS_LOG", "warn")
        .output()
        .expect("run the binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn schema_prints_the_committed_sdl() {
    let (ok, stdout, _) = run(&["schema"], "sqlite::memory:");
    assert!(ok);
    assert_eq!(stdout, customer_insights::graphql::sdl());
}

#[tokio::test]
async fn migrate_status_up_down_and_seed_work_on_a_real_database() {
    let database = TestDatabase::create().await;
    let url = database.url.as_str();
    let (ok, stdout, stderr) = run(&["migrate", "status"], url);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("Pending"), "{stdout}");

    let (ok, _, stderr) = run(&["migrate", "up"], url);
    assert!(ok, "{stderr}");
    let (_, stdout, _) = run(&["migrate", "status"], url);
    assert!(stdout.contains("Applied") && !stdout.contains("Pending"), "{stdout}");

    let (ok, stdout, stderr) = run(&["seed", "--customers", "15", "--seed", "3"], url);
    assert!(ok, "{stderr}");
    assert!(stdout.starts_with("seeded 15 customers"), "{stdout}");

    // Seeding twice would duplicate data: it is refused with a clear message and changes nothing.
    let (ok, _, stderr) = run(&["seed", "--customers", "15", "--seed", "3"], url);
    assert!(!ok);
    assert!(stderr.contains("not empty"), "{stderr}");

    let (ok, _, stderr) = run(&["migrate", "down"], url);
    assert!(ok, "{stderr}");
    let (_, stdout, _) = run(&["migrate", "status"], url);
    assert!(stdout.contains("Pending"), "{stdout}");
}

#[tokio::test]
async fn seeding_is_deterministic() {
    use entity::feedback;
    use sea_orm::{EntityTrait, QueryOrder};

    let mut snapshots = Vec::new();
    for _ in 0..2 {
        let database = TestDatabase::create().await;
        let (ok, _, stderr) = run(&["seed", "--customers", "20", "--seed", "11"], &database.url);
        assert!(ok, "{stderr}");
        let db = sea_orm::Database::connect(&database.url).await.unwrap();
        let rows = feedback::Entity::find().order_by_asc(feedback::Column::ExternalId).all(&db).await.unwrap();
        snapshots.push(
            rows.into_iter().map(|f| (f.external_id, f.metric, f.score, f.submitted_at, f.comment)).collect::<Vec<_>>(),
        );
        db.close().await.unwrap();
    }
    assert!(!snapshots[0].is_empty());
    assert_eq!(snapshots[0], snapshots[1]);
}

/// The README's run command: `serve --demo` seeds an empty database, serves it, and stops cleanly on SIGTERM.
#[tokio::test]
async fn serve_demo_seeds_serves_and_shuts_down_gracefully() {
    let database = TestDatabase::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_customer-insights"))
        .args(["serve", "--demo", "--demo-customers", "40", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &database.url)
        .env("CUSTOMER_INSIGHTS_LOG", "warn")
        .spawn()
        .expect("start the server");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/graphql");
    let mut answer = None;
    for _ in 0..300 {
        if let Ok(response) =
            client.post(&url).json(&serde_json::json!({ "query": "{ customers { totalCount } }" })).send().await
        {
            answer = Some(response.json::<serde_json::Value>().await.unwrap());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let terminated = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(terminated.success());
    let status = server.wait().expect("wait for the server");
    let data = answer.map(|answer| answer["data"].clone());
    assert_eq!(data, Some(serde_json::json!({ "customers": { "totalCount": 40 } })));
    assert!(status.success(), "graceful shutdown exits 0, got {status:?}");
}

/// A running `serve` process whose stderr (the log) is collected line by line.
struct Server {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Server {
    fn start(args: &[&str], envs: &[(&str, &str)]) -> Server {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_customer-insights"))
            .args(args)
            .envs(envs.iter().copied())
            .env_remove("CUSTOMER_INSIGHTS_CONFIG")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start the server");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        Server { child, lines, log: Vec::new() }
    }

    /// Waits (up to 60 s) for a log line containing `text`, keeping every line read.
    fn wait_for(&mut self, text: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            let Ok(line) = self.lines.recv_timeout(left) else { break };
            self.log.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
        panic!("no log line with {text:?}; the log so far:\n{}", self.log.join("\n"));
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let terminated = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().expect("kill");
        assert!(terminated.success());
        let status = self.child.wait().expect("wait for the server");
        // The reader thread may still hold the last lines: read until it ends at the log's end (the
        // channel then disconnects), not just what it has passed on so far.
        while let Ok(line) = self.lines.recv_timeout(std::time::Duration::from_secs(10)) {
            self.log.push(line);
        }
        status
    }
}

impl Drop for Server {
    /// A failed test must not leave a server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn json_lines(log: &[String]) -> Vec<serde_json::Value> {
    log.iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}")))
        .collect()
}

/// Settings come from flags, then environment variables, then the TOML file, then defaults; they are
/// logged at start (at debug level) with secrets masked. Logs are JSON lines, one per request, with no personal data.
#[tokio::test]
async fn configuration_precedence_json_logs_and_no_personal_data_in_them() {
    let database = TestDatabase::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("customer-insights.toml");
    std::fs::write(
        &config,
        // `listen` is overridden by the flag, `max-body-bytes` by the environment; the replica (down:
        // nothing listens on port 1) and the grace period come from the file.
        "listen = \"127.0.0.1:1\"\nmax-body-bytes = 4096\nshutdown_grace_seconds = 3\n\
         read-database-url = \"postgres://reader:hunter2@127.0.0.1:1/insights?sslmode=disable&password=hunter3\"\n",
    )
    .unwrap();
    let listen = format!("127.0.0.1:{port}");
    let config_arg = config.to_string_lossy().into_owned();
    // `serve` without `--demo` needs keys.
    let (ok, key, stderr) = run(&["keys", "create", "--role", "ADMIN", "--name", "ops-console"], &database.url);
    assert!(ok, "{stderr}");
    let key = key.trim().to_owned();
    let mut server = Server::start(
        &["serve", "--config", &config_arg, "--listen", &listen, "--log-format", "json"],
        &[
            ("DATABASE_URL", database.url.as_str()),
            ("CUSTOMER_INSIGHTS_LOG", "info,customer_insights::cli=debug"),
            ("CUSTOMER_INSIGHTS_MAX_BODY_BYTES", "2048"),
        ],
    );
    server.wait_for("serving GraphQL");
    let settings: std::collections::BTreeMap<String, (String, String)> = json_lines(&server.log)
        .into_iter()
        .filter(|line| line["message"] == "setting")
        .map(|line| {
            let field = |name: &str| line[name].as_str().unwrap_or_default().to_owned();
            (field("setting"), (field("value"), field("source")))
        })
        .collect();
    let setting = |name: &str| settings.get(name).cloned().unwrap_or_default();
    assert_eq!(setting("listen"), (listen.clone(), "flag".into()));
    assert_eq!(setting("max-body-bytes"), ("2048".into(), "environment".into()));
    assert_eq!(setting("shutdown-grace-seconds"), ("3".into(), "file".into()));
    assert_eq!(setting("max-connections"), ("10".into(), "default".into()));
    assert_eq!(
        setting("read-database-url").0,
        "postgres://reader:****@127.0.0.1:1/insights?sslmode=disable&password=****"
    );
    let log = server.log.join("\n");
    assert!(!log.contains("hunter2") && !log.contains("hunter3"), "passwords are never logged");

    // The replica is down: queries fall back to the primary.
    let client = reqwest::Client::new();
    let address = format!("http://{listen}");
    let mutation = "mutation Record($email: String!) { upsertCustomer(input: { externalId: \"C-9\", name: \"Grace Hopper\", email: $email, segment: \"consumer\", region: \"EMEA\", createdAt: \"2026-01-01T00:00:00Z\" }) { created } }";
    let body = serde_json::json!({ "query": mutation, "variables": { "email": "grace@example.com" } });
    let answer = send(&client, &address, None, &body).await.body;
    assert_eq!(answer["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    let answer = send(&client, &address, Some(&key), &body).await.body;
    assert_eq!(answer["data"], serde_json::json!({ "upsertCustomer": { "created": true } }), "{answer}");
    let query = serde_json::json!({ "query": "query Count { customers { totalCount } }" });
    let answer = send(&client, &address, Some(&key), &query).await.body;
    assert_eq!(answer["data"], serde_json::json!({ "customers": { "totalCount": 1 } }), "{answer}");
    let ready: serde_json::Value = client.get(format!("{address}/readyz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["checks"]["replica"]["status"], "down");

    let line = server.wait_for("\"operation\":\"Count\"");
    let line: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(line["message"], "graphql request");
    assert_eq!(
        (line["outcome"].as_str(), line["status"].as_u64(), line["cost"].as_u64()),
        (Some("ok"), Some(200), Some(21))
    );
    assert_eq!(line["request_id"].as_str().map(str::len), Some(16));
    assert_eq!(line["key"], "ops-console", "the key's name, never the key");
    assert!(line["duration_ms"].as_f64().is_some());

    assert!(server.terminate().success());
    let log = server.log.join("\n");
    assert!(log.contains("\"operation\":\"Record\""), "{log}");
    for personal in ["grace@example.com", "Grace Hopper", key.as_str()] {
        assert!(!log.contains(personal), "{personal} must not be logged:\n{log}");
    }
    assert!(log.contains("\"message\":\"stopped\""), "{log}");
}

#[tokio::test]
async fn a_bad_configuration_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nlisten_port = 8080\n").unwrap();
    let config_arg = config.to_string_lossy().into_owned();
    let (ok, _, stderr) = run(&["--config", &config_arg, "schema"], "sqlite::memory:");
    assert!(!ok);
    assert!(stderr.contains("bad.toml") && stderr.contains("unknown setting `listen_port`"), "{stderr}");
    std::fs::write(&config, "listen = [1, 2]\n").unwrap();
    let (ok, _, stderr) = run(&["--config", &config_arg, "schema"], "sqlite::memory:");
    assert!(!ok);
    assert!(stderr.contains("`listen` must be a string, a number or a boolean"), "{stderr}");
}

/// `serve` starts with a short banner: where to go, the database (no password), the mode and what it
/// means, how to make a key. The settings are not listed at the default log level.
#[tokio::test]
async fn serve_starts_with_a_short_banner() {
    let database = TestDatabase::create().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let listen = format!("127.0.0.1:{port}");
    // The default log level: migrations and seeding of the new database may say a line each.
    let mut server = Server::start(
        &["serve", "--demo", "--demo-customers", "5", "--listen", &listen, "--database-url", &database.url],
        &[("CUSTOMER_INSIGHTS_LOG_FORMAT", "text")],
    );
    let first = server.wait_for("serving GraphQL at");
    assert!(first.starts_with("customer-insights ") && first.ends_with(&format!("http://{listen}/graphql")), "{first}");
    server.wait_for("  settings ");
    let banner = server.log.iter().skip_while(|line| !line.contains("serving GraphQL at")).cloned().collect::<Vec<_>>();
    let field = |name: &str| {
        let line = banner.iter().find(|line| line.trim_start().starts_with(name)).unwrap_or_else(|| panic!("{name}"));
        line.trim_start()[name.len()..].trim().to_owned()
    };
    assert_eq!(field("GraphiQL"), format!("http://{listen}/"));
    let masked = customer_insights::cli::config::mask_url_password(&database.url);
    assert!(field("database").starts_with(&masked), "{banner:?}");
    assert!(field("mode").starts_with("demo: no API key needed"), "{banner:?}");
    let make_key = field("make a key");
    assert!(make_key.starts_with("customer-insights keys create --role ANALYST --name my-app --database-url "));
    // The command it shows works (on SQLite its URL is the real one; PostgreSQL's test URL has no password).
    let words: Vec<&str> = make_key.split_whitespace().skip(1).map(|word| word.trim_matches('\'')).collect();
    let (ok, key, stderr) = run(&words, "sqlite::memory:");
    assert!(ok, "{stderr}");
    assert!(key.trim().starts_with("cik_"), "{key}");
    let before_banner = server.log.len() - banner.len();
    assert!(before_banner <= 3, "a short start:\n{}", server.log.join("\n"));
    assert!(server.log.iter().all(|line| !line.contains("setting=")), "{:?}", server.log);
    assert!(server.terminate().success());
}

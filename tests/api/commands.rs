//! The shape of the command line: every command that opens a database takes `--database-url` and the
//! pool options after its name or its action's, `--help` shows examples that parse, and
//! `--print-config` prints settings the configuration file reads back.

use std::process::Command as Process;

use clap::{CommandFactory, Parser};
use customer_insights::cli::{Cli, Command, DatabaseArgs, config};

const URL: &str = "postgres://app:s3cret@db.example/insights";

fn parse(line: &str) -> Cli {
    let words = std::iter::once("customer-insights").chain(line.split_whitespace());
    Cli::try_parse_from(words).unwrap_or_else(|error| panic!("`{line}`: {error}"))
}

/// The database settings of a command that opens one.
fn database(cli: &Cli) -> &DatabaseArgs {
    match &cli.command {
        Command::Serve(args) => &args.database,
        Command::Migrate(args) => &args.database,
        Command::Seed(args) => &args.database,
        Command::Import(args) => &args.database,
        Command::Export(args) => &args.database,
        Command::Keys(args) => &args.database,
        Command::Rollups(args) => &args.database,
        Command::Clv(args) => &args.database,
        Command::Schema => panic!("`schema` opens no database"),
    }
}

#[test]
fn every_command_takes_the_database_after_its_name_or_its_action() {
    let options = format!("--database-url {URL} --max-connections 3 --acquire-timeout-ms 750 --sqlite-cache-mib 9");
    for command in [
        "serve",
        "seed --customers 5",
        "import ./data",
        "export ./backup",
        "migrate up",
        "migrate status",
        "keys create --role VIEWER --name x",
        "keys list",
        "keys revoke x",
        "rollups check",
        "rollups rebuild",
        "clv fit --calibration-end 2026-06-30T00:00:00Z",
    ] {
        let cli = parse(&format!("{command} {options}"));
        let database = database(&cli);
        assert_eq!(
            (database.database_url.as_str(), database.max_connections, database.acquire_timeout_ms),
            (URL, 3, 750),
            "{command}"
        );
        assert_eq!(database.sqlite_cache_mib, 9, "{command}");
    }
    // Before the action, as before.
    for (command, action) in [
        ("keys", "list"),
        ("rollups", "check"),
        ("migrate", "status"),
        ("clv", "fit --calibration-end 2026-06-30T00:00:00Z"),
    ] {
        let cli = parse(&format!("{command} --database-url {URL} --max-connections 4 {action}"));
        assert_eq!((database(&cli).database_url.as_str(), database(&cli).max_connections), (URL, 4), "{command}");
    }
    assert!(Cli::try_parse_from(["customer-insights", "schema", "--database-url", URL]).is_err(), "no database");
}

/// Each command's `--help` ends with examples, and every example parses.
#[test]
fn help_shows_an_example_per_command_and_the_examples_parse() {
    let mut top = Cli::command();
    let mut texts = vec![top.render_long_help().to_string()];
    for sub in top.get_subcommands_mut().filter(|sub| sub.get_name() != "help") {
        let help = sub.render_long_help().to_string();
        assert!(help.contains("Examples:"), "{}:\n{help}", sub.get_name());
        assert!(help.contains(&format!("customer-insights {} ", sub.get_name())), "{}", sub.get_name());
        texts.push(help);
    }
    let examples: Vec<&str> = texts
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| line.trim().strip_prefix("customer-insights "))
        .map(|example| example.split(" > ").next().unwrap_or(example))
        .collect();
    assert!(examples.len() >= 16, "{examples:?}");
    for example in examples {
        parse(example);
    }
}

fn print_config(args: &[&str]) -> String {
    let output = Process::new(env!("CARGO_BIN_EXE_customer-insights"))
        .args(args)
        .arg("--print-config")
        .env_remove("CUSTOMER_INSIGHTS_CONFIG")
        .env_remove("DATABASE_URL")
        .env("CUSTOMER_INSIGHTS_MAX_DEPTH", "12")
        .output()
        .expect("run the binary");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

fn without_sources(file: &str) -> Vec<&str> {
    file.lines().filter(|line| !line.starts_with('#')).map(|line| line.split("  # ").next().unwrap_or(line)).collect()
}

#[test]
fn print_config_prints_a_configuration_file_that_reads_back_the_same() {
    let printed = print_config(&[
        "serve",
        "--database-url",
        URL,
        "--allowed-origins",
        "https://a.example,https://b.example",
        "--listen",
        "0.0.0.0:9000",
        "--introspection",
        "false",
    ]);
    let table: toml::Table = printed.parse().unwrap_or_else(|e| panic!("{e}\n{printed}"));
    assert_eq!(table["database-url"].as_str(), Some("postgres://app:****@db.example/insights"), "{printed}");
    assert!(!printed.contains("s3cret"));
    assert_eq!(
        table["allowed-origins"],
        toml::Value::Array(vec!["https://a.example".into(), "https://b.example".into()])
    );
    assert_eq!(table["listen"].as_str(), Some("0.0.0.0:9000"));
    assert_eq!(table["introspection"].as_bool(), Some(false));
    assert_eq!(table["max-depth"].as_integer(), Some(12));
    assert_eq!(table["max-connections"].as_integer(), Some(10));
    assert!(printed.contains("listen = \"0.0.0.0:9000\"  # flag\n"), "{printed}");
    assert!(printed.contains("max-depth = 12  # environment\n"), "{printed}");
    assert!(printed.contains("# read-database-url: not set\n"), "{printed}");
    assert!(!table.contains_key("config") && !table.contains_key("print-config"));

    // Read back by the loader: the same settings, now from the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("printed.toml");
    std::fs::write(&path, &printed).unwrap();
    let path = path.to_string_lossy().into_owned();
    let loaded = config::load(["customer-insights", "--config", &path, "serve"].map(Into::into).to_vec()).unwrap();
    let Command::Serve(args) = &loaded.cli.command else { panic!("serve") };
    assert_eq!(args.allowed_origins, ["https://a.example", "https://b.example"]);
    assert_eq!((args.listen.as_str(), args.limits.introspection, args.limits.max_depth), ("0.0.0.0:9000", false, 12));
    assert_eq!(args.database.database_url, "postgres://app:****@db.example/insights");
    let reprinted = print_config(&["serve", "--config", &path]);
    assert_eq!(without_sources(&reprinted), without_sources(&printed));
    assert!(reprinted.contains("listen = \"0.0.0.0:9000\"  # file\n"), "{reprinted}");
}

#[test]
fn print_config_shows_the_settings_of_the_command_run() {
    let printed = print_config(&["keys", "--database-url", URL, "list"]);
    let table: toml::Table = printed.parse().unwrap();
    assert!(table.contains_key("database-url") && table.contains_key("log"), "{printed}");
    assert!(!table.contains_key("listen"), "not a setting of `keys`: {printed}");
}

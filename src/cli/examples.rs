//! The examples `--help` shows under each command. Every line that starts with `customer-insights` is
//! parsed by a test, so none of them goes stale.

pub const TOP: &str = "\
Start here:
  customer-insights serve --demo
  (then open http://127.0.0.1:8080/ for GraphiQL)

Every command that opens a database takes --database-url and the pool options after its name
(or its action's name), or from DATABASE_URL and the configuration file.";

pub const SERVE: &str = "\
Examples:
  customer-insights serve --demo
  customer-insights serve --listen 0.0.0.0:8080 --database-url postgres://app:PASSWORD@db/insights --allowed-origins https://app.example.com
  customer-insights serve --config customer-insights.toml
  customer-insights serve --database-url postgres://app:PASSWORD@db/insights --print-config";

pub const MIGRATE: &str = "\
Examples:
  customer-insights migrate status --database-url postgres://app:PASSWORD@db/insights
  customer-insights migrate up --database-url sqlite://customer-insights.db
  customer-insights migrate down --steps 1";

pub const SEED: &str = "\
Examples:
  customer-insights seed --customers 5000 --database-url sqlite://demo.db
  customer-insights seed --customers 2000 --seed 7 --pulse-surveys-per-year 4";

pub const IMPORT: &str = "\
Examples:
  customer-insights import ./data --dry-run --database-url postgres://app:PASSWORD@db/insights
  customer-insights import ./data
  customer-insights import records.ndjson --database-url sqlite://customer-insights.db";

pub const EXPORT: &str = "\
Examples:
  customer-insights export ./backup --database-url postgres://app:PASSWORD@db/insights";

pub const SCHEMA: &str = "\
Examples:
  customer-insights schema > schema.graphql";

pub const KEYS: &str = "\
Examples:
  customer-insights keys create --role ANALYST --name dashboard --database-url postgres://app:PASSWORD@db/insights
  customer-insights keys list
  customer-insights keys revoke dashboard";

pub const ROLLUPS: &str = "\
Examples:
  customer-insights rollups check --database-url postgres://app:PASSWORD@db/insights
  customer-insights rollups rebuild";

pub const CLV: &str = "\
Examples:
  customer-insights clv fit --calibration-end 2026-06-30T00:00:00Z --currency USD --database-url postgres://app:PASSWORD@db/insights
  customer-insights clv fit --calibration-end 1997-09-30T00:00:00Z --time-unit DAY";

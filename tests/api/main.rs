//! Integration tests: each test starts the real application on port 0 against its own freshly migrated
//! database and talks to it over HTTP. SQLite by default; PostgreSQL when `TEST_DATABASE_URL` is set.

mod access;
mod cache;
mod cli;
mod clv;
mod commands;
mod complaint_writes;
mod complaints;
mod compression;
mod concurrency;
mod connections;
mod cors;
mod docs;
mod filters;
mod fixtures;
mod graphiql;
mod guards;
mod helpers;
mod hostile;
mod http;
mod import_files;
mod limits;
mod lookups;
mod loyalty;
mod migrations;
mod mutations;
mod nested;
mod operations;
mod outage;
mod replica;
mod rollups;
mod satisfaction;
mod schema;
mod subscriptions;
mod transfer;
mod validation;

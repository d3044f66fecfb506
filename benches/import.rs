//! Import speed into SQLite: seeds a data set, exports it to CSV, then times `import` into an empty
//! database. Prints rows per second. Run with `cargo bench --bench import` (`IMPORT_BENCH_CUSTOMERS`
//! sets the size, default 20000 customers, about 250000 rows).

use std::time::Instant;

use customer_insights::db::{DatabaseOptions, connect, migrate_up};
use customer_insights::seed::{SeedOptions, seed};
use customer_insights::transfer::export::export;
use customer_insights::transfer::import::{ImportOptions, Progress, import};

struct Silent;

impl Progress for Silent {
    fn start(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

#[tokio::main]
async fn main() {
    let customers: u32 = std::env::var("IMPORT_BENCH_CUSTOMERS").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let work = tempfile::tempdir().expect("temp dir");
    let database = |name: &str| DatabaseOptions::new(format!("sqlite://{}", work.path().join(name).display()));

    let (source, _) = connect(&database("source.db")).await.expect("source database");
    migrate_up(&source).await.expect("migrate");
    let started = Instant::now();
    let seeded = seed(&source, &SeedOptions { customers, seed: 1, ..Default::default() }).await.expect("seed");
    let seed_seconds = started.elapsed().as_secs_f64();
    let csv = work.path().join("csv");
    export(&source, &csv).await.expect("export");

    let (target, _) = connect(&database("target.db")).await.expect("target database");
    migrate_up(&target).await.expect("migrate");
    let started = Instant::now();
    let report = import(&target, &csv, ImportOptions::default(), &Silent).await.expect("import");
    let seconds = started.elapsed().as_secs_f64();
    let rows = report.total();
    println!("| what | rows | seconds | rows/s |");
    println!("|---|---|---|---|");
    let seed_rows = seeded.customers + seeded.orders + seeded.touchpoints + seeded.feedback;
    println!(
        "| seed ({customers} customers) | {seed_rows} | {seed_seconds:.2} | {:.0} |",
        seed_rows as f64 / seed_seconds
    );
    println!("| import CSV into SQLite (validate + write) | {rows} | {seconds:.2} | {:.0} |", rows as f64 / seconds);
}

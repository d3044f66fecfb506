//! `seed`, `import` and `export`: data in and out of the database.

use super::{CliError, ExportArgs, ImportArgs, SeedArgs, open};
use crate::db::migrate_up;
use crate::seed::SeedOptions;
use crate::transfer::import::{ImportError, ImportOptions, Progress};

pub(super) async fn seed(args: SeedArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    migrate_up(&db).await?;
    let options =
        SeedOptions { customers: args.customers, seed: args.seed, pulse_surveys_per_year: args.pulse_surveys_per_year };
    let report = crate::seed::seed(&db, &options).await?;
    println!(
        "seeded {} customers, {} orders, {} touchpoints, {} feedback, {} complaints",
        report.customers, report.orders, report.touchpoints, report.feedback, report.complaints
    );
    Ok(())
}

pub(super) async fn export(args: ExportArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    migrate_up(&db).await?;
    for (table, rows) in crate::transfer::export::export(&db, &args.dir).await? {
        println!("{}: {rows} rows", table.file_name());
    }
    Ok(())
}

pub(super) async fn import(args: ImportArgs) -> Result<(), CliError> {
    let db = open(&args.database).await?;
    migrate_up(&db).await?;
    let started = std::time::Instant::now();
    let options = ImportOptions { dry_run: args.dry_run, skip_unknown_files: args.skip_unknown_files };
    let result = crate::transfer::import::import(&db, &args.path, options, &TerminalProgress::new()).await;
    match result {
        Ok(report) => {
            let seconds = started.elapsed().as_secs_f64();
            let verb = if report.dry_run { "validated (dry run, nothing written)" } else { "imported" };
            println!(
                "{verb}: {} customers, {} orders, {} touchpoints, {} feedback, {} complaints ({} rows in {seconds:.2} s, \
                 {:.0} rows/s)",
                report.customers,
                report.orders,
                report.touchpoints,
                report.feedback,
                report.complaints,
                report.total(),
                report.total() as f64 / seconds.max(1e-9)
            );
            if !report.skipped_files.is_empty() {
                println!("skipped (not import files): {}", report.skipped_files.join(", "));
            }
            if !report.ignored_files.is_empty() {
                println!("ignored (not CSV files): {}", report.ignored_files.join(", "));
            }
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

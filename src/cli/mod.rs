//! The command line: `serve`, `migrate`, `seed`, `import`, `export`, `schema`, `keys`, `rollups` and `clv`:
//! its flags (`args`), their values from flags, environment and file (`config`), and what each command does (`serve`, `data` for seed, import and export, `admin` for
//! migrations, keys and rollups, `clv` for the predictive CLV models).

mod admin;
mod args;
mod banner;
mod clv;
pub mod config;
mod data;
mod examples;
mod print_config;
mod serve;

use sea_orm::{DatabaseConnection, DbErr};

use self::config::LoadedCli;
use crate::db::{DatabaseOptions, connect};
use crate::error::AppError;
use crate::transfer::import::ImportError;

pub use args::{
    Cli, ClvAction, ClvArgs, ClvTimeUnit, Command, DatabaseArgs, ExportArgs, ImportArgs, KeysAction, KeysArgs,
    LimitArgs, LogFormat, MigrateAction, MigrateArgs, RollupsAction, RollupsArgs, SeedArgs, ServeArgs,
};

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
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Setup(String),
}

pub async fn run(loaded: LoadedCli) -> Result<(), CliError> {
    if let Some(path) = &loaded.config_file {
        tracing::info!(file = %path.display(), "configuration file read");
    }
    if loaded.cli.print_config {
        print!("{}", print_config::settings_file(&loaded));
        return Ok(());
    }
    // Logged (secrets masked) so an operator can see what the server really runs with, and why.
    for setting in loaded.effective_settings() {
        tracing::debug!(setting = %setting.name, value = %setting.value, source = setting.source.as_str(), "setting");
    }
    let log_format = loaded.cli.log_format;
    match loaded.cli.command {
        Command::Serve(args) => serve::serve(*args, log_format).await,
        Command::Migrate(args) => admin::migrate(args).await,
        Command::Seed(args) => data::seed(args).await,
        Command::Import(args) => data::import(args).await,
        Command::Export(args) => data::export(args).await,
        Command::Keys(args) => admin::keys(args).await,
        Command::Rollups(args) => admin::rollups(args).await,
        Command::Clv(args) => clv::run(args).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
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

//! `migrate`, `keys` and `rollups`: looking after the schema, the API keys and the satisfaction rollups.

use migration::{Migrator, MigratorTrait};

use super::{CliError, KeysAction, KeysArgs, MigrateAction, MigrateArgs, RollupsAction, RollupsArgs, open};
use crate::db::migrate_up;

pub(super) async fn keys(args: KeysArgs) -> Result<(), CliError> {
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

pub(super) async fn rollups(args: RollupsArgs) -> Result<(), CliError> {
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

pub(super) async fn migrate(args: MigrateArgs) -> Result<(), CliError> {
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

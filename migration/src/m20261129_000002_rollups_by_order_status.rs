//! The satisfaction rollups gain the status of the answered touchpoint's order as a key column ('' for
//! touchpoints without an order and for relationship surveys), so a satisfaction query filtered by
//! order status reads the rollups too. The tables are recreated and filled from the rows; `down` folds
//! the status back out.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

use crate::rollup_sql::{self, ANSWER_ROLLUPS, SURVEY_ROLLUPS};

#[derive(DeriveMigrationName)]
pub struct Migration;

const ANSWER_KEY: &str = "grain, metric, slice, touchpoint_kind, channel, segment, region";
const SURVEY_KEY: &str = "grain, slice, touchpoint_kind, channel, segment, region";

fn answer_table(name: &str, with_status: bool) -> String {
    let (status, key) = if with_status {
        ("order_status VARCHAR(16) NOT NULL, ", format!("{ANSWER_KEY}, order_status, score"))
    } else {
        ("", format!("{ANSWER_KEY}, score"))
    };
    format!(
        "CREATE TABLE {name} (grain VARCHAR(1) NOT NULL, slice BIGINT NOT NULL, metric VARCHAR(8) NOT NULL, \
         touchpoint_kind VARCHAR(24) NOT NULL, channel VARCHAR(16) NOT NULL, segment VARCHAR(64) NOT NULL, \
         region VARCHAR(64) NOT NULL, {status}score INTEGER NOT NULL, answers BIGINT NOT NULL, \
         commented BIGINT NOT NULL, PRIMARY KEY ({key}))"
    )
}

fn survey_table(name: &str, with_status: bool) -> String {
    let (status, key) = if with_status {
        ("order_status VARCHAR(16) NOT NULL, ", format!("{SURVEY_KEY}, order_status"))
    } else {
        ("", SURVEY_KEY.to_owned())
    };
    format!(
        "CREATE TABLE {name} (grain VARCHAR(1) NOT NULL, slice BIGINT NOT NULL, touchpoint_kind VARCHAR(24) NOT NULL, \
         channel VARCHAR(16) NOT NULL, segment VARCHAR(64) NOT NULL, region VARCHAR(64) NOT NULL, {status}\
         surveyed BIGINT NOT NULL, answered_nps BIGINT NOT NULL, answered_csat BIGINT NOT NULL, \
         answered_ces BIGINT NOT NULL, PRIMARY KEY ({key}))"
    )
}

async fn run(manager: &SchemaManager<'_>, statements: Vec<String>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let backend = manager.get_database_backend();
    for sql in statements {
        db.execute_raw(Statement::from_string(backend, sql)).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// Dropping, recreating and refilling the tables happens all at once or not at all, on SQLite too
    /// (whose migrations otherwise run statement by statement, each on any pooled connection).
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut statements = vec![
            format!("DROP TABLE {ANSWER_ROLLUPS}"),
            format!("DROP TABLE {SURVEY_ROLLUPS}"),
            answer_table(ANSWER_ROLLUPS, true),
            survey_table(SURVEY_ROLLUPS, true),
        ];
        statements.extend(rollup_sql::rebuild(manager.get_database_backend()));
        run(manager, statements).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(
            manager,
            vec![
                answer_table("answer_rollups_without_status", false),
                survey_table("survey_rollups_without_status", false),
                format!(
                    "INSERT INTO answer_rollups_without_status ({ANSWER_KEY}, score, answers, commented) \
                     SELECT {ANSWER_KEY}, score, SUM(answers), SUM(commented) FROM {ANSWER_ROLLUPS} \
                     GROUP BY {ANSWER_KEY}, score"
                ),
                format!(
                    "INSERT INTO survey_rollups_without_status ({SURVEY_KEY}, surveyed, answered_nps, answered_csat, \
                     answered_ces) SELECT {SURVEY_KEY}, SUM(surveyed), SUM(answered_nps), SUM(answered_csat), \
                     SUM(answered_ces) FROM {SURVEY_ROLLUPS} GROUP BY {SURVEY_KEY}"
                ),
                format!("DROP TABLE {ANSWER_ROLLUPS}"),
                format!("DROP TABLE {SURVEY_ROLLUPS}"),
                format!("ALTER TABLE answer_rollups_without_status RENAME TO {ANSWER_ROLLUPS}"),
                format!("ALTER TABLE survey_rollups_without_status RENAME TO {SURVEY_ROLLUPS}"),
            ],
        )
        .await
    }
}

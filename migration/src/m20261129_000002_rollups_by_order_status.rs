//! The satisfaction rollups gain the status of the answered touchpoint's order as a key column ('' for
//! touchpoints without an order and for relationship surveys), so a satisfaction query filtered by
//! order status reads the rollups too. The tables are recreated and filled from the rows; `down` folds
//! the status back out.
//!
//! The statements that fill the tables are this migration's own, as it ran them: the server keeps the
//! rollups with statements of its own, which may change after this migration was applied.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

const ANSWER_ROLLUPS: &str = "satisfaction_answer_rollups";
const SURVEY_ROLLUPS: &str = "satisfaction_survey_rollups";

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

/// The first day (as a day number since 1970-01-01) of the grain's slice (`D`ay, `M`onth, `Y`ear, in
/// UTC) holding `column`, a timestamp. SQLite keeps timestamps as RFC 3339 text, which its date
/// functions read (offset included).
fn slice_of(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!(
            "CAST(EXTRACT(EPOCH FROM date_trunc(CASE g.grain WHEN 'D' THEN 'day' WHEN 'M' THEN 'month' \
             ELSE 'year' END, {column} AT TIME ZONE 'UTC')) / 86400 AS BIGINT)"
        ),
        _ => format!(
            "(unixepoch(CASE g.grain WHEN 'D' THEN date({column}) WHEN 'M' THEN date({column}, 'start of month') \
             ELSE date({column}, 'start of year') END) / 86400)"
        ),
    }
}

const GRAIN_TABLE: &str = "(SELECT 'D' AS grain UNION ALL SELECT 'M' UNION ALL SELECT 'Y') g";

/// Empties both tables and fills them from every row: answers per grain, slice, metric, touchpoint
/// kind and channel, segment, region, order status and score; surveyed touchpoints per grain, slice,
/// kind, channel, segment, region and order status, with how many got an answer of each metric.
fn fill(backend: DbBackend) -> Vec<String> {
    let answers = format!(
        "INSERT INTO {ANSWER_ROLLUPS} (grain, slice, metric, touchpoint_kind, channel, segment, region, \
         order_status, score, answers, commented) \
         SELECT g.grain, {}, f.metric, COALESCE(t.kind, ''), COALESCE(t.channel, ''), c.segment, c.region, \
         COALESCE(o.status, ''), f.score, COUNT(*), \
         SUM(CASE WHEN f.comment IS NOT NULL AND f.comment <> '' THEN 1 ELSE 0 END) \
         FROM feedback f JOIN customers c ON c.id = f.customer_id \
         LEFT JOIN touchpoints t ON t.id = f.touchpoint_id LEFT JOIN orders o ON o.id = t.order_id \
         CROSS JOIN {GRAIN_TABLE} \
         WHERE 1 = 1 \
         GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9 \
         ON CONFLICT (grain, metric, slice, touchpoint_kind, channel, segment, region, order_status, score) \
         DO UPDATE SET \
         answers = {ANSWER_ROLLUPS}.answers + excluded.answers, \
         commented = {ANSWER_ROLLUPS}.commented + excluded.commented",
        slice_of(backend, "f.submitted_at")
    );
    let answered = |metric: &str| {
        format!(
            "SUM(CASE WHEN EXISTS (SELECT 1 FROM feedback fa WHERE fa.touchpoint_id = t.id \
             AND COALESCE(fa.metric, '') = '{metric}') THEN 1 ELSE 0 END)"
        )
    };
    let surveys = format!(
        "INSERT INTO {SURVEY_ROLLUPS} (grain, slice, touchpoint_kind, channel, segment, region, order_status, \
         surveyed, answered_nps, answered_csat, answered_ces) \
         SELECT g.grain, {}, t.kind, t.channel, c.segment, c.region, COALESCE(o.status, ''), COUNT(*), \
         {}, {}, {} \
         FROM touchpoints t JOIN customers c ON c.id = t.customer_id LEFT JOIN orders o ON o.id = t.order_id \
         CROSS JOIN {GRAIN_TABLE} \
         WHERE t.survey_sent_at IS NOT NULL AND 1 = 1 \
         GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7 \
         ON CONFLICT (grain, slice, touchpoint_kind, channel, segment, region, order_status) DO UPDATE SET \
         surveyed = {SURVEY_ROLLUPS}.surveyed + excluded.surveyed, \
         answered_nps = {SURVEY_ROLLUPS}.answered_nps + excluded.answered_nps, \
         answered_csat = {SURVEY_ROLLUPS}.answered_csat + excluded.answered_csat, \
         answered_ces = {SURVEY_ROLLUPS}.answered_ces + excluded.answered_ces",
        slice_of(backend, "t.survey_sent_at"),
        answered("NPS"),
        answered("CSAT"),
        answered("CES"),
    );
    vec![format!("DELETE FROM {ANSWER_ROLLUPS}"), format!("DELETE FROM {SURVEY_ROLLUPS}"), answers, surveys]
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
        statements.extend(fill(manager.get_database_backend()));
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

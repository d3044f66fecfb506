//! The migrations: up, down and up again, and the constraints they put into the database.

use chrono::Utc;
use entity::{SurveyMetric, customer, feedback};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Set};

use crate::helpers::{assert_rollups_exact, spawn_app};

fn new_customer(external_id: &str) -> customer::ActiveModel {
    customer::ActiveModel {
        external_id: Set(external_id.to_owned()),
        name: Set("Ada".into()),
        email: Set(format!("{external_id}@example.com")),
        segment: Set("consumer".into()),
        region: Set("EMEA".into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
}

fn answer(external_id: &str, customer_id: i64, metric: SurveyMetric, score: i32) -> feedback::ActiveModel {
    feedback::ActiveModel {
        external_id: Set(external_id.to_owned()),
        customer_id: Set(customer_id),
        touchpoint_id: Set(None),
        metric: Set(metric),
        score: Set(score),
        comment: Set(None),
        submitted_at: Set(Utc::now()),
        ..Default::default()
    }
}

#[tokio::test]
async fn migrations_go_down_and_up_again() {
    let app = spawn_app().await;
    let applied = Migrator::get_applied_migrations(&app.db).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len());
    Migrator::down(&app.db, None).await.unwrap();
    assert!(Migrator::get_applied_migrations(&app.db).await.unwrap().is_empty());
    assert!(app.db.execute_unprepared("SELECT 1 FROM customers").await.is_err(), "tables are gone after down");
    Migrator::up(&app.db, None).await.unwrap();
    assert_eq!(customer::Entity::find().count(&app.db).await.unwrap(), 0);
}

#[tokio::test]
async fn the_database_itself_rejects_scores_outside_the_scale_and_duplicate_external_ids() {
    let app = spawn_app().await;
    let customer = new_customer("C-1").insert(&app.db).await.unwrap();
    for (metric, min, max) in [(SurveyMetric::Nps, 0, 10), (SurveyMetric::Csat, 1, 5), (SurveyMetric::Ces, 1, 7)] {
        answer(&format!("{metric:?}-min"), customer.id, metric, min).insert(&app.db).await.unwrap();
        answer(&format!("{metric:?}-max"), customer.id, metric, max).insert(&app.db).await.unwrap();
        assert!(answer(&format!("{metric:?}-low"), customer.id, metric, min - 1).insert(&app.db).await.is_err());
        assert!(answer(&format!("{metric:?}-high"), customer.id, metric, max + 1).insert(&app.db).await.is_err());
    }
    assert!(new_customer("C-1").insert(&app.db).await.is_err(), "external ids are unique");
    assert!(
        answer("F-orphan", customer.id + 1000, SurveyMetric::Nps, 5).insert(&app.db).await.is_err(),
        "foreign keys hold"
    );
    assert_eq!(feedback::Entity::find().count(&app.db).await.unwrap(), 6);
}

/// The migration that keys the rollups by order status fills them from the rows already stored, and
/// reverting it folds the status out again: both ways the rollups equal the rows.
#[tokio::test]
async fn the_order_status_rollups_are_filled_from_stored_rows_and_folded_back() {
    let app = crate::helpers::spawn_seeded_app(20).await;
    // Revert the migrations applied after it too, newest first.
    let migrations = Migrator::migrations();
    let position = migrations.iter().position(|m| m.name() == "m20261129_000002_rollups_by_order_status");
    let steps = migrations.len() - position.expect("the order-status migration");
    Migrator::down(&app.db, Some(steps as u32)).await.expect("fold the order status out");
    let folded: i64 = app
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            app.db.get_database_backend(),
            "SELECT CAST(SUM(answers) AS BIGINT) AS n FROM satisfaction_answer_rollups",
        ))
        .await
        .expect("sum")
        .expect("row")
        .try_get("", "n")
        .expect("n");
    // Counted by id: the rows have no columns of the migrations reverted here.
    let answers = feedback::Entity::find().select_only().column(feedback::Column::Id).count(&app.db).await;
    assert_eq!(folded as u64, answers.expect("count") * 3, "Y, M and D");
    Migrator::up(&app.db, None).await.expect("key the rollups by order status again");
    assert_rollups_exact(&app.db, "the order-status migration").await;
}

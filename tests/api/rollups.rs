//! The satisfaction rollups are exact: after random writes through every write path (upserts, deletes,
//! erasure, import) they equal a fresh computation from the rows, and random satisfaction queries
//! (metrics, filters, groupings, periods, series in several time zones) answer the same from the
//! rollups as from the rows. Runs on SQLite and, in the PostgreSQL pass, on PostgreSQL.
//!
//! The random choices come from a seed printed on failure; set `TEST_SEED` to replay one.

use chrono::Duration;
use customer_insights::domain::buckets::{Granularity, buckets};
use customer_insights::rollups::{CountSource, maintenance};
use customer_insights::services::filters::TimeRange;
use customer_insights::services::satisfaction::{
    Dimension, SatisfactionFilter, SatisfactionQuery, satisfaction_counts,
};
use customer_insights::services::writes::{
    FeedbackWrite, OrderWrite, TouchpointWrite, delete_feedback, delete_touchpoint, erase_customer, set_order_status,
    upsert_customer, upsert_feedback, upsert_order, upsert_touchpoint,
};
use customer_insights::transfer::import::{ImportOptions, import};
use entity::{SurveyMetric, customer, feedback, order, touchpoint};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};
use serde_json::json;

use crate::helpers::{
    CHANNELS, KINDS, METRICS, Pick, REGIONS, SEGMENTS, STATUSES, Silent, assert_rollups_exact, spawn_app,
    spawn_seeded_app, test_seed,
};

async fn all<E: EntityTrait>(db: &DatabaseConnection, order: E::Column) -> Vec<E::Model> {
    E::find().order_by_asc(order).all(db).await.expect("rows")
}

/// One random write through the same functions the mutations call.
async fn random_write(db: &DatabaseConnection, pick: &mut Pick, n: usize) {
    let customers = all::<customer::Entity>(db, customer::Column::Id).await;
    let touchpoints = all::<touchpoint::Entity>(db, touchpoint::Column::Id).await;
    let answers = all::<feedback::Entity>(db, feedback::Column::Id).await;
    let orders = all::<order::Entity>(db, order::Column::Id).await;
    let customer_external = |id: i64| customers.iter().find(|c| c.id == id).expect("owner").external_id.clone();
    match pick.below(9) {
        0 | 1 => {
            // A new answer, or a changed one (score, metric, comment, time, touchpoint).
            let touchpoint = pick.chance(80).then(|| pick.one(&touchpoints).clone());
            let customer_id = touchpoint.as_ref().map_or_else(|| pick.one(&customers).id, |t| t.customer_id);
            let external_id =
                if pick.chance(50) { pick.one(&answers).external_id.clone() } else { format!("F-new-{n}") };
            let metric = *pick.one(&METRICS);
            let _ = upsert_feedback(
                db,
                FeedbackWrite {
                    external_id,
                    customer_external_id: customer_external(customer_id),
                    touchpoint_external_id: touchpoint.map(|t| t.external_id),
                    metric,
                    score: pick.score(metric),
                    comment: pick.chance(50).then(|| "a comment".to_owned()),
                    submitted_at: pick.instant(),
                },
            )
            .await;
        }
        2 => {
            delete_feedback(db, &pick.one(&answers).external_id).await.expect("delete feedback");
        }
        3 => {
            let c = pick.one(&customers).clone();
            upsert_customer(db, pick.moved_customer(c)).await.expect("upsert customer");
        }
        4 => {
            let t = pick.one(&touchpoints).clone();
            let order = match t.order_id {
                Some(id) => entity::order::Entity::find_by_id(id).one(db).await.expect("order").map(|o| o.external_id),
                None => None,
            };
            upsert_touchpoint(
                db,
                TouchpointWrite {
                    external_id: t.external_id,
                    customer_external_id: customer_external(t.customer_id),
                    order_external_id: order,
                    kind: *pick.one(&KINDS),
                    channel: *pick.one(&CHANNELS),
                    occurred_at: t.occurred_at,
                    survey_sent_at: if pick.chance(70) { Some(pick.instant()) } else { None },
                },
            )
            .await
            .expect("upsert touchpoint");
        }
        5 => {
            delete_touchpoint(db, &pick.one(&touchpoints).external_id, true).await.expect("delete touchpoint");
        }
        6 => {
            // An order's status labels the answers about it.
            let o = pick.one(&orders);
            set_order_status(db, &o.external_id, *pick.one(&STATUSES)).await.expect("set order status");
        }
        7 => {
            let o = pick.one(&orders).clone();
            upsert_order(
                db,
                OrderWrite {
                    external_id: o.external_id,
                    customer_external_id: customer_external(o.customer_id),
                    placed_at: o.placed_at,
                    status: *pick.one(&STATUSES),
                    total_amount_minor: o.total_amount_minor,
                    currency: o.currency,
                },
            )
            .await
            .expect("upsert order");
        }
        _ => {
            erase_customer(db, &pick.one(&customers).external_id).await.expect("erase");
        }
    }
}

/// An import that moves surveyed touchpoints to other customers (those without answers: one with answers
/// keeps its customer), relabels them, changes segments and regions, and adds answers, in one
/// transaction.
async fn random_import(db: &DatabaseConnection, pick: &mut Pick) {
    let customers = all::<customer::Entity>(db, customer::Column::Id).await;
    let touchpoints = all::<touchpoint::Entity>(db, touchpoint::Column::Id).await;
    let answers = all::<feedback::Entity>(db, feedback::Column::Id).await;
    let mut lines = Vec::new();
    for c in &customers {
        // Erased customers have no e-mail address left to import.
        if !pick.chance(20) || c.email == "[erased]" {
            continue;
        }
        lines.push(json!({ "type": "customer", "external_id": c.external_id, "name": c.name, "email": c.email,
            "segment": pick.one(&SEGMENTS), "region": pick.one(&REGIONS), "created_at": c.created_at.to_rfc3339() }));
    }
    let orders = all::<order::Entity>(db, order::Column::Id).await;
    for o in &orders {
        if !pick.chance(15) {
            continue;
        }
        let owner = customers.iter().find(|c| c.id == o.customer_id).expect("owner");
        let status = *pick.one(&["PLACED", "FULFILLED", "DELIVERED", "CANCELLED", "RETURNED"]);
        let digits = customer_insights::domain::currency::Currency::find(&o.currency).expect("currency").minor_digits;
        let scale = 10_i64.pow(digits);
        let amount = match digits {
            0 => o.total_amount_minor.to_string(),
            _ => format!(
                "{}.{:0width$}",
                o.total_amount_minor / scale,
                o.total_amount_minor % scale,
                width = digits as usize
            ),
        };
        lines.push(json!({ "type": "order", "external_id": o.external_id, "customer_external_id": owner.external_id,
            "placed_at": o.placed_at.to_rfc3339(), "status": status, "total_amount": amount, "currency": o.currency }));
    }
    for (i, t) in touchpoints.iter().filter(|t| t.survey_sent_at.is_some()).take(8).enumerate() {
        let answered = answers.iter().any(|a| a.touchpoint_id == Some(t.id));
        let to = match customers.iter().find(|c| c.id == t.customer_id) {
            Some(owner) if answered => owner,
            _ => pick.one(&customers),
        };
        lines.push(json!({ "type": "touchpoint", "external_id": t.external_id, "customer_external_id": to.external_id,
            "order_external_id": null, "kind": pick.one(&["SUPPORT", "DELIVERY", "FOLLOW_UP"]),
            "channel": "CHAT", "occurred_at": t.occurred_at.to_rfc3339(),
            "survey_sent_at": (t.occurred_at + Duration::hours(pick.below(2000) as i64)).to_rfc3339() }));
        lines.push(json!({ "type": "feedback", "external_id": format!("F-import-{i}"),
            "customer_external_id": to.external_id, "touchpoint_external_id": t.external_id,
            "metric": "NPS", "score": pick.below(11), "comment": "imported",
            "submitted_at": pick.instant().to_rfc3339() }));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("changes.ndjson");
    std::fs::write(&path, lines.iter().map(|l| format!("{l}\n")).collect::<String>()).expect("write");
    import(db, &path, ImportOptions::default(), &Silent).await.expect("import");
}

fn random_query(pick: &mut Pick) -> SatisfactionQuery {
    let segments: Vec<String> = SEGMENTS.iter().map(|s| s.to_string()).collect();
    let regions: Vec<String> = REGIONS.iter().map(|s| s.to_string()).collect();
    let (a, b) = (pick.instant(), pick.instant());
    let period = match pick.below(4) {
        0 => TimeRange::default(),
        1 => TimeRange { from: Some(a.min(b)), to: None },
        2 => TimeRange { from: None, to: Some(a.max(b)) },
        _ => TimeRange { from: Some(a.min(b)), to: Some(a.max(b)) },
    };
    let filter = SatisfactionFilter {
        period,
        touchpoint_kinds: pick.subset(&KINDS),
        channels: pick.subset(&CHANNELS),
        segments: pick.subset(&segments),
        regions: pick.subset(&regions),
        order_statuses: pick.subset(&STATUSES),
    };
    let group_by: Vec<Dimension> =
        [Dimension::TouchpointKind, Dimension::Channel, Dimension::Segment, Dimension::Region]
            .into_iter()
            .filter(|_| pick.chance(35))
            .collect();
    let series = match (filter.period.from, filter.period.to) {
        (Some(from), Some(to)) if pick.chance(50) => {
            let granularity = *pick.one(&[
                Granularity::Day,
                Granularity::Week,
                Granularity::Month,
                Granularity::Quarter,
                Granularity::Year,
            ]);
            let zone = *pick.one(&[chrono_tz::UTC, chrono_tz::America::New_York, chrono_tz::Asia::Kolkata]);
            buckets(from, to, granularity, zone).ok()
        }
        _ => None,
    };
    SatisfactionQuery { metric: *pick.one(&METRICS), filter, group_by, buckets: series }
}

#[tokio::test]
async fn rollups_stay_exact_through_every_write_path_and_answer_like_the_rows() {
    let seed = test_seed();
    let mut pick = Pick::new(seed);
    let app = spawn_seeded_app(80).await;
    assert_rollups_exact(&app.db, "seeding").await;

    for n in 0..30 {
        random_write(&app.db, &mut pick, n).await;
    }
    assert_rollups_exact(&app.db, &format!("30 random writes (TEST_SEED={seed})")).await;
    random_import(&app.db, &mut pick).await;
    assert_rollups_exact(&app.db, &format!("an import (TEST_SEED={seed})")).await;

    let mut compared_rows = 0;
    for i in 0..80 {
        let query = random_query(&mut pick);
        let from_rollups = satisfaction_counts(&app.db, &query, CountSource::Rollups).await.expect("rollups");
        let from_rows = satisfaction_counts(&app.db, &query, CountSource::Rows).await.expect("rows");
        assert_eq!(from_rollups, from_rows, "query {i} (TEST_SEED={seed}): {query:?}");
        compared_rows += from_rows.len();
    }
    // The comparison means something only if the queries found data.
    assert!(compared_rows > 80, "only {compared_rows} groups compared (TEST_SEED={seed})");
}

#[tokio::test]
async fn a_rebuild_repairs_rollups_and_check_reports_the_difference() {
    let app = spawn_seeded_app(20).await;
    let backend = sea_orm::ConnectionTrait::get_database_backend(&app.db);
    let tamper = "UPDATE satisfaction_answer_rollups SET answers = answers + 1 WHERE grain = 'Y'";
    sea_orm::ConnectionTrait::execute_raw(&app.db, sea_orm::Statement::from_string(backend, tamper))
        .await
        .expect("tamper");
    let differences = maintenance::differences(&app.db).await.expect("compare");
    assert!(!differences.is_empty(), "a tampered rollup is reported");
    assert!(differences[0].contains("stored"), "{}", differences[0]);
    let txn = maintenance::begin_rebuild(&app.db).await.expect("begin");
    maintenance::rebuild(&txn).await.expect("rebuild");
    txn.commit().await.expect("commit");
    assert!(maintenance::differences(&app.db).await.expect("compare").is_empty());
}

/// An import larger than what is stored rebuilds the rollups once, at the end of its transaction.
#[tokio::test]
async fn a_bulk_import_into_an_empty_database_leaves_exact_rollups() {
    let source = spawn_seeded_app(30).await;
    let dir = tempfile::tempdir().expect("temp dir");
    customer_insights::transfer::export::export(&source.db, dir.path()).await.expect("export");
    let target = spawn_app().await;
    import(&target.db, dir.path(), ImportOptions::default(), &Silent).await.expect("import");
    assert_rollups_exact(&target.db, "a bulk import").await;
    let query = SatisfactionQuery {
        metric: SurveyMetric::Nps,
        filter: SatisfactionFilter::default(),
        group_by: vec![Dimension::TouchpointKind],
        buckets: None,
    };
    let counts = satisfaction_counts(&target.db, &query, CountSource::Rollups).await.expect("counts");
    assert_eq!(counts, satisfaction_counts(&source.db, &query, CountSource::Rows).await.expect("counts"));
    assert!(!counts.is_empty());
}

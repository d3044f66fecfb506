//! Hand-made rows for tests that need exact, known data. Touchpoints and answers are written like every
//! write path writes them: with the satisfaction rollups kept current in the same transaction.

use chrono::{DateTime, Utc};
use customer_insights::rollups::maintenance;
use entity::{Channel, OrderStatus, SurveyMetric, TouchpointKind, customer, feedback, order, touchpoint};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339).expect("timestamp").with_timezone(&Utc)
}

pub async fn customer(db: &DatabaseConnection, external_id: &str, segment: &str, region: &str) -> customer::Model {
    customer::ActiveModel {
        external_id: Set(external_id.into()),
        name: Set(format!("Name {external_id}")),
        email: Set(format!("{external_id}@example.com")),
        segment: Set(segment.into()),
        region: Set(region.into()),
        created_at: Set(at("2024-01-01T00:00:00Z")),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert customer")
}

pub async fn order(
    db: &DatabaseConnection,
    external_id: &str,
    customer: &customer::Model,
    placed_at: &str,
    status: OrderStatus,
    minor: i64,
    currency: &str,
) -> order::Model {
    order::ActiveModel {
        external_id: Set(external_id.into()),
        customer_id: Set(customer.id),
        placed_at: Set(at(placed_at)),
        status: Set(status),
        total_amount_minor: Set(minor),
        currency: Set(currency.into()),
        ..Default::default()
    }
    .insert(db)
    .await
    .expect("insert order")
}

#[allow(clippy::too_many_arguments)]
pub async fn touchpoint(
    db: &DatabaseConnection,
    external_id: &str,
    customer: &customer::Model,
    order: Option<&order::Model>,
    kind: TouchpointKind,
    channel: Channel,
    occurred_at: &str,
    survey_sent_at: Option<&str>,
) -> touchpoint::Model {
    let txn = maintenance::begin_write(db).await.expect("begin");
    maintenance::retract(&txn, maintenance::Scope::Customers(&[customer.id])).await.expect("retract");
    let model = touchpoint::ActiveModel {
        external_id: Set(external_id.into()),
        customer_id: Set(customer.id),
        order_id: Set(order.map(|o| o.id)),
        kind: Set(kind),
        channel: Set(channel),
        occurred_at: Set(at(occurred_at)),
        survey_sent_at: Set(survey_sent_at.map(at)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .expect("insert touchpoint");
    maintenance::restore(&txn, maintenance::Scope::Customers(&[customer.id])).await.expect("restore");
    txn.commit().await.expect("commit");
    model
}

pub async fn answer(
    db: &DatabaseConnection,
    external_id: &str,
    customer: &customer::Model,
    touchpoint: Option<&touchpoint::Model>,
    metric: SurveyMetric,
    score: i32,
    submitted_at: &str,
) -> feedback::Model {
    let txn = maintenance::begin_write(db).await.expect("begin");
    maintenance::retract(&txn, maintenance::Scope::Customers(&[customer.id])).await.expect("retract");
    let model = feedback::ActiveModel {
        external_id: Set(external_id.into()),
        customer_id: Set(customer.id),
        touchpoint_id: Set(touchpoint.map(|t| t.id)),
        metric: Set(metric),
        score: Set(score),
        comment: Set(None),
        submitted_at: Set(at(submitted_at)),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .expect("insert feedback");
    maintenance::restore(&txn, maintenance::Scope::Customers(&[customer.id])).await.expect("restore");
    txn.commit().await.expect("commit");
    model
}

//! Hand-made rows for tests that need exact, known data. Touchpoints and answers are written like every
//! write path writes them: with the satisfaction rollups kept current in the same transaction.

use chrono::{DateTime, Utc};
use customer_insights::rollups::maintenance;
use entity::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, OrderStatus, SurveyMetric, TouchpointKind,
    complaint, customer, feedback, order, touchpoint,
};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityName, EntityTrait,
    QueryFilter, Set,
};

/// Writes a fixture row and reads it back by its external id. Not `ActiveModel::insert`: on SQLite that
/// reads the row back through `INSERT ... RETURNING`, which under the suite's concurrent load now and then
/// answered without `recorded_at` (a column a later migration added), failing the fixture with
/// "Missing value for column"; a plain `SELECT` of the same row right after read it whole.
trait Stored: ActiveModelTrait + ActiveModelBehavior + Send {
    async fn stored<C: ConnectionTrait>(
        self,
        db: &C,
        external_id_column: <Self::Entity as EntityTrait>::Column,
        external_id: &str,
    ) -> <Self::Entity as EntityTrait>::Model {
        let table = Self::Entity::default().table_name().to_owned();
        Self::Entity::insert(self)
            .exec_without_returning(db)
            .await
            .unwrap_or_else(|e| panic!("insert into {table}: {e}"));
        Self::Entity::find()
            .filter(external_id_column.eq(external_id))
            .one(db)
            .await
            .unwrap_or_else(|e| panic!("read back from {table}: {e}"))
            .unwrap_or_else(|| panic!("{table} {external_id} was just written"))
    }
}

impl<A: ActiveModelTrait + ActiveModelBehavior + Send> Stored for A {}

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
    .stored(db, customer::Column::ExternalId, external_id)
    .await
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
    .stored(db, order::Column::ExternalId, external_id)
    .await
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
    .stored(&txn, touchpoint::Column::ExternalId, external_id)
    .await;
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
    .stored(&txn, feedback::Column::ExternalId, external_id)
    .await;
    maintenance::restore(&txn, maintenance::Scope::Customers(&[customer.id])).await.expect("restore");
    txn.commit().await.expect("commit");
    model
}

/// More complaints for a seeded database, with every shape the graph shows: raised by each NPS detractor
/// answer that has none yet (about the answered touchpoint's order, when it has one), and about every
/// returned order; open, in progress, resolved and closed unresolved in turn. Returns every complaint
/// stored, the seed's included.
pub async fn complaints_for_seeded(db: &DatabaseConnection) -> Vec<complaint::Model> {
    let taken: std::collections::HashSet<i64> = complaint::Entity::find()
        .all(db)
        .await
        .expect("complaints")
        .into_iter()
        .filter_map(|c| c.feedback_id)
        .collect();
    let touchpoints: std::collections::HashMap<i64, touchpoint::Model> =
        touchpoint::Entity::find().all(db).await.expect("touchpoints").into_iter().map(|t| (t.id, t)).collect();
    let detractors = feedback::Entity::find()
        .filter(feedback::Column::Metric.eq(SurveyMetric::Nps))
        .filter(feedback::Column::Score.lte(6))
        .all(db)
        .await
        .expect("answers");
    let returned =
        order::Entity::find().filter(order::Column::Status.eq(OrderStatus::Returned)).all(db).await.expect("orders");
    let mut shapes = Vec::new();
    for answer in detractors.iter().filter(|a| !taken.contains(&a.id)) {
        let order_id = answer.touchpoint_id.and_then(|t| touchpoints[&t].order_id);
        shapes.push((answer.customer_id, order_id, Some(answer.id), answer.submitted_at));
    }
    for order in &returned {
        shapes.push((order.customer_id, Some(order.id), None, order.placed_at + chrono::Duration::days(9)));
    }
    for (i, (customer_id, order_id, feedback_id, after)) in shapes.into_iter().enumerate() {
        let opened_at = after + chrono::Duration::hours(2);
        let responded = opened_at + chrono::Duration::minutes(30 + 97 * (i as i64 % 50));
        let closed = responded + chrono::Duration::hours(1 + 7 * (i as i64 % 9));
        let (status, first_response_at, resolved_at, outcome) = match i % 4 {
            0 => (ComplaintStatus::Open, None, None, None),
            1 => (ComplaintStatus::InProgress, Some(responded), None, None),
            2 => (ComplaintStatus::Resolved, Some(responded), Some(closed), Some(ComplaintOutcome::Refund)),
            _ => (ComplaintStatus::UnresolvedClosed, Some(responded), Some(closed), Some(ComplaintOutcome::None)),
        };
        let categories = [ComplaintCategory::Delivery, ComplaintCategory::ProductDefect, ComplaintCategory::Service];
        let external_id = format!("CMP-T{i:05}");
        complaint::ActiveModel {
            external_id: Set(external_id.clone()),
            customer_id: Set(customer_id),
            order_id: Set(order_id),
            feedback_id: Set(feedback_id),
            category: Set(categories[i % 3]),
            channel: Set(if i % 3 == 0 { Channel::Phone } else { Channel::Email }),
            opened_at: Set(opened_at),
            first_response_at: Set(first_response_at),
            resolved_at: Set(resolved_at),
            status: Set(status),
            outcome: Set(outcome),
            ..Default::default()
        }
        .stored(db, complaint::Column::ExternalId, &external_id)
        .await;
    }
    complaint::Entity::find().all(db).await.expect("complaints")
}

//! Customers, orders, touchpoints and feedback, with the foreign keys, CHECK constraints and indexes
//! behind every lookup, filter and sort order the GraphQL API offers.
//!
//! Sort indexes end in `id` because keyset pagination orders by `(column, id)`; per-parent indexes start
//! with the parent key because nested connections partition by it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
    ExternalId,
    Name,
    Email,
    Segment,
    Region,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    ExternalId,
    CustomerId,
    PlacedAt,
    Status,
    TotalAmountMinor,
    Currency,
}

#[derive(DeriveIden)]
enum Touchpoints {
    Table,
    Id,
    ExternalId,
    CustomerId,
    OrderId,
    Kind,
    Channel,
    OccurredAt,
    SurveySentAt,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
    ExternalId,
    CustomerId,
    TouchpointId,
    Metric,
    Score,
    Comment,
    SubmittedAt,
}

const ORDER_STATUSES: &str = "'PLACED','FULFILLED','DELIVERED','CANCELLED','RETURNED'";
const TOUCHPOINT_KINDS: &str = "'ORDER_CONFIRMATION','SHIPPING','DELIVERY','ONBOARDING','PRODUCT_USAGE',\
    'SUPPORT','FOLLOW_UP','RETURN','REVIEW_REQUEST','LOYALTY_PROGRAM'";
const CHANNELS: &str = "'EMAIL','SMS','PHONE','CHAT','WEB','MOBILE_APP','IN_STORE','SOCIAL'";
/// The score scale of each survey metric, enforced by the database as well as by input validation.
const SCORE_IN_SCALE: &str = "(metric = 'NPS' AND score BETWEEN 0 AND 10) \
    OR (metric = 'CSAT' AND score BETWEEN 1 AND 5) \
    OR (metric = 'CES' AND score BETWEEN 1 AND 7)";

fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().take()
}

fn timestamp_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

fn index(name: &str, table: impl IntoIden, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(Alias::new(*col));
    }
    stmt.take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Customers::Table)
                    .col(big_pk_auto(Customers::Id))
                    .col(string_len_uniq(Customers::ExternalId, 128))
                    .col(string_len(Customers::Name, 256))
                    .col(string_len(Customers::Email, 320))
                    .col(string_len(Customers::Segment, 64))
                    .col(string_len(Customers::Region, 64))
                    .col(timestamp(Customers::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .col(big_pk_auto(Orders::Id))
                    .col(string_len_uniq(Orders::ExternalId, 128))
                    .col(big_integer(Orders::CustomerId))
                    .col(timestamp(Orders::PlacedAt))
                    .col(string_len(Orders::Status, 16).check(Expr::cust(format!("status IN ({ORDER_STATUSES})"))))
                    .col(big_integer(Orders::TotalAmountMinor))
                    .col(
                        char_len(Orders::Currency, 3)
                            .check(Expr::cust("length(currency) = 3 AND upper(currency) = currency")),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_customer")
                            .from(Orders::Table, Orders::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Touchpoints::Table)
                    .col(big_pk_auto(Touchpoints::Id))
                    .col(string_len_uniq(Touchpoints::ExternalId, 128))
                    .col(big_integer(Touchpoints::CustomerId))
                    .col(big_integer_null(Touchpoints::OrderId))
                    .col(string_len(Touchpoints::Kind, 24).check(Expr::cust(format!("kind IN ({TOUCHPOINT_KINDS})"))))
                    .col(string_len(Touchpoints::Channel, 16).check(Expr::cust(format!("channel IN ({CHANNELS})"))))
                    .col(timestamp(Touchpoints::OccurredAt))
                    .col(timestamp_null(Touchpoints::SurveySentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_touchpoints_customer")
                            .from(Touchpoints::Table, Touchpoints::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_touchpoints_order")
                            .from(Touchpoints::Table, Touchpoints::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Feedback::Table)
                    .col(big_pk_auto(Feedback::Id))
                    .col(string_len_uniq(Feedback::ExternalId, 128))
                    .col(big_integer(Feedback::CustomerId))
                    .col(big_integer_null(Feedback::TouchpointId))
                    .col(string_len(Feedback::Metric, 8).check(Expr::cust("metric IN ('NPS','CSAT','CES')")))
                    .col(integer(Feedback::Score))
                    .col(text_null(Feedback::Comment))
                    .col(timestamp(Feedback::SubmittedAt))
                    .check(Expr::cust(SCORE_IN_SCALE))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_feedback_customer")
                            .from(Feedback::Table, Feedback::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_feedback_touchpoint")
                            .from(Feedback::Table, Feedback::TouchpointId)
                            .to(Touchpoints::Table, Touchpoints::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        for stmt in [
            index("ix_customers_created_at", Customers::Table, &["created_at", "id"]),
            index("ix_customers_name", Customers::Table, &["name", "id"]),
            index("ix_customers_segment", Customers::Table, &["segment"]),
            index("ix_customers_region", Customers::Table, &["region"]),
            index("ix_orders_customer_placed", Orders::Table, &["customer_id", "placed_at", "id"]),
            index("ix_orders_placed_at", Orders::Table, &["placed_at", "id"]),
            index("ix_orders_status", Orders::Table, &["status"]),
            index("ix_touchpoints_customer_occurred", Touchpoints::Table, &["customer_id", "occurred_at", "id"]),
            index("ix_touchpoints_order_occurred", Touchpoints::Table, &["order_id", "occurred_at", "id"]),
            index("ix_touchpoints_occurred_at", Touchpoints::Table, &["occurred_at", "id"]),
            index("ix_touchpoints_kind_channel", Touchpoints::Table, &["kind", "channel"]),
            index("ix_feedback_customer_submitted", Feedback::Table, &["customer_id", "submitted_at", "id"]),
            index("ix_feedback_touchpoint", Feedback::Table, &["touchpoint_id", "submitted_at", "id"]),
            index("ix_feedback_submitted_at", Feedback::Table, &["submitted_at", "id"]),
            index("ix_feedback_metric_score", Feedback::Table, &["metric", "score"]),
        ] {
            manager.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first: the foreign keys point from feedback to touchpoints to orders to customers.
        manager.drop_table(Table::drop().table(Feedback::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Touchpoints::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Orders::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(Customers::Table).to_owned()).await
    }
}

//! Complaints: the customer's, optionally about an order and raised by an answer (at most one complaint
//! per answer), with CHECK constraints that keep the handling consistent (times in order, a status that
//! matches the times and the outcome) and the indexes behind the lookups, the per-parent pages and the
//! period queries of the handling insights.
//!
//! Sort indexes end in `id` because keyset pagination orders by `(column, id)`; per-parent indexes start
//! with the parent key because nested connections partition by it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Complaints {
    Table,
    Id,
    ExternalId,
    CustomerId,
    OrderId,
    FeedbackId,
    Category,
    Channel,
    OpenedAt,
    FirstResponseAt,
    ResolvedAt,
    Status,
    Outcome,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
}

const CATEGORIES: &str = "'DELIVERY','PRODUCT_DEFECT','BILLING','RETURN_REFUND','SERVICE','OTHER'";
const CHANNELS: &str = "'EMAIL','SMS','PHONE','CHAT','WEB','MOBILE_APP','IN_STORE','SOCIAL'";
const STATUSES: &str = "'OPEN','IN_PROGRESS','RESOLVED','UNRESOLVED_CLOSED'";
const OUTCOMES: &str = "'REFUND','REPLACEMENT','EXPLANATION','NONE'";
/// Nothing happens before the complaint is opened, and it is not closed before its first response.
const TIMES_IN_ORDER: &str = "(first_response_at IS NULL OR first_response_at >= opened_at) \
    AND (resolved_at IS NULL OR (resolved_at >= opened_at \
    AND (first_response_at IS NULL OR resolved_at >= first_response_at)))";
/// OPEN: no response yet; IN_PROGRESS: answered, not closed; RESOLVED and UNRESOLVED_CLOSED: answered,
/// closed, with an outcome.
const STATUS_MATCHES: &str = "(status = 'OPEN' AND first_response_at IS NULL AND resolved_at IS NULL \
    AND outcome IS NULL) \
    OR (status = 'IN_PROGRESS' AND first_response_at IS NOT NULL AND resolved_at IS NULL AND outcome IS NULL) \
    OR (status IN ('RESOLVED','UNRESOLVED_CLOSED') AND first_response_at IS NOT NULL \
    AND resolved_at IS NOT NULL AND outcome IS NOT NULL)";

fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().take()
}

fn timestamp_null(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().null().take()
}

fn index(name: &str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(Complaints::Table);
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
                    .table(Complaints::Table)
                    .col(big_pk_auto(Complaints::Id))
                    .col(string_len_uniq(Complaints::ExternalId, 128))
                    .col(big_integer(Complaints::CustomerId))
                    .col(big_integer_null(Complaints::OrderId))
                    .col(big_integer_null(Complaints::FeedbackId))
                    .col(string_len(Complaints::Category, 16).check(Expr::cust(format!("category IN ({CATEGORIES})"))))
                    .col(string_len(Complaints::Channel, 16).check(Expr::cust(format!("channel IN ({CHANNELS})"))))
                    .col(timestamp(Complaints::OpenedAt))
                    .col(timestamp_null(Complaints::FirstResponseAt))
                    .col(timestamp_null(Complaints::ResolvedAt))
                    .col(string_len(Complaints::Status, 24).check(Expr::cust(format!("status IN ({STATUSES})"))))
                    .col(
                        string_len_null(Complaints::Outcome, 16)
                            .check(Expr::cust(format!("outcome IS NULL OR outcome IN ({OUTCOMES})"))),
                    )
                    .check(Expr::cust(TIMES_IN_ORDER))
                    .check(Expr::cust(STATUS_MATCHES))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complaints_customer")
                            .from(Complaints::Table, Complaints::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complaints_order")
                            .from(Complaints::Table, Complaints::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_complaints_feedback")
                            .from(Complaints::Table, Complaints::FeedbackId)
                            .to(Feedback::Table, Feedback::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        for stmt in [
            index("ix_complaints_customer_opened", &["customer_id", "opened_at", "id"]),
            index("ix_complaints_order_opened", &["order_id", "opened_at", "id"]),
            // At most one complaint per answer; also the index of `Feedback.complaint`.
            index("ux_complaints_feedback", &["feedback_id"]).unique().take(),
            index("ix_complaints_opened_at", &["opened_at", "id"]),
            index("ix_complaints_resolved_at", &["resolved_at"]),
            index("ix_complaints_status", &["status"]),
            index("ix_complaints_category_channel", &["category", "channel"]),
        ] {
            manager.create_index(stmt).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Complaints::Table).to_owned()).await
    }
}

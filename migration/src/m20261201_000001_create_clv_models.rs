//! Predictive CLV models, one per currency, with their customers (history and the stored predictions
//! customers are ordered by) and their tracking plot. A new fit deletes the currency's model, whose
//! customers and tracking rows go with it (ON DELETE CASCADE), and writes the new one.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ClvModels {
    Table,
    Currency,
    TimeUnit,
    CalibrationEnd,
    DataVersion,
    FittedAt,
    Customers,
    RepeatCustomers,
    R,
    Alpha,
    A,
    B,
    PurchaseLogLikelihood,
    RStandardError,
    AlphaStandardError,
    AStandardError,
    BStandardError,
    P,
    Q,
    Gamma,
    SpendLogLikelihood,
    PStandardError,
    QStandardError,
    GammaStandardError,
    SpendCustomers,
}

#[derive(DeriveIden)]
enum ClvCustomers {
    Table,
    Currency,
    CustomerId,
    RepeatTransactions,
    RecencyDays,
    AgeDays,
    MeanRepeatValue,
    ProbabilityAlive,
    PredictedClv,
}

#[derive(DeriveIden)]
enum ClvTracking {
    Table,
    Currency,
    Period,
    ExpectedCumulative,
    ActualCumulative,
}

#[derive(DeriveIden)]
enum Customers {
    Table,
    Id,
}

fn timestamp(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).timestamp_with_time_zone().not_null().take()
}

fn of_model(name: &str, table: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, Alias::new("currency"))
        .to(ClvModels::Table, ClvModels::Currency)
        .on_delete(ForeignKeyAction::Cascade)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut models = Table::create();
        models
            .table(ClvModels::Table)
            .col(char_len(ClvModels::Currency, 3).primary_key())
            .col(string_len(ClvModels::TimeUnit, 8).check(Expr::cust("time_unit IN ('DAY','WEEK')")))
            .col(timestamp(ClvModels::CalibrationEnd))
            .col(big_integer(ClvModels::DataVersion))
            .col(timestamp(ClvModels::FittedAt))
            .col(big_integer(ClvModels::Customers))
            .col(big_integer(ClvModels::RepeatCustomers));
        for column in [
            ClvModels::R,
            ClvModels::Alpha,
            ClvModels::A,
            ClvModels::B,
            ClvModels::PurchaseLogLikelihood,
            ClvModels::RStandardError,
            ClvModels::AlphaStandardError,
            ClvModels::AStandardError,
            ClvModels::BStandardError,
            ClvModels::P,
            ClvModels::Q,
            ClvModels::Gamma,
            ClvModels::SpendLogLikelihood,
            ClvModels::PStandardError,
            ClvModels::QStandardError,
            ClvModels::GammaStandardError,
        ] {
            models.col(double(column));
        }
        models.col(big_integer(ClvModels::SpendCustomers));
        manager.create_table(models.take()).await?;

        manager
            .create_table(
                Table::create()
                    .table(ClvCustomers::Table)
                    .col(char_len(ClvCustomers::Currency, 3))
                    .col(big_integer(ClvCustomers::CustomerId))
                    .col(big_integer(ClvCustomers::RepeatTransactions))
                    .col(big_integer(ClvCustomers::RecencyDays))
                    .col(big_integer(ClvCustomers::AgeDays))
                    .col(double_null(ClvCustomers::MeanRepeatValue))
                    .col(double(ClvCustomers::ProbabilityAlive))
                    .col(double(ClvCustomers::PredictedClv))
                    .primary_key(Index::create().col(ClvCustomers::Currency).col(ClvCustomers::CustomerId))
                    .foreign_key(&mut of_model("fk_clv_customers_model", ClvCustomers::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_clv_customers_customer")
                            .from(ClvCustomers::Table, ClvCustomers::CustomerId)
                            .to(Customers::Table, Customers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .take(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ClvTracking::Table)
                    .col(char_len(ClvTracking::Currency, 3))
                    .col(integer(ClvTracking::Period))
                    .col(double(ClvTracking::ExpectedCumulative))
                    .col(big_integer(ClvTracking::ActualCumulative))
                    .primary_key(Index::create().col(ClvTracking::Currency).col(ClvTracking::Period))
                    .foreign_key(&mut of_model("fk_clv_tracking_model", ClvTracking::Table))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first: they point at the models.
        manager.drop_table(Table::drop().table(ClvTracking::Table).take()).await?;
        manager.drop_table(Table::drop().table(ClvCustomers::Table).take()).await?;
        manager.drop_table(Table::drop().table(ClvModels::Table).take()).await
    }
}

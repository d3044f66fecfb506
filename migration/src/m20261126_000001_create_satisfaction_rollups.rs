//! Satisfaction rollups: per-score answer counts and survey counts per time slice (UTC day, month and
//! year) and every dimension the API groups and filters satisfaction by, kept current by every write in
//! the writing transaction. A later migration gives them the order status too, and fills them. Also
//! indexes touchpoints by the time their survey was sent, for the partial days a query reads from the
//! rows.
//!
//! Missing dimensions are stored as '' (answers without a touchpoint have no kind or channel), so the
//! primary key covers every row; the key starts with grain and metric and then slice, which is the range
//! every satisfaction query reads.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SatisfactionAnswerRollups {
    Table,
    Grain,
    Slice,
    Metric,
    TouchpointKind,
    Channel,
    Segment,
    Region,
    Score,
    Answers,
    Commented,
}

#[derive(DeriveIden)]
enum SatisfactionSurveyRollups {
    Table,
    Grain,
    Slice,
    TouchpointKind,
    Channel,
    Segment,
    Region,
    Surveyed,
    AnsweredNps,
    AnsweredCsat,
    AnsweredCes,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use SatisfactionAnswerRollups as A;
        use SatisfactionSurveyRollups as S;
        manager
            .create_table(
                Table::create()
                    .table(A::Table)
                    .col(string_len(A::Grain, 1))
                    .col(big_integer(A::Slice))
                    .col(string_len(A::Metric, 8))
                    .col(string_len(A::TouchpointKind, 24))
                    .col(string_len(A::Channel, 16))
                    .col(string_len(A::Segment, 64))
                    .col(string_len(A::Region, 64))
                    .col(integer(A::Score))
                    .col(big_integer(A::Answers))
                    .col(big_integer(A::Commented))
                    .primary_key(
                        Index::create()
                            .col(A::Grain)
                            .col(A::Metric)
                            .col(A::Slice)
                            .col(A::TouchpointKind)
                            .col(A::Channel)
                            .col(A::Segment)
                            .col(A::Region)
                            .col(A::Score),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(S::Table)
                    .col(string_len(S::Grain, 1))
                    .col(big_integer(S::Slice))
                    .col(string_len(S::TouchpointKind, 24))
                    .col(string_len(S::Channel, 16))
                    .col(string_len(S::Segment, 64))
                    .col(string_len(S::Region, 64))
                    .col(big_integer(S::Surveyed))
                    .col(big_integer(S::AnsweredNps))
                    .col(big_integer(S::AnsweredCsat))
                    .col(big_integer(S::AnsweredCes))
                    .primary_key(
                        Index::create()
                            .col(S::Grain)
                            .col(S::Slice)
                            .col(S::TouchpointKind)
                            .col(S::Channel)
                            .col(S::Segment)
                            .col(S::Region),
                    )
                    .to_owned(),
            )
            .await?;
        // Partial days at the ends of a period read surveyed touchpoints by the time their survey was sent.
        manager
            .create_index(
                Index::create()
                    .name("ix_touchpoints_survey_sent_at")
                    .table(Alias::new("touchpoints"))
                    .col(Alias::new("survey_sent_at"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_touchpoints_survey_sent_at").table(Alias::new("touchpoints")).to_owned())
            .await?;
        manager.drop_table(Table::drop().table(SatisfactionSurveyRollups::Table).to_owned()).await?;
        manager.drop_table(Table::drop().table(SatisfactionAnswerRollups::Table).to_owned()).await
    }
}

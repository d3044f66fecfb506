//! The `insights` entry point: aggregated statistics, computed by the services (counts in SQL, the
//! statistics on top by `stats`). The resolvers read their arguments and map the services' rows.

mod complaint_loop;
mod complaint_recovery;
mod complaints;
mod facets;
mod inputs;
mod loyalty;
mod satisfaction;
mod series;

use async_graphql::{Context, Object, Result};

use complaint_loop::{ComplaintLoopDimension, ComplaintLoopFilterInput, ComplaintLoopRow};
use complaint_recovery::{ComplaintRecoveryDimension, ComplaintRecoveryFilterInput, ComplaintRecoveryRow};
use complaints::{ComplaintDimension, ComplaintHandlingFilterInput, ComplaintHandlingRow};
use facets::Facets;
use inputs::{
    BaselineInput, CohortGranularity, LoyaltyDimension, SatisfactionDimension, SatisfactionFilterInput, TimeSeriesInput,
};
use loyalty::{CohortRetentionCell, LoyaltyRow, TouchpointImpactRow};
use satisfaction::{SatisfactionComparisonRow, SatisfactionRow, SatisfactionScore};
use series::{InSeries, Totalled, rows_then_totals};

use crate::error::{AppError, AppResult};
use crate::graphql::clv::ClvModel;
use crate::graphql::connection::database;
use crate::graphql::enums::{SurveyMetric, TouchpointKind};
use crate::graphql::gate::answer::take_rows;
use crate::graphql::inputs::{TimeRangeInput, bounded_range, days, list_filter, time_range};
use crate::graphql::scalars::{CurrencyCode, DateTime};
use crate::rollups::CountSource;
use crate::services::clv;
use crate::services::cohorts::{self, CohortCalendar, MAX_PERIODS};
use crate::services::complaint_handling::{self, HandlingQuery};
use crate::services::complaint_loop::{self as loop_service, LoopQuery};
use crate::services::complaint_recovery::{self as recovery_service, RecoveryQuery};
use crate::services::complaints as complaint_service;
use crate::services::facets as facet_service;
use crate::services::impact::{ImpactQuery, touchpoint_impact};
use crate::services::loyalty::{self as loyalty_service, LoyaltyQuery};
use crate::services::satisfaction_insights as service;

pub struct Insights;

/// The schema's choice of satisfaction counts (rollups unless the server was told otherwise).
fn count_source(ctx: &Context<'_>) -> CountSource {
    ctx.data_opt::<CountSource>().copied().unwrap_or(CountSource::Rollups)
}

fn min_sample(value: i32) -> AppResult<u64> {
    u64::try_from(value).map_err(|_| AppError::bad_input("minSample", "must not be negative"))
}

/// Aggregated insights over the whole data set, computed in SQL as per-score counts and finished exactly
/// as documented on each field; values over empty sets are null, never 0. Full precision: clients round.
#[Object]
impl Insights {
    /// What there is to filter by (segments, regions, currencies) and the time the orders and answers
    /// span: a few index lookups, whatever the size of the data.
    async fn facets(&self, ctx: &Context<'_>) -> Result<Facets> {
        let facets = Facets::from(facet_service::facets(database(ctx)?).await?);
        take_rows(ctx, facets.items())?;
        Ok(facets)
    }

    /// Satisfaction (NPS, CSAT or CES) over the answers matching `filter`, optionally grouped by touchpoint
    /// kind, channel, segment and region, and split into a zero-filled time series. One row per group (and
    /// bucket); without grouping, exactly one row (per bucket). Rows come in a stable order: by the group
    /// values (touchpoint kind, channel, segment, region; null first, then ascending), each group's
    /// buckets in time order, then the total rows asked for with `withTotal`.
    // One Rust argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric to compute.")] metric: SurveyMetric,
        #[graphql(desc = "Which answers count.")] filter: Option<SatisfactionFilterInput>,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<Vec<SatisfactionDimension>>,
        #[graphql(desc = "Split into calendar buckets of the filter's period (which then needs both ends).")]
        series: Option<TimeSeriesInput>,
        #[graphql(desc = "Rows with fewer answers are flagged `lowSample`.", default = 30)] min_sample: i32,
        #[graphql(
            desc = "Also answer, after the groups' rows, a total row per bucket (`isTotal`, every group value null): the same query without grouping, every group together. Nothing is added without grouping.",
            default = false
        )]
        with_total: bool,
    ) -> Result<Vec<SatisfactionRow>> {
        let filter = filter.unwrap_or_default().into_domain("filter")?;
        let series = inputs::series(series, "series")?;
        let query = service::query(metric.into(), filter, &inputs::dimensions(group_by), series)?;
        let (db, min_sample, source) = (database(ctx)?, self::min_sample(min_sample)?, count_source(ctx));
        let rows = service::report(db, &query, min_sample, source, with_total).await?;
        take_rows(ctx, rows.len())?;
        Ok(rows.into_iter().map(|row| SatisfactionRow::from(row).placed(series.as_ref())).collect())
    }

    /// The same metric over two sets, per group: the current set (`filter`) and a baseline (by default
    /// the previous period of equal length), with delta, z, p-value and significance (p < 0.05). Rows
    /// come by the group values (touchpoint kind, channel, segment, region; null first, then ascending),
    /// then the total row asked for with `withTotal`.
    // One Rust argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn satisfaction_comparison(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric to compare.")] metric: SurveyMetric,
        #[graphql(desc = "The current set.")] filter: Option<SatisfactionFilterInput>,
        #[graphql(desc = "The baseline set; default: the previous period of equal length.")] baseline: Option<
            BaselineInput,
        >,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<Vec<SatisfactionDimension>>,
        #[graphql(desc = "Rows with fewer answers are flagged `lowSample`.", default = 30)] min_sample: i32,
        #[graphql(
            desc = "Also answer, after the groups' rows, a total row (`isTotal`, every group value null): the same comparison without grouping, every group together, with its own test. Nothing is added without grouping.",
            default = false
        )]
        with_total: bool,
    ) -> Result<Vec<SatisfactionComparisonRow>> {
        let current = filter.unwrap_or_default().into_domain("filter")?;
        let baseline = baseline.unwrap_or_default().into_domain("baseline")?;
        let query = service::comparison_query(metric.into(), current, baseline, &inputs::dimensions(group_by))?;
        let (db, min_sample, source) = (database(ctx)?, self::min_sample(min_sample)?, count_source(ctx));
        let rows = service::comparison(db, &query, min_sample, source, with_total).await?;
        take_rows(ctx, rows.len())?;
        Ok(rows.into_iter().map(SatisfactionComparisonRow::from).collect())
    }

    /// Loyalty over a period (or each bucket of a series over it), optionally grouped by segment and
    /// region: activity, revenue per currency, repeat purchase, churn against the previous period of equal
    /// length, inactive customers and CLV. CANCELLED orders count for nothing; RETURNED orders count as
    /// orders with zero revenue.
    // One Rust argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn loyalty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period `[from, to)`; both ends are required.")] period: TimeRangeInput,
        #[graphql(desc = "Dimensions to group by.")] group_by: Option<Vec<LoyaltyDimension>>,
        #[graphql(desc = "Split the period into calendar buckets, each compared with its own previous period.")]
        series: Option<TimeSeriesInput>,
        #[graphql(
            desc = "Compute lifetime figures (lifetime repeat rate, historic CLV, inactive) as of this date instead of each period's end."
        )]
        as_of: Option<DateTime>,
        #[graphql(desc = "Days without an order after which a customer counts as inactive.", default = 180)]
        inactive_window_days: i32,
        #[graphql(
            desc = "Also answer, after the groups' rows, a total row per period (`isTotal`, every group value null): the same query without grouping, so customers are counted once. Nothing is added without grouping.",
            default = false
        )]
        with_total: bool,
    ) -> Result<Vec<LoyaltyRow>> {
        let period = bounded_range(period, "period")?;
        let inactive_window = days("inactiveWindowDays", inactive_window_days)?;
        let series = inputs::series(series, "series")?;
        let as_of = as_of.map(|t| t.0);
        let query = LoyaltyQuery::new(period, series, as_of, inputs::dimensions(group_by), inactive_window)?;
        let db = database(ctx)?;
        let rows = loyalty_service::report(db, &query).await?;
        let totals = if with_total { loyalty_service::totals(db, &query).await? } else { Vec::new() };
        take_rows(ctx, rows.len() + totals.len())?;
        let row = |row, total| LoyaltyRow::new(row, inactive_window_days, total).placed(series.as_ref());
        Ok(rows_then_totals(rows, totals, row))
    }

    /// How complaints were handled over a period (or each bucket of a series over it), optionally
    /// grouped by category, channel, segment and region: complaints opened, resolved and closed
    /// unresolved, the open backlog at the period's end, hours to the first response and to resolution
    /// (median, 90th percentile) of the complaints opened in the period, and the share of them resolved
    /// within `slaHours`. One row per group and period; without grouping, exactly one per period.
    // One Rust argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn complaint_handling(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period `[from, to)`; both ends are required.")] period: TimeRangeInput,
        #[graphql(desc = "Which complaints count.")] filter: Option<ComplaintHandlingFilterInput>,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<Vec<ComplaintDimension>>,
        #[graphql(desc = "Split the period into calendar buckets.")] series: Option<TimeSeriesInput>,
        #[graphql(desc = "The resolution time the SLA allows, in hours (1 to 8760).", default = 48)] sla_hours: i32,
        #[graphql(
            desc = "Also answer, after the groups' rows, the total rows of every period (`isTotal`, every group value null): the same query without grouping. Nothing is added without grouping.",
            default = false
        )]
        with_total: bool,
    ) -> Result<Vec<ComplaintHandlingRow>> {
        let period = bounded_range(period, "period")?;
        let filter = filter.unwrap_or_default().into_domain("filter")?;
        let sla = complaint_service::sla("slaHours", sla_hours)?;
        let series = inputs::series(series, "series")?;
        let query = HandlingQuery::new(period, series, inputs::dimensions(group_by), filter, sla)?;
        let db = database(ctx)?;
        let rows = complaint_handling::report(db, &query).await?;
        let totals = if with_total { complaint_handling::totals(db, &query).await? } else { Vec::new() };
        take_rows(ctx, rows.len() + totals.len())?;
        let row = |row, total| ComplaintHandlingRow::from(row).placed(series.as_ref()).total(total);
        Ok(rows_then_totals(rows, totals, row))
    }

    /// Closing the loop over a period (or each bucket of a series over it): of the dissatisfied answers
    /// submitted in it (NPS detractors, CSAT not satisfied, CES not easy; answers at touchpoints), the share
    /// followed within `followUpHours` by a complaint or a FOLLOW_UP touchpoint of the same customer, with a
    /// Wilson interval, and the hours to that first follow-up (median, 90th percentile). Answers whose
    /// window has not ended by `asOf` are counted as pending and left out of the share. Optionally grouped
    /// by metric, touchpoint kind, channel, segment and region; without grouping, one row per period.
    // One Rust argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn complaint_loop(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period `[from, to)` of the answers; both ends are required.")] period: TimeRangeInput,
        #[graphql(desc = "Which dissatisfied answers count.")] filter: Option<ComplaintLoopFilterInput>,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<Vec<ComplaintLoopDimension>>,
        #[graphql(desc = "Split the period into calendar buckets.")] series: Option<TimeSeriesInput>,
        #[graphql(desc = "The window after an answer, in hours (1 to 8760).", default = 72)] follow_up_hours: i32,
        #[graphql(desc = "The date windows must have ended by; default: now.")] as_of: Option<DateTime>,
        #[graphql(
            desc = "Also answer, after the groups' rows, the total rows of every period (`isTotal`, every group value null): the same query without grouping. Nothing is added without grouping.",
            default = false
        )]
        with_total: bool,
    ) -> Result<Vec<ComplaintLoopRow>> {
        let period = bounded_range(period, "period")?;
        let filter = filter.unwrap_or_default().into_domain("filter")?;
        let follow_up = complaint_service::window_hours("followUpHours", follow_up_hours)?;
        let series = inputs::series(series, "series")?;
        let as_of = as_of.map_or_else(chrono::Utc::now, |t| t.0);
        let query = LoopQuery::new(period, series, inputs::dimensions(group_by), filter, (follow_up, as_of))?;
        let db = database(ctx)?;
        let rows = loop_service::report(db, &query).await?;
        let totals = if with_total { loop_service::totals(db, &query).await? } else { Vec::new() };
        take_rows(ctx, rows.len() + totals.len())?;
        let row = |row, total| ComplaintLoopRow::from(row).placed(series.as_ref()).total(total);
        Ok(rows_then_totals(rows, totals, row))
    }

    /// Service recovery over a period (or each bucket of a series over it): the customers with a complaint
    /// opened in it, by how their first one there went (resolved within `slaHours`, resolved late,
    /// unresolved), against the customers dissatisfied in it who did not complain (NO_COMPLAINT: none opened
    /// from the period's start until the later of its end and the end of their window). Per outcome: the
    /// share who ordered again within `horizonDays` after the complaint's opening (the answer, for
    /// NO_COMPLAINT), with a Wilson interval and a two-proportion test against NO_COMPLAINT, and the NPS of
    /// their next NPS answer in that window. Customers whose window has not ended by `asOf` are left out.
    /// Optionally grouped by category, segment and region.
    // One Rust argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn complaint_recovery(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period `[from, to)`; both ends are required.")] period: TimeRangeInput,
        #[graphql(desc = "Which customers count.")] filter: Option<ComplaintRecoveryFilterInput>,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<
            Vec<ComplaintRecoveryDimension>,
        >,
        #[graphql(desc = "Split the period into calendar buckets.")] series: Option<TimeSeriesInput>,
        #[graphql(desc = "The resolution time the SLA allows, in hours (1 to 8760).", default = 48)] sla_hours: i32,
        #[graphql(desc = "The window in days after the complaint or answer (1 to 3650).", default = 90)]
        horizon_days: i32,
        #[graphql(desc = "The date windows must have ended by; default: now.")] as_of: Option<DateTime>,
        #[graphql(
            desc = "Also answer, after the groups' rows, the total rows of every period (`isTotal`, every group value null): the same query without grouping. Nothing is added without grouping.",
            default = false
        )]
        with_total: bool,
    ) -> Result<Vec<ComplaintRecoveryRow>> {
        let period = bounded_range(period, "period")?;
        let filter = filter.unwrap_or_default().into_domain("filter")?;
        let sla = complaint_service::sla("slaHours", sla_hours)?;
        let horizon = days("horizonDays", horizon_days)?.num_days();
        let series = inputs::series(series, "series")?;
        let as_of = as_of.map_or_else(chrono::Utc::now, |t| t.0);
        let query = RecoveryQuery::new(period, series, inputs::dimensions(group_by), filter, (sla, horizon, as_of))?;
        let db = database(ctx)?;
        let rows = recovery_service::report(db, &query).await?;
        let totals = if with_total { recovery_service::totals(db, &query).await? } else { Vec::new() };
        take_rows(ctx, rows.len() + totals.len())?;
        let row = |row, total| ComplaintRecoveryRow::from(row).placed(series.as_ref()).total(total);
        Ok(rows_then_totals(rows, totals, row))
    }

    /// Cohort retention: customers grouped by the period of their first order (CANCELLED excluded), and
    /// for each cohort and k = 0..periods-1 the share of it with at least one order in the k-th period
    /// after the cohort's own. Typed rows, ready for a heat map.
    // One Rust argument per GraphQL argument of the field.
    #[allow(clippy::too_many_arguments)]
    async fn cohort_retention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Cohorts whose period starts in `[from, to)`; both ends are required.")]
        cohorts: TimeRangeInput,
        #[graphql(desc = "How many periods to follow each cohort for, its own included (1 to 60).")] periods: i32,
        #[graphql(
            desc = "The cohorts' calendar, as every insight takes one: MONTH or WEEK cohorts in a time zone (default UTC)."
        )]
        series: Option<TimeSeriesInput>,
        #[graphql(
            desc = "The former way to give the cohorts' granularity.",
            deprecation = "Use `series: { granularity }`."
        )]
        granularity: Option<CohortGranularity>,
        #[graphql(
            desc = "The former way to give the calendar's time zone.",
            deprecation = "Use `series: { timeZone }`."
        )]
        time_zone: Option<String>,
    ) -> Result<Vec<CohortRetentionCell>> {
        let range = bounded_range(cohorts, "cohorts")?;
        let periods = usize::try_from(periods).ok().filter(|p| (1..=MAX_PERIODS).contains(p));
        let periods =
            periods.ok_or_else(|| AppError::bad_input("periods", format!("must be between 1 and {MAX_PERIODS}")))?;
        let series = inputs::cohort_series(series, granularity, time_zone)?;
        let calendar = CohortCalendar::new(range, series.granularity, series.time_zone, periods)?;
        take_rows(ctx, calendar.cells())?;
        let cells = cohorts::retention(database(ctx)?, &calendar).await?;
        Ok(cells.into_iter().map(|cell| CohortRetentionCell::from(cell).placed(Some(&series))).collect())
    }

    /// What customers do after answering at a touchpoint: per answer category (NPS promoter / passive /
    /// detractor, CSAT satisfied or not, CES easy or not), the share of customers who order again within
    /// `horizonDays` after the answer, with a Wilson interval and the difference to the best category.
    /// Customers whose window has not ended by `asOf` are left out.
    async fn touchpoint_impact(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The survey metric.")] metric: SurveyMetric,
        #[graphql(desc = "Answers at touchpoints of these kinds (default: any kind).")] touchpoint_kinds: Option<
            Vec<TouchpointKind>,
        >,
        #[graphql(desc = "The repurchase window in days after the answer (1 to 3650).", default = 90)]
        horizon_days: i32,
        #[graphql(desc = "The date windows must have ended by; default: now.")] as_of: Option<DateTime>,
    ) -> Result<Vec<TouchpointImpactRow>> {
        let horizon = days("horizonDays", horizon_days)?;
        let query = ImpactQuery {
            metric: metric.into(),
            touchpoint_kinds: list_filter(touchpoint_kinds, "touchpointKinds")?,
            horizon_days: horizon.num_days(),
            as_of: as_of.map_or_else(chrono::Utc::now, |t| t.0),
        };
        let rows = touchpoint_impact(database(ctx)?, &query).await?;
        Ok(rows.into_iter().map(TouchpointImpactRow::from).collect())
    }

    /// The predictive CLV model of `currency` (BG/NBD purchases, Gamma-Gamma spend), as last fitted by
    /// `clv fit` or `fitClvModel`; null before the first fit. See `docs/clv.md`.
    async fn clv_model(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The model's currency.")] currency: CurrencyCode,
    ) -> Result<Option<ClvModel>> {
        Ok(clv::read::model(database(ctx)?, currency.0).await?.map(ClvModel))
    }

    /// The score of one touchpoint kind over a period: the touchpoint-kind enum, asked for its score.
    async fn touchpoint_kind_score(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint kind.")] touchpoint_kind: TouchpointKind,
        #[graphql(desc = "The metric to compute.")] metric: SurveyMetric,
        #[graphql(desc = "Half-open period on the answers' submission time.")] period: Option<TimeRangeInput>,
        #[graphql(desc = "A score with fewer answers is flagged `lowSample`.", default = 30)] min_sample: i32,
    ) -> Result<SatisfactionScore> {
        let (period, min_sample) = (time_range(period, "period")?, self::min_sample(min_sample)?);
        let db = database(ctx)?;
        let score = service::touchpoint_kind_score(
            db,
            metric.into(),
            touchpoint_kind.into(),
            period,
            min_sample,
            count_source(ctx),
        )
        .await?;
        Ok(score.into())
    }
}

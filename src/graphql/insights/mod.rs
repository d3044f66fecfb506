//! The `insights` entry point: aggregated statistics, computed in SQL and finished by `stats`.

mod inputs;
mod loyalty;
mod satisfaction;

use async_graphql::{Context, Object, Result};
use sea_orm::ActiveEnum;

pub use inputs::{Granularity, SatisfactionDimension, SatisfactionFilterInput, TimeSeriesInput};
pub use loyalty::{
    CohortGranularity, CohortRetentionCell, CurrencyLoyalty, LoyaltyDimensionInput, LoyaltyRow, TouchpointImpactRow,
};
pub use satisfaction::{
    CategoryCount, ConfidenceInterval, SatisfactionCategory, SatisfactionComparisonRow, SatisfactionRow,
    SatisfactionScore, ScoreCount,
};

use crate::domain::buckets::{buckets, parse_time_zone};
use crate::error::{AppError, AppResult};
use crate::graphql::connection::database;
use crate::graphql::enums::{Channel, SurveyMetric, TouchpointKind};
use crate::graphql::gate::answer::take_rows;
use crate::graphql::inputs::{TimeRangeInput, bounded_range, days, list_filter, time_range};
use crate::graphql::scalars::{CurrencyCode, DateTime, Money};
use crate::rollups::CountSource;
use crate::services::impact::{ImpactQuery, impact_counts};
use crate::services::loyalty::{self as loyalty_service, LoyaltyDimension, LoyaltyPeriod, LoyaltyQuery};
use crate::services::satisfaction::{
    self as service, GroupCounts, GroupKey, SatisfactionFilter, SatisfactionQuery, bounded_period, previous_period,
};
use crate::stats::comparison::proportions;
use crate::stats::intervals::wilson;
use crate::stats::percent;
use crate::stats::satisfaction::{Category, Satisfaction};

pub struct Insights;

/// What a comparison compares the current set with.
#[derive(async_graphql::InputObject, Clone, Debug, Default)]
pub struct BaselineInput {
    /// The baseline period, with the same filter otherwise. Default: the period of equal length just
    /// before the filter's period.
    pub period: Option<TimeRangeInput>,
    /// A whole other filter (e.g. another segment); overrides `period`.
    pub filter: Option<SatisfactionFilterInput>,
}

fn satisfaction_query(
    metric: SurveyMetric,
    filter: SatisfactionFilter,
    group_by: Option<Vec<SatisfactionDimension>>,
    series: Option<TimeSeriesInput>,
) -> AppResult<SatisfactionQuery> {
    let buckets = match series {
        None => None,
        Some(series) => {
            let (from, to) = bounded_period(&filter.period)?;
            let tz = parse_time_zone("series.timeZone", &series.time_zone)?;
            Some(buckets(from, to, series.granularity.into(), tz)?)
        }
    };
    Ok(SatisfactionQuery { metric: metric.into(), filter, group_by: inputs::dimensions(group_by), buckets })
}

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
    /// Satisfaction (NPS, CSAT or CES) over the answers matching `filter`, optionally grouped by touchpoint
    /// kind, channel, segment and region, and split into a zero-filled time series. One row per group (and
    /// bucket); without grouping, exactly one row (per bucket).
    async fn satisfaction(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The metric to compute.")] metric: SurveyMetric,
        #[graphql(desc = "Which answers count.")] filter: Option<SatisfactionFilterInput>,
        #[graphql(desc = "Dimensions to group by, in any combination.")] group_by: Option<Vec<SatisfactionDimension>>,
        #[graphql(desc = "Split into calendar buckets of the filter's period (which then needs both ends).")]
        series: Option<TimeSeriesInput>,
        #[graphql(desc = "Rows with fewer answers are flagged `lowSample`.", default = 30)] min_sample: i32,
    ) -> Result<Vec<SatisfactionRow>> {
        let filter = filter.unwrap_or_default().into_domain("filter")?;
        let query = satisfaction_query(metric, filter, group_by, series)?;
        let rows = service::report(database(ctx)?, &query, self::min_sample(min_sample)?, count_source(ctx)).await?;
        take_rows(ctx, rows.len())?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let keys = GroupKeys::from(&row.key);
                SatisfactionRow {
                    touchpoint_kind: keys.touchpoint_kind,
                    channel: keys.channel,
                    segment: keys.segment,
                    region: keys.region,
                    bucket_start: row.bucket.map(|b| DateTime(b.start)),
                    bucket_end: row.bucket.map(|b| DateTime(b.end)),
                    score: score_object(metric, &row.counts, &row.satisfaction),
                }
            })
            .collect())
    }

    /// The same metric over two sets, per group: the current set (`filter`) and a baseline (by default
    /// the previous period of equal length), with delta, z, p-value and significance (p < 0.05).
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
    ) -> Result<Vec<SatisfactionComparisonRow>> {
        let current = filter.unwrap_or_default().into_domain("filter")?;
        let baseline = match baseline.unwrap_or_default() {
            BaselineInput { filter: Some(filter), .. } => filter.into_domain("baseline.filter")?,
            BaselineInput { period: Some(period), .. } => {
                SatisfactionFilter { period: time_range(Some(period), "baseline.period")?, ..current.clone() }
            }
            BaselineInput { .. } => SatisfactionFilter { period: previous_period(&current.period)?, ..current.clone() },
        };
        let current_query = satisfaction_query(metric, current, group_by.clone(), None)?;
        let baseline_query = satisfaction_query(metric, baseline, group_by, None)?;
        let rows = service::compare_sets(
            database(ctx)?,
            &current_query,
            &baseline_query,
            self::min_sample(min_sample)?,
            count_source(ctx),
        )
        .await?;
        take_rows(ctx, rows.len())?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let keys = GroupKeys::from(&row.key);
                SatisfactionComparisonRow {
                    touchpoint_kind: keys.touchpoint_kind,
                    channel: keys.channel,
                    segment: keys.segment,
                    region: keys.region,
                    current: score_object(metric, &row.current.0, &row.current.1),
                    baseline: score_object(metric, &row.baseline.0, &row.baseline.1),
                    delta: row.comparison.as_ref().map(|c| c.delta),
                    z: row.comparison.as_ref().and_then(|c| c.z),
                    p_value: row.comparison.as_ref().and_then(|c| c.p_value),
                    significant: row.comparison.as_ref().is_some_and(|c| c.significant),
                }
            })
            .collect())
    }

    /// Loyalty over a period (or each bucket of a series over it), optionally grouped by segment and
    /// region: activity, revenue per currency, repeat purchase, churn against the previous period of equal
    /// length, inactive customers and CLV. CANCELLED orders count for nothing; RETURNED orders count as
    /// orders with zero revenue.
    #[allow(clippy::too_many_arguments)]
    async fn loyalty(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period `[from, to)`; both ends are required.")] period: TimeRangeInput,
        #[graphql(desc = "Dimensions to group by.")] group_by: Option<Vec<LoyaltyDimensionInput>>,
        #[graphql(desc = "Split the period into calendar buckets, each compared with its own previous period.")]
        series: Option<TimeSeriesInput>,
        #[graphql(
            desc = "Compute lifetime figures (lifetime repeat rate, historic CLV, inactive) as of this date instead of each period's end."
        )]
        as_of: Option<DateTime>,
        #[graphql(desc = "Days without an order after which a customer counts as inactive.", default = 180)]
        inactive_window_days: i32,
    ) -> Result<Vec<LoyaltyRow>> {
        let (from, to) = bounded_range(period, "period")?;
        let inactive_window = days("inactiveWindowDays", inactive_window_days)?;
        let spans = match series {
            None => vec![(from, to)],
            Some(series) => {
                let tz = parse_time_zone("series.timeZone", &series.time_zone)?;
                buckets(from, to, series.granularity.into(), tz)?.into_iter().map(|b| (b.start, b.end)).collect()
            }
        };
        let periods = spans
            .into_iter()
            .map(|(start, end)| LoyaltyPeriod { start, end, as_of: as_of.map_or(end, |t| t.0) })
            .collect();
        let mut dimensions: Vec<LoyaltyDimension> = group_by
            .unwrap_or_default()
            .into_iter()
            .map(|d| match d {
                LoyaltyDimensionInput::Segment => LoyaltyDimension::Segment,
                LoyaltyDimensionInput::Region => LoyaltyDimension::Region,
            })
            .collect();
        dimensions.sort();
        dimensions.dedup();
        let query = LoyaltyQuery { periods, group_by: dimensions, inactive_window };
        let rows = loyalty_service::report(database(ctx)?, &query).await?;
        take_rows(ctx, rows.len())?;
        Ok(rows.into_iter().map(|row| loyalty_row(row, inactive_window_days)).collect())
    }

    /// Cohort retention: customers grouped by the period of their first order (CANCELLED excluded), and
    /// for each cohort and k = 0..periods-1 the share of it with at least one order in the k-th period
    /// after the cohort's own. Typed rows, ready for a heat map.
    async fn cohort_retention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "MONTH or WEEK cohorts.")] granularity: CohortGranularity,
        #[graphql(desc = "Cohorts whose period starts in `[from, to)`; both ends are required.")]
        cohorts: TimeRangeInput,
        #[graphql(desc = "How many periods to follow each cohort for, its own included (1 to 60).")] periods: i32,
        #[graphql(desc = "The IANA time zone of the calendar.", default_with = "String::from(\"UTC\")")]
        time_zone: String,
    ) -> Result<Vec<CohortRetentionCell>> {
        let (from, to) = bounded_range(cohorts, "cohorts")?;
        let periods = usize::try_from(periods).ok().filter(|p| (1..=60).contains(p));
        let periods = periods.ok_or_else(|| AppError::bad_input("periods", "must be between 1 and 60"))?;
        let tz = parse_time_zone("timeZone", &time_zone)?;
        let granularity = match granularity {
            CohortGranularity::Month => crate::domain::buckets::Granularity::Month,
            CohortGranularity::Week => crate::domain::buckets::Granularity::Week,
        };
        let cohort_count = buckets(from, to, granularity, tz)?.len();
        // The cohorts' periods and the follow-up periods of the last cohort, as one calendar run.
        let longest_period = chrono::Duration::days(if granularity == Granularity::Month.into() { 31 } else { 7 });
        let mut all = buckets(from, to + longest_period * periods as i32, granularity, tz)?;
        all.truncate(cohort_count + periods - 1);
        take_rows(ctx, cohort_count.saturating_mul(periods))?;
        let cells = crate::services::cohorts::retention(database(ctx)?, &all, cohort_count, periods).await?;
        Ok(cells
            .into_iter()
            .map(|cell| CohortRetentionCell {
                cohort_start: DateTime(cell.cohort.start),
                cohort_end: DateTime(cell.cohort.end),
                period_index: cell.period_index as i32,
                cohort_size: cell.cohort_size,
                retained_customers: cell.retained,
                share: percent(cell.retained, cell.cohort_size),
            })
            .collect())
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
        let counts = impact_counts(database(ctx)?, &query).await?;
        let best = counts.first().cloned();
        Ok(counts
            .into_iter()
            .enumerate()
            .map(|(index, c)| {
                let versus_best = best
                    .as_ref()
                    .filter(|_| index > 0)
                    .and_then(|b| proportions(c.repurchased, c.customers, b.repurchased, b.customers));
                TouchpointImpactRow {
                    category: category(c.category),
                    customers: c.customers,
                    repurchased_customers: c.repurchased,
                    repurchase_rate: percent(c.repurchased, c.customers),
                    interval: wilson(c.repurchased, c.customers)
                        .map(|(low, high)| ConfidenceInterval { lower: 100.0 * low, upper: 100.0 * high }),
                    difference_to_best: versus_best.as_ref().map(|v| v.delta),
                    p_value: versus_best.as_ref().and_then(|v| v.p_value),
                    significant: versus_best.is_some_and(|v| v.significant),
                }
            })
            .collect())
    }

    /// The score of one touchpoint kind over a period: the touchpoint-kind enum, asked for its score.
    async fn touchpoint_kind_score(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint kind.")] kind: TouchpointKind,
        #[graphql(desc = "The metric to compute.")] metric: SurveyMetric,
        #[graphql(desc = "Half-open period on the answers' submission time.")] period: Option<TimeRangeInput>,
        #[graphql(desc = "A score with fewer answers is flagged `lowSample`.", default = 30)] min_sample: i32,
    ) -> Result<SatisfactionScore> {
        let filter = SatisfactionFilter {
            period: time_range(period, "period")?,
            touchpoint_kinds: Some(vec![kind.into()]),
            ..Default::default()
        };
        let query = satisfaction_query(metric, filter, None, None)?;
        let rows = service::report(database(ctx)?, &query, self::min_sample(min_sample)?, count_source(ctx)).await?;
        let row =
            rows.into_iter().next().ok_or_else(|| AppError::Internal("an ungrouped report has one row".into()))?;
        Ok(score_object(metric, &row.counts, &row.satisfaction))
    }
}

/// The typed group keys of a row.
struct GroupKeys {
    touchpoint_kind: Option<TouchpointKind>,
    channel: Option<Channel>,
    segment: Option<String>,
    region: Option<String>,
}

impl From<&GroupKey> for GroupKeys {
    fn from(key: &GroupKey) -> Self {
        GroupKeys {
            touchpoint_kind: key
                .touchpoint_kind
                .clone()
                .and_then(|k| entity::TouchpointKind::try_from_value(&k).ok())
                .map(Into::into),
            channel: key.channel.clone().and_then(|c| entity::Channel::try_from_value(&c).ok()).map(Into::into),
            segment: key.segment.clone(),
            region: key.region.clone(),
        }
    }
}

pub fn category(category: Category) -> SatisfactionCategory {
    match category {
        Category::Promoter => SatisfactionCategory::Promoter,
        Category::Passive => SatisfactionCategory::Passive,
        Category::Detractor => SatisfactionCategory::Detractor,
        Category::Satisfied => SatisfactionCategory::Satisfied,
        Category::NotSatisfied => SatisfactionCategory::NotSatisfied,
        Category::Easy => SatisfactionCategory::Easy,
        Category::NotEasy => SatisfactionCategory::NotEasy,
    }
}

fn loyalty_row(row: loyalty_service::LoyaltyRow, inactive_window_days: i32) -> LoyaltyRow {
    let counts = &row.counts;
    LoyaltyRow {
        segment: row.key.segment.clone(),
        region: row.key.region.clone(),
        period_start: DateTime(row.period.start),
        period_end: DateTime(row.period.end),
        as_of: DateTime(row.period.as_of),
        active_customers: counts.active_customers,
        orders: counts.orders,
        purchase_frequency: row.purchase_frequency,
        repeat_customers: counts.repeat_customers,
        repeat_purchase_rate: row.repeat_purchase_rate,
        lifetime_customers: counts.lifetime_customers,
        lifetime_repeat_customers: counts.lifetime_repeat_customers,
        lifetime_repeat_purchase_rate: row.lifetime_repeat_purchase_rate,
        previously_active_customers: counts.previously_active,
        churned_customers: counts.churned,
        churn_rate: row.churn_rate,
        retention_rate: row.retention_rate,
        inactive_customers: counts.inactive_customers,
        inactive_window_days,
        currencies: row
            .currencies
            .iter()
            .map(|c| CurrencyLoyalty {
                currency: CurrencyCode(Money::from_minor(0, &c.currency).currency.0),
                orders: c.orders,
                revenue: Money::from_minor(c.revenue_minor, &c.currency),
                average_order_value: c.average_order_value,
                historic_clv_mean: c.historic_clv_mean,
                historic_clv_median: c.historic_clv_median,
                predicted_clv_heuristic: c.predicted_clv,
            })
            .collect(),
    }
}

fn score_object(metric: SurveyMetric, counts: &GroupCounts, s: &Satisfaction) -> SatisfactionScore {
    let histogram = service::score_histogram(metric.into(), counts);
    SatisfactionScore {
        metric,
        value: s.value,
        n: s.n,
        low_sample: s.low_sample,
        interval: s.interval.map(|(lower, upper)| ConfidenceInterval { lower, upper }),
        standard_error: s.standard_error,
        mean: s.mean,
        histogram: histogram.into_iter().map(|(score, count)| ScoreCount { score, count }).collect(),
        categories: s
            .categories
            .iter()
            .map(|c| CategoryCount { category: category(c.category), count: c.count, share: c.share })
            .collect(),
        surveys_sent: counts.surveyed,
        surveys_answered: counts.answered,
        response_rate: percent(counts.answered, counts.surveyed),
        comments: counts.commented,
        comment_rate: percent(counts.commented, s.n),
    }
}

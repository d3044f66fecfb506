//! Filter and ordering inputs, and their validation into the data layer's filters. Every error names
//! the input path (e.g. `filter.placedAt`) so a client can point at the field.

use async_graphql::{ID, InputObject};

use crate::domain::ids::{GlobalId, NodeType};
use crate::domain::validation::{MAX_TEXT, bounded};
use crate::error::{AppError, AppResult};
use crate::graphql::enums::{
    Channel, ComplaintCategory, ComplaintOutcome, ComplaintStatus, OrderStatus, SatisfactionCategory, SortDirection,
    SurveyMetric, TouchpointKind,
};
use crate::graphql::scalars::{CurrencyCode, DateTime};
use crate::services::complaints::{ComplaintFilter, ComplaintSort};
use crate::services::customers::{CustomerFilter, CustomerSort, Inactivity};
use crate::services::feedback::{FeedbackFilter, FeedbackSort};
use crate::services::filters::{IntRange, TimeRange};
use crate::services::orders::{OrderFilter, OrderSort};
use crate::services::pagination::Sort;
use crate::services::touchpoints::{TouchpointFilter, TouchpointSort};

/// The most values a list filter may hold.
const MAX_LIST_LEN: usize = 100;

/// A half-open time range `[from, to)`. Either end may be left open.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct TimeRangeInput {
    /// Inclusive start.
    pub from: Option<DateTime>,
    /// Exclusive end.
    pub to: Option<DateTime>,
}

impl TimeRangeInput {
    fn into_domain(self, path: &str) -> AppResult<TimeRange> {
        let (from, to) = (self.from.map(|t| t.0), self.to.map(|t| t.0));
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            return Err(AppError::bad_input(path, "from must not be after to"));
        }
        Ok(TimeRange { from, to })
    }
}

/// An inclusive integer range `[min, max]`. Either end may be left open.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct IntRangeInput {
    /// Inclusive lower bound.
    pub min: Option<i32>,
    /// Inclusive upper bound.
    pub max: Option<i32>,
}

impl IntRangeInput {
    fn into_domain(self, path: &str) -> AppResult<IntRange> {
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            return Err(AppError::bad_input(path, "min must not be greater than max"));
        }
        Ok(IntRange { min: self.min, max: self.max })
    }
}

/// A number of days given as an argument: 1 day to 10 years.
pub fn days(field: &str, days: i32) -> AppResult<chrono::Duration> {
    if (1..=3650).contains(&days) {
        Ok(chrono::Duration::days(days.into()))
    } else {
        Err(AppError::bad_input(field, "must be between 1 and 3650 days"))
    }
}

/// A period that must have both ends, `from` before `to`.
pub fn bounded_range(
    input: TimeRangeInput,
    path: &str,
) -> AppResult<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
    match (input.from, input.to) {
        (Some(from), Some(to)) if from.0 < to.0 => Ok((from.0, to.0)),
        _ => Err(AppError::bad_input(path, "give both from and to, from before to")),
    }
}

pub fn time_range(input: Option<TimeRangeInput>, path: &str) -> AppResult<TimeRange> {
    input.map(|r| r.into_domain(path)).transpose().map(Option::unwrap_or_default)
}

/// Checks a list filter's size and converts its values.
pub fn list_filter<T, U: From<T>>(values: Option<Vec<T>>, path: &str) -> AppResult<Option<Vec<U>>> {
    match values {
        Some(values) if values.len() > MAX_LIST_LEN => {
            Err(AppError::bad_input(path, format!("at most {MAX_LIST_LEN} values")))
        }
        Some(values) => Ok(Some(values.into_iter().map(U::from).collect())),
        None => Ok(None),
    }
}

pub fn string_filter(values: Option<Vec<String>>, path: &str) -> AppResult<Option<Vec<String>>> {
    for (i, value) in values.iter().flatten().enumerate() {
        check_text(&format!("{path}[{i}]"), value)?;
    }
    list_filter(values, path)
}

/// A row named by global `id` or by `externalId`, exactly one of the two: how lookups and mutation
/// targets name rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RowKey {
    Id(i64),
    ExternalId(String),
}

/// The path of the input field `name` of the object at `at` (empty for a field's own arguments):
/// `input.externalId`, `externalId`.
pub fn input_path(at: &str, name: &str) -> String {
    if at.is_empty() { name.to_owned() } else { format!("{at}.{name}") }
}

/// `at` is the path of the object holding them: empty for a field's own arguments, `input` for an input.
pub fn row_key(id: Option<ID>, external_id: Option<String>, node_type: NodeType, at: &str) -> AppResult<RowKey> {
    let path = |name: &str| input_path(at, name);
    match (id, external_id) {
        (Some(id), None) => Ok(RowKey::Id(GlobalId::decode_as(&path("id"), &id, node_type)?)),
        (None, Some(external_id)) => {
            check_text(&path("externalId"), &external_id)?;
            Ok(RowKey::ExternalId(external_id))
        }
        _ => Err(AppError::bad_input(path("id"), "give exactly one of id and externalId")),
    }
}

/// An input field given under its name or under its deprecated former name: either, or both when equal.
pub fn renamed<T: PartialEq>(value: Option<T>, former: Option<T>, path: &str, name: &str) -> AppResult<Option<T>> {
    match (value, former) {
        (Some(value), Some(former)) if value != former => Err(AppError::bad_input(
            format!("{path}.{name}"),
            "differs from the value under its deprecated former name",
        )),
        (value, former) => Ok(value.or(former)),
    }
}

/// A string a client sends to be matched: bounded as the texts a write stores, and without NUL, which
/// PostgreSQL cannot hold (it would fail as a database error instead of a clear one).
pub fn check_text(path: &str, value: &str) -> AppResult<()> {
    bounded(value, MAX_TEXT).map_err(|rule| AppError::bad_input(path, rule.to_string()))
}

/// Which customers to list. Conditions combine with AND; a list matches any of its values, and an
/// empty list matches nothing.
#[derive(InputObject, Clone, Debug, Default)]
pub struct CustomerFilterInput {
    /// Customers in any of these segments.
    pub segments: Option<Vec<String>>,
    /// Customers in any of these regions.
    pub regions: Option<Vec<String>>,
    /// Customers with any of these external ids.
    pub external_ids: Option<Vec<String>>,
    /// Customers created in this range.
    pub created_at: Option<TimeRangeInput>,
    /// Customers whose number of orders (CANCELLED excluded) lies in this inclusive range.
    pub order_count: Option<IntRangeInput>,
    /// Customers with at least one order but none in the last this many days before `asOf`
    /// ("inactive", "at risk"), as `orderSummary` and loyalty count them.
    pub inactive_window_days: Option<i32>,
    /// The date `inactiveWindowDays` counts back from; default: now.
    pub as_of: Option<DateTime>,
    /// The former name of `inactiveWindowDays`.
    #[graphql(deprecation = "Use `inactiveWindowDays`, the name `orderSummary` and loyalty use.")]
    pub inactive_for_days: Option<i32>,
    /// The former name of `asOf`.
    #[graphql(deprecation = "Use `asOf`, the name `orderSummary` and loyalty use.")]
    pub activity_as_of: Option<DateTime>,
    /// Customers whose latest NPS answer is in one of these categories (PROMOTER, PASSIVE, DETRACTOR;
    /// the categories of other metrics match no NPS answer).
    pub latest_nps_categories: Option<Vec<SatisfactionCategory>>,
    /// Only customers a write changed at or after this time (`updatedAt`): an incremental extract's window.
    pub updated_since: Option<DateTime>,
}

impl CustomerFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<CustomerFilter> {
        Ok(CustomerFilter {
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
            external_ids: string_filter(self.external_ids, &format!("{path}.externalIds"))?,
            created_at: time_range(self.created_at, &format!("{path}.createdAt"))?,
            order_count: self
                .order_count
                .map(|r| r.into_domain(&format!("{path}.orderCount")))
                .transpose()?
                .unwrap_or_default(),
            inactive: match renamed(self.inactive_window_days, self.inactive_for_days, path, "inactiveWindowDays")? {
                None => None,
                Some(days) if (1..=3650).contains(&days) => {
                    let as_of = renamed(self.as_of, self.activity_as_of, path, "asOf")?;
                    let as_of = as_of.map_or_else(chrono::Utc::now, |t| t.0);
                    Some(Inactivity { since: as_of - chrono::Duration::days(days.into()), as_of })
                }
                Some(_) => {
                    let field = format!("{path}.inactiveWindowDays");
                    return Err(AppError::bad_input(field, "must be between 1 and 3650"));
                }
            },
            latest_nps_categories: list_filter(self.latest_nps_categories, &format!("{path}.latestNpsCategories"))?,
            updated_since: self.updated_since.map(|t| t.0),
        })
    }
}

/// Which orders to list. Conditions combine with AND; a list matches any of its values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct OrderFilterInput {
    /// Orders in any of these states.
    pub statuses: Option<Vec<OrderStatus>>,
    /// Orders in any of these currencies.
    pub currencies: Option<Vec<CurrencyCode>>,
    /// Orders placed in this range.
    pub placed_at: Option<TimeRangeInput>,
    /// Orders of customers in any of these segments.
    pub segments: Option<Vec<String>>,
    /// Orders of customers in any of these regions.
    pub regions: Option<Vec<String>>,
    /// Only orders a write changed at or after this time (`updatedAt`): an incremental extract's window.
    pub updated_since: Option<DateTime>,
}

impl OrderFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<OrderFilter> {
        let currencies = self.currencies.map(|codes| codes.into_iter().map(|c| c.0.code.to_owned()).collect());
        Ok(OrderFilter {
            statuses: list_filter(self.statuses, &format!("{path}.statuses"))?,
            currencies: list_filter(currencies, &format!("{path}.currencies"))?,
            placed_at: time_range(self.placed_at, &format!("{path}.placedAt"))?,
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
            updated_since: self.updated_since.map(|t| t.0),
        })
    }
}

/// Which touchpoints to list. Conditions combine with AND; a list matches any of its values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct TouchpointFilterInput {
    /// Touchpoints of any of these kinds.
    pub kinds: Option<Vec<TouchpointKind>>,
    /// Touchpoints on any of these channels.
    pub channels: Option<Vec<Channel>>,
    /// Touchpoints that happened in this range.
    pub occurred_at: Option<TimeRangeInput>,
    /// Only touchpoints that sent a survey (true) or that did not (false).
    pub survey_sent: Option<bool>,
    /// Touchpoints of orders in any of these states; touchpoints without an order never match.
    pub order_statuses: Option<Vec<OrderStatus>>,
    /// Touchpoints of customers in any of these segments.
    pub segments: Option<Vec<String>>,
    /// Touchpoints of customers in any of these regions.
    pub regions: Option<Vec<String>>,
    /// Only touchpoints a write changed at or after this time (`updatedAt`): an incremental extract's window.
    pub updated_since: Option<DateTime>,
}

impl TouchpointFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<TouchpointFilter> {
        Ok(TouchpointFilter {
            kinds: list_filter(self.kinds, &format!("{path}.kinds"))?,
            channels: list_filter(self.channels, &format!("{path}.channels"))?,
            occurred_at: time_range(self.occurred_at, &format!("{path}.occurredAt"))?,
            survey_sent: self.survey_sent,
            order_statuses: list_filter(self.order_statuses, &format!("{path}.orderStatuses"))?,
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
            updated_since: self.updated_since.map(|t| t.0),
        })
    }
}

/// Which answers to list. Conditions combine with AND; a list matches any of its values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct FeedbackFilterInput {
    /// Answers to any of these survey metrics.
    pub metrics: Option<Vec<SurveyMetric>>,
    /// Answers whose score lies in this inclusive range (on the answer's own scale).
    pub score: Option<IntRangeInput>,
    /// Answers in any of these categories, each category implying its metric: e.g. `[DETRACTOR]` for NPS
    /// answers 0-6, `[PROMOTER, SATISFIED]` for NPS answers 9-10 and CSAT answers 4-5.
    pub categories: Option<Vec<SatisfactionCategory>>,
    /// Answers submitted in this range.
    pub submitted_at: Option<TimeRangeInput>,
    /// Answers given at a touchpoint of any of these kinds; relationship surveys never match.
    pub touchpoint_kinds: Option<Vec<TouchpointKind>>,
    /// Answers given at touchpoints on any of these channels; relationship surveys never match.
    pub channels: Option<Vec<Channel>>,
    /// Answers given at touchpoints of orders in any of these states; answers without an order never
    /// match.
    pub order_statuses: Option<Vec<OrderStatus>>,
    /// Answers of customers in any of these segments.
    pub segments: Option<Vec<String>>,
    /// Answers of customers in any of these regions.
    pub regions: Option<Vec<String>>,
    /// Only answers with a non-empty comment (true) or without one (false).
    pub has_comment: Option<bool>,
    /// Only answers a write changed at or after this time (`updatedAt`): an incremental extract's window.
    pub updated_since: Option<DateTime>,
}

impl FeedbackFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<FeedbackFilter> {
        Ok(FeedbackFilter {
            metrics: list_filter(self.metrics, &format!("{path}.metrics"))?,
            score: self.score.map(|r| r.into_domain(&format!("{path}.score"))).transpose()?.unwrap_or_default(),
            categories: list_filter(self.categories, &format!("{path}.categories"))?,
            submitted_at: time_range(self.submitted_at, &format!("{path}.submittedAt"))?,
            touchpoint_kinds: list_filter(self.touchpoint_kinds, &format!("{path}.touchpointKinds"))?,
            channels: list_filter(self.channels, &format!("{path}.channels"))?,
            order_statuses: list_filter(self.order_statuses, &format!("{path}.orderStatuses"))?,
            segments: string_filter(self.segments, &format!("{path}.segments"))?,
            regions: string_filter(self.regions, &format!("{path}.regions"))?,
            has_comment: self.has_comment,
            updated_since: self.updated_since.map(|t| t.0),
        })
    }
}

/// Which complaints to list. Conditions combine with AND; a list matches any of its values.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ComplaintFilterInput {
    /// Complaints in any of these categories.
    pub categories: Option<Vec<ComplaintCategory>>,
    /// Complaints made on any of these channels.
    pub channels: Option<Vec<Channel>>,
    /// Complaints in any of these states.
    pub statuses: Option<Vec<ComplaintStatus>>,
    /// Closed complaints with any of these outcomes; open ones never match.
    pub outcomes: Option<Vec<ComplaintOutcome>>,
    /// Complaints opened in this range.
    pub opened_at: Option<TimeRangeInput>,
    /// Complaints closed (resolved or not) in this range; open ones never match a range with a bound.
    pub resolved_at: Option<TimeRangeInput>,
}

impl ComplaintFilterInput {
    pub fn into_domain(self, path: &str) -> AppResult<ComplaintFilter> {
        Ok(ComplaintFilter {
            categories: list_filter(self.categories, &format!("{path}.categories"))?,
            channels: list_filter(self.channels, &format!("{path}.channels"))?,
            statuses: list_filter(self.statuses, &format!("{path}.statuses"))?,
            outcomes: list_filter(self.outcomes, &format!("{path}.outcomes"))?,
            opened_at: time_range(self.opened_at, &format!("{path}.openedAt"))?,
            resolved_at: time_range(self.resolved_at, &format!("{path}.resolvedAt"))?,
        })
    }
}

macro_rules! order_by_input {
    ($(#[$meta:meta])* $input:ident, $field_enum:ident => $sort:ident, default $default:ident { $($(#[doc = $doc:literal])* $variant:ident),+ $(,)? }) => {
        /// A column to order by; ties are broken by the internal id.
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $field_enum {
            $($(#[doc = $doc])* $variant),+
        }

        $(#[$meta])*
        #[derive(InputObject, Clone, Copy, Debug)]
        pub struct $input {
            /// The column to order by.
            pub field: $field_enum,
            /// The direction, ascending by default.
            #[graphql(default)]
            pub direction: SortDirection,
        }

        impl $input {
            /// The requested order, or the default one.
            pub fn into_domain(input: Option<Self>) -> Sort<$sort> {
                match input {
                    None => Sort { field: $sort::$default, direction: SortDirection::Asc.into() },
                    Some(input) => Sort {
                        field: match input.field {
                            $($field_enum::$variant => $sort::$variant),+
                        },
                        direction: input.direction.into(),
                    },
                }
            }
        }
    };
}

/// A column or aggregate to order customers by; ties are broken by the internal id.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CustomerSortField {
    /// Creation time.
    CreatedAt,
    /// Name.
    Name,
    /// External id.
    ExternalId,
    /// Insertion order.
    Id,
    /// When a write last changed the customer (`updatedAt`): the order of an incremental extract.
    UpdatedAt,
    /// Number of orders (CANCELLED excluded).
    OrderCount,
    /// Total spent in `currency` (RETURNED orders count 0); needs `currency`.
    TotalSpent,
    /// The predicted CLV stored with the CLV model of `currency` (52 weeks ahead, discounted at 10% a
    /// year: `docs/clv.md`); needs `currency`. Customers the model does not cover come last when
    /// descending.
    PredictedClv,
    /// The probability of being alive stored with the CLV model of `currency`; needs `currency`.
    /// Customers the model does not cover come last when descending.
    ProbabilityAlive,
}

/// The order of a customers list; by default oldest first (`CREATED_AT`, `ASC`).
#[derive(InputObject, Clone, Copy, Debug)]
pub struct CustomerOrderBy {
    /// The column or aggregate to order by.
    pub field: CustomerSortField,
    /// The direction, ascending by default.
    #[graphql(default)]
    pub direction: SortDirection,
    /// The currency of `TOTAL_SPENT`, `PREDICTED_CLV` and `PROBABILITY_ALIVE`: amounts are never summed
    /// across currencies, and each currency has its own CLV model.
    pub currency: Option<CurrencyCode>,
}

impl CustomerOrderBy {
    /// The requested order, or the default one.
    pub fn into_domain(input: Option<Self>) -> AppResult<Sort<CustomerSort>> {
        let Some(input) = input else {
            return Ok(Sort { field: CustomerSort::CreatedAt, direction: SortDirection::Asc.into() });
        };
        let field = match input.field {
            CustomerSortField::CreatedAt => CustomerSort::CreatedAt,
            CustomerSortField::Name => CustomerSort::Name,
            CustomerSortField::ExternalId => CustomerSort::ExternalId,
            CustomerSortField::Id => CustomerSort::Id,
            CustomerSortField::UpdatedAt => CustomerSort::UpdatedAt,
            CustomerSortField::OrderCount => CustomerSort::OrderCount,
            CustomerSortField::TotalSpent => CustomerSort::TotalSpent(currency_of(input, "TOTAL_SPENT")?),
            CustomerSortField::PredictedClv => CustomerSort::PredictedClv(currency_of(input, "PREDICTED_CLV")?),
            CustomerSortField::ProbabilityAlive => {
                CustomerSort::ProbabilityAlive(currency_of(input, "PROBABILITY_ALIVE")?)
            }
        };
        Ok(Sort { field, direction: input.direction.into() })
    }
}

/// The currency an order by `field` needs.
fn currency_of(input: CustomerOrderBy, field: &str) -> AppResult<&'static str> {
    match input.currency {
        Some(currency) => Ok(currency.0.code),
        None => Err(AppError::bad_input("orderBy.currency", format!("{field} needs a currency"))),
    }
}

order_by_input! {
    /// The order of an orders list; by default earliest first (`PLACED_AT`, `ASC`).
    OrderOrderBy, OrderSortField => OrderSort, default PlacedAt {
        /// Time the order was placed.
        PlacedAt,
        /// Total amount; amounts compare within one currency only, so this needs a filter on exactly one
        /// currency (`filter.currencies`).
        TotalAmount,
        /// Insertion order.
        Id,
        /// When a write last changed the order (`updatedAt`): the order of an incremental extract.
        UpdatedAt,
    }
}

order_by_input! {
    /// The order of a touchpoints list; by default earliest first (`OCCURRED_AT`, `ASC`).
    TouchpointOrderBy, TouchpointSortField => TouchpointSort, default OccurredAt {
        /// Time the touchpoint happened.
        OccurredAt,
        /// Insertion order.
        Id,
        /// When a write last changed the touchpoint (`updatedAt`): the order of an incremental extract.
        UpdatedAt,
    }
}

order_by_input! {
    /// The order of a feedback list; by default earliest first (`SUBMITTED_AT`, `ASC`).
    FeedbackOrderBy, FeedbackSortField => FeedbackSort, default SubmittedAt {
        /// Time the answer was submitted.
        SubmittedAt,
        /// Score (meaningful within one metric).
        Score,
        /// Insertion order.
        Id,
        /// When a write last changed the answer (`updatedAt`): the order of an incremental extract.
        UpdatedAt,
    }
}

order_by_input! {
    /// The order of a complaints list; by default earliest first (`OPENED_AT`, `ASC`).
    ComplaintOrderBy, ComplaintSortField => ComplaintSort, default OpenedAt {
        /// Time the complaint was opened.
        OpenedAt,
        /// Insertion order.
        Id,
    }
}

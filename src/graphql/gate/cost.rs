//! The price of an operation, computed from its document before anything runs.
//!
//! A field costs 1 plus what it selects. A connection costs its page size (the default when none is
//! given) times what each row selects, plus 1; `nodes(ids)` likewise per ID. An insight costs the rows
//! it answers times what each row selects, plus the work behind them: rows are groups × buckets for
//! satisfaction series, periods × segment and region groups for loyalty, cohorts × periods for cohort
//! retention, groups × periods (× outcomes for recovery) for the complaint insights; the work is one point per `CUSTOMERS_PER_POINT` customers for every period that loyalty
//! and cohorts compute over the whole customer base. A CLV model's tracking plot is priced at its most
//! rows; a customer's CLV `value` a point more per `CLV_PERIODS_PER_POINT` periods it sums over; a CLV
//! fit, ten periods of work over the whole customer base. The number of customers, segments and regions is
//! the data's, refreshed in the background (`DataShape`), so a bigger database prices the same request
//! higher.
//!
//! Prices are upper estimates: a short page or few groups cost less when they run, and the difference
//! is refunded to the key's rate-limit budget (`actual`, counted from the answer, plus the work, which
//! is spent whatever the answer's size).

use std::cell::Cell;

use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::resolver_utils::EnumType;
use async_graphql::{Value, Variables};
use chrono::{DateTime, Utc};

use crate::domain::buckets::{Granularity, bucket_count_bound};
use crate::graphql::enums::{Channel, ComplaintCategory, SurveyMetric, TouchpointKind};
use crate::graphql::gate::schema_map::SchemaMap;
use crate::services::pagination::DEFAULT_PAGE_SIZE;
use crate::stats::clv::tracking;

/// The rows of service recovery per group and period: one per outcome.
const RECOVERY_OUTCOMES: u64 = 4;

/// Loyalty and cohort work: one cost point per this many customers per period computed.
pub const CUSTOMERS_PER_POINT: u64 = 100;

/// A customer's CLV `value`: one cost point per this many periods it sums over (each a hypergeometric
/// series).
pub const CLV_PERIODS_PER_POINT: u64 = 52;

/// A CLV fit reads every order in the currency twice and fits on every customer: priced as this many
/// periods of work over the whole customer base.
const CLV_FIT_PERIODS: u64 = 10;

/// What the data holds, as far as prices depend on it.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct DataShape {
    pub customers: u64,
    pub segments: u64,
    pub regions: u64,
}

impl Default for DataShape {
    /// Before the first reading: a small database.
    fn default() -> Self {
        DataShape { customers: 1_000, segments: 5, regions: 5 }
    }
}

/// Prices the fields of one operation.
pub struct Pricing<'a> {
    pub document: &'a ExecutableDocument,
    pub variables: &'a Variables,
    pub schema: &'a SchemaMap,
    pub data: DataShape,
    /// The part of the prices computed so far that is work behind insights (loyalty, cohorts, impact):
    /// spent when they run, however small their answers.
    pub work: Cell<u64>,
}

/// How a field is priced.
enum Rule {
    /// 1 plus what it selects.
    Plain,
    /// Page size × what a row selects, plus 1.
    Connection,
    /// The number of items of a list argument × what each item selects, plus 1: `nodes(ids)`, and the
    /// answers of a batch upsert (each a write).
    PerItem(&'static str),
    Satisfaction,
    SatisfactionComparison,
    Loyalty,
    CohortRetention,
    TouchpointImpact,
    /// Complaint handling and the loop: groups × periods.
    ComplaintGroups,
    /// Service recovery: groups × periods × its four outcomes.
    ComplaintRecovery,
    /// A CLV model's tracking plot: at most `tracking::MAX_PERIODS` rows.
    ClvTracking,
    /// A customer's CLV value over `periods`.
    ClvValue,
    ClvFit,
}

fn rule(parent: &str, field: &str, returns: Option<&str>) -> Rule {
    match (parent, field) {
        ("Query", "nodes") => Rule::PerItem("ids"),
        ("Mutation", "upsertFeedbacks") => Rule::PerItem("inputs"),
        ("Insights", "satisfaction") => Rule::Satisfaction,
        ("Insights", "satisfactionComparison") => Rule::SatisfactionComparison,
        ("Insights", "loyalty") => Rule::Loyalty,
        ("Insights", "cohortRetention") => Rule::CohortRetention,
        ("Insights", "touchpointImpact") => Rule::TouchpointImpact,
        ("Insights", "complaintHandling" | "complaintLoop") => Rule::ComplaintGroups,
        ("Insights", "complaintRecovery") => Rule::ComplaintRecovery,
        ("ClvModel", "tracking") => Rule::ClvTracking,
        ("CustomerClv", "value") => Rule::ClvValue,
        ("Mutation", "fitClvModel" | "fitClvModels") => Rule::ClvFit,
        _ if returns.is_some_and(|ty| ty.ends_with("Connection")) => Rule::Connection,
        _ => Rule::Plain,
    }
}

impl<'a> Pricing<'a> {
    pub fn new(
        document: &'a ExecutableDocument,
        variables: &'a Variables,
        schema: &'a SchemaMap,
        data: DataShape,
    ) -> Pricing<'a> {
        Pricing { document, variables, schema, data, work: Cell::default() }
    }

    /// The price of a selection set on `parent` (a type name; empty when unknown, as inside
    /// introspection, where every field costs 1 plus what it selects).
    pub fn selection_set(&self, set: &SelectionSet, parent: &str) -> u64 {
        let mut total: u64 = 0;
        for item in &set.items {
            let part = match &item.node {
                Selection::Field(field) => self.field(&field.node, parent),
                Selection::InlineFragment(inline) => {
                    let on = inline.node.type_condition.as_ref().map_or(parent, |c| c.node.on.node.as_str());
                    self.selection_set(&inline.node.selection_set.node, on)
                }
                Selection::FragmentSpread(spread) => match self.document.fragments.get(&spread.node.fragment_name.node)
                {
                    Some(fragment) => self.selection_set(
                        &fragment.node.selection_set.node,
                        fragment.node.type_condition.node.on.node.as_str(),
                    ),
                    None => 0,
                },
            };
            total = total.saturating_add(part);
        }
        total
    }

    fn field(&self, field: &Field, parent: &str) -> u64 {
        let name = field.name.node.as_str();
        if name == "__typename" {
            return 1;
        }
        let returns = self.schema.field(parent, name).map(|ty| ty.named.as_str());
        let child = self.selection_set(&field.selection_set.node, returns.unwrap_or(""));
        let rows_of = |rows: u64| rows.saturating_mul(child).saturating_add(1);
        let work = |periods: u64| {
            let points = periods.saturating_mul(self.data.customers.div_ceil(CUSTOMERS_PER_POINT));
            self.work.set(self.work.get().saturating_add(points));
            points
        };
        match rule(parent, name, returns) {
            Rule::Plain => child.saturating_add(1),
            Rule::Connection => rows_of(self.page_size(field).max(1)),
            Rule::PerItem(argument) => rows_of(self.list_len(field, argument).max(1)),
            Rule::Satisfaction => {
                let buckets = self.series_buckets(field, &["filter", "period"]);
                let groups = self.satisfaction_groups(field).saturating_add(self.total_rows(field));
                rows_of(groups.saturating_mul(buckets))
            }
            // A total is one more row, read from the rollups like the groups: no work.
            Rule::SatisfactionComparison => {
                rows_of(self.satisfaction_groups(field).saturating_add(self.total_rows(field)))
            }
            Rule::Loyalty => {
                let periods = self.series_buckets(field, &["period"]);
                let mut groups = 1;
                for dimension in self.enum_list(field, "groupBy") {
                    groups *= match dimension.as_str() {
                        "SEGMENT" => self.data.segments.max(1),
                        "REGION" => self.data.regions.max(1),
                        _ => 1,
                    };
                }
                // A total is the same pass again, without grouping.
                let (total, passes) = (self.total_rows(field), 1 + self.total_rows(field));
                rows_of(periods.saturating_mul(groups.saturating_add(total))).saturating_add(work(periods * passes))
            }
            Rule::CohortRetention => {
                let given =
                    self.argument(field, &["series", "granularity"]).or_else(|| self.argument(field, &["granularity"]));
                let granularity = match given.as_ref().and_then(enum_name) {
                    Some("WEEK") => Granularity::Week,
                    _ => Granularity::Month,
                };
                let cohorts = self.period_buckets(field, &["cohorts"], granularity);
                let periods = self.argument(field, &["periods"]).as_ref().and_then(int).unwrap_or(1);
                rows_of(cohorts.saturating_mul(periods.max(1))).saturating_add(work(1))
            }
            // Groups × periods, over the complaints (or dissatisfied answers) of every customer.
            // A total is the same statement again, without grouping: a row per period, and its pass.
            Rule::ComplaintGroups => {
                let totals = self.total_rows(field).saturating_mul(self.series_buckets(field, &["period"]));
                rows_of(self.complaint_rows(field, 0).saturating_add(totals))
                    .saturating_add(work(1 + self.total_rows(field)))
            }
            // The same with a row per outcome, over every customer's complaints, answers and orders.
            Rule::ComplaintRecovery => {
                // Grouped by category, the customers who did not complain have none.
                let totals = self.total_rows(field).saturating_mul(self.series_buckets(field, &["period"]));
                let rows = self.complaint_rows(field, 1).saturating_add(totals).saturating_mul(RECOVERY_OUTCOMES);
                rows_of(rows).saturating_add(work(1 + self.total_rows(field)))
            }
            // One row per answer category (at most three per metric), over every customer's orders.
            Rule::TouchpointImpact => rows_of(3).saturating_add(work(1)),
            // The stored rows, read back: their number is only known once read.
            Rule::ClvTracking => rows_of(tracking::MAX_PERIODS as u64),
            // Priced per row by the periods it sums over; not counted as work (spent whatever the answer):
            // the price is for the selection once, not per row of the page around it.
            Rule::ClvValue => {
                let periods = self.argument(field, &["periods"]).as_ref().and_then(int).unwrap_or(1);
                child.saturating_add(1).saturating_add(periods.div_ceil(CLV_PERIODS_PER_POINT))
            }
            Rule::ClvFit => child.saturating_add(1).saturating_add(work(CLV_FIT_PERIODS)),
        }
    }

    /// Groups × periods of the complaint insights: the product of each grouped dimension's number of
    /// values (categories and `extra_categories` more) times the periods of the series.
    fn complaint_rows(&self, field: &Field, extra_categories: u64) -> u64 {
        let periods = self.series_buckets(field, &["period"]);
        let groups = self
            .distinct_enums(field, "groupBy")
            .iter()
            .map(|dimension| match dimension.as_str() {
                "CATEGORY" => ComplaintCategory::items().len() as u64 + extra_categories,
                "CHANNEL" => Channel::items().len() as u64,
                "METRIC" => SurveyMetric::items().len() as u64,
                "TOUCHPOINT_KIND" => TouchpointKind::items().len() as u64,
                "SEGMENT" => self.data.segments.max(1),
                "REGION" => self.data.regions.max(1),
                _ => 1,
            })
            .fold(1u64, u64::saturating_mul);
        periods.saturating_mul(groups)
    }

    /// `first` or `last`, else the default page size.
    fn page_size(&self, field: &Field) -> u64 {
        for name in ["first", "last"] {
            match self.argument(field, &[name]) {
                Some(Value::Null) | None => continue,
                // A value that is not an Int is refused by validation; it costs nothing here.
                Some(value) => return int(&value).unwrap_or(0),
            }
        }
        DEFAULT_PAGE_SIZE
    }

    /// Satisfaction groups: the product of each grouped dimension's number of values (a touchpoint kind
    /// or channel may also be absent, for relationship surveys).
    fn satisfaction_groups(&self, field: &Field) -> u64 {
        self.distinct_enums(field, "groupBy")
            .iter()
            .map(|dimension| match dimension.as_str() {
                "TOUCHPOINT_KIND" => TouchpointKind::items().len() as u64 + 1,
                "CHANNEL" => Channel::items().len() as u64 + 1,
                "SEGMENT" => self.data.segments.max(1),
                "REGION" => self.data.regions.max(1),
                _ => 1,
            })
            .fold(1u64, u64::saturating_mul)
    }

    /// Buckets of the field's `series` over the period at `period_path`; 1 without a series.
    fn series_buckets(&self, field: &Field, period_path: &[&str]) -> u64 {
        let granularity = match self.argument(field, &["series", "granularity"]).as_ref().and_then(enum_name) {
            Some("DAY") => Granularity::Day,
            Some("WEEK") => Granularity::Week,
            Some("MONTH") => Granularity::Month,
            Some("QUARTER") => Granularity::Quarter,
            Some(_) => Granularity::Year,
            None => return 1,
        };
        self.period_buckets(field, period_path, granularity)
    }

    /// Buckets of `granularity` over the period at `period_path`; 1 when it is not a bounded period
    /// (the field then refuses to run).
    fn period_buckets(&self, field: &Field, period_path: &[&str], granularity: Granularity) -> u64 {
        let end = |name: &str| {
            let mut path = period_path.to_vec();
            path.push(name);
            match self.argument(field, &path) {
                Some(Value::String(text)) => DateTime::parse_from_rfc3339(&text).ok().map(|t| t.with_timezone(&Utc)),
                _ => None,
            }
        };
        match (end("from"), end("to")) {
            (Some(from), Some(to)) => bucket_count_bound(from, to, granularity),
            _ => 1,
        }
    }

    /// The distinct values of an enum list argument.
    fn distinct_enums(&self, field: &Field, name: &str) -> Vec<String> {
        let mut values = self.enum_list(field, name);
        values.sort();
        values.dedup();
        values
    }

    fn enum_list(&self, field: &Field, name: &str) -> Vec<String> {
        match self.argument(field, &[name]) {
            Some(Value::List(items)) => items.iter().filter_map(enum_name).map(str::to_owned).collect(),
            Some(value) => enum_name(&value).map(str::to_owned).into_iter().collect(),
            None => Vec::new(),
        }
    }

    fn list_len(&self, field: &Field, name: &str) -> u64 {
        match self.argument(field, &[name]) {
            Some(Value::List(items)) => items.len() as u64,
            Some(Value::Null) | None => 0,
            Some(_) => 1,
        }
    }

    /// 1 when a grouped insight is asked for its total rows (`withTotal: true`), else 0.
    fn total_rows(&self, field: &Field) -> u64 {
        let grouped = !self.enum_list(field, "groupBy").is_empty();
        let asked = matches!(self.argument(field, &["withTotal"]), Some(Value::Boolean(true)));
        u64::from(grouped && asked)
    }

    /// The value at `path` inside the field's arguments (an argument, then input object members), with
    /// variables substituted. `None` when absent or not given a value.
    fn argument(&self, field: &Field, path: &[&str]) -> Option<Value> {
        let (first, rest) = path.split_first()?;
        let (_, value) = field.arguments.iter().find(|(name, _)| name.node.as_str() == *first)?;
        let mut value = value.node.clone().into_const_with(|name| self.variables.get(&name).cloned().ok_or(())).ok()?;
        for member in rest {
            value = match value {
                Value::Object(mut object) => object.shift_remove(*member)?,
                _ => return None,
            };
        }
        Some(value)
    }
}

/// A GraphQL `Int` (32 bits) that is not negative.
fn int(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().filter(|n| i32::try_from(*n).is_ok()),
        _ => None,
    }
}

/// An enum value's name: written in the document, or given as a string in the variables.
fn enum_name(value: &Value) -> Option<&str> {
    match value {
        Value::Enum(name) => Some(name.as_str()),
        Value::String(name) => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::DocumentOperations;

    use super::*;

    fn price(query: &str, variables: serde_json::Value, data: DataShape) -> u64 {
        price_and_work(query, variables, data).0
    }

    /// The price and the part of it that is insight work.
    fn price_and_work(query: &str, variables: serde_json::Value, data: DataShape) -> (u64, u64) {
        let schema = SchemaMap::from_sdl(&crate::graphql::sdl()).expect("schema");
        let document = parse_query(query).expect("parses");
        let variables = Variables::from_json(variables);
        let pricing = Pricing::new(&document, &variables, &schema, data);
        let operation = match &document.operations {
            DocumentOperations::Single(op) => op.node.clone(),
            DocumentOperations::Multiple(ops) => ops.values().next().expect("an operation").node.clone(),
        };
        let root = match operation.ty {
            async_graphql::parser::types::OperationType::Mutation => "Mutation",
            _ => "Query",
        };
        (pricing.selection_set(&operation.selection_set.node, root), pricing.work.get())
    }

    #[test]
    fn connections_cost_their_page_times_their_rows() {
        let data = DataShape::default();
        assert_eq!(price("{ customers(first: 5) { nodes { externalId segment region } } }", json!({}), data), 21);
        assert_eq!(price("{ customers(first: 1) { totalCount } }", json!({}), data), 2);
        let nested = "query($n: Int) { customers(first: $n) { nodes { orders(first: 2) { nodes { id } } } } }";
        // customers: 3 × (nodes 1 + orders (2 × (nodes 1 + id 1) + 1)) + 1
        assert_eq!(price(nested, json!({ "n": 3 }), data), 3 * (1 + (2 * 2 + 1)) + 1);
        let fragment = "{ ...F } fragment F on Query { customers(first: 2) { nodes { ... on Customer { id } } } }";
        assert_eq!(price(fragment, json!({}), data), 2 * 2 + 1);
        assert_eq!(price("{ nodes(ids: [\"a\", \"b\", \"c\"]) { id } }", json!({}), data), 3 + 1);
    }

    #[test]
    fn insights_cost_their_rows_and_the_work_behind_them() {
        let data = DataShape { customers: 2_000, segments: 3, regions: 4 };
        let plain = "{ insights { satisfaction(metric: NPS) { score { value } } } }";
        assert_eq!(price(plain, json!({}), data), 1 + (2 + 1));
        let kinds = TouchpointKind::items().len() as u64 + 1;
        let grouped = "{ insights { satisfaction(metric: NPS, groupBy: [TOUCHPOINT_KIND, SEGMENT, SEGMENT]) { n: __typename } } }";
        assert_eq!(price(grouped, json!({}), data), 1 + (kinds * 3 + 1));
        let by_variable = "query($g: [SatisfactionDimension!]) { insights { satisfaction(metric: NPS, groupBy: $g) { __typename } } }";
        assert_eq!(price(by_variable, json!({ "g": ["SEGMENT", "REGION"] }), data), 1 + (12 + 1));
        let series = r#"query($to: DateTime) { insights { satisfaction(metric: NPS, series: { granularity: DAY },
            filter: { period: { from: "2025-01-01T00:00:00Z", to: $to } }) { __typename } } }"#;
        assert_eq!(price(series, json!({ "to": "2025-01-11T00:00:00Z" }), data), 1 + (12 + 1));
        let loyalty = r#"{ insights { loyalty(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
            groupBy: [SEGMENT, REGION], series: { granularity: MONTH }) { __typename } } }"#;
        // 365 days: at most 15 months; 12 groups; 20 points of work per period.
        assert_eq!(price(loyalty, json!({}), data), 1 + (15 * 12 + 1 + 15 * 20));
        let cohorts = r#"{ insights { cohortRetention(granularity: WEEK, periods: 60,
            cohorts: { from: "2007-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { __typename } } }"#;
        let weeks = bucket_count_bound(
            "2007-01-01T00:00:00Z".parse().unwrap(),
            "2026-01-01T00:00:00Z".parse().unwrap(),
            Granularity::Week,
        );
        assert_eq!(price(cohorts, json!({}), data), 1 + (weeks * 60 + 1 + 20));
        let bigger = DataShape { customers: 200_000, ..data };
        assert!(price(loyalty, json!({}), bigger) > price(loyalty, json!({}), data), "more data, more work");
    }

    #[test]
    fn closed_loop_insights_cost_their_groups_times_their_periods_and_one_pass_of_work() {
        let data = DataShape { customers: 2_000, segments: 3, regions: 4 };
        let handling = r#"{ insights { complaintHandling(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
            groupBy: [CATEGORY, REGION, CATEGORY], series: { granularity: MONTH }) { __typename } } }"#;
        let categories = ComplaintCategory::items().len() as u64;
        // At most 15 months; categories × 4 regions; 20 points of work for the pass over the complaints.
        assert_eq!(price_and_work(handling, json!({}), data), (1 + (15 * categories * 4 + 1 + 20), 20));
        let the_loop = r#"{ insights { complaintLoop(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
            groupBy: [METRIC, SEGMENT], series: { granularity: QUARTER }) { __typename } } }"#;
        // At most 6 quarters; 3 metrics × 3 segments.
        assert_eq!(price_and_work(the_loop, json!({}), data), (1 + (6 * 3 * 3 + 1 + 20), 20));
        let recovery = r#"{ insights { complaintRecovery(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
            groupBy: [REGION]) { __typename } } }"#;
        // 4 regions × 4 outcomes; by category, its values and none.
        assert_eq!(price_and_work(recovery, json!({}), data), (1 + (4 * 4 + 1 + 20), 20));
        let by_category = recovery.replace("[REGION]", "[CATEGORY]");
        assert_eq!(price_and_work(&by_category, json!({}), data).0, 1 + ((categories + 1) * 4 + 1 + 20));
    }

    #[test]
    fn cohorts_cost_the_same_whichever_way_their_calendar_is_given() {
        let data = DataShape { customers: 2_000, segments: 3, regions: 4 };
        let range = r#"cohorts: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, periods: 4"#;
        let former = format!("{{ insights {{ cohortRetention({range}, granularity: WEEK) {{ share }} }} }}");
        let series =
            format!("{{ insights {{ cohortRetention({range}, series: {{ granularity: WEEK }}) {{ share }} }} }}");
        let monthly = series.replace("WEEK", "MONTH");
        assert_eq!(price(&series, json!({}), data), price(&former, json!({}), data));
        assert!(price(&series, json!({}), data) > price(&monthly, json!({}), data), "weeks are more cohorts");
    }

    #[test]
    fn total_rows_cost_a_row_per_period_and_for_loyalty_a_second_pass() {
        let data = DataShape { customers: 2_000, segments: 3, regions: 4 };
        let loyalty = r#"query($total: Boolean!) { insights { loyalty(period: { from: "2025-01-01T00:00:00Z",
            to: "2026-01-01T00:00:00Z" }, groupBy: [SEGMENT], withTotal: $total, series: { granularity: QUARTER }) { __typename } } }"#;
        // At most 6 quarters: 3 segments (and a total) per quarter, 20 points of work per quarter and pass.
        assert_eq!(price_and_work(loyalty, json!({ "total": false }), data), (1 + (6 * 3 + 1 + 6 * 20), 6 * 20));
        assert_eq!(price_and_work(loyalty, json!({ "total": true }), data), (1 + (6 * 4 + 1 + 12 * 20), 12 * 20));
        let satisfaction = r#"query($total: Boolean!) { insights { satisfaction(metric: NPS, groupBy: [REGION],
            withTotal: $total) { __typename } } }"#;
        let (without, with) =
            (price(satisfaction, json!({ "total": false }), data), price(satisfaction, json!({ "total": true }), data));
        assert_eq!(with, without + 1, "one more row, read from the rollups");
        let comparison = satisfaction.replace("satisfaction(", "satisfactionComparison(");
        let (without, with) = (
            price_and_work(&comparison, json!({ "total": false }), data),
            price_and_work(&comparison, json!({ "total": true }), data),
        );
        assert_eq!(without, (1 + (4 + 1), 0), "4 regions");
        assert_eq!(with, (without.0 + 1, 0), "one more row, read from the rollups");
        let ungrouped = r#"{ insights { loyalty(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
            withTotal: true) { __typename } } }"#;
        assert_eq!(price_and_work(ungrouped, json!({}), data).1, 20, "an ungrouped report is its own total");
        let handling = r#"query($total: Boolean!) { insights { complaintHandling(period: { from: "2025-01-01T00:00:00Z",
            to: "2026-01-01T00:00:00Z" }, groupBy: [REGION], withTotal: $total) { __typename } } }"#;
        // 4 regions; the total: one row and one more pass.
        assert_eq!(price_and_work(handling, json!({ "total": false }), data), (1 + (4 + 1 + 20), 20));
        assert_eq!(price_and_work(handling, json!({ "total": true }), data), (1 + (5 + 1 + 40), 40));
    }

    #[test]
    fn the_work_behind_insights_is_known_apart_from_their_rows() {
        let data = DataShape { customers: 2_000, segments: 3, regions: 4 };
        let loyalty = r#"{ insights { loyalty(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
            series: { granularity: MONTH }) { __typename } } }"#;
        assert_eq!(price_and_work(loyalty, json!({}), data), (1 + (15 + 1 + 15 * 20), 15 * 20));
        let both = r#"{ insights { touchpointImpact(metric: NPS) { __typename }
            satisfaction(metric: NPS) { __typename } } }"#;
        assert_eq!(price_and_work(both, json!({}), data).1, 20, "satisfaction reads rollups: no work");
    }

    #[test]
    fn clv_fields_cost_their_rows_and_their_work() {
        let data = DataShape { customers: 2_000, segments: 3, regions: 4 };
        let model = r#"{ insights { clvModel(currency: "USD") { r: customerCount tracking { period } } } }"#;
        assert_eq!(price(model, json!({}), data), 1 + (1 + 1 + (tracking::MAX_PERIODS as u64 + 1)));
        let value = r#"query($p: Int!) { customers(first: 10) { nodes { clv(currency: "USD") {
            probabilityAlive value(periods: $p, annualDiscountRate: 0.1) } } } }"#;
        // 10 × (nodes 1 + clv (1 + probabilityAlive 1 + value (1 + 2 points for 104 periods))) + 1
        assert_eq!(price_and_work(value, json!({ "p": 104 }), data), (10 * (1 + 1 + 1 + 3) + 1, 0));
        let fit = r#"mutation { fitClvModel(calibrationEnd: "2026-01-01T00:00:00Z") { customerCount } }"#;
        assert_eq!(price_and_work(fit, json!({}), data), (1 + 1 + 10 * 20, 10 * 20));
    }

    use serde_json::json;
}

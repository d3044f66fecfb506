//! Insight rows as tables: series rows carry their bucket's label in the requested calendar and echo
//! that calendar (rows of a whole period carry none), rows come in a stable order, grouped insights add
//! total rows on request, and renamed fields keep answering under their deprecated names.

use serde_json::{Value, json};

use crate::helpers::{code, spawn_seeded_app};

#[tokio::test]
async fn series_rows_are_labelled_in_their_own_calendar() {
    let app = spawn_seeded_app(60).await;
    let query = r#"{ insights {
        monthly: satisfaction(metric: NPS, filter: { period: { from: "2025-01-01T00:00:00+01:00", to: "2025-04-01T00:00:00+02:00" } },
            series: { granularity: MONTH, timeZone: "Europe/Berlin" }) { bucketStart bucketLabel timeZone granularity }
        weekly: loyalty(period: { from: "2024-12-30T00:00:00Z", to: "2025-01-13T00:00:00Z" },
            series: { granularity: WEEK }) { periodStart bucketLabel timeZone granularity }
        whole: loyalty(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { bucketLabel timeZone granularity }
        quarterly: complaintHandling(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" },
            series: { granularity: QUARTER }) { periodStart bucketLabel }
        cohorts: cohortRetention(granularity: MONTH, cohorts: { from: "2025-01-01T00:00:00-05:00", to: "2025-03-01T00:00:00-05:00" },
            periods: 1, timeZone: "America/New_York") { cohortStart bucketLabel timeZone granularity }
    } }"#;
    let data = app.query(query, json!({})).await["insights"].clone();
    let field = |list: &str, name: &str| -> Vec<Value> {
        data[list].as_array().unwrap().iter().map(|row| row[name].clone()).collect()
    };
    assert_eq!(field("monthly", "bucketLabel"), [json!("2025-01"), json!("2025-02"), json!("2025-03")]);
    assert_eq!(field("monthly", "bucketStart")[1], "2025-01-31T23:00:00Z");
    assert!(field("monthly", "timeZone").iter().all(|z| z == "Europe/Berlin"));
    assert!(field("monthly", "granularity").iter().all(|g| g == "MONTH"));
    // Monday 30 December 2024 starts ISO week 1 of 2025.
    assert_eq!(field("weekly", "bucketLabel"), [json!("2025-W01"), json!("2025-W02")]);
    assert_eq!(field("weekly", "timeZone")[0], "UTC");
    assert_eq!(data["whole"][0], json!({ "bucketLabel": null, "timeZone": null, "granularity": null }));
    assert_eq!(
        field("quarterly", "bucketLabel"),
        [json!("2025-Q1"), json!("2025-Q2"), json!("2025-Q3"), json!("2025-Q4")]
    );
    assert_eq!(field("cohorts", "bucketLabel"), [json!("2025-01"), json!("2025-02")]);
    assert_eq!(field("cohorts", "granularity"), [json!("MONTH"), json!("MONTH")]);
    assert_eq!(field("cohorts", "timeZone")[0], "America/New_York");
}

#[tokio::test]
async fn renamed_fields_keep_answering_under_their_deprecated_names() {
    let app = spawn_seeded_app(40).await;
    let query = r#"{ insights {
        satisfaction(metric: NPS, filter: { period: { from: "2025-01-01T00:00:00Z", to: "2025-03-01T00:00:00Z" } },
            series: { granularity: MONTH }) { periodStart bucketStart periodEnd bucketEnd }
        loyalty(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { orderCount orders
            currencies { orderCount orders } } }
        customers(first: 20) { nodes { orderSummary { spend { orderCount orders } } } }
        feedbacks(first: 20, filter: { metrics: [NPS] }) { nodes { category npsCategory } } }"#;
    let data = app.query(query, json!({})).await;
    let satisfaction = data["insights"]["satisfaction"].as_array().unwrap();
    assert_eq!(satisfaction.len(), 2);
    for row in satisfaction {
        assert_eq!((&row["periodStart"], &row["periodEnd"]), (&row["bucketStart"], &row["bucketEnd"]));
    }
    let loyalty = &data["insights"]["loyalty"][0];
    assert!(loyalty["orderCount"].as_u64().unwrap() > 0);
    assert_eq!(loyalty["orderCount"], loyalty["orders"]);
    let counts: Vec<&Value> = loyalty["currencies"].as_array().unwrap().iter().collect();
    let spends: Vec<Value> = data["customers"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["orderSummary"]["spend"].as_array().unwrap().clone())
        .collect();
    assert!(!counts.is_empty() && !spends.is_empty());
    assert!(
        counts.iter().all(|c| c["orderCount"] == c["orders"]) && spends.iter().all(|s| s["orderCount"] == s["orders"])
    );
    let answers = data["feedbacks"]["nodes"].as_array().unwrap();
    assert!(!answers.is_empty() && answers.iter().all(|a| a["category"] == a["npsCategory"]));
}

#[tokio::test]
async fn counts_keep_answering_under_their_former_plural_names() {
    let app = spawn_seeded_app(80).await;
    let window =
        r#"period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, asOf: "2026-10-31T00:00:00Z""#;
    let query = format!(
        r#"{{ insights {{
        satisfaction(metric: CSAT, groupBy: [CHANNEL]) {{ score {{ commentCount comments }} }}
        touchpointImpact(metric: NPS, asOf: "2026-10-31T00:00:00Z") {{ customerCount customers }}
        complaintLoop({window}, groupBy: [METRIC]) {{ answerCount answers }}
        complaintRecovery({window}) {{ customerCount customers }} }} }}"#
    );
    let data = app.query(&query, json!({})).await;
    let insights = &data["insights"];
    let scores: Vec<Value> = insights["satisfaction"].as_array().unwrap().iter().map(|r| r["score"].clone()).collect();
    for (rows, (count, former)) in [
        (scores, ("commentCount", "comments")),
        (insights["touchpointImpact"].as_array().unwrap().clone(), ("customerCount", "customers")),
        (insights["complaintLoop"].as_array().unwrap().clone(), ("answerCount", "answers")),
        (insights["complaintRecovery"].as_array().unwrap().clone(), ("customerCount", "customers")),
    ] {
        let counted: u64 = rows.iter().map(|row| row[count].as_u64().unwrap()).sum();
        assert!(counted > 0, "{count}: the seed has some");
        assert!(rows.iter().all(|row| row[count] == row[former]), "{former} answers {count}: {rows:?}");
    }
}

#[tokio::test]
async fn a_total_row_per_bucket_is_every_group_together() {
    let app = spawn_seeded_app(120).await;
    let query = r#"query($withTotal: Boolean!, $groupBy: [SatisfactionDimension!]) { insights {
        satisfaction(metric: NPS, groupBy: $groupBy, withTotal: $withTotal,
            filter: { period: { from: "2025-01-01T00:00:00Z", to: "2025-07-01T00:00:00Z" } },
            series: { granularity: QUARTER }) { segment channel periodStart isTotal score { n value responseRate histogram { score count } } } } }"#;
    let grouped = app.query(query, json!({ "withTotal": true, "groupBy": ["SEGMENT", "CHANNEL"] })).await;
    let rows = grouped["insights"]["satisfaction"].as_array().unwrap();
    let whole = app.query(query, json!({ "withTotal": true, "groupBy": null })).await;
    let whole = whole["insights"]["satisfaction"].as_array().unwrap();
    assert_eq!(whole.len(), 2, "an ungrouped report is its own total: {whole:?}");
    assert!(whole.iter().all(|row| row["isTotal"] == false));
    let (groups, totals): (Vec<&Value>, Vec<&Value>) = rows.iter().partition(|row| row["isTotal"] == false);
    assert!(groups.len() > 4 && !rows[..groups.len()].iter().any(|row| row["isTotal"] == true), "totals come last");
    assert_eq!(totals.len(), 2);
    for (total, alone) in totals.iter().zip(whole) {
        assert_eq!((&total["segment"], &total["channel"]), (&Value::Null, &Value::Null));
        assert_eq!(total["periodStart"], alone["periodStart"]);
        // The total is the ungrouped score, to the histogram and the response rate.
        assert_eq!(total["score"], alone["score"]);
        let n: u64 = groups
            .iter()
            .filter(|g| g["periodStart"] == total["periodStart"])
            .map(|g| g["score"]["n"].as_u64().unwrap())
            .sum();
        assert_eq!(total["score"]["n"].as_u64(), Some(n));
    }
    let answered: u64 = totals.iter().map(|t| t["score"]["n"].as_u64().unwrap()).sum();
    assert!(answered > 5, "{answered}");
    // Stable order: by the group values in the order touchpoint kind, channel, segment, region (null
    // first), each group's quarters in time order.
    let value = |v: &Value| (!v.is_null(), v.as_str().unwrap_or_default().to_owned());
    let keys: Vec<_> = groups
        .iter()
        .map(|g| (value(&g["channel"]), value(&g["segment"]), g["periodStart"].as_str().unwrap().to_owned()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[tokio::test]
async fn a_loyalty_total_counts_every_customer_once() {
    let app = spawn_seeded_app(150).await;
    let query = r#"query($groupBy: [LoyaltyDimension!], $withTotal: Boolean!) { insights {
        loyalty(period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }, groupBy: $groupBy,
            withTotal: $withTotal, series: { granularity: QUARTER }) {
            segment region periodStart isTotal activeCustomers orderCount repeatPurchaseRate churnRate
            currencies { currency orderCount historicClvMedianAmount { amount } } } } }"#;
    let grouped = app.query(query, json!({ "groupBy": ["SEGMENT", "REGION"], "withTotal": true })).await;
    let rows = grouped["insights"]["loyalty"].as_array().unwrap();
    let whole = app.query(query, json!({ "groupBy": null, "withTotal": true })).await;
    let whole = whole["insights"]["loyalty"].as_array().unwrap();
    assert_eq!(whole.len(), 4, "an ungrouped report is its own total");
    let (groups, totals): (Vec<&Value>, Vec<&Value>) = rows.iter().partition(|row| row["isTotal"] == false);
    assert_eq!(totals.len(), 4);
    assert!(rows[rows.len() - 4..].iter().all(|row| row["isTotal"] == true), "totals come last");
    for (total, alone) in totals.iter().zip(whole) {
        let mut total = (*total).clone();
        total["isTotal"] = json!(false);
        assert_eq!(&total, alone, "the total is the ungrouped row");
        // Customers belong to one segment and region: the active customers of the groups add up to it.
        let active: u64 = groups
            .iter()
            .filter(|g| g["periodStart"] == alone["periodStart"])
            .map(|g| g["activeCustomers"].as_u64().unwrap())
            .sum();
        assert_eq!(alone["activeCustomers"].as_u64(), Some(active));
    }
    assert!(whole.iter().map(|r| r["activeCustomers"].as_u64().unwrap()).sum::<u64>() > 20);
}

#[tokio::test]
async fn complaint_insight_totals_are_their_ungrouped_rows() {
    let app = spawn_seeded_app(300).await;
    let period = r#"period: { from: "2025-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }"#;
    let cases = [
        ("complaintHandling", "CATEGORY", "opened resolved backlog"),
        ("complaintLoop", "METRIC", r#"answerCount followed followedShare asOf: periodEnd"#),
        ("complaintRecovery", "SEGMENT", "customerCount outcome repurchasedCustomers nextNps { n nps }"),
    ];
    for (insight, dimension, fields) in cases {
        let args =
            if insight == "complaintHandling" { String::new() } else { r#", asOf: "2026-10-31T00:00:00Z""#.to_owned() };
        let ask = |group_by: &str| {
            format!("{{ insights {{ {insight}({period}{args}, {group_by} withTotal: true, series: {{ granularity: HALF }}) {{ periodStart isTotal {fields} }} }} }}")
                .replace("HALF", "QUARTER")
        };
        let grouped =
            app.query(&ask(&format!("groupBy: [{dimension}],")), json!({})).await["insights"][insight].clone();
        let whole = app.query(&ask(""), json!({})).await["insights"][insight].clone();
        let whole = whole.as_array().unwrap();
        assert!(whole.iter().all(|row| row["isTotal"] == false), "{insight}: an ungrouped report is its own total");
        let count = fields.split(' ').next().unwrap_or_default();
        let counted: u64 = whole.iter().map(|row| row[count].as_u64().unwrap_or(0)).sum();
        assert!(counted > 5, "{insight}: the seed has such rows ({count} {counted})");
        let totals: Vec<Value> =
            grouped.as_array().unwrap().iter().filter(|row| row["isTotal"] == true).cloned().collect();
        assert_eq!(totals.len(), whole.len(), "{insight}");
        for (total, alone) in totals.iter().zip(whole) {
            let mut total = total.clone();
            total["isTotal"] = json!(false);
            assert_eq!(&total, alone, "{insight}: the total is the ungrouped row");
        }
        let rows = grouped.as_array().unwrap();
        assert!(
            rows[..rows.len() - totals.len()].iter().all(|row| row["isTotal"] == false),
            "{insight}: totals come last"
        );
    }
}

#[tokio::test]
async fn cohorts_take_the_calendar_every_insight_takes_and_still_the_former_arguments() {
    let app = spawn_seeded_app(80).await;
    let cohorts = r#"cohorts: { from: "2025-01-01T00:00:00Z", to: "2025-04-01T00:00:00Z" }, periods: 3"#;
    let ask = |calendar: &str| {
        format!(
            "{{ insights {{ cohortRetention({cohorts}, {calendar}) {{ cohortStart periodIndex cohortSize share bucketLabel timeZone granularity }} }} }}"
        )
    };
    let by_series = app.query(&ask(r#"series: { granularity: MONTH, timeZone: "Europe/Berlin" }"#), json!({})).await;
    let former = app.query(&ask(r#"granularity: MONTH, timeZone: "Europe/Berlin""#), json!({})).await;
    assert_eq!(by_series, former);
    let cells = by_series["insights"]["cohortRetention"].as_array().unwrap();
    // Berlin's April starts at 22:00 UTC on 31 March, inside the range: four cohorts of three periods.
    assert_eq!(cells.len(), 12);
    assert!(cells.iter().any(|c| c["cohortSize"].as_u64().unwrap() > 0));
    for (calendar, field) in [
        (r#"series: { granularity: QUARTER }"#, "series.granularity"),
        (r#"series: { granularity: MONTH }, granularity: WEEK"#, "series"),
        ("", "series"),
    ] {
        let error = app.query_error(&ask(calendar).replace(", )", ")"), json!({})).await;
        assert_eq!(
            (code(&error), error["extensions"]["field"].as_str()),
            ("BAD_USER_INPUT", Some(field)),
            "{calendar}"
        );
    }
}

#[tokio::test]
async fn a_comparison_total_is_the_comparison_of_every_group_together() {
    let app = spawn_seeded_app(300).await;
    let query = r#"query($groupBy: [SatisfactionDimension!], $filter: SatisfactionFilterInput) { insights {
        satisfactionComparison(metric: NPS, groupBy: $groupBy, withTotal: true, filter: $filter) {
            touchpointKind segment isTotal delta z pValue significant
            current { n value standardError histogram { score count } surveysSent }
            baseline { n value standardError histogram { score count } surveysSent } } } }"#;
    let period = json!({ "from": "2025-01-01T00:00:00Z", "to": "2026-01-01T00:00:00Z" });
    let comparison = |group_by: Value, filter: Value| {
        let app = &app;
        async move {
            let data = app.query(query, json!({ "groupBy": group_by, "filter": filter })).await;
            data["insights"]["satisfactionComparison"].as_array().unwrap().clone()
        }
    };
    let rows = comparison(json!(["TOUCHPOINT_KIND", "SEGMENT"]), json!({ "period": period })).await;
    let whole = comparison(Value::Null, json!({ "period": period })).await;
    assert_eq!(whole.len(), 1, "an ungrouped comparison is its own total: {whole:?}");
    assert_eq!(whole[0]["isTotal"], false);

    let (total, groups) = rows.split_last().unwrap();
    assert!(groups.len() > 4 && groups.iter().all(|row| row["isTotal"] == false), "one total, last: {rows:?}");
    assert_eq!(
        (&total["isTotal"], &total["touchpointKind"], &total["segment"]),
        (&json!(true), &Value::Null, &Value::Null)
    );
    let mut alone = total.clone();
    alone["isTotal"] = json!(false);
    assert_eq!(alone, whole[0], "the total is the ungrouped comparison, its test included");
    for side in ["current", "baseline"] {
        // Each answer is in one group: the groups' answers add up to the total's.
        let n: u64 = groups.iter().map(|g| g[side]["n"].as_u64().unwrap()).sum();
        assert_eq!(total[side]["n"].as_u64(), Some(n), "{side}");
        assert!(n > 20, "the seed answers both periods: {side} {n}");
    }
    // Its own test: on every answer of each side, not any group's.
    assert!(total["pValue"].is_number() && groups.iter().all(|g| g["pValue"] != total["pValue"]), "{total}");

    // The same as the comparison of a filter that names every segment there is.
    let facets = app.query("{ insights { facets { segments } } }", json!({})).await;
    let segments = facets["insights"]["facets"]["segments"].clone();
    let every = comparison(Value::Null, json!({ "period": period, "segments": segments })).await;
    assert_eq!(every, whole);
}

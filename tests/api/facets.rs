//! `insights.facets`: the distinct segments, regions and currencies and the ends of the orders' and
//! answers' time ranges, against the stored rows, on an empty database, and after a write.

use std::collections::BTreeSet;

use entity::{customer, feedback, order};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::complaint_loop::time;
use crate::helpers::{TestApp, spawn_app, spawn_seeded_app};

const FACETS: &str = "{ insights { facets { segments regions currencies firstOrderAt lastOrderAt firstAnswerAt
    lastAnswerAt } } }";

async fn facets(app: &TestApp) -> Value {
    app.query(FACETS, json!({})).await["insights"]["facets"].clone()
}

/// The facets computed from every stored row.
async fn expected(app: &TestApp) -> Value {
    let customers = customer::Entity::find().all(&app.db).await.unwrap();
    let orders = order::Entity::find().all(&app.db).await.unwrap();
    let answers = feedback::Entity::find().all(&app.db).await.unwrap();
    let sorted = |values: Vec<String>| values.into_iter().collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>();
    let placed = orders.iter().map(|o| o.placed_at);
    let submitted = answers.iter().map(|f| f.submitted_at);
    json!({
        "segments": sorted(customers.iter().map(|c| c.segment.clone()).collect()),
        "regions": sorted(customers.iter().map(|c| c.region.clone()).collect()),
        "currencies": sorted(orders.iter().map(|o| o.currency.clone()).collect()),
        "firstOrderAt": placed.clone().min().map(time), "lastOrderAt": placed.max().map(time),
        "firstAnswerAt": submitted.clone().min().map(time), "lastAnswerAt": submitted.max().map(time),
    })
}

#[tokio::test]
async fn facets_list_every_value_and_the_ends_of_the_data() {
    let app = spawn_seeded_app(150).await;
    let want = expected(&app).await;
    for list in ["segments", "regions", "currencies"] {
        assert!(want[list].as_array().unwrap().len() >= 2, "the seed has several {list}: {want}");
    }
    assert_eq!(facets(&app).await, want);

    // A value written now is found, in order, by the walk over the index.
    let upsert = "mutation($input: CustomerInput!) { upsertCustomer(input: $input) { created } }";
    let input = json!({ "externalId": "facet-1", "name": "Ada", "email": "ada@example.com", "segment": "AAA first",
        "region": "zz last", "createdAt": "2026-01-01T00:00:00Z" });
    assert_eq!(app.query(upsert, json!({ "input": input })).await["upsertCustomer"]["created"], true);
    let got = facets(&app).await;
    assert_eq!(got, expected(&app).await);
    assert_eq!(got["segments"][0], "AAA first");
    assert_eq!(got["regions"].as_array().unwrap().last().unwrap(), "zz last");
}

#[tokio::test]
async fn facets_of_an_empty_database_are_empty_lists_and_null_dates() {
    let app = spawn_app().await;
    let empty = json!({ "segments": [], "regions": [], "currencies": [], "firstOrderAt": null, "lastOrderAt": null,
        "firstAnswerAt": null, "lastAnswerAt": null });
    assert_eq!(facets(&app).await, empty);
}

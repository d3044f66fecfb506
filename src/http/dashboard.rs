//! The insights dashboard: a page on `/dashboard` and its files on `/dashboard/<name>.<hash>.<ext>`
//! (`assets/dashboard/`: hand-written scripts and style, no library), served the way `pages` serves every
//! page. It reads only the public GraphQL API, with the persisted queries of `assets/dashboard/queries/`:
//! the page carries them (hash and text) as an Apollo persisted query manifest, which
//! `/dashboard/persisted-queries.json` serves too, for servers that run an allow-list
//! (`--persisted-queries`) to add.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::keys::sha256_hex;
use crate::http::pages::{Asset, CSS, JAVASCRIPT, Site, asset};

/// The page's files; what each does is in `assets/dashboard/README.md`.
static ASSETS: [Asset; 5] = [
    asset!("dashboard", "dashboard.css", CSS),
    asset!("dashboard", "api.js", JAVASCRIPT),
    asset!("dashboard", "charts.js", JAVASCRIPT),
    asset!("dashboard", "panels.js", JAVASCRIPT),
    asset!("dashboard", "dashboard.js", JAVASCRIPT),
];

/// The page's GraphQL operations, one named query per file.
const QUERIES: [&str; 5] = [
    include_str!("../../assets/dashboard/queries/dimensions.graphql"),
    include_str!("../../assets/dashboard/queries/journey.graphql"),
    include_str!("../../assets/dashboard/queries/trend.graphql"),
    include_str!("../../assets/dashboard/queries/breakdowns.graphql"),
    include_str!("../../assets/dashboard/queries/loyalty.graphql"),
];

/// Where the page's manifest goes in its template.
const MANIFEST_PLACEHOLDER: &str = "{{persisted-queries}}";

/// The operations as an Apollo persisted query manifest: `{"operations": [{"id": SHA-256, "name",
/// "type": "query", "body"}]}`, the format `--persisted-queries` reads.
static MANIFEST: LazyLock<String> = LazyLock::new(|| {
    let operations: Vec<_> = QUERIES
        .iter()
        .map(|body| {
            json!({ "id": sha256_hex(body.as_bytes()), "name": operation_name(body), "type": "query", "body": body })
        })
        .collect();
    json!({ "format": "apollo-persisted-query-manifest", "version": 1, "operations": operations }).to_string()
});

static SITE: LazyLock<Site> = LazyLock::new(|| {
    // Inside a <script type="application/json"> element, which only `</` could end early.
    let manifest = MANIFEST.replace("</", "<\\/");
    let template = include_str!("../../assets/dashboard/index.html").replace(MANIFEST_PLACEHOLDER, &manifest);
    Site::new("/dashboard/", &template, &ASSETS)
});

/// The name of the query `body` defines: the word after `query` on its first line that is no comment.
fn operation_name(body: &str) -> &str {
    let definition = body.lines().map(str::trim_start).find(|line| !line.starts_with('#')).unwrap_or_default();
    let name = definition.strip_prefix("query").unwrap_or_default().trim_start();
    let end = name.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(name.len());
    &name[..end]
}

/// `GET /dashboard`: the dashboard page.
pub async fn page() -> Response {
    SITE.page()
}

/// `GET /dashboard/{file}`: one of the page's files, by its served name.
pub async fn asset(Path(file): Path<String>) -> Response {
    SITE.file(&file)
}

/// `GET /dashboard/persisted-queries.json`: the page's queries, to add to an allow-list.
pub async fn persisted_queries() -> Response {
    let headers = [
        (CONTENT_TYPE, "application/json; charset=utf-8"),
        (CACHE_CONTROL, "no-cache"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, MANIFEST.as_str()).into_response()
}

#[cfg(test)]
mod tests {
    use crate::graphql::gate::persisted::PersistedQueries;

    use super::*;

    #[test]
    fn the_page_references_every_file_by_its_served_path_and_nothing_else() {
        SITE.assert_complete("/dashboard/", &ASSETS);
        assert!(SITE.html().contains("\"DashboardJourney\""), "the page carries its queries");
    }

    #[test]
    fn every_query_is_named_and_the_manifest_is_a_valid_allow_list() {
        let names: Vec<_> = QUERIES.iter().map(|body| operation_name(body)).collect();
        assert_eq!(
            names,
            ["DashboardDimensions", "DashboardJourney", "DashboardTrend", "DashboardBreakdowns", "DashboardLoyalty"]
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dashboard.json");
        std::fs::write(&path, MANIFEST.as_str()).unwrap();
        assert!(
            matches!(PersistedQueries::allow_list(&path), Ok(PersistedQueries::AllowList(list)) if list.len() == 5)
        );
    }
}

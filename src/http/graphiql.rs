//! GraphiQL, the in-browser IDE, served by the binary itself: the page on `/` and its files on
//! `/graphiql/<name>.<hash>.<ext>` (`assets/graphiql/`: production builds of React, ReactDOM and
//! GraphiQL, and the page's own start script and style), the way `pages` serves every page.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::response::Response;

use crate::http::pages::{Asset, CSS, JAVASCRIPT, Site, asset};

/// The page's files; versions and licences in `assets/graphiql/README.md`.
static ASSETS: [Asset; 6] = [
    asset!("graphiql", "react.production.min.js", JAVASCRIPT),
    asset!("graphiql", "react-dom.production.min.js", JAVASCRIPT),
    asset!("graphiql", "graphiql.min.js", JAVASCRIPT),
    asset!("graphiql", "graphiql.min.css", CSS),
    asset!("graphiql", "page.css", CSS),
    asset!("graphiql", "start.js", JAVASCRIPT),
];

static SITE: LazyLock<Site> =
    LazyLock::new(|| Site::new("/graphiql/", include_str!("../../assets/graphiql/index.html"), &ASSETS));

/// `GET /`: the GraphiQL page.
pub async fn page() -> Response {
    SITE.page()
}

/// `GET /graphiql/{file}`: one of the page's files, by its served name.
pub async fn asset(Path(file): Path<String>) -> Response {
    SITE.file(&file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_references_every_file_by_its_served_path_and_nothing_else() {
        SITE.assert_complete("/graphiql/", &ASSETS);
    }
}

//! GraphiQL, the in-browser IDE, served by the binary itself: the page on `/` and its files on
//! `/graphiql/<name>.<hash>.<ext>` (`assets/graphiql/`, embedded at build time: production builds of React,
//! ReactDOM and GraphiQL, and the page's own start script and style). Nothing is loaded from another host,
//! so the IDE works offline and in closed networks, under a Content-Security-Policy that allows only this
//! origin. A file's name carries a hash of its content, so browsers keep it for a year and a binary with
//! other files serves them under other names; the page itself is revalidated on every load.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Where the files are served.
const PREFIX: &str = "/graphiql/";

/// Only this origin, for everything the page loads. `data:` for the fonts and icons that GraphiQL's
/// stylesheet carries inline; `'self'` in `connect-src` covers the page's own `ws:`/`wss:` origin too.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $name)),
        }
    };
}

/// The page's files; versions and licences in `assets/graphiql/README.md`.
const ASSETS: [Asset; 6] = [
    asset!("react.production.min.js", JAVASCRIPT),
    asset!("react-dom.production.min.js", JAVASCRIPT),
    asset!("graphiql.min.js", JAVASCRIPT),
    asset!("graphiql.min.css", CSS),
    asset!("page.css", CSS),
    asset!("start.js", JAVASCRIPT),
];

/// The page, with `{{name}}` standing for the served path of each file.
const PAGE_TEMPLATE: &str = include_str!("../../assets/graphiql/index.html");

struct Site {
    page: String,
    /// By served file name (`graphiql.min.1a2b3c4d5e6f.js`).
    files: HashMap<String, &'static Asset>,
}

static SITE: LazyLock<Site> = LazyLock::new(|| {
    let mut page = PAGE_TEMPLATE.to_owned();
    let mut files = HashMap::new();
    for asset in &ASSETS {
        let served = served_name(asset);
        page = page.replace(&format!("{{{{{}}}}}", asset.name), &format!("{PREFIX}{served}"));
        files.insert(served, asset);
    }
    Site { page, files }
});

/// `graphiql.min.js` becomes `graphiql.min.<first 12 hex digits of its SHA-256>.js`.
fn served_name(asset: &Asset) -> String {
    let hash: String = Sha256::digest(asset.bytes)[..6].iter().map(|byte| format!("{byte:02x}")).collect();
    match asset.name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
        None => format!("{}.{hash}", asset.name),
    }
}

/// `GET /`: the GraphiQL page.
pub async fn page() -> Response {
    let headers = [
        (CONTENT_TYPE, "text/html; charset=utf-8"),
        (CONTENT_SECURITY_POLICY, PAGE_POLICY),
        (CACHE_CONTROL, "no-cache"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, SITE.page.as_str()).into_response()
}

/// `GET /graphiql/{file}`: one of the page's files, by its served name.
pub async fn asset(Path(file): Path<String>) -> Response {
    let Some(asset) = SITE.files.get(&file) else {
        return (StatusCode::NOT_FOUND, "no such GraphiQL file").into_response();
    };
    let headers = [
        (CONTENT_TYPE, asset.content_type),
        (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    (headers, asset.bytes).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_references_every_file_by_its_served_path_and_nothing_else() {
        for asset in &ASSETS {
            let path = format!("{PREFIX}{}", served_name(asset));
            assert!(SITE.page.contains(&format!("\"{path}\"")), "{path} missing from the page");
        }
        assert!(!SITE.page.contains("{{"), "a placeholder names no file:\n{}", SITE.page);
        assert!(!SITE.page.contains("//"), "the page names another host:\n{}", SITE.page);
        assert_eq!(SITE.files.len(), ASSETS.len());
    }

    #[test]
    fn served_names_change_with_the_content() {
        let one = Asset { name: "start.js", content_type: JAVASCRIPT, bytes: b"1" };
        let other = Asset { name: "start.js", content_type: JAVASCRIPT, bytes: b"2" };
        assert!(served_name(&one).starts_with("start.") && served_name(&one).ends_with(".js"));
        assert_eq!(served_name(&one).len(), "start..js".len() + 12);
        assert_ne!(served_name(&one), served_name(&other));
    }
}

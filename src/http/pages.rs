//! The browser pages the binary serves (GraphiQL, the dashboard): each a page and its files, embedded at
//! build time from `assets/<page>/`. Nothing is loaded from another host, so the pages work offline and
//! in closed networks, under a Content-Security-Policy that allows only this origin. A file's name
//! carries a hash of its content (`<stem>.<hash>.<ext>`), so browsers keep it for a year and a binary
//! with other files serves them under other names; a page itself is revalidated on every load.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// Only this origin, for everything a page loads. `data:` for the fonts and icons that GraphiQL's
/// stylesheet carries inline; `'self'` in `connect-src` covers the page's own `ws:`/`wss:` origin too.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub const JAVASCRIPT: &str = "text/javascript; charset=utf-8";
pub const CSS: &str = "text/css; charset=utf-8";
pub const HTML: &str = "text/html; charset=utf-8";

/// How long browsers keep a file whose name carries its hash.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

/// `asset!("graphiql", "start.js", JAVASCRIPT)`: `assets/graphiql/start.js`, embedded.
macro_rules! asset {
    ($page:literal, $name:literal, $content_type:expr) => {
        $crate::http::pages::Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../assets/", $page, "/", $name)),
        }
    };
}
pub(crate) use asset;

/// A page and its files.
pub struct Site {
    page: String,
    /// By served file name (`graphiql.min.1a2b3c4d5e6f.js`).
    files: HashMap<String, &'static Asset>,
}

impl Site {
    /// The page from `template`, with `{{name}}` standing for the served path of each of `assets`.
    pub fn new(prefix: &'static str, template: &str, assets: &'static [Asset]) -> Site {
        let mut page = template.to_owned();
        let mut files = HashMap::new();
        for asset in assets {
            let served = served_name(asset);
            page = page.replace(&format!("{{{{{}}}}}", asset.name), &format!("{prefix}{served}"));
            files.insert(served, asset);
        }
        Site { page, files }
    }

    /// The page: revalidated on every load, under the pages' Content-Security-Policy.
    pub fn page(&'static self) -> Response {
        let headers = [
            (CONTENT_TYPE, HTML),
            (CONTENT_SECURITY_POLICY, PAGE_POLICY),
            (CACHE_CONTROL, "no-cache"),
            (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ];
        (headers, self.page.as_str()).into_response()
    }

    /// One of the page's files, by its served name; cached for a year.
    pub fn file(&self, served: &str) -> Response {
        let Some(asset) = self.files.get(served) else {
            return (StatusCode::NOT_FOUND, "no such file").into_response();
        };
        let headers =
            [(CONTENT_TYPE, asset.content_type), (CACHE_CONTROL, IMMUTABLE), (X_CONTENT_TYPE_OPTIONS, "nosniff")];
        (headers, asset.bytes).into_response()
    }

    /// The page's HTML, for the pages' unit tests.
    #[cfg(test)]
    pub fn html(&self) -> &str {
        &self.page
    }

    /// Asserts what every page must hold: each of its files by its served path, no placeholder left and
    /// no other host. For the pages' unit tests.
    #[cfg(test)]
    pub fn assert_complete(&self, prefix: &str, assets: &[Asset]) {
        for asset in assets {
            let path = format!("{prefix}{}", served_name(asset));
            assert!(self.page.contains(&format!("\"{path}\"")), "{path} missing from the page");
        }
        assert!(!self.page.contains("{{"), "a placeholder names no file:\n{}", self.page);
        assert!(!self.page.contains("//"), "the page names another host:\n{}", self.page);
        assert_eq!(self.files.len(), assets.len());
    }
}

/// `graphiql.min.js` becomes `graphiql.min.<first 12 hex digits of its SHA-256>.js`.
fn served_name(asset: &Asset) -> String {
    let hash: String = Sha256::digest(asset.bytes)[..6].iter().map(|byte| format!("{byte:02x}")).collect();
    match asset.name.rsplit_once('.') {
        Some((stem, extension)) => format!("{stem}.{hash}.{extension}"),
        None => format!("{}.{hash}", asset.name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_names_change_with_the_content() {
        let one = Asset { name: "start.js", content_type: JAVASCRIPT, bytes: b"1" };
        let other = Asset { name: "start.js", content_type: JAVASCRIPT, bytes: b"2" };
        assert!(served_name(&one).starts_with("start.") && served_name(&one).ends_with(".js"));
        assert_eq!(served_name(&one).len(), "start..js".len() + 12);
        assert_ne!(served_name(&one), served_name(&other));
    }
}

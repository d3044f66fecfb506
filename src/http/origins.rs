//! Which web pages may use the API from a browser: the `--allowed-origins` list (`*` for any), from the
//! flag, its environment variable or the configuration file (`allowed-origins = [...]`). The same
//! list answers CORS preflights and decides which `Origin`s may open a WebSocket. In demo mode (no keys)
//! the server also answers only its own machine: pages on loopback origins, and requests whose `Host`
//! is a loopback name, so neither another site nor DNS rebinding can drive an open server.

use axum::extract::{Request, State};
use axum::http::header::HOST;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

#[derive(Clone, Debug, Default)]
pub struct Origins {
    /// Exact origins (`https://app.example.com`), lower-cased.
    listed: Vec<String>,
    any: bool,
    /// Demo mode: loopback origins are allowed, and only loopback `Host`s are answered.
    loopback_only: bool,
}

impl Origins {
    /// `allowed`: origins as given by the user (`*` for any); `demo`: the open demo mode.
    pub fn new(allowed: &[String], demo: bool) -> Result<Self, String> {
        let mut listed = Vec::new();
        let mut any = false;
        for origin in allowed.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            if origin == "*" {
                any = true;
                continue;
            }
            let valid = (origin.starts_with("http://") || origin.starts_with("https://"))
                && !origin.trim_end_matches('/').contains(['?', '#'])
                && origin.splitn(4, '/').nth(3).is_none_or(str::is_empty);
            if !valid {
                return Err(format!(
                    "`{origin}` is not an origin like https://app.example.com (scheme, host, optional port)"
                ));
            }
            listed.push(origin.trim_end_matches('/').to_ascii_lowercase());
        }
        if any && !listed.is_empty() {
            return Err("`*` allows every origin already: give it alone, or list the origins".to_owned());
        }
        Ok(Origins { listed, any, loopback_only: demo })
    }

    pub fn is_any(&self) -> bool {
        self.any
    }

    pub fn listed(&self) -> &[String] {
        &self.listed
    }

    /// Whether a page of `origin` may use the API.
    pub fn allows(&self, origin: &HeaderValue) -> bool {
        let Ok(origin) = origin.to_str() else { return false };
        let origin = origin.to_ascii_lowercase();
        self.any || self.listed.contains(&origin) || (self.loopback_only && is_loopback_origin(&origin))
    }

    /// Whether a page of `origin` may open a WebSocket to a server it reached as `host`: the allowed
    /// origins, and the server's own pages (GraphiQL), whose origin names the host they were served by.
    pub fn allows_socket(&self, origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
        self.allows(origin) || host.is_some_and(|host| same_host(origin, host))
    }

    fn answers_host(&self, host: Option<&HeaderValue>) -> bool {
        !self.loopback_only || host.and_then(|h| h.to_str().ok()).is_some_and(is_loopback_host)
    }
}

/// Whether `origin` (`https://api.example.com:8443`) names the host and port of the `Host` header.
fn same_host(origin: &HeaderValue, host: &HeaderValue) -> bool {
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else { return false };
    let Some(origin_host) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else {
        return false;
    };
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// `http://localhost:8080`, `http://127.0.0.1`, `http://[::1]:3000` and the like.
fn is_loopback_origin(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://")) else { return false };
    is_loopback_host(rest)
}

/// A `Host` header naming this machine: `localhost` (and `*.localhost`), 127.0.0.0/8 or `[::1]`, with
/// any port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(v6) = host.strip_prefix('[') {
        match v6.split_once(']') {
            Some((address, port)) if port.is_empty() || port.starts_with(':') => return address == "::1",
            _ => return false,
        }
    } else {
        host.rsplit_once(':')
            .map_or(host, |(name, port)| if port.bytes().all(|b| b.is_ascii_digit()) { name } else { host })
    };
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok_and(|address| address.is_loopback())
}

/// Refuses, in demo mode, requests addressed to another host than this machine (403).
pub async fn only_loopback_hosts(State(origins): State<Origins>, request: Request, next: Next) -> Response {
    if origins.answers_host(request.headers().get(HOST)) {
        return next.run(request).await;
    }
    let message = "the demo server answers only requests addressed to this machine (localhost or 127.0.0.1)";
    (StatusCode::FORBIDDEN, message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> HeaderValue {
        HeaderValue::from_str(text).unwrap()
    }

    #[test]
    fn origins_and_hosts_are_matched_exactly() {
        let listed = Origins::new(&["https://App.example.com/".into()], false).unwrap();
        assert!(listed.allows(&value("https://app.example.com")));
        assert!(!listed.allows(&value("https://app.example.com.evil.net")));
        assert!(!listed.allows(&value("http://localhost:3000")), "loopback pages only in demo mode");
        assert!(listed.answers_host(Some(&value("api.example.com"))));
        let demo = Origins::new(&[], true).unwrap();
        assert!(demo.allows(&value("http://localhost:3000")) && demo.allows(&value("http://127.0.0.1:8080")));
        assert!(!demo.allows(&value("https://evil.example")) && !demo.allows(&value("null")));
        for host in ["localhost:8080", "127.0.0.1:8080", "[::1]:8080", "app.localhost", "127.1.2.3"] {
            assert!(demo.answers_host(Some(&value(host))), "{host}");
        }
        for host in ["evil.example", "localhost.evil.example", "127.0.0.1.nip.io", "[::2]:80", "10.0.0.1"] {
            assert!(!demo.answers_host(Some(&value(host))), "{host}");
        }
        assert!(!demo.answers_host(None));
        assert!(listed.allows_socket(&value("https://api.example.com"), Some(&value("API.example.com"))));
        assert!(listed.allows_socket(&value("http://api.example.com:8080"), Some(&value("api.example.com:8080"))));
        assert!(!listed.allows_socket(&value("https://evil.example"), Some(&value("api.example.com"))));
        assert!(!listed.allows_socket(&value("https://api.example.com:8443"), Some(&value("api.example.com"))));
        assert!(!listed.allows_socket(&value("null"), Some(&value("api.example.com"))));
        assert!(!listed.allows_socket(&value("https://api.example.com"), None));
        assert!(Origins::new(&["*".into()], false).unwrap().allows(&value("https://anywhere.example")));
        assert!(Origins::new(&["app.example.com".into()], false).is_err());
        assert!(Origins::new(&["*".into(), "https://app.example.com".into()], false).is_err());
        assert!(Origins::new(&["https://app.example.com/path".into()], false).is_err());
    }
}

//! `Authorization: Bearer KEY` to a `Principal`. Valid keys are cached for a few seconds, so a busy
//! client does not cost a key lookup per request; a revoked key stops working within that time on
//! every instance. Unknown keys are not cached: a flood of random keys cannot grow the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use crate::auth::keys::{find_role, sha256_hex};
use crate::auth::{Principal, Role};
use crate::error::AppError;

/// How long a checked key is trusted before it is looked up again (revocation delay).
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(3);
const KEY_CACHE_CAPACITY: usize = 10_000;

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// Every request needs a key (the default of `serve`).
    Keys,
    /// Requests without a key run as ADMIN: only `serve --demo` on a loopback address, and tests.
    /// A key, when given, is still checked and its role applies.
    Open,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("this API needs a key: send `Authorization: Bearer <key>`")]
    Missing,
    #[error("the API key is not valid (unknown, revoked or malformed)")]
    Invalid,
    #[error("{0}")]
    Unavailable(AppError),
}

#[derive(Clone)]
pub struct Authenticator {
    mode: AuthMode,
    db: DatabaseConnection,
    cache: Arc<Mutex<HashMap<String, (Principal, Instant)>>>,
}

impl Authenticator {
    /// Keys are read from `db`, the primary: a key just created or revoked there counts at once.
    pub fn new(mode: AuthMode, db: DatabaseConnection) -> Self {
        Authenticator { mode, db, cache: Arc::default() }
    }

    pub fn mode(&self) -> AuthMode {
        self.mode
    }

    /// The principal of a request with this `Authorization` header value (if any).
    pub async fn authenticate(&self, authorization: Option<&str>) -> Result<Principal, AuthFailure> {
        let Some(header) = authorization else {
            return match self.mode {
                AuthMode::Open => Ok(Principal::open()),
                AuthMode::Keys => Err(AuthFailure::Missing),
            };
        };
        let secret = bearer_token(header).ok_or(AuthFailure::Invalid)?;
        let hash = sha256_hex(secret.as_bytes());
        if let Some(principal) = self.cached(&hash) {
            return Ok(principal);
        }
        let found = find_role(&self.db, secret).await.map_err(AuthFailure::Unavailable)?;
        let (name, role): (String, Role) = found.ok_or(AuthFailure::Invalid)?;
        let principal = Principal { name, role };
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= KEY_CACHE_CAPACITY {
                cache.clear();
            }
            cache.insert(hash, (principal.clone(), Instant::now()));
        }
        Ok(principal)
    }

    fn cached(&self, hash: &str) -> Option<Principal> {
        let cache = self.cache.lock().ok()?;
        let (principal, checked) = cache.get(hash)?;
        (checked.elapsed() < KEY_CACHE_TTL).then(|| principal.clone())
    }
}

/// The token of `Bearer TOKEN` (scheme case-insensitive), if it looks like one of our keys.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    let plausible = token.len() <= 128 && token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~+/=".contains(&b));
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && plausible).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_parsed_strictly() {
        assert_eq!(bearer_token("Bearer cik_abc"), Some("cik_abc"));
        assert_eq!(bearer_token("bearer  cik_abc "), Some("cik_abc"));
        assert_eq!(bearer_token("Basic dXNlcjpwYXNz"), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token("Bearer a'; DROP TABLE api_keys; --"), None);
        assert_eq!(bearer_token(&format!("Bearer {}", "a".repeat(500))), None);
    }
}

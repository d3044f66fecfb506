//! Roles and the principal a request runs as.

use std::fmt;
use std::str::FromStr;

#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Viewer,
    Analyst,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Viewer, Role::Analyst, Role::Admin];

    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "VIEWER",
            Role::Analyst => "ANALYST",
            Role::Admin => "ADMIN",
        }
    }

    /// Whether this role sees personal data unmasked.
    pub fn sees_personal_data(self) -> bool {
        self == Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown role `{s}` (VIEWER, ANALYST or ADMIN)"))
    }
}

/// The identity a request runs as: an API key, or the open demo mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The key's name (`anonymous` in open mode): logs and the rate limiter's bucket.
    pub name: String,
    pub role: Role,
}

impl Principal {
    /// Everything allowed: only for `serve --demo` on a loopback address, and tests.
    pub fn open() -> Self {
        Principal { name: "anonymous".to_owned(), role: Role::Admin }
    }
}

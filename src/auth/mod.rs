//! Who is asking, and what they may see: API keys, roles, the field policy and the rate limit.
//!
//! Roles, from least to most:
//! - `VIEWER`: the `insights` aggregates only; no rows, no mutations.
//! - `ANALYST`: rows and insights; personal data (customer name and e-mail, feedback comments) masked,
//!   and no sorting by name (its order and cursors would reveal names).
//! - `ADMIN`: everything, mutations included.

pub mod authenticator;
pub mod failures;
pub mod keys;
pub mod policy;
pub mod rate_limit;
pub mod role;

pub use authenticator::{AuthMode, Authenticator};
pub use role::{Principal, Role};

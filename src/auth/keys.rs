//! Creating, listing and revoking API keys. A key is `cik_` and 43 characters of base64url (32 random
//! bytes from the operating system); the database keeps only its SHA-256. A fast hash is right here:
//! the key has 256 bits of entropy, so there is nothing to slow down a guesser with, and requests check
//! it on every call.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use entity::api_key;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use sha2::{Digest, Sha256};

use crate::auth::Role;
use crate::error::{AppError, AppResult};

pub const KEY_PREFIX: &str = "cik_";
/// Characters of the key kept in clear to tell keys apart in listings.
const SHOWN_PREFIX_LEN: usize = 12;

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn generate_key() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| AppError::Internal(format!("no randomness from the OS: {e}")))?;
    Ok(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// A new key, and the secret to hand to its user (shown once: it cannot be recovered).
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

pub async fn create(db: &DatabaseConnection, name: &str, role: Role) -> AppResult<CreatedKey> {
    let name = name.trim();
    if name.is_empty() || name.len() > 128 {
        return Err(AppError::bad_input("name", "must be 1 to 128 characters"));
    }
    if api_key::Entity::find().filter(api_key::Column::Name.eq(name)).one(db).await?.is_some() {
        return Err(AppError::bad_input("name", format!("a key named `{name}` exists already")));
    }
    let secret = generate_key()?;
    let key = api_key::ActiveModel {
        name: Set(name.to_owned()),
        role: Set(role.as_str().to_owned()),
        key_hash: Set(sha256_hex(secret.as_bytes())),
        key_prefix: Set(secret[..SHOWN_PREFIX_LEN].to_owned()),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedKey { key, secret })
}

pub async fn list(db: &DatabaseConnection) -> AppResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find().order_by_asc(api_key::Column::Id).all(db).await?)
}

/// Revokes the key of that name; `false` when it was revoked already.
pub async fn revoke(db: &DatabaseConnection, name: &str) -> AppResult<bool> {
    let key = api_key::Entity::find()
        .filter(api_key::Column::Name.eq(name))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no key named `{name}`")))?;
    if key.revoked_at.is_some() {
        return Ok(false);
    }
    let mut active: api_key::ActiveModel = key.into();
    active.revoked_at = Set(Some(Utc::now()));
    active.update(db).await?;
    Ok(true)
}

/// The role of an unrevoked key with this secret.
pub async fn find_role(db: &DatabaseConnection, secret: &str) -> AppResult<Option<(String, Role)>> {
    let hash = sha256_hex(secret.as_bytes());
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash))
        .filter(api_key::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(key.and_then(|key| key.role.parse().ok().map(|role| (key.name, role))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_hashed_as_sha256() {
        let (a, b) = (generate_key().unwrap(), generate_key().unwrap());
        assert_ne!(a, b);
        assert!(a.starts_with(KEY_PREFIX) && a.len() == KEY_PREFIX.len() + 43, "{a}");
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}

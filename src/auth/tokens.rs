//! Random secrets (session cookies, CSRF tokens, API tokens) and API tokens
//! themselves. Only SHA-256 digests of secrets are stored, so a copy of the
//! database does not let anyone sign in.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::Actor;
use super::actor::{ACTOR_COLUMNS, ACTOR_JOIN};
use crate::db::{Db, Tx, now};
use crate::error::Result;

pub const API_TOKEN_PREFIX: &str = "antq_";

/// 32 random bytes from the OS generator, URL-safe base64.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn digest(secret: &str) -> String {
    let d = Sha256::digest(secret.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Issues an API token for a user inside the caller's transaction; returns
/// the token, which is shown once and never stored.
pub async fn create(tx: &mut Tx, user_id: i64, label: &str) -> Result<(i64, String)> {
    let token = format!("{API_TOKEN_PREFIX}{}", random_secret());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(user_id)
    .bind(digest(&token))
    .bind(label)
    .bind(now())
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, token))
}

/// The actor a bearer token stands for, if the token is valid and the
/// account enabled.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Actor>> {
    if !token.starts_with(API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let sql = format!(
        "SELECT {ACTOR_COLUMNS} FROM {ACTOR_JOIN} JOIN api_tokens t ON t.user_id = u.id \
         WHERE t.token_hash = $1 AND t.revoked = 0 AND u.disabled = 0"
    );
    let row = sqlx::query(&sql)
        .bind(digest(token))
        .fetch_optional(&db.pool)
        .await?;
    Ok(match row {
        Some(row) => Some(Actor::from_row(&row)?),
        None => None,
    })
}

/// Tokens of one user, for the account page (never the secret).
pub async fn list_for_user(db: &Db, user_id: i64) -> Result<Vec<(i64, String, String, bool)>> {
    let rows =
        sqlx::query("SELECT id, label, created_at, revoked FROM api_tokens WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(&db.pool)
            .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                r.try_get("label")?,
                r.try_get("created_at")?,
                r.try_get::<i64, _>("revoked")? == 1,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_digests_stable() {
        let a = random_secret();
        assert_ne!(a, random_secret());
        assert_eq!(a.len(), 43);
        assert_eq!(digest("x"), digest("x"));
        assert_eq!(digest("x").len(), 64);
    }
}

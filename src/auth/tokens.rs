//! Random secrets (session cookies, CSRF tokens, API tokens) and API tokens
//! themselves. Only SHA-256 digests of secrets are stored, so a copy of the
//! database does not let anyone sign in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

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
    crate::text::hex(&d)
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

/// The actors of valid tokens this process has seen, by digest. Every API
/// request authenticates, and the lookup was a query per request. A change
/// made through this server (users/) calls [`accounts_changed`] after its
/// commit, and a lookup that began before it may not store what it read
/// (the generation tells), so a token revoked or an account disabled there
/// is refused from the next request on. A change made by another process
/// (`antq user disable` on the command line) is seen once the entry is
/// older than [`TOKEN_TTL`].
#[derive(Default)]
pub struct TokenCache {
    generation: u64,
    actors: HashMap<String, (Actor, Instant)>,
}

/// How long a token's actor is trusted without asking the database.
pub const TOKEN_TTL: Duration = Duration::from_secs(1);

/// Most tokens kept; beyond it the cache starts again (a flood of distinct
/// valid tokens is not a workload, but memory stays bounded).
const MAX_CACHED: usize = 10_000;

/// The actor a bearer token stands for, if the token is valid and the
/// account enabled.
pub async fn authenticate(db: &Db, token: &str) -> Result<Option<Actor>> {
    if !token.starts_with(API_TOKEN_PREFIX) {
        return Ok(None);
    }
    let key = digest(token);
    let generation = {
        let cache = db.tokens.read().unwrap_or_else(|p| p.into_inner());
        if let Some((actor, _)) = cache.actors.get(&key).filter(|(_, at)| at.elapsed() < TOKEN_TTL) {
            return Ok(Some(actor.clone()));
        }
        cache.generation
    };
    let sql = format!(
        "SELECT {ACTOR_COLUMNS} FROM {ACTOR_JOIN} JOIN api_tokens t ON t.user_id = u.id \
         WHERE t.token_hash = $1 AND t.revoked = 0 AND u.disabled = 0"
    );
    let row = sqlx::query(&sql).bind(&key).fetch_optional(&db.pool).await?;
    let actor = match row {
        Some(row) => Actor::from_row(&row)?,
        None => return Ok(None),
    };
    let mut cache = db.tokens.write().unwrap_or_else(|p| p.into_inner());
    if cache.generation == generation {
        if cache.actors.len() >= MAX_CACHED {
            cache.actors.clear();
        }
        cache.actors.insert(key, (actor.clone(), Instant::now()));
    }
    Ok(Some(actor))
}

/// Forgets every cached token: called after a commit that changed an
/// account or a token (role, scope, name, disabled, revoked).
pub fn accounts_changed(db: &Db) {
    let mut cache = db.tokens.write().unwrap_or_else(|p| p.into_inner());
    cache.generation += 1;
    cache.actors.clear();
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

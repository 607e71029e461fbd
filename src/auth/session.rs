//! Browser sessions: an opaque cookie whose digest is the row key, and a
//! per-session CSRF token that every form post must echo.

use axum::http::HeaderMap;
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use super::Actor;
use super::actor::{ACTOR_COLUMNS, ACTOR_JOIN};
use super::tokens::{digest, random_secret};
use crate::db::{Db, now, timestamp};
use crate::error::Result;

pub const SESSION_COOKIE: &str = "antq_session";
/// CSRF cookie for the login form, before a session exists (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "antq_login_csrf";

pub enum Lookup {
    Active(Actor),
    Expired,
    Missing,
}

/// Starts a session; returns the cookie value.
pub async fn create(db: &Db, user_id: i64, minutes: i64) -> Result<String> {
    let secret = random_secret();
    let expires = timestamp(OffsetDateTime::now_utc() + Duration::minutes(minutes));
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest(&secret))
    .bind(user_id)
    .bind(random_secret())
    .bind(now())
    .bind(expires)
    .execute(&db.pool)
    .await?;
    Ok(secret)
}

pub async fn lookup(db: &Db, secret: &str) -> Result<Lookup> {
    let sql = format!(
        "SELECT {ACTOR_COLUMNS}, x.csrf_token, x.expires_at FROM {ACTOR_JOIN} \
         JOIN sessions x ON x.user_id = u.id WHERE x.token_hash = $1 AND u.disabled = 0"
    );
    let Some(row) = sqlx::query(&sql)
        .bind(digest(secret))
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(Lookup::Missing);
    };
    let expires_at: String = row.try_get("expires_at")?;
    if expires_at <= now() {
        end(db, secret).await?;
        return Ok(Lookup::Expired);
    }
    let mut actor = Actor::from_row(&row)?;
    actor.csrf_token = Some(row.try_get("csrf_token")?);
    Ok(Lookup::Active(actor))
}

pub async fn end(db: &Db, secret: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(digest(secret))
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// True when the request came over TLS (directly configured, or a proxy says so).
pub fn is_secure(headers: &HeaderMap, configured: bool) -> bool {
    configured
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A Set-Cookie value: HttpOnly and SameSite=Strict always, Secure behind TLS.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}");
    if secure {
        c.push_str("; Secure");
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn reads_cookies_and_builds_strict_ones() {
        let mut h = HeaderMap::new();
        h.insert("cookie", HeaderValue::from_static("a=1; antq_session=xyz; b=2"));
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "missing"), None);
        let c = set_cookie(SESSION_COOKIE, "v", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!set_cookie(SESSION_COOKIE, "v", 60, false).contains("Secure"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(is_secure(&h, false));
    }
}

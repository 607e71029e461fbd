//! Password sign-in with throttling: after [`MAX_FAILURES`] wrong passwords in
//! a row the account is locked for [`LOCK_MINUTES`], and the lock itself is
//! audited. While locked, the password is not even checked.

use sqlx::Row;
use time::{Duration, OffsetDateTime};

use super::{Actor, password, session};
use crate::audit::{self, Change};
use crate::db::{Db, now, timestamp};
use crate::error::{AppError, Result};

pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MINUTES: i64 = 15;

fn wrong_credentials() -> AppError {
    AppError::Unauthenticated("Tên đăng nhập hoặc mật khẩu không đúng.".into())
}

fn locked(minutes_left: i64) -> AppError {
    AppError::Throttled(format!(
        "Tài khoản tạm khóa vì nhập sai mật khẩu {MAX_FAILURES} lần liên tiếp. \
         Vui lòng thử lại sau {minutes_left} phút."
    ))
}

/// Checks the credentials and opens a session; returns the cookie value.
pub async fn login(db: &Db, username: &str, password_input: &str, session_minutes: i64) -> Result<String> {
    let username = username.trim().to_lowercase();
    let row = sqlx::query(
        "SELECT id, password_hash, disabled, failed_logins, locked_until, scope_path \
         FROM users WHERE username = $1",
    )
    .bind(&username)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        password::verify(None, password_input).await?;
        return Err(wrong_credentials());
    };
    let id: i64 = row.try_get("id")?;
    // Claim this attempt before checking the password, atomically with the
    // lock test: parallel guesses cannot all slip past a check made earlier.
    let now_s = now();
    let claimed: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET failed_logins = failed_logins + 1 \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) RETURNING failed_logins",
    )
    .bind(id)
    .bind(&now_s)
    .fetch_optional(&db.pool)
    .await?;
    let Some(attempts) = claimed else {
        let until: Option<String> = row.try_get("locked_until")?;
        return Err(locked(until.map(|u| minutes_until(&u)).unwrap_or(LOCK_MINUTES)));
    };
    let hash: String = row.try_get("password_hash")?;
    if !password::verify(Some(hash), password_input).await? {
        return Err(record_failure(db, id, attempts, &username, row.try_get("scope_path")?).await?);
    }
    if row.try_get::<i64, _>("disabled")? == 1 {
        return Err(AppError::Forbidden(
            "Tài khoản đã bị vô hiệu hóa. Vui lòng liên hệ quản trị viên.".into(),
        ));
    }
    sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
        .bind(id)
        .execute(&db.pool)
        .await?;
    session::create(db, id, session_minutes).await
}

/// The attempt was already counted; the fifth in a row locks the account
/// (audited, in the same transaction as the lock).
async fn record_failure(
    db: &Db,
    id: i64,
    failures: i64,
    username: &str,
    scope_path: String,
) -> Result<AppError> {
    let mut tx = db.begin().await?;
    let err = if failures >= MAX_FAILURES {
        let until = timestamp(OffsetDateTime::now_utc() + Duration::minutes(LOCK_MINUTES));
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = $1 WHERE id = $2")
            .bind(&until)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit::record(
            &mut tx,
            &Actor::system(),
            Change {
                action: "user.locked",
                target_kind: "user",
                target_id: id.to_string(),
                target_label: username.to_string(),
                scope_path,
                before: None,
                after: Some(serde_json::json!({ "locked_until": until })),
            },
        )
        .await?;
        locked(LOCK_MINUTES)
    } else {
        wrong_credentials()
    };
    tx.commit().await?;
    Ok(err)
}

fn minutes_until(until: &str) -> i64 {
    let parsed = OffsetDateTime::parse(until, &time::format_description::well_known::Rfc3339);
    match parsed {
        Ok(t) => ((t - OffsetDateTime::now_utc()).whole_seconds() / 60 + 1).max(1),
        Err(_) => LOCK_MINUTES,
    }
}

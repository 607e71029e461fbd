use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Role;
use crate::error::AppError;

/// The authenticated user a request (or a CLI command) acts as. Every service
/// function takes one; the policy decides from its role and scope.
#[derive(Clone, Debug)]
pub struct Actor {
    /// None for the command line, which acts as the system.
    pub user_id: Option<i64>,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub scope_code: String,
    pub scope_name: String,
    /// Materialised path of the scope unit ('/VN/12/03583/').
    pub scope_path: String,
    /// CSRF token of the browser session; None for API tokens and the CLI.
    pub csrf_token: Option<String>,
}

/// Columns to select (with `users u JOIN units s`) to build an Actor.
pub const ACTOR_COLUMNS: &str =
    "u.id, u.username, u.full_name, u.role, u.scope_code, s.name AS scope_name, u.scope_path";

/// The join that [`ACTOR_COLUMNS`] expects.
pub const ACTOR_JOIN: &str = "users u JOIN units s ON s.era = 'current' AND s.code = u.scope_code";

/// The actor of an account, by username (the demo writes as its accounts).
pub async fn by_username(db: &crate::db::Db, username: &str) -> crate::error::Result<Actor> {
    let row = sqlx::query(&format!(
        "SELECT {ACTOR_COLUMNS} FROM {ACTOR_JOIN} WHERE u.username = $1"
    ))
    .bind(username)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(crate::error::AppError::not_found)?;
    Ok(Actor::from_row(&row)?)
}

impl Actor {
    /// The command line acts with full rights over the nation; its writes are
    /// audited under this name.
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            username: "hệ thống (dòng lệnh)".into(),
            full_name: String::new(),
            role: Role::Admin,
            scope_code: "VN".into(),
            scope_name: "Việt Nam".into(),
            scope_path: "/VN/".into(),
            csrf_token: None,
        }
    }

    pub fn from_row(row: &AnyRow) -> Result<Actor, sqlx::Error> {
        let role: String = row.try_get("role")?;
        Ok(Actor {
            user_id: Some(row.try_get("id")?),
            username: row.try_get("username")?,
            full_name: row.try_get("full_name")?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            scope_code: row.try_get("scope_code")?,
            scope_name: row.try_get("scope_name")?,
            scope_path: row.try_get("scope_path")?,
            csrf_token: None,
        })
    }

    pub fn display_name(&self) -> &str {
        if self.full_name.is_empty() {
            &self.username
        } else {
            &self.full_name
        }
    }
}

/// The session and token middleware put the Actor in the request extensions;
/// routes behind them can take it as an argument.
impl<S: Send + Sync> FromRequestParts<S> for Actor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .ok_or_else(|| AppError::Unauthenticated("Vui lòng đăng nhập.".into()))
    }
}

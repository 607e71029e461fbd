//! Accounts: one role and one scope unit each. Managed by admins inside
//! their own scope; every change audited (never the password itself).

pub mod api;
pub mod pages;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Role, Scope, password, policy, tokens};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{optional_text, shorten};
use crate::units::{Unit, find_current};

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub full_name: String,
    pub role: Role,
    pub scope_code: String,
    pub scope_name: String,
    pub disabled: bool,
    pub locked_until: Option<String>,
    pub created_at: String,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "u.id, u.username, u.full_name, u.role, u.scope_code, s.name AS scope_name, \
     u.disabled, u.locked_until, u.created_at, u.scope_path";
const FROM: &str = "users u JOIN units s ON s.era = 'current' AND s.code = u.scope_code";

impl User {
    fn from_row(r: &AnyRow) -> Result<User, sqlx::Error> {
        let role: String = r.try_get("role")?;
        Ok(User {
            id: r.try_get("id")?,
            username: r.try_get("username")?,
            full_name: r.try_get("full_name")?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            scope_code: r.try_get("scope_code")?,
            scope_name: r.try_get("scope_name")?,
            disabled: r.try_get::<i64, _>("disabled")? == 1,
            locked_until: r.try_get("locked_until")?,
            created_at: r.try_get("created_at")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    fn snapshot(&self) -> serde_json::Value {
        json!({
            "username": self.username, "full_name": self.full_name, "role": self.role,
            "scope_code": self.scope_code, "disabled": self.disabled,
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct UserDraft {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub scope_code: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub disabled: Option<bool>,
}

fn parse_username(inv: &mut Invalid, raw: Option<&str>) -> String {
    let name = raw.unwrap_or_default().trim().to_lowercase();
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c));
    if name.is_empty() {
        inv.add("username", "Tên đăng nhập: không được để trống.");
    } else if !(3..=50).contains(&name.chars().count()) || !ok_chars {
        inv.add(
            "username",
            format!(
                "Tên đăng nhập: \"{}\" không hợp lệ (3–50 ký tự: chữ không dấu, số, dấu chấm, gạch dưới, gạch ngang).",
                shorten(&name)
            ),
        );
    }
    name
}

fn parse_role(inv: &mut Invalid, raw: Option<&str>) -> Role {
    match raw.and_then(Role::parse) {
        Some(r) => r,
        None => {
            inv.add(
                "role",
                "Vai trò: chọn một trong viewer, officer, reviewer, admin.",
            );
            Role::Viewer
        }
    }
}

/// The scope unit must be the nation, a province or a commune of today's map,
/// inside the acting admin's own scope.
async fn parse_scope(db: &Db, actor: &Actor, inv: &mut Invalid, raw: Option<&str>) -> Result<Option<Unit>> {
    let code = raw.unwrap_or_default().trim();
    if code.is_empty() {
        inv.add("scope_code", "Phạm vi (mã đơn vị): không được để trống.");
        return Ok(None);
    }
    match find_current(db, code).await? {
        None => {
            inv.add(
                "scope_code",
                format!("Phạm vi (mã đơn vị): không có đơn vị mã \"{}\".", shorten(code)),
            );
            Ok(None)
        }
        Some(u) if !u.path.starts_with(&actor.scope_path) => {
            inv.add(
                "scope_code",
                format!("Phạm vi (mã đơn vị): {} nằm ngoài phạm vi của bạn.", u.name),
            );
            Ok(None)
        }
        Some(u) => Ok(Some(u)),
    }
}

pub async fn create(db: &Db, actor: &Actor, draft: &UserDraft) -> Result<User> {
    policy::authorize(actor, Action::ManageUsers, &actor.scope_path)?;
    let mut inv = Invalid::default();
    let username = parse_username(&mut inv, draft.username.as_deref());
    let full_name = optional_text(
        &mut inv,
        "full_name",
        "Họ và tên",
        draft.full_name.as_deref(),
        200,
    );
    let role = parse_role(&mut inv, draft.role.as_deref());
    let scope = parse_scope(db, actor, &mut inv, draft.scope_code.as_deref()).await?;
    let pw = draft.password.clone().unwrap_or_default();
    if let Err(e) = password::validate(&pw) {
        inv.add("password", e.user_message());
    }
    inv.finish()?;
    let Some(scope) = scope else {
        return Err(AppError::not_found());
    };
    let hash = password::hash(&pw).await?;
    let mut tx = db.begin().await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(&username)
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(username_taken(&username));
    }
    let user = insert(&mut tx, &username, &full_name, role, &scope, &hash).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "user.create",
            target_kind: "user",
            target_id: user.id.to_string(),
            target_label: user.username.clone(),
            scope_path: user.scope_path.clone(),
            before: None,
            after: Some(user.snapshot()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

fn username_taken(username: &str) -> AppError {
    AppError::conflict("username", format!("Tên đăng nhập: \"{username}\" đã được dùng."))
}

async fn insert(
    tx: &mut Tx,
    username: &str,
    full_name: &str,
    role: Role,
    scope: &Unit,
    hash: &str,
) -> Result<User> {
    let ts = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, full_name, role, scope_code, scope_path, password_hash, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(username)
    .bind(full_name)
    .bind(role.as_str())
    .bind(&scope.code)
    .bind(&scope.path)
    .bind(hash)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { username_taken(username) } else { e.into() })?;
    fetch(&mut **tx, id).await?.ok_or_else(AppError::not_found)
}

async fn fetch<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(ex: E, id: i64) -> Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(ex)
        .await?;
    Ok(match row {
        Some(r) => Some(User::from_row(&r)?),
        None => None,
    })
}

pub async fn list(db: &Db, actor: &Actor) -> Result<Vec<User>> {
    let scope = Scope::new(actor, Action::ManageUsers)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE u.scope_path LIKE $1 ORDER BY u.username"
    ))
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| User::from_row(r).map_err(Into::into))
        .collect()
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<User> {
    let user = fetch(&db.pool, id).await?.ok_or_else(AppError::not_found)?;
    policy::authorize(actor, Action::ManageUsers, &user.scope_path).map_err(|e| match e {
        AppError::Forbidden(_) if actor.role >= Role::Admin => AppError::not_found(),
        e => e,
    })?;
    Ok(user)
}

/// Changes name, role, scope or the disabled flag.
pub async fn update(db: &Db, actor: &Actor, id: i64, draft: &UserDraft) -> Result<User> {
    let before = get(db, actor, id).await?;
    let mut inv = Invalid::default();
    let full_name = match &draft.full_name {
        Some(n) => optional_text(&mut inv, "full_name", "Họ và tên", Some(n), 200),
        None => before.full_name.clone(),
    };
    let role = match &draft.role {
        Some(r) => parse_role(&mut inv, Some(r)),
        None => before.role,
    };
    let scope = match &draft.scope_code {
        Some(c) => parse_scope(db, actor, &mut inv, Some(c)).await?,
        None => find_current(db, &before.scope_code).await?,
    };
    let disabled = draft.disabled.unwrap_or(before.disabled);
    if Some(id) == actor.user_id && (disabled || role < before.role) {
        inv.add(
            "role",
            "Không thể tự vô hiệu hóa hoặc tự hạ vai trò của chính mình.",
        );
    }
    if draft.password.is_some() {
        inv.add("password", "Mật khẩu: dùng chức năng đặt lại mật khẩu.");
    }
    inv.finish()?;
    let scope = scope.ok_or_else(AppError::not_found)?;
    let mut tx = db.begin().await?;
    sqlx::query(
        "UPDATE users SET full_name = $1, role = $2, scope_code = $3, scope_path = $4, disabled = $5, \
         updated_at = $6 WHERE id = $7",
    )
    .bind(&full_name)
    .bind(role.as_str())
    .bind(&scope.code)
    .bind(&scope.path)
    .bind(i64::from(disabled))
    .bind(now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if disabled {
        // A disabled account's open sessions end now, not when they expire.
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let after = fetch(&mut *tx, id).await?.ok_or_else(AppError::not_found)?;
    let action = match (before.disabled, after.disabled) {
        (false, true) => "user.disable",
        (true, false) => "user.enable",
        _ => "user.update",
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action,
            target_kind: "user",
            target_id: id.to_string(),
            target_label: after.username.clone(),
            scope_path: after.scope_path.clone(),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    tx.commit().await?;
    crate::auth::tokens::accounts_changed(db);
    Ok(after)
}

pub async fn set_password(db: &Db, actor: &Actor, id: i64, new_password: &str) -> Result<()> {
    let user = get(db, actor, id).await?;
    password::validate(new_password)?;
    let hash = password::hash(new_password).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, updated_at = $2 WHERE id = $3")
        .bind(&hash)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // Sessions opened with the old password end with it, and so do API
    // tokens: a token made with a stolen password must not outlive the reset.
    sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "user.set_password",
            target_kind: "user",
            target_id: id.to_string(),
            target_label: user.username.clone(),
            scope_path: user.scope_path.clone(),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    crate::auth::tokens::accounts_changed(db);
    Ok(())
}

/// Issues an API token. Users may issue their own; admins may issue for
/// accounts in their scope.
pub async fn create_token(db: &Db, actor: &Actor, user_id: i64, label: &str) -> Result<String> {
    let user = if Some(user_id) == actor.user_id {
        fetch(&db.pool, user_id).await?.ok_or_else(AppError::not_found)?
    } else {
        get(db, actor, user_id).await?
    };
    if user.disabled {
        return Err(AppError::conflict(
            "username",
            "Tài khoản đã bị vô hiệu hóa; không cấp mã truy cập.",
        ));
    }
    let mut inv = Invalid::default();
    let label = optional_text(&mut inv, "label", "Tên gợi nhớ", Some(label), 100);
    inv.finish()?;
    let mut tx = db.begin().await?;
    let (token_id, token) = tokens::create(&mut tx, user.id, &label).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "token.create",
            target_kind: "api_token",
            target_id: token_id.to_string(),
            target_label: format!("{} – {}", user.username, label),
            scope_path: user.scope_path.clone(),
            before: None,
            after: Some(json!({ "user": user.username, "label": label })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// Revokes an API token: one's own, or (admins) one of an account in scope.
pub async fn revoke_token(db: &Db, actor: &Actor, token_id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    let row = sqlx::query(
        "SELECT t.user_id, t.label, t.revoked, u.username, u.scope_path FROM api_tokens t \
         JOIN users u ON u.id = t.user_id WHERE t.id = $1",
    )
    .bind(token_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(AppError::not_found)?;
    let owner: i64 = row.try_get("user_id")?;
    let scope_path: String = row.try_get("scope_path")?;
    if Some(owner) != actor.user_id {
        policy::authorize(actor, Action::ManageUsers, &scope_path).map_err(|e| match e {
            AppError::Forbidden(_) if actor.role >= Role::Admin => AppError::not_found(),
            e => e,
        })?;
    }
    if row.try_get::<i64, _>("revoked")? == 1 {
        return Err(AppError::conflict(
            "token",
            "Mã truy cập này đã bị thu hồi từ trước.",
        ));
    }
    sqlx::query("UPDATE api_tokens SET revoked = 1 WHERE id = $1")
        .bind(token_id)
        .execute(&mut *tx)
        .await?;
    let username: String = row.try_get("username")?;
    let label: String = row.try_get("label")?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "token.revoke",
            target_kind: "api_token",
            target_id: token_id.to_string(),
            target_label: format!("{username} – {label}"),
            scope_path,
            before: Some(json!({ "revoked": false })),
            after: Some(json!({ "revoked": true })),
        },
    )
    .await?;
    tx.commit().await?;
    crate::auth::tokens::accounts_changed(db);
    Ok(())
}

/// A signed-in user changes their own password; every session of the
/// account ends, so they sign in again with the new one.
pub async fn change_own_password(db: &Db, actor: &Actor, current: &str, new_password: &str) -> Result<()> {
    let id = actor.user_id.ok_or_else(AppError::not_found)?;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&db.pool)
        .await?;
    let mut inv = Invalid::default();
    if !password::verify(Some(stored), current).await? {
        inv.add("current_password", "Mật khẩu hiện tại: không đúng.");
    }
    if let Err(e) = password::validate(new_password) {
        inv.add("password", e.user_message());
    }
    inv.finish()?;
    let hash = password::hash(new_password).await?;
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(&hash)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "user.change_password",
            target_kind: "user",
            target_id: id.to_string(),
            target_label: actor.username.clone(),
            scope_path: actor.scope_path.clone(),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn find_by_username(db: &Db, username: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM {FROM} WHERE u.username = $1"))
        .bind(username.trim().to_lowercase())
        .fetch_optional(&db.pool)
        .await?;
    Ok(match row {
        Some(r) => Some(User::from_row(&r)?),
        None => None,
    })
}

/// On an empty database, creates `admin` (nation scope) with a random
/// password and returns it, to be printed once.
pub async fn ensure_first_admin(db: &Db) -> Result<Option<String>> {
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&db.pool)
        .await?;
    if count > 0 {
        return Ok(None);
    }
    let pw = password::generate();
    create(
        db,
        &Actor::system(),
        &UserDraft {
            username: Some("admin".into()),
            full_name: Some("Quản trị hệ thống".into()),
            role: Some("admin".into()),
            scope_code: Some("VN".into()),
            password: Some(pw.clone()),
            disabled: None,
        },
    )
    .await?;
    Ok(Some(pw))
}

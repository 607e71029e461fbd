//! The officers' work on a tip: status (received → verifying → transferred
//! (to whom) / resolved / unfounded / duplicate of another tip), assignment,
//! internal notes and replies to the citizen, the extensions of Bộ luật Tố
//! tụng hình sự 2015 Điều 147 (complex cases: to at most 2 months from
//! receipt; then once more, by at most 2 months, with the approving
//! authority recorded each time), and the reporter's identity, opened only
//! with a written reason that the audit log keeps.

use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use super::identity::{Identity, TipKey};
use super::{STATUSES, Tip, add_months, get};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Role, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result};
use crate::input::{self, optional_lines, optional_text, parse_date, required_text, today};
use crate::text::format_date;

async fn audit_tip(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    tip: &Tip,
    after: serde_json::Value,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "tip",
            target_id: tip.id.to_string(),
            target_label: format!("Tin báo {}", tip.tracking_code),
            scope_path: tip.scope_path.clone(),
            before: Some(json!({"status": tip.status, "deadline": tip.deadline})),
            after: Some(after),
        },
    )
    .await
}

/// Checks scope, locks the row, then reads it again inside the transaction,
/// so that two officers acting at once each see the other's change.
async fn locked(db: &Db, tx: &mut Tx, actor: &Actor, id: i64) -> Result<Tip> {
    get(db, actor, id).await?;
    sqlx::query(&format!("SELECT id FROM tips WHERE id = $1{}", db.lock_clause()))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let row = sqlx::query(&format!(
        "SELECT {} {} WHERE t.id = $1",
        super::COLUMNS,
        super::FROM
    ))
    .bind(id)
    .fetch_one(&mut **tx)
    .await?;
    Ok(Tip::from_row(&row)?)
}

#[derive(Debug, Default, Deserialize)]
pub struct StatusDraft {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub transferred_to: Option<String>,
    #[serde(default)]
    pub duplicate_of: Option<String>,
}

pub async fn set_status(db: &Db, actor: &Actor, id: i64, d: &StatusDraft) -> Result<Tip> {
    let mut inv = Invalid::default();
    let status = d.status.clone().unwrap_or_default();
    if !STATUSES.iter().any(|(k, _)| *k == status) {
        inv.add("status", "Trạng thái: hãy chọn một trạng thái.");
    }
    let transferred_to = optional_text(
        &mut inv,
        "transferred_to",
        "Chuyển đến",
        d.transferred_to.as_deref(),
        300,
    );
    if status == "transferred" && transferred_to.is_empty() && !inv.has("transferred_to") {
        inv.add(
            "transferred_to",
            "Chuyển đến: ghi cơ quan nhận tin báo (ví dụ Cơ quan Cảnh sát điều tra Công an tỉnh).",
        );
    }
    let duplicate_of = match d.duplicate_of.as_deref().map(super::normalise_code) {
        _ if status != "duplicate" => None,
        Some(Some(code)) => Some(code),
        _ => {
            inv.add(
                "duplicate_of",
                "Trùng với: ghi mã theo dõi của tin báo đã có (12 chữ số).",
            );
            None
        }
    };
    inv.finish()?;
    let mut tx = db.begin().await?;
    let tip = locked(db, &mut tx, actor, id).await?;
    let duplicate_id = match &duplicate_of {
        Some(code) => {
            let row = sqlx::query("SELECT id, scope_path FROM tips WHERE tracking_code = $1")
                .bind(code)
                .fetch_optional(&mut *tx)
                .await?;
            // A tip outside the actor's scope is as good as unknown to them.
            match row {
                Some(r)
                    if policy::authorize(
                        actor,
                        Action::HandleTips,
                        &r.try_get::<String, _>("scope_path")?,
                    )
                    .is_ok() =>
                {
                    let other: i64 = r.try_get("id")?;
                    if other == tip.id {
                        return Err(AppError::field(
                            "duplicate_of",
                            "Trùng với: không thể trùng với chính tin báo này.",
                        ));
                    }
                    Some(other)
                }
                _ => {
                    return Err(AppError::field(
                        "duplicate_of",
                        "Trùng với: không tìm thấy tin báo có mã này.",
                    ));
                }
            }
        }
        None => None,
    };
    // A closed tip stays closed: reopening would rewrite when it was closed
    // and whether that was in time.
    if !tip.is_open() && matches!(status.as_str(), "received" | "verifying") {
        return Err(AppError::Conflict {
            message: format!(
                "Tin báo đã kết thúc ({}) ngày {}; không mở lại. Thông tin mới được ghi thành ghi chú hoặc tiếp nhận thành tin báo mới.",
                tip.status_label(),
                format_date(tip.closed_on.as_deref().unwrap_or_default())
            ),
            fields: Default::default(),
        });
    }
    let closing = !matches!(status.as_str(), "received" | "verifying");
    let closed_on = closing.then(|| tip.closed_on.clone().unwrap_or_else(|| today().to_string()));
    sqlx::query(
        "UPDATE tips SET status = $1, transferred_to = $2, duplicate_of = $3, closed_on = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&status)
    .bind(if status == "transferred" { transferred_to.clone() } else { String::new() })
    .bind(duplicate_id)
    .bind(&closed_on)
    .bind(now())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit_tip(
        &mut tx,
        actor,
        "tip.status",
        &tip,
        json!({"status": status, "transferred_to": transferred_to, "duplicate_of": duplicate_of}),
    )
    .await?;
    tx.commit().await?;
    get(db, actor, id).await
}

/// Assigns the tip to an officer of a unit in whose scope it lies.
pub async fn assign(db: &Db, actor: &Actor, id: i64, user_id: Option<i64>) -> Result<Tip> {
    let mut tx = db.begin().await?;
    let tip = locked(db, &mut tx, actor, id).await?;
    let name = match user_id {
        None => None,
        Some(uid) => {
            let row = sqlx::query("SELECT full_name, role, scope_path, disabled FROM users WHERE id = $1")
                .bind(uid)
                .fetch_optional(&mut *tx)
                .await?;
            let fits = |r: &sqlx::any::AnyRow| -> Result<bool> {
                let scope: String = r.try_get("scope_path")?;
                let role: String = r.try_get("role")?;
                let disabled: i64 = r.try_get("disabled")?;
                Ok(disabled == 0 && policy::may_take_on(actor, Role::parse(&role), &scope, &tip.scope_path))
            };
            match row {
                Some(r) if fits(&r)? => Some(r.try_get::<String, _>("full_name")?),
                _ => {
                    return Err(AppError::field(
                        "assigned_to",
                        "Giao cho: chọn một cán bộ đang hoạt động có phạm vi gồm địa bàn của tin báo.",
                    ));
                }
            }
        }
    };
    sqlx::query("UPDATE tips SET assigned_to = $1, updated_at = $2 WHERE id = $3")
        .bind(user_id)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_tip(
        &mut tx,
        actor,
        "tip.assign",
        &tip,
        json!({"assigned_to": user_id, "name": name}),
    )
    .await?;
    tx.commit().await?;
    get(db, actor, id).await
}

/// An internal note (never shown to the citizen) or a reply (shown).
pub async fn add_message(db: &Db, actor: &Actor, id: i64, kind: &str, body: Option<&str>) -> Result<Tip> {
    let mut inv = Invalid::default();
    if kind != "note" && kind != "reply" {
        inv.add(
            "kind",
            "Loại: ghi chú nội bộ (note) hoặc trả lời người báo tin (reply).",
        );
    }
    let body = optional_lines(&mut inv, "body", "Nội dung", body, super::intake::DESCRIPTION_MAX);
    if body.is_empty() && !inv.has("body") {
        inv.add("body", "Nội dung: không được để trống.");
    }
    inv.finish()?;
    let mut tx = db.begin().await?;
    let tip = locked(db, &mut tx, actor, id).await?;
    sqlx::query(
        "INSERT INTO tip_messages (tip_id, kind, body, user_id, user_name, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(kind)
    .bind(&body)
    .bind(actor.user_id)
    .bind(actor.display_name())
    .bind(now())
    .execute(&mut *tx)
    .await?;
    audit_tip(
        &mut tx,
        actor,
        if kind == "reply" { "tip.reply" } else { "tip.note" },
        &tip,
        json!({"length": body.chars().count()}),
    )
    .await?;
    tx.commit().await?;
    get(db, actor, id).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ExtendDraft {
    #[serde(default)]
    pub until: Option<String>,
    #[serde(default)]
    pub approved_by: Option<String>,
}

/// The first extension (complex cases) to at most 2 months from receipt;
/// the second, once, by at most 2 months beyond the first.
pub async fn extend(db: &Db, actor: &Actor, id: i64, d: &ExtendDraft) -> Result<Tip> {
    let mut inv = Invalid::default();
    let until = input::date(&mut inv, "until", "Gia hạn đến ngày", d.until.as_deref(), true);
    let by = required_text(
        &mut inv,
        "approved_by",
        "Người, cơ quan phê duyệt gia hạn",
        d.approved_by.as_deref(),
        300,
    );
    inv.finish()?;
    let until = until.unwrap_or_default();
    let mut tx = db.begin().await?;
    let tip = locked(db, &mut tx, actor, id).await?;
    if !tip.is_open() {
        return Err(AppError::Conflict {
            message: format!("Tin báo đã kết thúc ({}); không gia hạn.", tip.status_label()),
            fields: Default::default(),
        });
    }
    if tip.is_overdue() {
        return Err(AppError::Conflict {
            message: format!(
                "Tin báo đã quá hạn từ {}; không gia hạn sau khi đã hết hạn.",
                format_date(&tip.deadline)
            ),
            fields: Default::default(),
        });
    }
    let received =
        parse_date(&tip.received_on).ok_or_else(|| AppError::Internal(anyhow::anyhow!("bad date")))?;
    // Điều 147 khoản 2: the complex case may take up to 2 months from
    // receipt; the Procuracy may extend once more by up to 2 months beyond
    // that, however short the first extension was.
    let (stage, limit) = match (&tip.extension1_until, &tip.extension2_until) {
        (None, _) => (1, add_months(received, 2)),
        (Some(_), None) => (2, add_months(received, 2).and_then(|f| add_months(f, 2))),
        (Some(_), Some(_)) => {
            return Err(AppError::conflict(
                "until",
                "Gia hạn đến ngày: đã gia hạn hai lần; Điều 147 không cho gia hạn thêm.",
            ));
        }
    };
    let limit = limit.ok_or_else(|| AppError::Internal(anyhow::anyhow!("date overflow")))?;
    if until.as_str() <= tip.deadline.as_str() {
        return Err(AppError::field(
            "until",
            format!(
                "Gia hạn đến ngày: phải sau thời hạn hiện tại ({}).",
                format_date(&tip.deadline)
            ),
        ));
    }
    if until.as_str() > limit.to_string().as_str() {
        let why = if stage == 1 {
            "lần gia hạn thứ nhất không quá 02 tháng kể từ ngày tiếp nhận"
        } else {
            "lần gia hạn thứ hai không quá 02 tháng sau thời hạn 02 tháng"
        };
        return Err(AppError::field(
            "until",
            format!(
                "Gia hạn đến ngày: {why} (đến {}), theo Điều 147.",
                format_date(&limit.to_string())
            ),
        ));
    }
    let sql = if stage == 1 {
        "UPDATE tips SET extension1_until = $1, extension1_by = $2, deadline = $1, updated_at = $3 WHERE id = $4"
    } else {
        "UPDATE tips SET extension2_until = $1, extension2_by = $2, deadline = $1, updated_at = $3 WHERE id = $4"
    };
    sqlx::query(sql)
        .bind(&until)
        .bind(&by)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_tip(
        &mut tx,
        actor,
        "tip.extend",
        &tip,
        json!({"stage": stage, "until": until, "approved_by": by}),
    )
    .await?;
    tx.commit().await?;
    get(db, actor, id).await
}

/// Opens the reporter's name and phone for one officer, with the reason
/// recorded in the audit log in the same transaction.
pub async fn reveal_identity(
    db: &Db,
    key: &TipKey,
    actor: &Actor,
    id: i64,
    reason: Option<&str>,
) -> Result<Identity> {
    let mut inv = Invalid::default();
    let reason = optional_lines(&mut inv, "reason", "Lý do xem danh tính", reason, 1000);
    if reason.chars().count() < 10 && !inv.has("reason") {
        inv.add(
            "reason",
            "Lý do xem danh tính: ghi rõ lý do (ít nhất 10 ký tự); lý do được lưu vào nhật ký.",
        );
    }
    inv.finish()?;
    let mut tx = db.begin().await?;
    let tip = locked(db, &mut tx, actor, id).await?;
    let sealed: Option<String> = sqlx::query_scalar("SELECT identity_sealed FROM tips WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let Some(sealed) = sealed else {
        return Err(AppError::NotFound(
            "Người báo tin không để lại danh tính (ẩn danh).".into(),
        ));
    };
    let identity = key.open(&sealed)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "tip.identity_view",
            target_kind: "tip",
            target_id: tip.id.to_string(),
            target_label: format!("Tin báo {}", tip.tracking_code),
            scope_path: tip.scope_path.clone(),
            before: None,
            after: Some(json!({ "reason": reason })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(identity)
}

/// The messages of a tip for an officer: replies, notes and the citizen's.
pub async fn messages(db: &Db, actor: &Actor, id: i64) -> Result<Vec<OfficerMessage>> {
    get(db, actor, id).await?;
    let rows = sqlx::query(
        "SELECT kind, body, user_name, created_at FROM tip_messages WHERE tip_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(OfficerMessage {
                kind: r.try_get("kind")?,
                body: r.try_get("body")?,
                user_name: r.try_get("user_name")?,
                at: r.try_get("created_at")?,
            })
        })
        .collect()
}

#[derive(Debug, serde::Serialize)]
pub struct OfficerMessage {
    pub kind: String,
    pub body: String,
    pub user_name: String,
    pub at: String,
}

impl OfficerMessage {
    pub fn kind_label(&self) -> &'static str {
        match self.kind.as_str() {
            "citizen" => "Người báo tin bổ sung",
            "reply" => "Trả lời người báo tin",
            _ => "Ghi chú nội bộ (người báo tin không thấy)",
        }
    }

    pub fn at_label(&self) -> String {
        crate::text::format_timestamp(&self.at)
    }
}

/// A photo's type and bytes, for an officer who may see the tip.
pub async fn photo(db: &Db, actor: &Actor, id: i64, photo_id: i64) -> Result<(String, Vec<u8>)> {
    get(db, actor, id).await?;
    let row = sqlx::query("SELECT content_type, data FROM tip_photos WHERE id = $1 AND tip_id = $2")
        .bind(photo_id)
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((row.try_get("content_type")?, row.try_get("data")?))
}

pub async fn photo_ids(db: &Db, id: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM tip_photos WHERE tip_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&db.pool)
            .await?,
    )
}

/// Officers a tip may be assigned to: active, officer or above, whose scope
/// holds the tip's place and lies within the actor's scope.
pub async fn assignable(db: &Db, actor: &Actor, tip: &Tip) -> Result<Vec<(i64, String)>> {
    let rows = sqlx::query("SELECT id, full_name, username, role, scope_path FROM users WHERE disabled = 0 AND scope_path LIKE $1 ORDER BY full_name")
        .bind(format!("{}%", actor.scope_path))
        .fetch_all(&db.pool)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let scope: String = r.try_get("scope_path")?;
        let role: String = r.try_get("role")?;
        if policy::may_take_on(actor, Role::parse(&role), &scope, &tip.scope_path) {
            out.push((
                r.try_get("id")?,
                format!(
                    "{} ({})",
                    r.try_get::<String, _>("full_name")?,
                    r.try_get::<String, _>("username")?
                ),
            ));
        }
    }
    Ok(out)
}

//! The audit log: every write records who, when, what and the values before
//! and after, inside the transaction of the write itself, so that a write
//! without its audit row cannot be committed.

pub mod api;
pub mod pages;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;

use crate::auth::{Action, Actor, Scope};
use crate::db::{Backend, Db, Tx, now};
use crate::error::{Invalid, Result};
use crate::units;

/// One write, as the service that made it describes it.
pub struct Change {
    /// Dotted verb: `village.create`, `user.disable`…
    pub action: &'static str,
    pub target_kind: &'static str,
    pub target_id: String,
    pub target_label: String,
    /// Unit path of the target, so audit reads are scoped like the data.
    pub scope_path: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

pub async fn record(tx: &mut Tx, actor: &Actor, change: Change) -> Result<()> {
    record_at(tx, actor, change, &now()).await
}

/// [`record`] with the time given: a citizen's tip-off actions are logged
/// with the day only (db::today_stamp).
pub async fn record_at(tx: &mut Tx, actor: &Actor, change: Change, at: &str) -> Result<()> {
    if let Some(conn) = tx.native() {
        return record_native(conn, actor, change, at);
    }
    sqlx::query(INSERT)
        .bind(at)
        .bind(actor.user_id)
        .bind(&actor.username)
        .bind(change.action)
        .bind(change.target_kind)
        .bind(&change.target_id)
        .bind(&change.target_label)
        .bind(&change.scope_path)
        .bind(change.before.map(|v| v.to_string()))
        .bind(change.after.map(|v| v.to_string()))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const INSERT: &str = "INSERT INTO audit_log (at, user_id, actor_name, action, target_kind, target_id, \
     target_label, scope_path, before_json, after_json) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// [`record_at`] in a transaction of [`crate::db::Db::begin_native`].
fn record_native(conn: &rusqlite::Connection, actor: &Actor, change: Change, at: &str) -> Result<()> {
    let mut statement = conn.prepare_cached(INSERT).map_err(crate::db::native::failed)?;
    statement
        .execute(rusqlite::params![
            at,
            actor.user_id,
            actor.username,
            change.action,
            change.target_kind,
            change.target_id,
            change.target_label,
            change.scope_path,
            change.before.map(|v| v.to_string()),
            change.after.map(|v| v.to_string()),
        ])
        .map_err(crate::db::native::failed)?;
    Ok(())
}

/// [`record_many`] in a transaction of [`crate::db::Db::begin_native`], on
/// the calling thread: a few entries (an import's, one per unit), one
/// statement each.
pub fn record_many_native(conn: &rusqlite::Connection, actor: &Actor, changes: Vec<Change>) -> Result<()> {
    let at = now();
    for change in changes {
        record_native(conn, actor, change, &at)?;
    }
    Ok(())
}

/// [`record`] for many entries of one transaction (an import's, one per
/// unit), many a statement (db::bulk::insert_bound): the same rows as one
/// call each.
pub async fn record_many(tx: &mut Tx, backend: Backend, actor: &Actor, changes: Vec<Change>) -> Result<()> {
    use crate::db::bulk::Val;
    if let Some(conn) = tx.native() {
        return record_many_native(conn, actor, changes);
    }
    let at = now();
    let user: Val = actor.user_id.map_or(Val::NullInt, Val::Int);
    let rows: Vec<Vec<Val>> = changes
        .into_iter()
        .map(|c| {
            vec![
                Val::from(at.as_str()),
                user.clone(),
                Val::from(actor.username.as_str()),
                Val::from(c.action),
                Val::from(c.target_kind),
                Val::Text(c.target_id),
                Val::Text(c.target_label),
                Val::Text(c.scope_path),
                c.before.map(|v| v.to_string()).into(),
                c.after.map(|v| v.to_string()).into(),
            ]
        })
        .collect();
    crate::db::bulk::insert_bound(
        tx,
        backend,
        "audit_log",
        &[
            "at",
            "user_id",
            "actor_name",
            "action",
            "target_kind",
            "target_id",
            "target_label",
            "scope_path",
            "before_json",
            "after_json",
        ],
        &["user_id"],
        &rows,
    )
    .await
}

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct Filter {
    /// Unit code: entries on that unit's subtree.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// Inclusive dates, YYYY-MM-DD, in Vietnam time (UTC+7); timestamps
    /// are stored in UTC and the bounds are converted.
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// An action (`village.create`) or its prefix (`village`).
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct Entry {
    pub id: i64,
    pub at: String,
    pub user_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target_kind: String,
    pub target_id: String,
    pub target_label: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

#[derive(Debug, Serialize)]
pub struct Page {
    pub total: i64,
    pub entries: Vec<Entry>,
}

fn parse_day(field: &str, label: &str, value: &Option<String>, inv: &mut Invalid) -> Option<String> {
    let v = value.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(v, &format) {
        Ok(d) => Some(d.to_string()),
        Err(_) => {
            inv.add(
                field,
                format!("{label}: ngày không hợp lệ \"{v}\" (dạng YYYY-MM-DD)."),
            );
            None
        }
    }
}

pub async fn search(db: &Db, actor: &Actor, filter: &Filter) -> Result<Page> {
    let mut scope = Scope::new(actor, Action::ViewAudit)?;
    let mut inv = Invalid::default();
    let from = parse_day("from", "Từ ngày", &filter.from, &mut inv);
    let to = parse_day("to", "Đến ngày", &filter.to, &mut inv);
    if let Some(code) = filter.unit.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        match units::find_current(db, code).await? {
            Some(u) => scope = scope.narrow(&u.path)?,
            None => inv.add("unit", format!("Đơn vị: không có đơn vị mã \"{code}\".")),
        }
    }
    inv.finish()?;
    let limit = filter.limit.unwrap_or(100).clamp(1, 1000);
    let offset = filter.offset.unwrap_or(0).max(0);
    let user = filter
        .user
        .as_deref()
        .map(|u| u.trim().to_lowercase())
        .filter(|u| !u.is_empty());
    let action = filter.action.as_deref().map(str::trim).filter(|a| !a.is_empty());

    // Optional filters are written as "$n IS NULL OR …" so one statement
    // serves every combination on both backends.
    let cond = "scope_path LIKE $1 \
        AND ($2 IS NULL OR actor_name = $2) \
        AND ($3 IS NULL OR at >= $3) \
        AND ($4 IS NULL OR at < $4) \
        AND ($5 IS NULL OR action = $5 OR action LIKE $6)";
    // Midnight in Vietnam is 17:00 UTC of the day before.
    let from_ts = from.map(|d| format!("{}T17:00:00Z", previous_day(&d)));
    let to_exclusive = to.map(|d| format!("{d}T17:00:00Z"));
    let action_prefix = action.map(|a| format!("{a}.%"));
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_log WHERE {cond}"))
        .bind(scope.like())
        .bind(user.as_deref())
        .bind(from_ts.as_deref())
        .bind(to_exclusive.as_deref())
        .bind(action)
        .bind(action_prefix.as_deref())
        .fetch_one(&db.pool)
        .await?;
    let rows = sqlx::query(&format!(
        "SELECT id, at, user_id, actor_name, action, target_kind, target_id, target_label, \
         before_json, after_json FROM audit_log WHERE {cond} ORDER BY id DESC LIMIT $7 OFFSET $8"
    ))
    .bind(scope.like())
    .bind(user.as_deref())
    .bind(from_ts.as_deref())
    .bind(to_exclusive.as_deref())
    .bind(action)
    .bind(action_prefix.as_deref())
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows {
        let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        entries.push(Entry {
            id: r.try_get("id")?,
            at: r.try_get("at")?,
            user_id: r.try_get("user_id")?,
            actor: r.try_get("actor_name")?,
            action: r.try_get("action")?,
            target_kind: r.try_get("target_kind")?,
            target_id: r.try_get("target_id")?,
            target_label: r.try_get("target_label")?,
            before: parse(r.try_get("before_json")?),
            after: parse(r.try_get("after_json")?),
        });
    }
    Ok(Page { total, entries })
}

/// The day before a valid 'YYYY-MM-DD'.
fn previous_day(day: &str) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match time::Date::parse(day, &format)
        .ok()
        .and_then(|d| d.previous_day())
    {
        Some(d) => d.to_string(),
        None => day.to_string(),
    }
}

/// Vietnamese label of an action for the audit page.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "village.create" => "Thêm thôn/tổ dân phố",
        "village.update" => "Sửa thôn/tổ dân phố",
        "village.deactivate" => "Ngừng hoạt động thôn/tổ dân phố",
        "village.import" => "Nhập thôn/tổ dân phố từ CSV",
        "organisation.create" => "Thêm cơ quan, doanh nghiệp, trường học",
        "organisation.update" => "Sửa cơ quan, doanh nghiệp, trường học",
        "organisation.deactivate" => "Ngừng hoạt động cơ quan, doanh nghiệp, trường học",
        "user.create" => "Tạo tài khoản",
        "user.update" => "Sửa tài khoản",
        "user.disable" => "Vô hiệu hóa tài khoản",
        "user.enable" => "Kích hoạt lại tài khoản",
        "user.set_password" => "Đặt lại mật khẩu",
        "user.locked" => "Tạm khóa do đăng nhập sai",
        "token.create" => "Cấp mã truy cập API",
        "team.create" => "Thành lập tổ, đội",
        "team.update" => "Sửa tổ, đội",
        "team.dissolve" => "Giải thể tổ, đội",
        "member.create" => "Thêm thành viên tổ",
        "member.update" => "Sửa thành viên tổ",
        "member.leave" => "Thành viên rời tổ",
        "rating.set" => "Xếp loại tổ, thành viên",
        "model_type.create" => "Thêm mô hình",
        "model_type.update" => "Sửa mô hình",
        "model_type.deactivate" => "Ngừng sử dụng mô hình",
        "model_point.create" => "Thêm điểm mô hình",
        "model_point.update" => "Sửa điểm mô hình",
        "member.import" => "Nhập thành viên từ tệp",
        "registration.create" => "Ghi nhận đăng ký thi đua",
        "registration.update" => "Sửa đăng ký thi đua",
        "token.revoke" => "Thu hồi mã truy cập API",
        "user.change_password" => "Tự đổi mật khẩu",
        "activity.create" => "Ghi nhận hoạt động",
        "activity.import" => "Nhập hoạt động từ tệp",
        "activity.update" => "Sửa hoạt động",
        "activity.cancel" => "Hủy bản ghi hoạt động",
        "festival_day.create" => "Ghi nhận Ngày hội",
        "festival_day.update" => "Sửa Ngày hội",
        "programme.create" => "Ghi nhận chương trình phối hợp",
        "programme.review" => "Ghi nhận sơ kết, tổng kết chương trình phối hợp",
        "covenant.create" => "Ghi nhận giao ước thi đua",
        "award.create" => "Ghi nhận khen thưởng",
        "aggregate.create" => "Nhập số liệu tổng hợp",
        "aggregate.update" => "Sửa số liệu tổng hợp",
        "aggregate.delete" => "Xóa số liệu tổng hợp",
        "service.create" => "Ghi nhận quá trình công tác",
        "criteria_set.import" => "Nhập bộ tiêu chí (phiên bản mới)",
        "criteria_set.withdraw" => "Ngừng áp dụng bộ tiêu chí",
        "criteria_set.activate" => "Áp dụng lại bộ tiêu chí",
        "assessment.create" => "Lập bản đánh giá",
        "assessment.judge" => "Đánh giá tiêu chí",
        "assessment.submit" => "Gửi bản đánh giá",
        "assessment.resubmit" => "Gửi lại bản đánh giá",
        "assessment.return" => "Trả lại bản đánh giá",
        "assessment.approve" => "Phê duyệt kết quả đánh giá",
        "assessment.recognise" => "Công nhận, cấp giấy công nhận",
        "assessment.correct" => "Lập bản đính chính kết quả đánh giá",
        "assessment.withdraw" => "Rút bản đánh giá",
        "tip.receive" => "Tiếp nhận tin báo",
        "tip.citizen_message" => "Người báo tin bổ sung thông tin",
        "tip.status" => "Đổi trạng thái tin báo",
        "tip.assign" => "Giao cán bộ xử lý tin báo",
        "tip.reply" => "Trả lời người báo tin",
        "tip.note" => "Ghi chú nội bộ tin báo",
        "tip.extend" => "Gia hạn xử lý tin báo",
        "tip.identity_view" => "Xem danh tính người báo tin",
        "assessment.file_add" => "Thêm tệp minh chứng",
        "assessment.file_remove" => "Xóa tệp minh chứng",
        _ => "Thao tác khác",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_bounds_are_vietnam_days() {
        assert_eq!(previous_day("2025-03-01"), "2025-02-28");
        assert_eq!(previous_day("2024-03-01"), "2024-02-29");
    }
}

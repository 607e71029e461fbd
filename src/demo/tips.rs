//! Demo tip-offs, sent through the public intake like a citizen's and then
//! handled by Xã Khổng Lào's officer: one resolved within its deadline with
//! a reply, one being verified and due in two days, one past its deadline,
//! and one "không nhớ địa điểm" for Tỉnh Lai Châu. The receipt days are moved
//! back (a direct update, the only one in the demo) so the deadlines of
//! Điều 147 show. The texts are "dữ liệu minh họa".

use sqlx::Row;

use super::ILLUSTRATIVE;
use crate::auth::Actor;
use crate::db::Db;
use crate::error::Result;
use crate::input::today;
use crate::tips::guard::Guard;
use crate::tips::identity::TipKey;
use crate::tips::intake::{self, TipDraft};
use crate::tips::triage::{self, StatusDraft};

async fn send(
    db: &Db,
    key: &TipKey,
    guard: &Guard,
    category: &str,
    commune: &str,
    text: &str,
    name: &str,
) -> Result<i64> {
    let receipt = intake::submit(
        db,
        key,
        guard,
        TipDraft {
            token: guard.token_aged(10),
            category: category.into(),
            description: format!("{text} ({ILLUSTRATIVE})"),
            province: "12".into(),
            commune: commune.into(),
            place_unknown: commune.is_empty(),
            anonymous: name.is_empty(),
            name: name.into(),
            phone: if name.is_empty() {
                String::new()
            } else {
                "0912 000 111".into()
            },
            ..Default::default()
        },
    )
    .await?;
    let row = sqlx::query("SELECT id FROM tips WHERE tracking_code = $1")
        .bind(&receipt.tracking_code)
        .fetch_one(&db.pool)
        .await?;
    Ok(row.try_get("id")?)
}

async fn received_days_ago(db: &Db, id: i64, days: i64) -> Result<()> {
    let on = today() - time::Duration::days(days);
    sqlx::query("UPDATE tips SET received_on = $1, deadline = $2 WHERE id = $3")
        .bind(on.to_string())
        .bind(crate::tips::first_deadline(on).to_string())
        .bind(id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

pub async fn load(db: &Db, key: &TipKey, officer: &Actor) -> Result<()> {
    let guard = Guard::new(1000);
    let resolved = send(
        db,
        key,
        &guard,
        "trom_cuop",
        "03583",
        "Mất trộm xe máy trước nhà văn hóa bản Nà Cúng đêm qua",
        "",
    )
    .await?;
    received_days_ago(db, resolved, 30).await?;
    let verifying = send(
        db,
        key,
        &guard,
        "ma_tuy",
        "03583",
        "Nghi có người tụ tập sử dụng ma túy ở lán nương cuối bản Phiêng Chá",
        "Lò Văn Báo",
    )
    .await?;
    received_days_ago(db, verifying, 18).await?;
    let overdue = send(
        db,
        key,
        &guard,
        "co_bac",
        "03583",
        "Có nhóm đánh bạc vào các buổi tối ở khu chợ phiên",
        "",
    )
    .await?;
    received_days_ago(db, overdue, 24).await?;
    send(
        db,
        key,
        &guard,
        "lua_dao",
        "",
        "Nhận cuộc gọi giả danh công an yêu cầu chuyển tiền",
        "",
    )
    .await?;

    triage::set_status(
        db,
        officer,
        verifying,
        &StatusDraft {
            status: Some("verifying".into()),
            ..Default::default()
        },
    )
    .await?;
    triage::add_message(
        db,
        officer,
        resolved,
        "note",
        Some("Đã xác minh với trưởng bản; xe tìm thấy ở bản bên."),
    )
    .await?;
    triage::add_message(
        db,
        officer,
        resolved,
        "reply",
        Some("Cảm ơn bạn. Công an xã đã xác minh và trả lại xe cho chủ sở hữu."),
    )
    .await?;
    triage::set_status(
        db,
        officer,
        resolved,
        &StatusDraft {
            status: Some("resolved".into()),
            ..Default::default()
        },
    )
    .await?;
    // Closed within its 20 days.
    sqlx::query("UPDATE tips SET closed_on = $1 WHERE id = $2")
        .bind((today() - time::Duration::days(22)).to_string())
        .bind(resolved)
        .execute(&db.pool)
        .await?;
    Ok(())
}

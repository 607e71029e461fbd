//! The public side: a citizen sends a tip (category, what, where, when,
//! photos, optional name and phone) and gets a tracking code and a secret;
//! with both they read the status and the replies and add information. No
//! account, no cookie; the answer to a wrong secret is the answer to an
//! unknown code, and costs the same time.

use serde::Serialize;
use serde_json::json;
use sqlx::Row;

use super::identity::{Identity, TipKey};
use super::{
    CATEGORIES, STATUSES, first_deadline, guard::Guard, label, normalise_code, normalise_secret, photos,
};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::db::{Db, today_stamp};
use crate::error::{AppError, Invalid, Result};
use crate::input::{self, optional_lines, optional_text, today};
use crate::units;

pub const DESCRIPTION_MAX: usize = 5000;

/// What the form or the API sends.
#[derive(Debug, Default)]
pub struct TipDraft {
    pub token: String,
    pub category: String,
    pub description: String,
    pub province: String,
    pub commune: String,
    /// "không nhớ địa điểm": the tip goes to the province.
    pub place_unknown: bool,
    pub place_detail: String,
    pub happened_on: String,
    pub happened_text: String,
    pub anonymous: bool,
    pub name: String,
    pub phone: String,
    /// The photos' bytes, at most five (the count is judged here).
    pub photos: Vec<Vec<u8>>,
}

#[derive(Debug, Serialize)]
pub struct Receipt {
    pub tracking_code: String,
    pub secret: String,
    pub unit_name: String,
    pub deadline: String,
}

/// One request's photos are decoded at a time, off the async workers: a
/// large photo takes hundreds of milliseconds and up to 256 MB.
static PHOTO_PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

async fn clean_all(photos: Vec<Vec<u8>>) -> Result<Vec<photos::Clean>> {
    if photos.is_empty() {
        return Ok(Vec::new());
    }
    let _permit = PHOTO_PERMITS
        .acquire()
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("photo permits: {e}")))?;
    tokio::task::spawn_blocking(move || {
        photos
            .iter()
            .enumerate()
            .map(|(i, p)| photos::clean(i + 1, p))
            .collect::<Result<Vec<_>>>()
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// The writer of public tips in the audit log: nobody in particular.
fn citizen() -> Actor {
    Actor {
        user_id: None,
        username: "người dân (ẩn danh)".into(),
        full_name: String::new(),
        role: crate::auth::Role::Viewer,
        scope_code: "VN".into(),
        scope_name: "Việt Nam".into(),
        scope_path: "/VN/".into(),
        csrf_token: None,
    }
}

fn valid_phone(p: &str) -> bool {
    let digits: String = p.chars().filter(char::is_ascii_digit).collect();
    (9..=12).contains(&digits.len()) && p.chars().all(|c| c.is_ascii_digit() || " +.-()".contains(c))
}

pub async fn submit(db: &Db, key: &TipKey, guard: &Guard, mut d: TipDraft) -> Result<Receipt> {
    let mut inv = Invalid::default();
    if !CATEGORIES.iter().any(|(k, _)| *k == d.category) {
        inv.add("category", "Loại vụ việc: hãy chọn một loại.");
    }
    let description = optional_lines(
        &mut inv,
        "description",
        "Nội dung vụ việc",
        Some(&d.description),
        DESCRIPTION_MAX,
    );
    if description.chars().count() < 10 && !inv.has("description") {
        inv.add(
            "description",
            "Nội dung vụ việc: hãy kể lại sự việc (ít nhất 10 ký tự).",
        );
    }
    let place_detail = optional_text(&mut inv, "place_detail", "Nơi xảy ra", Some(&d.place_detail), 300);
    let happened_text = optional_text(
        &mut inv,
        "happened_text",
        "Thời gian xảy ra",
        Some(&d.happened_text),
        200,
    );
    let happened_on = input::date(
        &mut inv,
        "happened_on",
        "Ngày xảy ra",
        Some(&d.happened_on),
        false,
    );
    if let Some(on) = &happened_on
        && on.as_str() > today().to_string().as_str()
    {
        inv.add("happened_on", "Ngày xảy ra: không được sau hôm nay.");
    }
    let name = optional_text(&mut inv, "name", "Họ và tên", Some(&d.name), 200);
    let phone = optional_text(&mut inv, "phone", "Số điện thoại", Some(&d.phone), 30);
    if !phone.is_empty() && !valid_phone(&phone) {
        inv.add("phone", "Số điện thoại: 9 đến 12 chữ số.");
    }
    if d.photos.len() > photos::MAX_PHOTOS {
        inv.add("photos", "Ảnh: tối đa 5 ảnh.");
    }

    // Where: a commune of the province, or the province when the place is not remembered.
    let province = units::find_current(db, d.province.trim())
        .await?
        .filter(|u| u.level == "province");
    let unit = match (&province, d.place_unknown) {
        (None, _) => {
            inv.add("province", "Tỉnh, thành phố: hãy chọn nơi xảy ra vụ việc.");
            None
        }
        (Some(p), true) => Some(p.clone()),
        (Some(p), false) => {
            let commune = units::find_current(db, d.commune.trim())
                .await?
                .filter(|u| u.level == "commune" && u.parent_code.as_deref() == Some(p.code.as_str()));
            if commune.is_none() {
                inv.add(
                    "commune",
                    format!(
                        "Xã, phường, đặc khu: hãy chọn một xã của {}, hoặc chọn \"không nhớ địa điểm\".",
                        p.name
                    ),
                );
            }
            commune
        }
    };
    // Cheap checks before the photos: a request without a good form token,
    // or with other faults, costs no decoding.
    if let Err(AppError::Validation { fields, .. }) = guard.check_token(&d.token) {
        for (f, m) in fields {
            inv.add(&f, m);
        }
    }
    let cleaned = if inv.is_empty() {
        match clean_all(std::mem::take(&mut d.photos)).await {
            Ok(c) => c,
            Err(AppError::Validation { fields, .. }) => {
                for (_, m) in fields {
                    inv.add("photos", m);
                }
                Vec::new()
            }
            Err(e) => return Err(e),
        }
    } else {
        Vec::new()
    };
    inv.finish()?;
    let unit = unit.ok_or_else(AppError::not_found)?;
    let province = province.ok_or_else(AppError::not_found)?;
    guard.admit(&d.token, &unit.code, &province.code)?;

    let sealed = if d.anonymous || (name.is_empty() && phone.is_empty()) {
        None
    } else {
        Some(key.seal(&Identity { name, phone })?)
    };
    let secret = super::new_secret();
    let secret_hash = key.secret_digest(&secret);
    let received = today();
    let deadline = first_deadline(received);
    let mut tx = db.begin().await?;
    // A code is random; on the rare clash another is drawn.
    let mut code = super::new_tracking_code();
    for _ in 0..5 {
        let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM tips WHERE tracking_code = $1")
            .bind(&code)
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_none() {
            break;
        }
        code = super::new_tracking_code();
    }
    // The day only: no stored moment to match against traffic records.
    let ts = today_stamp();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO tips (tracking_code, secret_hash, category, description, place_kind, place_detail, unit_code, \
         province_code, scope_path, happened_on, happened_text, anonymous, identity_sealed, status, received_on, \
         deadline, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'received', $14, $15, $16, $16) RETURNING id",
    )
    .bind(&code)
    .bind(&secret_hash)
    .bind(&d.category)
    .bind(&description)
    .bind(if d.place_unknown { "unknown" } else { "commune" })
    .bind(&place_detail)
    .bind(&unit.code)
    .bind(&province.code)
    .bind(&unit.path)
    .bind(&happened_on)
    .bind(&happened_text)
    .bind(i64::from(sealed.is_none()))
    .bind(&sealed)
    .bind(received.to_string())
    .bind(deadline.to_string())
    .bind(&ts)
    .fetch_one(&mut *tx)
    .await?;
    for p in &cleaned {
        sqlx::query(
            "INSERT INTO tip_photos (tip_id, content_type, width, height, size, data, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(p.content_type)
        .bind(i64::from(p.width))
        .bind(i64::from(p.height))
        .bind(p.data.len() as i64)
        .bind(p.data.clone())
        .bind(&ts)
        .execute(&mut *tx)
        .await?;
    }
    audit::record_at(
        &mut tx,
        &citizen(),
        Change {
            action: "tip.receive",
            target_kind: "tip",
            target_id: id.to_string(),
            target_label: format!("Tin báo {code}"),
            scope_path: unit.path.clone(),
            before: None,
            after: Some(
                json!({"category": d.category, "unit": unit.code, "photos": cleaned.len(),
                               "identity_given": sealed.is_some()}),
            ),
        },
        &ts,
    )
    .await?;
    tx.commit().await?;
    Ok(Receipt {
        tracking_code: code,
        secret,
        unit_name: unit.name,
        deadline: deadline.to_string(),
    })
}

/// What the citizen sees of their tip: never the internal notes, the
/// assignee or the identity.
#[derive(Debug, Serialize)]
pub struct Status {
    pub tracking_code: String,
    pub category: String,
    pub status: String,
    pub status_label: String,
    pub received_on: String,
    pub unit_name: String,
    pub messages: Vec<Message>,
}

#[derive(Debug, Serialize)]
pub struct Message {
    /// "citizen" or "reply"
    pub kind: String,
    pub body: String,
    pub at: String,
}

impl Message {
    pub fn at_label(&self) -> String {
        crate::text::format_timestamp(&self.at)
    }
}

impl Status {
    pub fn category_label(&self) -> &'static str {
        label(&CATEGORIES, &self.category)
    }

    pub fn received_label(&self) -> String {
        crate::text::format_date(&self.received_on)
    }
}

/// One answer for an unknown code and a wrong secret, so that neither the
/// message nor the time tells whether the code exists.
fn not_matching() -> AppError {
    AppError::field("secret", "Mã theo dõi hoặc mã bí mật không đúng.")
}

/// Finds the tip of a code and secret; the same refusal, after the same
/// hashing work, for an unknown code and a wrong secret.
async fn open_tip(db: &Db, key: &TipKey, guard: &Guard, code: &str, secret: &str) -> Result<i64> {
    // The digest is computed on every path, so that a malformed code, an
    // unknown one and a wrong secret take the same work.
    let given = key.secret_digest(&normalise_secret(secret));
    let Some(code) = normalise_code(code) else {
        return Err(not_matching());
    };
    guard.lookup_allowed(&code)?;
    let row = sqlx::query("SELECT id, secret_hash FROM tips WHERE tracking_code = $1")
        .bind(&code)
        .fetch_optional(&db.pool)
        .await?;
    let (id, stored) = match &row {
        Some(r) => (
            Some(r.try_get::<i64, _>("id")?),
            r.try_get::<String, _>("secret_hash")?,
        ),
        None => (None, "0".repeat(64)),
    };
    let ok: bool = subtle::ConstantTimeEq::ct_eq(given.as_bytes(), stored.as_bytes()).into();
    match (ok, id) {
        (true, Some(id)) => Ok(id),
        _ => {
            guard.lookup_failed(&code);
            Err(not_matching())
        }
    }
}

pub async fn status(db: &Db, key: &TipKey, guard: &Guard, code: &str, secret: &str) -> Result<Status> {
    let id = open_tip(db, key, guard, code, secret).await?;
    let row = sqlx::query(
        "SELECT t.tracking_code, t.category, t.status, t.received_on, u.name AS unit_name FROM tips t \
         JOIN units u ON u.era = 'current' AND u.code = t.unit_code WHERE t.id = $1",
    )
    .bind(id)
    .fetch_one(&db.pool)
    .await?;
    let messages = sqlx::query(
        "SELECT kind, body, created_at FROM tip_messages WHERE tip_id = $1 AND kind IN ('citizen', 'reply') ORDER BY id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Message {
            kind: r.try_get("kind")?,
            body: r.try_get("body")?,
            at: r.try_get("created_at")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let status: String = row.try_get("status")?;
    Ok(Status {
        tracking_code: row.try_get("tracking_code")?,
        category: row.try_get("category")?,
        status_label: label(&STATUSES, &status).to_string(),
        status,
        received_on: row.try_get("received_on")?,
        unit_name: row.try_get("unit_name")?,
        messages,
    })
}

/// The citizen adds information to their tip.
pub async fn add_information(
    db: &Db,
    key: &TipKey,
    guard: &Guard,
    code: &str,
    secret: &str,
    text: &str,
) -> Result<Status> {
    let mut inv = Invalid::default();
    let body = optional_lines(&mut inv, "text", "Thông tin bổ sung", Some(text), DESCRIPTION_MAX);
    if body.is_empty() && !inv.has("text") {
        inv.add("text", "Thông tin bổ sung: không được để trống.");
    }
    inv.finish()?;
    let id = open_tip(db, key, guard, code, secret).await?;
    let mut tx = db.begin().await?;
    let day = today_stamp();
    sqlx::query("INSERT INTO tip_messages (tip_id, kind, body, created_at) VALUES ($1, 'citizen', $2, $3)")
        .bind(id)
        .bind(&body)
        .bind(&day)
        .execute(&mut *tx)
        .await?;
    let path: String = sqlx::query_scalar("SELECT scope_path FROM tips WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    audit::record_at(
        &mut tx,
        &citizen(),
        Change {
            action: "tip.citizen_message",
            target_kind: "tip",
            target_id: id.to_string(),
            target_label: "Tin báo".into(),
            scope_path: path,
            before: None,
            after: Some(json!({"length": body.chars().count()})),
        },
        &day,
    )
    .await?;
    tx.commit().await?;
    status(db, key, guard, code, secret).await
}

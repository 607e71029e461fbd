//! Tip-offs (tin báo, tố giác về an ninh, trật tự) from citizens without an
//! account: the public intake and lookup (intake.rs) with its abuse limits
//! (guard.rs), the photos cleaned of metadata (photos.rs), the reporter's
//! identity sealed (identity.rs), the officers' triage with the deadlines of
//! Bộ luật Tố tụng hình sự 2015 Điều 147 (triage.rs), the figures
//! (figures.rs), pages and API.
//!
//! Anonymity is structural: the tip routes run outside the session layer
//! (no cookie is read or set), the server never asks for the peer address
//! (axum is served without ConnectInfo), no request is logged, and no table
//! has a column for an address, a user agent or a referrer.

pub mod api;
pub mod figures;
pub mod guard;
pub mod identity;
pub mod intake;
pub mod pages;
pub mod photos;
pub mod triage;

use rand::Rng;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use time::Duration;

use crate::auth::{Action, Actor, Scope, policy};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::input::{parse_date, today};
use crate::text::format_date;
use crate::units::Unit;

pub const CATEGORIES: [(&str, &str); 8] = [
    (
        "an_ninh_quoc_gia",
        "An ninh quốc gia (hoạt động chống phá, khủng bố, gián điệp)",
    ),
    ("ma_tuy", "Ma túy"),
    ("trom_cuop", "Trộm cắp, cướp, cướp giật tài sản"),
    ("lua_dao", "Lừa đảo, lừa đảo qua mạng"),
    ("co_bac", "Cờ bạc, cá độ, tín dụng đen"),
    ("gay_roi", "Gây rối trật tự công cộng, đánh nhau"),
    ("buon_lau", "Buôn lậu, hàng cấm, hàng giả"),
    ("khac", "Vụ việc khác về an ninh, trật tự"),
];

pub const STATUSES: [(&str, &str); 6] = [
    ("received", "Đã tiếp nhận"),
    ("verifying", "Đang kiểm tra, xác minh"),
    ("transferred", "Đã chuyển cơ quan có thẩm quyền"),
    ("resolved", "Đã giải quyết"),
    ("unfounded", "Không có căn cứ"),
    ("duplicate", "Trùng với tin báo đã có"),
];

/// Days before the deadline from which a tip is flagged "sắp hết hạn".
pub const WARN_DAYS: i64 = 3;
/// Bộ luật Tố tụng hình sự 2015 Điều 147 khoản 1: 20 days from receipt.
pub const BASE_DAYS: i64 = 20;
pub const LEGAL_BASIS: &str = "Bộ luật Tố tụng hình sự 2015, Điều 147";

pub fn label(table: &[(&'static str, &'static str)], key: &str) -> &'static str {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// Deadlines count in months as the ratings' service does (input.rs).
pub use crate::input::add_months;

/// 12 digits in three groups of four, easy to read aloud over the phone.
pub fn new_tracking_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let digits: String = (0..12)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect();
    format!("{}-{}-{}", &digits[0..4], &digits[4..8], &digits[8..12])
}

/// 16 letters and digits without look-alikes (no 0/o, 1/l/i), ~80 bits.
pub fn new_secret() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    let chars: Vec<char> = (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed ("4829 1730 5561", "482917305561") in its stored form.
pub fn normalise_code(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 12 && raw.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' '))
        .then(|| format!("{}-{}-{}", &digits[0..4], &digits[4..8], &digits[8..12]))
}

pub fn normalise_secret(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[derive(Clone, Debug, Serialize)]
pub struct Tip {
    pub id: i64,
    pub tracking_code: String,
    pub category: String,
    pub description: String,
    pub place_kind: String,
    pub place_detail: String,
    pub unit_code: String,
    pub unit_name: String,
    pub province_code: String,
    pub happened_on: Option<String>,
    pub happened_text: String,
    pub anonymous: bool,
    pub has_identity: bool,
    pub status: String,
    pub transferred_to: String,
    pub duplicate_of: Option<i64>,
    pub assigned_to: Option<i64>,
    pub assigned_name: Option<String>,
    pub received_on: String,
    pub deadline: String,
    pub extension1_until: Option<String>,
    pub extension1_by: String,
    pub extension2_until: Option<String>,
    pub extension2_by: String,
    pub closed_on: Option<String>,
    pub photos: i64,
    #[serde(skip)]
    pub scope_path: String,
}

pub const COLUMNS: &str = "t.id, t.tracking_code, t.category, t.description, t.place_kind, t.place_detail, \
     t.unit_code, u.name AS unit_name, t.province_code, t.happened_on, t.happened_text, t.anonymous, \
     (CASE WHEN t.identity_sealed IS NULL THEN 0 ELSE 1 END) AS has_identity, t.status, t.transferred_to, \
     t.duplicate_of, t.assigned_to, au.full_name AS assigned_name, t.received_on, t.deadline, t.extension1_until, \
     t.extension1_by, t.extension2_until, t.extension2_by, t.closed_on, \
     (SELECT COUNT(*) FROM tip_photos p WHERE p.tip_id = t.id) AS photos, t.scope_path";
pub const FROM: &str = "FROM tips t JOIN units u ON u.era = 'current' AND u.code = t.unit_code \
     LEFT JOIN users au ON au.id = t.assigned_to";

impl Tip {
    pub fn from_row(r: &AnyRow) -> Result<Tip, sqlx::Error> {
        Ok(Tip {
            id: r.try_get("id")?,
            tracking_code: r.try_get("tracking_code")?,
            category: r.try_get("category")?,
            description: r.try_get("description")?,
            place_kind: r.try_get("place_kind")?,
            place_detail: r.try_get("place_detail")?,
            unit_code: r.try_get("unit_code")?,
            unit_name: r.try_get("unit_name")?,
            province_code: r.try_get("province_code")?,
            happened_on: r.try_get("happened_on")?,
            happened_text: r.try_get("happened_text")?,
            anonymous: r.try_get::<i64, _>("anonymous")? == 1,
            has_identity: r.try_get::<i64, _>("has_identity")? == 1,
            status: r.try_get("status")?,
            transferred_to: r.try_get("transferred_to")?,
            duplicate_of: r.try_get("duplicate_of")?,
            assigned_to: r.try_get("assigned_to")?,
            assigned_name: r.try_get("assigned_name")?,
            received_on: r.try_get("received_on")?,
            deadline: r.try_get("deadline")?,
            extension1_until: r.try_get("extension1_until")?,
            extension1_by: r.try_get("extension1_by")?,
            extension2_until: r.try_get("extension2_until")?,
            extension2_by: r.try_get("extension2_by")?,
            closed_on: r.try_get("closed_on")?,
            photos: r.try_get("photos")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn category_label(&self) -> &'static str {
        label(&CATEGORIES, &self.category)
    }

    pub fn status_label(&self) -> &'static str {
        label(&STATUSES, &self.status)
    }

    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "received" | "verifying")
    }

    /// Days left until the deadline (negative when passed), while open.
    pub fn days_left(&self) -> Option<i64> {
        let deadline = parse_date(&self.deadline)?;
        self.is_open().then(|| (deadline - today()).whole_days())
    }

    pub fn is_overdue(&self) -> bool {
        self.days_left().is_some_and(|d| d < 0)
    }

    pub fn is_due_soon(&self) -> bool {
        self.days_left().is_some_and(|d| (0..=WARN_DAYS).contains(&d))
    }

    pub fn deadline_label(&self) -> String {
        let base = format_date(&self.deadline);
        match self.days_left() {
            Some(d) if d < 0 => format!("{base} (quá hạn {} ngày)", -d),
            Some(0) => format!("{base} (hết hạn hôm nay)"),
            Some(d) => format!("{base} (còn {d} ngày)"),
            None => base,
        }
    }

    pub fn received_label(&self) -> String {
        format_date(&self.received_on)
    }

    pub fn place_label(&self) -> String {
        if self.place_kind == "unknown" {
            format!("Không nhớ địa điểm ({})", self.unit_name)
        } else {
            self.unit_name.clone()
        }
    }

    /// Closed within the deadline in force when it was closed.
    pub fn closed_in_time(&self) -> Option<bool> {
        self.closed_on.as_deref().map(|c| c <= self.deadline.as_str())
    }
}

/// The first deadline: 20 days from the day of receipt.
pub fn first_deadline(received: time::Date) -> time::Date {
    received + Duration::days(BASE_DAYS)
}

/// One tip the actor may see; outside their scope it is "not found".
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Tip> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(AppError::not_found)?;
    let tip = Tip::from_row(&row)?;
    policy::authorize(actor, Action::HandleTips, &tip.scope_path).map_err(|e| match e {
        AppError::Forbidden(_)
            if policy::authorize(actor, Action::ViewGeography, &tip.scope_path).is_err() =>
        {
            AppError::not_found()
        }
        other => other,
    })?;
    Ok(tip)
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub overdue: bool,
    pub category: Option<String>,
}

/// The inbox of the unit's subtree: open tips first, by deadline.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit, f: &Filter) -> Result<Vec<Tip>> {
    let scope = Scope::new(actor, Action::HandleTips)?.narrow(&unit.path)?;
    let (inside, mut args) = scope.condition(db.backend, "t.scope_path", 1);
    let mut sql = format!("SELECT {COLUMNS} {FROM} WHERE {inside}");
    for (column, value) in [("status", &f.status), ("category", &f.category)] {
        if let Some(v) = value {
            args.push(v.clone());
            sql.push_str(&format!(" AND t.{column} = ${}", args.len()));
        }
    }
    sql.push_str(
        " ORDER BY (CASE WHEN t.status IN ('received', 'verifying') THEN 0 ELSE 1 END), t.deadline, t.id DESC",
    );
    let q = args.into_iter().fold(sqlx::query(&sql), |q, a| q.bind(a));
    let rows = q.fetch_all(&db.pool).await?;
    let mut tips: Vec<Tip> = rows.iter().map(Tip::from_row).collect::<Result<_, _>>()?;
    if f.overdue {
        tips.retain(Tip::is_overdue);
    }
    Ok(tips)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_aloud_and_normalise() {
        let code = new_tracking_code();
        assert_eq!(code.len(), 14);
        assert_eq!(normalise_code(&code.replace('-', " ")), Some(code.clone()));
        assert_eq!(normalise_code("1234"), None);
        assert_eq!(normalise_code("1234-5678-90ab"), None);
        let secret = new_secret();
        assert_eq!(normalise_secret(&secret.to_uppercase().replace('-', "")), secret);
        assert!(!secret.contains('0') && !secret.contains('l'));
    }

    #[test]
    fn deadlines_follow_article_147() {
        let d = |s: &str| parse_date(s).unwrap();
        assert_eq!(first_deadline(d("2026-11-20")), d("2026-12-10"));
        assert_eq!(add_months(d("2026-12-31"), 2), Some(d("2027-02-28")));
    }
}

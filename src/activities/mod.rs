//! Activities through the year: one ledger of dated records of six kinds —
//! outreach sessions, conferences (sơ kết / tổng kết), crackdown campaigns,
//! mediation cases, drug-free commune decisions and key/complex-area
//! designations and removals — and, beside it, festival days
//! (`festival.rs`), coordination programmes and covenants (`programmes.rs`),
//! the figures of all of them (`figures.rs`), imports and exports (`io.rs`),
//! pages and API handlers.
//!
//! One table serves the six kinds because they share what matters for
//! figures (a unit, a date, a scope) and differ only in a few typed fields;
//! which fields a kind takes is decided here, in [`parse`].

pub mod api;
mod bulk;
mod covered;
pub mod festival;
pub mod figures;
pub mod io;
mod list;
pub mod pages;
mod pipelined;
mod places;
pub mod programmes;

pub(crate) use places::{
    OldUnit, Villages, current_unit, formed_from, legacy_origin, plain_predecessor, province_of,
    unit_for_write, village_of,
};

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result};
use crate::input::{self, optional_count, optional_text, required_text, shorten, value_text};
use crate::units::Unit;

pub(crate) use list::ListQuery;
pub use list::{ActivityPage, Cursor, MAX_PAGE, PAGE, list};

/// The most people one record may count: more is a typing error.
pub const MAX_ATTENDANCE: i64 = 1_000_000;

pub const KINDS: [(&str, &str); 6] = [
    ("session", "Buổi tuyên truyền, phổ biến pháp luật"),
    ("conference", "Hội nghị sơ kết, tổng kết"),
    ("campaign", "Đợt tấn công trấn áp tội phạm"),
    ("mediation", "Vụ việc hòa giải"),
    ("drug_free", "Xã không có tệ nạn ma túy"),
    ("key_area", "Địa bàn trọng điểm, phức tạp về ANTT"),
];

pub const SESSION_FORMS: [(&str, &str); 7] = [
    ("hop_dan", "Họp dân, hội nghị tuyên truyền"),
    ("truc_tiep", "Tuyên truyền trực tiếp tại cộng đồng"),
    ("loa_truyen_thanh", "Hệ thống loa truyền thanh"),
    ("san_khau_hoa", "Sân khấu hóa, văn nghệ"),
    ("truong_hoc", "Tại trường học"),
    ("mang_xa_hoi", "Mạng xã hội, nhóm trực tuyến"),
    ("khac", "Hình thức khác"),
];

pub const CONFERENCE_TYPES: [(&str, &str); 2] = [("so_ket", "Sơ kết"), ("tong_ket", "Tổng kết")];

pub const LEVELS: [(&str, &str); 4] = [
    ("bo", "Bộ Công an, toàn quốc"),
    ("tinh", "Cấp tỉnh"),
    ("huyen", "Cấp huyện (trước 01/07/2025)"),
    ("xa", "Cấp xã"),
];

pub const MEDIATION_RESULTS: [(&str, &str); 2] = [
    ("thanh", "Hòa giải thành"),
    ("khong_thanh", "Hòa giải không thành"),
];

pub const KEY_AREA_ACTIONS: [(&str, &str); 2] = [
    ("dua_vao", "Đưa vào diện trọng điểm, phức tạp"),
    ("dua_ra", "Đưa ra khỏi diện trọng điểm, phức tạp"),
];

/// The first day of today's map; a record dated before it may name the
/// pre-2025 unit it happened in.
pub const REFORM_DAY: &str = "2025-07-01";

pub fn label(list: &[(&str, &'static str)], code: &str) -> &'static str {
    list.iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Activity {
    pub id: i64,
    pub kind: String,
    pub unit_code: String,
    pub unit_name: String,
    pub province_code: String,
    pub village_id: Option<i64>,
    pub village_name: Option<String>,
    pub legacy_code: Option<String>,
    pub legacy_name: Option<String>,
    pub held_on: String,
    pub ends_on: Option<String>,
    pub period_from: Option<i64>,
    pub period_to: Option<i64>,
    pub year: Option<i64>,
    pub title: String,
    pub subtype: String,
    pub level: String,
    pub attendance: Option<i64>,
    pub decision_ref: String,
    pub note: String,
    pub cancelled_at: Option<String>,
    pub cancel_reason: String,
    /// Units a campaign covered (codes), besides the one that ran it.
    #[serde(default)]
    pub unit_codes: Vec<String>,
    /// Pre-2025 units a campaign before 1 July 2025 covered (codes of the
    /// old map, migration 0016).
    #[serde(default)]
    pub legacy_unit_codes: Vec<String>,
    #[serde(skip)]
    pub scope_path: String,
}

/// What a query reads of an activity: the [`Activity`] field each
/// expression fills. [`COLUMNS`] selects them as columns; an export reads
/// them as one JSON object a row ([`ListQuery::export_sql`]).
const FIELDS: [(&str, &str); 23] = [
    ("id", "a.id"),
    ("kind", "a.kind"),
    ("unit_code", "a.unit_code"),
    ("unit_name", "u.name"),
    ("province_code", "a.province_code"),
    ("village_id", "a.village_id"),
    ("village_name", "v.name"),
    ("legacy_code", "a.legacy_code"),
    ("legacy_name", "a.legacy_name"),
    ("held_on", "a.held_on"),
    ("ends_on", "a.ends_on"),
    ("period_from", "a.period_from"),
    ("period_to", "a.period_to"),
    ("year", "a.year"),
    ("title", "a.title"),
    ("subtype", "a.subtype"),
    ("level", "a.level"),
    ("attendance", "a.attendance"),
    ("decision_ref", "a.decision_ref"),
    ("note", "a.note"),
    ("cancelled_at", "a.cancelled_at"),
    ("cancel_reason", "a.cancel_reason"),
    ("scope_path", "a.scope_path"),
];

static COLUMNS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let list: Vec<String> = FIELDS
        .iter()
        .map(|(name, expr)| format!("{expr} AS {name}"))
        .collect();
    list.join(", ")
});

/// [`FIELDS`] as the RETURNING clause of an insert into activities: the
/// new row's columns, its unit's and village's names by subquery, so a
/// new record comes back from its INSERT instead of a SELECT after it (one
/// statement fewer under SQLite's write lock for each record).
static RETURNING: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let list: Vec<String> = FIELDS
        .iter()
        .map(|(name, expr)| format!("{} AS {name}", returned(expr)))
        .collect();
    list.join(", ")
});

/// [`RETURNING`] as one JSON object, read by [`Activity::from_json`] as an
/// export's rows are (SQLite's `json_object`: the native writes of
/// [`bulk::INSERT_ONE`]).
static RETURNING_JSON: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let pairs: Vec<String> = FIELDS
        .iter()
        .map(|(name, expr)| format!("'{name}', {}", returned(expr)))
        .collect();
    format!("json_object({})", pairs.join(", "))
});

/// A field's expression over the row an INSERT returns.
fn returned(expr: &str) -> String {
    match expr {
        "u.name" => "(SELECT u.name FROM units u WHERE u.era = 'current' AND u.code = activities.unit_code)"
            .to_string(),
        "v.name" => "(SELECT v.name FROM villages v WHERE v.id = activities.village_id)".to_string(),
        other => other.replacen("a.", "activities.", 1),
    }
}

const FROM: &str = "FROM activities a JOIN units u ON u.era = 'current' AND u.code = a.unit_code \
     LEFT JOIN villages v ON v.id = a.village_id";

impl Activity {
    fn from_row(r: &AnyRow) -> Result<Activity, sqlx::Error> {
        Ok(Activity {
            id: r.try_get("id")?,
            kind: r.try_get("kind")?,
            unit_code: r.try_get("unit_code")?,
            unit_name: r.try_get("unit_name")?,
            province_code: r.try_get("province_code")?,
            village_id: r.try_get("village_id")?,
            village_name: r.try_get("village_name")?,
            legacy_code: r.try_get("legacy_code")?,
            legacy_name: r.try_get("legacy_name")?,
            held_on: r.try_get("held_on")?,
            ends_on: r.try_get("ends_on")?,
            period_from: r.try_get("period_from")?,
            period_to: r.try_get("period_to")?,
            year: r.try_get("year")?,
            title: r.try_get("title")?,
            subtype: r.try_get("subtype")?,
            level: r.try_get("level")?,
            attendance: r.try_get("attendance")?,
            decision_ref: r.try_get("decision_ref")?,
            note: r.try_get("note")?,
            cancelled_at: r.try_get("cancelled_at")?,
            cancel_reason: r.try_get("cancel_reason")?,
            unit_codes: Vec::new(),
            legacy_unit_codes: Vec::new(),
            scope_path: r.try_get("scope_path")?,
        })
    }

    /// An activity from a row of [`ListQuery::export_sql`].
    fn from_json(text: &str) -> Result<Activity> {
        serde_json::from_str(text).map_err(|e| AppError::Internal(anyhow::anyhow!("activity row: {e}")))
    }

    pub fn kind_label(&self) -> &'static str {
        label(&KINDS, &self.kind)
    }

    /// The kind's own classification, in words.
    pub fn subtype_label(&self) -> &'static str {
        match self.kind.as_str() {
            "session" => label(&SESSION_FORMS, &self.subtype),
            "conference" => label(&CONFERENCE_TYPES, &self.subtype),
            "mediation" => label(&MEDIATION_RESULTS, &self.subtype),
            "key_area" => label(&KEY_AREA_ACTIONS, &self.subtype),
            _ => "",
        }
    }

    pub fn level_label(&self) -> &'static str {
        label(&LEVELS, &self.level)
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    /// Where it happened: "Bản Nà Cúng, Xã Khổng Lào", or the pre-2025 name.
    pub fn place(&self) -> String {
        let unit = match &self.legacy_name {
            Some(old) if old != &self.unit_name => format!("{old} (nay là {})", self.unit_name),
            _ => self.unit_name.clone(),
        };
        match &self.village_name {
            Some(v) => format!("{v}, {unit}"),
            None => unit,
        }
    }
}

/// What a form, a JSON body or an import row says of an activity. Every
/// field is optional here; [`parse`] decides what the kind requires.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ActivityDraft {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub village_id: Option<Value>,
    #[serde(default)]
    pub legacy_code: Option<String>,
    #[serde(default)]
    pub held_on: Option<String>,
    #[serde(default)]
    pub ends_on: Option<String>,
    #[serde(default)]
    pub period_from: Option<Value>,
    #[serde(default)]
    pub period_to: Option<Value>,
    #[serde(default)]
    pub year: Option<Value>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub subtype: Option<String>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub attendance: Option<Value>,
    #[serde(default)]
    pub decision_ref: Option<String>,
    #[serde(default)]
    pub unit_codes: Option<Vec<String>>,
    #[serde(default)]
    pub legacy_unit_codes: Option<Vec<String>>,
    #[serde(default)]
    pub note: Option<String>,
}

struct Input {
    village_id: Option<i64>,
    legacy: Option<(String, String)>,
    held_on: String,
    ends_on: Option<String>,
    period_from: Option<i64>,
    period_to: Option<i64>,
    year: Option<i64>,
    title: String,
    subtype: String,
    level: String,
    attendance: Option<i64>,
    decision_ref: String,
    units: Vec<Unit>,
    /// Old units covered, each with the unit of today it lies in.
    old_units: Vec<(Unit, Unit)>,
    note: String,
}

/// A past or present date: required, real, not after today.
pub(crate) fn past_date(
    inv: &mut Invalid,
    field: &str,
    label: &str,
    raw: Option<&str>,
    required: bool,
) -> Option<String> {
    let d = input::date_value(inv, field, label, raw, required)?;
    if d > input::today() {
        inv.add(field, format!("{label}: không được sau ngày hôm nay."));
        return None;
    }
    Some(d.to_string())
}

/// A year between 2000 and this year.
pub(crate) fn year_field(
    inv: &mut Invalid,
    field: &str,
    label: &str,
    raw: Option<&Value>,
    required: bool,
) -> Option<i64> {
    let this_year = i64::from(input::today().year());
    let text = raw
        .filter(|v| !v.is_null())
        .and_then(value_text)
        .unwrap_or_default();
    let text = text.trim();
    if text.is_empty() {
        if required {
            inv.add(field, format!("{label}: không được để trống."));
        }
        return None;
    }
    match text.parse::<i64>() {
        Ok(y) if (2000..=this_year).contains(&y) => Some(y),
        _ => {
            inv.add(field, format!("{label}: phải là năm từ 2000 đến {this_year}."));
            None
        }
    }
}

/// A code chosen from a list, required.
pub(crate) fn choice(
    inv: &mut Invalid,
    field: &str,
    label: &str,
    raw: Option<&str>,
    list: &[(&'static str, &'static str)],
) -> String {
    let code = raw.map(str::trim).unwrap_or_default();
    if let Some((c, _)) = list
        .iter()
        .find(|(c, l)| *c == code || crate::text::fold(l) == crate::text::fold(code))
    {
        return (*c).to_string();
    }
    let options = list.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
    if code.is_empty() {
        inv.add(field, format!("{label}: chưa chọn ({options})."));
    } else {
        inv.add(
            field,
            format!("{label}: \"{}\" không hợp lệ ({options}).", shorten(code)),
        );
    }
    String::new()
}

async fn parse(
    tx: &mut Tx,
    villages: &mut Villages,
    kind: &str,
    unit: &Unit,
    d: &ActivityDraft,
) -> Result<Input> {
    let mut inv = Invalid::default();
    let held_label = match kind {
        "campaign" => "Ngày bắt đầu",
        "drug_free" | "key_area" => "Ngày quyết định",
        "conference" => "Ngày hội nghị",
        "mediation" => "Ngày hòa giải",
        _ => "Ngày tổ chức",
    };
    let held_on = past_date(&mut inv, "held_on", held_label, d.held_on.as_deref(), true).unwrap_or_default();
    let village = if unit.level == "commune" {
        villages
            .resolve(tx, &mut inv, unit, d.village_id.as_ref())
            .await?
    } else {
        if d.village_id
            .as_ref()
            .and_then(value_text)
            .is_some_and(|t| !t.trim().is_empty())
        {
            inv.add(
                "village_id",
                "Thôn, tổ dân phố: chỉ ghi khi đơn vị là xã, phường, đặc khu.",
            );
        }
        None
    };
    let legacy = legacy_origin(
        tx,
        &mut inv,
        unit,
        d.legacy_code.as_deref(),
        Some(&held_on).filter(|s| !s.is_empty()).map(String::as_str),
    )
    .await?;
    let note = optional_text(&mut inv, "note", "Ghi chú", d.note.as_deref(), 2000);
    let mut out = Input {
        village_id: village.map(|(id, _)| id),
        legacy,
        held_on,
        ends_on: None,
        period_from: None,
        period_to: None,
        year: None,
        title: String::new(),
        subtype: String::new(),
        level: String::new(),
        attendance: None,
        decision_ref: String::new(),
        units: Vec::new(),
        old_units: Vec::new(),
        note,
    };
    let attendance = |inv: &mut Invalid, required: bool| {
        let n = optional_count(
            inv,
            "attendance",
            "Số lượt người tham gia",
            d.attendance.as_ref(),
            MAX_ATTENDANCE,
        );
        if n.is_none() && required && !inv.has("attendance") {
            inv.add("attendance", "Số lượt người tham gia: không được để trống.");
        }
        n
    };
    match kind {
        "session" => {
            out.title = required_text(&mut inv, "title", "Chủ đề", d.title.as_deref(), 300);
            out.subtype = choice(
                &mut inv,
                "subtype",
                "Hình thức",
                d.subtype.as_deref(),
                &SESSION_FORMS,
            );
            out.attendance = attendance(&mut inv, true);
        }
        "conference" => {
            out.title = required_text(&mut inv, "title", "Tên hội nghị", d.title.as_deref(), 300);
            out.subtype = choice(
                &mut inv,
                "subtype",
                "Loại hội nghị",
                d.subtype.as_deref(),
                &CONFERENCE_TYPES,
            );
            out.level = choice(&mut inv, "level", "Cấp tổ chức", d.level.as_deref(), &LEVELS);
            if out.level == "huyen" && out.held_on.as_str() >= REFORM_DAY {
                inv.add("level", "Cấp tổ chức: cấp huyện không còn từ ngày 01/07/2025.");
            }
            out.period_from = year_field(
                &mut inv,
                "period_from",
                "Giai đoạn từ năm",
                d.period_from.as_ref(),
                false,
            );
            out.period_to = year_field(
                &mut inv,
                "period_to",
                "Giai đoạn đến năm",
                d.period_to.as_ref(),
                false,
            );
            match (out.period_from, out.period_to) {
                (Some(a), Some(b)) if a > b => {
                    inv.add(
                        "period_to",
                        format!("Giai đoạn đến năm: không được trước năm {a}."),
                    );
                }
                (Some(_), None) | (None, Some(_)) => {
                    inv.add("period_to", "Giai đoạn: ghi cả năm bắt đầu và năm kết thúc.");
                }
                _ => {}
            }
            out.attendance = attendance(&mut inv, false);
        }
        "campaign" => {
            out.title = required_text(&mut inv, "title", "Tên đợt", d.title.as_deref(), 300);
            out.ends_on = input::date(&mut inv, "ends_on", "Ngày kết thúc", d.ends_on.as_deref(), false);
            if let Some(e) = &out.ends_on
                && !out.held_on.is_empty()
                && e < &out.held_on
            {
                inv.add("ends_on", "Ngày kết thúc: không được trước ngày bắt đầu.");
            }
            covered::parse(tx, &mut inv, unit, d, &mut out).await?;
        }
        "mediation" => {
            out.title = optional_text(&mut inv, "title", "Nội dung vụ việc", d.title.as_deref(), 300);
            out.subtype = choice(
                &mut inv,
                "subtype",
                "Kết quả",
                d.subtype.as_deref(),
                &MEDIATION_RESULTS,
            );
            if unit.level != "commune" {
                inv.add("unit", "Vụ việc hòa giải: ghi ở xã, phường, đặc khu.");
            }
        }
        "drug_free" => {
            out.year = year_field(&mut inv, "year", "Năm công nhận", d.year.as_ref(), true);
            out.decision_ref = required_text(
                &mut inv,
                "decision_ref",
                "Số quyết định",
                d.decision_ref.as_deref(),
                200,
            );
            out.title = optional_text(&mut inv, "title", "Cơ quan quyết định", d.title.as_deref(), 300);
            if unit.level != "commune" {
                inv.add("unit", "Xã không có tệ nạn ma túy: ghi ở xã, phường, đặc khu.");
            }
        }
        "key_area" => {
            out.subtype = choice(
                &mut inv,
                "subtype",
                "Quyết định",
                d.subtype.as_deref(),
                &KEY_AREA_ACTIONS,
            );
            out.decision_ref = required_text(
                &mut inv,
                "decision_ref",
                "Số quyết định",
                d.decision_ref.as_deref(),
                200,
            );
            out.title = optional_text(&mut inv, "title", "Cơ quan quyết định", d.title.as_deref(), 300);
            if unit.level != "commune" {
                inv.add(
                    "unit",
                    "Địa bàn trọng điểm: ghi ở xã, phường, đặc khu (và thôn nếu có).",
                );
            }
        }
        _ => {}
    }
    if kind != "campaign" && d.unit_codes.as_ref().is_some_and(|u| !u.is_empty()) {
        inv.add(
            "unit_codes",
            "Đơn vị tham gia: chỉ ghi cho đợt tấn công trấn áp tội phạm.",
        );
    }
    if kind != "campaign" && d.legacy_unit_codes.as_ref().is_some_and(|u| !u.is_empty()) {
        inv.add(
            "legacy_unit_codes",
            "Đơn vị tham gia trước sắp xếp: chỉ ghi cho đợt tấn công trấn áp tội phạm.",
        );
    }
    inv.finish()?;
    Ok(out)
}

fn kind_of(raw: Option<&str>) -> Result<&'static str> {
    let code = raw.map(str::trim).unwrap_or_default();
    KINDS.iter().map(|(c, _)| *c).find(|c| *c == code).ok_or_else(|| {
        AppError::field(
            "kind",
            format!(
                "Loại hoạt động: \"{}\" không hợp lệ ({}).",
                shorten(code),
                KINDS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ")
            ),
        )
    })
}

/// Records one activity. On SQLite a record of one row with no side
/// effect (outreach session, conference, mediation case: what an import
/// writes in bulk) is written on the writers' thread through rusqlite
/// ([`Db::begin_native`]): no hand-off to sqlx's worker thread while the
/// write lock is held. Its checks and its audit entry are every record's.
pub async fn create(db: &Db, actor: &Actor, unit_code: &str, d: &ActivityDraft) -> Result<Activity> {
    if db.backend != crate::db::Backend::Sqlite || !bulk::written_in_bulk(d.kind.as_deref()) {
        let mut tx = db.begin().await?;
        let a = create_in_tx(&mut tx, actor, unit_code, d).await?;
        tx.commit().await?;
        return Ok(a);
    }
    let dir = crate::units::directory::directory(db).await?;
    let (actor, unit_code, d) = (actor.clone(), unit_code.to_string(), d.clone());
    db.write(|db| async move {
        let mut tx = db.begin_native().await?;
        let mut villages = Villages::default();
        let (kind, unit, input) = checked(
            &mut tx,
            &mut villages,
            &mut HashMap::new(),
            &actor,
            &unit_code,
            &d,
        )
        .await?;
        let village = input.village_id.and_then(|v| villages.get(v));
        let a = bulk::insert_one(&tx, kind, &unit, input, village, &dir)?;
        audit_activity(&mut tx, &actor, "activity.create", None, &a).await?;
        tx.commit().await?;
        Ok(a)
    })
    .await
}

/// A new record's kind, unit (in the actor's scope) and checked fields, or
/// the refusal naming the field. `units` keeps each unit found and
/// authorised by the code the row gave: an import's rows name a few units,
/// each many times (copying the unit for each row was a fifth of checking
/// one, perf); a single write passes an empty map.
async fn checked(
    tx: &mut Tx,
    villages: &mut Villages,
    units: &mut HashMap<String, Arc<Unit>>,
    actor: &Actor,
    unit_code: &str,
    d: &ActivityDraft,
) -> Result<(&'static str, Arc<Unit>, Input)> {
    let kind = kind_of(d.kind.as_deref())?;
    let unit = match units.get(unit_code) {
        Some(unit) => unit.clone(),
        None => {
            let unit = Arc::new(unit_for_write(tx, actor, Action::RecordActivity, unit_code).await?);
            units.insert(unit_code.to_string(), unit.clone());
            unit
        }
    };
    let input = parse(tx, villages, kind, &unit, d).await?;
    Ok((kind, unit, input))
}

/// Records one activity in the caller's transaction; every refusal comes
/// before the first write, so an import can go on checking its other rows.
pub async fn create_in_tx(
    tx: &mut Tx,
    actor: &Actor,
    unit_code: &str,
    d: &ActivityDraft,
) -> Result<Activity> {
    let (kind, unit, input) = checked(
        tx,
        &mut Villages::default(),
        &mut HashMap::new(),
        actor,
        unit_code,
        d,
    )
    .await?;
    if kind == "drug_free" {
        drug_free_once(tx, &unit, &input, None).await?;
    }
    let ts = now();
    let row = sqlx::query(&format!(
        "INSERT INTO activities (kind, unit_code, province_code, village_id, scope_path, legacy_code, legacy_name, \
         held_on, ends_on, period_from, period_to, year, title, subtype, level, attendance, decision_ref, note, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) \
         RETURNING {}",
        *RETURNING
    ))
    .bind(kind)
    .bind(&unit.code)
    .bind(province_of(&unit))
    .bind(input.village_id)
    .bind(&unit.path)
    .bind(input.legacy.as_ref().map(|l| l.0.clone()))
    .bind(input.legacy.as_ref().map(|l| l.1.clone()))
    .bind(&input.held_on)
    .bind(&input.ends_on)
    .bind(input.period_from)
    .bind(input.period_to)
    .bind(input.year)
    .bind(&input.title)
    .bind(&input.subtype)
    .bind(&input.level)
    .bind(input.attendance)
    .bind(&input.decision_ref)
    .bind(&input.note)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| drug_free_taken(e, &input))?;
    let mut a = Activity::from_row(&row)?;
    let id = a.id;
    covered::write(tx, id, &input).await?;
    if kind == "key_area" {
        follow_key_area(tx, actor, input.village_id).await?;
    }
    // As read_in_tx orders them.
    a.unit_codes = input.units.iter().map(|u| u.code.clone()).collect();
    a.unit_codes.sort();
    a.legacy_unit_codes = input.old_units.iter().map(|(o, _)| o.code.clone()).collect();
    a.legacy_unit_codes.sort();
    audit_activity(tx, actor, "activity.create", None, &a).await?;
    Ok(a)
}

/// One drug-free decision per commune (or pre-2025 commune) and year.
async fn drug_free_once(tx: &mut Tx, unit: &Unit, input: &Input, except: Option<i64>) -> Result<()> {
    // Old and current codes are told apart, as the unique index does.
    let place = match &input.legacy {
        Some(l) => format!("l:{}", l.0),
        None => format!("c:{}", unit.code),
    };
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM activities WHERE kind = 'drug_free' \
         AND COALESCE('l:' || legacy_code, 'c:' || unit_code) = $1 AND year = $2 AND cancelled_at IS NULL AND id <> $3",
    )
    .bind(&place)
    .bind(input.year)
    .bind(except.unwrap_or(-1))
    .fetch_optional(&mut **tx)
    .await?;
    if taken.is_some() {
        let name = input.legacy.as_ref().map_or(unit.name.as_str(), |l| l.1.as_str());
        return Err(AppError::conflict(
            "year",
            format!(
                "Năm công nhận: {name} đã có quyết định công nhận năm {}.",
                input.year.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// A race past [`drug_free_once`] ends at the unique index: the same refusal.
fn drug_free_taken(e: sqlx::Error, input: &Input) -> AppError {
    if crate::error::is_unique_violation(&e) {
        AppError::conflict(
            "year",
            format!(
                "Năm công nhận: đã có quyết định công nhận năm {}.",
                input.year.unwrap_or_default()
            ),
        )
    } else {
        e.into()
    }
}

/// A village's key-area flag follows the latest dated decision about it
/// (none left: not a key area), so the flag on the village page never
/// disagrees with the decisions; a change of the flag is audited.
async fn follow_key_area(tx: &mut Tx, actor: &Actor, village_id: Option<i64>) -> Result<()> {
    let Some(v) = village_id else { return Ok(()) };
    let latest: Option<String> = sqlx::query_scalar(
        "SELECT subtype FROM activities WHERE kind = 'key_area' AND village_id = $1 AND cancelled_at IS NULL \
         ORDER BY held_on DESC, id DESC LIMIT 1",
    )
    .bind(v)
    .fetch_optional(&mut **tx)
    .await?;
    let flag = i64::from(latest.as_deref() == Some("dua_vao"));
    let row = sqlx::query("SELECT name, key_area, scope_path FROM villages WHERE id = $1")
        .bind(v)
        .fetch_one(&mut **tx)
        .await?;
    let before: i64 = row.try_get("key_area")?;
    if before == flag {
        return Ok(());
    }
    sqlx::query("UPDATE villages SET key_area = $1, updated_at = $2 WHERE id = $3")
        .bind(flag)
        .bind(now())
        .bind(v)
        .execute(&mut **tx)
        .await?;
    audit::record(
        tx,
        actor,
        Change {
            action: "village.update",
            target_kind: "village",
            target_id: v.to_string(),
            target_label: row.try_get("name")?,
            scope_path: row.try_get("scope_path")?,
            before: Some(json!({ "key_area": before == 1 })),
            after: Some(json!({ "key_area": flag == 1 })),
        },
    )
    .await
}

async fn read_in_tx(tx: &mut Tx, id: i64) -> Result<Activity> {
    let row = sqlx::query(&format!("SELECT {} {FROM} WHERE a.id = $1", *COLUMNS))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    let mut a = Activity::from_row(&row)?;
    // Only a campaign covers units (parse): other kinds spare the query, a
    // sixth of the statements that hold the write lock for a session.
    if a.kind == "campaign" {
        covered::read(&mut **tx, &mut a).await?;
    }
    Ok(a)
}

/// Changes an activity: the draft's fields replace the stored ones; the kind
/// and the unit stay.
pub async fn update(db: &Db, actor: &Actor, id: i64, d: &ActivityDraft) -> Result<Activity> {
    let mut tx = db.begin().await?;
    let after = update_in_tx(db, &mut tx, actor, id, d).await?;
    tx.commit().await?;
    Ok(after)
}

/// [`update`] inside the caller's transaction (an import's); refusals come
/// before the first write.
pub async fn update_in_tx(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    d: &ActivityDraft,
) -> Result<Activity> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let found: Option<(String, String)> = sqlx::query(&format!(
        "SELECT scope_path, unit_code FROM activities WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("scope_path")?, r.try_get("unit_code")?)))
    .transpose()?;
    let (path, unit_code) = found.ok_or_else(AppError::not_found)?;
    policy::authorize(actor, Action::RecordActivity, &path)?;
    let before = read_in_tx(tx, id).await?;
    if before.is_cancelled() {
        return Err(AppError::conflict(
            "reason",
            "Bản ghi này đã được hủy; không sửa được.",
        ));
    }
    if d.kind.as_deref().is_some_and(|k| k.trim() != before.kind) {
        return Err(AppError::field(
            "kind",
            "Loại hoạt động không sửa được; hãy ghi bản ghi mới.",
        ));
    }
    let unit = current_unit(tx, &unit_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let merged = merge(d, &before);
    let input = parse(tx, &mut Villages::default(), &before.kind, &unit, &merged).await?;
    if before.kind == "drug_free" {
        drug_free_once(tx, &unit, &input, Some(id)).await?;
    }
    sqlx::query(
        "UPDATE activities SET village_id = $1, legacy_code = $2, legacy_name = $3, held_on = $4, ends_on = $5, \
         period_from = $6, period_to = $7, year = $8, title = $9, subtype = $10, level = $11, attendance = $12, \
         decision_ref = $13, note = $14, updated_at = $15 WHERE id = $16",
    )
    .bind(input.village_id)
    .bind(input.legacy.as_ref().map(|l| l.0.clone()))
    .bind(input.legacy.as_ref().map(|l| l.1.clone()))
    .bind(&input.held_on)
    .bind(&input.ends_on)
    .bind(input.period_from)
    .bind(input.period_to)
    .bind(input.year)
    .bind(&input.title)
    .bind(&input.subtype)
    .bind(&input.level)
    .bind(input.attendance)
    .bind(&input.decision_ref)
    .bind(&input.note)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await
    .map_err(|e| drug_free_taken(e, &input))?;
    if before.kind == "campaign" {
        sqlx::query("DELETE FROM activity_units WHERE activity_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        covered::write(tx, id, &input).await?;
    }
    if before.kind == "key_area" {
        follow_key_area(tx, actor, before.village_id).await?;
        follow_key_area(tx, actor, input.village_id).await?;
    }
    let after = read_in_tx(tx, id).await?;
    audit_activity(tx, actor, "activity.update", Some(&before), &after).await?;
    Ok(after)
}

/// A partial update: what the draft leaves out keeps its stored value.
fn merge(d: &ActivityDraft, b: &Activity) -> ActivityDraft {
    let t = |new: &Option<String>, old: &str| new.clone().or_else(|| Some(old.to_string()));
    let n = |new: &Option<Value>, old: Option<i64>| new.clone().or_else(|| old.map(Value::from));
    ActivityDraft {
        kind: Some(b.kind.clone()),
        village_id: n(&d.village_id, b.village_id),
        legacy_code: d.legacy_code.clone().or_else(|| b.legacy_code.clone()),
        held_on: t(&d.held_on, &b.held_on),
        ends_on: d.ends_on.clone().or_else(|| b.ends_on.clone()),
        period_from: n(&d.period_from, b.period_from),
        period_to: n(&d.period_to, b.period_to),
        year: n(&d.year, b.year),
        title: t(&d.title, &b.title),
        subtype: t(&d.subtype, &b.subtype),
        level: t(&d.level, &b.level),
        attendance: n(&d.attendance, b.attendance),
        decision_ref: t(&d.decision_ref, &b.decision_ref),
        unit_codes: d.unit_codes.clone().or_else(|| Some(b.unit_codes.clone())),
        legacy_unit_codes: d
            .legacy_unit_codes
            .clone()
            .or_else(|| Some(b.legacy_unit_codes.clone())),
        note: t(&d.note, &b.note),
    }
}

/// Cancels a record entered by mistake: it stays, marked, with the reason,
/// and leaves every figure.
pub async fn cancel(db: &Db, actor: &Actor, id: i64, reason: Option<&str>) -> Result<Activity> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let mut tx = db.begin().await?;
    let path: Option<String> = sqlx::query_scalar(&format!(
        "SELECT scope_path FROM activities WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut *tx)
    .await?;
    policy::authorize(
        actor,
        Action::RecordActivity,
        &path.ok_or_else(AppError::not_found)?,
    )?;
    let mut inv = Invalid::default();
    let reason = required_text(&mut inv, "reason", "Lý do hủy", reason, 500);
    inv.finish()?;
    let before = read_in_tx(&mut tx, id).await?;
    if before.is_cancelled() {
        return Err(AppError::conflict("reason", "Bản ghi này đã được hủy trước đó."));
    }
    sqlx::query("UPDATE activities SET cancelled_at = $1, cancel_reason = $2, updated_at = $1 WHERE id = $3")
        .bind(now())
        .bind(&reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if before.kind == "key_area" {
        follow_key_area(&mut tx, actor, before.village_id).await?;
    }
    let after = read_in_tx(&mut tx, id).await?;
    audit_activity(&mut tx, actor, "activity.cancel", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

async fn audit_activity(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: Option<&Activity>,
    after: &Activity,
) -> Result<()> {
    let what = if after.title.is_empty() {
        after.kind_label().to_string()
    } else {
        after.title.clone()
    };
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "activity",
            target_id: after.id.to_string(),
            target_label: format!(
                "{what} – {} – {}",
                after.unit_name,
                crate::text::format_date(&after.held_on)
            ),
            scope_path: after.scope_path.clone(),
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
        },
    )
    .await
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Activity> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    // A campaign is visible, read-only, to the units it covered, as in the lists.
    let row = sqlx::query(&format!(
        "SELECT {} {FROM} WHERE a.id = $1 AND (a.scope_path LIKE $2 OR EXISTS \
           (SELECT 1 FROM activity_units au WHERE au.activity_id = a.id AND au.scope_path LIKE $2))",
        *COLUMNS
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    let mut a = Activity::from_row(&row.ok_or_else(AppError::not_found)?)?;
    if a.kind == "campaign" {
        covered::read(&db.pool, &mut a).await?;
    }
    Ok(a)
}

/// A list's filter: kind, and a date range (a year by default).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ActivityFilter {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub year: Option<i64>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    /// "1" also lists cancelled records.
    #[serde(default)]
    pub all: Option<String>,
    /// The page after this one's last row: the `next` of the page before
    /// (see [`Cursor`]); none for the newest.
    #[serde(default)]
    pub after: Option<String>,
    /// Rows a page (1 to [`MAX_PAGE`]; [`PAGE`] when not given).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A checked date range `[from, to]` (ISO), from a filter's year or dates.
pub fn period(year: Option<i64>, from: Option<&str>, to: Option<&str>) -> Result<(String, String)> {
    let mut inv = Invalid::default();
    let from = input::date(&mut inv, "from", "Từ ngày", from, false);
    let to = input::date(&mut inv, "to", "Đến ngày", to, false);
    inv.finish()?;
    let y = year.unwrap_or_else(|| i64::from(input::today().year()));
    if !(2000..=2100).contains(&y) {
        return Err(AppError::field("year", format!("Năm: {y} không hợp lệ.")));
    }
    let (from, to) = match (from, to) {
        (None, None) => (format!("{y:04}-01-01"), format!("{y:04}-12-31")),
        (f, t) => (
            f.unwrap_or_else(|| "2000-01-01".into()),
            t.unwrap_or_else(|| "2100-12-31".into()),
        ),
    };
    if from > to {
        return Err(AppError::field("to", "Đến ngày: không được trước ngày bắt đầu."));
    }
    Ok((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_default_to_the_year_and_refuse_reversed_ranges() {
        assert_eq!(
            period(Some(2023), None, None).unwrap(),
            ("2023-01-01".to_string(), "2023-12-31".to_string())
        );
        assert_eq!(
            period(None, Some("01/07/2025"), Some("19/08/2025")).unwrap(),
            ("2025-07-01".to_string(), "2025-08-19".to_string())
        );
        let err = period(None, Some("2025-08-20"), Some("2025-08-19")).unwrap_err();
        assert_eq!(err.status(), 422);
        assert!(period(Some(1500), None, None).is_err());
    }

    #[test]
    fn choices_accept_codes_and_labels() {
        let mut inv = Invalid::default();
        assert_eq!(
            choice(&mut inv, "s", "Kết quả", Some("thanh"), &MEDIATION_RESULTS),
            "thanh"
        );
        assert_eq!(
            choice(
                &mut inv,
                "s",
                "Kết quả",
                Some("Hòa giải không thành"),
                &MEDIATION_RESULTS
            ),
            "khong_thanh"
        );
        assert!(inv.is_empty());
        choice(&mut inv, "s", "Kết quả", Some("hủy"), &MEDIATION_RESULTS);
        assert!(inv.into_error().fields().unwrap()["s"].contains("Kết quả"));
    }
}

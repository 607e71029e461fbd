//! Ngày hội toàn dân bảo vệ an ninh Tổ quốc: one per commune (or village)
//! and year, held from 1/7 to 19/8 (19/8 is the day itself, Luật Công an
//! nhân dân 2018 Điều 6) — outside that window only with a stated reason;
//! a showcase site ("điểm") of Bộ Công an, the province or the commune.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{MAX_ATTENDANCE, REFORM_DAY, label, legacy_origin, province_of, unit_for_write, village_of};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{self, optional_count, optional_text, value_text};
use crate::text::format_date;
use crate::units::Unit;

pub const SHOWCASE_LEVELS: [(&str, &str); 5] = [
    ("", "Không phải điểm"),
    ("bo_cong_an", "Điểm của Bộ Công an"),
    ("tinh", "Điểm của tỉnh"),
    ("huyen", "Điểm của huyện (trước 01/07/2025)"),
    ("xa", "Điểm của xã"),
];

/// The window of the year's festival days, as month-day.
const WINDOW: (&str, &str) = ("07-01", "08-19");

#[derive(Clone, Debug, Serialize)]
pub struct FestivalDay {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub village_id: Option<i64>,
    pub village_name: Option<String>,
    pub legacy_code: Option<String>,
    pub legacy_name: Option<String>,
    pub year: i64,
    pub held_on: String,
    pub outside_reason: String,
    pub showcase_level: String,
    pub venue: String,
    pub guests: String,
    pub programme: String,
    pub gifts: String,
    pub gifts_value: Option<i64>,
    pub attendance: Option<i64>,
    pub note: String,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "f.id, f.unit_code, u.name AS unit_name, f.village_id, v.name AS village_name, f.legacy_code, \
     f.legacy_name, f.year, f.held_on, f.outside_reason, f.showcase_level, f.venue, f.guests, f.programme, f.gifts, \
     f.gifts_value, f.attendance, f.note, f.scope_path";
const FROM: &str = "FROM festival_days f JOIN units u ON u.era = 'current' AND u.code = f.unit_code \
     LEFT JOIN villages v ON v.id = f.village_id";

impl FestivalDay {
    fn from_row(r: &AnyRow) -> Result<FestivalDay, sqlx::Error> {
        Ok(FestivalDay {
            id: r.try_get("id")?,
            unit_code: r.try_get("unit_code")?,
            unit_name: r.try_get("unit_name")?,
            village_id: r.try_get("village_id")?,
            village_name: r.try_get("village_name")?,
            legacy_code: r.try_get("legacy_code")?,
            legacy_name: r.try_get("legacy_name")?,
            year: r.try_get("year")?,
            held_on: r.try_get("held_on")?,
            outside_reason: r.try_get("outside_reason")?,
            showcase_level: r.try_get("showcase_level")?,
            venue: r.try_get("venue")?,
            guests: r.try_get("guests")?,
            programme: r.try_get("programme")?,
            gifts: r.try_get("gifts")?,
            gifts_value: r.try_get("gifts_value")?,
            attendance: r.try_get("attendance")?,
            note: r.try_get("note")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn showcase_label(&self) -> &'static str {
        label(&SHOWCASE_LEVELS, &self.showcase_level)
    }

    /// The pre-2025 name of the place, when it differs from today's.
    pub fn former_name(&self) -> Option<&str> {
        self.legacy_name.as_deref().filter(|old| *old != self.unit_name)
    }

    /// "Ngày hội … năm 2023 tại Thị trấn Sơn Lư (nay là Xã Quan Sơn)".
    pub fn title(&self) -> String {
        let unit = match &self.legacy_name {
            Some(old) if old != &self.unit_name => format!("{old} (nay là {})", self.unit_name),
            _ => self.unit_name.clone(),
        };
        let place = match &self.village_name {
            Some(v) => format!("{v}, {unit}"),
            None => unit,
        };
        format!(
            "Ngày hội toàn dân bảo vệ an ninh Tổ quốc năm {} tại {place}",
            self.year
        )
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct FestivalDraft {
    #[serde(default)]
    pub village_id: Option<Value>,
    #[serde(default)]
    pub legacy_code: Option<String>,
    #[serde(default)]
    pub held_on: Option<String>,
    #[serde(default)]
    pub outside_reason: Option<String>,
    #[serde(default)]
    pub showcase_level: Option<String>,
    #[serde(default)]
    pub venue: Option<String>,
    #[serde(default)]
    pub guests: Option<String>,
    #[serde(default)]
    pub programme: Option<String>,
    #[serde(default)]
    pub gifts: Option<String>,
    #[serde(default)]
    pub gifts_value: Option<Value>,
    #[serde(default)]
    pub attendance: Option<Value>,
    #[serde(default)]
    pub note: Option<String>,
}

struct Input {
    village: Option<(i64, String)>,
    legacy: Option<(String, String)>,
    year: i64,
    held_on: String,
    outside_reason: String,
    showcase_level: String,
    venue: String,
    guests: String,
    programme: String,
    gifts: String,
    gifts_value: Option<i64>,
    attendance: Option<i64>,
    note: String,
}

/// True when the date falls within 1/7–19/8 of its year.
pub fn in_window(iso: &str) -> bool {
    let md = iso.get(5..10).unwrap_or_default();
    md >= WINDOW.0 && md <= WINDOW.1
}

async fn parse(
    tx: &mut Tx,
    actor: &Actor,
    unit: &Unit,
    d: &FestivalDraft,
    before: Option<&str>,
) -> Result<Input> {
    let mut inv = Invalid::default();
    // A festival day may be scheduled ahead, so the date may be in the future
    // (up to the end of next year).
    let held_on =
        input::date(&mut inv, "held_on", "Ngày tổ chức", d.held_on.as_deref(), true).unwrap_or_default();
    let this_year = i64::from(input::today().year());
    let year = held_on
        .get(0..4)
        .and_then(|y| y.parse::<i64>().ok())
        .unwrap_or(this_year);
    if !held_on.is_empty() && !(2005..=this_year + 1).contains(&year) {
        inv.add(
            "held_on",
            format!("Ngày tổ chức: năm phải từ 2005 đến {}.", this_year + 1),
        );
    }
    let outside_reason = optional_text(
        &mut inv,
        "outside_reason",
        "Lý do tổ chức ngoài thời gian",
        d.outside_reason.as_deref(),
        500,
    );
    if !held_on.is_empty() && !in_window(&held_on) && outside_reason.is_empty() {
        inv.add(
            "outside_reason",
            format!(
                "Lý do tổ chức ngoài thời gian: Ngày hội tổ chức từ 01/07 đến 19/08; ngày {} nằm ngoài khoảng này nên phải ghi lý do.",
                format_date(&held_on)
            ),
        );
    }
    let showcase_level = match d.showcase_level.as_deref().map(str::trim).unwrap_or_default() {
        "" => String::new(),
        code => super::choice(
            &mut inv,
            "showcase_level",
            "Cấp chọn làm điểm",
            Some(code),
            &SHOWCASE_LEVELS[1..],
        ),
    };
    // Setting a ministry's or province's choice, or taking it away, is theirs.
    let changed =
        before.is_some_and(|b| b != showcase_level) || (before.is_none() && !showcase_level.is_empty());
    let guarded = [showcase_level.as_str(), before.unwrap_or_default()]
        .into_iter()
        .find(|level| !level.is_empty() && !may_choose(actor, level));
    if let (true, Some(level)) = (changed, guarded) {
        inv.add(
            "showcase_level",
            match level {
                "bo_cong_an" => "Cấp chọn làm điểm: điểm của Bộ Công an do tài khoản cấp Bộ (toàn quốc) chọn hoặc bỏ.",
                _ => "Cấp chọn làm điểm: điểm của tỉnh (hoặc huyện trước 01/07/2025) do tài khoản cấp tỉnh chọn hoặc bỏ.",
            },
        );
    }
    if showcase_level == "huyen" && held_on.as_str() >= REFORM_DAY {
        inv.add(
            "showcase_level",
            "Cấp chọn làm điểm: cấp huyện không còn từ ngày 01/07/2025.",
        );
    }
    let village = village_of(tx, &mut inv, unit, d.village_id.as_ref()).await?;
    let legacy = legacy_origin(
        tx,
        &mut inv,
        unit,
        d.legacy_code.as_deref(),
        Some(held_on.as_str()).filter(|s| !s.is_empty()),
    )
    .await?;
    // Before the reform a festival day was one old commune's; a commune
    // formed from several must say which (each may have had its own).
    if legacy.is_none()
        && year < 2025
        && d.village_id
            .as_ref()
            .and_then(value_text)
            .is_none_or(|v| v.trim().is_empty())
        && !inv.has("legacy_code")
        && super::formed_from(tx, unit).await?.len() > 1
    {
        inv.add(
            "legacy_code",
            format!(
                "Đơn vị trước sắp xếp: {} được hợp thành từ nhiều xã; ghi mã xã (trước 01/07/2025) nơi tổ chức.",
                unit.name
            ),
        );
    }
    let text = |inv: &mut Invalid, field: &str, label: &str, raw: &Option<String>| {
        crate::input::optional_lines(inv, field, label, raw.as_deref(), 4000)
    };
    let input = Input {
        venue: optional_text(&mut inv, "venue", "Địa điểm", d.venue.as_deref(), 300),
        guests: text(&mut inv, "guests", "Khách mời, đại biểu", &d.guests),
        programme: text(&mut inv, "programme", "Các hoạt động", &d.programme),
        gifts: text(&mut inv, "gifts", "Quà tặng", &d.gifts),
        gifts_value: optional_count(
            &mut inv,
            "gifts_value",
            "Giá trị quà tặng (đồng)",
            d.gifts_value.as_ref(),
            1_000_000_000_000,
        ),
        attendance: optional_count(
            &mut inv,
            "attendance",
            "Số người tham dự",
            d.attendance.as_ref(),
            MAX_ATTENDANCE,
        ),
        note: optional_text(&mut inv, "note", "Ghi chú", d.note.as_deref(), 2000),
        village,
        legacy,
        year,
        held_on,
        outside_reason,
        showcase_level,
    };
    inv.finish()?;
    Ok(input)
}

/// Who chooses a showcase site: Bộ Công an (a reviewer of the nation) its
/// own, the province (a reviewer of a province or above) the province's and,
/// before the reform, the district's; the commune its own.
fn may_choose(actor: &Actor, level: &str) -> bool {
    let depth = actor.scope_path.trim_matches('/').split('/').count();
    let reviewer = actor.role >= crate::auth::Role::Reviewer;
    match level {
        "bo_cong_an" => reviewer && depth == 1,
        "tinh" | "huyen" => reviewer && depth <= 2,
        _ => true,
    }
}

/// One festival day per place and year: a village, a commune, or — for a
/// year before 2025 — the pre-2025 commune it was held in, so that two
/// communes merged since each keep their own. From 2025 (whose festival
/// days fall after the reform) the place is today's commune.
fn subject_key(
    unit: &Unit,
    year: i64,
    village: Option<&(i64, String)>,
    legacy: Option<&(String, String)>,
) -> String {
    match (village, legacy) {
        (Some((id, _)), _) => format!("v:{id}"),
        (None, Some((code, _))) if year < 2025 => format!("l:{code}"),
        (None, _) => format!("c:{}", unit.code),
    }
}

pub async fn create(db: &Db, actor: &Actor, unit_code: &str, d: &FestivalDraft) -> Result<FestivalDay> {
    let mut tx = db.begin().await?;
    let f = create_in_tx(&mut tx, actor, unit_code, d).await?;
    tx.commit().await?;
    Ok(f)
}

/// Records a festival day in the caller's transaction (an import's); every
/// refusal comes before the first write.
pub async fn create_in_tx(
    tx: &mut Tx,
    actor: &Actor,
    unit_code: &str,
    d: &FestivalDraft,
) -> Result<FestivalDay> {
    let unit = unit_for_write(tx, actor, Action::RecordActivity, unit_code).await?;
    if unit.level != "commune" {
        return Err(AppError::field(
            "unit",
            "Ngày hội: ghi ở xã, phường, đặc khu (hoặc thôn của xã).",
        ));
    }
    let input = parse(tx, actor, &unit, d, None).await?;
    let key = subject_key(&unit, input.year, input.village.as_ref(), input.legacy.as_ref());
    let who = match (&input.village, &input.legacy) {
        (Some(v), _) => v.1.clone(),
        (None, Some(l)) if input.year < 2025 => l.1.clone(),
        _ => unit.name.clone(),
    };
    let taken =
        sqlx::query("SELECT held_on, scope_path FROM festival_days WHERE subject_key = $1 AND year = $2")
            .bind(&key)
            .bind(input.year)
            .fetch_optional(&mut **tx)
            .await?;
    // The date of another commune's record is not the actor's to see.
    let twice = |on: Option<&str>| {
        let when = on
            .map(|d| format!(" (ngày {})", format_date(d)))
            .unwrap_or_else(|| " (ghi ở đơn vị khác)".into());
        AppError::conflict(
            "held_on",
            format!(
                "Ngày tổ chức: {who} đã có Ngày hội năm {}{when}; mỗi năm một Ngày hội.",
                input.year
            ),
        )
    };
    if let Some(r) = taken {
        let (on, path): (String, String) = (r.try_get("held_on")?, r.try_get("scope_path")?);
        let visible = Scope::new(actor, Action::ViewGeography).is_ok_and(|s| s.contains(&path));
        return Err(twice(visible.then_some(on.as_str())));
    }
    let ts = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO festival_days (unit_code, province_code, village_id, subject_key, scope_path, legacy_code, legacy_name, \
         year, held_on, outside_reason, showcase_level, venue, guests, programme, gifts, gifts_value, attendance, note, \
         created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) RETURNING id",
    )
    .bind(&unit.code)
    .bind(province_of(&unit))
    .bind(input.village.as_ref().map(|v| v.0))
    .bind(&key)
    .bind(&unit.path)
    .bind(input.legacy.as_ref().map(|l| l.0.clone()))
    .bind(input.legacy.as_ref().map(|l| l.1.clone()))
    .bind(input.year)
    .bind(&input.held_on)
    .bind(&input.outside_reason)
    .bind(&input.showcase_level)
    .bind(&input.venue)
    .bind(&input.guests)
    .bind(&input.programme)
    .bind(&input.gifts)
    .bind(input.gifts_value)
    .bind(input.attendance)
    .bind(&input.note)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { twice(None) } else { e.into() })?;
    let f = read_in_tx(tx, id).await?;
    audit_festival(tx, actor, "festival_day.create", None, &f).await?;
    Ok(f)
}

/// Changes a festival day; the place stays, the date may move within its year.
pub async fn update(db: &Db, actor: &Actor, id: i64, d: &FestivalDraft) -> Result<FestivalDay> {
    let mut tx = db.begin().await?;
    let f = update_in_tx(db, &mut tx, actor, id, d).await?;
    tx.commit().await?;
    Ok(f)
}

/// [`update`] in the caller's transaction.
pub async fn update_in_tx(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    d: &FestivalDraft,
) -> Result<FestivalDay> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let path: Option<String> = sqlx::query_scalar(&format!(
        "SELECT scope_path FROM festival_days WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    policy::authorize(
        actor,
        Action::RecordActivity,
        &path.ok_or_else(AppError::not_found)?,
    )?;
    let before = read_in_tx(tx, id).await?;
    let unit = super::current_unit(tx, &before.unit_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    if d.village_id.is_some() {
        return Err(AppError::field(
            "village_id",
            "Nơi tổ chức không sửa được; hãy ghi Ngày hội mới.",
        ));
    }
    let t = |new: &Option<String>, old: &str| new.clone().or_else(|| Some(old.to_string()));
    let n = |new: &Option<Value>, old: Option<i64>| new.clone().or_else(|| old.map(Value::from));
    let merged = FestivalDraft {
        village_id: before.village_id.map(Value::from),
        legacy_code: d.legacy_code.clone().or_else(|| before.legacy_code.clone()),
        held_on: t(&d.held_on, &before.held_on),
        outside_reason: t(&d.outside_reason, &before.outside_reason),
        showcase_level: t(&d.showcase_level, &before.showcase_level),
        venue: t(&d.venue, &before.venue),
        guests: t(&d.guests, &before.guests),
        programme: t(&d.programme, &before.programme),
        gifts: t(&d.gifts, &before.gifts),
        gifts_value: n(&d.gifts_value, before.gifts_value),
        attendance: n(&d.attendance, before.attendance),
        note: t(&d.note, &before.note),
    };
    let input = parse(tx, actor, &unit, &merged, Some(&before.showcase_level)).await?;
    if input.legacy.as_ref().map(|l| &l.0) != before.legacy_code.as_ref() {
        return Err(AppError::field(
            "legacy_code",
            "Đơn vị trước sắp xếp của Ngày hội không sửa được; hãy ghi Ngày hội mới.",
        ));
    }
    if input.year != before.year {
        return Err(AppError::field(
            "held_on",
            format!(
                "Ngày tổ chức: phải trong năm {}; Ngày hội năm khác là một bản ghi mới.",
                before.year
            ),
        ));
    }
    sqlx::query(
        "UPDATE festival_days SET legacy_code = $1, legacy_name = $2, held_on = $3, outside_reason = $4, \
         showcase_level = $5, venue = $6, guests = $7, programme = $8, gifts = $9, gifts_value = $10, attendance = $11, \
         note = $12, updated_at = $13 WHERE id = $14",
    )
    .bind(input.legacy.as_ref().map(|l| l.0.clone()))
    .bind(input.legacy.as_ref().map(|l| l.1.clone()))
    .bind(&input.held_on)
    .bind(&input.outside_reason)
    .bind(&input.showcase_level)
    .bind(&input.venue)
    .bind(&input.guests)
    .bind(&input.programme)
    .bind(&input.gifts)
    .bind(input.gifts_value)
    .bind(input.attendance)
    .bind(&input.note)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let after = read_in_tx(tx, id).await?;
    audit_festival(tx, actor, "festival_day.update", Some(&before), &after).await?;
    Ok(after)
}

async fn read_in_tx(tx: &mut Tx, id: i64) -> Result<FestivalDay> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE f.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(FestivalDay::from_row(&row)?)
}

async fn audit_festival(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: Option<&FestivalDay>,
    after: &FestivalDay,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "festival_day",
            target_id: after.id.to_string(),
            target_label: after.title(),
            scope_path: after.scope_path.clone(),
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
        },
    )
    .await
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<FestivalDay> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE f.id = $1 AND f.scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    Ok(FestivalDay::from_row(&row.ok_or_else(AppError::not_found)?)?)
}

/// A festival day the scope holds, read on the transaction's connection.
pub async fn get_in_tx(tx: &mut Tx, scope: &Scope, id: i64) -> Result<Option<FestivalDay>> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE f.id = $1 AND f.scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| FestivalDay::from_row(&r)).transpose()?)
}

/// The year's festival days in a unit's subtree, by date.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit, year: i64) -> Result<Vec<FestivalDay>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE f.scope_path LIKE $1 AND f.year = $2 ORDER BY f.held_on, u.name, f.id"
    ))
    .bind(scope.like())
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(FestivalDay::from_row).collect::<Result<_, _>>()?)
}

/// A commune of the subtree with no commune-level festival day in the year.
#[derive(Debug, Serialize)]
pub struct Unscheduled {
    pub code: String,
    pub name: String,
}

pub async fn unscheduled(db: &Db, actor: &Actor, unit: &Unit, year: i64) -> Result<Vec<Unscheduled>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(
        "SELECT u.code, u.name FROM units u WHERE u.era = 'current' AND u.level = 'commune' AND u.path LIKE $1 \
         AND NOT EXISTS (SELECT 1 FROM festival_days f WHERE f.unit_code = u.code AND f.village_id IS NULL AND f.year = $2) \
         ORDER BY u.code",
    )
    .bind(scope.like())
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Unscheduled {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_runs_from_first_of_july_to_the_nineteenth_of_august() {
        assert!(in_window("2023-07-01"));
        assert!(in_window("2023-08-19"));
        assert!(in_window("2023-07-19"));
        assert!(!in_window("2023-06-30"));
        assert!(!in_window("2023-08-20"));
    }
}

//! Figures that exist only as totals (the catalogue's `entered` indicators:
//! gia đình văn hóa, khu dân cư văn hóa…): no record of each family is kept
//! anywhere antq can read, so a unit enters the year's total, and the
//! dashboards and the report add those totals up like any other figure.
//!
//! One value per indicator, place and year. The place is today's unit, or
//! for a year before 2025 the pre-2025 unit the figure was counted in (a
//! commune formed from several must say which, as for festival days). A
//! value is entered at one level of a subtree only: a second value for the
//! same indicator and year at an ancestor or a descendant — on the map of
//! that year — is refused, so a total never counts one family twice.
//!
//! pages.rs has the entry form, api.rs the JSON API, io.rs the CSV/XLSX
//! import and export; the values reach the roll-up through the change log
//! (migration 0009).

pub mod api;
pub mod io;
pub mod pages;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::Indicator;
use crate::activities::{current_unit, formed_from, legacy_origin, year_field};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{optional_count, optional_text, shorten};
use crate::text::format_int;
use crate::units::Unit;

/// Entering a total is recording the movement's figures: the same role as
/// recording its activities.
const ACTION: Action = Action::RecordActivity;

/// Largest total accepted (the nation has about 27 million households).
const MAX_VALUE: i64 = 1_000_000_000;

/// The indicators entered as totals, in catalogue order.
pub fn indicators() -> impl Iterator<Item = &'static Indicator> {
    super::CATALOGUE.iter().filter(|i| i.entered)
}

fn entered(code: &str) -> Option<&'static Indicator> {
    indicators().find(|i| i.code == code)
}

#[derive(Clone, Debug, Serialize)]
pub struct AggregateValue {
    pub id: i64,
    pub indicator: String,
    pub indicator_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub legacy_code: Option<String>,
    pub legacy_name: Option<String>,
    pub year: i64,
    pub value: i64,
    pub source: String,
    pub note: String,
    pub updated_at: String,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "a.id, a.indicator, a.unit_code, u.name AS unit_name, a.legacy_code, a.legacy_name, a.year, \
     a.value, a.source, a.note, a.updated_at, a.scope_path";
const FROM: &str = "FROM aggregate_values a JOIN units u ON u.era = 'current' AND u.code = a.unit_code";

impl AggregateValue {
    fn from_row(r: &AnyRow) -> Result<AggregateValue> {
        let indicator: String = r.try_get("indicator")?;
        Ok(AggregateValue {
            id: r.try_get("id")?,
            indicator_name: entered(&indicator)
                .map(|i| i.name)
                .unwrap_or_default()
                .to_string(),
            indicator,
            unit_code: r.try_get("unit_code")?,
            unit_name: r.try_get("unit_name")?,
            legacy_code: r.try_get("legacy_code")?,
            legacy_name: r.try_get("legacy_name")?,
            year: r.try_get("year")?,
            value: r.try_get("value")?,
            source: r.try_get("source")?,
            note: r.try_get("note")?,
            updated_at: r.try_get("updated_at")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    /// Where it was counted: "Xã Nậm Tăm (trước 01/07/2025: Xã Nậm Tăm cũ)".
    pub fn place(&self) -> String {
        match &self.legacy_name {
            Some(old) if *old != self.unit_name => {
                format!("{old} (nay thuộc {})", self.unit_name)
            }
            _ => self.unit_name.clone(),
        }
    }

    pub fn value_text(&self) -> String {
        format_int(self.value)
    }

    fn label(&self) -> String {
        format!("{} năm {} – {}", self.indicator_name, self.year, self.place())
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AggregateDraft {
    #[serde(default)]
    pub indicator: Option<String>,
    #[serde(default)]
    pub unit_code: Option<String>,
    #[serde(default)]
    pub legacy_code: Option<String>,
    #[serde(default)]
    pub year: Option<Value>,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Filter {
    #[serde(default)]
    pub year: Option<i64>,
    #[serde(default)]
    pub indicator: Option<String>,
}

/// The values entered in the unit's subtree (inside the actor's scope),
/// newest year first.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit, f: &Filter) -> Result<Vec<AggregateValue>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    if let Some(code) = f.indicator.as_deref().filter(|c| entered(c).is_none()) {
        return Err(AppError::field(
            "indicator",
            format!(
                "Chỉ tiêu: \"{}\" không phải chỉ tiêu nhập số liệu tổng hợp.",
                shorten(code)
            ),
        ));
    }
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE a.scope_path LIKE $1 AND ($2 IS NULL OR a.year = $2) \
         AND ($3 IS NULL OR a.indicator = $3) ORDER BY a.year DESC, a.indicator, a.scope_path, a.legacy_code"
    ))
    .bind(scope.like())
    .bind(f.year)
    .bind(f.indicator.as_deref())
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(AggregateValue::from_row).collect()
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<AggregateValue> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE a.id = $1 AND a.scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    AggregateValue::from_row(&row.ok_or_else(AppError::not_found)?)
}

async fn read_in_tx(tx: &mut Tx, id: i64) -> Result<AggregateValue> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE a.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    AggregateValue::from_row(&row)
}

/// What a draft says, checked.
pub(super) struct Input {
    indicator: &'static Indicator,
    unit: Unit,
    legacy: Option<(String, String)>,
    year: i64,
    value: i64,
    source: String,
    note: String,
}

impl Input {
    /// One key per place and year: the pre-2025 unit for a year before the
    /// reform (two communes merged since each keep their own), else today's.
    pub(super) fn subject_key(&self) -> String {
        match &self.legacy {
            Some((code, _)) if self.year < 2025 => format!("l:{code}"),
            _ => format!("c:{}", self.unit.code),
        }
    }
}

pub(super) async fn parse(tx: &mut Tx, actor: &Actor, d: &AggregateDraft) -> Result<Input> {
    let mut inv = Invalid::default();
    let code = d.indicator.as_deref().map(str::trim).unwrap_or_default();
    let indicator = entered(code);
    if indicator.is_none() {
        let names: Vec<&str> = indicators().map(|i| i.code).collect();
        inv.add(
            "indicator",
            if code.is_empty() {
                "Chỉ tiêu: không được để trống.".to_string()
            } else {
                format!(
                    "Chỉ tiêu: \"{}\" không phải chỉ tiêu nhập số liệu tổng hợp ({}).",
                    shorten(code),
                    names.join(", ")
                )
            },
        );
    }
    let unit_code = d.unit_code.as_deref().map(str::trim).unwrap_or_default();
    let unit = if unit_code.is_empty() {
        inv.add("unit_code", "Đơn vị: không được để trống.");
        None
    } else {
        let unit = current_unit(tx, unit_code).await?;
        if unit.is_none() {
            inv.add(
                "unit_code",
                format!(
                    "Đơn vị: không có đơn vị hành chính mã \"{}\".",
                    shorten(unit_code)
                ),
            );
        }
        unit
    };
    if let Some(u) = &unit {
        policy::authorize(actor, ACTION, &u.path)?;
    }
    let year = year_field(&mut inv, "year", "Năm", d.year.as_ref(), true);
    let value = optional_count(&mut inv, "value", "Số liệu", d.value.as_ref(), MAX_VALUE);
    if value.is_none() && !inv.has("value") {
        inv.add("value", "Số liệu: không được để trống.");
    }
    let source = optional_text(&mut inv, "source", "Nguồn số liệu", d.source.as_deref(), 300);
    let note = optional_text(&mut inv, "note", "Ghi chú", d.note.as_deref(), 2000);
    let mut legacy = None;
    if let (Some(u), Some(y)) = (&unit, year) {
        let end_of_year = format!("{y}-12-31");
        legacy = legacy_origin(tx, &mut inv, u, d.legacy_code.as_deref(), Some(&end_of_year)).await?;
        // Before the reform the figure was an old unit's; a unit formed
        // from several must say which.
        if legacy.is_none()
            && y < 2025
            && !inv.has("legacy_code")
            && (u.level == "commune" || u.level == "province")
            && formed_from(tx, u).await?.len() > 1
        {
            inv.add(
                "legacy_code",
                format!(
                    "Đơn vị trước sắp xếp: {} được hợp thành từ nhiều đơn vị; với số liệu năm {y}, ghi mã đơn vị \
                     (trước 01/07/2025) có số liệu.",
                    u.name
                ),
            );
        }
    }
    inv.finish()?;
    match (indicator, unit, year, value) {
        (Some(indicator), Some(unit), Some(year), Some(value)) => Ok(Input {
            indicator,
            unit,
            legacy,
            year,
            value,
            source,
            note,
        }),
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "aggregate draft checked without its fields"
        ))),
    }
}

/// Refuses a value whose place lies above or below a place that already
/// has one for the same indicator and year, on the map of that year (before
/// 2025 the old units', from 2025 today's).
async fn check_one_level(tx: &mut Tx, input: &Input, except: Option<i64>) -> Result<()> {
    let legacy_map = input.year < 2025;
    let path: Option<String> = if legacy_map {
        sqlx::query_scalar(
            "SELECT COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = $1), \
             (SELECT legacy_path FROM legacy_home WHERE code = $2))",
        )
        .bind(input.legacy.as_ref().map(|l| l.0.clone()))
        .bind(&input.unit.code)
        .fetch_one(&mut **tx)
        .await?
    } else {
        Some(input.unit.path.clone())
    };
    let Some(path) = path else {
        return Ok(());
    };
    let column = if legacy_map {
        "a.legacy_path"
    } else {
        "a.scope_path"
    };
    let other = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE a.indicator = $1 AND a.year = $2 AND a.id <> $3 \
         AND ({column} LIKE $4 OR $5 LIKE {column} || '%') ORDER BY {column} LIMIT 1"
    ))
    .bind(input.indicator.code)
    .bind(input.year)
    .bind(except.unwrap_or(0))
    .bind(format!("{path}%"))
    .bind(&path)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = other {
        let other = AggregateValue::from_row(&row)?;
        return Err(AppError::conflict(
            "unit_code",
            format!(
                "Đơn vị: {} đã có số liệu “{}” năm {}; trên một địa bàn chỉ nhập ở một cấp (đơn vị cấp trên \
                 hoặc các đơn vị cấp dưới), để tổng không tính hai lần.",
                other.place(),
                input.indicator.name,
                input.year
            ),
        ));
    }
    Ok(())
}

pub async fn create(db: &Db, actor: &Actor, d: &AggregateDraft) -> Result<AggregateValue> {
    let mut tx = db.begin().await?;
    let v = create_in_tx(&mut tx, actor, d).await?;
    tx.commit().await?;
    Ok(v)
}

/// Records a value in the caller's transaction (an import's); every refusal
/// comes before the write.
pub async fn create_in_tx(tx: &mut Tx, actor: &Actor, d: &AggregateDraft) -> Result<AggregateValue> {
    policy::require_role(actor, ACTION)?;
    let input = parse(tx, actor, d).await?;
    create_parsed(tx, actor, &input).await
}

/// [`create_in_tx`] for a draft already checked (an import checks each row
/// once, to tell a new value from a correction).
pub(super) async fn create_parsed(tx: &mut Tx, actor: &Actor, input: &Input) -> Result<AggregateValue> {
    let key = input.subject_key();
    let twice = || {
        AppError::conflict(
            "year",
            format!(
                "Năm: {} đã có số liệu “{}” năm {}; hãy sửa số liệu đó.",
                input
                    .legacy
                    .as_ref()
                    .filter(|_| input.year < 2025)
                    .map_or(input.unit.name.as_str(), |l| l.1.as_str()),
                input.indicator.name,
                input.year
            ),
        )
    };
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM aggregate_values WHERE indicator = $1 AND subject_key = $2 AND year = $3",
    )
    .bind(input.indicator.code)
    .bind(&key)
    .bind(input.year)
    .fetch_optional(&mut **tx)
    .await?;
    if taken.is_some() {
        return Err(twice());
    }
    check_one_level(tx, input, None).await?;
    let ts = now();
    let legacy = input.legacy.as_ref().filter(|_| input.year < 2025);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO aggregate_values (indicator, unit_code, subject_key, scope_path, legacy_code, legacy_name, year, \
         value, source, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
         RETURNING id",
    )
    .bind(input.indicator.code)
    .bind(&input.unit.code)
    .bind(&key)
    .bind(&input.unit.path)
    .bind(legacy.map(|l| l.0.clone()))
    .bind(legacy.map(|l| l.1.clone()))
    .bind(input.year)
    .bind(input.value)
    .bind(&input.source)
    .bind(&input.note)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { twice() } else { e.into() })?;
    let v = read_in_tx(tx, id).await?;
    audit_value(tx, actor, "aggregate.create", None, Some(&v)).await?;
    Ok(v)
}

/// The value a write may change: in the actor's scope, locked.
async fn for_write(db: &Db, tx: &mut Tx, actor: &Actor, id: i64) -> Result<AggregateValue> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let path: Option<String> = sqlx::query_scalar(&format!(
        "SELECT scope_path FROM aggregate_values WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    policy::authorize(actor, ACTION, &path.ok_or_else(AppError::not_found)?)?;
    read_in_tx(tx, id).await
}

/// Corrects a value, its source or its note; the indicator, place and year
/// stay (another of those is another value).
pub async fn update(db: &Db, actor: &Actor, id: i64, d: &AggregateDraft) -> Result<AggregateValue> {
    let mut tx = db.begin().await?;
    let changed = update_in_tx(db, &mut tx, actor, id, d).await?;
    tx.commit().await?;
    match changed {
        Some(v) => Ok(v),
        None => get(db, actor, id).await,
    }
}

/// [`update`] in the caller's transaction; `None` when nothing changed.
pub async fn update_in_tx(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    d: &AggregateDraft,
) -> Result<Option<AggregateValue>> {
    let before = for_write(db, tx, actor, id).await?;
    let fixed = |field: &str, label: &str, new: &Option<String>, old: &str| -> Result<()> {
        match new.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() && n != old => Err(AppError::field(
                field,
                format!("{label}: không sửa được; hãy xóa số liệu này và nhập số liệu mới."),
            )),
            _ => Ok(()),
        }
    };
    fixed("indicator", "Chỉ tiêu", &d.indicator, &before.indicator)?;
    fixed("unit_code", "Đơn vị", &d.unit_code, &before.unit_code)?;
    fixed(
        "legacy_code",
        "Đơn vị trước sắp xếp",
        &d.legacy_code,
        before.legacy_code.as_deref().unwrap_or_default(),
    )?;
    let year = d.year.as_ref().and_then(crate::input::value_text);
    fixed("year", "Năm", &year, &before.year.to_string())?;
    let mut inv = Invalid::default();
    let value = match d.value.as_ref() {
        Some(raw) => optional_count(&mut inv, "value", "Số liệu", Some(raw), MAX_VALUE),
        None => Some(before.value),
    };
    if value.is_none() && !inv.has("value") {
        inv.add("value", "Số liệu: không được để trống.");
    }
    let source = match &d.source {
        Some(s) => optional_text(&mut inv, "source", "Nguồn số liệu", Some(s), 300),
        None => before.source.clone(),
    };
    let note = match &d.note {
        Some(s) => optional_text(&mut inv, "note", "Ghi chú", Some(s), 2000),
        None => before.note.clone(),
    };
    inv.finish()?;
    let value = value.unwrap_or(before.value);
    if value == before.value && source == before.source && note == before.note {
        return Ok(None);
    }
    sqlx::query(
        "UPDATE aggregate_values SET value = $1, source = $2, note = $3, updated_at = $4 WHERE id = $5",
    )
    .bind(value)
    .bind(&source)
    .bind(&note)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    let after = read_in_tx(tx, id).await?;
    audit_value(tx, actor, "aggregate.update", Some(&before), Some(&after)).await?;
    Ok(Some(after))
}

/// Deletes a value entered in error (the audit log keeps what it was).
pub async fn delete(db: &Db, actor: &Actor, id: i64) -> Result<AggregateValue> {
    let mut tx = db.begin().await?;
    let before = for_write(db, &mut tx, actor, id).await?;
    sqlx::query("DELETE FROM aggregate_values WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit_value(&mut tx, actor, "aggregate.delete", Some(&before), None).await?;
    tx.commit().await?;
    Ok(before)
}

async fn audit_value(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: Option<&AggregateValue>,
    after: Option<&AggregateValue>,
) -> Result<()> {
    let Some(v) = after.or(before) else {
        return Ok(());
    };
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "aggregate_value",
            target_id: v.id.to_string(),
            target_label: v.label(),
            scope_path: v.scope_path.clone(),
            before: before.map(|b| json!(b)),
            after: after.map(|a| json!(a)),
        },
    )
    .await
}

/// The entered indicators' totals for a scope and year, counted from the
/// values (the definition the roll-up is held to): (code, total).
pub async fn figures(db: &Db, scope: &Scope, year: i64) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(&format!(
        "SELECT indicator, CAST(SUM(value) AS BIGINT) AS total FROM aggregate_values \
         WHERE {} LIKE $1 AND year = $2 GROUP BY indicator",
        scope.path_expr("")
    ))
    .bind(scope.like())
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("indicator")?,
                r.try_get::<Option<i64>, _>("total")?.unwrap_or(0),
            ))
        })
        .collect()
}

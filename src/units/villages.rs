//! Villages (thôn, bản, ấp, tổ dân phố…): created by a commune, never
//! hard-deleted (later records will count on them), every write audited.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Unit, find_current};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{date_value, flag, optional_count, optional_text, required_text, shorten, today};
use crate::text::{fold, name_key};

/// Village-level unit kinds, as communes name them.
pub const KINDS: [&str; 16] = [
    "Thôn",
    "Bản",
    "Ấp",
    "Tổ dân phố",
    "Khu phố",
    "Làng",
    "Xóm",
    "Buôn",
    "Plei",
    "Phum",
    "Sóc",
    "Khóm",
    "Khu dân cư",
    "Tổ dân cư",
    "Khối phố",
    "Khu",
];

pub const NAME_MAX: usize = 200;

pub mod labels {
    pub const NAME: &str = "Tên thôn, tổ dân phố";
    pub const KIND: &str = "Loại";
    pub const HOUSEHOLDS: &str = "Số hộ";
    pub const POPULATION: &str = "Số nhân khẩu";
    pub const ETHNIC: &str = "Dân tộc";
    pub const BORDER: &str = "Khu vực biên giới";
    pub const RELIGIOUS: &str = "Vùng có đông đồng bào theo tôn giáo";
    pub const KEY_AREA: &str = "Địa bàn trọng điểm, phức tạp về ANTT";
    pub const NOTE: &str = "Ghi chú";
    pub const COMMUNE: &str = "Mã xã";
    pub const LEGACY: &str = "Xã trước sắp xếp";
    pub const FOUNDED: &str = "Ngày thành lập";
    pub const CLOSED: &str = "Ngày ngừng hoạt động";
}

#[derive(Clone, Debug, Serialize)]
pub struct Village {
    pub id: i64,
    pub commune_code: String,
    pub province_code: String,
    pub name: String,
    pub kind: String,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub ethnic_groups: String,
    pub border_area: bool,
    pub religious_area: bool,
    pub key_area: bool,
    pub note: String,
    /// The commune before 1/7/2025 the village lay in, when its commune
    /// was formed from several (its records count there on the old map).
    pub legacy_code: Option<String>,
    /// The day it was founded; none: before the records begin. It counts
    /// in "Số thôn, tổ dân phố" in each year it existed on any day of
    /// (migration 0015).
    pub founded_on: Option<String>,
    /// The day it ceased (dissolved or merged): set when it is made inactive.
    pub closed_on: Option<String>,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "id, commune_code, province_code, name, kind, households, population, \
    ethnic_groups, border_area, religious_area, key_area, note, legacy_code, founded_on, closed_on, active, \
    created_at, updated_at, scope_path";

impl Village {
    fn from_row(r: &AnyRow) -> Result<Village, sqlx::Error> {
        Ok(Village {
            id: r.try_get("id")?,
            commune_code: r.try_get("commune_code")?,
            province_code: r.try_get("province_code")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            households: r.try_get("households")?,
            population: r.try_get("population")?,
            ethnic_groups: r.try_get("ethnic_groups")?,
            border_area: r.try_get::<i64, _>("border_area")? == 1,
            religious_area: r.try_get::<i64, _>("religious_area")? == 1,
            key_area: r.try_get::<i64, _>("key_area")? == 1,
            note: r.try_get("note")?,
            legacy_code: r.try_get("legacy_code")?,
            founded_on: r.try_get("founded_on")?,
            closed_on: r.try_get("closed_on")?,
            active: r.try_get::<i64, _>("active")? == 1,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    fn snapshot(&self) -> Value {
        json!(self)
    }

    /// The editable fields as a draft, so that a partial update can overlay it.
    fn as_draft(&self) -> VillageDraft {
        VillageDraft {
            name: Some(self.name.clone()),
            kind: Some(self.kind.clone()),
            households: self.households.map(Value::from),
            population: self.population.map(Value::from),
            ethnic_groups: Some(self.ethnic_groups.clone()),
            border_area: Some(Value::Bool(self.border_area)),
            religious_area: Some(Value::Bool(self.religious_area)),
            key_area: Some(Value::Bool(self.key_area)),
            note: Some(self.note.clone()),
            legacy_code: Some(self.legacy_code.clone().unwrap_or_default()),
            founded_on: Some(self.founded_on.clone().unwrap_or_default()),
        }
    }
}

/// Raw input from a form, JSON or a CSV row: every field optional and loosely
/// typed, so that parsing can name each bad field instead of failing whole.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct VillageDraft {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub households: Option<Value>,
    #[serde(default)]
    pub population: Option<Value>,
    #[serde(default)]
    pub ethnic_groups: Option<String>,
    #[serde(default)]
    pub border_area: Option<Value>,
    #[serde(default)]
    pub religious_area: Option<Value>,
    #[serde(default)]
    pub key_area: Option<Value>,
    #[serde(default)]
    pub note: Option<String>,
    /// The code of the commune before 1/7/2025 the village lay in; empty
    /// clears it.
    #[serde(default)]
    pub legacy_code: Option<String>,
    /// `19/08/2025` or `2025-08-19`; empty clears it.
    #[serde(default)]
    pub founded_on: Option<String>,
}

impl VillageDraft {
    /// Overlays the fields this draft sets onto `base` (a partial update).
    fn over(self, base: VillageDraft) -> VillageDraft {
        VillageDraft {
            name: self.name.or(base.name),
            kind: self.kind.or(base.kind),
            households: self.households.or(base.households),
            population: self.population.or(base.population),
            ethnic_groups: self.ethnic_groups.or(base.ethnic_groups),
            border_area: self.border_area.or(base.border_area),
            religious_area: self.religious_area.or(base.religious_area),
            key_area: self.key_area.or(base.key_area),
            note: self.note.or(base.note),
            legacy_code: self.legacy_code.or(base.legacy_code),
            founded_on: self.founded_on.or(base.founded_on),
        }
    }
}

/// A village's fields after parsing.
#[derive(Clone, Debug, PartialEq)]
pub struct VillageInput {
    pub name: String,
    pub kind: String,
    pub households: Option<i64>,
    pub population: Option<i64>,
    pub ethnic_groups: String,
    pub border_area: bool,
    pub religious_area: bool,
    pub key_area: bool,
    pub note: String,
    /// As written; whether its commune was formed from it is checked with
    /// the database ([`check_legacy`]).
    pub legacy_code: Option<String>,
    /// ISO, not after today.
    pub founded_on: Option<String>,
}

pub fn parse(draft: &VillageDraft, inv: &mut Invalid) -> VillageInput {
    use labels::*;
    let name = required_text(inv, "name", NAME, draft.name.as_deref(), NAME_MAX);
    let kind = parse_kind(inv, draft.kind.as_deref());
    let households = optional_count(
        inv,
        "households",
        HOUSEHOLDS,
        draft.households.as_ref(),
        1_000_000,
    );
    let population = optional_count(
        inv,
        "population",
        POPULATION,
        draft.population.as_ref(),
        10_000_000,
    );
    if let (Some(h), Some(p)) = (households, population)
        && p < h
    {
        inv.add(
            "population",
            format!("{POPULATION}: không thể ít hơn số hộ ({h})."),
        );
    }
    let founded_on = past_date(inv, "founded_on", FOUNDED, draft.founded_on.as_deref());
    VillageInput {
        name,
        kind,
        households,
        population,
        ethnic_groups: optional_text(inv, "ethnic_groups", ETHNIC, draft.ethnic_groups.as_deref(), 500),
        border_area: flag(inv, "border_area", BORDER, draft.border_area.as_ref(), false),
        religious_area: flag(
            inv,
            "religious_area",
            RELIGIOUS,
            draft.religious_area.as_ref(),
            false,
        ),
        key_area: flag(inv, "key_area", KEY_AREA, draft.key_area.as_ref(), false),
        note: optional_text(inv, "note", NOTE, draft.note.as_deref(), 1000),
        legacy_code: draft
            .legacy_code
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
        founded_on,
    }
}

/// An optional date not after today, as ISO.
fn past_date(inv: &mut Invalid, field: &str, label: &str, raw: Option<&str>) -> Option<String> {
    let d = date_value(inv, field, label, raw, false)?;
    if d > today() {
        inv.add(field, format!("{label}: không được sau ngày hôm nay."));
        return None;
    }
    Some(d.to_string())
}

/// Refuses a pre-2025 commune its commune was not formed from (the 2025
/// crosswalk), naming the field; none is fine.
pub async fn check_legacy(
    conn: &mut sqlx::AnyConnection,
    commune: &Unit,
    input: &VillageInput,
) -> Result<()> {
    let Some(code) = input.legacy_code.as_deref() else {
        return Ok(());
    };
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM crosswalk_2025 x JOIN units u ON u.era = 'legacy' AND u.code = x.old_code \
         WHERE x.new_code = $1 AND x.old_code = $2 AND u.level = 'commune'",
    )
    .bind(&commune.code)
    .bind(code)
    .fetch_optional(&mut *conn)
    .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(AppError::field(
            "legacy_code",
            format!(
                "{}: mã \"{}\" không phải xã đã hợp thành {}.",
                labels::LEGACY,
                shorten(code),
                commune.name
            ),
        )),
    }
}

fn parse_kind(inv: &mut Invalid, raw: Option<&str>) -> String {
    let raw = raw.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        inv.add("kind", format!("{}: không được để trống.", labels::KIND));
        return String::new();
    }
    let key = fold(raw);
    match KINDS.iter().find(|k| fold(k) == key) {
        Some(k) => (*k).to_string(),
        None => {
            inv.add(
                "kind",
                format!(
                    "{}: \"{}\" không hợp lệ (ví dụ: {}).",
                    labels::KIND,
                    shorten(raw),
                    KINDS[..6].join(", ")
                ),
            );
            String::new()
        }
    }
}

/// The commune a village is created under: must exist, be a commune of
/// today's map, and lie in the actor's scope.
pub async fn commune_for_write(db: &Db, actor: &Actor, code: &str) -> Result<Unit> {
    policy::require_role(actor, Action::EditGeography)?;
    let unit = find_current(db, code).await?.ok_or_else(|| {
        AppError::field(
            "commune_code",
            format!(
                "{}: không có đơn vị hành chính mã \"{}\".",
                labels::COMMUNE,
                shorten(code.trim())
            ),
        )
    })?;
    if unit.level != "commune" {
        return Err(AppError::field(
            "commune_code",
            format!(
                "{}: thôn, tổ dân phố chỉ được tạo dưới một xã, phường hoặc đặc khu ({} là {}).",
                labels::COMMUNE,
                unit.name,
                unit.level_label().to_lowercase()
            ),
        ));
    }
    policy::authorize(actor, Action::EditGeography, &unit.path)?;
    Ok(unit)
}

pub async fn create(db: &Db, actor: &Actor, commune_code: &str, draft: &VillageDraft) -> Result<Village> {
    let commune = commune_for_write(db, actor, commune_code).await?;
    let mut inv = Invalid::default();
    let input = parse(draft, &mut inv);
    inv.finish()?;
    let mut tx = db.begin().await?;
    check_legacy(&mut tx, &commune, &input).await?;
    let village = insert(&mut tx, actor, &commune, &input, "village.create").await?;
    tx.commit().await?;
    Ok(village)
}

/// Inserts one parsed village and its audit row inside the caller's transaction.
pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    commune: &Unit,
    input: &VillageInput,
    action: &'static str,
) -> Result<Village> {
    ensure_name_free(tx, commune, &input.name, None).await?;
    let ts = now();
    let province = commune.parent_code.clone().unwrap_or_default();
    let result = sqlx::query(&format!(
        "INSERT INTO villages (commune_code, province_code, scope_path, name, name_key, search_key, kind, \
         households, population, ethnic_groups, border_area, religious_area, key_area, note, legacy_code, \
         founded_on, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17) RETURNING {COLUMNS}"
    ))
    .bind(&commune.code)
    .bind(&province)
    .bind(&commune.path)
    .bind(&input.name)
    .bind(name_key(&input.name))
    .bind(fold(&input.name))
    .bind(&input.kind)
    .bind(input.households)
    .bind(input.population)
    .bind(&input.ethnic_groups)
    .bind(i64::from(input.border_area))
    .bind(i64::from(input.religious_area))
    .bind(i64::from(input.key_area))
    .bind(&input.note)
    .bind(&input.legacy_code)
    .bind(&input.founded_on)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await;
    let village = Village::from_row(&result.map_err(|e| duplicate_or(e, commune, &input.name))?)?;
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "village",
            target_id: village.id.to_string(),
            target_label: format!("{} ({})", village.name, commune.name),
            scope_path: commune.path.clone(),
            before: None,
            after: Some(village.snapshot()),
        },
    )
    .await?;
    Ok(village)
}

fn duplicate_message(commune: &Unit, name: &str) -> AppError {
    AppError::conflict(
        "name",
        format!(
            "{}: \"{}\" đã có trong {}.",
            labels::NAME,
            shorten(name),
            commune.name
        ),
    )
}

fn duplicate_or(e: sqlx::Error, commune: &Unit, name: &str) -> AppError {
    if is_unique_violation(&e) {
        duplicate_message(commune, name)
    } else {
        e.into()
    }
}

async fn ensure_name_free(tx: &mut Tx, commune: &Unit, name: &str, except: Option<i64>) -> Result<()> {
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM villages WHERE commune_code = $1 AND name_key = $2 AND active = 1 AND id <> $3",
    )
    .bind(&commune.code)
    .bind(name_key(name))
    .bind(except.unwrap_or(-1))
    .fetch_optional(&mut **tx)
    .await?;
    match clash {
        Some(_) => Err(duplicate_message(commune, name)),
        None => Ok(()),
    }
}

/// One village the actor may see; outside scope it does not exist for them.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Village> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM villages WHERE id = $1 AND scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    match row {
        Some(r) => Ok(Village::from_row(&r)?),
        None => Err(AppError::not_found()),
    }
}

async fn get_for_write(db: &Db, tx: &mut Tx, actor: &Actor, id: i64) -> Result<Village> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM villages WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    let village = Village::from_row(&row.ok_or_else(AppError::not_found)?)?;
    policy::authorize(actor, Action::EditGeography, &village.scope_path)?;
    Ok(village)
}

/// Changes the fields the draft sets; the others keep their values.
pub async fn update(db: &Db, actor: &Actor, id: i64, draft: VillageDraft) -> Result<Village> {
    let mut tx = db.begin().await?;
    let before = get_for_write(db, &mut tx, actor, id).await?;
    if !before.active {
        return Err(AppError::conflict(
            "active",
            "Thôn, tổ dân phố này đã ngừng hoạt động; không sửa được.",
        ));
    }
    let mut inv = Invalid::default();
    let input = parse(&draft.over(before.as_draft()), &mut inv);
    inv.finish()?;
    // Read on the transaction's own connection: asking the pool for a second
    // one here could wait forever once concurrent updates hold them all.
    let row = sqlx::query(&format!(
        "SELECT {} FROM units u WHERE u.era = 'current' AND u.code = $1",
        super::UNIT_COLUMNS
    ))
    .bind(&before.commune_code)
    .fetch_optional(&mut *tx)
    .await?;
    let commune = Unit::from_row(&row.ok_or_else(AppError::not_found)?)?;
    check_legacy(&mut tx, &commune, &input).await?;
    ensure_name_free(&mut tx, &commune, &input.name, Some(id)).await?;
    let row = sqlx::query(&format!(
        "UPDATE villages SET name = $1, name_key = $2, search_key = $3, kind = $4, households = $5, \
         population = $6, ethnic_groups = $7, border_area = $8, religious_area = $9, key_area = $10, \
         note = $11, legacy_code = $12, founded_on = $13, updated_at = $14 WHERE id = $15 RETURNING {COLUMNS}"
    ))
    .bind(&input.name)
    .bind(name_key(&input.name))
    .bind(fold(&input.name))
    .bind(&input.kind)
    .bind(input.households)
    .bind(input.population)
    .bind(&input.ethnic_groups)
    .bind(i64::from(input.border_area))
    .bind(i64::from(input.religious_area))
    .bind(i64::from(input.key_area))
    .bind(&input.note)
    .bind(&input.legacy_code)
    .bind(&input.founded_on)
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| duplicate_or(e, &commune, &input.name))?;
    let after = Village::from_row(&row)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "village.update",
            target_kind: "village",
            target_id: id.to_string(),
            target_label: format!("{} ({})", after.name, commune.name),
            scope_path: after.scope_path.clone(),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Marks a village inactive from `closed_on` (`19/08/2025` or ISO; none
/// or empty: today), the day it was dissolved or merged: it counts no
/// more from the year after. Its records stay and its name becomes free.
pub async fn deactivate(db: &Db, actor: &Actor, id: i64, closed_on: Option<&str>) -> Result<Village> {
    let mut inv = Invalid::default();
    let closed = past_date(&mut inv, "closed_on", labels::CLOSED, closed_on);
    inv.finish()?;
    let closed = closed.unwrap_or_else(|| today().to_string());
    let mut tx = db.begin().await?;
    let before = get_for_write(db, &mut tx, actor, id).await?;
    if !before.active {
        return Err(AppError::conflict(
            "active",
            "Thôn, tổ dân phố này đã ngừng hoạt động từ trước.",
        ));
    }
    if let Some(founded) = before.founded_on.as_deref().filter(|f| *f > closed.as_str()) {
        return Err(AppError::field(
            "closed_on",
            format!(
                "{}: không được trước ngày thành lập ({}).",
                labels::CLOSED,
                crate::text::format_date(founded)
            ),
        ));
    }
    let row = sqlx::query(&format!(
        "UPDATE villages SET active = 0, closed_on = $1, updated_at = $2 WHERE id = $3 RETURNING {COLUMNS}"
    ))
    .bind(&closed)
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let after = Village::from_row(&row)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "village.deactivate",
            target_kind: "village",
            target_id: id.to_string(),
            target_label: after.name.clone(),
            scope_path: after.scope_path.clone(),
            before: Some(before.snapshot()),
            after: Some(after.snapshot()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Villages of a unit's subtree inside the actor's scope.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit, include_inactive: bool) -> Result<Vec<Village>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM villages WHERE scope_path LIKE $1 AND ($2 = 1 OR active = 1) \
         ORDER BY commune_code, active DESC, name_key"
    ))
    .bind(scope.like())
    .bind(i64::from(include_inactive))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Village::from_row(r).map_err(Into::into))
        .collect()
}

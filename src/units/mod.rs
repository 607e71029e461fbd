//! Geography: the official units of both maps (read-only reference data),
//! the 2025 crosswalk, and the villages and organisations communes create.

pub mod api;
pub mod directory;
pub mod import;
pub mod organisations;
pub mod pages;
pub mod search;
pub mod villages;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::auth::{Action, Actor, Scope, policy};
use crate::db::Db;
use crate::error::{AppError, Result};

#[derive(Clone, Debug, Serialize)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub level: String,
    #[serde(rename = "type")]
    pub unit_type: String,
    pub parent_code: Option<String>,
    pub era: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub area_km2: Option<f64>,
    #[serde(skip)]
    pub path: String,
}

pub const UNIT_COLUMNS: &str = "u.code, u.name, u.level, u.unit_type, u.parent_code, u.era, \
     u.valid_from, u.valid_to, u.lat, u.lon, u.area_km2, u.path";

impl Unit {
    pub fn from_row(r: &AnyRow) -> Result<Unit, sqlx::Error> {
        Ok(Unit {
            code: r.try_get("code")?,
            name: r.try_get("name")?,
            level: r.try_get("level")?,
            unit_type: r.try_get("unit_type")?,
            parent_code: r.try_get("parent_code")?,
            era: r.try_get("era")?,
            valid_from: r.try_get("valid_from")?,
            valid_to: r.try_get("valid_to")?,
            lat: r.try_get("lat")?,
            lon: r.try_get("lon")?,
            area_km2: r.try_get("area_km2")?,
            path: r.try_get("path")?,
        })
    }

    /// The name without its type word: "Xã Khổng Lào" → "Khổng Lào".
    pub fn short_name(&self) -> &str {
        self.name
            .strip_prefix(self.unit_type.as_str())
            .map(str::trim_start)
            .filter(|s| !s.is_empty())
            .unwrap_or(&self.name)
    }

    pub fn level_label(&self) -> &'static str {
        level_label(&self.level)
    }
}

pub fn level_label(level: &str) -> &'static str {
    match level {
        "nation" => "Quốc gia",
        "province" => "Cấp tỉnh",
        "district" => "Cấp huyện (trước 01/07/2025)",
        "commune" => "Cấp xã",
        _ => "",
    }
}

pub fn parse_level(raw: &str) -> Result<&'static str> {
    match raw.trim() {
        "nation" => Ok("nation"),
        "province" => Ok("province"),
        "district" => Ok("district"),
        "commune" => Ok("commune"),
        other => Err(AppError::field(
            "level",
            format!("Cấp đơn vị: \"{other}\" không hợp lệ (nation, province, district, commune)."),
        )),
    }
}

/// A unit of today's map by code.
pub async fn find_current(db: &Db, code: &str) -> Result<Option<Unit>> {
    find(db, "current", code).await
}

pub async fn find(db: &Db, era: &str, code: &str) -> Result<Option<Unit>> {
    // Codes are digits (or "VN"); anything with a control character is no
    // code, and a NUL would make PostgreSQL refuse the statement.
    if code.chars().any(char::is_control) {
        return Ok(None);
    }
    Ok(directory::directory(db).await?.get(era, code.trim()).cloned())
}

/// Today's 34 provinces, by name: public reference data (the tip form's picker).
pub async fn provinces(db: &Db) -> Result<Vec<Unit>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM units u WHERE u.era = 'current' AND u.level = 'province' ORDER BY u.name"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Unit::from_row(r).map_err(Into::into))
        .collect()
}

/// Today's communes of a province, by name.
pub async fn communes_of(db: &Db, province: &str) -> Result<Vec<Unit>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM units u WHERE u.era = 'current' AND u.level = 'commune' AND u.parent_code = $1 \
         ORDER BY u.name"
    ))
    .bind(province)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Unit::from_row(r).map_err(Into::into))
        .collect()
}

/// A current unit the actor may open, or 404 naming the code.
pub async fn open_for(db: &Db, actor: &Actor, code: &str) -> Result<Unit> {
    policy::require_role(actor, Action::ViewGeography)?;
    let unit = find_current(db, code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Không có đơn vị hành chính mã \"{}\".", code.trim())))?;
    if !policy::can_open_unit(actor, &unit.path) {
        return Err(AppError::not_found());
    }
    Ok(unit)
}

/// A unit of the pre-2025 map the actor may open (see
/// [`policy::can_open_legacy_unit`]), or 404 naming the code.
pub async fn open_legacy_for(db: &Db, actor: &Actor, code: &str) -> Result<Unit> {
    policy::require_role(actor, Action::ViewGeography)?;
    let unit = find(db, "legacy", code).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "Không có đơn vị hành chính mã \"{}\" trên bản đồ trước 01/07/2025.",
            code.trim()
        ))
    })?;
    let successors = successor_paths(db, &unit).await?;
    if !policy::can_open_legacy_unit(actor, &successors) {
        return Err(AppError::not_found());
    }
    Ok(unit)
}

/// Paths of today's units an old unit became (through the 2025 crosswalks):
/// an old province's, district's (its communes') or commune's successors,
/// from the directory (the access check of every read on the old map).
pub async fn successor_paths(db: &Db, old: &Unit) -> Result<Vec<String>> {
    if old.level == "nation" {
        return Ok(vec![format!("/{}/", crate::db::reference::NATION_CODE)]);
    }
    Ok(directory::directory(db).await?.successor_paths(old))
}

/// The units directly under a unit, on its own map, by code.
pub async fn children_on_map(db: &Db, unit: &Unit) -> Result<Vec<Unit>> {
    Ok(directory::directory(db)
        .await?
        .children(&unit.era, &unit.code)
        .cloned()
        .collect())
}

/// The child units on today's map the actor may open (as [`children`]
/// marks them), without the figures [`children`] counts: the dashboard's
/// breakdown reads its own from the roll-up.
pub async fn children_to_open(db: &Db, actor: &Actor, unit: &Unit) -> Result<Vec<Unit>> {
    policy::require_role(actor, Action::ViewGeography)?;
    let mut out = children_on_map(db, unit).await?;
    out.retain(|c| policy::can_open_unit(actor, &c.path));
    Ok(out)
}

/// Ancestors from the nation down to (not including) the unit, for breadcrumbs.
pub async fn ancestors(db: &Db, unit: &Unit) -> Result<Vec<Unit>> {
    let codes: Vec<&str> = unit.path.trim_matches('/').split('/').collect();
    let mut out = Vec::new();
    for code in &codes[..codes.len().saturating_sub(1)] {
        if let Some(u) = find(db, &unit.era, code).await? {
            out.push(u);
        }
    }
    Ok(out)
}

/// A child unit with figures counted inside the actor's scope; `None` when
/// the child lies outside it (its figures are not the actor's to see).
#[derive(Debug, Serialize)]
pub struct ChildSummary {
    #[serde(flatten)]
    pub unit: Unit,
    pub communes: Option<i64>,
    pub villages: Option<i64>,
    pub organisations: Option<i64>,
    #[serde(skip)]
    pub can_open: bool,
}

#[derive(Debug, Serialize)]
pub struct Counts {
    pub communes: i64,
    pub villages: i64,
    pub organisations: i64,
}

/// Figures for a unit's subtree, limited to the actor's scope.
pub async fn counts(db: &Db, scope: &Scope, unit: &Unit) -> Result<Counts> {
    let scope = scope.narrow(&unit.path)?;
    let communes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM units WHERE era = 'current' AND level = 'commune' AND path LIKE $1",
    )
    .bind(scope.like())
    .fetch_one(&db.pool)
    .await?;
    let villages: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM villages WHERE active = 1 AND scope_path LIKE $1")
            .bind(scope.like())
            .fetch_one(&db.pool)
            .await?;
    let organisations: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM organisations WHERE active = 1 AND scope_path LIKE $1")
            .bind(scope.like())
            .fetch_one(&db.pool)
            .await?;
    Ok(Counts {
        communes,
        villages,
        organisations,
    })
}

/// The children of a nation or province with their counts, one query per
/// figure grouped by child (not one per child).
pub async fn children(db: &Db, actor: &Actor, unit: &Unit) -> Result<Vec<ChildSummary>> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let units = children_on_map(db, unit).await?;
    // Figures are grouped by the child's code: a province's villages and
    // organisations under the nation, a commune's under a province.
    let (village_col, org_col) = if unit.level == "nation" {
        ("province_code", "province_code")
    } else {
        ("commune_code", "unit_code")
    };
    let visible = scope.narrow(&unit.path)?;
    let village_counts = grouped(db, village_col, "villages", &visible).await?;
    let org_counts = grouped(db, org_col, "organisations", &visible).await?;
    let commune_counts: std::collections::HashMap<String, i64> = if unit.level == "nation" {
        sqlx::query(
            "SELECT parent_code, COUNT(*) AS n FROM units WHERE era = 'current' AND level = 'commune' \
             GROUP BY parent_code",
        )
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|r| Ok((r.try_get("parent_code")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()?
    } else {
        Default::default()
    };
    let mut out = Vec::with_capacity(units.len());
    for child in units {
        let inside = scope.contains(&child.path);
        let on_way = policy::can_open_unit(actor, &child.path);
        let show = inside || on_way;
        let n = |m: &std::collections::HashMap<String, i64>| {
            show.then(|| m.get(&child.code).copied().unwrap_or(0))
        };
        out.push(ChildSummary {
            communes: if unit.level == "nation" {
                Some(commune_counts.get(&child.code).copied().unwrap_or(0))
            } else {
                None
            },
            villages: n(&village_counts),
            organisations: n(&org_counts),
            can_open: on_way,
            unit: child,
        });
    }
    Ok(out)
}

async fn grouped(
    db: &Db,
    column: &str,
    table: &str,
    scope: &Scope,
) -> Result<std::collections::HashMap<String, i64>> {
    let rows = sqlx::query(&format!(
        "SELECT {column} AS k, COUNT(*) AS n FROM {table} WHERE active = 1 AND scope_path LIKE $1 GROUP BY {column}"
    ))
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("k")?, r.try_get("n")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

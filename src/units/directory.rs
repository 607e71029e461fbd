//! The administrative units held in memory: every dashboard, page and API
//! call looks units up by code and lists a unit's children, and the units
//! are reference data written only when the database is prepared
//! (db/reference.rs). Reading them once instead of per request took the
//! child list of the nation's dashboard from about a millisecond of SQL
//! to a map lookup.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::Row;

use super::{UNIT_COLUMNS, Unit};
use crate::db::Db;
use crate::error::Result;

#[derive(Default)]
pub struct Directory {
    /// (era, code) → unit.
    units: HashMap<(String, String), Arc<Unit>>,
    /// (era, parent code) → children, by code.
    children: HashMap<(String, String), Vec<Arc<Unit>>>,
    /// Current code → the pre-2025 units it was formed from (the 2025
    /// crosswalks, reference data too): for a commune, the old communes
    /// whose default successor it is first, then by code (the order of
    /// places::formed_from's query).
    formed: HashMap<String, Vec<Arc<Unit>>>,
    /// Current code → the legacy path of its home (table legacy_home).
    homes: HashMap<String, String>,
    /// Pre-2025 code (a province or a commune) → the paths of the current
    /// units it went to, through the same crosswalks.
    successors: HashMap<String, Vec<String>>,
}

impl Directory {
    pub fn get(&self, era: &str, code: &str) -> Option<&Unit> {
        self.units
            .get(&(era.to_string(), code.to_string()))
            .map(|u| u.as_ref())
    }

    pub fn children(&self, era: &str, parent: &str) -> impl Iterator<Item = &Unit> {
        self.children
            .get(&(era.to_string(), parent.to_string()))
            .into_iter()
            .flatten()
            .map(|u| u.as_ref())
    }

    /// The pre-2025 units a current unit was formed from (none for a ward
    /// or a level the crosswalks do not cover).
    pub fn formed_from(&self, code: &str) -> impl Iterator<Item = &Unit> {
        self.formed.get(code).into_iter().flatten().map(|u| u.as_ref())
    }

    /// The paths of today's units an old province, district (through its
    /// communes) or commune went to, sorted, each once.
    pub fn successor_paths(&self, old: &Unit) -> Vec<String> {
        let olds: Vec<&str> = if old.level == "district" {
            self.children("legacy", &old.code)
                .map(|c| c.code.as_str())
                .collect()
        } else {
            vec![old.code.as_str()]
        };
        let mut out: Vec<String> = olds
            .iter()
            .filter_map(|o| self.successors.get(*o))
            .flatten()
            .cloned()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The legacy path of a current unit's home (migration 0007).
    pub fn legacy_home(&self, code: &str) -> Option<&str> {
        self.homes.get(code).map(String::as_str)
    }
}

/// The directory, read from the database on first use (and again after
/// [`forget`], which `Db::prepare` calls once the reference units are in).
pub async fn directory(db: &Db) -> Result<Arc<Directory>> {
    if let Some(d) = db.units.read().await.as_ref() {
        return Ok(d.clone());
    }
    let mut slot = db.units.write().await;
    if let Some(d) = slot.as_ref() {
        return Ok(d.clone());
    }
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM units u ORDER BY u.era, u.code"
    ))
    .fetch_all(&db.pool)
    .await?;
    let mut d = Directory::default();
    for r in &rows {
        let unit = Arc::new(Unit::from_row(r)?);
        if let Some(parent) = &unit.parent_code {
            d.children
                .entry((unit.era.clone(), parent.clone()))
                .or_default()
                .push(unit.clone());
        }
        d.units.insert((unit.era.clone(), unit.code.clone()), unit);
    }
    let crosswalks = sqlx::query(
        "SELECT new_code, old_code FROM (\
           SELECT x.new_code, x.old_code, x.is_default FROM crosswalk_2025 x \
           UNION ALL SELECT p.new_code, p.old_code, 0 FROM province_crosswalk_2025 p) c \
         ORDER BY new_code, is_default DESC, old_code",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in &crosswalks {
        let old: String = r.try_get("old_code")?;
        let new: String = r.try_get("new_code")?;
        if let Some(now) = d.units.get(&("current".to_string(), new.clone())) {
            d.successors
                .entry(old.clone())
                .or_default()
                .push(now.path.clone());
        }
        if let Some(unit) = d.units.get(&("legacy".to_string(), old)) {
            let unit = unit.clone();
            d.formed.entry(new).or_default().push(unit);
        }
    }
    for r in &sqlx::query("SELECT code, legacy_path FROM legacy_home")
        .fetch_all(&db.pool)
        .await?
    {
        d.homes.insert(r.try_get("code")?, r.try_get("legacy_path")?);
    }
    let d = Arc::new(d);
    // An empty table is not yet prepared: read it again next time.
    if !rows.is_empty() {
        *slot = Some(d.clone());
    }
    Ok(d)
}

/// Drops the directory so the next use reads the units again.
pub async fn forget(db: &Db) {
    *db.units.write().await = None;
}

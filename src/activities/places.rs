//! Where a record is: today's unit it is written at (checked against the
//! actor's scope), its village, and the pre-2025 unit it happened in when it
//! is dated before the reform (the 2025 crosswalk).

use std::collections::HashMap;

use serde_json::Value;
use sqlx::Row;

use super::REFORM_DAY;
use crate::auth::{Action, Actor, policy};
use crate::db::Tx;
use crate::error::{AppError, Invalid, Result};
use crate::input::{shorten, value_text};
use crate::units::{UNIT_COLUMNS, Unit};

/// A current unit read on the transaction's connection (`None` when there
/// is no such code), for callers that name the field in their refusal.
pub(crate) async fn current_unit(tx: &mut Tx, code: &str) -> Result<Option<Unit>> {
    if code.chars().any(char::is_control) {
        return Ok(None);
    }
    // The directory once it is loaded (units do not change after prepare).
    if let Some(dir) = tx.units.read().await.as_ref() {
        return Ok(dir.get("current", code.trim()).cloned());
    }
    let row = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM units u WHERE u.era = 'current' AND u.code = $1"
    ))
    .bind(code.trim())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.map(|r| Unit::from_row(&r)).transpose()?)
}

/// A pre-2025 unit a campaign names as covered (migration 0016), with the
/// unit of today it lies in: the deepest unit of today holding every
/// commune its old communes went to — for an old commune merged whole into
/// one commune, that commune; for one divided, or an old district, their
/// province. `None` when the code names no old unit below the nation.
pub(crate) async fn old_covered(tx: &mut Tx, code: &str) -> Result<Option<(Unit, Unit)>> {
    let code = code.trim();
    if code.chars().any(char::is_control) {
        return Ok(None);
    }
    let Some(old) = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM units u WHERE u.era = 'legacy' AND u.code = $1 AND u.level <> 'nation'"
    ))
    .bind(code)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Unit::from_row(&r))
    .transpose()?
    else {
        return Ok(None);
    };
    let paths: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT n.path FROM units c JOIN crosswalk_2025 x ON x.old_code = c.code \
         JOIN units n ON n.era = 'current' AND n.code = x.new_code \
         WHERE c.era = 'legacy' AND c.level = 'commune' AND c.path LIKE $1",
    )
    .bind(format!("{}%", old.path))
    .fetch_all(&mut **tx)
    .await?;
    let Some(first) = paths.first() else {
        return Ok(None);
    };
    let place = paths[1..]
        .iter()
        .fold(first.clone(), |a, p| crate::db::reference::common_ancestor(&a, p));
    let today = match place.trim_end_matches('/').rsplit('/').next() {
        Some(code) if code != "VN" => current_unit(tx, code).await?,
        _ => None,
    };
    Ok(today.map(|t| (old, t)))
}

/// The unit a record is written at, checked against the actor's scope.
pub(crate) async fn unit_for_write(tx: &mut Tx, actor: &Actor, action: Action, code: &str) -> Result<Unit> {
    policy::require_role(actor, action)?;
    let unit = current_unit(tx, code).await?.ok_or_else(|| {
        AppError::NotFound(format!(
            "Không có đơn vị hành chính mã \"{}\".",
            shorten(code.trim())
        ))
    })?;
    policy::authorize(actor, action, &unit.path)?;
    Ok(unit)
}

/// The province code of a unit path ('/VN/12/03583/' → "12"); the nation's own.
pub(crate) fn province_of(unit: &Unit) -> String {
    unit.path
        .trim_matches('/')
        .split('/')
        .nth(1)
        .unwrap_or(&unit.code)
        .to_string()
}

/// An active village of the commune, by id (as a number or text).
pub(crate) async fn village_of(
    tx: &mut Tx,
    inv: &mut Invalid,
    unit: &Unit,
    raw: Option<&Value>,
) -> Result<Option<(i64, String)>> {
    Villages::default().resolve(tx, inv, unit, raw).await
}

/// Villages read by id and kept, so that the rows of an import look each
/// village up once — a thousand at a time, see [`Villages::load`] — instead
/// of once a row.
#[derive(Default)]
pub(crate) struct Villages {
    /// id → the active village, or `None` when there is no active one.
    known: HashMap<i64, Option<VillageRow>>,
}

pub(crate) struct VillageRow {
    pub commune_code: String,
    pub name: String,
    pub legacy_path: Option<String>,
}

impl Villages {
    /// Reads the active villages among `ids` not read before.
    pub async fn load(&mut self, tx: &mut Tx, ids: impl IntoIterator<Item = i64>) -> Result<()> {
        let mut missing: Vec<i64> = ids
            .into_iter()
            .filter(|id| !self.known.contains_key(id))
            .collect();
        missing.sort_unstable();
        missing.dedup();
        for chunk in missing.chunks(1_000) {
            // Integers parsed by Rust: written into the statement, not bound,
            // which keeps it to one parameter-free statement a thousand ids.
            let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            let rows = sqlx::query(&format!(
                "SELECT id, commune_code, name, legacy_path FROM villages WHERE active = 1 AND id IN ({list})"
            ))
            .fetch_all(&mut **tx)
            .await?;
            for id in chunk {
                self.known.insert(*id, None);
            }
            for r in &rows {
                self.known.insert(
                    r.try_get("id")?,
                    Some(VillageRow {
                        commune_code: r.try_get("commune_code")?,
                        name: r.try_get("name")?,
                        legacy_path: r.try_get("legacy_path")?,
                    }),
                );
            }
        }
        Ok(())
    }

    pub fn get(&self, id: i64) -> Option<&VillageRow> {
        self.known.get(&id).and_then(Option::as_ref)
    }

    /// The active village `raw` names in the commune (read now if it was
    /// not read before), or the refusal added to `inv`.
    pub async fn resolve(
        &mut self,
        tx: &mut Tx,
        inv: &mut Invalid,
        unit: &Unit,
        raw: Option<&Value>,
    ) -> Result<Option<(i64, String)>> {
        let Some(text) = raw.filter(|v| !v.is_null()).and_then(value_text) else {
            return Ok(None);
        };
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let Ok(id) = text.parse::<i64>() else {
            inv.add(
                "village_id",
                format!("Thôn, tổ dân phố: \"{}\" không hợp lệ.", shorten(text)),
            );
            return Ok(None);
        };
        self.load(tx, [id]).await?;
        match self.get(id).filter(|v| v.commune_code == unit.code) {
            Some(v) => Ok(Some((id, v.name.clone()))),
            None => {
                inv.add(
                    "village_id",
                    format!(
                        "Thôn, tổ dân phố: không có thôn mã {id} đang hoạt động thuộc {}.",
                        unit.name
                    ),
                );
                Ok(None)
            }
        }
    }
}

/// A unit of the pre-2025 map.
#[derive(Clone, Debug)]
pub(crate) struct OldUnit {
    pub code: String,
    pub name: String,
    pub path: String,
}

/// The pre-2025 units today's unit was formed from: the communes of the
/// crosswalk (the default successor's first), or the provinces of the
/// province crosswalk.
pub(crate) async fn formed_from(tx: &mut Tx, unit: &Unit) -> Result<Vec<OldUnit>> {
    if unit.level != "commune" && unit.level != "province" {
        return Ok(Vec::new());
    }
    // The directory once it is loaded (the crosswalks are reference data).
    if let Some(dir) = tx.units.read().await.as_ref() {
        return Ok(dir
            .formed_from(&unit.code)
            .map(|u| OldUnit {
                code: u.code.clone(),
                name: u.name.clone(),
                path: u.path.clone(),
            })
            .collect());
    }
    let sql = match unit.level.as_str() {
        "commune" => {
            "SELECT u.code, u.name, u.path FROM crosswalk_2025 x JOIN units u ON u.era = 'legacy' AND u.code = x.old_code \
             WHERE x.new_code = $1 ORDER BY x.is_default DESC, u.code"
        }
        "province" => {
            "SELECT u.code, u.name, u.path FROM province_crosswalk_2025 x \
             JOIN units u ON u.era = 'legacy' AND u.code = x.old_code WHERE x.new_code = $1 ORDER BY u.code"
        }
        _ => return Ok(Vec::new()),
    };
    let rows = sqlx::query(sql).bind(&unit.code).fetch_all(&mut **tx).await?;
    rows.iter()
        .map(|r| {
            Ok(OldUnit {
                code: r.try_get("code")?,
                name: r.try_get("name")?,
                path: r.try_get("path")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// The old unit that is plainly today's: the only one it was formed from.
/// (A unit formed from several — even one that kept a code — could be any
/// of them, so then the caller must be told which.)
pub(crate) fn plain_predecessor(old: &[OldUnit]) -> Option<OldUnit> {
    match old {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// The pre-2025 unit a record dated before the reform happened in: the one
/// named (it must be one the current unit was formed from), or else the
/// only predecessor; `None` after the reform or when it cannot be told.
pub(crate) async fn legacy_origin(
    tx: &mut Tx,
    inv: &mut Invalid,
    unit: &Unit,
    raw: Option<&str>,
    on: Option<&str>,
) -> Result<Option<(String, String)>> {
    let code = raw.map(str::trim).unwrap_or_default();
    let after = on.is_none_or(|d| d >= REFORM_DAY);
    if after {
        if !code.is_empty() && on.is_some() {
            inv.add(
                "legacy_code",
                "Đơn vị trước sắp xếp: chỉ ghi cho sự kiện trước ngày 01/07/2025.",
            );
        }
        return Ok(None);
    }
    if unit.level != "commune" && unit.level != "province" {
        if !code.is_empty() {
            inv.add("legacy_code", "Đơn vị trước sắp xếp: chỉ ghi cho xã hoặc tỉnh.");
        }
        return Ok(None);
    }
    // From the directory when it is loaded, without copying every old
    // unit for each row of an import (12 % of checking one, perf).
    let from_directory = tx.units.read().await.as_ref().map(|dir| {
        let mut old = dir.formed_from(&unit.code);
        let found = if code.is_empty() {
            match (old.next(), old.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        } else {
            old.find(|o| o.code == code)
        };
        found.map(|o| (o.code.clone(), o.name.clone()))
    });
    let found = match from_directory {
        Some(found) => found,
        None => {
            let old = formed_from(tx, unit).await?;
            if code.is_empty() {
                plain_predecessor(&old).map(|o| (o.code, o.name))
            } else {
                old.into_iter().find(|o| o.code == code).map(|o| (o.code, o.name))
            }
        }
    };
    match found {
        Some(found) => Ok(Some(found)),
        None if code.is_empty() => Ok(None),
        None => {
            inv.add(
                "legacy_code",
                format!(
                    "Đơn vị trước sắp xếp: mã \"{}\" không phải đơn vị đã hợp thành {}.",
                    shorten(code),
                    unit.name
                ),
            );
            Ok(None)
        }
    }
}

//! Which unit, on which map: a period is counted by default on the map in
//! force at its end — the pre-2025 map (63 provinces, their districts,
//! 10.035 communes) for a period ending before 1 July 2025, today's map
//! otherwise — and on request (`map=current|legacy`) on the other.

use serde::Serialize;

use super::period::Period;
use crate::activities::REFORM_DAY;
use crate::auth::Actor;
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::units::{self, Unit};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Map {
    Current,
    Legacy,
}

impl Map {
    /// `map=current|legacy`, or the map in force at the period's end.
    pub fn parse(raw: Option<&str>, p: &Period) -> Result<Map> {
        match raw.map(str::trim).unwrap_or_default() {
            "" => Ok(if p.to.as_str() < REFORM_DAY {
                Map::Legacy
            } else {
                Map::Current
            }),
            "current" => Ok(Map::Current),
            "legacy" => Ok(Map::Legacy),
            _ => Err(AppError::field(
                "map",
                "Bản đồ: current (đơn vị hiện nay) hoặc legacy (đơn vị trước 01/07/2025).",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Map::Current => "current",
            Map::Legacy => "legacy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Map::Current => "đơn vị hành chính hiện nay (từ 01/07/2025)",
            Map::Legacy => "đơn vị hành chính trước 01/07/2025",
        }
    }
}

/// The unit counted and the map it is on; `note` says when the map asked
/// for could not be used (a unit of today with no namesake before 2025).
#[derive(Debug)]
pub struct Place {
    pub unit: Unit,
    pub map: Map,
    pub note: Option<String>,
}

/// Opens `code` on the map: on the pre-2025 map the old unit of that code
/// (it must lie wholly inside the actor's scope), on today's the unit of
/// today. A code of today that names no old unit, asked for on the old map
/// by default, falls back to today's map with a note naming what it was
/// formed from; asked for explicitly, it is a 404.
pub async fn open(db: &Db, actor: &Actor, code: &str, map: Map, explicit: bool) -> Result<Place> {
    match map {
        Map::Current => Ok(Place {
            unit: units::open_for(db, actor, code).await?,
            map,
            note: None,
        }),
        Map::Legacy => match units::open_legacy_for(db, actor, code).await {
            Ok(unit) => Ok(Place {
                unit,
                map,
                note: None,
            }),
            Err(AppError::NotFound(_)) if !explicit => {
                let unit = units::open_for(db, actor, code).await?;
                let note = format!(
                    "{} không có trên bản đồ trước 01/07/2025; số liệu tính theo đơn vị hiện nay.",
                    unit.name
                );
                Ok(Place {
                    unit,
                    map: Map::Current,
                    note: Some(note),
                })
            }
            Err(e) => Err(e),
        },
    }
}

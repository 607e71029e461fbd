//! What each counted record adds to the roll-up: one query per table reads
//! the facts the indicators need, and one function per table turns a row
//! into its contribution. These are the definitions of the indicators of
//! activities/figures.rs, tips/figures.rs, registry/registrations.rs,
//! assessment/figures.rs and registry/summary.rs, written a second time for
//! the roll-up; `tests/it/rollup.rs` holds the two to the same results.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::Result;

/// The tables whose changes the log (migration 0008) records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Table {
    Activities,
    FestivalDays,
    Awards,
    Tips,
    Villages,
    Registrations,
    Assessments,
    ModelPoints,
    Teams,
    Members,
}

pub const TABLES: [Table; 10] = [
    Table::Activities,
    Table::FestivalDays,
    Table::Awards,
    Table::Tips,
    Table::Villages,
    Table::Registrations,
    Table::Assessments,
    Table::ModelPoints,
    Table::Teams,
    Table::Members,
];

impl Table {
    pub fn name(self) -> &'static str {
        match self {
            Table::Activities => "activities",
            Table::FestivalDays => "festival_days",
            Table::Awards => "awards",
            Table::Tips => "tips",
            Table::Villages => "villages",
            Table::Registrations => "registrations",
            Table::Assessments => "assessments",
            Table::ModelPoints => "model_points",
            Table::Teams => "teams",
            Table::Members => "members",
        }
    }

    pub fn parse(name: &str) -> Option<Table> {
        TABLES.iter().copied().find(|t| t.name() == name)
    }

    pub fn index(self) -> usize {
        TABLES.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The facts of the table's rows; `{where}` is replaced by a condition
    /// on the row's id (alias-free for every table but members).
    pub fn select(self) -> &'static str {
        match self {
            Table::Activities => {
                "SELECT id, scope_path, legacy_path, kind, subtype, held_on, CAST(year AS BIGINT) AS year, \
                 CAST(attendance AS BIGINT) AS attendance, \
                 CAST(CASE WHEN cancelled_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS cancelled \
                 FROM activities WHERE {where}"
            }
            Table::FestivalDays => {
                "SELECT id, scope_path, legacy_path, held_on FROM festival_days WHERE {where}"
            }
            Table::Awards => {
                "SELECT id, scope_path, legacy_path, decided_on, recipient_kind, \
                 CAST(CASE WHEN cancelled_at IS NULL THEN 0 ELSE 1 END AS BIGINT) AS cancelled \
                 FROM awards WHERE {where}"
            }
            Table::Tips => {
                "SELECT id, scope_path, legacy_path, received_on, \
                 CAST(CASE WHEN closed_on IS NOT NULL AND closed_on <= deadline THEN 1 ELSE 0 END AS BIGINT) \
                 AS in_time FROM tips WHERE {where}"
            }
            Table::Villages => {
                "SELECT id, scope_path, legacy_path, CAST(active AS BIGINT) AS active FROM villages WHERE {where}"
            }
            Table::Registrations => {
                "SELECT id, scope_path, legacy_path, subject_kind, CAST(year AS BIGINT) AS year, \
                 CAST(households_registered AS BIGINT) AS households FROM registrations WHERE {where}"
            }
            // A village's recognition counts while the village is active
            // (assessment/figures.rs).
            Table::Assessments => {
                "SELECT id, scope_path, legacy_path, subject_kind, CAST(year AS BIGINT) AS year, \
                 CAST(CASE WHEN programme = 'an_toan' AND replaced = 0 AND status IN ('approved', 'recognised') \
                 AND result = 'dat' AND (subject_kind = 'commune' OR EXISTS (SELECT 1 FROM villages v \
                 WHERE subject_kind = 'village' AND v.id = CAST(assessments.subject_id AS BIGINT) AND v.active = 1)) \
                 THEN 1 ELSE 0 END AS BIGINT) AS recognised FROM assessments WHERE {where}"
            }
            Table::ModelPoints => {
                "SELECT id, scope_path, legacy_path, started_on, ended_on FROM model_points WHERE {where}"
            }
            Table::Teams => {
                "SELECT id, scope_path, legacy_path, established_on, dissolved_on FROM teams WHERE {where}"
            }
            // A member counts where and while their team does (summary.rs).
            Table::Members => {
                "SELECT m.id AS id, t.scope_path AS scope_path, t.legacy_path AS legacy_path, \
                 m.joined_on, m.left_on, t.established_on, t.dissolved_on \
                 FROM members m JOIN teams t ON t.id = m.team_id WHERE {where}"
            }
        }
    }

    /// The id column in [`Table::select`]'s condition.
    pub fn id_column(self) -> &'static str {
        match self {
            Table::Members => "m.id",
            _ => "id",
        }
    }
}

/// Where a contribution goes in a leaf's series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
    /// Counted in the month of a date (bucket: month number, see [`month`]).
    Monthly,
    /// Counted in one year (bucket: the year).
    Yearly,
    /// Counted in every year from `a` to `b` (open: `u16::MAX`).
    Years,
    /// Counted whatever the period (active villages: the registry has no
    /// founding dates).
    Always,
}

/// Indices of the monthly series.
pub mod m {
    pub const SESSIONS: u8 = 0;
    pub const ATTENDANCE: u8 = 1;
    pub const CONFERENCES: u8 = 2;
    pub const FESTIVAL_DAYS: u8 = 3;
    pub const MEDIATED: u8 = 4;
    pub const AWARDS_COLLECTIVE: u8 = 5;
    pub const AWARDS_PERSON: u8 = 6;
    pub const TIPS: u8 = 7;
    pub const TIPS_IN_TIME: u8 = 8;
    pub const COUNT: usize = 9;
    /// The indicator code of each.
    pub const CODES: [&str; COUNT] = [
        "so_buoi_tuyen_truyen",
        "so_luot_nguoi_tham_gia",
        "so_hoi_nghi",
        "so_ngay_hoi",
        "so_vu_hoa_giai_thanh",
        "so_tap_the_khen_thuong",
        "so_ca_nhan_khen_thuong",
        "so_tin_bao",
        "so_tin_bao_dung_han",
    ];
}

/// Indices of the yearly series.
pub mod y {
    /// Summed over the period's years (a drug-free decision counts for the
    /// year it recognises); the others are read at the period's last year.
    pub const DRUG_FREE: u8 = 0;
    pub const VILLAGES_REGISTERED: u8 = 1;
    pub const HOUSEHOLDS: u8 = 2;
    pub const ORGANISATIONS_REGISTERED: u8 = 3;
    pub const VILLAGES_RECOGNISED: u8 = 4;
    pub const COMMUNES_RECOGNISED: u8 = 5;
    pub const COUNT: usize = 6;
    pub const CODES: [&str; COUNT] = [
        "so_xa_khong_ma_tuy",
        "so_thon_dang_ky",
        "so_ho_dang_ky",
        "so_co_quan_dang_ky",
        "so_khu_dan_cu_an_toan",
        "so_xa_an_toan",
    ];
}

/// Indices of the series counted over a span of years.
pub mod r {
    pub const MODEL_POINTS: u8 = 0;
    pub const TEAMS: u8 = 1;
    pub const MEMBERS: u8 = 2;
    pub const COUNT: usize = 3;
    pub const CODES: [&str; COUNT] = ["so_diem_mo_hinh", "so_to_doi", "so_thanh_vien"];
}

pub const ALWAYS_CODE: &str = "so_thon";
pub const CAMPAIGNS_CODE: &str = "so_dot_tan_cong";
pub const COMMUNES_WITH_VILLAGES_CODE: &str = "so_xa_co_thon_dang_ky";

/// Up to two values added to one bucket (or span) of one series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Add {
    pub series: Series,
    pub a: u16,
    pub b: u16,
    pub first: (u8, i32),
    pub second: Option<(u8, i32)>,
}

/// A row's place and what it adds there; `None` when it counts nowhere.
pub struct Fact {
    pub scope: String,
    pub legacy: String,
    pub add: Option<Add>,
    /// A campaign counts for the unit that ran it and the units it covered;
    /// its month, when the row is one (not cancelled).
    pub campaign_month: Option<u16>,
}

/// `YYYY-MM…` → months since January 1900, the monthly buckets.
pub fn month(date: &str) -> Option<u16> {
    let y: i32 = date.get(0..4)?.parse().ok()?;
    let mo: i32 = date.get(5..7)?.parse().ok()?;
    if !(1900..=7000).contains(&y) || !(1..=12).contains(&mo) {
        return None;
    }
    u16::try_from((y - 1900) * 12 + mo - 1).ok()
}

fn year_of(date: &str) -> Option<u16> {
    date.get(0..4)?.parse().ok()
}

fn year(v: Option<i64>) -> Option<u16> {
    v.and_then(|y| u16::try_from(y).ok())
}

fn clamp(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn monthly(at: Option<u16>, first: (u8, i32), second: Option<(u8, i32)>) -> Option<Add> {
    at.map(|a| Add {
        series: Series::Monthly,
        a,
        b: a,
        first,
        second,
    })
}

fn yearly(at: Option<u16>, first: (u8, i32), second: Option<(u8, i32)>) -> Option<Add> {
    at.map(|a| Add {
        series: Series::Yearly,
        a,
        b: a,
        first,
        second,
    })
}

/// Counted in each year a thing existed on any day of: from the year of its
/// start to the year of its end (open when it has none).
fn years(from: Option<u16>, to: Option<Option<u16>>, index: u8) -> Option<Add> {
    let a = from?;
    let b = match to {
        None => u16::MAX,
        Some(end) => end?,
    };
    (b >= a).then_some(Add {
        series: Series::Years,
        a,
        b,
        first: (index, 1),
        second: None,
    })
}

fn opt_year(row: &AnyRow, column: &str) -> Result<Option<Option<u16>>> {
    let v: Option<String> = row.try_get(column)?;
    Ok(v.map(|d| year_of(&d)))
}

pub fn read(table: Table, row: &AnyRow) -> Result<(i64, Fact)> {
    let id: i64 = row.try_get("id")?;
    let scope: String = row.try_get("scope_path")?;
    let legacy: String = row
        .try_get::<Option<String>, _>("legacy_path")?
        .unwrap_or_default();
    let mut campaign_month = None;
    let add = match table {
        Table::Activities => {
            let kind: String = row.try_get("kind")?;
            let subtype: String = row.try_get("subtype")?;
            let held: String = row.try_get("held_on")?;
            let cancelled: i64 = row.try_get("cancelled")?;
            let at = month(&held);
            if cancelled != 0 {
                None
            } else {
                match kind.as_str() {
                    "session" => {
                        let people = row.try_get::<Option<i64>, _>("attendance")?.unwrap_or(0);
                        monthly(at, (m::SESSIONS, 1), Some((m::ATTENDANCE, clamp(people))))
                    }
                    "conference" => monthly(at, (m::CONFERENCES, 1), None),
                    "mediation" if subtype == "thanh" => monthly(at, (m::MEDIATED, 1), None),
                    "drug_free" => yearly(year(row.try_get("year")?), (y::DRUG_FREE, 1), None),
                    "campaign" => {
                        campaign_month = at;
                        None
                    }
                    _ => None,
                }
            }
        }
        Table::FestivalDays => {
            let held: String = row.try_get("held_on")?;
            monthly(month(&held), (m::FESTIVAL_DAYS, 1), None)
        }
        Table::Awards => {
            let decided: String = row.try_get("decided_on")?;
            let kind: String = row.try_get("recipient_kind")?;
            let cancelled: i64 = row.try_get("cancelled")?;
            let index = if kind == "person" {
                m::AWARDS_PERSON
            } else {
                m::AWARDS_COLLECTIVE
            };
            if cancelled != 0 {
                None
            } else {
                monthly(month(&decided), (index, 1), None)
            }
        }
        Table::Tips => {
            let received: String = row.try_get("received_on")?;
            let in_time: i64 = row.try_get("in_time")?;
            monthly(
                month(&received),
                (m::TIPS, 1),
                Some((m::TIPS_IN_TIME, clamp(in_time))),
            )
        }
        Table::Villages => {
            let active: i64 = row.try_get("active")?;
            (active == 1).then_some(Add {
                series: Series::Always,
                a: 0,
                b: 0,
                first: (0, 1),
                second: None,
            })
        }
        Table::Registrations => {
            let kind: String = row.try_get("subject_kind")?;
            let households = clamp(row.try_get::<Option<i64>, _>("households")?.unwrap_or(0));
            let at = year(row.try_get("year")?);
            let hh = (y::HOUSEHOLDS, households);
            match kind.as_str() {
                "village" => yearly(at, (y::VILLAGES_REGISTERED, 1), Some(hh)),
                "organisation" => yearly(at, (y::ORGANISATIONS_REGISTERED, 1), Some(hh)),
                _ => yearly(at, hh, None),
            }
        }
        Table::Assessments => {
            let kind: String = row.try_get("subject_kind")?;
            let recognised: i64 = row.try_get("recognised")?;
            let at = year(row.try_get("year")?);
            match (recognised, kind.as_str()) {
                (1, "village") => yearly(at, (y::VILLAGES_RECOGNISED, 1), None),
                (1, "commune") => yearly(at, (y::COMMUNES_RECOGNISED, 1), None),
                _ => None,
            }
        }
        Table::ModelPoints => {
            let started: Option<String> = row.try_get("started_on")?;
            years(
                started.as_deref().and_then(year_of),
                opt_year(row, "ended_on")?,
                r::MODEL_POINTS,
            )
        }
        Table::Teams => {
            let started: Option<String> = row.try_get("established_on")?;
            years(
                started.as_deref().and_then(year_of),
                opt_year(row, "dissolved_on")?,
                r::TEAMS,
            )
        }
        Table::Members => {
            // Counted in the years both the member and the team existed.
            let joined: Option<String> = row.try_get("joined_on")?;
            let established: Option<String> = row.try_get("established_on")?;
            let from = joined
                .as_deref()
                .and_then(year_of)
                .max(established.as_deref().and_then(year_of))
                .filter(|_| joined.is_some() && established.is_some());
            let to = match (opt_year(row, "left_on")?, opt_year(row, "dissolved_on")?) {
                (None, None) => None,
                (Some(a), None) | (None, Some(a)) => Some(a),
                (Some(a), Some(b)) => Some(a.zip(b).map(|(a, b)| a.min(b))),
            };
            years(from, to, r::MEMBERS)
        }
    };
    Ok((
        id,
        Fact {
            scope,
            legacy,
            add,
            campaign_month,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_from_1900() {
        assert_eq!(month("1900-01-15"), Some(0));
        assert_eq!(month("2025-08-19"), Some(125 * 12 + 7));
        assert_eq!(month("x"), None);
        assert_eq!(
            years(Some(2020), None, 0).map(|a| (a.a, a.b)),
            Some((2020, u16::MAX))
        );
        assert_eq!(years(Some(2020), Some(Some(2019)), 0), None);
    }
}

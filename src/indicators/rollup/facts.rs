//! What each counted record adds to the roll-up: one query per table reads
//! the facts the indicators need, and one function per table turns a row
//! into its contribution. These are the definitions of the indicators of
//! activities/figures.rs, tips/figures.rs, registry/registrations.rs,
//! assessment/figures.rs, registry/summary.rs and aggregates/, written a second time for
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
    Aggregates,
}

pub const TABLES: [Table; 11] = [
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
    Table::Aggregates,
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
            Table::Aggregates => "aggregate_values",
        }
    }

    pub fn parse(name: &str) -> Option<Table> {
        TABLES.iter().copied().find(|t| t.name() == name)
    }

    pub fn index(self) -> usize {
        TABLES.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The facts of the table's rows, six columns: `id`, `place` (today's
    /// path and the old one joined by '|'), `class` (what the row adds, 0
    /// for nothing; see [`read`]), `a` and `b` (its bucket: a month number
    /// (see [`month`]) or a span of years) and `v` (a value: attendance,
    /// households, a tip closed in time). Computed by the database, so that
    /// a load moves six values a row; `{where}` takes a condition on the id.
    pub fn select(self) -> String {
        let none = || "NULL".to_string();
        let (class, a, b, v, from): (String, String, String, String, &str) = match self {
            Table::Activities => (
                "CASE WHEN cancelled_at IS NOT NULL THEN 0 WHEN kind = 'session' THEN 1 \
                 WHEN kind = 'conference' THEN 2 WHEN kind = 'mediation' AND subtype = 'thanh' THEN 3 \
                 WHEN kind = 'drug_free' THEN 4 WHEN kind = 'campaign' THEN 5 ELSE 0 END"
                    .into(),
                format!("CASE WHEN kind = 'drug_free' THEN year ELSE {} END", month_of("held_on")),
                none(),
                "attendance".into(),
                "activities",
            ),
            Table::FestivalDays => ("1".into(), month_of("held_on"), none(), none(), "festival_days"),
            Table::Awards => (
                "CASE WHEN cancelled_at IS NOT NULL THEN 0 WHEN recipient_kind = 'person' THEN 2 ELSE 1 END".into(),
                month_of("decided_on"),
                none(),
                none(),
                "awards",
            ),
            Table::Tips => (
                "1".into(),
                month_of("received_on"),
                none(),
                "CASE WHEN closed_on IS NOT NULL AND closed_on <= deadline THEN 1 ELSE 0 END".into(),
                "tips",
            ),
            // In each year it existed on any day of (migration 0015): from
            // its founding (none: always) to the year it ceased. Made
            // inactive with no day known, it counts nowhere.
            Table::Villages => (
                "CASE WHEN active = 0 AND closed_on IS NULL THEN 0 ELSE 1 END".into(),
                format!("COALESCE({}, 0)", year_of("founded_on")),
                year_of("closed_on"),
                none(),
                "villages",
            ),
            Table::Registrations => (
                "CASE subject_kind WHEN 'village' THEN 1 WHEN 'organisation' THEN 2 ELSE 3 END".into(),
                "year".into(),
                none(),
                "households_registered".into(),
                "registrations",
            ),
            // A village's recognition counts if the village still existed in
            // the year assessed (assessment/figures.rs, migration 0015).
            Table::Assessments => (
                "CASE WHEN programme = 'an_toan' AND replaced = 0 AND status IN ('approved', 'recognised') \
                 AND result = 'dat' THEN (CASE WHEN subject_kind = 'commune' THEN 2 WHEN subject_kind = 'village' \
                 AND EXISTS (SELECT 1 FROM villages v WHERE v.id = CAST(assessments.subject_id AS BIGINT) \
                 AND (v.active = 1 OR CAST(substr(v.closed_on, 1, 4) AS BIGINT) >= assessments.year)) \
                 THEN 1 ELSE 0 END) ELSE 0 END"
                    .into(),
                "year".into(),
                none(),
                none(),
                "assessments",
            ),
            Table::ModelPoints => (
                "1".into(),
                year_of("started_on"),
                year_of("ended_on"),
                none(),
                "model_points",
            ),
            Table::Teams => (
                "1".into(),
                year_of("established_on"),
                year_of("dissolved_on"),
                none(),
                "teams",
            ),
            // A member counts where and while their team does (summary.rs):
            // from the later start to the earlier end.
            Table::Members => (
                "1".into(),
                year_of("CASE WHEN m.joined_on > t.established_on THEN m.joined_on ELSE t.established_on END"),
                format!(
                    "CASE WHEN m.left_on IS NULL THEN {} WHEN t.dissolved_on IS NULL THEN {} \
                     WHEN m.left_on < t.dissolved_on THEN {} ELSE {} END",
                    year_of("t.dissolved_on"),
                    year_of("m.left_on"),
                    year_of("m.left_on"),
                    year_of("t.dissolved_on")
                ),
                none(),
                "members m JOIN teams t ON t.id = m.team_id",
            ),
            // An entered total adds its value to its year (aggregates/).
            Table::Aggregates => (
                format!(
                    "CASE indicator WHEN '{}' THEN 1 WHEN '{}' THEN 2 ELSE 0 END",
                    y::CODES[usize::from(y::CULTURAL_FAMILIES)],
                    y::CODES[usize::from(y::CULTURAL_AREAS)]
                ),
                "year".into(),
                none(),
                "value".into(),
                "aggregate_values",
            ),
        };
        let (id, place) = match self {
            Table::Members => ("m.id", "t.scope_path || '|' || COALESCE(t.legacy_path, '')"),
            _ => ("id", "scope_path || '|' || COALESCE(legacy_path, '')"),
        };
        format!(
            "SELECT {id} AS id, {place} AS place, CAST({class} AS BIGINT) AS class, CAST({a} AS BIGINT) AS a, \
             CAST({b} AS BIGINT) AS b, CAST({v} AS BIGINT) AS v FROM {from} WHERE {{where}}"
        )
    }

    /// The id column in [`Table::select`]'s condition.
    pub fn id_column(self) -> &'static str {
        match self {
            Table::Members => "m.id",
            _ => "id",
        }
    }
}

/// The month number of an ISO date column, in SQL both engines run.
fn month_of(column: &str) -> String {
    format!(
        "(CAST(substr({column}, 1, 4) AS BIGINT) - 1900) * 12 + CAST(substr({column}, 6, 2) AS BIGINT) - 1"
    )
}

/// The year of an ISO date column (NULL stays NULL).
fn year_of(column: &str) -> String {
    format!("CAST(substr({column}, 1, 4) AS BIGINT)")
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
    /// Entered totals (aggregates/).
    pub const CULTURAL_FAMILIES: u8 = 6;
    pub const CULTURAL_AREAS: u8 = 7;
    pub const COUNT: usize = 8;
    pub const CODES: [&str; COUNT] = [
        "so_xa_khong_ma_tuy",
        "so_thon_dang_ky",
        "so_ho_dang_ky",
        "so_co_quan_dang_ky",
        "so_khu_dan_cu_an_toan",
        "so_xa_an_toan",
        "so_gia_dinh_van_hoa",
        "so_khu_dan_cu_van_hoa",
    ];
}

/// Indices of the series counted over a span of years.
pub mod r {
    pub const MODEL_POINTS: u8 = 0;
    pub const TEAMS: u8 = 1;
    pub const MEMBERS: u8 = 2;
    /// Villages, from the year founded (0: before the records) on.
    pub const VILLAGES: u8 = 3;
    pub const COUNT: usize = 4;
    pub const CODES: [&str; COUNT] = ["so_diem_mo_hinh", "so_to_doi", "so_thanh_vien", "so_thon"];
}
pub const CAMPAIGNS_CODE: &str = "so_dot_tan_cong";
pub const COMMUNES_WITH_VILLAGES_CODE: &str = "so_xa_co_thon_dang_ky";

/// No second value.
pub const NONE: u8 = u8::MAX;

/// Up to two values added to one bucket (or span of years) of one series:
/// `v0` to series index `i0`, `v1` to `i1` (unless it is [`NONE`]). Kept
/// for every row, so it is small (16 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Add {
    pub series: Series,
    pub i0: u8,
    pub i1: u8,
    pub a: u16,
    pub b: u16,
    pub v0: i32,
    pub v1: i32,
}

/// A row's place and what it adds there; `None` when it counts nowhere.
pub struct Fact {
    /// Today's path and the old one, joined by '|'.
    pub place: String,
    pub add: Option<Add>,
    /// A campaign counts for the unit that ran it and the units it covered;
    /// its month, when the row is one (not cancelled).
    pub campaign_month: Option<u16>,
}

/// `YYYY-MM…` → months since January 1900, the monthly buckets (the same
/// number [`Table::select`] computes in SQL).
pub fn month(date: &str) -> Option<u16> {
    let y: i32 = date.get(0..4)?.parse().ok()?;
    let mo: i32 = date.get(5..7)?.parse().ok()?;
    if !(1900..=7000).contains(&y) || !(1..=12).contains(&mo) {
        return None;
    }
    u16::try_from((y - 1900) * 12 + mo - 1).ok()
}

fn clamp(v: Option<i64>) -> i32 {
    let v = v.unwrap_or(0);
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

fn bucket(v: Option<i64>) -> Option<u16> {
    v.and_then(|x| u16::try_from(x).ok())
}

fn one(series: Series, at: Option<u16>, i0: u8, v0: i32, i1: u8, v1: i32) -> Option<Add> {
    at.map(|a| Add {
        series,
        i0,
        i1,
        a,
        b: a,
        v0,
        v1,
    })
}

/// Counted in each year a thing existed on any day of: from the year of its
/// start to the year of its end (`None`: open).
fn years(from: Option<u16>, to: Option<i64>, index: u8) -> Option<Add> {
    let a = from?;
    let b = match to {
        None => u16::MAX,
        Some(end) => u16::try_from(end).ok()?,
    };
    (b >= a).then_some(Add {
        series: Series::Years,
        i0: index,
        i1: NONE,
        a,
        b,
        v0: 1,
        v1: 0,
    })
}

/// A row of [`Table::select`], by position.
pub fn read(table: Table, row: &AnyRow) -> Result<(i64, Fact)> {
    let fact = fact(
        table,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
    );
    Ok((row.try_get(0)?, fact))
}

/// [`read`] for a row of the native reader (db/native.rs).
pub fn read_native(table: Table, row: &rusqlite::Row<'_>) -> Result<(i64, Fact)> {
    let get = |e| crate::db::native::failed(e);
    let fact = fact(
        table,
        row.get(1).map_err(get)?,
        row.get(2).map_err(get)?,
        row.get(3).map_err(get)?,
        row.get(4).map_err(get)?,
        row.get(5).map_err(get)?,
    );
    Ok((row.get(0).map_err(get)?, fact))
}

/// What a record adds: `place` is its scope and legacy paths, `class` what
/// kind of record it is for its table, `a`/`b`/`v` as in [`Table::select`].
fn fact(table: Table, place: String, class: i64, a: Option<i64>, b: Option<i64>, v: Option<i64>) -> Fact {
    let at = bucket(a);
    let monthly = |i0: u8, i1: u8, v1: i32| one(Series::Monthly, at, i0, 1, i1, v1);
    let yearly = |i0: u8, v0: i32, i1: u8, v1: i32| one(Series::Yearly, at, i0, v0, i1, v1);
    let mut campaign_month = None;
    let add = match (table, class) {
        (_, 0) => None,
        (Table::Activities, 1) => monthly(m::SESSIONS, m::ATTENDANCE, clamp(v)),
        (Table::Activities, 2) => monthly(m::CONFERENCES, NONE, 0),
        (Table::Activities, 3) => monthly(m::MEDIATED, NONE, 0),
        // A drug-free decision counts for the year it recognises.
        (Table::Activities, 4) => yearly(y::DRUG_FREE, 1, NONE, 0),
        (Table::Activities, 5) => {
            campaign_month = at;
            None
        }
        (Table::FestivalDays, _) => monthly(m::FESTIVAL_DAYS, NONE, 0),
        (Table::Awards, 2) => monthly(m::AWARDS_PERSON, NONE, 0),
        (Table::Awards, _) => monthly(m::AWARDS_COLLECTIVE, NONE, 0),
        (Table::Tips, _) => monthly(m::TIPS, m::TIPS_IN_TIME, clamp(v)),
        (Table::Villages, _) => years(at, b, r::VILLAGES),
        (Table::Registrations, 1) => yearly(y::VILLAGES_REGISTERED, 1, y::HOUSEHOLDS, clamp(v)),
        (Table::Registrations, 2) => yearly(y::ORGANISATIONS_REGISTERED, 1, y::HOUSEHOLDS, clamp(v)),
        (Table::Registrations, _) => yearly(y::HOUSEHOLDS, clamp(v), NONE, 0),
        (Table::Assessments, 1) => yearly(y::VILLAGES_RECOGNISED, 1, NONE, 0),
        (Table::Assessments, 2) => yearly(y::COMMUNES_RECOGNISED, 1, NONE, 0),
        (Table::ModelPoints, _) => years(at, b, r::MODEL_POINTS),
        (Table::Teams, _) => years(at, b, r::TEAMS),
        (Table::Members, _) => years(at, b, r::MEMBERS),
        (Table::Aggregates, 1) => yearly(y::CULTURAL_FAMILIES, clamp(v), NONE, 0),
        (Table::Aggregates, 2) => yearly(y::CULTURAL_AREAS, clamp(v), NONE, 0),
        _ => None,
    };
    Fact {
        place,
        add,
        campaign_month,
    }
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
        assert_eq!(years(Some(2020), Some(2019), 0), None);
        assert_eq!(std::mem::size_of::<Add>(), 16);
    }
}

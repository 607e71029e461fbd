//! Yearly ratings of teams and members (Hướng dẫn 01/HD-BCA-V05): four
//! levels; the year runs 15/11 of the year before to 14/11; nobody is rated
//! with under 9 months of service in it; "xuất sắc" may go to at most 20% of
//! the number rated "hoàn thành tốt" in the same commune and year; a tổ
//! trưởng is not rated above the team.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::teams::{self, Member, Team};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{Invalid, Result};
use crate::input::{self, optional_text, shorten};
use crate::units::Unit;

/// (code, Vietnamese name), best first.
pub const LEVELS: [(&str, &str); 4] = [
    ("xuat_sac", "Hoàn thành xuất sắc nhiệm vụ"),
    ("tot", "Hoàn thành tốt nhiệm vụ"),
    ("hoan_thanh", "Hoàn thành nhiệm vụ"),
    ("khong_hoan_thanh", "Không hoàn thành nhiệm vụ"),
];

fn rank(level: &str) -> usize {
    LEVELS
        .iter()
        .position(|(k, _)| *k == level)
        .unwrap_or(LEVELS.len())
}

pub fn level_label(level: &str) -> &'static str {
    teams::label(&LEVELS, level)
}

/// The rating period of a year: 15/11 of the year before – 14/11.
pub fn period(year: i64) -> (String, String) {
    (format!("{:04}-11-15", year - 1), format!("{year:04}-11-14"))
}

#[derive(Clone, Debug, Serialize)]
pub struct Rating {
    pub subject_kind: String,
    pub subject_id: i64,
    pub year: i64,
    pub level: String,
    pub level_label: String,
    pub note: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct RatingDraft {
    #[serde(default)]
    pub subject_kind: Option<String>,
    #[serde(default)]
    pub subject_id: Option<i64>,
    #[serde(default)]
    pub year: Option<i64>,
    #[serde(default)]
    pub level: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// How many more "xuất sắc" a commune may give in a year, per subject kind.
#[derive(Clone, Debug, Serialize)]
pub struct Quota {
    pub subject_kind: String,
    pub year: i64,
    pub good: i64,
    pub excellent: i64,
    pub allowed: i64,
    pub remaining: i64,
}

impl Quota {
    /// "xuất sắc" at most 20% of "tốt": 5 × xuất sắc ≤ tốt, in integers.
    fn of(subject_kind: &str, year: i64, good: i64, excellent: i64) -> Quota {
        let allowed = good / 5;
        Quota {
            subject_kind: subject_kind.to_string(),
            year,
            good,
            excellent,
            allowed,
            remaining: (allowed - excellent).max(0),
        }
    }
}

async fn counts(
    tx: &mut Tx,
    commune: &str,
    kind: &str,
    year: i64,
    except: Option<i64>,
) -> Result<(i64, i64)> {
    let row = sqlx::query(
        "SELECT \
           COALESCE(SUM(CASE WHEN level = 'tot' THEN 1 ELSE 0 END), 0) AS good, \
           COALESCE(SUM(CASE WHEN level = 'xuat_sac' THEN 1 ELSE 0 END), 0) AS excellent \
         FROM ratings WHERE commune_code = $1 AND subject_kind = $2 AND year = $3 AND subject_id <> $4",
    )
    .bind(commune)
    .bind(kind)
    .bind(year)
    .bind(except.unwrap_or(-1))
    .fetch_one(&mut **tx)
    .await?;
    // SUM is numeric on PostgreSQL, which the Any driver cannot decode; the
    // CASE makes it integer there, and SQLite gives integers anyway.
    Ok((row.try_get("good")?, row.try_get("excellent")?))
}

pub async fn quota(db: &Db, actor: &Actor, commune: &Unit, subject_kind: &str, year: i64) -> Result<Quota> {
    Scope::new(actor, Action::ViewGeography)?.narrow(&commune.path)?;
    let mut tx = db.begin_read().await?;
    let (good, excellent) = counts(&mut tx, &commune.code, subject_kind, year, None).await?;
    tx.commit().await?;
    Ok(Quota::of(subject_kind, year, good, excellent))
}

/// Rates a team or member for a year, or changes its rating.
pub async fn rate(db: &Db, actor: &Actor, draft: &RatingDraft) -> Result<Rating> {
    let mut inv = Invalid::default();
    let kind = match draft.subject_kind.as_deref().map(str::trim) {
        Some("team") => "team",
        Some("member") => "member",
        _ => {
            inv.add(
                "subject_kind",
                "Đối tượng xếp loại: \"team\" (tổ) hoặc \"member\" (thành viên).",
            );
            "team"
        }
    };
    let this_year = i64::from(input::today().year());
    let year = match draft.year {
        Some(y) if (2000..=this_year).contains(&y) => y,
        Some(y) => {
            inv.add(
                "year",
                format!("Năm xếp loại: {y} không hợp lệ (từ 2000 đến {this_year})."),
            );
            this_year
        }
        None => {
            inv.add("year", "Năm xếp loại: không được để trống.");
            this_year
        }
    };
    let level_raw = draft.level.clone().unwrap_or_default();
    let level = LEVELS
        .iter()
        .find(|(k, l)| *k == level_raw.trim() || *l == level_raw.trim())
        .map(|(k, _)| *k);
    if level_raw.trim().is_empty() {
        inv.add("level", "Mức xếp loại: chưa chọn.");
    } else if level.is_none() {
        inv.add(
            "level",
            format!("Mức xếp loại: \"{}\" không hợp lệ.", shorten(&level_raw)),
        );
    }
    let note = optional_text(&mut inv, "note", "Ghi chú", draft.note.as_deref(), 1000);
    let Some(subject_id) = draft.subject_id else {
        inv.add("subject_id", "Đối tượng xếp loại: thiếu mã số.");
        return Err(inv.into_error());
    };
    inv.finish()?;
    let level = level.unwrap_or("hoan_thanh");

    let mut tx = db.begin().await?;
    let (team, member) = subject(&mut tx, actor, kind, subject_id).await?;
    policy::authorize(actor, Action::EditGeography, &team.scope_path)?;
    // The quota counts the whole commune: on PostgreSQL, lock the commune's
    // row so that two ratings at once cannot both take the last place.
    sqlx::query(&format!(
        "SELECT code FROM units WHERE era = 'current' AND code = $1{}",
        db.lock_clause()
    ))
    .bind(&team.commune_code)
    .fetch_optional(&mut *tx)
    .await?;
    let mut inv = Invalid::default();
    check_service(&team, member.as_ref(), year, &mut inv);
    if let Some(m) = &member
        && m.role == "to_truong"
    {
        let team_level: Option<String> = sqlx::query_scalar(
            "SELECT level FROM ratings WHERE subject_kind = 'team' AND subject_id = $1 AND year = $2",
        )
        .bind(team.id)
        .bind(year)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(tl) = team_level
            && rank(level) < rank(&tl)
        {
            inv.add(
                "level",
                format!(
                    "Mức xếp loại: tổ trưởng không được xếp cao hơn tổ (tổ được xếp \"{}\").",
                    level_label(&tl)
                ),
            );
        }
    }
    if kind == "team" {
        // And the other way round: the team not below its tổ trưởng.
        let leader: Option<String> = sqlx::query_scalar(
            "SELECT r.level FROM ratings r JOIN members m ON m.id = r.subject_id \
             WHERE r.subject_kind = 'member' AND r.year = $1 AND m.team_id = $2 AND m.role = 'to_truong'",
        )
        .bind(year)
        .bind(team.id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(ll) = leader
            && rank(&ll) < rank(level)
        {
            inv.add(
                "level",
                format!(
                    "Mức xếp loại: tổ không được xếp thấp hơn tổ trưởng (tổ trưởng được xếp \"{}\").",
                    level_label(&ll)
                ),
            );
        }
    }
    let (good, excellent) = counts(&mut tx, &team.commune_code, kind, year, Some(subject_id)).await?;
    let (good_after, excellent_after) = (
        good + i64::from(level == "tot"),
        excellent + i64::from(level == "xuat_sac"),
    );
    if excellent_after * 5 > good_after {
        let who = if kind == "team" { "tổ" } else { "thành viên" };
        inv.add(
            "level",
            format!(
                "Mức xếp loại: số {who} \"hoàn thành xuất sắc\" không quá 20% số {who} \"hoàn thành tốt\" \
                 của xã trong năm {year} (Hướng dẫn 01/HD-BCA-V05): {good} hoàn thành tốt cho phép tối đa {} \
                 xuất sắc, đã xếp {excellent}.",
                good / 5
            ),
        );
    }
    inv.finish()?;

    let before = sqlx::query(
        "SELECT level, note FROM ratings WHERE subject_kind = $1 AND subject_id = $2 AND year = $3",
    )
    .bind(kind)
    .bind(subject_id)
    .bind(year)
    .fetch_optional(&mut *tx)
    .await?;
    let ts = now();
    sqlx::query(
        "INSERT INTO ratings (subject_kind, subject_id, year, level, commune_code, scope_path, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (subject_kind, subject_id, year) DO UPDATE SET level = $4, note = $7, updated_at = $8",
    )
    .bind(kind)
    .bind(subject_id)
    .bind(year)
    .bind(level)
    .bind(&team.commune_code)
    .bind(&team.scope_path)
    .bind(&note)
    .bind(&ts)
    .execute(&mut *tx)
    .await?;
    let label = match &member {
        Some(m) => format!("{} ({}) – năm {year}", m.full_name, team.name),
        None => format!("{} – năm {year}", team.name),
    };
    let before_json = match before {
        Some(r) => Some(
            json!({ "level": r.try_get::<String, _>("level")?, "note": r.try_get::<String, _>("note")? }),
        ),
        None => None,
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "rating.set",
            target_kind: kind,
            target_id: subject_id.to_string(),
            target_label: label,
            scope_path: team.scope_path.clone(),
            before: before_json,
            after: Some(json!({ "year": year, "level": level, "note": note })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Rating {
        subject_kind: kind.to_string(),
        subject_id,
        year,
        level: level.to_string(),
        level_label: level_label(level).to_string(),
        note,
    })
}

async fn subject(tx: &mut Tx, actor: &Actor, kind: &str, id: i64) -> Result<(Team, Option<Member>)> {
    if kind == "team" {
        Ok((teams::team_in_tx(tx, actor, id, "").await?, None))
    } else {
        let (m, t) = teams::member_in_tx(tx, actor, id, "").await?;
        Ok((t, Some(m)))
    }
}

/// No rating without 9 months of service inside the period: the overlap of
/// [joined, left] with [15/11 of the year before, 14/11] must last 9 months.
fn check_service(team: &Team, member: Option<&Member>, year: i64, inv: &mut Invalid) {
    let (start, end) = period(year);
    let (what, began, ended) = match member {
        Some(m) => ("Thành viên", m.joined_on.as_str(), m.left_on.as_deref()),
        None => ("Tổ", team.established_on.as_str(), team.dissolved_on.as_deref()),
    };
    let from = began.max(start.as_str());
    let to = ended.unwrap_or(end.as_str()).min(end.as_str());
    if !served_nine_months(began, ended, year) {
        inv.add(
            "year",
            format!(
                "Năm xếp loại: {what} hoạt động từ {} đến {} trong kỳ 15/11/{} – 14/11/{year}, chưa đủ 9 tháng; \
                 không xếp loại (Hướng dẫn 01/HD-BCA-V05).",
                crate::text::format_date(from),
                crate::text::format_date(to),
                year - 1
            ),
        );
    }
}

/// Whether service from `began` to `ended` (or on) lasts 9 months inside
/// the rating period of `year`: only then is a team or member rated.
pub fn served_nine_months(began: &str, ended: Option<&str>, year: i64) -> bool {
    let (start, end) = period(year);
    let from = began.max(start.as_str());
    let to = ended.unwrap_or(end.as_str()).min(end.as_str());
    match (input::parse_date(from), input::parse_date(to)) {
        (Some(f), Some(t)) => input::add_months(f, 9).is_some_and(|nine| t >= nine),
        _ => false,
    }
}

/// Ratings of a commune's teams and members for a year, keyed by subject.
pub async fn for_commune(db: &Db, actor: &Actor, commune: &Unit, year: i64) -> Result<Vec<Rating>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&commune.path)?;
    let rows = sqlx::query(
        "SELECT subject_kind, subject_id, year, level, note FROM ratings \
         WHERE scope_path LIKE $1 AND year = $2 ORDER BY subject_kind, subject_id",
    )
    .bind(scope.like())
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let level: String = r.try_get("level")?;
            Ok(Rating {
                subject_kind: r.try_get("subject_kind")?,
                subject_id: r.try_get("subject_id")?,
                year: r.try_get("year")?,
                level_label: level_label(&level).to_string(),
                level,
                note: r.try_get("note")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quota_is_a_fifth_of_good_ratings() {
        let q = Quota::of("member", 2025, 9, 1);
        assert_eq!((q.allowed, q.remaining), (1, 0));
        let q = Quota::of("member", 2025, 10, 1);
        assert_eq!((q.allowed, q.remaining), (2, 1));
        assert_eq!(period(2025), ("2024-11-15".to_string(), "2025-11-14".to_string()));
        assert!(rank("xuat_sac") < rank("tot"));
        let d = |s: &str| input::parse_date(s).unwrap();
        assert_eq!(input::add_months(d("2024-11-15"), 9), Some(d("2025-08-15")));
        assert_eq!(input::add_months(d("2025-05-31"), 9), Some(d("2026-02-28")));
    }
}

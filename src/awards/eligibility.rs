//! Eligibility for the Kỷ niệm chương "Bảo vệ an ninh Tổ quốc" (Thông tư
//! 20/2025/TT-BCA), computed from the service records antq holds: once per
//! person; members of a Tổ bảo vệ an ninh, trật tự need 15 years of service
//! (men) or 10 (women), earlier service as semi-professional commune police
//! (Công an xã bán chuyên trách) or civil guard (bảo vệ dân phố) counting;
//! leaders need 10 years in post and an earlier commendation; a year in an
//! especially difficult, border or island area counts double.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;

use super::BADGE;
use crate::activities::{current_unit, label};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, now};
use crate::error::{AppError, Invalid, Result};
use crate::input::{self, optional_text};
use crate::registry::teams::{self, Member, SECURITY_TEAM};
use crate::text::{format_date, format_decimal};

pub const SERVICE_KINDS: [(&str, &str); 4] = [
    ("cong_an_xa_ban_chuyen_trach", "Công an xã bán chuyên trách"),
    ("bao_ve_dan_pho", "Bảo vệ dân phố"),
    (
        "to_bao_ve_antt",
        "Tổ bảo vệ an ninh, trật tự (trước khi ghi trên antq)",
    ),
    ("lanh_dao", "Lãnh đạo cấp ủy, chính quyền, Mặt trận, đoàn thể"),
];

/// Years of service each track needs.
pub const MEMBER_YEARS_MEN: f64 = 15.0;
pub const MEMBER_YEARS_WOMEN: f64 = 10.0;
pub const LEADER_YEARS: f64 = 10.0;

/// One stretch of service, as counted.
#[derive(Clone, Debug, Serialize)]
pub struct Period {
    pub what: String,
    pub from: String,
    pub to: Option<String>,
    pub difficult: bool,
    /// False when the record lies outside the reader's scope: it counts, but
    /// its place is not shown.
    pub visible: bool,
    #[serde(skip)]
    leader: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Track {
    pub name: &'static str,
    pub required_years: f64,
    pub counted_years: f64,
    pub missing_years: f64,
    pub met: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Eligibility {
    pub full_name: String,
    pub eligible: bool,
    /// Why, in one or more Vietnamese sentences.
    pub reasons: Vec<String>,
    pub tracks: Vec<Track>,
    pub periods: Vec<Period>,
    pub already_awarded: bool,
}

/// Weighted days of a set of periods: where periods overlap a day counts
/// once, at the highest weight (double in a difficult area).
pub fn weighted_days(periods: &[(time::Date, time::Date, u32)]) -> i64 {
    let mut edges: Vec<time::Date> = periods
        .iter()
        .flat_map(|(a, b, _)| [*a, b.next_day().unwrap_or(*b)])
        .collect();
    edges.sort();
    edges.dedup();
    let mut total = 0i64;
    for w in edges.windows(2) {
        let (start, end) = (w[0], w[1]);
        let weight = periods
            .iter()
            .filter(|(a, b, _)| *a <= start && *b >= start)
            .map(|(_, _, w)| *w)
            .max()
            .unwrap_or(0);
        total += i64::from(weight) * (end - start).whole_days();
    }
    total
}

fn years(days: i64) -> f64 {
    (days as f64 / 365.25 * 10.0).floor() / 10.0
}

fn years_text(y: f64) -> String {
    format_decimal(y, 1).trim_end_matches(",0").to_string()
}

/// A person as the rule sees them.
pub struct Person {
    pub key: String,
    pub full_name: String,
    pub gender: Option<String>,
}

impl Person {
    pub fn of_member(m: &Member) -> Person {
        Person {
            key: m.person_key(),
            full_name: m.full_name.clone(),
            gender: Some(m.gender.clone()),
        }
    }
}

pub async fn for_member(db: &Db, actor: &Actor, member_id: i64) -> Result<Eligibility> {
    let (member, _) = teams::get_member(db, actor, member_id).await?;
    compute(db, actor, &Person::of_member(&member)).await
}

pub async fn compute(db: &Db, actor: &Actor, person: &Person) -> Result<Eligibility> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let today = input::today();
    let mut periods = Vec::new();
    // Team service recorded in antq: every security-team membership of the
    // person, doubled where the team covers a border village.
    let rows = sqlx::query(
        "SELECT m.joined_on, m.left_on, m.role, t.name, t.scope_path, \
           (SELECT COUNT(*) FROM team_villages tv JOIN villages v ON v.id = tv.village_id \
            WHERE tv.team_id = t.id AND v.border_area = 1) AS border \
         FROM members m JOIN teams t ON t.id = m.team_id WHERE m.person_key = $1 AND t.kind = $2 ORDER BY m.joined_on",
    )
    .bind(&person.key)
    .bind(SECURITY_TEAM)
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        let path: String = r.try_get("scope_path")?;
        let visible = scope.contains(&path);
        let role: String = r.try_get("role")?;
        periods.push(Period {
            what: if visible {
                format!(
                    "{} – {}",
                    label(&teams::ROLES, &role),
                    r.try_get::<String, _>("name")?
                )
            } else {
                "Tổ bảo vệ an ninh, trật tự ở đơn vị khác".into()
            },
            from: r.try_get("joined_on")?,
            to: r.try_get("left_on")?,
            difficult: r.try_get::<i64, _>("border")? > 0,
            visible,
            leader: false,
        });
    }
    let rows = sqlx::query(
        "SELECT kind, position, started_on, ended_on, difficult, scope_path FROM service_records \
         WHERE person_key = $1 ORDER BY started_on",
    )
    .bind(&person.key)
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let path: String = r.try_get("scope_path")?;
        let visible = scope.contains(&path);
        let position: String = r.try_get("position")?;
        let mut what = label(&SERVICE_KINDS, &kind).to_string();
        if visible && !position.is_empty() {
            what = format!("{what} – {position}");
        }
        periods.push(Period {
            what,
            from: r.try_get("started_on")?,
            to: r.try_get("ended_on")?,
            difficult: r.try_get::<i64, _>("difficult")? == 1,
            visible,
            leader: kind == "lanh_dao",
        });
    }
    let span = |p: &Period| -> Option<(time::Date, time::Date, u32)> {
        let a = input::parse_date(&p.from)?;
        let b =
            p.to.as_deref()
                .and_then(input::parse_date)
                .unwrap_or(today)
                .min(today);
        (b >= a).then_some((a, b, if p.difficult { 2 } else { 1 }))
    };
    let member_spans: Vec<_> = periods.iter().filter(|p| !p.leader).filter_map(span).collect();
    let leader_spans: Vec<_> = periods.iter().filter(|p| p.leader).filter_map(span).collect();
    let member_years = years(weighted_days(&member_spans));
    let leader_years = years(weighted_days(&leader_spans));

    let badge: Option<(String, String, String)> = sqlx::query(
        "SELECT decision_number, decided_on, scope_path FROM awards WHERE award_type = $1 AND person_key = $2",
    )
    .bind(BADGE)
    .bind(&person.key)
    .fetch_optional(&db.pool)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("decision_number")?, r.try_get("decided_on")?, r.try_get("scope_path")?)))
    .transpose()?;
    let commended: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM awards WHERE person_key = $1 AND award_type <> $2")
            .bind(&person.key)
            .bind(BADGE)
            .fetch_one(&db.pool)
            .await?;

    let mut reasons = Vec::new();
    let mut tracks = Vec::new();
    let name = &person.full_name;
    match person.gender.as_deref() {
        Some(g) => {
            let (need, who) = if g == "nu" {
                (MEMBER_YEARS_WOMEN, "nữ")
            } else {
                (MEMBER_YEARS_MEN, "nam")
            };
            let missing = ((need - member_years) * 10.0).ceil().max(0.0) / 10.0;
            tracks.push(Track {
                name: "Thành viên lực lượng tham gia bảo vệ ANTT ở cơ sở",
                required_years: need,
                counted_years: member_years,
                missing_years: missing,
                met: member_years >= need,
            });
            if member_years >= need {
                reasons.push(format!(
                    "Thời gian tham gia lực lượng: {} năm, đủ {} năm theo quy định đối với {who}.",
                    years_text(member_years),
                    years_text(need)
                ));
            } else if member_spans.is_empty() {
                reasons.push(format!(
                    "Chưa có thời gian tham gia lực lượng được ghi nhận; {who} cần {} năm.",
                    years_text(need)
                ));
            } else {
                reasons.push(format!(
                    "Thời gian tham gia lực lượng: {} năm; {who} cần {} năm, còn thiếu {} năm.",
                    years_text(member_years),
                    years_text(need),
                    years_text(missing)
                ));
            }
        }
        None => reasons
            .push("Chưa ghi giới tính nên chưa xác định được số năm cần (nam 15 năm, nữ 10 năm).".into()),
    }
    if !leader_spans.is_empty() {
        let missing = ((LEADER_YEARS - leader_years) * 10.0).ceil().max(0.0) / 10.0;
        let met = leader_years >= LEADER_YEARS && commended > 0;
        tracks.push(Track {
            name: "Lãnh đạo cấp ủy, chính quyền, Mặt trận, đoàn thể",
            required_years: LEADER_YEARS,
            counted_years: leader_years,
            missing_years: missing,
            met,
        });
        if leader_years < LEADER_YEARS {
            reasons.push(format!(
                "Thời gian giữ chức vụ lãnh đạo: {} năm; cần {} năm, còn thiếu {} năm.",
                years_text(leader_years),
                years_text(LEADER_YEARS),
                years_text(missing)
            ));
        } else if commended == 0 {
            reasons.push(format!(
                "Thời gian giữ chức vụ lãnh đạo: {} năm, đủ 10 năm, nhưng chưa có khen thưởng nào về bảo vệ an ninh Tổ quốc được ghi nhận.",
                years_text(leader_years)
            ));
        } else {
            reasons.push(format!(
                "Thời gian giữ chức vụ lãnh đạo: {} năm, đủ 10 năm; đã được khen thưởng.",
                years_text(leader_years)
            ));
        }
    }
    if periods.iter().any(|p| p.difficult) {
        reasons.push(
            "Thời gian công tác ở vùng đặc biệt khó khăn, biên giới, hải đảo được tính hệ số 2.".into(),
        );
    }
    let already = badge.is_some();
    if let Some((number, on, path)) = &badge {
        let first = if scope.contains(path) {
            format!(
                "{name} đã được tặng Kỷ niệm chương theo quyết định số {number} ngày {}; Kỷ niệm chương chỉ tặng một lần.",
                format_date(on)
            )
        } else {
            format!("{name} đã được tặng Kỷ niệm chương (ở đơn vị khác); Kỷ niệm chương chỉ tặng một lần.")
        };
        reasons.insert(0, first);
    }
    let eligible = !already && tracks.iter().any(|t| t.met);
    reasons.insert(
        if already { 1 } else { 0 },
        if eligible {
            format!("{name} đủ điều kiện xét tặng Kỷ niệm chương \"Bảo vệ an ninh Tổ quốc\" (Thông tư 20/2025/TT-BCA).")
        } else {
            format!("{name} chưa đủ điều kiện xét tặng Kỷ niệm chương \"Bảo vệ an ninh Tổ quốc\" (Thông tư 20/2025/TT-BCA).")
        },
    );
    Ok(Eligibility {
        full_name: name.clone(),
        eligible,
        reasons,
        tracks,
        periods,
        already_awarded: already,
    })
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ServiceDraft {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    #[serde(default)]
    pub started_on: Option<String>,
    #[serde(default)]
    pub ended_on: Option<String>,
    #[serde(default)]
    pub difficult: Option<Value>,
    /// Where the service was given (a current commune or province code);
    /// the member's commune when left out.
    #[serde(default)]
    pub unit_code: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServiceRecord {
    pub id: i64,
    pub kind: String,
    pub position: String,
    pub started_on: String,
    pub ended_on: Option<String>,
    pub difficult: bool,
    pub unit_code: String,
    pub note: String,
}

/// Records a member's earlier service (or a post held), which the
/// eligibility then counts.
pub async fn add_service(db: &Db, actor: &Actor, member_id: i64, d: &ServiceDraft) -> Result<ServiceRecord> {
    let (member, team) = teams::get_member(db, actor, member_id).await?;
    policy::authorize(actor, Action::RecordAward, &member.scope_path)?;
    let mut tx = db.begin().await?;
    let mut inv = Invalid::default();
    let kind = crate::activities::choice(
        &mut inv,
        "kind",
        "Loại công tác",
        d.kind.as_deref(),
        &SERVICE_KINDS,
    );
    let position = optional_text(&mut inv, "position", "Chức vụ", d.position.as_deref(), 200);
    let started_on =
        crate::activities::past_date(&mut inv, "started_on", "Từ ngày", d.started_on.as_deref(), true)
            .unwrap_or_default();
    let ended_on =
        crate::activities::past_date(&mut inv, "ended_on", "Đến ngày", d.ended_on.as_deref(), false);
    if let Some(e) = &ended_on
        && !started_on.is_empty()
        && e < &started_on
    {
        inv.add("ended_on", "Đến ngày: không được trước ngày bắt đầu.");
    }
    let born = format!("{:04}-01-01", member.birth_year + 16);
    if !started_on.is_empty() && started_on < born {
        inv.add(
            "started_on",
            format!(
                "Từ ngày: {} sinh năm {}, không thể công tác trước năm {}.",
                member.full_name,
                member.birth_year,
                member.birth_year + 16
            ),
        );
    }
    let difficult = input::flag(
        &mut inv,
        "difficult",
        "Vùng đặc biệt khó khăn, biên giới, hải đảo",
        d.difficult.as_ref(),
        false,
    );
    let note = optional_text(&mut inv, "note", "Ghi chú", d.note.as_deref(), 1000);
    let code = d
        .unit_code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or(&team.commune_code)
        .to_string();
    let unit = current_unit(&mut tx, &code).await?;
    if unit.is_none() {
        inv.add(
            "unit_code",
            format!("Nơi công tác: không có đơn vị mã \"{}\".", input::shorten(&code)),
        );
    }
    inv.finish()?;
    let unit = unit.ok_or_else(AppError::not_found)?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO service_records (person_key, full_name, kind, position, started_on, ended_on, difficult, unit_code, \
         scope_path, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(member.person_key())
    .bind(&member.full_name)
    .bind(&kind)
    .bind(&position)
    .bind(&started_on)
    .bind(&ended_on)
    .bind(i64::from(difficult))
    .bind(&unit.code)
    .bind(&member.scope_path)
    .bind(&note)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let record = ServiceRecord {
        id,
        kind,
        position,
        started_on,
        ended_on,
        difficult,
        unit_code: unit.code,
        note,
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "service.create",
            target_kind: "service_record",
            target_id: id.to_string(),
            target_label: format!("{} – {}", member.full_name, label(&SERVICE_KINDS, &record.kind)),
            scope_path: member.scope_path.clone(),
            before: None,
            after: Some(json!(record)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn overlapping_periods_count_once_at_the_higher_weight() {
        let a = (date!(2010 - 01 - 01), date!(2010 - 12 - 31), 1);
        assert_eq!(weighted_days(&[a]), 365);
        let doubled = (date!(2010 - 07 - 01), date!(2010 - 12 - 31), 2);
        // Jan–Jun once (181 days), Jul–Dec twice (184 × 2).
        assert_eq!(weighted_days(&[a, doubled]), 181 + 184 * 2);
        assert_eq!(weighted_days(&[]), 0);
        assert_eq!(years(365 * 15 + 4), 15.0);
        assert_eq!(years_text(12.5), "12,5");
        assert_eq!(years_text(15.0), "15");
    }
}

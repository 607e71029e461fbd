//! Eligibility for the Kỷ niệm chương "Bảo vệ an ninh Tổ quốc" (Thông tư
//! 20/2025/TT-BCA), computed from the service records antq holds: once per
//! person; members of a Tổ bảo vệ an ninh, trật tự need 15 years of service
//! (men) or 10 (women), earlier service as semi-professional commune police
//! (Công an xã bán chuyên trách) or civil guard (bảo vệ dân phố) counting;
//! leaders need 10 years in post and an earlier commendation; a year in an
//! especially difficult, border or island area counts double. A member must
//! have served in a Tổ bảo vệ an ninh, trật tự and be rated "hoàn thành tốt
//! nhiệm vụ" or better. A person known only by name, birth year and gender
//! is counted with the service of their own commune: elsewhere it could be a
//! namesake's; a citizen id joins their service across the country.

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
use crate::text::format_date;

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

/// Years of service in tenths, from weighted days (a year of 365,25 days,
/// partial tenths not rounded up), and whether they make `years` full
/// calendar years: as many days as the `years` years before the day after
/// `end` hold, leap days included. The shown figure is kept on the right
/// side of the threshold, so "10 năm" and "còn thiếu" never disagree.
fn tenths(days: i64, years: i64, end: time::Date) -> (i64, bool) {
    let after = end.next_day().unwrap_or(end);
    let start = after
        .replace_year(after.year() - years as i32)
        .or_else(|_| {
            after
                .previous_day()
                .unwrap_or(after)
                .replace_year(after.year() - years as i32)
        })
        .unwrap_or(after);
    let needed = (after - start).whole_days();
    let met = days >= needed;
    let shown = (days * 40 / 1461).max(0);
    let shown = if met {
        shown.max(years * 10)
    } else {
        shown.min(years * 10 - 1)
    };
    (shown, met)
}

fn years_text(tenths: i64) -> String {
    crate::text::format_decimal(tenths as f64 / 10.0, 1)
        .trim_end_matches(",0")
        .to_string()
}

/// A person as the rule sees them. `home` is the unit path their record
/// lives in: service recorded elsewhere is theirs only when a citizen id
/// says so, since a name, birth year and gender may be a namesake's.
pub struct Person {
    pub key: String,
    pub full_name: String,
    pub gender: Option<String>,
    pub home: String,
}

impl Person {
    pub fn of_member(m: &Member) -> Person {
        Person {
            key: m.person_key(),
            full_name: m.full_name.clone(),
            gender: Some(m.gender.clone()),
            home: m.scope_path.clone(),
        }
    }
}

pub async fn for_member(db: &Db, actor: &Actor, member_id: i64) -> Result<Eligibility> {
    let (member, _) = teams::get_member(db, actor, member_id).await?;
    compute(db, actor, &Person::of_member(&member)).await
}

/// What counting needs of one stretch of service.
struct Counted {
    period: Period,
    leader: bool,
    security_team: bool,
}

pub async fn compute(db: &Db, actor: &Actor, person: &Person) -> Result<Eligibility> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let today = input::today();
    let by_citizen_id = person.key.starts_with("cccd:");
    // Without a citizen id only the person's own commune is searched.
    let reach = if by_citizen_id {
        "/VN/%".to_string()
    } else {
        format!("{}%", person.home)
    };
    let mut counted: Vec<Counted> = Vec::new();
    // Team service recorded in antq: every security-team membership of the
    // person, doubled where the team covers a border village.
    let rows = sqlx::query(
        "SELECT m.id, m.joined_on, m.left_on, m.role, t.name, t.scope_path, \
           (SELECT COUNT(*) FROM team_villages tv JOIN villages v ON v.id = tv.village_id \
            WHERE tv.team_id = t.id AND v.border_area = 1) AS border \
         FROM members m JOIN teams t ON t.id = m.team_id \
         WHERE m.person_key = $1 AND t.kind = $2 AND m.scope_path LIKE $3 ORDER BY m.joined_on",
    )
    .bind(&person.key)
    .bind(SECURITY_TEAM)
    .bind(&reach)
    .fetch_all(&db.pool)
    .await?;
    let mut memberships = Vec::new();
    for r in rows {
        let path: String = r.try_get("scope_path")?;
        let role: String = r.try_get("role")?;
        memberships.push((r.try_get::<i64, _>("id")?, scope.contains(&path)));
        counted.push(Counted {
            period: Period {
                what: format!(
                    "{} – {}",
                    label(&teams::ROLES, &role),
                    r.try_get::<String, _>("name")?
                ),
                from: r.try_get("joined_on")?,
                to: r.try_get("left_on")?,
                difficult: r.try_get::<i64, _>("border")? > 0,
                visible: scope.contains(&path),
            },
            leader: false,
            security_team: true,
        });
    }
    let rows = sqlx::query(
        "SELECT kind, position, started_on, ended_on, difficult, scope_path FROM service_records \
         WHERE person_key = $1 AND scope_path LIKE $2 ORDER BY started_on",
    )
    .bind(&person.key)
    .bind(&reach)
    .fetch_all(&db.pool)
    .await?;
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let path: String = r.try_get("scope_path")?;
        let position: String = r.try_get("position")?;
        let mut what = label(&SERVICE_KINDS, &kind).to_string();
        if !position.is_empty() {
            what = format!("{what} – {position}");
        }
        counted.push(Counted {
            period: Period {
                what,
                from: r.try_get("started_on")?,
                to: r.try_get("ended_on")?,
                difficult: r.try_get::<i64, _>("difficult")? == 1,
                visible: scope.contains(&path),
            },
            leader: kind == "lanh_dao",
            security_team: kind == SECURITY_TEAM,
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
    let member_spans: Vec<_> = counted
        .iter()
        .filter(|c| !c.leader)
        .filter_map(|c| span(&c.period))
        .collect();
    let leader_spans: Vec<_> = counted
        .iter()
        .filter(|c| c.leader)
        .filter_map(|c| span(&c.period))
        .collect();
    // The counting ends on the last day served (today for ongoing service).
    let last_day = |spans: &[(time::Date, time::Date, u32)]| spans.iter().map(|s| s.1).max().unwrap_or(today);
    let member_days = weighted_days(&member_spans);
    let leader_days = weighted_days(&leader_spans);
    let in_security_team = counted.iter().any(|c| c.security_team);

    // Thông tư 20/2025/TT-BCA asks that the member completed their tasks
    // well: the latest rating of their security-team memberships.
    let mut latest_rating: Option<(i64, String, bool)> = None;
    for (m, visible) in &memberships {
        let r: Option<(i64, String)> = sqlx::query(
            "SELECT year, level FROM ratings WHERE subject_kind = 'member' AND subject_id = $1 ORDER BY year DESC LIMIT 1",
        )
        .bind(m)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| Ok::<_, sqlx::Error>((r.try_get("year")?, r.try_get("level")?)))
        .transpose()?;
        if let Some((year, level)) = r
            && latest_rating.as_ref().is_none_or(|l| year > l.0)
        {
            latest_rating = Some((year, level, *visible));
        }
    }
    let rated_well = latest_rating
        .as_ref()
        .is_some_and(|(_, l, _)| l == "tot" || l == "xuat_sac");

    let badge: Option<(String, String, String)> = sqlx::query(
        "SELECT decision_number, decided_on, scope_path FROM awards WHERE award_type = $1 AND cancelled_at IS NULL \
         AND person_key = $2",
    )
    .bind(BADGE)
    .bind(&person.key)
    .fetch_optional(&db.pool)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get("decision_number")?, r.try_get("decided_on")?, r.try_get("scope_path")?)))
    .transpose()?;
    let commended: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM awards WHERE person_key = $1 AND award_type <> $2 AND cancelled_at IS NULL",
    )
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
            let need_tenths = (need * 10.0) as i64;
            let (member_tenths, enough) = tenths(member_days, need as i64, last_day(&member_spans));
            let missing = (need_tenths - member_tenths).max(0);
            let met = enough && in_security_team && rated_well;
            tracks.push(Track {
                name: "Thành viên lực lượng tham gia bảo vệ ANTT ở cơ sở",
                required_years: need,
                counted_years: member_tenths as f64 / 10.0,
                missing_years: missing as f64 / 10.0,
                met,
            });
            let need_text = years_text(need_tenths);
            if member_spans.is_empty() {
                reasons.push(format!(
                    "Chưa có thời gian tham gia lực lượng được ghi nhận; {who} cần {need_text} năm."
                ));
            } else if enough {
                reasons.push(format!(
                    "Thời gian tham gia lực lượng: {} năm, đủ {need_text} năm theo quy định đối với {who}.",
                    years_text(member_tenths)
                ));
            } else {
                reasons.push(format!(
                    "Thời gian tham gia lực lượng: {} năm; {who} cần {need_text} năm, còn thiếu {} năm.",
                    years_text(member_tenths),
                    years_text(missing)
                ));
            }
            if !in_security_team {
                reasons.push(
                    "Chưa là thành viên Tổ bảo vệ an ninh, trật tự; tiêu chuẩn này dành cho thành viên Tổ."
                        .into(),
                );
            }
            match &latest_rating {
                Some((year, level, true)) if !rated_well => reasons.push(format!(
                    "Xếp loại năm {year}: {}; cần \"Hoàn thành tốt nhiệm vụ\" trở lên.",
                    label(&crate::registry::ratings::LEVELS, level)
                )),
                Some((_, _, false)) if !rated_well => reasons.push(
                    "Kết quả xếp loại gần nhất (ở đơn vị khác) chưa đạt \"Hoàn thành tốt nhiệm vụ\" trở lên."
                        .into(),
                ),
                None if in_security_team => {
                    reasons.push("Chưa có kết quả xếp loại \"Hoàn thành tốt nhiệm vụ\" trở lên.".into())
                }
                _ => {}
            }
        }
        None => reasons
            .push("Chưa ghi giới tính nên chưa xác định được số năm cần (nam 15 năm, nữ 10 năm).".into()),
    }
    if !leader_spans.is_empty() {
        let need_tenths = (LEADER_YEARS * 10.0) as i64;
        let (leader_tenths, enough) = tenths(leader_days, LEADER_YEARS as i64, last_day(&leader_spans));
        let missing = (need_tenths - leader_tenths).max(0);
        let met = enough && commended > 0;
        tracks.push(Track {
            name: "Lãnh đạo cấp ủy, chính quyền, Mặt trận, đoàn thể",
            required_years: LEADER_YEARS,
            counted_years: leader_tenths as f64 / 10.0,
            missing_years: missing as f64 / 10.0,
            met,
        });
        if !enough {
            reasons.push(format!(
                "Thời gian giữ chức vụ lãnh đạo: {} năm; cần 10 năm, còn thiếu {} năm.",
                years_text(leader_tenths),
                years_text(missing)
            ));
        } else if commended == 0 {
            reasons.push(format!(
                "Thời gian giữ chức vụ lãnh đạo: {} năm, đủ 10 năm, nhưng chưa có khen thưởng nào về bảo vệ an ninh Tổ quốc được ghi nhận.",
                years_text(leader_tenths)
            ));
        } else {
            reasons.push(format!(
                "Thời gian giữ chức vụ lãnh đạo: {} năm, đủ 10 năm; đã được khen thưởng.",
                years_text(leader_tenths)
            ));
        }
    }
    if counted.iter().any(|c| c.period.difficult) {
        reasons.push(
            "Thời gian công tác ở vùng đặc biệt khó khăn, biên giới, hải đảo được tính hệ số 2.".into(),
        );
    }
    if !by_citizen_id {
        reasons.push("Chỉ tính thời gian ghi nhận tại đơn vị này; thời gian ở đơn vị khác được tính khi có số định danh cá nhân.".into());
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
        usize::from(already),
        if eligible {
            format!("{name} đủ điều kiện xét tặng Kỷ niệm chương \"Bảo vệ an ninh Tổ quốc\" (Thông tư 20/2025/TT-BCA).")
        } else {
            format!("{name} chưa đủ điều kiện xét tặng Kỷ niệm chương \"Bảo vệ an ninh Tổ quốc\" (Thông tư 20/2025/TT-BCA).")
        },
    );
    // Service elsewhere counts but is not the reader's to see in detail.
    let periods = counted
        .into_iter()
        .map(|c| {
            if c.period.visible {
                c.period
            } else {
                Period {
                    what: "Công tác ở đơn vị khác".into(),
                    from: String::new(),
                    to: None,
                    ..c.period
                }
            }
        })
        .collect();
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
        // Ten calendar years with two leap days are ten years; two days
        // short of fifteen are not fifteen.
        let ten = (date!(2013 - 01 - 01), date!(2022 - 12 - 31), 1);
        assert_eq!(
            tenths(weighted_days(&[ten]), 10, date!(2022 - 12 - 31)),
            (100, true)
        );
        let short = (date!(2010 - 01 - 04), date!(2024 - 12 - 31), 1);
        assert_eq!(
            tenths(weighted_days(&[short]), 15, date!(2024 - 12 - 31)),
            (149, false)
        );
        let woman = (date!(2015 - 01 - 03), date!(2024 - 12 - 31), 1);
        assert!(!tenths(weighted_days(&[woman]), 10, date!(2024 - 12 - 31)).1);
        assert_eq!(tenths(364, 1, date!(2021 - 12 - 31)).0, 9);
        assert_eq!(years_text(125), "12,5");
        assert_eq!(years_text(150), "15");
    }
}

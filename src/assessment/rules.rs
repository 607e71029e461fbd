//! Criteria antq computes from its own records, with the figure shown to
//! the assessor and the reviewer: the year's registration and the share of
//! households registered, the model points active in the period, the share
//! of a commune's villages and organisations recognised, the security
//! team's rating, key-area designations. A set names the rule of a
//! criterion (`"rule"`) and whether it decides alone (`"computed"`) or only
//! fails what the records already show failing (`"checked"`).

use sqlx::Row;

use super::Subject;
use crate::db::Db;
use crate::error::Result;
use crate::registry::ratings;
use crate::text::{format_date, format_decimal, format_int};

pub struct RuleDef {
    pub code: &'static str,
    pub label: &'static str,
    /// Subject kinds of a criteria set (criteria::SUBJECT_KINDS) it applies to.
    pub subjects: &'static [&'static str],
}

pub const RULES: [RuleDef; 6] = [
    RuleDef {
        code: "village_registration",
        label: "Đăng ký trong quý I, nghị quyết chi bộ, 100% hộ đang cư trú đăng ký",
        subjects: &["village"],
    },
    RuleDef {
        code: "village_key_area",
        label: "Không bị đưa vào địa bàn trọng điểm, phức tạp về ANTT trong kỳ",
        subjects: &["village"],
    },
    RuleDef {
        code: "village_team_rating",
        label: "Tổ bảo vệ ANTT của khu dân cư được đánh giá hoàn thành nhiệm vụ trở lên",
        subjects: &["village"],
    },
    RuleDef {
        code: "commune_registration_model",
        label: "Đăng ký trong quý I, nghị quyết Đảng ủy, kế hoạch UBND, ít nhất 01 mô hình hoạt động trong kỳ",
        subjects: &["commune"],
    },
    RuleDef {
        code: "subjects_recognised",
        label: "100% khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục đăng ký; từ 70% được công nhận",
        subjects: &["commune"],
    },
    RuleDef {
        code: "organisation_registration",
        label: "Đăng ký trong quý I, có kế hoạch bảo đảm ANTT",
        subjects: &["agency", "enterprise", "school"],
    },
];

pub fn find(code: &str) -> Option<&'static RuleDef> {
    RULES.iter().find(|r| r.code == code)
}

/// What a rule found: the figure in words, and whether it holds — `None`
/// when the records cannot tell (a rating not given yet), which leaves the
/// criterion to the assessor.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub value: String,
    pub holds: Option<bool>,
}

impl Outcome {
    pub fn fails(&self) -> bool {
        self.holds == Some(false)
    }
}

fn outcome(holds: bool, parts: Vec<String>) -> Outcome {
    Outcome {
        value: parts.join("; "),
        holds: Some(holds),
    }
}

/// The least whole number of subjects that is 70% of `total` (70% of 25 is 17,5: 18).
pub fn seventy_percent(total: i64) -> i64 {
    (7 * total + 9) / 10
}

fn percent(part: i64, total: i64) -> String {
    if total == 0 {
        return "0%".into();
    }
    let p = part as f64 * 100.0 / total as f64;
    if (p - p.round()).abs() < 1e-9 {
        format!("{}%", p.round() as i64)
    } else {
        format!("{}%", format_decimal(p, 1))
    }
}

pub async fn compute(db: &Db, rule: &str, s: &Subject, year: i64) -> Result<Outcome> {
    match rule {
        "village_registration" => village_registration(db, s, year).await,
        "village_key_area" => village_key_area(db, s).await,
        "village_team_rating" => village_team_rating(db, s, year).await,
        "commune_registration_model" => commune_registration_model(db, s, year).await,
        "subjects_recognised" => subjects_recognised(db, s, year).await,
        "organisation_registration" => organisation_registration(db, s, year).await,
        other => Ok(outcome(
            false,
            vec![format!("Quy tắc \"{other}\" không có trong antq.")],
        )),
    }
}

struct Reg {
    registered_on: String,
    resolution_ref: String,
    plan_ref: String,
    resident: Option<i64>,
    registered: Option<i64>,
}

async fn registration(db: &Db, kind: &str, id: &str, year: i64) -> Result<Option<Reg>> {
    let row = sqlx::query(
        "SELECT registered_on, resolution_ref, plan_ref, households_resident, households_registered \
         FROM registrations WHERE subject_kind = $1 AND subject_id = $2 AND year = $3",
    )
    .bind(kind)
    .bind(id)
    .bind(year)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some(Reg {
            registered_on: r.try_get("registered_on")?,
            resolution_ref: r.try_get("resolution_ref")?,
            plan_ref: r.try_get("plan_ref")?,
            resident: r.try_get("households_resident")?,
            registered: r.try_get("households_registered")?,
        }),
        None => None,
    })
}

/// "Quý I hằng năm": the registration is dated on or before 31/03 of the year.
fn in_first_quarter(reg: &Reg, year: i64, parts: &mut Vec<String>) -> bool {
    let ok = reg.registered_on.as_str() <= format!("{year:04}-03-31").as_str();
    parts.push(if ok {
        format!("Đăng ký ngày {}", format_date(&reg.registered_on))
    } else {
        format!(
            "Đăng ký ngày {}, sau quý I năm {year}",
            format_date(&reg.registered_on)
        )
    });
    ok
}

fn reference(value: &str, what: &str, parts: &mut Vec<String>) -> bool {
    if value.trim().is_empty() {
        parts.push(format!("chưa ghi {what}"));
        false
    } else {
        parts.push(format!("{what}: {value}"));
        true
    }
}

async fn village_registration(db: &Db, s: &Subject, year: i64) -> Result<Outcome> {
    let Some(reg) = registration(db, "village", &s.id, year).await? else {
        return Ok(outcome(
            false,
            vec![format!("Chưa có đăng ký phấn đấu năm {year}")],
        ));
    };
    let mut parts = Vec::new();
    let quarter = in_first_quarter(&reg, year, &mut parts);
    let resolution = reference(&reg.resolution_ref, "nghị quyết của chi bộ", &mut parts);
    let households = match (reg.registered, reg.resident) {
        (Some(done), Some(all)) if all > 0 => {
            let ok = done >= all;
            parts.push(format!(
                "{}/{} hộ đang cư trú đăng ký ({}){}",
                format_int(done),
                format_int(all),
                percent(done.min(all), all),
                if ok { "" } else { ", chưa đủ 100%" }
            ));
            ok
        }
        _ => {
            parts.push("chưa ghi số hộ đang cư trú và số hộ đăng ký".into());
            false
        }
    };
    Ok(outcome(quarter && resolution && households, parts))
}

async fn village_key_area(db: &Db, s: &Subject) -> Result<Outcome> {
    let rows = sqlx::query(
        "SELECT held_on, decision_ref FROM activities WHERE kind = 'key_area' AND subtype = 'dua_vao' \
         AND village_id = $1 AND cancelled_at IS NULL AND held_on >= $2 AND held_on <= $3 ORDER BY held_on",
    )
    .bind(s.village_id)
    .bind(&s.period_from)
    .bind(&s.period_to)
    .fetch_all(&db.pool)
    .await?;
    if rows.is_empty() {
        return Ok(outcome(
            true,
            vec!["Không có quyết định đưa vào địa bàn trọng điểm, phức tạp về ANTT trong kỳ đánh giá".into()],
        ));
    }
    let mut parts = Vec::new();
    for r in rows {
        let on: String = r.try_get("held_on")?;
        let decision: String = r.try_get("decision_ref")?;
        let number = if decision.is_empty() {
            String::new()
        } else {
            format!(" số {decision}")
        };
        parts.push(format!(
            "Quyết định{number} ngày {} đưa vào địa bàn trọng điểm, phức tạp về ANTT",
            format_date(&on)
        ));
    }
    Ok(outcome(false, parts))
}

async fn village_team_rating(db: &Db, s: &Subject, year: i64) -> Result<Outcome> {
    let (first, last) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let rows = sqlx::query(
        "SELECT t.name, t.established_on, t.dissolved_on, r.level FROM team_villages tv JOIN teams t ON t.id = tv.team_id \
         LEFT JOIN ratings r ON r.subject_kind = 'team' AND r.subject_id = t.id AND r.year = $2 \
         WHERE tv.village_id = $1 AND t.established_on <= $3 AND (t.dissolved_on IS NULL OR t.dissolved_on >= $4) \
         ORDER BY t.name",
    )
    .bind(s.village_id)
    .bind(year)
    .bind(&last)
    .bind(&first)
    .fetch_all(&db.pool)
    .await?;
    // A village decided before 15/11 is often judged before its teams' ratings
    // (the rating period runs to 14/11): a missing rating is not a failure,
    // it leaves the criterion to the assessor.
    let unknown = |parts: Vec<String>| Outcome {
        value: parts.join("; "),
        holds: None,
    };
    if rows.is_empty() {
        return Ok(unknown(vec![
            "Chưa ghi nhận tổ bảo vệ ANTT nào của khu dân cư; người đánh giá kết luận".into(),
        ]));
    }
    let mut holds = true;
    let mut rated = 0;
    let mut unrated = 0;
    let mut parts = Vec::new();
    for r in rows {
        let name: String = r.try_get("name")?;
        let level: Option<String> = r.try_get("level")?;
        let began: String = r.try_get("established_on")?;
        let ended: Option<String> = r.try_get("dissolved_on")?;
        match level.as_deref() {
            Some(l) => {
                rated += 1;
                holds &= l != "khong_hoan_thanh";
                parts.push(format!("{name}: {} (năm {year})", ratings::level_label(l)));
            }
            // Hướng dẫn 01/HD-BCA-V05: a team with under 9 months in the
            // period is not rated, and so cannot fail this criterion.
            None if !ratings::served_nine_months(&began, ended.as_deref(), year) => {
                parts.push(format!(
                    "{name}: hoạt động chưa đủ 9 tháng trong kỳ, không xếp loại năm {year}"
                ));
            }
            None => {
                unrated += 1;
                parts.push(format!("{name}: chưa có kết quả xếp loại năm {year}"));
            }
        }
    }
    if holds && (unrated > 0 || rated == 0) {
        return Ok(unknown(parts));
    }
    Ok(outcome(holds, parts))
}

async fn commune_registration_model(db: &Db, s: &Subject, year: i64) -> Result<Outcome> {
    let mut parts = Vec::new();
    let registered = match registration(db, "commune", &s.id, year).await? {
        None => {
            parts.push(format!("Chưa có đăng ký phấn đấu năm {year}"));
            false
        }
        Some(reg) => {
            let quarter = in_first_quarter(&reg, year, &mut parts);
            let resolution = reference(&reg.resolution_ref, "nghị quyết của Đảng ủy", &mut parts);
            let plan = reference(&reg.plan_ref, "kế hoạch của UBND", &mut parts);
            quarter && resolution && plan
        }
    };
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT p.name FROM model_points p WHERE p.commune_code = $1 AND p.status <> 'tam_dung' \
         AND p.started_on <= $2 AND (p.ended_on IS NULL OR p.ended_on >= $3) ORDER BY p.name",
    )
    .bind(&s.id)
    .bind(&s.period_to)
    .bind(&s.period_from)
    .fetch_all(&db.pool)
    .await?;
    let models = !names.is_empty();
    if models {
        let shown: Vec<&str> = names.iter().take(3).map(String::as_str).collect();
        let more = if names.len() > 3 {
            format!(" và {} mô hình khác", names.len() - 3)
        } else {
            String::new()
        };
        parts.push(format!(
            "{} mô hình hoạt động trong kỳ ({}{more})",
            format_int(names.len() as i64),
            shown.join(", ")
        ));
    } else {
        parts.push("không có mô hình nào hoạt động trong kỳ".into());
    }
    Ok(outcome(registered && models, parts))
}

async fn subjects_recognised(db: &Db, s: &Subject, year: i64) -> Result<Outcome> {
    // The commune's villages and the organisations it manages, with whether
    // each registered for the year and was recognised: its newest decided
    // version approved with result đạt (the decision of recognition; the
    // certificate may follow).
    let row = sqlx::query(
        "SELECT COUNT(*) AS total, \
         COALESCE(SUM(CASE WHEN reg.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS registered, \
         COALESCE(SUM(CASE WHEN rec.id IS NOT NULL THEN 1 ELSE 0 END), 0) AS recognised \
         FROM (SELECT 'village' AS kind, CAST(v.id AS TEXT) AS sid FROM villages v \
               WHERE v.commune_code = $1 AND v.active = 1 \
               UNION ALL SELECT 'organisation', CAST(o.id AS TEXT) FROM organisations o \
               WHERE o.unit_code = $1 AND o.active = 1 AND o.antt_excluded = 0) subj \
         LEFT JOIN registrations reg ON reg.subject_kind = subj.kind AND reg.subject_id = subj.sid AND reg.year = $2 \
         LEFT JOIN assessments rec ON rec.programme = 'an_toan' AND rec.subject_kind = subj.kind \
              AND rec.subject_id = subj.sid AND rec.year = $2 AND rec.replaced = 0 \
              AND rec.status IN ('approved', 'recognised') AND rec.result = 'dat'",
    )
    .bind(&s.id)
    .bind(year)
    .fetch_one(&db.pool)
    .await?;
    let (total, registered, recognised): (i64, i64, i64) = (
        row.try_get("total")?,
        row.try_get("registered")?,
        row.try_get("recognised")?,
    );
    if total == 0 {
        return Ok(outcome(
            false,
            vec!["Xã chưa ghi khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục nào".into()],
        ));
    }
    let need = seventy_percent(total);
    let all_registered = registered == total;
    let enough = recognised >= need;
    Ok(outcome(
        all_registered && enough,
        vec![
            format!(
                "Khu dân cư, cơ quan, doanh nghiệp, cơ sở giáo dục: {}",
                format_int(total)
            ),
            format!(
                "đăng ký {}/{} ({}){}",
                format_int(registered),
                format_int(total),
                percent(registered, total),
                if all_registered { "" } else { ", chưa đủ 100%" }
            ),
            format!(
                "được công nhận {}/{} ({}), cần ít nhất {}",
                format_int(recognised),
                format_int(total),
                percent(recognised, total),
                format_int(need)
            ),
        ],
    ))
}

async fn organisation_registration(db: &Db, s: &Subject, year: i64) -> Result<Outcome> {
    let Some(reg) = registration(db, "organisation", &s.id, year).await? else {
        return Ok(outcome(
            false,
            vec![format!("Chưa có đăng ký phấn đấu năm {year}")],
        ));
    };
    let mut parts = Vec::new();
    let quarter = in_first_quarter(&reg, year, &mut parts);
    let plan = reference(&reg.plan_ref, "kế hoạch bảo đảm ANTT", &mut parts);
    if !reg.resolution_ref.trim().is_empty() {
        parts.push(format!("nghị quyết {}", reg.resolution_ref));
    }
    Ok(outcome(quarter && plan, parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventy_percent_rounds_up() {
        assert_eq!(seventy_percent(25), 18);
        assert_eq!(seventy_percent(10), 7);
        assert_eq!(seventy_percent(1), 1);
        assert_eq!(seventy_percent(3), 3);
        assert_eq!(percent(9, 12), "75%");
        assert_eq!(percent(2, 3), "66,7%");
    }
}

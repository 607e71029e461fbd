//! Who gives and who receives an award: the recipient named by a draft
//! (looked up inside the actor's scope), the issuer on the map of the
//! decision date and whether it covered the recipient then (the 2025
//! crosswalk for pre-2025 provinces, districts and communes), the event an
//! award was handed out at, and the issuers a form offers.

use serde_json::Value;
use sqlx::Row;

use super::{AwardDraft, ISSUERS, Issuer, RECIPIENT_KINDS, issuer_name};
use crate::activities::{OldUnit, REFORM_DAY, current_unit, formed_from, plain_predecessor, province_of};
use crate::auth::Scope;
use crate::db::{Db, Tx};
use crate::error::{AppError, Invalid, Result};
use crate::input::{required_text, shorten, value_text};
use crate::registry::teams::{GENDERS, person_key};
use crate::units::{UNIT_COLUMNS, Unit};

/// The resolved recipient: what to store and the unit path the actor must hold.
pub(super) struct Recipient {
    pub(super) kind: &'static str,
    pub(super) reference: String,
    pub(super) name: String,
    pub(super) unit: Unit,
    pub(super) path: String,
    pub(super) member_id: Option<i64>,
    pub(super) person_key: Option<String>,
    pub(super) birth_year: Option<i64>,
    pub(super) gender: Option<String>,
    pub(super) citizen_id: String,
    /// A team must exist on the decision date.
    pub(super) established_on: Option<String>,
}

fn text_of(v: Option<&Value>) -> String {
    v.filter(|v| !v.is_null())
        .and_then(value_text)
        .map(|t| t.trim().to_string())
        .unwrap_or_default()
}

/// The recipient named by the draft. Villages, teams, organisations and
/// members are looked up inside the actor's scope only, so an id outside it
/// reads exactly like an id that does not exist.
pub(super) async fn recipient(
    tx: &mut Tx,
    inv: &mut Invalid,
    scope: &Scope,
    d: &AwardDraft,
) -> Result<Option<Recipient>> {
    let kind = match d.recipient_kind.as_deref().map(str::trim).unwrap_or_default() {
        k @ ("unit" | "village" | "team" | "organisation" | "person") => RECIPIENT_KINDS
            .iter()
            .map(|(c, _)| *c)
            .find(|c| *c == k)
            .unwrap_or("person"),
        other => {
            inv.add(
                "recipient_kind",
                format!(
                    "Đối tượng được khen: \"{}\" không hợp lệ (unit, village, team, organisation, person).",
                    shorten(other)
                ),
            );
            return Ok(None);
        }
    };
    if kind == "person" {
        return person(tx, inv, scope, d).await;
    }
    let reference = text_of(d.recipient_ref.as_ref());
    let found: Option<(String, String, Option<String>)> = match kind {
        "unit" => current_unit(tx, &reference)
            .await?
            .filter(|u| u.level == "commune" || u.level == "province")
            .map(|u| (u.name.clone(), u.code.clone(), None)),
        _ => {
            let sql = match kind {
                "village" => {
                    "SELECT name, commune_code AS unit_code, NULL AS since FROM villages \
                     WHERE id = $1 AND active = 1 AND scope_path LIKE $2"
                }
                "team" => {
                    "SELECT name, commune_code AS unit_code, established_on AS since FROM teams \
                     WHERE id = $1 AND active = 1 AND scope_path LIKE $2"
                }
                _ => {
                    "SELECT name, unit_code, NULL AS since FROM organisations \
                     WHERE id = $1 AND active = 1 AND scope_path LIKE $2"
                }
            };
            match reference.parse::<i64>() {
                Ok(id) => sqlx::query(sql)
                    .bind(id)
                    .bind(scope.like())
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(|r| {
                        Ok::<_, sqlx::Error>((
                            r.try_get("name")?,
                            r.try_get("unit_code")?,
                            r.try_get("since")?,
                        ))
                    })
                    .transpose()?,
                Err(_) => None,
            }
        }
    };
    let Some((name, unit_code, since)) = found else {
        let what = match kind {
            "unit" => "xã hoặc tỉnh",
            "village" => "thôn, tổ dân phố",
            "team" => "tổ, đội",
            _ => "cơ quan, doanh nghiệp, trường học",
        };
        inv.add(
            "recipient_ref",
            format!(
                "Đối tượng được khen: không có {what} mã \"{}\" trong phạm vi của bạn.",
                shorten(&reference)
            ),
        );
        return Ok(None);
    };
    let unit = current_unit(tx, &unit_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Some(Recipient {
        kind,
        reference,
        name,
        path: unit.path.clone(),
        unit,
        member_id: None,
        person_key: None,
        birth_year: None,
        gender: None,
        citizen_id: String::new(),
        established_on: since,
    }))
}

/// A person: a team member by id, or someone named with their unit.
async fn person(tx: &mut Tx, inv: &mut Invalid, scope: &Scope, d: &AwardDraft) -> Result<Option<Recipient>> {
    let member = text_of(d.member_id.as_ref());
    if !member.is_empty() {
        let row = match member.parse::<i64>() {
            Ok(id) => {
                sqlx::query(
                    "SELECT m.id, m.full_name, m.birth_year, m.gender, m.citizen_id, m.person_key, t.commune_code \
                     FROM members m JOIN teams t ON t.id = m.team_id WHERE m.id = $1 AND m.scope_path LIKE $2",
                )
                .bind(id)
                .bind(scope.like())
                .fetch_optional(&mut **tx)
                .await?
            }
            Err(_) => None,
        };
        let Some(r) = row else {
            inv.add(
                "member_id",
                format!(
                    "Thành viên: không có thành viên mã \"{}\" trong phạm vi của bạn.",
                    shorten(&member)
                ),
            );
            return Ok(None);
        };
        let unit = current_unit(tx, &r.try_get::<String, _>("commune_code")?)
            .await?
            .ok_or_else(AppError::not_found)?;
        return Ok(Some(Recipient {
            kind: "person",
            reference: format!("member:{}", r.try_get::<i64, _>("id")?),
            person_key: Some(r.try_get("person_key")?),
            name: r.try_get("full_name")?,
            path: unit.path.clone(),
            unit,
            member_id: Some(r.try_get("id")?),
            birth_year: Some(r.try_get("birth_year")?),
            gender: Some(r.try_get("gender")?),
            citizen_id: r.try_get("citizen_id")?,
            established_on: None,
        }));
    }
    let name = required_text(inv, "full_name", "Họ và tên", d.full_name.as_deref(), 200);
    let this_year = i64::from(crate::input::today().year());
    let birth = match text_of(d.birth_year.as_ref()).parse::<i64>() {
        Ok(y) if (1900..=this_year).contains(&y) => Some(y),
        _ if text_of(d.birth_year.as_ref()).is_empty() => None,
        _ => {
            inv.add("birth_year", format!("Năm sinh: phải từ 1900 đến {this_year}."));
            None
        }
    };
    let gender = match d.gender.as_deref().map(str::trim).unwrap_or_default() {
        "" => None,
        g => match GENDERS
            .iter()
            .find(|(c, l)| *c == g || crate::text::fold(l) == crate::text::fold(g))
        {
            Some((c, _)) => Some((*c).to_string()),
            None => {
                inv.add("gender", "Giới tính: chọn nam hoặc nữ.");
                None
            }
        },
    };
    let cid = d
        .citizen_id
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let well_formed = cid.len() == 12 && cid.chars().all(|c| c.is_ascii_digit());
    if !cid.is_empty() && !well_formed {
        inv.add("citizen_id", "Số định danh cá nhân: gồm 12 chữ số.");
    }
    let code = d.unit_code.as_deref().map(str::trim).unwrap_or_default();
    let unit = current_unit(tx, code)
        .await?
        .filter(|u| u.level == "commune" || u.level == "province");
    if unit.is_none() {
        inv.add(
            "unit_code",
            format!(
                "Đơn vị của cá nhân: không có xã hoặc tỉnh mã \"{}\".",
                shorten(code)
            ),
        );
    }
    let (Some(unit), false) = (unit, name.is_empty()) else {
        return Ok(None);
    };
    // Without a birth year and gender (or a citizen id) a person cannot be
    // told apart from a namesake, and the once-only rule could not hold.
    let key = match (birth, &gender) {
        _ if !cid.is_empty() => Some(person_key(&name, 0, "", &cid)),
        (Some(b), Some(g)) => Some(person_key(&name, b, g, &cid)),
        _ => None,
    };
    Ok(Some(Recipient {
        kind: "person",
        reference: String::new(),
        name,
        path: unit.path.clone(),
        unit,
        member_id: None,
        person_key: key,
        birth_year: birth,
        gender,
        citizen_id: cid,
        established_on: None,
    }))
}

/// Who issued the award: the issuer's unit on the map of the decision date,
/// checked to cover the recipient, and — for a decision before 1/7/2025 —
/// the pre-2025 unit the recipient belonged to (named by `legacy_code`, or
/// the only one its unit was formed from; a unit formed from several must
/// be told which when the issuer covers only some of them).
pub(super) struct Issued {
    pub(super) era: &'static str,
    pub(super) unit: Unit,
    pub(super) recipient_old: Option<OldUnit>,
}

pub(super) async fn issued(
    tx: &mut Tx,
    inv: &mut Invalid,
    issuer: &Issuer,
    d: &AwardDraft,
    decided_on: &str,
    to: &Recipient,
) -> Result<Option<Issued>> {
    let legacy = decided_on < REFORM_DAY;
    let era = if legacy { "legacy" } else { "current" };
    if let Some(wanted) = d.issuer_era.as_deref().map(str::trim).filter(|e| !e.is_empty())
        && issuer.level != "nation"
        && wanted != era
    {
        inv.add(
            "issuer_kind",
            if legacy {
                "Cơ quan tặng: quyết định trước 01/07/2025 chọn cơ quan của đơn vị hành chính trước sắp xếp."
            } else {
                "Cơ quan tặng: quyết định từ 01/07/2025 chọn cơ quan của đơn vị hành chính hiện hành."
            },
        );
        return Ok(None);
    }
    let raw_old = d.legacy_code.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if !legacy && raw_old.is_some() {
        inv.add(
            "legacy_code",
            "Đơn vị trước sắp xếp: chỉ ghi cho quyết định trước ngày 01/07/2025.",
        );
        return Ok(None);
    }
    if issuer.level == "district" && !legacy {
        inv.add(
            "issuer_kind",
            "Cơ quan tặng: cấp huyện không còn từ ngày 01/07/2025.",
        );
        return Ok(None);
    }
    // The recipient on the old map.
    let candidates = if legacy {
        formed_from(tx, &to.unit).await?
    } else {
        Vec::new()
    };
    let recipient_old = match raw_old {
        Some(code) => match candidates.iter().find(|c| c.code == code) {
            Some(c) => Some(c.clone()),
            None => {
                inv.add(
                    "legacy_code",
                    format!(
                        "Đơn vị trước sắp xếp: mã \"{}\" không phải đơn vị đã hợp thành {}.",
                        shorten(code),
                        to.unit.name
                    ),
                );
                return Ok(None);
            }
        },
        None => plain_predecessor(&candidates),
    };
    if issuer.level == "nation" {
        let unit = current_unit(tx, "VN").await?.ok_or_else(AppError::not_found)?;
        return Ok(Some(Issued {
            era: "current",
            unit,
            recipient_old,
        }));
    }
    let code = match d.issuer_unit.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(c.to_string()),
        None if !legacy => match issuer.level {
            "province" => Some(province_of(&to.unit)),
            _ if to.unit.level == "commune" => Some(to.unit.code.clone()),
            _ => None,
        },
        // On the old map the issuer follows from where the recipient was.
        None => recipient_old.as_ref().and_then(|old| {
            let parts: Vec<&str> = old.path.trim_matches('/').split('/').collect();
            let depth = match issuer.level {
                "province" => 1,
                "district" => 2,
                _ => 3,
            };
            parts.get(depth).map(|c| (*c).to_string())
        }),
    };
    let Some(code) = code else {
        if legacy && recipient_old.is_none() {
            inv.add(
                "legacy_code",
                format!(
                    "Đơn vị trước sắp xếp: {} được hợp thành từ nhiều đơn vị; ghi mã đơn vị (trước 01/07/2025) của đối tượng.",
                    to.unit.name
                ),
            );
        } else {
            inv.add("issuer_unit", "Đơn vị của cơ quan tặng: ghi mã đơn vị.");
        }
        return Ok(None);
    };
    let row = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS} FROM units u WHERE u.era = $1 AND u.code = $2 AND u.level = $3"
    ))
    .bind(era)
    .bind(&code)
    .bind(issuer.level)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(unit) = row.map(|r| Unit::from_row(&r)).transpose()? else {
        let map = if legacy {
            "trước 01/07/2025"
        } else {
            "hiện hành"
        };
        inv.add(
            "issuer_unit",
            format!(
                "Đơn vị của cơ quan tặng: không có {} mã \"{}\" trên bản đồ {map}.",
                crate::units::level_label(issuer.level).to_lowercase(),
                shorten(&code)
            ),
        );
        return Ok(None);
    };
    let covers = if !legacy {
        to.path.starts_with(&unit.path)
    } else {
        match &recipient_old {
            Some(old) => old.path.starts_with(&unit.path),
            // A unit with no old commune (the island zones were districts
            // without communes): its old province's authorities covered it.
            None if candidates.is_empty() && issuer.level == "province" => {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM province_crosswalk_2025 WHERE old_code = $1 AND new_code = $2",
                )
                .bind(&unit.code)
                .bind(province_of(&to.unit))
                .fetch_one(&mut **tx)
                .await?;
                n > 0
            }
            // Formed from several old units: the issuer must cover them all,
            // or the recipient's own old unit must be named.
            None => !candidates.is_empty() && candidates.iter().all(|c| c.path.starts_with(&unit.path)),
        }
    };
    if !covers {
        if legacy && recipient_old.is_none() && candidates.iter().any(|c| c.path.starts_with(&unit.path)) {
            inv.add(
                "legacy_code",
                format!(
                    "Đơn vị trước sắp xếp: {} được hợp thành từ nhiều đơn vị; ghi mã đơn vị (trước 01/07/2025) của đối tượng.",
                    to.unit.name
                ),
            );
        } else {
            inv.add(
                "issuer_unit",
                format!(
                    "Cơ quan tặng: {} không có thẩm quyền khen thưởng {} (ngoài địa bàn).",
                    issuer_name(issuer, &unit),
                    to.name
                ),
            );
        }
        return Ok(None);
    }
    Ok(Some(Issued {
        era,
        unit,
        recipient_old,
    }))
}

/// The event an award was handed out at: a festival day, a programme review
/// or a conference, in the actor's scope, not cancelled, and in the same
/// subtree as the recipient (a province's review commends its communes).
pub(super) async fn event(
    tx: &mut Tx,
    inv: &mut Invalid,
    scope: &Scope,
    d: &AwardDraft,
    to: Option<&Recipient>,
) -> Result<(Option<String>, Option<i64>)> {
    let kind = d.event_kind.as_deref().map(str::trim).unwrap_or_default();
    let id = text_of(d.event_id.as_ref());
    if kind.is_empty() && id.is_empty() {
        return Ok((None, None));
    }
    let sql = match kind {
        "festival_day" => "SELECT scope_path FROM festival_days WHERE id = $1 AND scope_path LIKE $2",
        "programme_review" => "SELECT scope_path FROM programme_reviews WHERE id = $1 AND scope_path LIKE $2",
        "activity" => {
            "SELECT scope_path FROM activities WHERE id = $1 AND scope_path LIKE $2 AND kind = 'conference' \
             AND cancelled_at IS NULL"
        }
        _ => {
            inv.add(
                "event_kind",
                "Sự kiện trao tặng: festival_day, programme_review hoặc activity (hội nghị).",
            );
            return Ok((None, None));
        }
    };
    let found: Option<String> = match id.parse::<i64>() {
        Ok(n) => {
            sqlx::query_scalar(sql)
                .bind(n)
                .bind(scope.like())
                .fetch_optional(&mut **tx)
                .await?
        }
        Err(_) => None,
    };
    match found {
        None => inv.add(
            "event_id",
            format!(
                "Sự kiện trao tặng: không có sự kiện mã \"{}\" trong phạm vi của bạn.",
                shorten(&id)
            ),
        ),
        Some(path) if to.is_some_and(|t| !t.path.starts_with(&path) && !path.starts_with(&t.path)) => inv
            .add(
                "event_id",
                "Sự kiện trao tặng: sự kiện của đơn vị khác, không phải nơi đối tượng được khen.",
            ),
        Some(_) => {}
    }
    Ok((Some(kind.to_string()), id.parse::<i64>().ok()))
}

/// The issuers an award form offers for a recipient in this unit, as
/// (form value "issuer:unit:era", label): the ministry; the province's and
/// the commune's authorities of today; and, for decisions before 1/7/2025,
/// those of the provinces, districts and communes the unit was formed from.
pub async fn issuer_choices(db: &Db, unit: &Unit) -> Result<Vec<(String, String)>> {
    let mut out = vec![("bo_cong_an:VN:current".to_string(), "Bộ Công an".to_string())];
    let choice = |i: &Issuer, u: &Unit, era: &str| {
        let label = if era == "legacy" {
            format!("{} (trước 01/07/2025)", issuer_name(i, u))
        } else {
            issuer_name(i, u)
        };
        (format!("{}:{}:{era}", i.code, u.code), label)
    };
    if unit.level == "nation" {
        return Ok(out);
    }
    if let Some(p) = crate::units::find_current(db, &province_of(unit)).await? {
        out.extend(
            ISSUERS
                .iter()
                .filter(|i| i.level == "province")
                .map(|i| choice(i, &p, "current")),
        );
    }
    if unit.level == "commune" {
        out.extend(
            ISSUERS
                .iter()
                .filter(|i| i.level == "commune")
                .map(|i| choice(i, unit, "current")),
        );
    }
    // The old units, ancestors included, that the unit was formed from.
    let mut tx = db.begin_read().await?;
    let old = formed_from(&mut tx, unit).await?;
    tx.commit().await?;
    let mut seen = std::collections::BTreeSet::new();
    for level in ["province", "district", "commune"] {
        for o in &old {
            let parts: Vec<&str> = o.path.trim_matches('/').split('/').collect();
            let depth = match level {
                "province" => 1,
                "district" => 2,
                _ => 3,
            };
            let Some(code) = parts.get(depth) else { continue };
            if !seen.insert((level, code.to_string())) {
                continue;
            }
            if let Some(u) = crate::units::find(db, "legacy", code)
                .await?
                .filter(|u| u.level == level)
            {
                out.extend(
                    ISSUERS
                        .iter()
                        .filter(|i| i.level == level)
                        .map(|i| choice(i, &u, "legacy")),
                );
            }
        }
    }
    Ok(out)
}

//! Awards (thi đua, khen thưởng): Cờ thi đua, Bằng khen, Giấy khen and the
//! Kỷ niệm chương "Bảo vệ an ninh Tổ quốc"; who issued them (an authority at
//! a unit of the map in force on the decision date), to whom (a collective
//! or a person), by which decision, and at which event. The Kỷ niệm chương
//! is given once per person (Thông tư 20/2025/TT-BCA); its eligibility is
//! computed in `eligibility.rs`. Counting follows the seeds: per event,
//! issuer and type, collectives and individuals.

pub mod api;
pub mod eligibility;
pub mod io;
pub mod pages;
mod parties;

pub use parties::issuer_choices;
use parties::{event, issued, recipient};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::activities::{past_date, province_of};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{optional_text, required_text, shorten};
use crate::text::format_date;
use crate::units::Unit;

pub const TYPES: [(&str, &str); 4] = [
    ("co_thi_dua", "Cờ thi đua"),
    ("bang_khen", "Bằng khen"),
    ("giay_khen", "Giấy khen"),
    ("ky_niem_chuong", "Kỷ niệm chương \"Bảo vệ an ninh Tổ quốc\""),
];

pub const BADGE: &str = "ky_niem_chuong";

pub const RECIPIENT_KINDS: [(&str, &str); 5] = [
    ("unit", "Xã, phường, tỉnh (tập thể)"),
    ("village", "Thôn, tổ dân phố (tập thể)"),
    ("team", "Tổ, đội (tập thể)"),
    ("organisation", "Cơ quan, doanh nghiệp, trường học (tập thể)"),
    ("person", "Cá nhân"),
];

pub const EVENT_KINDS: [(&str, &str); 3] = [
    ("festival_day", "Ngày hội toàn dân bảo vệ ANTQ"),
    (
        "programme_review",
        "Hội nghị sơ kết, tổng kết chương trình phối hợp",
    ),
    ("activity", "Hội nghị sơ kết, tổng kết"),
];

/// An authority that issues awards: the words before its unit's name, the
/// level of that unit, and the award types it gives (Luật Thi đua, khen
/// thưởng 2022 Điều 79–80; Thông tư 20/2025/TT-BCA for the Kỷ niệm chương).
pub struct Issuer {
    pub code: &'static str,
    pub prefix: &'static str,
    pub level: &'static str,
    pub types: &'static [&'static str],
}

pub const ISSUERS: [Issuer; 9] = [
    Issuer {
        code: "bo_cong_an",
        prefix: "Bộ Công an",
        level: "nation",
        types: &["co_thi_dua", "bang_khen", BADGE],
    },
    Issuer {
        code: "chu_tich_ubnd_tinh",
        prefix: "Chủ tịch UBND",
        level: "province",
        types: &["co_thi_dua", "bang_khen"],
    },
    Issuer {
        code: "ubnd_tinh",
        prefix: "UBND",
        level: "province",
        types: &["co_thi_dua", "bang_khen"],
    },
    Issuer {
        code: "ubmttq_tinh",
        prefix: "Ủy ban MTTQ Việt Nam",
        level: "province",
        types: &["bang_khen", "giay_khen"],
    },
    Issuer {
        code: "giam_doc_cong_an_tinh",
        prefix: "Giám đốc Công an",
        level: "province",
        types: &["giay_khen"],
    },
    Issuer {
        code: "cong_an_tinh",
        prefix: "Công an",
        level: "province",
        types: &["giay_khen"],
    },
    Issuer {
        code: "ubnd_huyen",
        prefix: "UBND",
        level: "district",
        types: &["giay_khen"],
    },
    Issuer {
        code: "chu_tich_ubnd_xa",
        prefix: "Chủ tịch UBND",
        level: "commune",
        types: &["giay_khen"],
    },
    Issuer {
        code: "ubnd_xa",
        prefix: "UBND",
        level: "commune",
        types: &["giay_khen"],
    },
];

pub fn issuer(code: &str) -> Option<&'static Issuer> {
    ISSUERS.iter().find(|i| i.code == code)
}

pub fn type_label(code: &str) -> &'static str {
    crate::activities::label(&TYPES, code)
}

/// "Giám đốc Công an tỉnh Lai Châu", "UBND huyện Phong Thổ", "Bộ Công an".
pub fn issuer_name(issuer: &Issuer, unit: &Unit) -> String {
    if issuer.level == "nation" {
        return issuer.prefix.to_string();
    }
    format!(
        "{} {} {}",
        issuer.prefix,
        unit.unit_type.to_lowercase(),
        unit.short_name()
    )
}

#[derive(Clone, Debug, Serialize)]
pub struct Award {
    pub id: i64,
    pub award_type: String,
    pub issuer_kind: String,
    pub issuer_era: String,
    pub issuer_unit: String,
    pub issuer_name: String,
    pub recipient_kind: String,
    pub recipient_ref: String,
    pub recipient_name: String,
    pub member_id: Option<i64>,
    pub birth_year: Option<i64>,
    pub gender: Option<String>,
    pub position: String,
    pub unit_code: String,
    pub decision_number: String,
    pub decided_on: String,
    pub reason: String,
    pub event_kind: Option<String>,
    pub event_id: Option<i64>,
    pub note: String,
    /// The recipient's pre-2025 unit, for decisions before 1/7/2025.
    pub recipient_legacy_code: Option<String>,
    pub recipient_legacy_name: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: String,
    #[serde(skip)]
    pub person_key: Option<String>,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "id, award_type, issuer_kind, issuer_era, issuer_unit, issuer_name, recipient_kind, recipient_ref, \
     recipient_name, member_id, birth_year, gender, position, unit_code, decision_number, decided_on, reason, \
     event_kind, event_id, note, recipient_legacy_code, recipient_legacy_name, cancelled_at, cancel_reason, person_key, \
     scope_path";

impl Award {
    fn from_row(r: &AnyRow) -> Result<Award, sqlx::Error> {
        Ok(Award {
            id: r.try_get("id")?,
            award_type: r.try_get("award_type")?,
            issuer_kind: r.try_get("issuer_kind")?,
            issuer_era: r.try_get("issuer_era")?,
            issuer_unit: r.try_get("issuer_unit")?,
            issuer_name: r.try_get("issuer_name")?,
            recipient_kind: r.try_get("recipient_kind")?,
            recipient_ref: r.try_get("recipient_ref")?,
            recipient_name: r.try_get("recipient_name")?,
            member_id: r.try_get("member_id")?,
            birth_year: r.try_get("birth_year")?,
            gender: r.try_get("gender")?,
            position: r.try_get("position")?,
            unit_code: r.try_get("unit_code")?,
            decision_number: r.try_get("decision_number")?,
            decided_on: r.try_get("decided_on")?,
            reason: r.try_get("reason")?,
            event_kind: r.try_get("event_kind")?,
            event_id: r.try_get("event_id")?,
            note: r.try_get("note")?,
            recipient_legacy_code: r.try_get("recipient_legacy_code")?,
            recipient_legacy_name: r.try_get("recipient_legacy_name")?,
            cancelled_at: r.try_get("cancelled_at")?,
            cancel_reason: r.try_get("cancel_reason")?,
            person_key: r.try_get("person_key")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn type_label(&self) -> &'static str {
        type_label(&self.award_type)
    }

    /// An award with only what counting needs (type, issuer, recipient kind).
    pub fn light(
        award_type: String,
        issuer_kind: String,
        issuer_name: String,
        recipient_kind: String,
    ) -> Award {
        Award {
            id: 0,
            award_type,
            issuer_kind,
            issuer_era: String::new(),
            issuer_unit: String::new(),
            issuer_name,
            recipient_kind,
            recipient_ref: String::new(),
            recipient_name: String::new(),
            member_id: None,
            birth_year: None,
            gender: None,
            position: String::new(),
            unit_code: String::new(),
            decision_number: String::new(),
            decided_on: String::new(),
            reason: String::new(),
            event_kind: None,
            event_id: None,
            note: String::new(),
            recipient_legacy_code: None,
            recipient_legacy_name: None,
            cancelled_at: None,
            cancel_reason: String::new(),
            person_key: None,
            scope_path: String::new(),
        }
    }

    /// Where the award was handed out: a link (empty when the event has no
    /// page of its own) and its name.
    pub fn event_link(&self) -> Option<(String, &'static str)> {
        let (kind, id) = (self.event_kind.as_deref()?, self.event_id?);
        let label = crate::activities::label(&EVENT_KINDS, kind);
        Some(match kind {
            "festival_day" => (format!("/festival-days/{id}"), label),
            "activity" => (format!("/activities/{id}"), label),
            _ => (String::new(), label),
        })
    }

    pub fn is_individual(&self) -> bool {
        self.recipient_kind == "person"
    }

    pub fn recipient_label(&self) -> &'static str {
        if self.is_individual() {
            "Cá nhân"
        } else {
            "Tập thể"
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AwardDraft {
    #[serde(default)]
    pub award_type: Option<String>,
    #[serde(default)]
    pub issuer_kind: Option<String>,
    /// The issuer's unit code on the map of the decision date; defaults from
    /// the recipient where that is plain.
    #[serde(default)]
    pub issuer_unit: Option<String>,
    /// "legacy" or "current", when the caller wants the map checked against
    /// the decision date (the form sends it with its choice of issuer).
    #[serde(default)]
    pub issuer_era: Option<String>,
    /// The recipient's pre-2025 commune (or province) for a decision before
    /// 1/7/2025, when today's unit was formed from several.
    #[serde(default)]
    pub legacy_code: Option<String>,
    #[serde(default)]
    pub recipient_kind: Option<String>,
    /// Unit code, or village, team or organisation id.
    #[serde(default)]
    pub recipient_ref: Option<Value>,
    #[serde(default)]
    pub member_id: Option<Value>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub birth_year: Option<Value>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub citizen_id: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
    /// Where a person not in a team works or lives (commune or province code).
    #[serde(default)]
    pub unit_code: Option<String>,
    #[serde(default)]
    pub decision_number: Option<String>,
    #[serde(default)]
    pub decided_on: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub event_kind: Option<String>,
    #[serde(default)]
    pub event_id: Option<Value>,
    #[serde(default)]
    pub note: Option<String>,
}

pub async fn create(db: &Db, actor: &Actor, d: &AwardDraft) -> Result<Award> {
    let mut tx = db.begin().await?;
    let a = create_in_tx(&mut tx, actor, d).await?;
    tx.commit().await?;
    Ok(a)
}

/// Records one award in the caller's transaction; every refusal comes
/// before the first write.
pub async fn create_in_tx(tx: &mut Tx, actor: &Actor, d: &AwardDraft) -> Result<Award> {
    policy::require_role(actor, Action::RecordAward)?;
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let mut inv = Invalid::default();
    let award_type = crate::activities::choice(
        &mut inv,
        "award_type",
        "Hình thức khen thưởng",
        d.award_type.as_deref(),
        &TYPES,
    );
    let issuer_code = d.issuer_kind.as_deref().map(str::trim).unwrap_or_default();
    let issuer = issuer(issuer_code);
    if issuer.is_none() {
        inv.add(
            "issuer_kind",
            format!(
                "Cơ quan tặng: \"{}\" không hợp lệ ({}).",
                shorten(issuer_code),
                ISSUERS.iter().map(|i| i.code).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let decision_number = required_text(
        &mut inv,
        "decision_number",
        "Số quyết định",
        d.decision_number.as_deref(),
        100,
    );
    let decided_on = past_date(
        &mut inv,
        "decided_on",
        "Ngày quyết định",
        d.decided_on.as_deref(),
        true,
    )
    .unwrap_or_default();
    let reason = optional_text(&mut inv, "reason", "Lý do khen thưởng", d.reason.as_deref(), 1000);
    let note = optional_text(&mut inv, "note", "Ghi chú", d.note.as_deref(), 1000);
    let position = optional_text(&mut inv, "position", "Chức vụ", d.position.as_deref(), 200);
    let to = recipient(tx, &mut inv, &scope, d).await?;
    let (event_kind, event_id) = event(tx, &mut inv, &scope, d, to.as_ref()).await?;
    if let (Some(i), false) = (issuer, award_type.is_empty())
        && !i.types.contains(&award_type.as_str())
    {
        inv.add(
            "award_type",
            format!(
                "Hình thức khen thưởng: {} không tặng {}; chỉ tặng {}.",
                i.prefix,
                type_label(&award_type),
                i.types
                    .iter()
                    .map(|t| type_label(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if let Some(to) = &to {
        if award_type == BADGE && to.kind != "person" {
            inv.add(
                "recipient_kind",
                "Đối tượng được khen: Kỷ niệm chương chỉ tặng cá nhân.",
            );
        }
        if award_type == "co_thi_dua" && to.kind == "person" {
            inv.add(
                "recipient_kind",
                "Đối tượng được khen: Cờ thi đua chỉ tặng tập thể.",
            );
        }
        if award_type == BADGE && to.kind == "person" && to.person_key.is_none() {
            inv.add(
                "birth_year",
                "Năm sinh và giới tính (hoặc số định danh): cần để Kỷ niệm chương chỉ tặng một lần cho một người.",
            );
        }
        if let Some(since) = &to.established_on
            && !decided_on.is_empty()
            && since.as_str() > decided_on.as_str()
        {
            inv.add(
                "recipient_ref",
                format!(
                    "Đối tượng được khen: {} thành lập ngày {}, sau ngày quyết định.",
                    to.name,
                    format_date(since)
                ),
            );
        }
    }
    // Authority over the recipient comes first: a unit outside the actor's
    // scope is refused before anything is said about it.
    if let Some(to) = &to {
        policy::authorize(actor, Action::RecordAward, &to.path)?;
    }
    let issued = match (issuer, &to, decided_on.is_empty()) {
        (Some(i), Some(to), false) => issued(tx, &mut inv, i, d, &decided_on, to).await?,
        _ => None,
    };
    inv.finish()?;
    let (Some(issuer), Some(to), Some(issued)) = (issuer, to, issued) else {
        return Err(AppError::field(
            "recipient_ref",
            "Đối tượng được khen: chưa đủ thông tin.",
        ));
    };
    if award_type == BADGE {
        badge_once(tx, actor, to.person_key.as_deref(), to.member_id, &to.name).await?;
    }
    // A unit recipient is named as it was then: Thị trấn Sơn Lư, not Xã Quan Sơn.
    let recipient_name = match (&issued.recipient_old, to.kind) {
        (Some(old), "unit") => old.name.clone(),
        _ => to.name.clone(),
    };
    let row = sqlx::query(&format!(
        "INSERT INTO awards (award_type, issuer_kind, issuer_era, issuer_unit, issuer_name, recipient_kind, recipient_ref, \
         recipient_name, member_id, person_key, birth_year, gender, citizen_id, position, unit_code, province_code, \
         scope_path, decision_number, decided_on, reason, event_kind, event_id, note, created_at, \
         recipient_legacy_code, recipient_legacy_name) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, \
         $24, $25, $26) RETURNING {COLUMNS}"
    ))
    .bind(&award_type)
    .bind(issuer.code)
    .bind(issued.era)
    .bind(&issued.unit.code)
    .bind(issuer_name(issuer, &issued.unit))
    .bind(to.kind)
    .bind(&to.reference)
    .bind(&recipient_name)
    .bind(to.member_id)
    .bind(&to.person_key)
    .bind(to.birth_year)
    .bind(&to.gender)
    .bind(&to.citizen_id)
    .bind(&position)
    .bind(&to.unit.code)
    .bind(province_of(&to.unit))
    .bind(&to.path)
    .bind(&decision_number)
    .bind(&decided_on)
    .bind(&reason)
    .bind(&event_kind)
    .bind(event_id)
    .bind(&note)
    .bind(now())
    .bind(issued.recipient_old.as_ref().map(|o| o.code.clone()))
    .bind(issued.recipient_old.as_ref().map(|o| o.name.clone()))
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict(
                "full_name",
                format!("Họ và tên: {} đã được tặng Kỷ niệm chương; chỉ tặng một lần.", to.name),
            )
        } else {
            e.into()
        }
    })?;
    let award = Award::from_row(&row)?;
    audit_award(tx, actor, "award.create", None, &award).await?;
    Ok(award)
}

async fn audit_award(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: Option<&Award>,
    after: &Award,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "award",
            target_id: after.id.to_string(),
            target_label: format!(
                "{} – {} – QĐ {}",
                after.type_label(),
                after.recipient_name,
                after.decision_number
            ),
            scope_path: after.scope_path.clone(),
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
        },
    )
    .await
}

/// Cancels an award recorded by mistake: it stays, marked, with the reason,
/// and leaves the counts (and, for a Kỷ niệm chương, the once-only rule).
pub async fn cancel(db: &Db, actor: &Actor, id: i64, reason: Option<&str>) -> Result<Award> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let mut tx = db.begin().await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM awards WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut *tx)
    .await?;
    let before = Award::from_row(&row.ok_or_else(AppError::not_found)?)?;
    policy::authorize(actor, Action::RecordAward, &before.scope_path)?;
    let mut inv = Invalid::default();
    let reason = required_text(&mut inv, "reason", "Lý do hủy", reason, 500);
    inv.finish()?;
    if before.cancelled_at.is_some() {
        return Err(AppError::conflict(
            "reason",
            "Khen thưởng này đã được hủy trước đó.",
        ));
    }
    let row = sqlx::query(&format!(
        "UPDATE awards SET cancelled_at = $1, cancel_reason = $2 WHERE id = $3 RETURNING {COLUMNS}"
    ))
    .bind(now())
    .bind(&reason)
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let after = Award::from_row(&row)?;
    audit_award(&mut tx, actor, "award.cancel", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// The Kỷ niệm chương is given once per person — found by who they are or,
/// for a team member, by the member record (whose details may have been
/// corrected since); the earlier decision is named only when the actor may
/// see it.
async fn badge_once(
    tx: &mut Tx,
    actor: &Actor,
    key: Option<&str>,
    member: Option<i64>,
    name: &str,
) -> Result<()> {
    let earlier = sqlx::query(
        "SELECT decision_number, decided_on, scope_path FROM awards WHERE award_type = $1 AND cancelled_at IS NULL \
         AND (person_key = $2 OR member_id = $3)",
    )
    .bind(BADGE)
    .bind(key.unwrap_or(""))
    .bind(member.unwrap_or(-1))
    .fetch_optional(&mut **tx)
    .await?;
    let Some(r) = earlier else { return Ok(()) };
    let path: String = r.try_get("scope_path")?;
    let visible = Scope::new(actor, Action::ViewGeography).is_ok_and(|s| s.contains(&path));
    let message = if visible {
        format!(
            "Họ và tên: {name} đã được tặng Kỷ niệm chương theo quyết định số {} ngày {}; Kỷ niệm chương chỉ tặng một lần cho một người.",
            r.try_get::<String, _>("decision_number")?,
            format_date(&r.try_get::<String, _>("decided_on")?)
        )
    } else {
        format!(
            "Họ và tên: {name} đã được tặng Kỷ niệm chương (ở đơn vị khác); Kỷ niệm chương chỉ tặng một lần cho một người."
        )
    };
    Err(AppError::conflict("full_name", message))
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Award> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM awards WHERE id = $1 AND scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    Ok(Award::from_row(&row.ok_or_else(AppError::not_found)?)?)
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct AwardFilter {
    #[serde(default)]
    pub year: Option<i64>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub event_kind: Option<String>,
    #[serde(default)]
    pub event_id: Option<i64>,
}

/// Awards to recipients in a unit's subtree, decided in the period (or at
/// one event, whatever its date).
pub async fn list(db: &Db, actor: &Actor, unit: &Unit, f: &AwardFilter) -> Result<Vec<Award>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = match (&f.event_kind, f.event_id) {
        (Some(kind), Some(id)) => {
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM awards WHERE scope_path LIKE $1 AND event_kind = $2 AND event_id = $3 \
                 AND cancelled_at IS NULL {ORDER}"
            ))
            .bind(scope.like())
            .bind(kind)
            .bind(id)
            .fetch_all(&db.pool)
            .await?
        }
        _ => {
            let (from, to) = crate::activities::period(f.year, f.from.as_deref(), f.to.as_deref())?;
            sqlx::query(&format!(
                "SELECT {COLUMNS} FROM awards WHERE scope_path LIKE $1 AND decided_on >= $2 AND decided_on <= $3 \
                 AND cancelled_at IS NULL {ORDER}"
            ))
            .bind(scope.like())
            .bind(from)
            .bind(to)
            .fetch_all(&db.pool)
            .await?
        }
    };
    Ok(rows.iter().map(Award::from_row).collect::<Result<_, _>>()?)
}

const ORDER: &str = "ORDER BY decided_on, CASE issuer_kind WHEN 'bo_cong_an' THEN 0 ELSE 1 END, issuer_name, \
     CASE award_type WHEN 'co_thi_dua' THEN 0 WHEN 'bang_khen' THEN 1 WHEN 'giay_khen' THEN 2 ELSE 3 END, \
     recipient_kind = 'person', recipient_name, id";

/// The awards handed out at one event, with their counts and sentences.
#[derive(Debug, Serialize)]
pub struct AtEvent {
    pub total: usize,
    pub by_issuer: Vec<Tally>,
    pub sentences: Vec<String>,
    pub awards: Vec<Award>,
}

pub async fn at_event(db: &Db, actor: &Actor, kind: &str, id: i64) -> Result<AtEvent> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM awards WHERE scope_path LIKE $1 AND event_kind = $2 AND event_id = $3 \
                 AND cancelled_at IS NULL {ORDER}"
    ))
    .bind(scope.like())
    .bind(kind)
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let awards: Vec<Award> = rows.iter().map(Award::from_row).collect::<Result<_, _>>()?;
    let by_issuer = tally(&awards);
    Ok(AtEvent {
        total: awards.len(),
        sentences: sentences(&by_issuer),
        by_issuer,
        awards,
    })
}

/// Awards of one issuer and type: collectives and individuals.
#[derive(Clone, Debug, Serialize)]
pub struct Tally {
    pub issuer_name: String,
    pub award_type: String,
    pub type_label: String,
    pub collectives: i64,
    pub individuals: i64,
}

/// Counts awards by issuer and type, in the order the seeds speak of them
/// (the ministry first, then by issuer; Cờ thi đua, Bằng khen, Giấy khen,
/// Kỷ niệm chương).
pub fn tally(awards: &[Award]) -> Vec<Tally> {
    let rank = |a: &Award| {
        let level = issuer(&a.issuer_kind).map(|i| match i.level {
            "nation" => 0,
            "province" => 1,
            "district" => 2,
            _ => 3,
        });
        let t = TYPES.iter().position(|(c, _)| *c == a.award_type).unwrap_or(9);
        (level.unwrap_or(9), a.issuer_name.clone(), t)
    };
    let mut sorted: Vec<&Award> = awards.iter().collect();
    sorted.sort_by_key(|a| rank(a));
    let mut out: Vec<Tally> = Vec::new();
    for a in sorted {
        match out.last_mut() {
            Some(t) if t.issuer_name == a.issuer_name && t.award_type == a.award_type => {
                if a.is_individual() {
                    t.individuals += 1
                } else {
                    t.collectives += 1
                }
            }
            _ => out.push(Tally {
                issuer_name: a.issuer_name.clone(),
                award_type: a.award_type.clone(),
                type_label: a.type_label().to_string(),
                collectives: i64::from(!a.is_individual()),
                individuals: i64::from(a.is_individual()),
            }),
        }
    }
    out
}

/// "Bộ Công an tặng Bằng khen cho 1 tập thể, 1 cá nhân, tặng Kỷ niệm chương
/// cho 5 cá nhân": one sentence per issuer, in the words of the seeds.
pub fn sentences(tallies: &[Tally]) -> Vec<String> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for t in tallies {
        let mut whom = Vec::new();
        if t.collectives > 0 {
            whom.push(format!("{} tập thể", crate::text::format_int(t.collectives)));
        }
        if t.individuals > 0 {
            whom.push(format!("{} cá nhân", crate::text::format_int(t.individuals)));
        }
        let type_words = if t.award_type == BADGE {
            "Kỷ niệm chương"
        } else {
            t.type_label.as_str()
        };
        let part = format!("tặng {type_words} cho {}", whom.join(", "));
        match out.last_mut() {
            Some((issuer, parts)) if *issuer == t.issuer_name => parts.push(part),
            _ => out.push((t.issuer_name.clone(), vec![part])),
        }
    }
    out.into_iter()
        .map(|(issuer, parts)| format!("{issuer} {}", parts.join(", ")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn award(issuer: &str, name: &str, kind: &str, person: bool) -> Award {
        let recipient = if person { "person" } else { "unit" };
        Award::light(kind.into(), issuer.into(), name.into(), recipient.into())
    }

    #[test]
    fn sentences_read_like_the_seed() {
        let mut list = vec![
            award("ubnd_huyen", "UBND huyện Phong Thổ", "giay_khen", false),
            award("bo_cong_an", "Bộ Công an", BADGE, true),
            award("bo_cong_an", "Bộ Công an", "bang_khen", true),
            award("bo_cong_an", "Bộ Công an", "bang_khen", false),
        ];
        list.extend((0..4).map(|_| award("bo_cong_an", "Bộ Công an", BADGE, true)));
        let s = sentences(&tally(&list));
        assert_eq!(
            s,
            vec![
                "Bộ Công an tặng Bằng khen cho 1 tập thể, 1 cá nhân, tặng Kỷ niệm chương cho 5 cá nhân"
                    .to_string(),
                "UBND huyện Phong Thổ tặng Giấy khen cho 1 tập thể".to_string(),
            ]
        );
    }
}

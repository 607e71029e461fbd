//! The November assessment: a village, commune or organisation is judged
//! each year against a criteria set (criteria.rs), some criteria computed
//! from antq's records (rules.rs), the others by the assessor with a note
//! and evidence (evidence.rs); the workflow draft → submitted → returned →
//! resubmitted → approved → recognised is in workflow.rs, the Giấy công nhận
//! in certificate.rs, the unit summary's figures in figures.rs.
//!
//! Who decides (Thông tư 124/2021/TT-BCA Điều 10, with no district level
//! since 01/07/2025): villages and the organisations a commune manages are
//! recognised by the commune, communes and province-managed organisations by
//! the province. The commune officer prepares; a reviewer whose scope holds
//! the deciding unit returns, approves and recognises, never their own
//! submission.

pub mod api;
pub mod certificate;
pub mod criteria;
pub mod evidence;
pub mod figures;
pub mod pages;
pub mod rules;
pub mod workflow;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::auth::{Action, Actor, Scope, policy};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::input::today;
use crate::text::format_date;
use crate::units::{self, Unit};
use criteria::CriteriaSet;

pub const STATUSES: [(&str, &str); 6] = [
    ("draft", "Đang soạn"),
    ("submitted", "Đã gửi, chờ xét duyệt"),
    ("returned", "Bị trả lại"),
    ("approved", "Đã phê duyệt"),
    ("recognised", "Đã công nhận, cấp giấy công nhận"),
    ("withdrawn", "Đã rút, không xét"),
];

pub const SUBJECTS: [(&str, &str); 3] = [
    ("village", "Khu dân cư"),
    ("commune", "Xã, phường, đặc khu"),
    ("organisation", "Cơ quan, doanh nghiệp, cơ sở giáo dục"),
];

/// Decision deadlines when a set names none, by programme and subject:
/// Thông tư 124/2021/TT-BCA Điều 9 khoản 1 (villages before 15/11, communes
/// and organisations before 20/11) and Quyết định 510/QĐ-BCA-V05 (villages
/// 20/11, communes and organisations 30/11).
const DEADLINES: [(&str, &str, &str, &str); 6] = [
    (
        "an_toan",
        "village",
        "11-15",
        "Thông tư 124/2021/TT-BCA, Điều 9 khoản 1 điểm a",
    ),
    (
        "an_toan",
        "commune",
        "11-20",
        "Thông tư 124/2021/TT-BCA, Điều 9 khoản 1 điểm b",
    ),
    (
        "an_toan",
        "organisation",
        "11-20",
        "Thông tư 124/2021/TT-BCA, Điều 9 khoản 1 điểm c",
    ),
    ("phan_loai", "village", "11-20", "Quyết định 510/QĐ-BCA-V05"),
    ("phan_loai", "commune", "11-30", "Quyết định 510/QĐ-BCA-V05"),
    ("phan_loai", "organisation", "11-30", "Quyết định 510/QĐ-BCA-V05"),
];

pub fn status_label(status: &str) -> &'static str {
    criteria::label(&STATUSES, status)
}

/// What is assessed, where it belongs and who decides on it.
#[derive(Clone, Debug)]
pub struct Subject {
    /// village, commune or organisation
    pub kind: String,
    pub id: String,
    pub name: String,
    /// The criteria-set subject kind: village, commune, agency, enterprise, school.
    pub set_kind: String,
    /// The commune (or the province, for a province-managed organisation).
    pub unit: Unit,
    pub decider: Unit,
    pub scope_path: String,
    pub village_id: Option<i64>,
    pub period_from: String,
    pub period_to: String,
}

/// Thông tư 124/2021/TT-BCA Điều 8 khoản 2: villages 01/11 of the year
/// before to 31/10; communes and organisations 16/11 to 15/11.
pub fn period(subject_kind: &str, year: i64) -> (String, String) {
    if subject_kind == "village" {
        (format!("{:04}-11-01", year - 1), format!("{year:04}-10-31"))
    } else {
        (format!("{:04}-11-16", year - 1), format!("{year:04}-11-15"))
    }
}

fn org_set_kind(kind: &str) -> &'static str {
    match kind {
        "co_quan" => "agency",
        "doanh_nghiep" => "enterprise",
        _ => "school",
    }
}

async fn current_unit(db: &Db, code: &str) -> Result<Unit> {
    units::find_current(db, code)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Finds the subject; an unknown one is "not found" on its field.
pub async fn subject(db: &Db, kind: &str, id: &str, year: i64) -> Result<Subject> {
    let missing = || AppError::field("subject_id", "Đối tượng đánh giá: không tìm thấy.");
    let (period_from, period_to) = period(kind, year);
    match kind {
        "village" => {
            let vid: i64 = id.trim().parse().map_err(|_| missing())?;
            let row = sqlx::query(
                "SELECT name, commune_code, scope_path FROM villages WHERE id = $1 AND active = 1",
            )
            .bind(vid)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(missing)?;
            let commune = current_unit(db, &row.try_get::<String, _>("commune_code")?).await?;
            Ok(Subject {
                kind: kind.into(),
                id: vid.to_string(),
                name: row.try_get("name")?,
                set_kind: "village".into(),
                decider: commune.clone(),
                unit: commune,
                scope_path: row.try_get("scope_path")?,
                village_id: Some(vid),
                period_from,
                period_to,
            })
        }
        "commune" => {
            let unit = units::find_current(db, id.trim()).await?.ok_or_else(missing)?;
            if unit.level != "commune" {
                return Err(AppError::field(
                    "subject_id",
                    "Đối tượng đánh giá: mã này không phải xã, phường, đặc khu.",
                ));
            }
            let province = current_unit(db, unit.parent_code.as_deref().unwrap_or_default()).await?;
            Ok(Subject {
                kind: kind.into(),
                id: unit.code.clone(),
                name: unit.name.clone(),
                set_kind: "commune".into(),
                scope_path: unit.path.clone(),
                unit,
                decider: province,
                village_id: None,
                period_from,
                period_to,
            })
        }
        "organisation" => {
            let oid: i64 = id.trim().parse().map_err(|_| missing())?;
            let row = sqlx::query(
                "SELECT name, kind, unit_code, scope_path, antt_excluded FROM organisations WHERE id = $1 AND active = 1",
            )
            .bind(oid)
            .fetch_optional(&db.pool)
            .await?
            .ok_or_else(missing)?;
            if row.try_get::<i64, _>("antt_excluded")? == 1 {
                return Err(AppError::field(
                    "subject_id",
                    format!(
                        "Đối tượng đánh giá: {} không thuộc diện xét (Thông tư 124/2021/TT-BCA Điều 1: cơ quan, \
                         đơn vị lực lượng vũ trang; doanh nghiệp nhỏ, siêu nhỏ; cơ sở giáo dục tiểu học, mầm non, nhà trẻ).",
                        row.try_get::<String, _>("name")?
                    ),
                ));
            }
            let unit = current_unit(db, &row.try_get::<String, _>("unit_code")?).await?;
            Ok(Subject {
                kind: kind.into(),
                id: oid.to_string(),
                name: row.try_get("name")?,
                set_kind: org_set_kind(&row.try_get::<String, _>("kind")?).into(),
                decider: unit.clone(),
                unit,
                scope_path: row.try_get("scope_path")?,
                village_id: None,
                period_from,
                period_to,
            })
        }
        _ => Err(AppError::field(
            "subject_kind",
            "Loại đối tượng: chọn khu dân cư (village), xã (commune) hoặc cơ quan, doanh nghiệp, cơ sở giáo dục (organisation).",
        )),
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub code: String,
    pub citation: String,
    pub text: String,
    pub group: String,
    pub mode: String,
    pub rule: Option<String>,
    pub max_x10: Option<i64>,
    pub computed_value: String,
    pub computed_verdict: Option<String>,
    pub verdict: Option<String>,
    pub points_x10: Option<i64>,
    pub note: String,
    pub judged_name: String,
    pub judged_at: Option<String>,
}

impl Item {
    /// Whether the criterion holds, once it is decided either way.
    pub fn holds(&self) -> Option<bool> {
        if self.mode == "computed" {
            return self.computed_verdict.as_deref().map(|v| v == "dat");
        }
        if self.computed_verdict.as_deref() == Some("chua_dat") {
            return Some(false);
        }
        self.verdict.as_deref().map(|v| v == "dat")
    }

    pub fn holds_label(&self) -> &'static str {
        match (self.max_x10, self.holds()) {
            (Some(_), _) => "",
            (None, Some(true)) => "Đạt",
            (None, Some(false)) => "Chưa đạt",
            (None, None) => "Chưa đánh giá",
        }
    }

    pub fn holds_class(&self) -> &'static str {
        match self.holds() {
            Some(true) => "ok",
            Some(false) => "fail",
            None => "open",
        }
    }

    pub fn mode_label(&self) -> &'static str {
        match self.mode.as_str() {
            "computed" => "antq tính từ dữ liệu",
            "checked" => "antq kiểm tra dữ liệu, người đánh giá kết luận",
            _ => "người đánh giá kết luận",
        }
    }

    pub fn points_label(&self) -> String {
        match (self.points_x10, self.max_x10) {
            (Some(p), Some(m)) => format!("{}/{}", points_text(p), points_text(m)),
            (None, Some(m)) => format!("—/{}", points_text(m)),
            _ => String::new(),
        }
    }

    pub fn points_input(&self) -> String {
        self.points_x10.map(points_text).unwrap_or_default()
    }

    pub fn is_judged_verdict(&self, v: &str) -> bool {
        self.verdict.as_deref() == Some(v)
    }

    pub fn judged_at_label(&self) -> String {
        self.judged_at
            .as_deref()
            .map(crate::text::format_timestamp)
            .unwrap_or_default()
    }
}

/// Points in tenths written the Vietnamese way: 25 → "2,5", 30 → "3".
pub fn points_text(x10: i64) -> String {
    if x10 % 10 == 0 {
        crate::text::format_int(x10 / 10)
    } else {
        crate::text::format_decimal(x10 as f64 / 10.0, 1)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Event {
    pub action: String,
    pub reason: String,
    pub user_name: String,
    pub at: String,
}

impl Event {
    pub fn label(&self) -> &'static str {
        match self.action.as_str() {
            "create" => "Lập bản đánh giá",
            "submit" => "Gửi xét duyệt",
            "resubmit" => "Gửi lại sau khi bị trả",
            "return" => "Trả lại",
            "approve" => "Phê duyệt",
            "recognise" => "Công nhận, cấp giấy công nhận",
            "correct" => "Lập bản đính chính",
            "corrected" => "Có bản đính chính mới",
            "withdraw" => "Rút bản đánh giá",
            _ => "",
        }
    }

    pub fn at_label(&self) -> String {
        crate::text::format_timestamp(&self.at)
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Assessment {
    pub id: i64,
    pub set_id: i64,
    pub programme: String,
    pub subject_kind: String,
    pub subject_id: String,
    pub subject_name: String,
    pub unit_code: String,
    pub unit_name: String,
    pub decider_code: String,
    pub decider_name: String,
    pub year: i64,
    pub period_from: String,
    pub period_to: String,
    pub decide_by: Option<String>,
    pub version: i64,
    pub supersedes_id: Option<i64>,
    pub correction_reason: String,
    pub replaced: bool,
    pub status: String,
    pub result: Option<String>,
    pub passed: Option<i64>,
    pub total: Option<i64>,
    pub points_x10: Option<i64>,
    pub level: Option<String>,
    pub submissions: i64,
    pub submitted_by: Option<i64>,
    pub submitted_at: Option<String>,
    pub return_reason: String,
    pub decided_by: Option<i64>,
    pub decided_name: String,
    pub decided_at: Option<String>,
    pub decision_note: String,
    pub cert_number: Option<String>,
    pub cert_date: Option<String>,
    pub cert_issuer: Option<String>,
    pub cert_signer: String,
    #[serde(skip)]
    pub scope_path: String,
}

pub const COLUMNS: &str = "a.id, a.set_id, a.programme, a.subject_kind, a.subject_id, a.subject_name, a.unit_code, \
     u.name AS unit_name, a.decider_code, d.name AS decider_name, a.year, a.period_from, a.period_to, a.decide_by, \
     a.version, a.supersedes_id, a.correction_reason, a.replaced, a.status, a.result, a.passed, a.total, \
     a.points_x10, a.level, a.submissions, a.submitted_by, a.submitted_at, a.return_reason, a.decided_by, \
     a.decided_name, a.decided_at, a.decision_note, a.cert_number, a.cert_date, a.cert_issuer, a.cert_signer, \
     a.scope_path";
pub const FROM: &str = "FROM assessments a JOIN units u ON u.era = 'current' AND u.code = a.unit_code \
     JOIN units d ON d.era = 'current' AND d.code = a.decider_code";

impl Assessment {
    pub fn from_row(r: &AnyRow) -> Result<Assessment, sqlx::Error> {
        Ok(Assessment {
            id: r.try_get("id")?,
            set_id: r.try_get("set_id")?,
            programme: r.try_get("programme")?,
            subject_kind: r.try_get("subject_kind")?,
            subject_id: r.try_get("subject_id")?,
            subject_name: r.try_get("subject_name")?,
            unit_code: r.try_get("unit_code")?,
            unit_name: r.try_get("unit_name")?,
            decider_code: r.try_get("decider_code")?,
            decider_name: r.try_get("decider_name")?,
            year: r.try_get("year")?,
            period_from: r.try_get("period_from")?,
            period_to: r.try_get("period_to")?,
            decide_by: r.try_get("decide_by")?,
            version: r.try_get("version")?,
            supersedes_id: r.try_get("supersedes_id")?,
            correction_reason: r.try_get("correction_reason")?,
            replaced: r.try_get::<i64, _>("replaced")? == 1,
            status: r.try_get("status")?,
            result: r.try_get("result")?,
            passed: r.try_get("passed")?,
            total: r.try_get("total")?,
            points_x10: r.try_get("points_x10")?,
            level: r.try_get("level")?,
            submissions: r.try_get("submissions")?,
            submitted_by: r.try_get("submitted_by")?,
            submitted_at: r.try_get("submitted_at")?,
            return_reason: r.try_get("return_reason")?,
            decided_by: r.try_get("decided_by")?,
            decided_name: r.try_get("decided_name")?,
            decided_at: r.try_get("decided_at")?,
            decision_note: r.try_get("decision_note")?,
            cert_number: r.try_get("cert_number")?,
            cert_date: r.try_get("cert_date")?,
            cert_issuer: r.try_get("cert_issuer")?,
            cert_signer: r.try_get("cert_signer")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }

    pub fn subject_label(&self) -> &'static str {
        criteria::label(&SUBJECTS, &self.subject_kind)
    }

    pub fn programme_label(&self) -> &'static str {
        criteria::label(&criteria::PROGRAMMES, &self.programme)
    }

    pub fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "draft" | "submitted" | "returned")
    }

    pub fn is_editable(&self) -> bool {
        matches!(self.status.as_str(), "draft" | "returned")
    }

    pub fn is_decided(&self) -> bool {
        matches!(self.status.as_str(), "approved" | "recognised")
    }

    pub fn period_label(&self) -> String {
        format!(
            "{} – {}",
            format_date(&self.period_from),
            format_date(&self.period_to)
        )
    }

    /// "trước ngày 15/11/2025", or empty when no deadline applies.
    pub fn deadline_label(&self) -> String {
        self.decide_by
            .as_deref()
            .map(|d| format!("trước ngày {}", format_date(d)))
            .unwrap_or_default()
    }

    /// Not decided and the day the decision was due has come.
    pub fn is_overdue(&self) -> bool {
        let today = today().to_string();
        self.is_open() && self.decide_by.as_deref().is_some_and(|d| today.as_str() >= d)
    }

    /// "Đạt", "Chưa đạt", "đạt 28/34", "Khá (72,5 điểm)", or empty while open.
    pub fn result_label(&self) -> String {
        if let (Some(level), Some(p)) = (&self.level, self.points_x10) {
            return format!("{level} ({} điểm)", points_text(p));
        }
        let tally = match (self.passed, self.total) {
            (Some(p), Some(t)) => format!(" {p}/{t}"),
            _ => String::new(),
        };
        match self.result.as_deref() {
            Some("dat") => format!("Đạt{tally}"),
            Some("chua_dat") => format!("Chưa đạt{tally}"),
            _ => String::new(),
        }
    }

    pub fn is_dat(&self) -> bool {
        self.result.as_deref() == Some("dat")
    }

    pub fn has_certificate(&self) -> bool {
        // A version replaced by an approved correction no longer certifies anything.
        self.status == "recognised" && self.is_dat() && self.cert_number.is_some() && !self.replaced
    }

    pub fn cert_date_label(&self) -> String {
        self.cert_date.as_deref().map(format_date).unwrap_or_default()
    }

    pub fn submitted_at_label(&self) -> String {
        self.submitted_at
            .as_deref()
            .map(crate::text::format_timestamp)
            .unwrap_or_default()
    }

    pub fn decided_at_label(&self) -> String {
        self.decided_at
            .as_deref()
            .map(crate::text::format_timestamp)
            .unwrap_or_default()
    }
}

/// An assessment with everything its page shows.
#[derive(Clone, Debug, Serialize)]
pub struct Full {
    #[serde(flatten)]
    pub assessment: Assessment,
    pub set_code: String,
    pub set_version: i64,
    pub set_name: String,
    pub set_kind: String,
    pub legal_basis: String,
    pub deadline_basis: String,
    pub items: Vec<Item>,
    pub files: Vec<evidence::FileInfo>,
    pub events: Vec<Event>,
    /// Other versions of the same subject and year, newest first.
    pub versions: Vec<Assessment>,
    #[serde(skip)]
    pub set: CriteriaSet,
}

impl Full {
    /// A certificate exists when the version is recognised and its set issues one.
    pub fn has_certificate(&self) -> bool {
        self.assessment.has_certificate() && !self.set.doc.certificate_title.is_empty()
    }

    /// The running tally while the assessment is open, or the stored one.
    pub fn tally(&self) -> workflow::Tally {
        workflow::tally(&self.set.doc, &self.items)
    }

    pub fn files_for(&self, code: &str) -> Vec<&evidence::FileInfo> {
        self.files
            .iter()
            .filter(|f| f.criterion_code.as_deref() == Some(code))
            .collect()
    }

    pub fn general_files(&self) -> Vec<&evidence::FileInfo> {
        self.files.iter().filter(|f| f.criterion_code.is_none()).collect()
    }
}

/// One assessment the actor may read; outside their scope it is "not found".
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Assessment> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(AppError::not_found)?;
    let a = Assessment::from_row(&row)?;
    policy::authorize(actor, Action::ViewGeography, &a.scope_path)?;
    Ok(a)
}

/// The assessment with its criteria, evidence, history and versions. While
/// it is open the computed criteria are computed afresh, so the figure shown
/// is today's; from submission on they are what was submitted.
pub async fn full(db: &Db, actor: &Actor, id: i64) -> Result<Full> {
    let a = get(db, actor, id).await?;
    let set = criteria::get(db, a.set_id).await?;
    let mut items = workflow::items(db, &set, a.id).await?;
    // A village deactivated since keeps its draft readable, without fresh figures.
    if a.is_editable()
        && let Ok(s) = subject(db, &a.subject_kind, &a.subject_id, a.year).await
    {
        workflow::refresh_computed(db, &s, a.year, &mut items).await?;
    }
    let files = evidence::list(db, a.id).await?;
    let events = sqlx::query(
        "SELECT action, reason, user_name, at FROM assessment_events WHERE assessment_id = $1 ORDER BY id",
    )
    .bind(a.id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Event {
            action: r.try_get("action")?,
            reason: r.try_get("reason")?,
            user_name: r.try_get("user_name")?,
            at: r.try_get("at")?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let versions = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE a.programme = $1 AND a.subject_kind = $2 AND a.subject_id = $3 \
         AND a.year = $4 AND a.id <> $5 ORDER BY a.version DESC"
    ))
    .bind(&a.programme)
    .bind(&a.subject_kind)
    .bind(&a.subject_id)
    .bind(a.year)
    .bind(a.id)
    .fetch_all(&db.pool)
    .await?
    .iter()
    .map(Assessment::from_row)
    .collect::<Result<Vec<_>, _>>()?;
    let deadline_basis = if set.doc.deadline_basis.is_empty() {
        default_deadline(&a.programme, &a.subject_kind)
            .map(|(_, basis)| basis.to_string())
            .unwrap_or_default()
    } else {
        set.doc.deadline_basis.clone()
    };
    Ok(Full {
        set_code: set.doc.code.clone(),
        set_version: set.version,
        set_name: set.doc.name.clone(),
        set_kind: set.doc.kind.clone(),
        legal_basis: set.doc.legal_basis.clone(),
        deadline_basis,
        assessment: a,
        items,
        files,
        events,
        versions,
        set,
    })
}

pub fn default_deadline(programme: &str, subject_kind: &str) -> Option<(&'static str, &'static str)> {
    DEADLINES
        .iter()
        .find(|(p, k, _, _)| *p == programme && *k == subject_kind)
        .map(|(_, _, md, basis)| (*md, *basis))
}

#[derive(Clone, Debug, Default)]
pub struct Filter {
    pub year: i64,
    pub programme: Option<String>,
    pub status: Option<String>,
    pub overdue: bool,
    /// Only those the actor may decide now (a reviewer's inbox).
    pub to_decide: bool,
}

/// Live assessments (not replaced by a later version) of a year in the
/// unit's subtree, within the actor's scope: overdue first, then by deadline.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit, filter: &Filter) -> Result<Vec<Assessment>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let mut sql =
        format!("SELECT {COLUMNS} {FROM} WHERE a.scope_path LIKE $1 AND a.replaced = 0 AND a.year = $2");
    let mut texts: Vec<&str> = Vec::new();
    for (column, value) in [("programme", &filter.programme), ("status", &filter.status)] {
        if let Some(v) = value {
            texts.push(v);
            sql.push_str(&format!(" AND a.{column} = ${}", texts.len() + 2));
        }
    }
    // Both engines sort NULL deadlines last this way (they disagree on a bare NULL).
    sql.push_str(
        " ORDER BY (a.decide_by IS NULL), a.decide_by, a.subject_kind DESC, a.subject_name, a.version DESC",
    );
    let mut q = sqlx::query(&sql).bind(scope.like()).bind(filter.year);
    for t in texts {
        q = q.bind(t);
    }
    let rows = q.fetch_all(&db.pool).await?;
    let mut out: Vec<Assessment> = rows.iter().map(Assessment::from_row).collect::<Result<_, _>>()?;
    if filter.overdue {
        out.retain(Assessment::is_overdue);
    }
    if filter.to_decide {
        out.retain(|a| {
            a.status == "submitted"
                && a.submitted_by != actor.user_id
                && policy::authorize_as_unit(
                    actor,
                    Action::DecideAssessment,
                    &a.decider_code,
                    &a.decider_name,
                    &a.scope_path,
                )
                .is_ok()
        });
    }
    out.sort_by_key(|a| !a.is_overdue());
    Ok(out)
}

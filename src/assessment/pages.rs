//! Pages of the November assessment: a unit's assessments of a year (the
//! reviewer's list with deadlines and overdue flags, the form to open one),
//! an assessment with each criterion's value, evidence, judge and reason,
//! its workflow forms and history, the certificate download; the criteria
//! sets and the administrator's editor.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::criteria::{self, CriteriaSet};
use super::figures::{self, Figures};
use super::workflow::{self, CreateDraft, JudgeDraft, RecogniseDraft};
use super::{Assessment, Filter, Full};
use crate::app::AppState;
use crate::auth::{Action, Actor, Scope, policy};
use crate::error::AppError;
use crate::units::organisations::{self, Organisation};
use crate::units::pages::FormState;
use crate::units::villages::{self, Village};
use crate::units::{self, Unit};
use crate::web::extract::{Id, IdPair, Q};
use crate::web::{PageCtx, PageError, PageForm, PageResult, filters, refused_or, render, see_other};

type Form = BTreeMap<String, String>;

#[derive(Template)]
#[template(path = "assessment/list.html")]
struct ListPage {
    ctx: PageCtx,
    unit: Unit,
    year: i64,
    programme: String,
    to_decide: bool,
    overdue: bool,
    assessments: Vec<Assessment>,
    figures: Figures,
    can_prepare: bool,
    villages: Vec<Village>,
    organisations: Vec<Organisation>,
    programmes: &'static [(&'static str, &'static str)],
    form: FormState,
}

impl ListPage {
    fn share(&self, kind: &str) -> String {
        match self.figures.level(kind).and_then(|l| l.share) {
            Some(p) => format!("{}%", crate::text::format_decimal(p, 1).trim_end_matches(",0")),
            None => "—".into(),
        }
    }

    fn level_line(&self, kind: &str) -> String {
        match self.figures.level(kind) {
            Some(l) => format!(
                "{}/{}",
                crate::text::format_int(l.recognised),
                crate::text::format_int(l.total)
            ),
            None => "0/0".into(),
        }
    }

    fn is_programme(&self, k: &str) -> bool {
        self.programme == k
    }

    fn assessed(&self, kind: &str) -> String {
        crate::text::format_int(self.figures.level(kind).map(|l| l.assessed).unwrap_or(0))
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    year: Option<i64>,
    #[serde(default)]
    programme: Option<String>,
    #[serde(default)]
    to_decide: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
}

async fn list_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    q: &ListQuery,
    form: FormState,
) -> Result<ListPage, PageError> {
    let db = &state.db;
    let unit = units::open_for(db, actor, code).await?;
    let year = q.year.unwrap_or_else(|| i64::from(crate::input::today().year()));
    let programme = q
        .programme
        .clone()
        .filter(|p| criteria::PROGRAMMES.iter().any(|(k, _)| k == p))
        .unwrap_or_else(|| "an_toan".into());
    let to_decide = q.to_decide.as_deref() == Some("1");
    let filter = Filter {
        year,
        programme: Some(programme.clone()),
        status: None,
        overdue: q.overdue.as_deref() == Some("1"),
        to_decide,
    };
    let assessments = super::list(db, actor, &unit, &filter).await?;
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let figures = figures::figures(db, &scope, year).await?;
    // Villages, communes and organisations are prepared where they belong:
    // at the commune, or at the province for the organisations it manages.
    let can_prepare = matches!(unit.level.as_str(), "commune" | "province")
        && policy::authorize(actor, Action::PrepareAssessment, &unit.path).is_ok();
    let villages = if can_prepare && unit.level == "commune" {
        villages::list(db, actor, &unit, false).await?
    } else {
        Vec::new()
    };
    let organisations = if can_prepare {
        organisations::list(db, actor, &unit)
            .await?
            .into_iter()
            .filter(|o| o.unit_code == unit.code && o.active)
            .collect()
    } else {
        Vec::new()
    };
    Ok(ListPage {
        ctx: PageCtx::new(actor, format!("Đánh giá, công nhận – {}", unit.name)).with_notice(q.ok.as_deref()),
        unit,
        year,
        programme,
        to_decide,
        overdue: filter.overdue,
        assessments,
        figures,
        can_prepare,
        villages,
        organisations,
        programmes: &criteria::PROGRAMMES,
        form,
    })
}

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<ListQuery>,
) -> PageResult {
    let page = list_page(&state, &actor, &code, &q, FormState::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// The form names its subject in one select (`kind:id`), so that it works without script.
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let (kind, id) = form
        .get("subject")
        .and_then(|s| s.split_once(':'))
        .map(|(k, i)| (k.to_string(), i.to_string()))
        .unwrap_or_default();
    let draft = CreateDraft {
        subject_kind: Some(kind),
        subject_id: Some(id),
        year: form.get("year").cloned().map(serde_json::Value::String),
        programme: form.get("programme").cloned(),
        set_id: form.get("set_id").cloned().map(serde_json::Value::String),
    };
    match refused_or(workflow::create(&state.db, &actor, &draft).await)? {
        Ok(a) => Ok(see_other(
            &format!("/assessments/{}", a.id),
            Some("assessment_created"),
        )),
        Err(e) => {
            let q = ListQuery {
                year: form.get("year").and_then(|y| y.parse().ok()),
                programme: form.get("programme").cloned(),
                ..Default::default()
            };
            let page = list_page(&state, &actor, &code, &q, FormState::refused(form, &e)).await?;
            Ok(render(e.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "assessment/show.html")]
struct ShowPage {
    ctx: PageCtx,
    full: Full,
    can_prepare: bool,
    can_decide: bool,
    own_submission: bool,
    default_issuer: String,
    today: String,
    /// Which form was refused ("judge", "return", …) and its state.
    refused: String,
    form: FormState,
}

impl ShowPage {
    fn a(&self) -> &Assessment {
        &self.full.assessment
    }

    /// A correction of this version is already open.
    fn has_newer(&self) -> bool {
        self.full
            .versions
            .iter()
            .any(|v| v.version > self.full.assessment.version)
    }

    fn refused_is(&self, which: &str) -> bool {
        self.refused == which
    }

    /// The form's value after a refusal, else what is stored.
    fn note_value(&self, item: &super::Item) -> String {
        let key = format!("note.{}", item.code);
        if self.refused_is("judge") {
            self.form.value(&key).to_string()
        } else {
            item.note.clone()
        }
    }

    fn verdict_is(&self, item: &super::Item, v: &str) -> bool {
        if self.refused_is("judge") {
            self.form.is(&format!("verdict.{}", item.code), v)
        } else {
            item.is_judged_verdict(v)
        }
    }

    fn points_value(&self, item: &super::Item) -> String {
        if self.refused_is("judge") {
            self.form.value(&format!("points.{}", item.code)).to_string()
        } else {
            item.points_input()
        }
    }

    fn item_error(&self, item: &super::Item) -> String {
        let base = format!("item.{}", item.code);
        [base.clone(), format!("{base}.note"), format!("{base}.points")]
            .iter()
            .filter_map(|k| self.form.err(k))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

async fn show_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    refused: &str,
    form: FormState,
) -> Result<ShowPage, PageError> {
    let full = super::full(&state.db, actor, id).await?;
    let a = &full.assessment;
    let can_prepare = policy::authorize(actor, Action::PrepareAssessment, &a.scope_path).is_ok();
    let can_decide = policy::authorize_as_unit(
        actor,
        Action::DecideAssessment,
        &a.decider_code,
        &a.decider_name,
        &a.scope_path,
    )
    .is_ok();
    let mut conn = state.db.pool.acquire().await.map_err(AppError::from)?;
    let own_submission = workflow::took_part(&mut conn, actor, a).await?;
    drop(conn);
    Ok(ShowPage {
        ctx: PageCtx::new(actor, format!("Đánh giá năm {} – {}", a.year, a.subject_name)),
        default_issuer: workflow::default_issuer(&a.decider_name),
        today: crate::input::today().to_string(),
        full,
        can_prepare,
        can_decide,
        own_submission,
        refused: refused.into(),
        form,
    })
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    ok: Option<String>,
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id, Q(q): Q<ShowQuery>) -> PageResult {
    let mut page = show_page(&state, &actor, id, "", FormState::default()).await?;
    page.ctx = page.ctx.with_notice(q.ok.as_deref());
    Ok(render(StatusCode::OK, &page))
}

/// Shows the assessment again after a refused form, or follows a success.
async fn after(
    state: &AppState,
    actor: &Actor,
    id: i64,
    which: &str,
    form: Form,
    result: Result<Assessment, AppError>,
    notice: &str,
) -> PageResult {
    match refused_or(result)? {
        Ok(a) => Ok(see_other(&format!("/assessments/{}", a.id), Some(notice))),
        Err(e) => {
            let page = show_page(state, actor, id, which, FormState::refused(form, &e)).await?;
            Ok(render(e.status(), &page))
        }
    }
}

/// One form for every criterion: `verdict.CODE`, `points.CODE`, `note.CODE`.
pub async fn judge(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let mut codes: Vec<String> = form
        .keys()
        .filter_map(|k| k.split_once('.').map(|(_, c)| c.to_string()))
        .collect();
    codes.sort();
    codes.dedup();
    let drafts: Vec<JudgeDraft> = codes
        .iter()
        .map(|c| JudgeDraft {
            code: c.clone(),
            verdict: form.get(&format!("verdict.{c}")).cloned(),
            points: form
                .get(&format!("points.{c}"))
                .cloned()
                .map(serde_json::Value::String),
            note: form.get(&format!("note.{c}")).cloned(),
        })
        .collect();
    let result = workflow::judge(&state.db, &actor, id, &drafts).await;
    let then = form.get("then").cloned().unwrap_or_default();
    if then == "submit" && result.is_ok() {
        // The judgements are saved even when the submission is refused; say so.
        let submitted = workflow::submit(&state.db, &actor, id)
            .await
            .map_err(|e| match e {
                AppError::Validation { message, fields } => AppError::Validation {
                    message: format!("Đã lưu các đánh giá, nhưng chưa gửi được: {message}"),
                    fields,
                },
                other => other,
            });
        return after(
            &state,
            &actor,
            id,
            "submit",
            form,
            submitted,
            "assessment_submitted",
        )
        .await;
    }
    after(&state, &actor, id, "judge", form, result, "assessment_saved").await
}

pub async fn submit(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let result = workflow::submit(&state.db, &actor, id).await;
    after(&state, &actor, id, "submit", form, result, "assessment_submitted").await
}

pub async fn return_back(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let result = workflow::return_back(&state.db, &actor, id, form.get("reason").map(String::as_str)).await;
    after(&state, &actor, id, "return", form, result, "assessment_returned").await
}

pub async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let result = workflow::approve(&state.db, &actor, id, form.get("note").map(String::as_str)).await;
    after(&state, &actor, id, "approve", form, result, "assessment_approved").await
}

pub async fn recognise(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let d = RecogniseDraft {
        cert_number: form.get("cert_number").cloned(),
        cert_date: form.get("cert_date").cloned(),
        cert_issuer: form.get("cert_issuer").cloned(),
        cert_signer: form.get("cert_signer").cloned(),
    };
    let result = workflow::recognise(&state.db, &actor, id, &d).await;
    after(
        &state,
        &actor,
        id,
        "recognise",
        form,
        result,
        "assessment_recognised",
    )
    .await
}

pub async fn withdraw(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let result = workflow::withdraw(&state.db, &actor, id, form.get("reason").map(String::as_str)).await;
    after(
        &state,
        &actor,
        id,
        "withdraw",
        form,
        result,
        "assessment_withdrawn",
    )
    .await
}

pub async fn correct(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let result = workflow::correct(&state.db, &actor, id, form.get("reason").map(String::as_str)).await;
    after(
        &state,
        &actor,
        id,
        "correct",
        form,
        result,
        "assessment_corrected",
    )
    .await
}

/// The fields of a multipart form, with the file's name and bytes.
/// The fields of a multipart form, with its one `file` (name, bytes).
pub async fn multipart_form(multipart: Multipart) -> Result<(Form, Option<(String, Vec<u8>)>), AppError> {
    let (fields, mut files) = crate::web::multipart_parts(multipart, "file").await?;
    if files.len() > 1 {
        return Err(AppError::field("file", "Tệp: mỗi lần chỉ tải lên một tệp."));
    }
    Ok((fields, files.pop()))
}

pub async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    multipart: Multipart,
) -> PageResult {
    let (form, file) = multipart_form(multipart).await?;
    let result = match &file {
        Some((name, bytes)) => super::evidence::upload(
            &state.db,
            &actor,
            id,
            form.get("criterion").map(String::as_str),
            name,
            bytes,
        )
        .await
        .map(|_| ()),
        None => Err(AppError::field("file", "Tệp minh chứng: chưa chọn tệp.")),
    };
    match refused_or(result)? {
        Ok(()) => Ok(see_other(
            &format!("/assessments/{id}#evidence"),
            Some("evidence_added"),
        )),
        Err(e) => {
            let page = show_page(&state, &actor, id, "upload", FormState::refused(form, &e)).await?;
            Ok(render(e.status(), &page))
        }
    }
}

pub async fn file(State(state): State<AppState>, actor: Actor, IdPair(id, file_id): IdPair) -> PageResult {
    let (name, content_type, bytes) = super::evidence::download(&state.db, &actor, id, file_id).await?;
    Ok(attachment(&name, &content_type, bytes))
}

pub async fn remove_file(
    State(state): State<AppState>,
    actor: Actor,
    IdPair(id, file_id): IdPair,
) -> PageResult {
    super::evidence::remove(&state.db, &actor, id, file_id).await?;
    Ok(see_other(
        &format!("/assessments/{id}#evidence"),
        Some("evidence_removed"),
    ))
}

/// A download whose name may hold Vietnamese letters (RFC 6266 filename*).
pub fn attachment(name: &str, content_type: &str, bytes: Vec<u8>) -> axum::response::Response {
    let ascii: String = crate::text::fold(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

pub async fn certificate(State(state): State<AppState>, actor: Actor, Id(id): Id) -> PageResult {
    let (name, bytes) = super::certificate::render(&state.db, &actor, id).await?;
    Ok(attachment(&name, "application/pdf", bytes))
}

// ---------------------------------------------------------------------------
// Criteria sets

#[derive(Template)]
#[template(path = "assessment/criteria.html")]
struct CriteriaPage {
    ctx: PageCtx,
    sets: Vec<CriteriaSet>,
    is_admin: bool,
    form: FormState,
}

#[derive(Template)]
#[template(path = "assessment/criteria_set.html")]
struct SetPage {
    ctx: PageCtx,
    set: CriteriaSet,
    is_admin: bool,
    editor: String,
    form: FormState,
}

pub async fn criteria_list(State(state): State<AppState>, actor: Actor, Q(q): Q<ShowQuery>) -> PageResult {
    let page = CriteriaPage {
        ctx: PageCtx::new(&actor, "Bộ tiêu chí đánh giá").with_notice(q.ok.as_deref()),
        sets: criteria::list(&state.db).await?,
        is_admin: policy::authorize(&actor, Action::ManageCriteria, "/VN/").is_ok(),
        form: FormState::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

/// Imports a set from a file or from the editor's text: a new version.
pub async fn criteria_import(
    State(state): State<AppState>,
    actor: Actor,
    multipart: Multipart,
) -> PageResult {
    let (form, file) = multipart_form(multipart).await?;
    let bytes = match (&file, form.get("document")) {
        (Some((_, b)), _) => b.clone(),
        (None, Some(text)) if !text.trim().is_empty() => text.clone().into_bytes(),
        _ => Vec::new(),
    };
    let result = if bytes.is_empty() {
        Err(AppError::field(
            "file",
            "Tệp bộ tiêu chí: chưa chọn tệp hoặc chưa nhập nội dung.",
        ))
    } else {
        criteria::import(&state.db, &actor, &bytes).await
    };
    match refused_or(result)? {
        Ok(set) => Ok(see_other(
            &format!("/criteria/{}", set.id),
            Some("criteria_saved"),
        )),
        Err(e) => {
            let is_admin = policy::authorize(&actor, Action::ManageCriteria, "/VN/").is_ok();
            match form.get("from").and_then(|f| f.parse::<i64>().ok()) {
                Some(from) => {
                    let page = SetPage {
                        ctx: PageCtx::new(&actor, "Bộ tiêu chí"),
                        set: criteria::get(&state.db, from).await?,
                        is_admin,
                        editor: form.get("document").cloned().unwrap_or_default(),
                        form: FormState::refused(form, &e),
                    };
                    Ok(render(e.status(), &page))
                }
                None => {
                    let page = CriteriaPage {
                        ctx: PageCtx::new(&actor, "Bộ tiêu chí đánh giá"),
                        sets: criteria::list(&state.db).await?,
                        is_admin,
                        form: FormState::refused(form, &e),
                    };
                    Ok(render(e.status(), &page))
                }
            }
        }
    }
}

pub async fn criteria_show(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<ShowQuery>,
) -> PageResult {
    let set = criteria::get(&state.db, id).await?;
    let page = SetPage {
        ctx: PageCtx::new(&actor, set.doc.name.clone()).with_notice(q.ok.as_deref()),
        editor: set.pretty_json(),
        is_admin: policy::authorize(&actor, Action::ManageCriteria, "/VN/").is_ok(),
        set,
        form: FormState::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn criteria_export(State(state): State<AppState>, _actor: Actor, Id(id): Id) -> PageResult {
    let set = criteria::get(&state.db, id).await?;
    let name = format!("{}-v{}.json", set.doc.code, set.version);
    Ok(attachment(
        &name,
        "application/json; charset=utf-8",
        (set.pretty_json() + "\n").into_bytes(),
    ))
}

pub async fn criteria_active(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let active = form.get("active").map(String::as_str) == Some("1");
    criteria::set_active(&state.db, &actor, id, active).await?;
    Ok(see_other(&format!("/criteria/{id}"), Some("criteria_saved")))
}

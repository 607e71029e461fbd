//! `/api/v1` handlers of criteria sets and assessments: the same services
//! as the pages, with JSON in and out (evidence as multipart, the
//! certificate as PDF).

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::workflow::{self, CreateDraft, JudgeDraft, RecogniseDraft};
use super::{Filter, criteria, evidence};
use crate::app::AppState;
use crate::auth::{Action, Actor, Scope, policy};
use crate::error::{AppError, Result};
use crate::units;
use crate::web::extract::{ApiJson, Id, IdPair, Q, Upload};

/// A set version; how many assessments use it is a nationwide count, told
/// to administrators of the nation only.
fn set_json(set: &criteria::CriteriaSet, actor: &Actor) -> Value {
    let mut v = json!({
        "id": set.id,
        "version": set.version,
        "active": set.active,
        "shipped": set.shipped,
        "created_by": set.created_by,
        "created_at": set.created_at,
        "document": set.doc.to_json(),
    });
    if policy::authorize(actor, Action::ManageCriteria, "/VN/").is_ok() {
        v["assessments"] = json!(set.used);
    }
    v
}

pub async fn list_sets(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>> {
    let sets = criteria::list(&state.db).await?;
    Ok(Json(
        json!({"sets": sets.iter().map(|s| set_json(s, &actor)).collect::<Vec<_>>()}),
    ))
}

/// The body is the set file itself (docs/CRITERIA.md).
pub async fn import_set(
    State(state): State<AppState>,
    actor: Actor,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    let set = criteria::import(&state.db, &actor, &body).await?;
    Ok((StatusCode::CREATED, Json(set_json(&set, &actor))))
}

pub async fn show_set(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    Ok(Json(set_json(&criteria::get(&state.db, id).await?, &actor)))
}

#[derive(Deserialize)]
pub struct ActiveBody {
    active: bool,
}

pub async fn set_active(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ActiveBody>,
) -> Result<Json<Value>> {
    let set = criteria::set_active(&state.db, &actor, id, b.active).await?;
    Ok(Json(set_json(&set, &actor)))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    year: Option<i64>,
    #[serde(default)]
    programme: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    overdue: Option<bool>,
    #[serde(default)]
    to_decide: Option<bool>,
}

/// Assessments of the unit's subtree for a year, with the figures.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<ListQuery>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let year = q.year.unwrap_or_else(|| i64::from(crate::input::today().year()));
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field("year", format!("Năm: {year} không hợp lệ.")));
    }
    if let Some(s) = &q.status
        && !super::STATUSES.iter().any(|(k, _)| k == s)
    {
        return Err(AppError::field("status", "Trạng thái: không có."));
    }
    let filter = Filter {
        year,
        programme: q.programme.clone(),
        status: q.status.clone(),
        overdue: q.overdue.unwrap_or(false),
        to_decide: q.to_decide.unwrap_or(false),
    };
    let list = super::list(&state.db, &actor, &unit, &filter).await?;
    let scope = Scope::new(&actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let figures = super::figures::figures(&state.db, &scope, year).await?;
    let items: Vec<Value> = list
        .iter()
        .map(|a| {
            let mut v = json!(a);
            v["overdue"] = json!(a.is_overdue());
            v
        })
        .collect();
    Ok(Json(
        json!({"year": year, "figures": figures, "assessments": items}),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(d): ApiJson<CreateDraft>,
) -> Result<impl IntoResponse> {
    let a = workflow::create(&state.db, &actor, &d).await?;
    Ok((
        StatusCode::CREATED,
        Json(super::full(&state.db, &actor, a.id).await?),
    ))
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    let full = super::full(&state.db, &actor, id).await?;
    let mut v = json!(full);
    v["overdue"] = json!(full.assessment.is_overdue());
    v["tally"] = json!({"passed": full.tally().passed, "failed": full.tally().failed, "open": full.tally().open,
        "total": full.tally().total, "label": full.tally().label()});
    Ok(Json(v))
}

#[derive(Deserialize)]
pub struct ItemsBody {
    items: Vec<JudgeDraft>,
}

pub async fn judge(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ItemsBody>,
) -> Result<Json<Value>> {
    workflow::judge(&state.db, &actor, id, &b.items).await?;
    show(State(state), actor, Id(id)).await
}

pub async fn submit(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    workflow::submit(&state.db, &actor, id).await?;
    show(State(state), actor, Id(id)).await
}

#[derive(Deserialize, Default)]
pub struct ReasonBody {
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

pub async fn return_back(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<Value>> {
    workflow::return_back(&state.db, &actor, id, b.reason.as_deref()).await?;
    show(State(state), actor, Id(id)).await
}

pub async fn approve(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<Value>> {
    workflow::approve(&state.db, &actor, id, b.note.as_deref()).await?;
    show(State(state), actor, Id(id)).await
}

pub async fn recognise(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<RecogniseDraft>,
) -> Result<Json<Value>> {
    workflow::recognise(&state.db, &actor, id, &d).await?;
    show(State(state), actor, Id(id)).await
}

pub async fn withdraw(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Json<Value>> {
    workflow::withdraw(&state.db, &actor, id, b.reason.as_deref()).await?;
    show(State(state), actor, Id(id)).await
}

/// A correction of a decided assessment: 201 with the new version.
pub async fn correct(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<impl IntoResponse> {
    let a = workflow::correct(&state.db, &actor, id, b.reason.as_deref()).await?;
    Ok((
        StatusCode::CREATED,
        Json(super::full(&state.db, &actor, a.id).await?),
    ))
}

/// Multipart: `file` and optionally `criterion`.
pub async fn upload(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    multipart: Multipart,
) -> Result<impl IntoResponse> {
    let (form, file) = super::pages::multipart_form(multipart).await?;
    let Some((name, bytes)) = file else {
        return Err(AppError::field("file", "Tệp minh chứng: chưa chọn tệp."));
    };
    let info = evidence::upload(
        &state.db,
        &actor,
        id,
        form.get("criterion").map(String::as_str),
        &name,
        &bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(info)))
}

pub async fn file(
    State(state): State<AppState>,
    actor: Actor,
    IdPair(id, file_id): IdPair,
) -> Result<Response> {
    let (name, content_type, bytes) = evidence::download(&state.db, &actor, id, file_id).await?;
    Ok(super::pages::attachment(&name, &content_type, bytes))
}

pub async fn remove_file(
    State(state): State<AppState>,
    actor: Actor,
    IdPair(id, file_id): IdPair,
) -> Result<StatusCode> {
    evidence::remove(&state.db, &actor, id, file_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn certificate(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Response> {
    let (name, bytes) = super::certificate::render(&state.db, &actor, id).await?;
    Ok(super::pages::attachment(&name, "application/pdf", bytes))
}

//! `/api/v1` handlers of activities, festival days, coordination programmes
//! and covenants. Each extracts, calls the service, and answers JSON.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::festival::{self, FestivalDraft};
use super::programmes::{self, CovenantDraft, ProgrammeDraft, ReviewDraft};
use super::{ActivityDraft, ActivityFilter};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::Result;
use crate::tabular::{Format, Sent};
use crate::units;
use crate::web::extract::{ApiJson, Id, Q, Spooled, Upload};

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(f): Q<ActivityFilter>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    Ok(Json(json!(super::list(&state.db, &actor, &unit, &f).await?)))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(d): ApiJson<ActivityDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state.db, &actor, &code, &d).await?),
    ))
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(super::get(&state.db, &actor, id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<ActivityDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(super::update(&state.db, &actor, id, &d).await?))
}

#[derive(Deserialize, Default)]
pub struct CancelBody {
    #[serde(default)]
    reason: Option<String>,
}

pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<CancelBody>,
) -> Result<impl IntoResponse> {
    Ok(Json(
        super::cancel(&state.db, &actor, id, b.reason.as_deref()).await?,
    ))
}

/// CSV or XLSX (sheet "Hoạt động") in the body, all rows or none.
pub async fn import(
    State(state): State<AppState>,
    actor: Actor,
    Spooled(file): Spooled<{ crate::app::ACTIVITY_IMPORT_LIMIT }>,
) -> Result<impl IntoResponse> {
    let done = super::io::import_activities(&state.db, &actor, Sent::File(file)).await?;
    Ok((StatusCode::OK, Json(json!(done))))
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    year: Option<i64>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<ExportQuery>,
) -> Result<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let filter = ActivityFilter {
        kind: q.kind,
        year: q.year,
        from: q.from,
        to: q.to,
        ..Default::default()
    };
    let bytes = super::io::export_activities(&state.db, &actor, &unit, &filter, format).await?;
    Ok(crate::web::download(
        format,
        &format!("hoat-dong-{}", unit.code),
        bytes,
    ))
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: Option<i64>,
    #[serde(default)]
    format: Option<String>,
}

fn year_or_now(y: Option<i64>) -> i64 {
    y.unwrap_or_else(|| i64::from(crate::input::today().year()))
}

/// The year's festival days in the subtree and the communes with none.
pub async fn festival_days(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let year = year_or_now(q.year);
    let list = festival::list(&state.db, &actor, &unit, year).await?;
    let missing = festival::unscheduled(&state.db, &actor, &unit, year).await?;
    Ok(Json(
        json!({ "year": year, "festival_days": list, "not_scheduled": missing }),
    ))
}

pub async fn create_festival_day(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(d): ApiJson<FestivalDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(festival::create(&state.db, &actor, &code, &d).await?),
    ))
}

/// CSV or XLSX (sheet "Ngày hội") in the body, all rows or none.
pub async fn import_festival_days(
    State(state): State<AppState>,
    actor: Actor,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    Ok(Json(json!(
        super::io::import_festival_days(&state.db, &actor, &body).await?
    )))
}

/// A festival day with the awards handed out there, counted as the seeds count them.
pub async fn festival_day(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    let f = festival::get(&state.db, &actor, id).await?;
    let awards = crate::awards::at_event(&state.db, &actor, "festival_day", id).await?;
    Ok(Json(json!({ "festival_day": f, "awards": awards })))
}

pub async fn update_festival_day(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<FestivalDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(festival::update(&state.db, &actor, id, &d).await?))
}

pub async fn export_festival_days(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let bytes =
        super::io::export_festival_days(&state.db, &actor, &unit, year_or_now(q.year), format).await?;
    Ok(crate::web::download(
        format,
        &format!("ngay-hoi-{}", unit.code),
        bytes,
    ))
}

pub async fn programmes(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let list = programmes::list(&state.db, &actor, &unit).await?;
    Ok(Json(json!({ "total": list.len(), "programmes": list })))
}

pub async fn create_programme(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(d): ApiJson<ProgrammeDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(programmes::create(&state.db, &actor, &code, &d).await?),
    ))
}

/// A programme with its reviews and, for each, the awards handed out there.
pub async fn programme(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    let p = programmes::get(&state.db, &actor, id).await?;
    let reviews = programmes::reviews(&state.db, &actor, &p).await?;
    let mut out = Vec::new();
    for r in reviews {
        let awards = crate::awards::at_event(&state.db, &actor, "programme_review", r.id).await?;
        out.push(json!({ "review": r, "awards": awards }));
    }
    Ok(Json(json!({ "programme": p, "reviews": out })))
}

pub async fn add_review(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<ReviewDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(programmes::add_review(&state.db, &actor, id, &d).await?),
    ))
}

pub async fn covenants(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let list = programmes::covenants(&state.db, &actor, &unit, q.year).await?;
    Ok(Json(json!({ "total": list.len(), "covenants": list })))
}

pub async fn create_covenant(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(d): ApiJson<CovenantDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(programmes::create_covenant(&state.db, &actor, &code, &d).await?),
    ))
}

pub async fn export_programmes(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let bytes = super::io::export_programmes(&state.db, &actor, &unit, format).await?;
    Ok(crate::web::download(
        format,
        &format!("chuong-trinh-phoi-hop-{}", unit.code),
        bytes,
    ))
}

pub async fn export_covenants(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let bytes = super::io::export_covenants(&state.db, &actor, &unit, q.year, format).await?;
    Ok(crate::web::download(
        format,
        &format!("giao-uoc-{}", unit.code),
        bytes,
    ))
}

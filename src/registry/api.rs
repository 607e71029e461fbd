//! `/api/v1` handlers of the registries.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::models::{self, ModelTypeDraft, PointDraft, PointFilter};
use super::ratings::{self, RatingDraft};
use super::registrations::{self, RegistrationDraft};
use super::summary;
use super::teams::{self, MemberDraft, TeamDraft, TeamFilter};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::Result;
use crate::input;
use crate::units;
use crate::web::extract::{ApiJson, Id, Q, Upload};

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    year: Option<i64>,
}

fn year_or_now(y: Option<i64>) -> i64 {
    y.unwrap_or_else(|| i64::from(input::today().year()))
}

pub async fn summary(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<impl IntoResponse> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    Ok(Json(
        summary::for_unit(&state.db, &actor, &unit, year_or_now(q.year)).await?,
    ))
}

pub async fn list_teams(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(f): Q<TeamFilter>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let list = teams::list_teams(&state.db, &actor, &unit, &f).await?;
    Ok(Json(json!({ "total": list.len(), "teams": list })))
}

pub async fn create_team(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(d): ApiJson<TeamDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(teams::create_team(&state.db, &actor, &code, &d).await?),
    ))
}

pub async fn team(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    let team = teams::get_team(&state.db, &actor, id).await?;
    let members = teams::list_members(&state.db, &actor, &team, true).await?;
    Ok(Json(json!({ "team": team, "members": members })))
}

pub async fn update_team(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<TeamDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(teams::update_team(&state.db, &actor, id, &d).await?))
}

#[derive(Deserialize, Default)]
pub struct OnDate {
    #[serde(default)]
    on: Option<String>,
}

/// `?on=YYYY-MM-DD` (default today).
pub async fn dissolve_team(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<OnDate>,
) -> Result<impl IntoResponse> {
    Ok(Json(
        teams::dissolve_team(&state.db, &actor, id, q.on.as_deref()).await?,
    ))
}

pub async fn add_member(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<MemberDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(teams::add_member(&state.db, &actor, id, &d).await?),
    ))
}

pub async fn member(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(teams::get_member(&state.db, &actor, id).await?.0))
}

pub async fn update_member(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<MemberDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(teams::update_member(&state.db, &actor, id, &d).await?))
}

/// `?on=YYYY-MM-DD` (default today).
pub async fn member_leave(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<OnDate>,
) -> Result<impl IntoResponse> {
    Ok(Json(teams::leave(&state.db, &actor, id, q.on.as_deref()).await?))
}

pub async fn rate(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(d): ApiJson<RatingDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(ratings::rate(&state.db, &actor, &d).await?))
}

pub async fn list_ratings(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let year = year_or_now(q.year);
    let list = ratings::for_commune(&state.db, &actor, &unit, year).await?;
    let quotas = if unit.level == "commune" {
        vec![
            ratings::quota(&state.db, &actor, &unit, "team", year).await?,
            ratings::quota(&state.db, &actor, &unit, "member", year).await?,
        ]
    } else {
        Vec::new()
    };
    Ok(Json(json!({ "year": year, "ratings": list, "quotas": quotas })))
}

pub async fn list_types(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let list = models::types_available(&state.db, &unit).await?;
    Ok(Json(json!({ "total": list.len(), "model_types": list })))
}

pub async fn create_type(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(d): ApiJson<ModelTypeDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(models::create_type(&state.db, &actor, &code, &d).await?),
    ))
}

pub async fn list_points(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(f): Q<PointFilter>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let list = models::list_points(&state.db, &actor, &unit, &f).await?;
    Ok(Json(json!({ "total": list.len(), "points": list })))
}

pub async fn create_point(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(d): ApiJson<PointDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(models::create_point(&state.db, &actor, &code, &d).await?),
    ))
}

pub async fn point(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(models::get_point(&state.db, &actor, id).await?))
}

pub async fn update_point(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<PointDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(models::update_point(&state.db, &actor, id, &d).await?))
}

pub async fn point_tree(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    let nodes = models::tree(&state.db, &actor, id).await?;
    Ok(Json(json!({ "nodes": nodes })))
}

pub async fn list_registrations(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let year = year_or_now(q.year);
    let list = registrations::list(&state.db, &actor, &unit, year).await?;
    let missing = registrations::missing(&state.db, &actor, &unit, year).await?;
    Ok(Json(
        json!({ "year": year, "total": list.len(), "registrations": list, "not_registered": missing }),
    ))
}

pub async fn register(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(d): ApiJson<RegistrationDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(registrations::register(&state.db, &actor, &d).await?),
    ))
}

pub async fn update_registration(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<RegistrationDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(registrations::update(&state.db, &actor, id, &d).await?))
}

/// CSV or XLSX in the body (recognised by content), all rows or none.
pub async fn import_members(
    State(state): State<AppState>,
    actor: Actor,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    let report = super::members_io::import(&state.db, &actor, &body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "created": report.created }))))
}

#[derive(Deserialize, Default)]
pub struct FormatQuery {
    #[serde(default)]
    format: Option<String>,
}

impl FormatQuery {
    pub fn format(&self) -> Option<&str> {
        self.format.as_deref()
    }
}

pub async fn export_members(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<FormatQuery>,
) -> Result<impl IntoResponse> {
    let format = crate::tabular::Format::parse(q.format.as_deref())?;
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let bytes = super::members_io::export(&state.db, &actor, &unit, format).await?;
    Ok(crate::web::download(
        format,
        &format!("thanh-vien-{}", unit.code),
        bytes,
    ))
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    year: Option<i64>,
}

/// `GET /units/{code}/{teams|model-points|registrations}/export?format=csv|xlsx[&year=]`.
pub async fn export_list(
    State(state): State<AppState>,
    actor: Actor,
    Path((code, list)): Path<(String, String)>,
    Q(q): Q<ExportQuery>,
) -> Result<axum::response::Response> {
    let format = crate::tabular::Format::parse(q.format.as_deref())?;
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let (stem, bytes) = match list.as_str() {
        "teams" => (
            "to-doi",
            super::exports::teams(&state.db, &actor, &unit, format).await?,
        ),
        "model-points" => (
            "diem-mo-hinh",
            super::exports::points(&state.db, &actor, &unit, format).await?,
        ),
        "registrations" => {
            let year = year_or_now(q.year);
            (
                "dang-ky",
                super::exports::registrations(&state.db, &actor, &unit, year, format).await?,
            )
        }
        _ => return Err(crate::error::AppError::NotFound("Không có danh sách này.".into())),
    };
    Ok(crate::web::download(
        format,
        &format!("{stem}-{}", unit.code),
        bytes,
    ))
}

/// CSV or XLSX (sheet "Đăng ký") in the body, all rows or none.
pub async fn import_registrations(
    State(state): State<AppState>,
    actor: Actor,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    let created = registrations::import(&state.db, &actor, &body).await?;
    Ok((StatusCode::CREATED, Json(json!({ "created": created }))))
}

/// CSV or XLSX (sheet "Tổ, đội") in the body: rows with ma_to update, rows
/// without create; all rows or none.
pub async fn import_teams(
    State(state): State<AppState>,
    actor: Actor,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    let report = super::teams_io::import(&state.db, &actor, &body).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// CSV or XLSX (sheet "Điểm mô hình") in the body: rows with ma_diem
/// update, rows without create; all rows or none.
pub async fn import_points(
    State(state): State<AppState>,
    actor: Actor,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    let report = super::points_io::import(&state.db, &actor, &body).await?;
    Ok((StatusCode::CREATED, Json(report)))
}

pub async fn update_type(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<ModelTypeDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(models::update_type(&state.db, &actor, id, &d).await?))
}

pub async fn deactivate_type(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> Result<impl IntoResponse> {
    Ok(Json(models::deactivate_type(&state.db, &actor, id).await?))
}

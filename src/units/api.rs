//! `/api/v1` handlers for units, villages and organisations.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::{Value, json};

use super::organisations::{self, OrganisationDraft};
use super::villages::{self, VillageDraft};
use super::{import, search};
use crate::app::AppState;
use crate::auth::{Action, Actor, Scope};
use crate::error::Result;
use crate::web::extract::{ApiJson, Id, Q, Upload};

#[derive(Deserialize, Default)]
pub struct UnitQuery {
    #[serde(default)]
    level: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    parent: Option<String>,
}

/// The official list of today's units (public reference data; see search.rs).
pub async fn list(State(state): State<AppState>, actor: Actor, Q(q): Q<UnitQuery>) -> Result<Json<Value>> {
    crate::auth::policy::require_role(&actor, Action::ViewGeography)?;
    let level = match q.level.as_deref().filter(|l| !l.is_empty()) {
        Some(l) => Some(super::parse_level(l)?),
        None => None,
    };
    let query = search::Query {
        q: q.q.filter(|s| !s.trim().is_empty()),
        level,
        parent: q.parent,
    };
    let hits = search::run(&state.db, &query).await?;
    Ok(Json(json!({ "total": hits.len(), "units": hits })))
}

pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> Result<Json<Value>> {
    let unit = super::open_for(&state.db, &actor, &code).await?;
    let scope = Scope::new(&actor, Action::ViewGeography)?;
    let counts = super::counts(&state.db, &scope, &unit).await?;
    let children = if unit.level == "commune" {
        Vec::new()
    } else {
        super::children(&state.db, &actor, &unit).await?
    };
    Ok(Json(
        json!({ "unit": unit, "counts": counts, "children": children }),
    ))
}

pub async fn list_villages(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> Result<Json<Value>> {
    let unit = super::open_for(&state.db, &actor, &code).await?;
    let list = villages::list(&state.db, &actor, &unit, false).await?;
    Ok(Json(json!({ "total": list.len(), "villages": list })))
}

pub async fn create_village(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(draft): ApiJson<VillageDraft>,
) -> Result<impl IntoResponse> {
    let v = villages::create(&state.db, &actor, &code, &draft).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

pub async fn village(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(villages::get(&state.db, &actor, id).await?))
}

pub async fn update_village(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(draft): ApiJson<VillageDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(villages::update(&state.db, &actor, id, draft).await?))
}

#[derive(serde::Deserialize)]
pub struct DeactivateVillage {
    /// The day it ceased: `19/08/2025` or ISO; none: today.
    #[serde(default)]
    pub closed_on: Option<String>,
}

/// `POST /villages/{id}/deactivate`, with no body (ceased today) or
/// `{"closed_on": "…"}`.
pub async fn deactivate_village(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    body: Option<ApiJson<DeactivateVillage>>,
) -> Result<impl IntoResponse> {
    let closed_on = body.and_then(|ApiJson(b)| b.closed_on);
    Ok(Json(
        villages::deactivate(&state.db, &actor, id, closed_on.as_deref()).await?,
    ))
}

/// CSV in the request body (`text/csv`), all or nothing.
pub async fn import_villages(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    let report = import::import_villages(&state.db, &actor, &body, Some(code.trim())).await?;
    Ok((StatusCode::CREATED, Json(json!({ "created": report.created }))))
}

/// `?format=csv` (default) or `xlsx`.
pub async fn export_villages(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<crate::registry::api::FormatQuery>,
) -> Result<impl IntoResponse> {
    let format = crate::tabular::Format::parse(q.format())?;
    let bytes = import::export_villages(&state.db, &actor, &code, format).await?;
    Ok(crate::web::download(
        format,
        &format!("thon-to-dan-pho-{}", code.trim()),
        bytes,
    ))
}

pub async fn list_organisations(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> Result<Json<Value>> {
    let unit = super::open_for(&state.db, &actor, &code).await?;
    let list = organisations::list(&state.db, &actor, &unit).await?;
    Ok(Json(json!({ "total": list.len(), "organisations": list })))
}

pub async fn create_organisation(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    ApiJson(draft): ApiJson<OrganisationDraft>,
) -> Result<impl IntoResponse> {
    let o = organisations::create(&state.db, &actor, &code, &draft).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

pub async fn organisation(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> Result<impl IntoResponse> {
    Ok(Json(organisations::get(&state.db, &actor, id).await?))
}

pub async fn update_organisation(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(draft): ApiJson<OrganisationDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(organisations::update(&state.db, &actor, id, &draft).await?))
}

pub async fn deactivate_organisation(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> Result<impl IntoResponse> {
    Ok(Json(organisations::deactivate(&state.db, &actor, id).await?))
}

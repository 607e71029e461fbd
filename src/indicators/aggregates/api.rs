//! `/api/v1` handlers of entered totals.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AggregateDraft, Filter};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::Result;
use crate::tabular::Format;
use crate::units;
use crate::web::extract::{ApiJson, Id, Q, Upload};

/// The values entered in a unit's subtree, with the entered indicators.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(f): Q<Filter>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let values = super::list(&state.db, &actor, &unit, &f).await?;
    let indicators: Vec<Value> = super::indicators()
        .map(|i| json!({ "code": i.code, "name": i.name, "unit": i.unit }))
        .collect();
    Ok(Json(
        json!({ "indicators": indicators, "total": values.len(), "values": values }),
    ))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(d): ApiJson<AggregateDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state.db, &actor, &d).await?),
    ))
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(super::get(&state.db, &actor, id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<AggregateDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(super::update(&state.db, &actor, id, &d).await?))
}

pub async fn delete(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(super::delete(&state.db, &actor, id).await?))
}

/// CSV or XLSX (sheet "Số liệu tổng hợp") in the body, all rows or none.
pub async fn import(
    State(state): State<AppState>,
    actor: Actor,
    Upload(body): Upload,
) -> Result<impl IntoResponse> {
    Ok(Json(json!(super::io::import(&state.db, &actor, &body).await?)))
}

#[derive(Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    year: Option<i64>,
    #[serde(default)]
    indicator: Option<String>,
}

pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<ExportQuery>,
) -> Result<Response> {
    export_file(&state, &actor, &code, &q).await
}

/// The export shared by the API and the page.
pub async fn export_file(state: &AppState, actor: &Actor, code: &str, q: &ExportQuery) -> Result<Response> {
    let format = Format::parse(q.format.as_deref())?;
    let unit = units::open_for(&state.db, actor, code).await?;
    let f = Filter {
        year: q.year,
        indicator: q.indicator.clone(),
    };
    let bytes = super::io::export(&state.db, actor, &unit, &f, format).await?;
    Ok(crate::web::download(
        format,
        &format!("so-lieu-tong-hop-{}", unit.code),
        bytes,
    ))
}

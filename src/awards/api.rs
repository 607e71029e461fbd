//! `/api/v1` handlers of awards, service records and the Kỷ niệm chương
//! eligibility.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::eligibility::{self, ServiceDraft};
use super::{AwardDraft, AwardFilter};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::Result;
use crate::tabular::Format;
use crate::units;
use crate::web::extract::{ApiJson, Id, Q, Upload};

/// Awards to recipients in the subtree for the period, with the counts per
/// issuer and type and the seeds' sentences.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(f): Q<AwardFilter>,
) -> Result<Json<Value>> {
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let list = super::list(&state.db, &actor, &unit, &f).await?;
    let tally = super::tally(&list);
    Ok(Json(json!({
        "total": list.len(),
        "by_issuer": tally,
        "sentences": super::sentences(&tally),
        "awards": list,
    })))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(d): ApiJson<AwardDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state.db, &actor, &d).await?),
    ))
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(super::get(&state.db, &actor, id).await?))
}

/// CSV or XLSX (sheet "Khen thưởng") in the body, all rows or none.
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
    let f = AwardFilter {
        year: q.year,
        from: q.from,
        to: q.to,
        event_kind: None,
        event_id: None,
    };
    let bytes = super::io::export(&state.db, &actor, &unit, &f, format).await?;
    Ok(crate::web::download(
        format,
        &format!("khen-thuong-{}", unit.code),
        bytes,
    ))
}

pub async fn eligibility(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> Result<impl IntoResponse> {
    Ok(Json(eligibility::for_member(&state.db, &actor, id).await?))
}

pub async fn add_service(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<ServiceDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(eligibility::add_service(&state.db, &actor, id, &d).await?),
    ))
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

//! `/api/v1` handlers of tips: the officers' (bearer token, scoped like the
//! pages) and the public ones under `/api/v1/public/tips` (no token, no
//! cookie, the same services and limits as the public pages).

use axum::Json;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::triage::{self, ExtendDraft, StatusDraft};
use super::{CATEGORIES, figures, intake};
use crate::app::AppState;
use crate::auth::{Action, Actor, Scope};
use crate::error::{AppError, Result};
use crate::units;
use crate::web::extract::{ApiJson, Id, IdPair, Q};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    overdue: Option<bool>,
    #[serde(default)]
    year: Option<i64>,
    /// A period instead of a year, for the figures (dates).
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

/// The period of the figures: `from`–`to` when given (at most ten years,
/// not reversed), else the year.
fn period(q: &ListQuery, year: i64) -> Result<(String, String)> {
    if q.from.is_none() && q.to.is_none() {
        return Ok((format!("{year:04}-01-01"), format!("{year:04}-12-31")));
    }
    let mut inv = crate::error::Invalid::default();
    let f = crate::input::date(&mut inv, "from", "Từ ngày", q.from.as_deref(), true);
    let t = crate::input::date(&mut inv, "to", "Đến ngày", q.to.as_deref(), true);
    inv.finish()?;
    let (f, t) = (f.unwrap_or_default(), t.unwrap_or_default());
    if t < f {
        return Err(AppError::field("to", "Đến ngày: không được trước ngày bắt đầu."));
    }
    let span = crate::input::parse_date(&t)
        .zip(crate::input::parse_date(&f))
        .map(|(t, f)| (t - f).whole_days())
        .unwrap_or(0);
    if span > 3660 {
        return Err(AppError::field("to", "Đến ngày: kỳ tối đa 10 năm."));
    }
    Ok((f, t))
}

/// The inbox of a unit's subtree, open tips first by deadline, with the figures of the year.
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
    let filter = super::Filter {
        status: q.status.clone(),
        overdue: q.overdue.unwrap_or(false),
        category: q.category.clone(),
    };
    let tips = super::list(&state.db, &actor, &unit, &filter).await?;
    let scope = Scope::new(&actor, Action::HandleTips)?.narrow(&unit.path)?;
    let (first, last) = period(&q, year)?;
    let figures = figures::figures(&state.db, &scope, &first, &last).await?;
    let items: Vec<Value> = tips
        .iter()
        .map(|t| {
            let mut v = json!(t);
            v["overdue"] = json!(t.is_overdue());
            v["due_soon"] = json!(t.is_due_soon());
            v
        })
        .collect();
    Ok(Json(
        json!({"year": year, "from": first, "to": last, "figures": figures, "tips": items}),
    ))
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<Json<Value>> {
    let tip = super::get(&state.db, &actor, id).await?;
    let messages = triage::messages(&state.db, &actor, id).await?;
    let photos = triage::photo_ids(&state.db, id).await?;
    let mut v = json!(tip);
    v["overdue"] = json!(tip.is_overdue());
    v["due_soon"] = json!(tip.is_due_soon());
    v["messages"] = json!(messages);
    v["photo_ids"] = json!(photos);
    Ok(Json(v))
}

pub async fn set_status(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<StatusDraft>,
) -> Result<Json<Value>> {
    triage::set_status(&state.db, &actor, id, &d).await?;
    show(State(state), actor, Id(id)).await
}

#[derive(Deserialize)]
pub struct AssignBody {
    #[serde(default)]
    user_id: Option<i64>,
}

pub async fn assign(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<Value>> {
    triage::assign(&state.db, &actor, id, b.user_id).await?;
    show(State(state), actor, Id(id)).await
}

#[derive(Deserialize)]
pub struct MessageBody {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: Option<String>,
}

pub async fn add_message(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<MessageBody>,
) -> Result<impl IntoResponse> {
    triage::add_message(&state.db, &actor, id, &b.kind, b.body.as_deref()).await?;
    Ok((StatusCode::CREATED, show(State(state), actor, Id(id)).await?))
}

pub async fn extend(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(d): ApiJson<ExtendDraft>,
) -> Result<Json<Value>> {
    triage::extend(&state.db, &actor, id, &d).await?;
    show(State(state), actor, Id(id)).await
}

#[derive(Deserialize)]
pub struct ReasonBody {
    #[serde(default)]
    reason: Option<String>,
}

/// The reporter's name and phone; the reason goes to the audit log.
pub async fn identity(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(b): ApiJson<ReasonBody>,
) -> Result<Response> {
    let identity =
        triage::reveal_identity(&state.db, &state.config.tip_key, &actor, id, b.reason.as_deref()).await?;
    // The name and phone stay in no cache.
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(json!(identity))).into_response())
}

pub async fn photo(
    State(state): State<AppState>,
    actor: Actor,
    IdPair(id, photo_id): IdPair,
) -> Result<Response> {
    let (content_type, bytes) = triage::photo(&state.db, &actor, id, photo_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------------------
// Public: no token, no cookie.

/// A form token and the choices, for a client that sends a tip.
pub async fn public_form(State(state): State<AppState>) -> Json<Value> {
    let categories: Vec<Value> = CATEGORIES
        .iter()
        .map(|(k, l)| json!({"code": k, "label": l}))
        .collect();
    Json(json!({"token": state.config.tip_guard.token(), "categories": categories}))
}

/// Multipart, the fields of the public form (`photos` up to five times).
pub async fn public_submit(
    State(state): State<AppState>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<impl IntoResponse> {
    let (form, photos) = super::pages::read_multipart(super::pages::multipart_or_refuse(multipart)?).await?;
    let draft = super::pages::draft_of(&form, photos);
    let receipt = intake::submit(&state.db, &state.config.tip_key, &state.config.tip_guard, draft).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

#[derive(Deserialize)]
pub struct LookupBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    text: String,
}

pub async fn public_status(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<LookupBody>,
) -> Result<Json<Value>> {
    Ok(Json(json!(
        intake::status(
            &state.db,
            &state.config.tip_key,
            &state.config.tip_guard,
            &b.code,
            &b.secret
        )
        .await?
    )))
}

pub async fn public_add(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<LookupBody>,
) -> Result<impl IntoResponse> {
    let status = intake::add_information(
        &state.db,
        &state.config.tip_key,
        &state.config.tip_guard,
        &b.code,
        &b.secret,
        &b.text,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(json!(status))))
}

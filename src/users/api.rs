//! `/api/v1/users` (admins only, inside their scope).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use super::UserDraft;
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::Result;
use crate::web::extract::{ApiJson, Id};

pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<impl IntoResponse> {
    let users = super::list(&state.db, &actor).await?;
    Ok(Json(json!({ "total": users.len(), "users": users })))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    ApiJson(draft): ApiJson<UserDraft>,
) -> Result<impl IntoResponse> {
    Ok((
        StatusCode::CREATED,
        Json(super::create(&state.db, &actor, &draft).await?),
    ))
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id) -> Result<impl IntoResponse> {
    Ok(Json(super::get(&state.db, &actor, id).await?))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(draft): ApiJson<UserDraft>,
) -> Result<impl IntoResponse> {
    Ok(Json(super::update(&state.db, &actor, id, &draft).await?))
}

#[derive(Deserialize)]
pub struct PasswordBody {
    #[serde(default)]
    password: String,
}

pub async fn set_password(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<impl IntoResponse> {
    super::set_password(&state.db, &actor, id, &body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct TokenBody {
    #[serde(default)]
    label: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    ApiJson(body): ApiJson<TokenBody>,
) -> Result<impl IntoResponse> {
    let token = super::create_token(&state.db, &actor, id, &body.label).await?;
    Ok((StatusCode::CREATED, Json(json!({ "token": token }))))
}

/// Revokes a token (one's own, or an admin's for accounts in scope).
pub async fn revoke_token(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
) -> Result<impl IntoResponse> {
    super::revoke_token(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

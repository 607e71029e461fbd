//! The JSON API under `/api/v1`: bearer-token authentication, the routes of
//! every area, and the OpenAPI document. Handlers call the same service
//! functions as the pages; errors are `{"error": {"code", "message", "fields"}}`.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use axum::{Json, Router, middleware};
use serde_json::json;

use crate::app::AppState;
use crate::auth::{self, Actor};
use crate::{audit, units, users};

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn routes(state: AppState) -> Router<AppState> {
    let protected = Router::new()
        .route("/me", get(me))
        .route("/units", get(units::api::list))
        .route("/units/{code}", get(units::api::show))
        .route(
            "/units/{code}/villages",
            get(units::api::list_villages).post(units::api::create_village),
        )
        .route("/units/{code}/villages/import", post(units::api::import_villages))
        .route("/units/{code}/villages/export", get(units::api::export_villages))
        .route(
            "/units/{code}/organisations",
            get(units::api::list_organisations).post(units::api::create_organisation),
        )
        .route(
            "/villages/{id}",
            get(units::api::village).patch(units::api::update_village),
        )
        .route("/villages/{id}/deactivate", post(units::api::deactivate_village))
        .route(
            "/organisations/{id}",
            get(units::api::organisation).patch(units::api::update_organisation),
        )
        .route(
            "/organisations/{id}/deactivate",
            post(units::api::deactivate_organisation),
        )
        .route("/users", get(users::api::list).post(users::api::create))
        .route("/users/{id}", get(users::api::show).patch(users::api::update))
        .route("/users/{id}/password", put(users::api::set_password))
        .route("/users/{id}/tokens", post(users::api::create_token))
        .route("/tokens/{id}/revoke", post(users::api::revoke_token))
        .route("/audit", get(audit::api::search))
        .route_layer(middleware::from_fn_with_state(state, auth::middleware::api_token));
    Router::new()
        .route("/openapi.json", get(openapi))
        .merge(protected)
        .fallback(not_found)
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

async fn not_found() -> crate::error::AppError {
    crate::error::AppError::NotFound("Không có đường dẫn API này.".into())
}

async fn me(State(_): State<AppState>, actor: Actor) -> Json<serde_json::Value> {
    Json(json!({
        "id": actor.user_id,
        "username": actor.username,
        "full_name": actor.full_name,
        "role": actor.role,
        "scope_code": actor.scope_code,
        "scope_name": actor.scope_name,
    }))
}

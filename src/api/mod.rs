//! The JSON API under `/api/v1`: bearer-token authentication, the routes of
//! every area, and the OpenAPI document. Handlers call the same service
//! functions as the pages; errors are `{"error": {"code", "message", "fields"}}`.

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, patch, post, put};
use axum::{Json, Router, middleware};
use serde_json::json;

use crate::app::AppState;
use crate::auth::{self, Actor};
use crate::{activities, assessment, audit, awards, indicators, registry, tips, units, users};

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
        .route("/units/{code}/summary", get(registry::api::summary))
        .route(
            "/units/{code}/teams",
            get(registry::api::list_teams).post(registry::api::create_team),
        )
        .route(
            "/teams/{id}",
            get(registry::api::team).patch(registry::api::update_team),
        )
        .route("/teams/{id}/dissolve", post(registry::api::dissolve_team))
        .route("/teams/{id}/members", post(registry::api::add_member))
        .route(
            "/members/{id}",
            get(registry::api::member).patch(registry::api::update_member),
        )
        .route("/members/{id}/leave", post(registry::api::member_leave))
        .route("/ratings", put(registry::api::rate))
        .route("/units/{code}/ratings", get(registry::api::list_ratings))
        .route(
            "/units/{code}/model-types",
            get(registry::api::list_types).post(registry::api::create_type),
        )
        .route(
            "/units/{code}/model-points",
            get(registry::api::list_points).post(registry::api::create_point),
        )
        .route(
            "/model-points/{id}",
            get(registry::api::point).patch(registry::api::update_point),
        )
        .route("/model-points/{id}/tree", get(registry::api::point_tree))
        .route(
            "/units/{code}/registrations",
            get(registry::api::list_registrations),
        )
        .route("/registrations", post(registry::api::register))
        .route("/registrations/import", post(registry::api::import_registrations))
        .route("/teams/import", post(registry::api::import_teams))
        .route("/model-points/import", post(registry::api::import_points))
        .route("/model-types/{id}", patch(registry::api::update_type))
        .route(
            "/model-types/{id}/deactivate",
            post(registry::api::deactivate_type),
        )
        .route("/registrations/{id}", patch(registry::api::update_registration))
        .route("/members/import", post(registry::api::import_members))
        .route("/units/{code}/{list}/export", get(registry::api::export_list))
        .route("/units/{code}/members/export", get(registry::api::export_members))
        .route(
            "/units/{code}/activities",
            get(activities::api::list).post(activities::api::create),
        )
        .route("/units/{code}/activities/export", get(activities::api::export))
        .route(
            "/activities/import",
            // Its limit is in its extractor (`Upload`), which reads the body itself.
            post(activities::api::import),
        )
        .route(
            "/activities/{id}",
            get(activities::api::show).patch(activities::api::update),
        )
        .route("/activities/{id}/cancel", post(activities::api::cancel))
        .route(
            "/units/{code}/festival-days",
            get(activities::api::festival_days).post(activities::api::create_festival_day),
        )
        .route(
            "/units/{code}/festival-days/export",
            get(activities::api::export_festival_days),
        )
        .route(
            "/festival-days/import",
            post(activities::api::import_festival_days),
        )
        .route(
            "/festival-days/{id}",
            get(activities::api::festival_day).patch(activities::api::update_festival_day),
        )
        .route(
            "/units/{code}/programmes",
            get(activities::api::programmes).post(activities::api::create_programme),
        )
        .route(
            "/units/{code}/programmes/export",
            get(activities::api::export_programmes),
        )
        .route(
            "/units/{code}/covenants/export",
            get(activities::api::export_covenants),
        )
        .route("/programmes/{id}", get(activities::api::programme))
        .route("/programmes/{id}/reviews", post(activities::api::add_review))
        .route(
            "/units/{code}/covenants",
            get(activities::api::covenants).post(activities::api::create_covenant),
        )
        .route("/units/{code}/awards", get(awards::api::list))
        .route("/units/{code}/awards/export", get(awards::api::export))
        .route("/awards", post(awards::api::create))
        .route("/awards/import", post(awards::api::import))
        .route("/awards/{id}", get(awards::api::show))
        .route("/awards/{id}/cancel", post(awards::api::cancel))
        .route("/members/{id}/badge-eligibility", get(awards::api::eligibility))
        .route("/members/{id}/service-records", post(awards::api::add_service))
        .route(
            "/criteria-sets",
            get(assessment::api::list_sets).post(assessment::api::import_set),
        )
        .route("/criteria-sets/{id}", get(assessment::api::show_set))
        .route("/criteria-sets/{id}/active", put(assessment::api::set_active))
        .route("/units/{code}/assessments", get(assessment::api::list))
        .route("/assessments", post(assessment::api::create))
        .route("/assessments/{id}", get(assessment::api::show))
        .route("/assessments/{id}/items", put(assessment::api::judge))
        .route("/assessments/{id}/submit", post(assessment::api::submit))
        .route("/assessments/{id}/return", post(assessment::api::return_back))
        .route("/assessments/{id}/approve", post(assessment::api::approve))
        .route("/assessments/{id}/recognise", post(assessment::api::recognise))
        .route("/assessments/{id}/correct", post(assessment::api::correct))
        .route("/assessments/{id}/withdraw", post(assessment::api::withdraw))
        .route("/assessments/{id}/files", post(assessment::api::upload))
        .route(
            "/assessments/{id}/files/{file_id}",
            get(assessment::api::file).delete(assessment::api::remove_file),
        )
        .route(
            "/assessments/{id}/certificate.pdf",
            get(assessment::api::certificate),
        )
        .route("/units/{code}/tips", get(tips::api::list))
        .route("/indicators", get(indicators::api::catalogue))
        .route("/units/{code}/dashboard", get(indicators::api::dashboard))
        .route("/units/{code}/dashboard/export", get(indicators::api::export))
        .route("/units/{code}/report", get(indicators::api::report))
        .route("/units/{code}/trend", get(indicators::api::trend))
        .route("/units/{code}/completeness", get(indicators::api::completeness))
        .route("/units/{code}/distribution", get(indicators::api::distribution))
        .route("/units/{code}/aggregates", get(indicators::aggregates::api::list))
        .route(
            "/units/{code}/aggregates/export",
            get(indicators::aggregates::api::export),
        )
        .route("/aggregates", post(indicators::aggregates::api::create))
        .route("/aggregates/import", post(indicators::aggregates::api::import))
        .route(
            "/aggregates/{id}",
            get(indicators::aggregates::api::show)
                .patch(indicators::aggregates::api::update)
                .delete(indicators::aggregates::api::delete),
        )
        .route("/tips/{id}", get(tips::api::show))
        .route("/tips/{id}/status", post(tips::api::set_status))
        .route("/tips/{id}/assign", post(tips::api::assign))
        .route("/tips/{id}/messages", post(tips::api::add_message))
        .route("/tips/{id}/extend", post(tips::api::extend))
        .route("/tips/{id}/identity", post(tips::api::identity))
        .route("/tips/{id}/photos/{photo_id}", get(tips::api::photo))
        .route_layer(middleware::from_fn_with_state(state, auth::middleware::api_token));
    // Public tip endpoints: no token, no cookie, nothing of the client kept.
    let public = Router::new()
        .route("/public/tips/form", get(tips::api::public_form))
        .route(
            "/public/tips",
            post(tips::api::public_submit).layer(DefaultBodyLimit::max(tips::pages::BODY_LIMIT)),
        )
        .route("/public/tips/status", post(tips::api::public_status))
        .route("/public/tips/messages", post(tips::api::public_add))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        ));
    Router::new()
        .route("/openapi.json", get(openapi))
        .merge(public)
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

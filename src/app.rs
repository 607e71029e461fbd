//! Application state and the router: pages under `/`, the JSON API under
//! `/api/v1`. State is passed with axum's `State`; there are no globals.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::get;

use crate::config::Config;
use crate::db::Db;
use crate::{api, auth, web};

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Config,
}

/// Largest request body accepted (a CSV of a province's villages fits with
/// room to spare). Larger bodies get a 413 with a Vietnamese message.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// The API's activities import takes more: a year of the nation's outreach
/// sessions, a million rows, is a CSV of about 60 MB; the import reads it a
/// chunk at a time (activities/io.rs), so its size is all it holds.
pub const ACTIVITY_IMPORT_LIMIT: usize = 128 * 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let pages = web::routes().layer(middleware::from_fn_with_state(
        state.clone(),
        auth::middleware::web_session,
    ));
    Router::new()
        .nest("/api/v1", api::routes(state.clone()))
        .merge(pages)
        .merge(web::public_tip_routes())
        .route("/healthz", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn(web::security_headers))
        .with_state(state)
}

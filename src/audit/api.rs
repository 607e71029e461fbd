//! `GET /api/v1/audit` (reviewers and admins, inside their scope).

use axum::Json;
use axum::extract::State;

use super::{Filter, Page};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::Result;
use crate::web::extract::Q;

pub async fn search(State(state): State<AppState>, actor: Actor, Q(filter): Q<Filter>) -> Result<Json<Page>> {
    Ok(Json(super::search(&state.db, &actor, &filter).await?))
}

//! The audit log page: search by unit subtree, user, date range and action.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;

use super::{Entry, Filter, action_label};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::AppError;
use crate::web::extract::Q;
use crate::web::{PageCtx, PageResult, filters, render};

#[derive(Template)]
#[template(path = "audit/list.html")]
struct AuditPage {
    ctx: PageCtx,
    filter: Filter,
    total: i64,
    entries: Vec<Entry>,
    error: Option<String>,
}

impl AuditPage {
    fn label(&self, action: &str) -> &'static str {
        action_label(action)
    }

    fn truncated(&self) -> bool {
        self.total > self.entries.len() as i64
    }

    fn text(v: &Option<String>) -> &str {
        v.as_deref().unwrap_or_default()
    }

    fn json(v: &Option<serde_json::Value>) -> String {
        v.as_ref()
            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
            .unwrap_or_default()
    }
}

pub async fn list(State(state): State<AppState>, actor: Actor, Q(filter): Q<Filter>) -> PageResult {
    let (total, entries, error) = match super::search(&state.db, &actor, &filter).await {
        Ok(page) => (page.total, page.entries, None),
        Err(e @ AppError::Validation { .. }) => (0, Vec::new(), Some(e.user_message())),
        Err(e) => return Err(e.into()),
    };
    let page = AuditPage {
        ctx: PageCtx::new(&actor, "Nhật ký thao tác"),
        filter,
        total,
        entries,
        error,
    };
    Ok(render(StatusCode::OK, &page))
}

//! Account administration pages (admins, inside their scope).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::{User, UserDraft};
use crate::app::AppState;
use crate::auth::{Actor, Role};
use crate::error::AppError;
use crate::units::pages::{FormState, NoticeQuery};
use crate::web::extract::{Id, Q};
use crate::web::{PageCtx, PageError, PageForm, PageResult, filters, render, see_other};

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    ctx: PageCtx,
    users: Vec<User>,
    roles: Vec<(&'static str, &'static str)>,
    form: FormState,
}

fn roles() -> Vec<(&'static str, &'static str)> {
    Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect()
}

async fn list_page(
    state: &AppState,
    actor: &Actor,
    form: FormState,
    notice: Option<&str>,
) -> Result<ListPage, PageError> {
    Ok(ListPage {
        ctx: PageCtx::new(actor, "Tài khoản người dùng").with_notice(notice),
        users: super::list(&state.db, actor).await?,
        roles: roles(),
        form,
    })
}

pub async fn list(State(state): State<AppState>, actor: Actor, Q(q): Q<NoticeQuery>) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &list_page(&state, &actor, FormState::default(), q.ok_code()).await?,
    ))
}

fn draft(form: &BTreeMap<String, String>) -> UserDraft {
    UserDraft {
        username: form.get("username").cloned(),
        full_name: form.get("full_name").cloned(),
        role: form.get("role").cloned(),
        scope_code: form.get("scope_code").cloned(),
        password: form.get("password").cloned(),
        disabled: None,
    }
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    PageForm(mut form): PageForm<BTreeMap<String, String>>,
) -> PageResult {
    match super::create(&state.db, &actor, &draft(&form)).await {
        Ok(u) => Ok(see_other(&format!("/users/{}", u.id), Some("user_created"))),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            form.remove("password");
            let status = e.status();
            Ok(render(
                status,
                &list_page(&state, &actor, FormState::refused(form, &e), None).await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "users/show.html")]
struct ShowPage {
    ctx: PageCtx,
    user: User,
    roles: Vec<(&'static str, &'static str)>,
    form: FormState,
    password_form: FormState,
}

async fn show_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    password_form: FormState,
    notice: Option<&str>,
) -> Result<ShowPage, PageError> {
    let user = super::get(&state.db, actor, id).await?;
    let form = form.unwrap_or_else(|| FormState {
        values: BTreeMap::from([
            ("full_name".into(), user.full_name.clone()),
            ("role".into(), user.role.as_str().into()),
            ("scope_code".into(), user.scope_code.clone()),
            ("disabled".into(), if user.disabled { "1" } else { "0" }.into()),
        ]),
        ..FormState::default()
    });
    Ok(ShowPage {
        ctx: PageCtx::new(actor, user.username.clone()).with_notice(notice),
        user,
        roles: roles(),
        form,
        password_form,
    })
}

pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &show_page(&state, &actor, id, None, FormState::default(), q.ok_code()).await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<BTreeMap<String, String>>,
) -> PageResult {
    let mut d = draft(&form);
    d.username = None;
    d.password = None;
    d.disabled = Some(form.get("disabled").is_some_and(|v| v == "1"));
    match super::update(&state.db, &actor, id, &d).await {
        Ok(u) => Ok(see_other(&format!("/users/{}", u.id), Some("user_updated"))),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            Ok(render(
                status,
                &show_page(
                    &state,
                    &actor,
                    id,
                    Some(FormState::refused(form, &e)),
                    FormState::default(),
                    None,
                )
                .await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    password: String,
}

pub async fn set_password(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<PasswordForm>,
) -> PageResult {
    match super::set_password(&state.db, &actor, id, &form.password).await {
        Ok(()) => Ok(see_other(&format!("/users/{id}"), Some("password_set"))),
        Err(e @ AppError::Validation { .. }) => {
            let status = e.status();
            Ok(render(
                status,
                &show_page(
                    &state,
                    &actor,
                    id,
                    None,
                    FormState::refused(BTreeMap::new(), &e),
                    None,
                )
                .await?,
            ))
        }
        Err(e) => Err(e.into()),
    }
}

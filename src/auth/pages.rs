//! Login, logout and the account page (own API tokens).

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::session::{self, LOGIN_CSRF_COOKIE, SESSION_COOKIE};
use super::{Actor, login as login_service, tokens};
use crate::app::AppState;
use crate::config::Config;
use crate::units::pages::NoticeQuery;
use crate::users;
use crate::web::extract::{Id, Q};
use crate::web::{PageCtx, PageForm, PageResult, filters, render, see_other};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    ctx: PageCtx,
    message: Option<String>,
    username: String,
    next: String,
}

/// Renders the login form. Before a session exists, CSRF is a double-submit
/// cookie: the form's hidden field must equal this cookie.
pub fn login_page(
    config: &Config,
    headers: &HeaderMap,
    status: StatusCode,
    message: Option<String>,
    username: &str,
    next: &str,
) -> Response {
    let csrf = session::cookie(headers, LOGIN_CSRF_COOKIE)
        .filter(|c| c.len() == 43)
        .map(str::to_string)
        .unwrap_or_else(tokens::random_secret);
    let page = LoginPage {
        ctx: PageCtx::anonymous("Đăng nhập", csrf.clone()),
        message,
        username: username.to_string(),
        next: safe_next(next).to_string(),
    };
    let mut res = render(status, &page);
    let secure = session::is_secure(headers, config.secure_cookies);
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600, secure)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Only local paths, so the login form cannot send users elsewhere. Browsers
/// drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"), so control
/// characters, spaces and backslashes are refused anywhere in the path.
fn safe_next(next: &str) -> &str {
    let clean = !next.bytes().any(|b| b < 0x21 || b == 0x7f || b == b'\\');
    if clean && next.starts_with('/') && !next.starts_with("//") {
        next
    } else {
        "/"
    }
}

#[derive(Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: Option<String>,
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    login_page(
        &state.config,
        &headers,
        StatusCode::OK,
        None,
        "",
        q.next.as_deref().unwrap_or("/"),
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageForm(form): PageForm<LoginForm>,
) -> Response {
    match login_service::login(
        &state.db,
        &form.username,
        &form.password,
        state.config.session_minutes,
    )
    .await
    {
        Ok(secret) => {
            let secure = session::is_secure(&headers, state.config.secure_cookies);
            let cookie =
                session::set_cookie(SESSION_COOKIE, &secret, state.config.session_minutes * 60, secure);
            let mut res = Redirect::to(safe_next(&form.next)).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            res
        }
        Err(e) => login_page(
            &state.config,
            &headers,
            e.status(),
            Some(e.user_message()),
            &form.username,
            &form.next,
        ),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> PageResult {
    if let Some(secret) = session::cookie(&headers, SESSION_COOKIE) {
        session::end(&state.db, secret).await?;
    }
    let secure = session::is_secure(&headers, state.config.secure_cookies);
    let mut res = Redirect::to("/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session::set_cookie(SESSION_COOKIE, "", 0, secure)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    ctx: PageCtx,
    username: String,
    tokens: Vec<(i64, String, String, bool)>,
    new_token: Option<String>,
    password_error: Option<String>,
}

async fn account_page(
    state: &AppState,
    actor: &Actor,
    new_token: Option<String>,
    password_error: Option<String>,
    notice: Option<&str>,
) -> PageResult {
    let tokens = match actor.user_id {
        Some(id) => tokens::list_for_user(&state.db, id).await?,
        None => Vec::new(),
    };
    let page = AccountPage {
        ctx: PageCtx::new(actor, "Tài khoản của tôi").with_notice(notice),
        username: actor.username.clone(),
        tokens,
        new_token,
        password_error: password_error.clone(),
    };
    if password_error.is_some() {
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    Ok(render(StatusCode::OK, &page))
}

pub async fn account(State(state): State<AppState>, actor: Actor, Q(q): Q<NoticeQuery>) -> PageResult {
    account_page(&state, &actor, None, None, q.ok_code()).await
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    label: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    actor: Actor,
    PageForm(form): PageForm<TokenForm>,
) -> PageResult {
    let user_id = actor.user_id.unwrap_or_default();
    let token = users::create_token(&state.db, &actor, user_id, &form.label).await?;
    account_page(&state, &actor, Some(token), None, None).await
}

pub async fn revoke_token(State(state): State<AppState>, actor: Actor, Id(id): Id) -> PageResult {
    users::revoke_token(&state.db, &actor, id).await?;
    Ok(see_other("/account", Some("token_revoked")))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
}

/// After a change every session ends, this one included: sign in again.
pub async fn change_password(
    State(state): State<AppState>,
    actor: Actor,
    PageForm(form): PageForm<PasswordForm>,
) -> PageResult {
    match users::change_own_password(&state.db, &actor, &form.current_password, &form.password).await {
        Ok(()) => Ok(Redirect::to("/login").into_response()),
        Err(e @ crate::error::AppError::Validation { .. }) => {
            account_page(&state, &actor, None, Some(e.user_message()), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next("/units/03583?ok=x"), "/units/03583?ok=x");
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil",
            "https://evil.example",
            "/\n/x",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad:?}");
        }
    }
}

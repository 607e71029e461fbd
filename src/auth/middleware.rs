//! Authentication at the edge: the browser session (with its CSRF check on
//! every form post) for pages, the bearer token for the API. Handlers behind
//! them receive an [`Actor`] and never look at cookies or headers themselves.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

use super::session::{self, LOGIN_CSRF_COOKIE, Lookup, SESSION_COOKIE};
use super::{Actor, tokens};
use crate::app::{AppState, BODY_LIMIT};
use crate::config::Config;
use crate::error::AppError;
use crate::web::{self, PageError};

/// Whether the request carried a session cookie that is no longer valid, so
/// the login page can say "your session expired" rather than "please log in".
#[derive(Clone, Copy, Debug)]
pub struct SessionExpired(pub bool);

pub async fn web_session(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let mut actor = None;
    let mut expired = false;
    if let Some(secret) = session::cookie(&parts.headers, SESSION_COOKIE) {
        match session::lookup(&state.db, secret).await {
            Ok(Lookup::Active(a)) => actor = Some(a),
            Ok(Lookup::Expired | Lookup::Missing) => expired = true,
            Err(e) => return PageError(e).into_response(),
        }
    }
    let mut body = body;
    if !matches!(parts.method, Method::GET | Method::HEAD) {
        // Without a session only the login form may be posted, and it is
        // small: nobody can make the server buffer large bodies unsigned-in.
        let is_login = parts.uri.path() == "/login";
        if actor.is_none() && !is_login {
            return web::login_required(&state.config, &parts.headers, expired, "/");
        }
        let limit = if actor.is_none() {
            LOGIN_BODY_LIMIT
        } else {
            BODY_LIMIT
        };
        // A urlencoded form carries its token in the body, which is read
        // here; a multipart upload carries it in the action URL, and its
        // body streams on to the handler untouched, under the route's
        // limit, so that the activities import can spool a large file.
        let provided = if is_urlencoded(&parts) {
            let bytes = match to_bytes(body, limit).await {
                Ok(b) => b,
                Err(_) => return PageError(too_large()).into_response(),
            };
            let token = csrf_field(&parts, Some(&bytes));
            body = Body::from(bytes);
            token
        } else {
            csrf_field(&parts, None)
        };
        // The login form carries the login cookie's token even when a session
        // is already open (signing in again); every other form the session's.
        let expected = match &actor {
            Some(a) if parts.uri.path() != "/login" => a.csrf_token.clone(),
            _ => session::cookie(&parts.headers, LOGIN_CSRF_COOKIE).map(str::to_string),
        };
        let valid = match (expected, provided) {
            (Some(e), Some(p)) => bool::from(e.as_bytes().ct_eq(p.as_bytes())),
            _ => false,
        };
        if !valid {
            return PageError(AppError::Csrf).into_response();
        }
    }
    if let Some(a) = actor {
        parts.extensions.insert(a);
    }
    parts.extensions.insert(SessionExpired(expired));
    parts.extensions.insert(state.config.clone());
    next.run(Request::from_parts(parts, body)).await
}

/// The login form is two short fields and a token.
const LOGIN_BODY_LIMIT: usize = 64 * 1024;

pub fn too_large() -> AppError {
    AppError::TooLarge(format!(
        "Dữ liệu gửi lên quá lớn (tối đa {} MB).",
        BODY_LIMIT / (1024 * 1024)
    ))
}

fn is_urlencoded(parts: &axum::http::request::Parts) -> bool {
    parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The `_csrf` field of a urlencoded form's `body`, or the `_csrf` query
/// parameter (multipart uploads put it in the form's action URL).
fn csrf_field(parts: &axum::http::request::Parts, body: Option<&[u8]>) -> Option<String> {
    let from = |bytes: &[u8]| {
        url::form_urlencoded::parse(bytes)
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.into_owned())
    };
    body.and_then(from)
        .or_else(|| parts.uri.query().and_then(|q| from(q.as_bytes())))
}

/// Pages other than the login page need a signed-in user.
pub async fn require_login(req: Request, next: Next) -> Response {
    if req.extensions().get::<Actor>().is_some() {
        return next.run(req).await;
    }
    let expired = req.extensions().get::<SessionExpired>().is_some_and(|e| e.0);
    let config = req.extensions().get::<Config>().cloned().unwrap_or_default();
    let path = req
        .uri()
        .path_and_query()
        .map(|p| p.to_string())
        .unwrap_or_else(|| "/".into());
    web::login_required(&config, req.headers(), expired, &path)
}

/// `Authorization: Bearer antq_…` for every `/api/v1` route but the OpenAPI document.
pub async fn api_token(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let actor = match token {
        Some(t) => match tokens::authenticate(&state.db, t).await {
            Ok(a) => a,
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    match actor {
        Some(a) => {
            req.extensions_mut().insert(a);
            next.run(req).await
        }
        None => AppError::Unauthenticated(
            "Thiếu hoặc sai mã truy cập API (tiêu đề Authorization: Bearer …).".into(),
        )
        .into_response(),
    }
}

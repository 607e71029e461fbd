use antq::config::Config;
use axum::body::Body;
use axum::http::Request;

use crate::support::{PASSWORD, TestApp, set_cookie_header};

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", PASSWORD).await;
    assert_eq!(b.login_status, 303);
    assert!(!b.csrf.is_empty());
    let home = app.page(&b, "/units/03583").await;
    assert_eq!(home.status, 200);
    assert!(home.text.contains("Xã Khổng Lào"));

    let tls = TestApp::with_config(Config {
        secure_cookies: true,
        ..Config::default()
    })
    .await;
    tls.user("canbo", "officer", "03583").await;
    let form = tls
        .request(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let cookie = set_cookie_header(&form.headers, "antq_login_csrf").unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"));
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_the_account_locks() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    for _ in 0..4 {
        let b = app.browser("canbo", "sai mật khẩu").await;
        assert_eq!(b.login_status, 401);
        assert!(b.login_text.contains("Tên đăng nhập hoặc mật khẩu không đúng."));
    }
    let fifth = app.browser("canbo", "sai mật khẩu").await;
    assert_eq!(fifth.login_status, 429);
    assert!(
        fifth.login_text.contains("Tài khoản tạm khóa"),
        "{}",
        fifth.login_text
    );
    // Locked: even the right password waits.
    let right = app.browser("canbo", PASSWORD).await;
    assert_eq!(right.login_status, 429);
    assert!(right.session.is_empty());
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'user.locked'")
            .await,
        1
    );
    let unknown = app.browser("khongco", PASSWORD).await;
    assert_eq!(unknown.login_status, 401);
}

#[tokio::test]
async fn an_expired_session_asks_to_log_in_again() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", PASSWORD).await;
    sqlx::query("UPDATE sessions SET expires_at = '2020-01-01T00:00:00Z'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let page = app.page(&b, "/units/03583").await;
    assert_eq!(page.status, 401);
    assert!(page.text.contains("Phiên làm việc đã hết hạn"));
    let post = app
        .post_form(&b, "/units/03583/villages", &[("name", "Bản X"), ("kind", "Bản")])
        .await;
    assert_eq!(post.status, 401);
    assert_eq!(app.count("SELECT COUNT(*) FROM villages").await, 0);
}

#[tokio::test]
async fn a_forged_csrf_token_changes_nothing() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", PASSWORD).await;
    for fields in [
        vec![("_csrf", "gia-mao"), ("name", "Bản X"), ("kind", "Bản")],
        vec![("name", "Bản X"), ("kind", "Bản")],
    ] {
        let res = app.post_raw(&b, "/units/03583/villages", &fields).await;
        assert_eq!(res.status, 403);
        assert!(res.text.contains("Phiên biểu mẫu không hợp lệ"));
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM villages").await, 0);
    // A login form posted without its cookie is refused too.
    let res = app
        .request(
            Request::post("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("_csrf=abc&username=canbo&password=x"))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, 403);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", PASSWORD).await;
    let res = app.post_form(&b, "/logout", &[]).await;
    assert_eq!(res.status, 303);
    assert_eq!(app.page(&b, "/units/03583").await.status, 401);
}

#[tokio::test]
async fn api_tokens_are_required_and_hashed() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let none = app.api("GET", "/me", None, None).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.json()["error"]["code"], "unauthenticated");
    assert_eq!(app.api("GET", "/me", Some("antq_sai"), None).await.status, 401);
    let me = app.get("/me", &u.token).await;
    assert_eq!(me.json()["scope_name"], "Xã Khổng Lào");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE token_hash = $1")
        .bind(&u.token)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "the token itself is never stored");
    assert_eq!(app.api("GET", "/openapi.json", None, None).await.status, 200);
}

#[tokio::test]
async fn the_first_start_creates_one_admin() {
    let app = TestApp::new().await;
    let pw = antq::users::ensure_first_admin(&app.db).await.unwrap().unwrap();
    assert!(pw.len() >= 16);
    assert!(antq::users::ensure_first_admin(&app.db).await.unwrap().is_none());
    let b = app.browser("admin", &pw).await;
    assert_eq!(b.login_status, 303);
}

#[tokio::test]
async fn disabled_accounts_lose_sessions_and_tokens() {
    let app = TestApp::new().await;
    let admin = app.user("quantri", "admin", "VN").await;
    let u = app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", PASSWORD).await;
    // The token has been seen (and its actor kept in memory) before the
    // change; a change of scope is in the next request.
    assert_eq!(app.get("/me", &u.token).await.status, 200);
    let res = app
        .api(
            "PATCH",
            &format!("/users/{}", u.id),
            Some(&admin.token),
            Some(serde_json::json!({"scope_code": "03388"})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(app.get("/me", &u.token).await.json()["scope_code"], "03388");
    let res = app
        .api(
            "PATCH",
            &format!("/users/{}", u.id),
            Some(&admin.token),
            Some(serde_json::json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(app.page(&b, "/units/03583").await.status, 401);
    assert_eq!(app.get("/me", &u.token).await.status, 401);
}

/// An account disabled by another process (`antq user disable` on the
/// command line writes the database directly) loses its tokens once the
/// server's memory of them has expired.
#[tokio::test]
async fn a_token_disabled_behind_the_servers_back_expires_from_memory() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    assert_eq!(app.get("/me", &u.token).await.status, 200);
    sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1")
        .bind(u.id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    tokio::time::sleep(antq::auth::tokens::TOKEN_TTL + std::time::Duration::from_millis(100)).await;
    assert_eq!(app.get("/me", &u.token).await.status, 401);
}

#[tokio::test]
async fn a_password_reset_revokes_api_tokens() {
    let app = TestApp::new().await;
    let admin = app.user("quantri", "admin", "VN").await;
    let u = app.user("canbo", "officer", "03583").await;
    assert_eq!(app.get("/me", &u.token).await.status, 200);
    let res = app
        .api(
            "PUT",
            &format!("/users/{}/password", u.id),
            Some(&admin.token),
            Some(serde_json::json!({"password": "mật khẩu mới đủ dài"})),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(app.get("/me", &u.token).await.status, 401);
    let short = app
        .api(
            "PUT",
            &format!("/users/{}/password", u.id),
            Some(&admin.token),
            Some(serde_json::json!({"password": "ngắn"})),
        )
        .await;
    assert_eq!(short.status, 422);
    assert!(
        short.json()["error"]["fields"]["password"]
            .as_str()
            .unwrap()
            .starts_with("Mật khẩu")
    );
}

#[tokio::test]
async fn login_never_redirects_off_site() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let form = app
        .request(Request::get("/login").body(Body::empty()).unwrap())
        .await;
    let csrf = crate::support::cookie_value(&form.headers, "antq_login_csrf").unwrap();
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%2Fevil.example",
        "https%3A%2F%2Fevil.example",
    ] {
        let res = app
            .request(
                Request::post("/login")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("cookie", format!("antq_login_csrf={csrf}"))
                    .body(Body::from(format!(
                        "_csrf={csrf}&username=canbo&password={}&next={next}",
                        crate::support::urlencode(PASSWORD)
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(res.status, 303);
        assert_eq!(res.headers["location"], "/");
    }
}

#[tokio::test]
async fn tokens_can_be_revoked_by_their_owner_or_an_admin_in_scope() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let other = app.user("canbo2", "officer", "03583").await;
    let admin_outside = app.user("quantri.sonla", "admin", "14").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(u.id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let path = format!("/tokens/{id}/revoke");
    assert_eq!(app.api("POST", &path, Some(&other.token), None).await.status, 403);
    assert_eq!(
        app.api("POST", &path, Some(&admin_outside.token), None)
            .await
            .status,
        404
    );
    assert_eq!(app.api("POST", &path, Some(&u.token), None).await.status, 204);
    assert_eq!(app.get("/me", &u.token).await.status, 401);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'token.revoke'")
            .await,
        1
    );
}

#[tokio::test]
async fn users_change_their_own_password_on_the_account_page() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", PASSWORD).await;
    let wrong = app
        .post_form(
            &b,
            "/account/password",
            &[("current_password", "sai"), ("password", "mật khẩu mới đủ dài")],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.text.contains("Mật khẩu hiện tại: không đúng."));
    let ok = app
        .post_form(
            &b,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "mật khẩu mới đủ dài"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(
        app.page(&b, "/account").await.status,
        401,
        "sessions end with the old password"
    );
    assert_eq!(
        app.browser("canbo", "mật khẩu mới đủ dài").await.login_status,
        303
    );
}

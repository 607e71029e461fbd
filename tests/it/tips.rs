//! Tip-offs: the anonymous intake and lookup, photos without metadata, the
//! reporter's identity sealed and opened only with a reason, the refusals
//! (not an image, a bomb, a 100 MB body, a flood, a wrong secret, markup),
//! triage with the deadlines of Điều 147, and who sees what.

use std::sync::Arc;

use antq::config::Config;
use antq::tips::guard::Guard;
use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};

use crate::support::{Res, TestApp};

const PHOTO: &[u8] = include_bytes!("../fixtures/photo-with-gps.jpg");
const AGENT: &str = "antq-anonymity-probe/7.7 (tip test)";
const FORWARDED: &str = "203.0.113.77";

async fn demo_app() -> TestApp {
    let app = TestApp::new().await;
    antq::demo::load_with_key(&app.db, &app.config.tip_key)
        .await
        .unwrap();
    app
}

fn part(boundary: &str, name: &str, value: &str) -> Vec<u8> {
    format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes()
}

/// A multipart tip as the public form sends it, with a client that shows a
/// user agent and a forwarded address (neither may be kept).
async fn send(app: &TestApp, fields: &[(&str, &str)], photos: &[&[u8]]) -> Res {
    let boundary = "tipboundary";
    let mut body = Vec::new();
    let token = app.config.tip_guard.token_aged(10);
    body.extend(part(boundary, "token", &token));
    for (k, v) in fields {
        body.extend(part(boundary, k, v));
    }
    for (i, p) in photos.iter().enumerate() {
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"photos\"; filename=\"anh{i}.jpg\"\r\n\
                 Content-Type: image/jpeg\r\n\r\n"
            )
            .into_bytes(),
        );
        body.extend_from_slice(p);
        body.extend_from_slice(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").into_bytes());
    let req = Request::post("/api/v1/public/tips")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header(header::USER_AGENT, AGENT)
        .header("x-forwarded-for", FORWARDED)
        .header(header::REFERER, "https://example.org/from-here")
        .body(Body::from(body))
        .unwrap();
    app.request(req).await
}

const KHONG_LAO: [(&str, &str); 4] = [
    ("category", "ma_tuy"),
    (
        "description",
        "Có người bán ma túy ở quán nước đầu bản Nà Cúng vào buổi tối.",
    ),
    ("province", "12"),
    ("commune", "03583"),
];

async fn public(app: &TestApp, path: &str, body: Value) -> Res {
    let req = Request::post(format!("/api/v1/public/tips/{path}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::USER_AGENT, AGENT)
        .body(Body::from(body.to_string()))
        .unwrap();
    app.request(req).await
}

async fn tip_id(app: &TestApp, code: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT id FROM tips WHERE tracking_code = $1")
        .bind(code)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Every stored text of the tip tables and the audit log, in one string.
async fn everything_stored(app: &TestApp) -> String {
    let mut all = String::new();
    for sql in [
        "SELECT tracking_code || ' ' || category || ' ' || description || ' ' || place_detail || ' ' || \
         COALESCE(identity_sealed, '') || ' ' || transferred_to FROM tips",
        "SELECT body || ' ' || user_name FROM tip_messages",
        "SELECT action || ' ' || actor_name || ' ' || target_label || ' ' || COALESCE(before_json, '') || ' ' || \
         COALESCE(after_json, '') FROM audit_log",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql).fetch_all(&app.db.pool).await.unwrap();
        all.push_str(&rows.join("\n"));
    }
    all
}

#[tokio::test]
async fn an_anonymous_tip_with_a_photo_is_answered_through_its_code_and_secret() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let res = send(&app, &KHONG_LAO, &[PHOTO]).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert!(
        res.headers.get(header::SET_COOKIE).is_none(),
        "no cookie on a tip endpoint"
    );
    let receipt = res.json();
    let (code, secret) = (
        receipt["tracking_code"].as_str().unwrap(),
        receipt["secret"].as_str().unwrap(),
    );
    assert_eq!(code.len(), 14);
    assert_eq!(receipt["unit_name"], "Xã Khổng Lào");

    // The stored photo carries no EXIF and no GPS.
    assert!(antq::tips::photos::has_metadata(PHOTO));
    let stored: Vec<u8> = sqlx::query_scalar("SELECT data FROM tip_photos ORDER BY id DESC LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!antq::tips::photos::has_metadata(&stored));
    assert!(!stored.windows(3).any(|w| w == b"GPS"));

    // The officer finds it in the inbox, sees the photo and replies.
    let id = tip_id(&app, code).await;
    let inbox = app.get("/units/03583/tips", &officer.token).await.json();
    assert!(inbox["tips"].as_array().unwrap().iter().any(|t| t["id"] == id));
    let tip = app.get(&format!("/tips/{id}"), &officer.token).await.json();
    assert_eq!(tip["anonymous"], true);
    assert_eq!(tip["deadline"].as_str().unwrap().len(), 10);
    let photo_id = tip["photo_ids"][0].as_i64().unwrap();
    let photo = app
        .get(&format!("/tips/{id}/photos/{photo_id}"), &officer.token)
        .await;
    assert_eq!(photo.bytes, stored);
    let res = app
        .api(
            "POST",
            &format!("/tips/{id}/messages"),
            Some(&officer.token),
            Some(json!({"kind": "note", "body": "Nội bộ: đã giao tổ tuần tra."})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    app.api(
        "POST",
        &format!("/tips/{id}/messages"),
        Some(&officer.token),
        Some(json!({"kind": "reply", "body": "Công an xã đã tiếp nhận và đang xác minh."})),
    )
    .await;

    // The citizen reads the reply, never the internal note, and adds information.
    let status = public(
        &app,
        "status",
        json!({"code": code.replace('-', " "), "secret": secret.to_uppercase()}),
    )
    .await;
    assert_eq!(status.status, 200, "{}", status.text);
    let bodies: Vec<String> = status.json()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(bodies, ["Công an xã đã tiếp nhận và đang xác minh."]);
    assert!(!status.text.contains("Nội bộ"));
    let more = public(
        &app,
        "messages",
        json!({"code": code, "secret": secret, "text": "Thường có mặt sau 21 giờ."}),
    )
    .await;
    assert_eq!(more.status, 201, "{}", more.text);
    assert_eq!(more.json()["messages"].as_array().unwrap().len(), 2);

    // A wrong secret and an unknown code get the same answer.
    let wrong = public(
        &app,
        "status",
        json!({"code": code, "secret": "aaaa-bbbb-cccc-dddd"}),
    )
    .await;
    let unknown = public(
        &app,
        "status",
        json!({"code": "0000-0000-0000", "secret": secret}),
    )
    .await;
    assert_eq!((wrong.status.as_u16(), unknown.status.as_u16()), (422, 422));
    assert_eq!(wrong.text, unknown.text);

    // Nothing of the client was kept: no user agent, forwarded address or referrer.
    let stored = everything_stored(&app).await;
    for trace in [AGENT, FORWARDED, "example.org"] {
        assert!(!stored.contains(trace), "{trace} was stored");
    }
}

#[tokio::test]
async fn the_reporter_is_sealed_and_opened_only_with_a_reason() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let mut fields = KHONG_LAO.to_vec();
    fields.push(("name", "Nguyễn Thị Hoa"));
    fields.push(("phone", "0987 654 321"));
    let receipt = send(&app, &fields, &[]).await.json();
    let id = tip_id(&app, receipt["tracking_code"].as_str().unwrap()).await;
    let sealed: String = sqlx::query_scalar("SELECT identity_sealed FROM tips WHERE id = $1")
        .bind(id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert!(!sealed.contains("Hoa") && !sealed.contains("0987"));
    assert!(!everything_stored(&app).await.contains("Nguyễn Thị Hoa"));
    let path = format!("/tips/{id}/identity");
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"reason": "xem"})),
        )
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"reason": "Cần liên hệ người báo tin để xác minh thêm."})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.json(),
        json!({"name": "Nguyễn Thị Hoa", "phone": "0987 654 321"})
    );
    let logged: String =
        sqlx::query_scalar("SELECT after_json FROM audit_log WHERE action = 'tip.identity_view'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(logged.contains("Cần liên hệ người báo tin"));
    // Another key (another server, a stolen database) cannot open it.
    let other = antq::tips::identity::TipKey::random();
    assert!(other.open(&sealed).is_err());
}

#[tokio::test]
async fn bad_tips_are_refused_and_nothing_is_stored() {
    let app = TestApp::with_config(Config {
        tip_guard: Arc::new(Guard::new(5)),
        ..Config::default()
    })
    .await;
    let count = || async { app.count("SELECT COUNT(*) FROM tips").await };
    let before = count().await;
    // Not an image; a body of 100 MB.
    let res = send(&app, &KHONG_LAO, &[b"MZ\x90\x00 this is no photo"]).await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(
        res.json()["error"]["fields"]["photos"]
            .as_str()
            .unwrap()
            .contains("JPEG hoặc PNG")
    );
    let huge = vec![b'x'; 100 * 1024 * 1024];
    let res = send(&app, &KHONG_LAO, &[&huge]).await;
    assert_eq!(res.status, 413, "{}", res.text);
    // Six photos; a commune of another province; no category; a wrong token.
    let res = send(&app, &KHONG_LAO, &[PHOTO, PHOTO, PHOTO, PHOTO, PHOTO, PHOTO]).await;
    assert_eq!(res.status, 422);
    let mut elsewhere = KHONG_LAO.to_vec();
    elsewhere[3] = ("commune", "03820");
    let res = send(&app, &elsewhere, &[]).await;
    assert!(
        res.json()["error"]["fields"]["commune"].is_string(),
        "{}",
        res.text
    );
    assert_eq!(count().await, before);

    // Markup is kept as text and shown as text.
    let mut markup = KHONG_LAO.to_vec();
    markup[1] = ("description", "<script>alert('x')</script> ở bản <b>Nà Cúng</b>");
    assert_eq!(send(&app, &markup, &[]).await.status, 201);
    let id: i64 = sqlx::query_scalar("SELECT MAX(id) FROM tips")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    antq::users::create(
        &app.db,
        &antq::auth::Actor::system(),
        &antq::users::UserDraft {
            username: Some("canbo".into()),
            full_name: Some("Cán bộ".into()),
            role: Some("officer".into()),
            scope_code: Some("03583".into()),
            password: Some("mat-khau-du-dai-123".into()),
            disabled: None,
        },
    )
    .await
    .unwrap();
    let b = app.browser("canbo", "mat-khau-du-dai-123").await;
    let page = app.page(&b, &format!("/tips/{id}")).await;
    assert!(
        page.text
            .contains("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;")
            || page.text.contains("&lt;script&gt;"),
        "escaped"
    );
    assert!(!page.text.contains("<script>alert"));

    // A flood from one script: the commune's budget (5 here) and no more.
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(send(&app, &KHONG_LAO, &[]).await.status.as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 4, "{statuses:?}");
    assert!(statuses.iter().skip(4).all(|s| *s == 429), "{statuses:?}");
    assert_eq!(count().await, before + 5);
    // A lookup form of 20 MB is refused before it is read into memory.
    let big = format!("code=1&secret={}", "a".repeat(20 * 1024 * 1024));
    let res = app
        .request(
            Request::post("/tin-bao/tra-cuu")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(big))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, 413);
    // A spent token cannot send a second tip.
    let token = app.config.tip_guard.token_aged(10);
    app.config.tip_guard.admit(&token, "03820", "14").unwrap();
    assert!(app.config.tip_guard.check_token(&token).is_err());
}

#[tokio::test]
async fn triage_keeps_the_deadlines_of_article_147() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let province = app.user("tinh", "reviewer", "12").await;
    let other = app.user("ngocchien", "officer", "03820").await;
    let receipt = send(&app, &KHONG_LAO, &[]).await.json();
    let id = tip_id(&app, receipt["tracking_code"].as_str().unwrap()).await;
    let tip = app.get(&format!("/tips/{id}"), &officer.token).await.json();
    let received = tip["received_on"].as_str().unwrap().to_string();
    let d = |s: &str| antq::input::parse_date(s).unwrap();
    assert_eq!(
        d(tip["deadline"].as_str().unwrap()),
        d(&received) + time::Duration::days(20)
    );

    // Transferred needs its recipient; duplicate needs a known code.
    let path = format!("/tips/{id}/status");
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"status": "transferred"})),
        )
        .await;
    assert!(
        res.json()["error"]["fields"]["transferred_to"].is_string(),
        "{}",
        res.text
    );
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"status": "duplicate", "duplicate_of": "1111-2222-3333"})),
        )
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"status": "verifying"})),
        )
        .await;
    assert_eq!(res.json()["status"], "verifying");

    // Extensions: the first to at most 2 months from receipt, the second by at
    // most 2 more, a third never; each names who approved it.
    let ext = format!("/tips/{id}/extend");
    let two_months = antq::tips::add_months(d(&received), 2).unwrap();
    let too_far = two_months + time::Duration::days(1);
    let res = app
        .api(
            "POST",
            &ext,
            Some(&officer.token),
            Some(json!({"until": too_far.to_string(), "approved_by": "Thủ trưởng"})),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["error"]["fields"]["until"]
            .as_str()
            .unwrap()
            .contains("02 tháng")
    );
    let res = app
        .api(
            "POST",
            &ext,
            Some(&officer.token),
            Some(json!({"until": two_months.to_string()})),
        )
        .await;
    assert!(res.json()["error"]["fields"]["approved_by"].is_string());
    let res = app
        .api("POST", &ext, Some(&officer.token), Some(json!({"until": two_months.to_string(), "approved_by": "Thủ trưởng Cơ quan điều tra Công an tỉnh"})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["deadline"], two_months.to_string());
    let second = antq::tips::add_months(two_months, 2).unwrap();
    let res = app
        .api("POST", &ext, Some(&officer.token), Some(json!({"until": second.to_string(), "approved_by": "Viện trưởng Viện kiểm sát nhân dân tỉnh Lai Châu"})))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.json()["extension2_by"],
        "Viện trưởng Viện kiểm sát nhân dân tỉnh Lai Châu"
    );
    let res = app
        .api(
            "POST",
            &ext,
            Some(&officer.token),
            Some(json!({"until": (second + time::Duration::days(5)).to_string(), "approved_by": "x"})),
        )
        .await;
    assert_eq!(res.status, 409);

    // The demo's overdue tip is on the province's overdue list; the figures count it.
    let overdue = app
        .get("/units/12/tips?overdue=true", &province.token)
        .await
        .json();
    assert!(!overdue["tips"].as_array().unwrap().is_empty());
    assert!(
        overdue["tips"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["overdue"] == true)
    );
    assert!(overdue["figures"]["overdue"].as_i64().unwrap() >= 1);
    // Filters by status and category keep to the province and to both.
    let all = app.get("/units/12/tips", &province.token).await.json();
    let all = all["tips"].as_array().unwrap().clone();
    let first = all.first().unwrap();
    let (status, category) = (
        first["status"].as_str().unwrap(),
        first["category"].as_str().unwrap(),
    );
    let both = app
        .get(
            &format!("/units/12/tips?status={status}&category={category}"),
            &province.token,
        )
        .await
        .json();
    let both = both["tips"].as_array().unwrap();
    let expected = all
        .iter()
        .filter(|t| t["status"] == status && t["category"] == category)
        .count();
    assert!(expected >= 1 && both.len() == expected, "{both:?}");
    assert!(both.iter().all(|t| t["province_code"] == "12"), "{both:?}");
    let summary = app.get("/units/12/summary", &province.token).await.json();
    assert!(
        summary["tips"]["received"].as_i64().unwrap() >= 4,
        "{}",
        summary["tips"]
    );
    // "Không nhớ địa điểm" goes to the province: not in the commune's inbox.
    let commune_inbox = app.get("/units/03583/tips", &officer.token).await.json();
    assert!(
        commune_inbox["tips"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["place_kind"] == "commune")
    );
    let province_inbox = app.get("/units/12/tips", &province.token).await.json();
    assert!(
        province_inbox["tips"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["place_kind"] == "unknown")
    );

    // Another commune's officer neither sees nor changes it.
    assert_eq!(app.get(&format!("/tips/{id}"), &other.token).await.status, 404);
    let res = app
        .api(
            "POST",
            &path,
            Some(&other.token),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(res.status, 404);
    let res = app
        .api(
            "POST",
            &format!("/tips/{id}/identity"),
            Some(&other.token),
            Some(json!({"reason": "tò mò muốn biết ai báo"})),
        )
        .await;
    assert_eq!(res.status, 404);
    assert_eq!(app.get("/units/03583/tips", &other.token).await.status, 404);
    // Closing records the day; closed in time is counted.
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"status": "resolved"})),
        )
        .await;
    assert_eq!(res.json()["closed_on"], antq::input::today().to_string());
    // A closed tip is not reopened, and an overdue one is not extended after the fact.
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"status": "verifying"})),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text);
    let late = overdue["tips"][0]["id"].as_i64().unwrap();
    let res = app
        .api(
            "POST",
            &format!("/tips/{late}/extend"),
            Some(&province.token),
            Some(json!({"until": antq::input::today().to_string(), "approved_by": "Thủ trưởng"})),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text);
    // A period for the figures: reversed or over ten years is refused.
    assert_eq!(
        app.get("/units/12/tips?from=2026-05-01&to=2026-01-01", &province.token)
            .await
            .status,
        422
    );
    assert_eq!(
        app.get("/units/12/tips?from=2000-01-01&to=2026-01-01", &province.token)
            .await
            .status,
        422
    );
    let period = app
        .get("/units/12/tips?from=2026-01-01&to=2026-12-31", &province.token)
        .await;
    assert_eq!(period.status, 200);
}

use serde_json::json;

use crate::support::{PASSWORD, TestApp};

#[tokio::test]
async fn audit_search_filters_by_unit_user_date_and_action() {
    let app = TestApp::new().await;
    let a = app.user("canbo.a", "officer", "03583").await;
    let b = app.user("canbo.b", "officer", "03388").await;
    let reviewer = app.user("tinh", "reviewer", "12").await;
    for (u, code) in [(&a, "03583"), (&b, "03388")] {
        let res = app
            .api(
                "POST",
                &format!("/units/{code}/villages"),
                Some(&u.token),
                Some(json!({"name": "Bản Một", "kind": "Bản"})),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    let total = |q: &str| {
        let q = q.to_string();
        let token = reviewer.token.clone();
        let app = &app;
        async move {
            app.get(&format!("/audit?{q}"), &token).await.json()["total"]
                .as_i64()
                .unwrap_or(-1)
        }
    };
    assert_eq!(total("action=village.create").await, 2);
    assert_eq!(total("action=village&unit=03583").await, 1);
    assert_eq!(total("action=village&user=canbo.b").await, 1);
    assert_eq!(total("action=village&from=2020-01-01&to=2020-12-31").await, 0);
    assert_eq!(total("action=village&from=2020-01-01").await, 2);
    let bad = app.get("/audit?from=31/02/2025", &reviewer.token).await;
    assert_eq!(bad.status, 422);
    assert!(
        bad.json()["error"]["fields"]["from"]
            .as_str()
            .unwrap()
            .starts_with("Từ ngày")
    );
    // A reviewer of another province sees none of it.
    let other = app.user("sonla", "reviewer", "14").await;
    let res = app.get("/audit?action=village", &other.token).await;
    assert_eq!(res.json()["total"], 0);
    // The page shows the entry with its Vietnamese action name.
    let browser = app.browser("tinh", PASSWORD).await;
    let page = app.page(&browser, "/audit?unit=03583").await;
    assert!(page.text.contains("Thêm thôn/tổ dân phố") && page.text.contains("canbo.a"));
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() {
    let app = TestApp::new().await;
    let doc = app.api("GET", "/openapi.json", None, None).await.json();
    let paths = doc["paths"].as_object().expect("paths");
    let source = include_str!("../../src/api/mod.rs");
    let mut routes = 0;
    // Each ".route(" segment holds one path and its method handlers.
    for segment in source.split(".route(").skip(1) {
        let segment = segment.split(".route_layer(").next().unwrap();
        let path = segment.split('"').nth(1).unwrap();
        assert!(paths.contains_key(path), "{path} is not documented");
        for method in ["get", "post", "patch", "put", "delete"] {
            if segment.contains(&format!("{method}(")) {
                assert!(
                    paths[path].get(method).is_some(),
                    "{method} {path} is not documented"
                );
            }
        }
        routes += 1;
    }
    assert!(routes >= 15);
}

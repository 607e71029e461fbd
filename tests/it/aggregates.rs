//! Figures that exist only as totals: entered for a place and year, in the
//! dashboards at once, at one level of a subtree only, refused with the
//! field named when wrong, corrected and deleted; imported all or nothing;
//! and the page's form.

use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp};

async fn demo_app() -> TestApp {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    app
}

async fn figure(app: &TestApp, token: &str, unit: &str, period: &str, code: &str) -> i64 {
    let d = app
        .get(
            &format!("/units/{unit}/dashboard?period={period}&codes={code}"),
            token,
        )
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    d.json()["indicators"][0]["value"].as_i64().unwrap()
}

fn draft(unit: &str, year: i64, value: Value) -> Value {
    json!({"indicator": "so_gia_dinh_van_hoa", "unit_code": unit, "year": year, "value": value,
           "source": "Báo cáo số 12/BC-MTTQ"})
}

#[tokio::test]
async fn entered_totals_count_at_once_at_one_level_only() {
    let app = demo_app().await;
    let province = app.user("tinh", "reviewer", "12").await;
    let officer = app.user("canbo", "officer", "03583").await;
    let other = app.user("canbo2", "officer", "03388").await;
    let gdvh = "so_gia_dinh_van_hoa";

    // The demo's province total of 2023, on the map of then and on today's.
    assert_eq!(
        figure(&app, &province.token, "12", "2013-2023", gdvh).await,
        61_956
    );
    assert_eq!(
        figure(&app, &province.token, "12", "2013-2023&map=current", gdvh).await,
        61_956
    );
    assert_eq!(
        figure(&app, &province.token, "12", "2013-2023", "so_khu_dan_cu_van_hoa").await,
        940
    );
    let catalogue = app.get("/indicators", &officer.token).await.json();
    let entered: Vec<&str> = catalogue["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["entered"] == true)
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert_eq!(entered, ["so_gia_dinh_van_hoa", "so_khu_dan_cu_van_hoa"]);

    let n = app.count("SELECT COUNT(*) FROM aggregate_values").await;
    let post = |token: String, body: Value| {
        let app = &app;
        async move { app.api("POST", "/aggregates", Some(&token), Some(body)).await }
    };
    // Khổng Lào was formed from three communes: a year before 2025 says which.
    let res = post(officer.token.clone(), draft("03583", 2024, json!(500))).await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(
        res.json()["error"]["fields"]["legacy_code"].is_string(),
        "{}",
        res.text
    );
    // Bad input names its field and writes nothing.
    for (body, field) in [
        (
            json!({"indicator": "so_buoi_tuyen_truyen", "unit_code": "03583", "year": 2025, "value": 5}),
            "indicator",
        ),
        (
            json!({"indicator": gdvh, "unit_code": "03583", "year": 2025, "value": -5}),
            "value",
        ),
        (
            json!({"indicator": gdvh, "unit_code": "03583", "year": 2025, "value": "nhiều"}),
            "value",
        ),
        (
            json!({"indicator": gdvh, "unit_code": "03583", "year": 2025}),
            "value",
        ),
        (
            json!({"indicator": gdvh, "unit_code": "03583", "year": 1990, "value": 5}),
            "year",
        ),
        (
            json!({"indicator": gdvh, "unit_code": "99999", "year": 2025, "value": 5}),
            "unit_code",
        ),
        (
            json!({"indicator": gdvh, "unit_code": "03583", "year": 2025, "value": 5, "legacy_code": "03577"}),
            "legacy_code",
        ),
        (
            json!({"indicator": gdvh, "unit_code": "03583", "year": 2024, "value": 5, "legacy_code": "03586"}),
            "legacy_code",
        ),
    ] {
        let res = post(officer.token.clone(), body.clone()).await;
        assert_eq!(res.status, 422, "{body}: {}", res.text);
        assert!(
            res.json()["error"]["fields"][field].is_string(),
            "{body}: {}",
            res.text
        );
    }
    // Outside the officer's scope: refused.
    let res = post(officer.token.clone(), draft("03388", 2025, json!(5))).await;
    assert_eq!(res.status, 403, "{}", res.text);
    let res = post(officer.token.clone(), draft("12", 2025, json!(5))).await;
    assert_eq!(res.status, 403, "{}", res.text);
    // The province entered 2023: a commune's 2023 would count twice.
    let mut body = draft("03583", 2023, json!(500));
    body["legacy_code"] = json!("03577");
    let res = post(officer.token.clone(), body).await;
    assert_eq!(res.status, 409, "{}", res.text);
    assert!(res.text.contains("Tỉnh Lai Châu"), "{}", res.text);
    assert!(
        res.json()["error"]["fields"]["unit_code"].is_string(),
        "{}",
        res.text
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM aggregate_values").await, n);

    // A commune's 2024, for the old commune it was counted in: in the
    // commune's, the province's and the nation's totals at once.
    let mut body = draft("03583", 2024, json!("1.200"));
    body["legacy_code"] = json!("03577");
    let res = post(officer.token.clone(), body.clone()).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let id = res.json()["id"].as_i64().unwrap();
    assert_eq!(res.json()["value"], 1200);
    assert_eq!(
        figure(&app, &officer.token, "03583", "2024&map=current", gdvh).await,
        1200
    );
    assert_eq!(figure(&app, &province.token, "12", "2024", gdvh).await, 1200);
    assert_eq!(figure(&app, &province.token, "12", "2020-2024", gdvh).await, 1200);
    assert_eq!(figure(&app, &province.token, "12", "2023", gdvh).await, 61_956);
    // Twice for the same place and year; the province above it for 2024.
    let res = post(officer.token.clone(), body).await;
    assert_eq!(res.status, 409, "{}", res.text);
    assert!(res.json()["error"]["fields"]["year"].is_string(), "{}", res.text);
    let res = post(province.token.clone(), draft("12", 2024, json!(9))).await;
    assert_eq!(res.status, 409, "{}", res.text);
    assert!(
        res.json()["error"]["fields"]["unit_code"].is_string(),
        "{}",
        res.text
    );
    // Another old commune of Khổng Lào keeps its own figure.
    let mut body = draft("03583", 2024, json!(300));
    body["legacy_code"] = json!("03580");
    let res = post(officer.token.clone(), body).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let second = res.json()["id"].as_i64().unwrap();
    assert_eq!(figure(&app, &province.token, "12", "2024", gdvh).await, 1500);

    // Corrected: the total follows; the place and year do not change.
    let res = app
        .api(
            "PATCH",
            &format!("/aggregates/{id}"),
            Some(&officer.token),
            Some(json!({"value": 1300})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(figure(&app, &province.token, "12", "2024", gdvh).await, 1600);
    let res = app
        .api(
            "PATCH",
            &format!("/aggregates/{id}"),
            Some(&officer.token),
            Some(json!({"year": 2022})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.json()["error"]["fields"]["year"].is_string(), "{}", res.text);
    // Another commune's officer sees and changes nothing of it.
    for method in ["GET", "PATCH", "DELETE"] {
        let res = app
            .api(
                method,
                &format!("/aggregates/{id}"),
                Some(&other.token),
                Some(json!({"value": 1})),
            )
            .await;
        assert_eq!(res.status, 404, "{method}: {}", res.text);
    }
    let list = app.get("/units/03388/aggregates", &other.token).await.json();
    assert_eq!(list["total"], 0);
    let list = app
        .get("/units/03583/aggregates?year=2024", &officer.token)
        .await
        .json();
    assert_eq!(list["total"], 2);

    // Deleted: out of the totals; the audit log keeps it.
    let res = app
        .api(
            "DELETE",
            &format!("/aggregates/{second}"),
            Some(&officer.token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(figure(&app, &province.token, "12", "2024", gdvh).await, 1300);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'aggregate.%'")
            .await,
        // The demo's two, two entered, one correction, one deletion.
        6
    );
}

#[tokio::test]
async fn entered_totals_import_all_or_nothing_and_export_round_trip() {
    let app = demo_app().await;
    let province = app.user("tinh", "reviewer", "12").await;
    let import = |body: String| {
        let app = &app;
        let token = province.token.clone();
        async move {
            app.request(
                axum::http::Request::post("/api/v1/aggregates/import")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::from(body))
                    .unwrap(),
            )
            .await
        }
    };
    let csv = app
        .get("/units/12/aggregates/export?format=csv", &province.token)
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.text.contains("61956"), "{}", csv.text);
    let audit = app.count("SELECT COUNT(*) FROM audit_log").await;
    let res = import(csv.text.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json(), json!({"created": 0, "updated": 0, "unchanged": 2}));
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audit);

    let header = "ma_chi_tieu,ma_don_vi,ma_don_vi_cu,nam,gia_tri,nguon\n";
    let bad = format!(
        "{header}so_gia_dinh_van_hoa,12,,2023,62.000,Báo cáo bổ sung\nso_ho_dang_ky,12,,2025,5,\n\
         so_khu_dan_cu_van_hoa,12,,2025,-1,\n"
    );
    let res = import(bad).await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("Dòng 3"), "{}", res.text);
    assert!(res.text.contains("Dòng 4"), "{}", res.text);
    let gdvh = "so_gia_dinh_van_hoa";
    assert_eq!(
        figure(&app, &province.token, "12", "2013-2023", gdvh).await,
        61_956
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM aggregate_values").await, 2);

    let good = format!(
        "{header}so_gia_dinh_van_hoa,12,,2023,62.000,Báo cáo bổ sung\nso_khu_dan_cu_van_hoa,12,,2025,951,\n"
    );
    let res = import(good).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json(), json!({"created": 1, "updated": 1, "unchanged": 0}));
    assert_eq!(
        figure(&app, &province.token, "12", "2013-2023", gdvh).await,
        62_000
    );
    assert_eq!(
        figure(&app, &province.token, "VN", "2025", "so_khu_dan_cu_van_hoa").await,
        951
    );
    let xlsx = app
        .get("/units/12/aggregates/export?format=xlsx", &province.token)
        .await;
    assert_eq!(xlsx.status, 200);
    let res = app
        .request(
            axum::http::Request::post("/api/v1/aggregates/import")
                .header("authorization", format!("Bearer {}", province.token))
                .body(axum::body::Body::from(xlsx.bytes.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(
        res.json(),
        json!({"created": 0, "updated": 0, "unchanged": 3}),
        "{}",
        res.text
    );
}

#[tokio::test]
async fn the_page_lists_enters_and_refuses_with_the_field_named() {
    let app = demo_app().await;
    app.user("tinh", "reviewer", "12").await;
    let b = app.browser("tinh", PASSWORD).await;
    let page = app.page(&b, "/units/12/aggregates").await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.text.contains("61.956"), "{}", page.text);
    assert!(page.text.contains("id=\"add-aggregate\""));
    let fields = [
        ("indicator", "so_khu_dan_cu_van_hoa"),
        ("unit_code", "12"),
        ("year", "2024"),
        ("value", "nhiều"),
    ];
    let res = app.post_form(&b, "/units/12/aggregates", &fields).await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("Số liệu:"), "{}", res.text);
    let fields = [
        ("indicator", "so_khu_dan_cu_van_hoa"),
        ("unit_code", "12"),
        ("year", "2024"),
        ("value", "950"),
        ("source", "Báo cáo năm 2024"),
    ];
    let res = app.post_form(&b, "/units/12/aggregates", &fields).await;
    assert_eq!(res.status, 303, "{}", res.text);
    let page = app.page(&b, "/units/12/aggregates?year=2024").await;
    assert!(page.text.contains("950"), "{}", page.text);
    let dashboard = app.page(&b, "/units/12/dashboard?period=2024").await;
    assert!(
        dashboard
            .text
            .contains("Số khu dân cư đăng ký khu dân cư văn hóa")
    );
}

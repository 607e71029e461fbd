use serde_json::json;

use crate::support::{PASSWORD, TestApp};

async fn villages_in(app: &TestApp, commune: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM villages WHERE commune_code = $1")
        .bind(commune)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn create_update_deactivate_are_audited() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let res = app
        .api("POST", "/units/03583/villages", Some(&u.token), Some(json!({
            "name": "Bản Nà Ho", "kind": "bản", "households": "10.480", "population": 20000, "border_area": true
        })))
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let v = res.json();
    assert_eq!(v["kind"], "Bản");
    assert_eq!(v["households"], 10480);
    let id = v["id"].as_i64().unwrap();
    // Households above the population is refused on update too.
    let res = app
        .api(
            "PATCH",
            &format!("/villages/{id}"),
            Some(&u.token),
            Some(json!({"households": 30000})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.json()["error"]["fields"]["population"].is_string());
    let audit = app
        .get(
            "/audit?action=village",
            &app.user("tinh", "reviewer", "12").await.token,
        )
        .await;
    assert_eq!(audit.json()["total"], 1);
    assert_eq!(audit.json()["entries"][0]["action"], "village.create");
    assert_eq!(audit.json()["entries"][0]["actor"], "canbo");
}

#[tokio::test]
async fn updates_keep_unset_fields_and_audit_before_after() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v = app
        .api(
            "POST",
            "/units/03583/villages",
            Some(&u.token),
            Some(json!({"name": "Bản A", "kind": "Bản", "households": 50})),
        )
        .await
        .json();
    let id = v["id"].as_i64().unwrap();
    let res = app
        .api(
            "PATCH",
            &format!("/villages/{id}"),
            Some(&u.token),
            Some(json!({"population": 230})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["households"], 50);
    assert_eq!(res.json()["population"], 230);
    let res = app
        .api(
            "POST",
            &format!("/villages/{id}/deactivate"),
            Some(&u.token),
            None,
        )
        .await;
    assert_eq!(res.json()["active"], false);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE target_kind = 'village' ORDER BY id")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        ["village.create", "village.update", "village.deactivate"]
    );
    let before: String =
        sqlx::query_scalar("SELECT before_json FROM audit_log WHERE action = 'village.update'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(before.contains("\"population\":null"));
}

#[tokio::test]
async fn bad_village_input_is_refused_by_field_and_writes_nothing() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    app.api(
        "POST",
        "/units/03583/villages",
        Some(&u.token),
        Some(json!({"name": "Bản Nà Ho", "kind": "Bản"})),
    )
    .await;
    let cases = [
        (
            json!({"name": "  bản nà  ho ", "kind": "Bản"}),
            409,
            "name",
            "đã có trong Xã Khổng Lào",
        ),
        (
            json!({"name": "", "kind": "Bản"}),
            422,
            "name",
            "không được để trống",
        ),
        (
            json!({"name": "x".repeat(10 * 1024 * 1024), "kind": "Bản"}),
            422,
            "name",
            "tối đa 200 ký tự",
        ),
        (
            json!({"name": "Bản B", "kind": "Huyện"}),
            422,
            "kind",
            "không hợp lệ",
        ),
        (
            json!({"name": "Bản B", "kind": "Bản", "households": -1}),
            422,
            "households",
            "số âm",
        ),
        (
            json!({"name": "Bản B", "kind": "Bản", "households": 10, "population": 5}),
            422,
            "population",
            "ít hơn số hộ",
        ),
    ];
    for (body, status, field, text) in cases {
        let res = app
            .api("POST", "/units/03583/villages", Some(&u.token), Some(body))
            .await;
        assert_eq!(res.status, status, "{}", &res.text[..res.text.len().min(300)]);
        let msg = res.json()["error"]["fields"][field]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(msg.contains(text), "{field}: {msg}");
        assert!(res.text.len() < 2000, "the message does not echo a huge value");
    }
    let res = app
        .api(
            "POST",
            "/units/99999/villages",
            Some(&u.token),
            Some(json!({"name": "Bản C", "kind": "Bản"})),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["error"]["fields"]["commune_code"]
            .as_str()
            .unwrap()
            .contains("99999")
    );
    assert_eq!(villages_in(&app, "03583").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE target_kind = 'village'")
            .await,
        1
    );
}

#[tokio::test]
async fn oversized_bodies_get_a_vietnamese_413() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let body = json!({"name": "x".repeat(20 * 1024 * 1024), "kind": "Bản"});
    let res = app
        .api("POST", "/units/03583/villages", Some(&u.token), Some(body))
        .await;
    assert_eq!(res.status, 413, "{}", res.text);
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("quá lớn"),
        "{}",
        res.text
    );
}

#[tokio::test]
async fn an_oversized_import_file_gets_a_vietnamese_413_and_writes_nothing() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let before = app.count("SELECT COUNT(*) FROM villages").await;
    let mut csv =
        String::from("ma_xa,ten,loai,so_ho,so_nhan_khau,dan_toc,bien_gioi,ton_giao,trong_diem,ghi_chu\n");
    while csv.len() <= 16 * 1024 * 1024 {
        csv.push_str("03583,Bản Một,Bản,10,40,Thái,0,0,0,\n");
    }
    let req = axum::http::Request::post("/api/v1/units/03583/villages/import")
        .header("authorization", format!("Bearer {}", u.token))
        .header("content-type", "text/csv")
        .body(axum::body::Body::from(csv))
        .unwrap();
    let res = app.request(req).await;
    assert_eq!(res.status, 413, "{}", res.text);
    let msg = res.json()["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("quá lớn") && msg.contains("16 MB"), "{msg}");
    // Refused on its declared length, before a byte of it is held.
    let req = axum::http::Request::post("/api/v1/units/03583/villages/import")
        .header("authorization", format!("Bearer {}", u.token))
        .header("content-type", "text/csv")
        .header("content-length", (200 * 1024 * 1024).to_string())
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.request(req).await;
    assert_eq!(res.status, 413, "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM villages").await, before);
}

const GOOD_AND_BAD: &str = "ma_xa,ten,loai,so_ho,so_nhan_khau,dan_toc,bien_gioi,ton_giao,trong_diem,ghi_chu\n\
03583,Bản Một,Bản,10,40,Thái,0,0,0,\n\
03583,,Bản,10,40,,0,0,0,\n\
03583,Bản Hai,Bản,abc,40,,0,0,0,\n\
03583,Bản Ba,Bản,10,40,,có,0,0,\n\
03820,Bản Bốn,Bản,10,40,,0,0,0,\n\
03583,Bản Một,Bản,1,4,,0,0,0,\n";

#[tokio::test]
async fn csv_import_is_all_or_nothing_and_lists_every_bad_row() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let req = axum::http::Request::post("/api/v1/units/03583/villages/import")
        .header("authorization", format!("Bearer {}", u.token))
        .header("content-type", "text/csv")
        .body(axum::body::Body::from(GOOD_AND_BAD))
        .unwrap();
    let res = app.request(req).await;
    assert_eq!(res.status, 422, "{}", res.text);
    let msg = res.json()["error"]["message"].as_str().unwrap().to_string();
    for line in ["Dòng 3:", "Dòng 4:", "Dòng 6:", "Dòng 7:"] {
        assert!(msg.contains(line), "{line} missing in {msg}");
    }
    assert!(!msg.contains("Dòng 2:") && !msg.contains("Dòng 5:"));
    assert!(msg.contains("Tên thôn, tổ dân phố: không được để trống"));
    assert!(msg.contains("ngoài phạm vi"), "row of another commune: {msg}");
    assert_eq!(villages_in(&app, "03583").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log").await,
        2,
        "only the user and token rows"
    );
}

#[tokio::test]
async fn csv_export_round_trips_through_import() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let good = "ten;loai;so_ho;so_nhan_khau;dan_toc;bien_gioi;ghi_chu\n\
Bản Một;Bản;10;40;Thái, Mông;1;\"ghi chú; có dấu chấm phẩy\"\n\
Tổ dân phố 2;tổ dân phố;1.200;4.800;;0;\n";
    let req = |body: String, token: &str| {
        axum::http::Request::post("/api/v1/units/03583/villages/import")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let res = app.request(req(good.to_string(), &u.token)).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json()["created"], 2);
    let exported = app.get("/units/03583/villages/export", &u.token).await.text;
    assert!(exported.starts_with("ma_xa,ten,loai,so_ho"));
    assert!(exported.contains("03583,Tổ dân phố 2,Tổ dân phố,1200,4800"));
    let other = TestApp::new().await;
    let u2 = other.user("canbo", "officer", "03583").await;
    let res = other.request(req(exported.clone(), &u2.token)).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(
        other.get("/units/03583/villages/export", &u2.token).await.text,
        exported
    );
}

#[tokio::test]
async fn officer_adds_a_village_through_the_page() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", PASSWORD).await;
    let res = app
        .post_form(
            &b,
            "/units/03583/villages",
            &[
                ("name", "Bản Mới"),
                ("kind", "Bản"),
                ("households", "25"),
                ("border_area", "1"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let location = res.headers["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/units/03583?ok=village_created#village-"),
        "{location}"
    );
    let page = app.page(&b, location.split('#').next().unwrap()).await;
    assert!(page.text.contains("Bản Mới"));
    assert!(page.text.contains("Đã thêm thôn, tổ dân phố."));
    // The same name again: the form comes back with the message by the field.
    let res = app
        .post_form(
            &b,
            "/units/03583/villages",
            &[("name", "Bản Mới"), ("kind", "Bản")],
        )
        .await;
    assert_eq!(res.status, 409);
    assert!(res.text.contains("đã có trong Xã Khổng Lào"));
    assert_eq!(villages_in(&app, "03583").await, 1);
}

#[tokio::test]
async fn xlsx_export_round_trips_through_import() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    for (name, households) in [("Bản Một", 10), ("=Bản công thức", 20), ("Tổ dân phố 2", 1200)]
    {
        let res = app
            .api(
                "POST",
                "/units/03583/villages",
                Some(&u.token),
                Some(
                    json!({"name": name, "kind": "Bản", "households": households, "note": "ghi chú; có dấu"}),
                ),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let exported = app
        .get("/units/03583/villages/export?format=xlsx", &u.token)
        .await;
    assert_eq!(exported.status, 200);
    assert_eq!(
        antq::tabular::Format::sniff(exported.text_bytes()),
        antq::tabular::Format::Xlsx
    );
    let other = TestApp::new().await;
    let u2 = other.user("canbo", "officer", "03583").await;
    let req = axum::http::Request::post("/api/v1/units/03583/villages/import")
        .header("authorization", format!("Bearer {}", u2.token))
        .body(axum::body::Body::from(exported.bytes.clone()))
        .unwrap();
    let res = other.request(req).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let again = other
        .get("/units/03583/villages/export?format=xlsx", &u2.token)
        .await;
    let columns: Vec<&str> = antq::units::import::COLUMNS.iter().map(|(vi, _)| *vi).collect();
    let read = |bytes: &[u8]| -> Vec<Vec<String>> {
        antq::tabular::read(bytes, antq::units::import::SHEET, &columns)
            .unwrap()
            .into_iter()
            .map(|r| r.cells)
            .collect()
    };
    assert_eq!(read(exported.text_bytes()), read(again.text_bytes()));
    assert_eq!(
        other
            .count("SELECT COUNT(*) FROM villages WHERE name = '=Bản công thức'")
            .await,
        1
    );
}

/// The number of outreach sessions on a unit's dashboard.
async fn sessions_at(app: &TestApp, token: &str, path: &str) -> i64 {
    let res = app.get(path, token).await;
    assert_eq!(res.status, 200, "{path}: {}", res.text);
    let d = res.json();
    d["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "so_buoi_tuyen_truyen")
        .unwrap()["value"]
        .as_i64()
        .unwrap_or(0)
}

#[tokio::test]
async fn a_villages_old_commune_is_checked_and_its_records_follow_it() {
    let app = TestApp::new().await;
    // A commune of today formed from several of before 1/7/2025.
    let olds: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT x.new_code, x.old_code, o.path FROM crosswalk_2025 x \
         JOIN units o ON o.era = 'legacy' AND o.code = x.old_code AND o.level = 'commune' \
         WHERE x.new_code = (SELECT y.new_code FROM crosswalk_2025 y \
             JOIN units c ON c.era = 'current' AND c.code = y.new_code AND c.level = 'commune' \
             GROUP BY y.new_code HAVING COUNT(*) > 1 ORDER BY y.new_code LIMIT 1) \
         ORDER BY x.old_code",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(olds.len() > 1);
    let commune = olds[0].0.clone();
    let (a, a_path) = (olds[0].1.clone(), olds[0].2.clone());
    let (b, b_path) = (olds[1].1.clone(), olds[1].2.clone());
    let u = app.user("canbo", "officer", &commune).await;
    let nation = app.user("bocongan", "viewer", "VN").await;
    let old_map = |code: &str| format!("/units/{code}/dashboard?period=2024&map=legacy");

    // A commune it was not formed from: refused, naming the field.
    let res = app
        .api(
            "POST",
            &format!("/units/{commune}/villages"),
            Some(&u.token),
            Some(json!({"name": "Bản Cũ", "kind": "bản", "legacy_code": "99999"})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    let field = res.json()["error"]["fields"]["legacy_code"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(field.starts_with("Xã trước sắp xếp: mã \"99999\""), "{field}");
    assert_eq!(villages_in(&app, &commune).await, 0);

    let res = app
        .api(
            "POST",
            &format!("/units/{commune}/villages"),
            Some(&u.token),
            Some(json!({"name": "Bản Cũ", "kind": "bản", "legacy_code": a})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json()["legacy_code"], a.as_str());
    let id = res.json()["id"].as_i64().unwrap();
    let place = |table: &'static str, id: i64| {
        let pool = app.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(&format!("SELECT legacy_path FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    assert_eq!(place("villages", id).await.as_deref(), Some(a_path.as_str()));

    // A session of 2024 in the village counts in that old commune.
    let res = app
        .api(
            "POST",
            &format!("/units/{commune}/activities"),
            Some(&u.token),
            Some(
                json!({"kind": "session", "village_id": id, "held_on": "2024-03-02",
                        "title": "Họp dân", "subtype": "truc_tiep", "attendance": 10}),
            ),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let session = res.json()["id"].as_i64().unwrap();
    assert_eq!(
        place("activities", session).await.as_deref(),
        Some(a_path.as_str())
    );
    assert_eq!(sessions_at(&app, &nation.token, &old_map(&a)).await, 1);
    assert_eq!(sessions_at(&app, &nation.token, &old_map(&b)).await, 0);

    // The village moved to the other old commune: its session follows,
    // in the figures at once.
    let res = app
        .api(
            "PATCH",
            &format!("/villages/{id}"),
            Some(&u.token),
            Some(json!({"legacy_code": b})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["legacy_code"], b.as_str());
    assert_eq!(place("villages", id).await.as_deref(), Some(b_path.as_str()));
    assert_eq!(
        place("activities", session).await.as_deref(),
        Some(b_path.as_str())
    );
    assert_eq!(sessions_at(&app, &nation.token, &old_map(&a)).await, 0);
    assert_eq!(sessions_at(&app, &nation.token, &old_map(&b)).await, 1);

    // Another field changed keeps it; a bad one changes nothing.
    let res = app
        .api(
            "PATCH",
            &format!("/villages/{id}"),
            Some(&u.token),
            Some(json!({"note": "ghi chú"})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["legacy_code"], b.as_str());
    let res = app
        .api(
            "PATCH",
            &format!("/villages/{id}"),
            Some(&u.token),
            Some(json!({"legacy_code": "99999"})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert_eq!(
        place("activities", session).await.as_deref(),
        Some(b_path.as_str())
    );

    // Cleared: back to the commune's home before 2025, where no old
    // commune counts it.
    let home: String = sqlx::query_scalar("SELECT legacy_path FROM legacy_home WHERE code = $1")
        .bind(&commune)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let res = app
        .api(
            "PATCH",
            &format!("/villages/{id}"),
            Some(&u.token),
            Some(json!({"legacy_code": ""})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.json()["legacy_code"].is_null());
    assert_eq!(place("activities", session).await.as_deref(), Some(home.as_str()));
    assert_eq!(sessions_at(&app, &nation.token, &old_map(&b)).await, 0);

    // On the page: the commune's old communes to choose from, and a choice
    // the crosswalk does not allow comes back by the field.
    let b = app.browser("canbo", PASSWORD).await;
    let page = app.page(&b, &format!("/villages/{id}")).await;
    assert!(page.text.contains("id=\"v-legacy\""), "{}", page.text);
    assert!(
        page.text.contains(&format!("<option value=\"{a}\">")),
        "{}",
        page.text
    );
    let res = app
        .post_form(&b, &format!("/villages/{id}"), &[("legacy_code", a.as_str())])
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    assert_eq!(
        place("activities", session).await.as_deref(),
        Some(a_path.as_str())
    );
    let res = app
        .post_form(&b, &format!("/villages/{id}"), &[("legacy_code", "99999")])
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("Xã trước sắp xếp: mã"), "{}", res.text);
    let res = app
        .api(
            "PATCH",
            &format!("/villages/{id}"),
            Some(&u.token),
            Some(json!({"legacy_code": ""})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // The import checks it too, and the export writes it.
    let csv = format!("ten;loai;ma_xa_cu\nBản Mới;bản;{a}\nBản Sai;bản;99999\n");
    let res = app
        .upload(&format!("/units/{commune}/villages/import"), &u.token, csv)
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    let msg = res.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("Dòng 3: Xã trước sắp xếp") && !msg.contains("Dòng 2:"),
        "{msg}"
    );
    let res = app
        .upload(
            &format!("/units/{commune}/villages/import"),
            &u.token,
            format!("ten;loai;ma_xa_cu\nBản Mới;bản;{a}\n"),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let exported = app
        .get(&format!("/units/{commune}/villages/export"), &u.token)
        .await
        .text;
    assert!(
        exported
            .lines()
            .next()
            .unwrap()
            .ends_with(",ma_xa_cu,ngay_thanh_lap"),
        "{exported}"
    );
    assert!(
        exported.contains(&format!("Bản Mới,Bản,,,,0,0,0,,{a},\n")),
        "{exported}"
    );
    // The founding day: refused by name on its line, read as written, and
    // exported as users write it.
    let res = app
        .upload(
            &format!("/units/{commune}/villages/import"),
            &u.token,
            "ten;loai;ngay_thanh_lap\nBản Ba;bản;30/02/2019\n",
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    let msg = res.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("Dòng 2: Ngày thành lập: \"30/02/2019\" không phải ngày hợp lệ"),
        "{msg}"
    );
    let res = app
        .upload(
            &format!("/units/{commune}/villages/import"),
            &u.token,
            "ten;loai;ngay_thanh_lap\nBản Ba;bản;05/05/2019\n",
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let exported = app
        .get(&format!("/units/{commune}/villages/export"), &u.token)
        .await
        .text;
    assert!(
        exported.contains("Bản Ba,Bản,,,,0,0,0,,,05/05/2019\n"),
        "{exported}"
    );
}

/// Deactivating takes the day the village ceased: none (no body, or an
/// empty one of any type) is today; a body that is not JSON is refused
/// in Vietnamese and changes nothing.
#[tokio::test]
async fn deactivating_takes_the_day_the_village_ceased() {
    use axum::body::Body;
    use axum::http::{Request, header};
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let mut ids = Vec::new();
    for name in ["Bản Một", "Bản Hai"] {
        let res = app
            .api(
                "POST",
                "/units/03583/villages",
                Some(&u.token),
                Some(json!({"name": name, "kind": "Bản"})),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
        ids.push(res.json()["id"].as_i64().unwrap());
    }
    let post = |id: i64, content_type: Option<&str>, body: &str| {
        let mut b = Request::post(format!("/api/v1/villages/{id}/deactivate"))
            .header(header::AUTHORIZATION, format!("Bearer {}", u.token));
        if let Some(t) = content_type {
            b = b.header(header::CONTENT_TYPE, t);
        }
        app.request(b.body(Body::from(body.to_string())).unwrap())
    };
    let res = post(ids[0], Some("text/plain"), "hôm qua").await;
    assert_eq!(res.status, 400, "{}", res.text);
    assert!(res.json()["error"]["message"].as_str().unwrap().contains("JSON"));
    let active: i64 = sqlx::query_scalar(&format!("SELECT active FROM villages WHERE id = {}", ids[0]))
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(active, 1);
    let today = antq::input::today().to_string();
    let res = post(ids[0], Some("application/json"), "").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["closed_on"], today.as_str());
    // No body at all: today; a second time, a 409.
    let path = format!("/villages/{}/deactivate", ids[1]);
    let again = || app.api("POST", &path, Some(&u.token), None);
    let res = again().await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["closed_on"], today.as_str());
    let res = again().await;
    assert_eq!(res.status, 409, "{}", res.text);
}

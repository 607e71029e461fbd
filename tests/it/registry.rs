//! Registries: teams and members with the rules of Luật 30/2023/QH15,
//! ratings with the 20% rule of Hướng dẫn 01/HD-BCA-V05, model points with
//! replication, and the unit summary, current after every write.

use serde_json::{Value, json};

use crate::support::{TestApp, TestUser};

async fn village(app: &TestApp, u: &TestUser, commune: &str, name: &str) -> i64 {
    let res = app
        .api(
            "POST",
            &format!("/units/{commune}/villages"),
            Some(&u.token),
            Some(json!({"name": name, "kind": "Bản", "households": 100})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()["id"].as_i64().unwrap()
}

async fn team(app: &TestApp, u: &TestUser, commune: &str, name: &str, villages: &[i64]) -> i64 {
    let res = app
        .api(
            "POST",
            &format!("/units/{commune}/teams"),
            Some(&u.token),
            Some(json!({"kind": "to_bao_ve_antt", "name": name, "established_on": "01/07/2024", "village_ids": villages})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json()["id"].as_i64().unwrap()
}

async fn member(app: &TestApp, u: &TestUser, team: i64, body: Value) -> crate::support::Res {
    app.api(
        "POST",
        &format!("/teams/{team}/members"),
        Some(&u.token),
        Some(body),
    )
    .await
}

fn person(name: &str, role: &str, born: i64) -> Value {
    json!({"full_name": name, "role": role, "birth_year": born, "gender": "nam", "joined_on": "2024-07-01"})
}

fn field(res: &crate::support::Res, f: &str) -> String {
    res.json()["error"]["fields"][f]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn team_rules_of_the_law_are_enforced() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v1 = village(&app, &u, "03583", "Bản Một").await;
    let v2 = village(&app, &u, "03583", "Bản Hai").await;
    let t1 = team(&app, &u, "03583", "Tổ bảo vệ ANTT bản Một", &[v1]).await;
    let t2 = team(&app, &u, "03583", "Tổ bảo vệ ANTT bản Hai", &[v2]).await;

    assert_eq!(
        member(&app, &u, t1, person("Lò Văn A", "tổ trưởng", 1980))
            .await
            .status,
        201
    );
    let second_leader = member(&app, &u, t1, person("Lò Văn B", "to_truong", 1985)).await;
    assert_eq!(second_leader.status, 422);
    assert!(field(&second_leader, "role").contains("đã có tổ trưởng (Lò Văn A)"));

    let too_young = member(&app, &u, t1, person("Lò Văn C", "to_vien", 2010)).await;
    assert_eq!(too_young.status, 422);
    assert!(field(&too_young, "birth_year").contains("18 tuổi"));
    let too_old = member(&app, &u, t1, person("Lò Văn D", "to_vien", 1940)).await;
    assert!(field(&too_old, "birth_year").contains("70 tuổi"));

    let twice = member(&app, &u, t2, person("Lò Văn A", "to_vien", 1980)).await;
    assert_eq!(twice.status, 422);
    assert!(field(&twice, "full_name").contains("đang là thành viên của Tổ bảo vệ ANTT bản Một"));

    let bad_date = member(&app, &u, t1, json!({"full_name": "Lò Thị E", "role": "to_vien", "birth_year": 1990, "gender": "nữ", "joined_on": "31/02/2025"})).await;
    assert!(field(&bad_date, "joined_on").contains("31/02/2025"));

    let other_commune = village(
        &app,
        &app.user("canbo2", "officer", "03388").await,
        "03388",
        "Bản Khác",
    )
    .await;
    let res = app
        .api("POST", "/units/03583/teams", Some(&u.token), Some(json!({"kind": "to_hoa_giai", "name": "Tổ X", "established_on": "2024-01-01", "village_ids": [other_commune]})))
        .await;
    assert_eq!(res.status, 422);
    assert!(field(&res, "village_ids").contains("không thuộc Xã Khổng Lào"));
    let members: i64 = app.count("SELECT COUNT(*) FROM members").await;
    assert_eq!(members, 1, "only the first member was written");
}

#[tokio::test]
async fn excellent_ratings_are_capped_at_a_fifth_of_good_ones() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v = village(&app, &u, "03583", "Bản Một").await;
    let t = team(&app, &u, "03583", "Tổ Một", &[v]).await;
    let mut ids = Vec::new();
    for (i, born) in (1970..1980).enumerate() {
        let role = if i == 0 { "to_truong" } else { "to_vien" };
        let res = member(&app, &u, t, person(&format!("Thành viên {i}"), role, born)).await;
        assert_eq!(res.status, 201, "{}", res.text);
        ids.push(res.json()["id"].as_i64().unwrap());
    }
    let rate = |id: i64, level: &str| json!({"subject_kind": "member", "subject_id": id, "year": 2025, "level": level});
    // Five "tốt" allow one "xuất sắc"; the second is refused.
    for id in &ids[1..6] {
        assert_eq!(
            app.api("PUT", "/ratings", Some(&u.token), Some(rate(*id, "tot")))
                .await
                .status,
            200
        );
    }
    assert_eq!(
        app.api("PUT", "/ratings", Some(&u.token), Some(rate(ids[6], "xuat_sac")))
            .await
            .status,
        200
    );
    let quota = app.get("/units/03583/ratings?year=2025", &u.token).await.json();
    let members_quota = quota["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["subject_kind"] == "member")
        .unwrap()
        .clone();
    assert_eq!(
        (
            members_quota["good"].as_i64(),
            members_quota["remaining"].as_i64()
        ),
        (Some(5), Some(0))
    );
    let refused = app
        .api("PUT", "/ratings", Some(&u.token), Some(rate(ids[7], "xuat_sac")))
        .await;
    assert_eq!(refused.status, 422);
    assert!(field(&refused, "level").contains("20%"), "{}", refused.text);
    // Lowering a "tốt" would break the cap for the one already excellent.
    let lowering = app
        .api(
            "PUT",
            "/ratings",
            Some(&u.token),
            Some(rate(ids[1], "hoan_thanh")),
        )
        .await;
    assert_eq!(lowering.status, 422);
    // The team is rated "hoàn thành"; its leader may not be rated above it.
    let team_rating = json!({"subject_kind": "team", "subject_id": t, "year": 2025, "level": "hoan_thanh"});
    assert_eq!(
        app.api("PUT", "/ratings", Some(&u.token), Some(team_rating))
            .await
            .status,
        200
    );
    let leader = app
        .api("PUT", "/ratings", Some(&u.token), Some(rate(ids[0], "tot")))
        .await;
    assert!(field(&leader, "level").contains("tổ trưởng không được xếp cao hơn tổ"));
    // Under nine months of service in the period: no rating.
    let late = member(&app, &u, t, json!({"full_name": "Mới vào", "role": "to_vien", "birth_year": 1990, "gender": "nam", "joined_on": "2025-03-01"})).await;
    let late_id = late.json()["id"].as_i64().unwrap();
    let res = app
        .api("PUT", "/ratings", Some(&u.token), Some(rate(late_id, "tot")))
        .await;
    assert!(field(&res, "year").contains("chưa đủ 9 tháng"), "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM ratings").await, 7);
}

#[tokio::test]
async fn points_replicate_from_earlier_points_and_the_summary_follows() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let reviewer = app.user("tinh", "reviewer", "12").await;
    let summary = |token: String| {
        let app = &app;
        async move { app.get("/units/12/summary?year=2025", &token).await.json() }
    };
    let s0 = summary(reviewer.token.clone()).await;
    assert_eq!(s0["models"]["points"], 0);

    let ty = app
        .api(
            "POST",
            "/units/12/model-types",
            Some(&reviewer.token),
            Some(json!({"name": "Camera an ninh", "category": "tự phòng", "field": "antt"})),
        )
        .await;
    assert_eq!(ty.status, 201, "{}", ty.text);
    let type_id = ty.json()["id"].as_i64().unwrap();
    let v = village(&app, &u, "03583", "Bản Một").await;
    let t = team(&app, &u, "03583", "Tổ Một", &[v]).await;
    let first = app
        .api("POST", "/units/03583/model-points", Some(&u.token), Some(json!({
            "model_type_id": type_id, "name": "Camera bản Một", "started_on": "01/03/2023", "village_id": v,
            "team_ids": [t], "lat": "22,59", "lon": 103.37
        })))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let first_id = first.json()["id"].as_i64().unwrap();
    assert_eq!(first.json()["lat"], 22.59);
    let s1 = summary(reviewer.token.clone()).await;
    assert_eq!(
        (
            s1["models"]["model_types"].as_i64(),
            s1["models"]["points"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(s1["models"]["implementing_teams"], 1);
    assert_eq!(s1["teams"]["total"], 1);

    let earlier = app
        .api("POST", "/units/03583/model-points", Some(&u.token), Some(json!({
            "model_type_id": type_id, "name": "Camera chợ", "started_on": "2022-05-01", "replicated_from": first_id
        })))
        .await;
    assert_eq!(earlier.status, 422);
    assert!(field(&earlier, "replicated_from").contains("bắt đầu ngày 01/03/2023"));

    let copy = app
        .api("POST", "/units/03583/model-points", Some(&u.token), Some(json!({
            "model_type_id": type_id, "name": "Camera chợ", "started_on": "2024-05-01", "replicated_from": first_id,
            "advanced_decision": "123/QĐ-UBND", "advanced_on": "2025-06-01", "advanced_issuer": "UBND tỉnh Lai Châu"
        })))
        .await;
    assert_eq!(copy.status, 201, "{}", copy.text);
    let copy_id = copy.json()["id"].as_i64().unwrap();
    let tree = app
        .get(&format!("/model-points/{copy_id}/tree"), &u.token)
        .await
        .json();
    let nodes = tree["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    assert_eq!(
        (nodes[0]["point"]["id"].as_i64(), nodes[0]["depth"].as_i64()),
        (Some(first_id), Some(0))
    );
    assert_eq!(
        (nodes[1]["point"]["id"].as_i64(), nodes[1]["depth"].as_i64()),
        (Some(copy_id), Some(1))
    );
    // A cycle is refused.
    let cycle = app
        .api(
            "PATCH",
            &format!("/model-points/{first_id}"),
            Some(&u.token),
            Some(json!({"replicated_from": copy_id})),
        )
        .await;
    assert_eq!(cycle.status, 422);

    let s2 = summary(reviewer.token.clone()).await;
    assert_eq!(
        (
            s2["models"]["points"].as_i64(),
            s2["models"]["advanced_examples"].as_i64()
        ),
        (Some(2), Some(1))
    );
    // Another province sees none of it.
    let other = app.user("sonla", "reviewer", "14").await;
    assert_eq!(
        app.get("/units/14/summary?year=2025", &other.token).await.json()["models"]["points"],
        0
    );
    assert_eq!(
        app.get(&format!("/model-points/{first_id}"), &other.token)
            .await
            .status,
        404
    );
    assert_eq!(app.get("/units/12/summary", &other.token).await.status, 404);
}

#[tokio::test]
async fn registrations_count_households_and_list_who_has_not_registered() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v1 = village(&app, &u, "03583", "Bản Một").await;
    village(&app, &u, "03583", "Bản Hai").await;
    let reg = |body: Value| {
        let token = u.token.clone();
        let app = &app;
        async move { app.api("POST", "/registrations", Some(&token), Some(body)).await }
    };
    let too_many = reg(json!({"year": 2025, "subject_kind": "village", "subject_id": v1, "registered_on": "15/02/2025", "households_resident": 120, "households_registered": 121})).await;
    assert_eq!(too_many.status, 422);
    assert!(field(&too_many, "households_registered").contains("không được lớn hơn số hộ thường trú (120)"));
    let bad_date = reg(json!({"year": 2025, "subject_kind": "village", "subject_id": v1, "registered_on": "31/02/2025", "households_resident": 120, "households_registered": 118})).await;
    assert!(field(&bad_date, "registered_on").contains("31/02/2025"));
    let wrong_year = reg(json!({"year": 2025, "subject_kind": "village", "subject_id": v1, "registered_on": "15/02/2024", "households_resident": 120, "households_registered": 118})).await;
    assert!(field(&wrong_year, "registered_on").contains("trong năm 2025"));
    let ok = reg(json!({"year": 2025, "subject_kind": "village", "subject_id": v1, "registered_on": "15/02/2025",
        "resolution_ref": "Nghị quyết số 05-NQ/ĐU", "plan_ref": "Kế hoạch số 12/KH-UBND", "households_resident": 120, "households_registered": 118})).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    let again = reg(json!({"year": 2025, "subject_kind": "village", "subject_id": v1, "registered_on": "16/02/2025", "households_resident": 120, "households_registered": 120})).await;
    assert_eq!(again.status, 409);
    assert_eq!(reg(json!({"year": 2025, "subject_kind": "commune", "subject_id": "03583", "registered_on": "10/01/2025"})).await.status, 201);

    let list = app
        .get("/units/03583/registrations?year=2025", &u.token)
        .await
        .json();
    assert_eq!(list["total"], 2);
    let missing: Vec<String> = list["not_registered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(missing, ["Bản Hai"]);
    let s = app.get("/units/03583/summary?year=2025", &u.token).await.json();
    assert_eq!(
        (
            s["registrations"]["villages_registered"].as_i64(),
            s["registrations"]["villages"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(s["registrations"]["households_share"], 98.3);
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let page = app.page(&b, "/units/03583/registrations?year=2025").await;
    assert!(page.text.contains("118/120") && page.text.contains("98,3%") && page.text.contains("Bản Hai"));
    // Another commune's officer sees none of it and cannot register for it.
    let other = app.user("canbo2", "officer", "03388").await;
    assert_eq!(
        app.get("/units/03583/registrations?year=2025", &other.token)
            .await
            .status,
        404
    );
    let res = app
        .api("POST", "/registrations", Some(&other.token), Some(json!({"year": 2025, "subject_kind": "commune", "subject_id": "03583", "registered_on": "10/01/2025"})))
        .await;
    assert_eq!(res.status, 403);
}

/// 50,000 members in XLSX: one bad row refuses the file and names the row;
/// without it the file imports, and the export gives back the same rows.
#[tokio::test]
async fn fifty_thousand_members_in_xlsx_all_or_nothing_and_round_trip() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v = village(&app, &u, "03583", "Bản Một").await;
    let res = app
        .api("POST", "/units/03583/teams", Some(&u.token), Some(json!({"kind": "cau_lac_bo", "name": "Câu lạc bộ lớn", "established_on": "2020-01-01", "village_ids": [v]})))
        .await;
    let team = res.json()["id"].as_i64().unwrap();
    let columns = antq::registry::members_io::COLUMNS;
    let mut rows: Vec<Vec<String>> = (0..50_000)
        .map(|i| {
            vec![
                team.to_string(),
                format!("Thành viên số {i}"),
                "to_vien".into(),
                (1960 + i % 40).to_string(),
                if i % 2 == 0 { "nam" } else { "nu" }.into(),
                "01/02/2024".into(),
                String::new(),
                String::new(),
            ]
        })
        .collect();
    rows[31_337][3] = "19x0".into();
    let post = |bytes: Vec<u8>| {
        let token = u.token.clone();
        let app = &app;
        async move {
            app.request(
                axum::http::Request::post("/api/v1/members/import")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::from(bytes))
                    .unwrap(),
            )
            .await
        }
    };
    let bad = antq::tabular::write_xlsx(antq::registry::members_io::SHEET, &columns, &rows).unwrap();
    let res = post(bad).await;
    assert_eq!(res.status, 422);
    let message = res.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        message.contains("1 dòng lỗi") && message.contains("Dòng 31339: Năm sinh"),
        "{message}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM members").await, 0);

    rows[31_337][3] = "1977".into();
    let good = antq::tabular::write_xlsx(antq::registry::members_io::SHEET, &columns, &rows).unwrap();
    let res = post(good).await;
    assert_eq!(res.status, 201, "{}", &res.text[..res.text.len().min(500)]);
    assert_eq!(res.json()["created"], 50_000);
    let export = app.get("/units/03583/members/export?format=xlsx", &u.token).await;
    assert_eq!(export.status, 200);
    let back = antq::tabular::read(export.text_bytes(), antq::registry::members_io::SHEET, &columns).unwrap();
    let back: Vec<Vec<String>> = back.into_iter().map(|r| r.cells).collect();
    assert_eq!(back, rows);
}

#[tokio::test]
async fn spreadsheets_with_merged_cells_formulas_or_the_wrong_sheet_are_refused() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let post = |bytes: Vec<u8>| {
        let token = u.token.clone();
        let app = &app;
        async move {
            app.request(
                axum::http::Request::post("/api/v1/members/import")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::from(bytes))
                    .unwrap(),
            )
            .await
        }
    };
    let book = |sheet: &str, merge: bool, formula: bool| {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (c, h) in antq::registry::members_io::COLUMNS.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "1").unwrap();
        if merge {
            ws.merge_range(1, 1, 1, 2, "Gộp", &rust_xlsxwriter::Format::new())
                .unwrap();
        }
        if formula {
            ws.write_formula(1, 3, "=1900+80").unwrap();
        }
        wb.save_to_buffer().unwrap()
    };
    let res = post(book("Trang 1", false, false)).await;
    assert!(
        res.json()["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("không có trang tính \"Thành viên\"")
    );
    let res = post(book("Thành viên", true, false)).await;
    assert!(
        res.json()["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("ô gộp (B2)"),
        "{}",
        res.text
    );
    let res = post(book("Thành viên", false, true)).await;
    assert!(
        res.json()["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("ô D2 chứa công thức"),
        "{}",
        res.text
    );
    assert_eq!(res.status, 422);
}

#[tokio::test]
async fn teams_members_and_points_are_edited_through_their_pages() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v = village(&app, &u, "03583", "Bản Một").await;
    let t = team(&app, &u, "03583", "Tổ Một", &[v]).await;
    let m = member(&app, &u, t, person("Lò Văn A", "to_truong", 1980))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let ty = app
        .api(
            "POST",
            "/units/03583/model-types",
            Some(&u.token),
            Some(json!({"name": "Ngõ tự quản", "category": "tu_quan", "field": "antt"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let p = app
        .api(
            "POST",
            "/units/03583/model-points",
            Some(&u.token),
            Some(json!({"model_type_id": ty, "name": "Ngõ 1", "started_on": "2024-03-01"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let village_field = format!("village_{v}");
    let res = app
        .post_form(
            &b,
            &format!("/teams/{t}"),
            &[
                ("kind", "to_bao_ve_antt"),
                ("name", "Tổ Một mới"),
                ("established_on", "01/07/2024"),
                (&village_field, "1"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let res = app
        .post_form(
            &b,
            &format!("/teams/{t}"),
            &[
                ("kind", "to_bao_ve_antt"),
                ("name", "Tổ Một mới"),
                ("established_on", "01/07/2024"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("chọn ít nhất một thôn"));
    let res = app
        .post_form(
            &b,
            &format!("/members/{m}"),
            &[
                ("full_name", "Lò Văn A"),
                ("role", "to_truong"),
                ("birth_year", "1980"),
                ("gender", "nam"),
                ("joined_on", "01/07/2024"),
                ("phone", "0912 345 678"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let res = app
        .post_form(
            &b,
            &format!("/members/{m}"),
            &[
                ("full_name", "Lò Văn A"),
                ("role", "to_truong"),
                ("birth_year", "2015"),
                ("gender", "nam"),
                ("joined_on", "01/07/2024"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("18 tuổi"));
    let res = app
        .post_form(
            &b,
            &format!("/model-points/{p}"),
            &[
                ("name", "Ngõ 1"),
                ("status", "tam_dung"),
                ("started_on", "01/03/2024"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    assert_eq!(
        app.get(&format!("/teams/{t}"), &u.token).await.json()["team"]["name"],
        "Tổ Một mới"
    );
    assert_eq!(
        app.get(&format!("/members/{m}"), &u.token).await.json()["phone"],
        "0912345678"
    );
    assert_eq!(
        app.get(&format!("/model-points/{p}"), &u.token).await.json()["status"],
        "tam_dung"
    );
    // Another commune's officer can neither open nor post these pages.
    app.user("canbo2", "officer", "03388").await;
    let other = app.browser("canbo2", crate::support::PASSWORD).await;
    for path in [
        format!("/teams/{t}"),
        format!("/members/{m}"),
        format!("/model-points/{p}"),
    ] {
        assert_eq!(app.page(&other, &path).await.status, 404, "{path}");
        assert_eq!(
            app.post_form(&other, &path, &[("name", "x")]).await.status,
            404,
            "POST {path}"
        );
    }
}

#[tokio::test]
async fn registry_lists_export_as_csv_and_xlsx_inside_scope_only() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v = village(&app, &u, "03583", "Bản Một").await;
    team(&app, &u, "03583", "Tổ Một", &[v]).await;
    let reg = json!({"year": 2025, "subject_kind": "village", "subject_id": v, "registered_on": "15/02/2025", "households_resident": 100, "households_registered": 100});
    assert_eq!(
        app.api("POST", "/registrations", Some(&u.token), Some(reg))
            .await
            .status,
        201
    );
    let teams_csv = app.get("/units/03583/teams/export", &u.token).await;
    assert!(teams_csv.text.starts_with("ma_to,ma_xa,loai,ten,ngay_thanh_lap"));
    assert!(
        teams_csv
            .text
            .contains(",03583,to_bao_ve_antt,Tổ Một,01/07/2024,,")
    );
    let regs = app
        .get(
            "/units/03583/registrations/export?year=2025&format=xlsx",
            &u.token,
        )
        .await;
    let rows = antq::tabular::read(
        regs.text_bytes(),
        "Đăng ký",
        &antq::registry::exports::REGISTRATION_COLUMNS,
    )
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].cells[3], "Bản Một");
    assert_eq!(rows[0].cells[5], "15/02/2025");
    let points = app
        .get(
            "/units/12/model-points/export?format=csv",
            &app.user("tinh", "reviewer", "12").await.token,
        )
        .await;
    assert_eq!(points.status, 200);
    let other = app.user("canbo2", "officer", "03388").await;
    assert_eq!(
        app.get("/units/03583/teams/export", &other.token).await.status,
        404
    );
    assert_eq!(app.get("/units/03583/nothing/export", &u.token).await.status, 404);
    assert_eq!(
        app.get("/units/03583/teams/export?format=pdf", &u.token)
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn review_findings_stay_fixed() {
    let app = TestApp::new().await;
    let a = app.user("canbo.a", "officer", "03583").await;
    let b = app.user("canbo.b", "officer", "03388").await;
    let va = village(&app, &a, "03583", "Bản A").await;
    let vb = village(&app, &b, "03388", "Bản B").await;
    let ta = team(&app, &a, "03583", "Tổ bí mật của xã A", &[va]).await;
    let tb = team(&app, &b, "03388", "Tổ xã B", &[vb]).await;
    let cid = json!({"full_name": "Lò Văn Một", "role": "to_vien", "birth_year": 1980, "gender": "nam", "joined_on": "2024-07-01", "citizen_id": "012345678901"});
    assert_eq!(member(&app, &a, ta, cid.clone()).await.status, 201);
    // Another commune learns that the person is taken, not where.
    let res = member(&app, &b, tb, cid.clone()).await;
    assert_eq!(res.status, 422);
    let msg = field(&res, "full_name");
    assert!(msg.contains("ở đơn vị khác") && !msg.contains("bí mật"), "{msg}");
    // The same person twice in the same team is refused too.
    assert_eq!(member(&app, &a, ta, cid).await.status, 422);

    // A point replicated from another commune's point: the tree hides it.
    let ty = app
        .api(
            "POST",
            "/units/VN/model-types",
            Some(&app.user("quantri", "admin", "VN").await.token),
            Some(json!({"name": "Camera an ninh", "category": "tu_phong", "field": "antt"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let pb = app
        .api(
            "POST",
            "/units/03388/model-points",
            Some(&b.token),
            Some(json!({"model_type_id": ty, "name": "Camera bí mật B", "started_on": "2023-01-01"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let late = app.api("POST", "/units/03583/model-points", Some(&a.token), Some(json!({"model_type_id": ty, "name": "Camera A", "started_on": "2022-01-01", "replicated_from": pb}))).await;
    assert_eq!(late.status, 422);
    assert!(
        !field(&late, "replicated_from").contains("2023"),
        "no date of an outside point: {}",
        late.text
    );
    let pa = app.api("POST", "/units/03583/model-points", Some(&a.token), Some(json!({"model_type_id": ty, "name": "Camera A", "started_on": "2024-01-01", "replicated_from": pb}))).await;
    assert_eq!(pa.status, 201, "{}", pa.text);
    let tree = app
        .get(&format!("/model-points/{}/tree", pa.json()["id"]), &a.token)
        .await;
    assert!(
        !tree.text.contains("bí mật") && !tree.text.contains("03388"),
        "{}",
        tree.text
    );
    assert_eq!(tree.json()["nodes"][0]["visible"], false);
    // The source cannot start after its replicas.
    let res = app
        .api(
            "PATCH",
            &format!("/model-points/{pb}"),
            Some(&b.token),
            Some(json!({"started_on": "2025-01-01"})),
        )
        .await;
    assert_eq!(res.status, 422);

    // Nine months inside the period, counted on the overlap.
    let early = member(&app, &a, ta, json!({"full_name": "Lò Văn Hai", "role": "to_vien", "birth_year": 1985, "gender": "nam", "joined_on": "2024-07-01"})).await.json()["id"].as_i64().unwrap();
    let left = app
        .api(
            "POST",
            &format!("/members/{early}/leave?on=2024-12-01"),
            Some(&a.token),
            None,
        )
        .await;
    assert_eq!(left.status, 200, "{}", left.text);
    let res = app
        .api(
            "PUT",
            "/ratings",
            Some(&a.token),
            Some(json!({"subject_kind": "member", "subject_id": early, "year": 2025, "level": "hoan_thanh"})),
        )
        .await;
    assert!(field(&res, "year").contains("chưa đủ 9 tháng"), "{}", res.text);

    // A team is not rated below its tổ trưởng.
    let leader = member(&app, &a, ta, json!({"full_name": "Lò Văn Ba", "role": "to_truong", "birth_year": 1975, "gender": "nam", "joined_on": "2024-07-01"})).await.json()["id"].as_i64().unwrap();
    for id in [leader] {
        assert_eq!(
            app.api(
                "PUT",
                "/ratings",
                Some(&a.token),
                Some(json!({"subject_kind": "member", "subject_id": id, "year": 2025, "level": "tot"}))
            )
            .await
            .status,
            200
        );
    }
    let res = app
        .api(
            "PUT",
            "/ratings",
            Some(&a.token),
            Some(json!({"subject_kind": "team", "subject_id": ta, "year": 2025, "level": "hoan_thanh"})),
        )
        .await;
    assert!(
        field(&res, "level").contains("thấp hơn tổ trưởng"),
        "{}",
        res.text
    );

    // Dissolving writes one audit row per member it ends.
    let res = app
        .api("POST", &format!("/teams/{ta}/dissolve"), Some(&a.token), None)
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM audit_log WHERE action = 'member.leave'")
            .await,
        3
    );
}

async fn two_villages(app: &TestApp) -> (TestUser, i64, i64) {
    let u = app.user("canbo", "officer", "03583").await;
    let a = village(app, &u, "03583", "Bản Một").await;
    let b = village(app, &u, "03583", "Bản Hai").await;
    (u, a, b)
}

async fn post_registrations(app: &TestApp, token: &str, body: Vec<u8>) -> crate::support::Res {
    let req = axum::http::Request::post("/api/v1/registrations/import")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::from(body))
        .unwrap();
    app.request(req).await
}

#[tokio::test]
async fn registrations_import_all_or_nothing_and_round_trip() {
    let app = TestApp::new().await;
    let (u, a, b) = two_villages(&app).await;
    let csv = format!(
        "nam,loai_don_vi,ma_don_vi,ngay_dang_ky,nghi_quyet,ke_hoach,so_ho_thuong_tru,so_ho_dang_ky\n\
         2025,village,{a},15/02/2025,NQ 01,KH 02,120,118\n\
         2025,village,{b},31/02/2025,,,90,90\n\
         2025,commune,03583,10/01/2025,,,,\n\
         2025,commune,03388,10/01/2025,,,,\n"
    );
    let res = post_registrations(&app, &u.token, csv.clone().into_bytes()).await;
    assert_eq!(res.status, 422, "{}", res.text);
    let msg = res.json()["error"]["message"].as_str().unwrap().to_string();
    assert!(
        msg.contains("2 dòng lỗi")
            && msg.contains("Dòng 3:")
            && msg.contains("Dòng 5:")
            && !msg.contains("Dòng 2:"),
        "{msg}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM registrations").await, 0);
    let fixed = csv
        .replace("31/02/2025", "28/02/2025")
        .replace("2025,commune,03388,10/01/2025,,,,\n", "");
    let res = post_registrations(&app, &u.token, fixed.into_bytes()).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json()["created"], 3);
    // Export as XLSX, import into a fresh database with the same villages.
    let exported = app
        .get(
            "/units/03583/registrations/export?year=2025&format=xlsx",
            &u.token,
        )
        .await;
    let other = TestApp::new().await;
    let (u2, _, _) = two_villages(&other).await;
    let res = post_registrations(&other, &u2.token, exported.bytes.clone()).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let again = other
        .get(
            "/units/03583/registrations/export?year=2025&format=xlsx",
            &u2.token,
        )
        .await;
    let read = |bytes: &[u8]| -> Vec<Vec<String>> {
        antq::tabular::read(bytes, "Đăng ký", &antq::registry::exports::REGISTRATION_COLUMNS)
            .unwrap()
            .into_iter()
            .map(|r| r.cells)
            .collect()
    };
    assert_eq!(read(exported.text_bytes()), read(again.text_bytes()));
}

#[tokio::test]
async fn the_upload_forms_import_and_show_bad_rows_in_order() {
    let app = TestApp::new().await;
    let (u, a, _) = two_villages(&app).await;
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let mut csv = String::from("nam,loai_don_vi,ma_don_vi,ngay_dang_ky,so_ho_thuong_tru,so_ho_dang_ky\n");
    for i in 0..12 {
        csv.push_str(&format!("2025,village,{},0{}/13/2025,10,10\n", a, i % 9 + 1));
    }
    let res = app
        .post_file(&b, "/units/03583/registrations/import", Some(&b.csrf), &csv)
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    let (l2, l10) = (
        res.text.find("Dòng 2:").unwrap(),
        res.text.find("Dòng 10:").unwrap(),
    );
    assert!(l2 < l10, "rows listed in line order");
    let ok = "nam,loai_don_vi,ma_don_vi,ngay_dang_ky,so_ho_thuong_tru,so_ho_dang_ky\n2025,commune,03583,10/01/2025,,\n";
    let res = app
        .post_file(&b, "/units/03583/registrations/import", Some(&b.csrf), ok)
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let _ = u;
}

/// Every download link the registry pages show answers with a file.
#[tokio::test]
async fn the_download_links_on_the_pages_work() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    for page in [
        "/units/03583/teams",
        "/units/03583/models",
        "/units/03583/registrations",
        "/units/03583",
    ] {
        let html = app.page(&b, page).await.text;
        let links: Vec<String> = html
            .split("href=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .filter(|l| l.contains("export") || l.contains(".csv"))
            .map(|l| l.replace("&amp;", "&"))
            .collect();
        assert!(!links.is_empty(), "{page} has download links");
        for link in links {
            let res = app.page(&b, &link).await;
            assert_eq!(res.status, 200, "{page} → {link}");
            assert!(
                res.headers["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment"),
                "{link}"
            );
        }
    }
}

#[tokio::test]
async fn teams_import_updates_by_code_creates_without_and_round_trips() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v1 = village(&app, &u, "03583", "Bản Một").await;
    let v2 = village(&app, &u, "03583", "Bản Hai").await;
    let t = team(&app, &u, "03583", "Tổ Một", &[v1]).await;
    let post = |body: Vec<u8>| {
        let req = axum::http::Request::post("/api/v1/teams/import")
            .header("authorization", format!("Bearer {}", u.token))
            .body(axum::body::Body::from(body))
            .unwrap();
        let app = &app;
        async move { app.request(req).await }
    };
    // Export, import back: nothing changes, nothing is audited.
    let exported = app.get("/units/03583/teams/export?format=xlsx", &u.token).await;
    let audits = app.count("SELECT COUNT(*) FROM audit_log").await;
    let res = post(exported.bytes.clone()).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(
        (res.json()["unchanged"].as_i64(), res.json()["updated"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audits);
    // An edited row updates, a row without a code creates, one bad row stops all.
    let header = "ma_to,ma_xa,loai,ten,ngay_thanh_lap,ngay_giai_the,ma_thon,ghi_chu";
    let bad = format!(
        "{header}\n{t},03583,to_bao_ve_antt,Tổ Một đổi tên,01/07/2024,,{v1};{v2},\n,03583,to_hoa_giai,Tổ hòa giải,31/02/2024,,{v2},\n"
    );
    let res = post(bad.into_bytes()).await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Dòng 3:")
    );
    assert_eq!(
        app.get(&format!("/teams/{t}"), &u.token).await.json()["team"]["name"],
        "Tổ Một"
    );
    let good = format!(
        "{header}\n{t},03583,to_bao_ve_antt,Tổ Một đổi tên,01/07/2024,,{v1};{v2},\n,03583,to_hoa_giai,Tổ hòa giải,01/02/2024,,{v2},\n"
    );
    let res = post(good.into_bytes()).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(
        (res.json()["updated"].as_i64(), res.json()["created"].as_i64()),
        (Some(1), Some(1))
    );
    let team_json = app.get(&format!("/teams/{t}"), &u.token).await.json();
    assert_eq!(team_json["team"]["name"], "Tổ Một đổi tên");
    assert_eq!(team_json["team"]["village_ids"], json!([v1, v2]));
    // Another commune's officer cannot touch the team by its code.
    let other = app.user("canbo2", "officer", "03388").await;
    let req = axum::http::Request::post("/api/v1/teams/import")
        .header("authorization", format!("Bearer {}", other.token))
        .body(axum::body::Body::from(format!(
            "{header}\n{t},03583,to_bao_ve_antt,Chiếm,01/07/2024,,{v1},\n"
        )))
        .unwrap();
    let res = app.request(req).await;
    assert_eq!(res.status, 422);
    assert!(
        res.text.contains("không có tổ số") && !res.text.contains("Tổ Một"),
        "{}",
        res.text
    );
}

#[tokio::test]
async fn the_teams_upload_form_creates_teams() {
    let app = TestApp::new().await;
    let (_, a, _) = two_villages(&app).await;
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let csv = format!(
        "ma_to,ma_xa,loai,ten,ngay_thanh_lap,ma_thon\n,03583,to_hoa_giai,Tổ hòa giải mới,01/02/2024,{a}\n"
    );
    let res = app
        .post_file(&b, "/units/03583/teams/import", Some(&b.csrf), &csv)
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    assert!(
        app.page(&b, "/units/03583/teams")
            .await
            .text
            .contains("Tổ hòa giải mới")
    );
}

#[tokio::test]
async fn model_points_import_updates_by_code_creates_without_and_round_trips() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let ty = app
        .api(
            "POST",
            "/units/03583/model-types",
            Some(&u.token),
            Some(json!({"name": "Camera an ninh", "category": "tu_phong", "field": "antt"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let first = app
        .api("POST", "/units/03583/model-points", Some(&u.token), Some(json!({"model_type_id": ty, "name": "Camera chợ", "started_on": "2023-03-01", "lat": 22.59, "lon": 103.37})))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let post = |body: Vec<u8>| {
        let req = axum::http::Request::post("/api/v1/model-points/import")
            .header("authorization", format!("Bearer {}", u.token))
            .body(axum::body::Body::from(body))
            .unwrap();
        let app = &app;
        async move { app.request(req).await }
    };
    let exported = app
        .get("/units/03583/model-points/export?format=xlsx", &u.token)
        .await;
    let res = post(exported.bytes.clone()).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json()["unchanged"], 1);
    let header = "ma_diem,ma_xa,mo_hinh,ten,ma_thon,ngay_bat_dau,trang_thai,ngay_ket_thuc,nhan_rong_tu";
    let bad = format!(
        "{header}\n{first},03583,Camera an ninh,Camera chợ,,01/03/2023,tam_dung,,\n,03583,camera AN NINH,Camera trường,,01/01/2022,dang_hoat_dong,,{first}\n"
    );
    let res = post(bad.into_bytes()).await;
    assert_eq!(res.status, 422);
    assert!(
        res.text.contains("Dòng 3:") && res.text.contains("01/03/2023"),
        "{}",
        res.text
    );
    let good = format!(
        "{header}\n{first},03583,Camera an ninh,Camera chợ,,01/03/2023,tam_dung,,\n,03583,camera AN NINH,Camera trường,,01/01/2024,dang_hoat_dong,,{first}\n"
    );
    let res = post(good.into_bytes()).await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(
        (res.json()["updated"].as_i64(), res.json()["created"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        app.get(&format!("/model-points/{first}"), &u.token).await.json()["status"],
        "tam_dung"
    );
    assert_eq!(
        app.get(&format!("/model-points/{first}/tree"), &u.token)
            .await
            .json()["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let moved = format!("{header}\n{first},03388,Camera an ninh,Camera chợ,,01/03/2023,tam_dung,,\n");
    assert_eq!(post(moved.into_bytes()).await.status, 422);
}

#[tokio::test]
async fn list_pages_filter_and_the_commune_page_lists_who_has_not_registered() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let v = village(&app, &u, "03583", "Bản Một").await;
    team(&app, &u, "03583", "Tổ bảo vệ Một", &[v]).await;
    let res = app
        .api("POST", "/units/03583/teams", Some(&u.token), Some(json!({"kind": "to_hoa_giai", "name": "Tổ hòa giải Một", "established_on": "2024-01-01", "village_ids": [v]})))
        .await;
    assert_eq!(res.status, 201);
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let filtered = app.page(&b, "/units/03583/teams?kind=to_hoa_giai").await.text;
    assert!(filtered.contains("Tổ hòa giải Một") && !filtered.contains("Tổ bảo vệ Một</a>"));
    let page = app.page(&b, "/units/03583").await.text;
    let year = antq::input::today().year();
    assert!(
        page.contains(&format!("Chưa đăng ký năm {year} (2)")),
        "commune and village listed"
    );
    assert!(page.contains("Bản Một") && page.contains("Xã Khổng Lào"));
}

#[tokio::test]
async fn model_types_are_renamed_and_retired_without_losing_their_points() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03583").await;
    let ty = app
        .api(
            "POST",
            "/units/03583/model-types",
            Some(&u.token),
            Some(json!({"name": "Ngõ tự quản", "category": "tu_quan", "field": "antt"})),
        )
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let p = app
        .api(
            "POST",
            "/units/03583/model-points",
            Some(&u.token),
            Some(json!({"model_type_id": ty, "name": "Ngõ 1", "started_on": "2024-01-01"})),
        )
        .await;
    assert_eq!(p.status, 201);
    let res = app
        .api(
            "PATCH",
            &format!("/model-types/{ty}"),
            Some(&u.token),
            Some(json!({"name": "Ngõ, xóm tự quản"})),
        )
        .await;
    assert_eq!(res.json()["name"], "Ngõ, xóm tự quản");
    let other = app.user("canbo2", "officer", "03388").await;
    assert_eq!(
        app.api(
            "POST",
            &format!("/model-types/{ty}/deactivate"),
            Some(&other.token),
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.api(
            "POST",
            &format!("/model-types/{ty}/deactivate"),
            Some(&u.token),
            None
        )
        .await
        .status,
        200
    );
    let offered = app.get("/units/03583/model-types", &u.token).await.json();
    assert_eq!(offered["total"], 0, "no longer offered for new points");
    let s = app.get("/units/03583/summary?year=2025", &u.token).await.json();
    assert_eq!(s["models"]["points"], 1, "its point is still counted");
    let again = app
        .api(
            "POST",
            "/units/03583/model-points",
            Some(&u.token),
            Some(json!({"model_type_id": ty, "name": "Ngõ 2", "started_on": "2024-01-01"})),
        )
        .await;
    assert_eq!(again.status, 422);
}

#[tokio::test]
async fn a_registration_is_corrected_on_its_page() {
    let app = TestApp::new().await;
    let (u, a, _) = two_villages(&app).await;
    let reg = app
        .api("POST", "/registrations", Some(&u.token), Some(json!({"year": 2025, "subject_kind": "village", "subject_id": a, "registered_on": "15/02/2025", "households_resident": 120, "households_registered": 100})))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let path = format!("/registrations/{reg}");
    let bad = app
        .post_form(
            &b,
            &path,
            &[
                ("registered_on", "15/02/2025"),
                ("households_resident", "120"),
                ("households_registered", "130"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text.contains("không được lớn hơn số hộ thường trú (120)"));
    let ok = app
        .post_form(
            &b,
            &path,
            &[
                ("registered_on", "15/02/2025"),
                ("households_resident", "120"),
                ("households_registered", "120"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.text);
    let s = app.get("/units/03583/summary?year=2025", &u.token).await.json();
    assert_eq!(s["registrations"]["households_share"], 100.0);
    app.user("canbo2", "officer", "03388").await;
    let other = app.browser("canbo2", crate::support::PASSWORD).await;
    assert_eq!(app.page(&other, &path).await.status, 404);
    assert_eq!(
        app.post_form(&other, &path, &[("plan_ref", "x")]).await.status,
        404
    );
}

//! The indicator dashboard: any period, the change from the period before,
//! the breakdown by child unit, a write in the totals at once, and the
//! refusals (reversed or too long periods, unknown indicators, units
//! outside scope) before anything is counted.

use serde_json::{Value, json};

use crate::support::TestApp;

fn row<'a>(d: &'a Value, code: &str) -> &'a Value {
    d["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap()
}

#[tokio::test]
async fn a_commune_dashboard_counts_compares_and_breaks_down() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let officer = app.user("canbo", "officer", "03583").await;
    let province = app.user("tinh", "reviewer", "12").await;

    let d = app
        .get("/units/03583/dashboard?period=2023", &officer.token)
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    let d = d.json();
    assert_eq!(d["period"]["label"], "năm 2023");
    assert_eq!(d["previous"]["label"], "năm 2022");
    assert_eq!(row(&d, "so_ngay_hoi")["value"], 1);
    assert_eq!(
        row(&d, "so_ngay_hoi")["change"],
        "tăng 1 Ngày hội so với năm 2022"
    );
    assert!(row(&d, "so_ca_nhan_khen_thuong")["value"].as_i64().unwrap() >= 26);

    // A session recorded now is in the commune's and the province's totals at once.
    let year = antq::input::today().year();
    let before = app
        .get(
            "/units/12/dashboard?codes=so_buoi_tuyen_truyen,so_luot_nguoi_tham_gia",
            &province.token,
        )
        .await
        .json();
    assert_eq!(before["indicators"].as_array().unwrap().len(), 2);
    let res = app
        .api(
            "POST",
            "/units/03583/activities",
            Some(&officer.token),
            Some(json!({"kind": "session", "held_on": format!("01/01/{year}"), "title": "Phòng chống lừa đảo qua mạng", "subtype": "hop_dan", "attendance": "1.250"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let after = app
        .get(
            "/units/12/dashboard?codes=so_buoi_tuyen_truyen,so_luot_nguoi_tham_gia",
            &province.token,
        )
        .await
        .json();
    let v = |d: &Value, c: &str| row(d, c)["value"].as_i64().unwrap();
    assert_eq!(
        v(&after, "so_buoi_tuyen_truyen"),
        v(&before, "so_buoi_tuyen_truyen") + 1
    );
    assert_eq!(
        v(&after, "so_luot_nguoi_tham_gia"),
        v(&before, "so_luot_nguoi_tham_gia") + 1250
    );
    // The province's breakdown has its communes, the commune's column counting the session.
    let k = after["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "so_buoi_tuyen_truyen")
        .unwrap();
    let kl = after["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "03583")
        .unwrap();
    assert!(kl["values"][k].as_i64().unwrap() >= 1);

    // Quarters, months and phases; a range compares with the range before it.
    let q = app
        .get("/units/03583/dashboard?period=Q3/2023", &officer.token)
        .await
        .json();
    assert_eq!(q["period"]["label"], "quý III năm 2023");
    assert_eq!(row(&q, "so_ngay_hoi")["value"], 1);
    let phase = app
        .get("/units/12/dashboard?period=2013-2023", &province.token)
        .await
        .json();
    assert_eq!(phase["period"]["label"], "giai đoạn 2013–2023");
    let r = app
        .get(
            "/units/03583/dashboard?from=01/07/2023&to=19/08/2023",
            &officer.token,
        )
        .await
        .json();
    assert_eq!(r["previous"]["to"], "2023-06-30");

    // Refused before anything is counted.
    for bad in [
        "period=2023-2013",
        "period=1500-2000",
        "period=2000-2099",
        "from=2025-05-01&to=2025-01-01",
        "codes=so_khong_co",
    ] {
        let res = app
            .get(&format!("/units/03583/dashboard?{bad}"), &officer.token)
            .await;
        assert_eq!(res.status, 422, "{bad}: {}", res.text);
        assert!(
            !res.json()["error"]["fields"].as_object().unwrap().is_empty(),
            "{bad}"
        );
    }
    assert_eq!(
        app.get("/units/03820/dashboard?period=2023", &officer.token)
            .await
            .status,
        404
    );
    // Exports: XLSX with a sheet per table, CSV of one; numbers as numbers.
    let x = app
        .get(
            "/units/12/dashboard/export?period=2023&map=current&format=xlsx",
            &province.token,
        )
        .await;
    assert_eq!(x.status, 200, "{}", x.text);
    let columns = [
        "ma_chi_tieu",
        "chi_tieu",
        "don_vi_tinh",
        "gia_tri",
        "ky_truoc",
        "thay_doi",
    ];
    let rows = antq::tabular::read(&x.bytes, "Chỉ tiêu", &columns).unwrap();
    assert_eq!(rows.len(), antq::indicators::CATALOGUE.len());
    let json_festival = app
        .get(
            "/units/12/dashboard?period=2023&map=current&codes=so_ngay_hoi",
            &province.token,
        )
        .await
        .json();
    let festival = rows
        .iter()
        .find(|r| r.get(0).as_deref() == Some("so_ngay_hoi"))
        .unwrap();
    let in_file: f64 = festival.get(3).unwrap().parse().unwrap();
    assert_eq!(
        in_file as i64,
        row(&json_festival, "so_ngay_hoi")["value"].as_i64().unwrap()
    );
    let mut child_columns = vec!["ma_don_vi", "ten_don_vi"];
    child_columns.extend(antq::indicators::CATALOGUE.iter().map(|i| i.code));
    let by_unit = antq::tabular::read(&x.bytes, "Theo đơn vị", &child_columns).unwrap();
    assert!(by_unit.iter().any(|r| r.get(0).as_deref() == Some("03583")));
    // By default a year before the 2025 reform is broken down by the
    // districts of then (Thành phố Lai Châu is 105).
    let old = app
        .get(
            "/units/12/dashboard/export?period=2023&format=csv&table=children",
            &province.token,
        )
        .await;
    assert!(old.text.contains("\n105,Thành phố Lai Châu,"), "{}", old.text);
    let csv = app
        .get(
            "/units/12/dashboard/export?period=2023&format=csv&table=children",
            &province.token,
        )
        .await;
    assert!(
        csv.text.starts_with("ma_don_vi,ten_don_vi,so_buoi_tuyen_truyen"),
        "{}",
        &csv.text[..80.min(csv.text.len())]
    );
    assert_eq!(
        app.get("/units/12/dashboard/export?format=pdf", &province.token)
            .await
            .status,
        422
    );
    let catalogue = app.get("/indicators", &officer.token).await.json();
    assert_eq!(
        catalogue["indicators"].as_array().unwrap().len(),
        antq::indicators::CATALOGUE.len()
    );

    // The trend of one indicator over the years, and its SVG on the page.
    let t = app
        .get(
            "/units/03583/trend?code=so_ngay_hoi&to=2023&years=3",
            &officer.token,
        )
        .await
        .json();
    assert_eq!(t["points"], json!([[2021, 0], [2022, 0], [2023, 1]]));
    assert_eq!(
        app.get("/units/03583/trend?years=40", &officer.token)
            .await
            .status,
        422
    );
    assert_eq!(
        app.get("/units/03583/trend?code=khong_co", &officer.token)
            .await
            .status,
        422
    );
    assert_eq!(app.get("/units/03820/trend", &officer.token).await.status, 404);
    // The page, sortable by any indicator.
    let b = app.browser("khonglao.ca", antq::demo::PASSWORD).await;
    let page = app
        .page(&b, "/units/03583/dashboard?period=2023&sort=so_ngay_hoi")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("tăng 1 Ngày hội so với năm 2022"));
    let chart = app
        .page(&b, "/units/03583/dashboard?period=2023&trend=so_ngay_hoi")
        .await;
    assert!(chart.text.contains("<svg") && chart.text.contains(">2014<") && chart.text.contains(">2023<"));
    let page = app.page(&b, "/units/03583/dashboard?period=2099-2000").await;
    assert_eq!(page.status, 422);
}

/// Seed 001's figures for Tỉnh Lai Châu, phase 2013–2023, counted from the
/// demo's records on the map of that time (the default for a period ending
/// before 1 July 2025), and the same records on today's map on request.
#[tokio::test]
async fn lai_chau_2013_2023_is_counted_on_the_map_of_its_time() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let province = app.user("tinh", "reviewer", "12").await;
    let nation = app.user("bocongan", "viewer", "VN").await;
    let d = app
        .get("/units/12/dashboard?period=2013-2023", &province.token)
        .await;
    assert_eq!(d.status, 200, "{}", d.text);
    let d = d.json();
    assert_eq!(d["map"], "legacy");
    assert_eq!(d["unit_name"], "Tỉnh Lai Châu");
    for (code, want) in [
        ("so_buoi_tuyen_truyen", 10_480),
        ("so_luot_nguoi_tham_gia", 860_500),
        ("so_thon", 956),
        ("so_thon_dang_ky", 956),
        ("so_xa_co_thon_dang_ky", 106),
        ("so_ho_dang_ky", 90_500),
        ("so_co_quan_dang_ky", 828),
        ("so_gia_dinh_van_hoa", 61_956),
        ("so_khu_dan_cu_van_hoa", 940),
    ] {
        assert_eq!(row(&d, code)["value"], want, "{code}");
    }
    // The breakdown is by the districts of then; they add up to the province.
    let children = d["children"].as_array().unwrap();
    assert_eq!(children.len(), 8);
    let k = d["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "so_buoi_tuyen_truyen")
        .unwrap();
    let sum: i64 = children.iter().map(|c| c["values"][k].as_i64().unwrap()).sum();
    assert_eq!(sum, 10_480);

    // The same period on today's map: the same records, today's units.
    let now = app
        .get(
            "/units/12/dashboard?period=2013-2023&map=current",
            &province.token,
        )
        .await
        .json();
    assert_eq!(now["map"], "current");
    assert_eq!(row(&now, "so_buoi_tuyen_truyen")["value"], 10_480);
    assert_eq!(now["children"].as_array().unwrap().len(), 38);

    // A district of then, opened by its code on that map.
    let district = children[0]["code"].as_str().unwrap().to_string();
    let dd = app
        .get(
            &format!("/units/{district}/dashboard?period=2013-2023&map=legacy"),
            &nation.token,
        )
        .await;
    assert_eq!(dd.status, 200, "{}", dd.text);

    // The report prints the seed's figures, in the page, the DOCX and the XLSX.
    let r = app
        .get("/units/12/report?period=2013-2023", &province.token)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = r.json();
    let text = r["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    for want in [
        "Toàn tỉnh đã tổ chức tuyên truyền, phổ biến được 10.480 buổi, với 860.500 lượt người tham gia",
        "956/956 bản",
        "ở 106 xã, phường, thị trấn",
        "90.500 hộ",
        "828 cơ quan, doanh nghiệp, trường học",
        "61.956 gia đình đăng ký gia đình văn hóa, 940 khu dân cư đăng ký khu dân cư văn hóa",
    ] {
        assert!(text.contains(want), "{want} not in {text}");
    }
    assert_eq!(r["body"], "CÔNG AN TỈNH LAI CHÂU");
    assert!(
        r["subject"]
            .as_str()
            .unwrap()
            .contains("giai đoạn 2013–2023 trên địa bàn tỉnh Lai Châu")
    );
    let docx = app
        .get("/units/12/report?period=2013-2023&format=docx", &province.token)
        .await;
    assert_eq!(docx.status, 200);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(docx.bytes.clone())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    for want in [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "10.480 buổi",
        "956/956 bản",
        "/BC-CAT",
    ] {
        assert!(xml.contains(want), "{want}");
    }
    let xlsx = app
        .get("/units/12/report?period=2013-2023&format=xlsx", &province.token)
        .await;
    assert_eq!(xlsx.status, 200);
    let narrative = antq::tabular::read(&xlsx.bytes, "Báo cáo", &["noi_dung"]).unwrap();
    assert!(
        narrative
            .iter()
            .any(|r| r.get(0).is_some_and(|t| t.contains("860.500 lượt người")))
    );
    let res = app
        .get("/units/12/report?period=2013-2023&format=pdf", &province.token)
        .await;
    assert_eq!(res.status, 422, "{}", res.text);

    // An old unit outside the reader's scope, and a bad map.
    let son_la = app.user("sonla", "viewer", "14").await;
    let res = app
        .get("/units/12/dashboard?period=2013-2023&map=legacy", &son_la.token)
        .await;
    assert_eq!(res.status, 404, "{}", res.text);
    let res = app
        .get("/units/12/dashboard?period=2013-2023&map=old", &province.token)
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("map"), "{}", res.text);
}

/// The report calls villages by the kind most of the period's villages
/// have: tổ dân phố founded in 2025 do not change how 2013–2023 reads.
#[tokio::test]
async fn the_report_names_villages_by_those_of_its_period() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let officer = app.user("canbo", "officer", "03583").await;
    let (then, now) = ("2013-2023", antq::input::today().year().to_string());
    let text = |period: String| {
        let (app, token) = (&app, officer.token.clone());
        async move {
            let r = app
                .get(
                    &format!("/units/03583/report?period={period}&map=current"),
                    &token,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json()["paragraphs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    let villages: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM villages WHERE commune_code = '03583' AND active = 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert!(villages > 0);
    for period in [then.to_string(), now.clone()] {
        let t = text(period).await;
        assert!(t.contains(&format!("/{villages} bản")), "{t}");
    }
    // More tổ dân phố founded in 2025 than there are bản: today's reports
    // speak of tổ dân phố, those of 2013–2023 still of bản.
    for i in 0..=villages {
        let res = app
            .api(
                "POST",
                "/units/03583/villages",
                Some(&officer.token),
                Some(json!({"name": format!("Tổ dân phố số {}", i + 1), "kind": "Tổ dân phố", "founded_on": "01/07/2025"})),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }
    let t = text(then.to_string()).await;
    assert!(t.contains(&format!("/{villages} bản")), "{t}");
    let t = text(now).await;
    assert!(t.contains(&format!("/{} tổ dân phố", 2 * villages + 1)), "{t}");
}

fn value_of(d: &Value, code: &str) -> i64 {
    row(d, code)["value"].as_i64().unwrap()
}

/// Completeness agrees with the indicators it completes, lists every one
/// it counts, follows a write at once and keeps to the reader's scope.
#[tokio::test]
async fn completeness_lists_who_has_not_registered_assessed_or_held_a_festival_day() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let province = app.user("tinh", "reviewer", "12").await;
    let officer = app.user("canbo", "officer", "03583").await;
    for (unit, period) in [
        ("12", "2025"),
        ("12", "2024"),
        ("12", "2013-2023"),
        ("12", "2023&map=current"),
        ("03583", "2025"),
    ] {
        let d = app
            .get(
                &format!("/units/{unit}/dashboard?period={period}"),
                &province.token,
            )
            .await
            .json();
        let c = app
            .get(
                &format!("/units/{unit}/completeness?period={period}"),
                &province.token,
            )
            .await;
        assert_eq!(c.status, 200, "{}", c.text);
        let c = c.json();
        let count = |check: &str| {
            c["checks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|k| k["check"] == check)
                .unwrap()["missing"]
                .as_i64()
                .unwrap()
        };
        let listed = |check: &str| {
            c["missing"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["check"] == check)
                .count() as i64
        };
        let unregistered = value_of(&d, "so_thon") - value_of(&d, "so_thon_dang_ky");
        assert_eq!(count("chua_dang_ky"), unregistered, "{unit} {period}");
        for check in ["chua_dang_ky", "chua_danh_gia", "chua_to_chuc_ngay_hoi"] {
            assert_eq!(listed(check), count(check), "{unit} {period} {check}");
        }
        // The breakdown's child units add up to no more than the unit.
        let children = c["children"].as_array().unwrap();
        assert_eq!(children.len(), d["children"].as_array().unwrap().len());
        let sum: i64 = children.iter().map(|ch| ch["missing"][0].as_i64().unwrap()).sum();
        assert!(sum <= count("chua_dang_ky"), "{unit} {period}");
    }
    // Seed 001: every one of the 956 bản registered in 2023.
    let old = app
        .get("/units/12/completeness?period=2013-2023", &province.token)
        .await
        .json();
    assert_eq!(old["checks"][0]["missing"], 0, "{old}");

    // A village added now is on the list at once, and leaves it when it
    // registers.
    let missing_now = |token: String| {
        let app = &app;
        async move {
            let c = app
                .get("/units/03583/completeness?period=2025", &token)
                .await
                .json();
            c["missing"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["check"] == "chua_dang_ky")
                .map(|m| m["name"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let before = missing_now(officer.token.clone()).await;
    let res = app
        .api(
            "POST",
            "/units/03583/villages",
            Some(&officer.token),
            Some(json!({"name": "Bản Mới Lập", "kind": "Bản", "households": 100})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let id = res.json()["id"].as_i64().unwrap();
    let added = missing_now(officer.token.clone()).await;
    assert_eq!(added.len(), before.len() + 1);
    assert!(added.iter().any(|n| n == "Bản Mới Lập"), "{added:?}");
    let res = app
        .api(
            "POST",
            "/registrations",
            Some(&officer.token),
            Some(json!({"year": 2025, "subject_kind": "village", "subject_id": id,
                        "registered_on": "15/02/2025", "households_resident": 100, "households_registered": 90})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(missing_now(officer.token.clone()).await, before);
    // Outside scope and bad input.
    assert_eq!(
        app.get("/units/03388/completeness?period=2025", &officer.token)
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/units/03583/completeness?period=2025-2020", &officer.token)
            .await
            .status,
        422
    );
    let csv = app
        .api(
            "GET",
            "/units/12/completeness?period=2025",
            Some(&province.token),
            None,
        )
        .await;
    assert_eq!(csv.status, 200);

    // The distribution of classification levels: recognised, assessed and
    // not assessed add up to the villages counted.
    let dist = app
        .get("/units/12/distribution?period=2025", &province.token)
        .await;
    assert_eq!(dist.status, 200, "{}", dist.text);
    let dist = dist.json();
    let d = app
        .get("/units/12/dashboard?period=2025", &province.token)
        .await
        .json();
    let villages = dist["bars"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["label"].as_str().unwrap().starts_with("Khu dân cư"))
        .expect("a bar for the villages");
    let segments: Vec<i64> = villages["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[1].as_i64().unwrap())
        .collect();
    assert_eq!(segments.iter().sum::<i64>(), value_of(&d, "so_thon"));
    assert_eq!(segments[0], value_of(&d, "so_khu_dan_cu_an_toan"));

    // The page shows both, and the list page downloads as CSV.
    app.user("xem", "viewer", "12").await;
    let b = app.browser("xem", crate::support::PASSWORD).await;
    let page = app.page(&b, "/units/12/dashboard?period=2025").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("id=\"completeness\""));
    assert!(page.text.contains("id=\"distribution\""));
    let list = app.page(&b, "/units/12/completeness?period=2025").await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains("Xã chưa tổ chức Ngày hội"));
    let csv = app
        .page(&b, "/units/12/completeness?period=2025&format=csv")
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.text.starts_with("\u{feff}noi_dung,ma,ten,xa") || csv.text.starts_with("noi_dung"),
        "{}",
        &csv.text[..40.min(csv.text.len())]
    );
}

/// The dashboard's JSON is kept while nothing changes: asked again, the
/// same bytes; after a write through the API or by hand, the new figure at
/// once; and a kept answer is never handed to a reader outside its unit.
#[tokio::test]
async fn a_kept_dashboard_is_the_same_until_a_write_and_only_for_its_readers() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let officer = app.user("canbo", "officer", "03583").await;
    let province = app.user("tinh", "reviewer", "12").await;
    let year = antq::input::today().year();
    let path = format!("/units/12/dashboard?period={year}&codes=so_buoi_tuyen_truyen,so_luot_nguoi_tham_gia");
    let sessions = |d: &Value| row(d, "so_buoi_tuyen_truyen")["value"].as_i64().unwrap();
    let first = app.get(&path, &province.token).await;
    assert_eq!(first.status, 200, "{}", first.text);
    let again = app.get(&path, &province.token).await;
    assert_eq!(again.text, first.text);
    // The commune's officer opening the province sees their commune's
    // figures only, not the province's kept answer; another commune's
    // officer may not open this one at all.
    // (On today's map: 03583 is also the code of one of the old communes
    // Xã Khổng Lào was formed from.)
    let in_2023 = path.replace(&format!("period={year}"), "period=2023") + "&map=current";
    let whole = app.get(&in_2023, &province.token).await.json();
    let own = app.get(&in_2023, &officer.token).await;
    assert_eq!(own.status, 200, "{}", own.text);
    let commune = app
        .get(&in_2023.replace("/units/12/", "/units/03583/"), &officer.token)
        .await
        .json();
    assert_eq!(sessions(&own.json()), sessions(&commune));
    assert!(sessions(&own.json()) < sessions(&whole));
    // The same figures asked for on today's map, and by default on the old
    // map that the officer may not open whole (it falls back, with a note):
    // two answers.
    let fallback = app
        .get(&in_2023.replace("&map=current", ""), &officer.token)
        .await
        .json();
    assert!(fallback["note"].is_string(), "{fallback}");
    assert!(own.json()["note"].is_null());
    let other = app.user("canbo2", "officer", "03820").await;
    let path_03583 = path.replace("/units/12/", "/units/03583/");
    assert_eq!(app.get(&path_03583, &other.token).await.status, 404);

    let res = app
        .api(
            "POST",
            "/units/03583/activities",
            Some(&officer.token),
            Some(json!({"kind": "session", "held_on": format!("02/01/{year}"), "title": "Phòng chống ma túy", "subtype": "hop_dan", "attendance": "40"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let after = app.get(&path, &province.token).await.json();
    assert_eq!(sessions(&after), sessions(&first.json()) + 1);
    let id = res.json()["id"].as_i64().unwrap();
    sqlx::query(&format!(
        "UPDATE activities SET cancelled_at = '{year}-01-03T00:00:00Z' WHERE id = {id}"
    ))
    .execute(&app.db.pool)
    .await
    .unwrap();
    let cancelled = app.get(&path, &province.token).await;
    assert_eq!(sessions(&cancelled.json()), sessions(&first.json()));
    assert_eq!(app.get(&path, &province.token).await.text, cancelled.text);
}

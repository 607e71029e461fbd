use crate::support::TestApp;

fn codes(res: &crate::support::Res) -> Vec<String> {
    res.json()["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn lists_the_official_units() {
    let app = TestApp::new().await;
    let u = app.user("xem", "viewer", "03583").await;
    let provinces = app.get("/units?level=province", &u.token).await;
    assert_eq!(provinces.status, 200);
    assert_eq!(provinces.json()["total"], 34);
    let communes = app.get("/units?level=commune", &u.token).await;
    assert_eq!(communes.json()["total"], 3321);
    let lai_chau = app.get("/units?parent=12&level=commune", &u.token).await;
    assert!(codes(&lai_chau).contains(&"03583".to_string()));
}

#[tokio::test]
async fn search_ignores_diacritics_and_case() {
    let app = TestApp::new().await;
    let u = app.user("xem", "viewer", "VN").await;
    for q in [
        "khong%20lao",
        "KH%E1%BB%94NG%20L%C3%80O",
        "Kh%E1%BB%95ng%20L%C3%A0o",
    ] {
        let res = app.get(&format!("/units?q={q}"), &u.token).await;
        assert_eq!(res.status, 200, "{q}");
        assert_eq!(
            codes(&res).first().map(String::as_str),
            Some("03583"),
            "{q}: {}",
            res.text
        );
    }
}

#[tokio::test]
async fn a_pre_2025_name_finds_the_unit_it_became() {
    let app = TestApp::new().await;
    let u = app.user("xem", "viewer", "VN").await;
    let res = app.get("/units?q=son%20lu", &u.token).await;
    let first = &res.json()["units"][0];
    assert_eq!(first["code"], "15016");
    assert_eq!(first["name"], "Xã Quan Sơn");
    assert_eq!(first["former"]["name"], "Thị trấn Sơn Lư");
    assert_eq!(first["former"]["is_default"], true);
    // The page says so in Vietnamese.
    let b = app.browser("xem", crate::support::PASSWORD).await;
    let page = app.page(&b, "/search?q=S%C6%A1n+L%C6%B0").await;
    assert!(
        page.text.contains("Trước 01/07/2025 là Thị trấn Sơn Lư (15016)"),
        "{}",
        page.text
    );
}

#[tokio::test]
async fn bad_unit_queries_name_the_field() {
    let app = TestApp::new().await;
    let u = app.user("xem", "viewer", "VN").await;
    let res = app.get("/units?level=huyen", &u.token).await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["error"]["fields"]["level"]
            .as_str()
            .unwrap()
            .starts_with("Cấp đơn vị")
    );
    let res = app.get("/units/99999", &u.token).await;
    assert_eq!(res.status, 404);
    assert!(res.json()["error"]["message"].as_str().unwrap().contains("99999"));
}

#[tokio::test]
async fn unit_pages_show_counts_and_former_units() {
    let app = TestApp::new().await;
    let u = app.user("canbo", "officer", "03388").await;
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let page = app.page(&b, "/units/03388").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Phường Đoàn Kết"));
    assert!(page.text.contains("Xã Sùng Phài (03403)"), "former unit listed");
    let res = app.get("/units/03388", &u.token).await;
    assert_eq!(res.json()["counts"]["villages"], 0);
}

/// The successors of an old unit (the access check of every read on the
/// pre-2025 map) come from the directory; they are what the crosswalks
/// say, by SQL, for every old unit: 63 provinces, their districts, their
/// communes.
#[tokio::test]
async fn an_old_unit_goes_to_the_units_the_crosswalks_name() {
    let app = TestApp::new().await;
    let sql = |level: &str| match level {
        "province" => {
            "SELECT DISTINCT u.path FROM province_crosswalk_2025 x \
             JOIN units u ON u.era = 'current' AND u.code = x.new_code WHERE x.old_code = $1 ORDER BY u.path"
        }
        "district" => {
            "SELECT DISTINCT u.path FROM units c JOIN crosswalk_2025 x ON x.old_code = c.code \
             JOIN units u ON u.era = 'current' AND u.code = x.new_code \
             WHERE c.era = 'legacy' AND c.parent_code = $1 ORDER BY u.path"
        }
        _ => {
            "SELECT DISTINCT u.path FROM crosswalk_2025 x \
             JOIN units u ON u.era = 'current' AND u.code = x.new_code WHERE x.old_code = $1 ORDER BY u.path"
        }
    };
    let olds: Vec<(String, String)> =
        sqlx::query_as("SELECT code, level FROM units WHERE era = 'legacy' AND level <> 'nation'")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert!(olds.len() > 10_000, "{}", olds.len());
    let mut with_successors = 0;
    for (code, level) in &olds {
        let unit = antq::units::find(&app.db, "legacy", code).await.unwrap().unwrap();
        let mut want: Vec<String> = sqlx::query_scalar(sql(level))
            .bind(code)
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
        // In byte order, as the directory sorts (PostgreSQL's collation may not).
        want.sort();
        let got = antq::units::successor_paths(&app.db, &unit).await.unwrap();
        assert_eq!(got, want, "{level} {code}");
        with_successors += usize::from(!got.is_empty());
    }
    assert!(with_successors > 10_000, "{with_successors}");
}

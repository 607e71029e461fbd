//! The roll-up (src/indicators/rollup) against the indicators' definition:
//! counted from the records (`values_from_records`), for the nation, a
//! province, its communes and the old units of Lai Châu, over years,
//! quarters, months and phases, on both maps; after the demo's writes
//! (applied from the change log) and after a reload from scratch; and for
//! writes, corrections and deletions made after it loaded.

use antq::auth::{Action, Actor, Scope};
use antq::indicators::period::Period;
use antq::indicators::{CATALOGUE, values_from_records, values_with_children};
use antq::units::{self, Unit};
use serde_json::json;

use crate::support::TestApp;

pub(crate) fn actor_at(code: &str, path: &str) -> Actor {
    let mut a = Actor::system();
    a.scope_code = code.into();
    a.scope_path = path.into();
    a
}

pub(crate) fn scope_of(actor: &Actor, unit: &Unit) -> Scope {
    let all = Scope::new(actor, Action::ViewGeography).unwrap();
    if unit.era == "legacy" {
        all.on_legacy_map(&unit.path)
    } else {
        all.narrow(&unit.path).unwrap()
    }
}

pub(crate) fn periods() -> Vec<Period> {
    let mut out: Vec<Period> = (2012..=2027).filter_map(Period::year).collect();
    out.extend(Period::phase(2013, 2023));
    out.extend(Period::phase(2024, 2026));
    out.extend((1..=4).filter_map(|q| Period::quarter(2025, q)));
    out.extend([1, 7, 12].into_iter().filter_map(|m| Period::month(2025, m)));
    out
}

/// Every unit × period: the roll-up's figures (unit and children) equal
/// the records' count, indicator by indicator.
async fn assert_same(app: &TestApp, actor: &Actor, units: &[Unit], periods: &[Period]) {
    assert!(app.db.rollup.is_ready());
    for unit in units {
        let children = units::children_on_map(&app.db, unit).await.unwrap();
        let children: Vec<Unit> = children
            .into_iter()
            .filter(|c| c.path.starts_with(actor.scope_path.as_str()) || c.era == "legacy")
            .collect();
        for p in periods {
            let got = values_with_children(&app.db, actor, unit, &children, p)
                .await
                .unwrap();
            let want = values_from_records(&app.db, &scope_of(actor, unit), p)
                .await
                .unwrap();
            for (i, ind) in CATALOGUE.iter().enumerate() {
                assert_eq!(
                    got.total[i], want[i],
                    "{} {} {}: {}",
                    unit.era, unit.code, p.label, ind.code
                );
            }
            for (c, values) in children.iter().zip(&got.children) {
                let want = values_from_records(&app.db, &scope_of(actor, c), p)
                    .await
                    .unwrap();
                assert_eq!(
                    values, &want,
                    "{} {} {} child {}",
                    unit.era, unit.code, p.label, c.code
                );
            }
        }
    }
}

/// A dashboard through the API, asserted answered: its JSON.
async fn dashboard(app: &TestApp, token: &str, path: &str) -> serde_json::Value {
    let d = app.get(path, token).await;
    assert_eq!(d.status, 200, "{path}: {}", d.text);
    d.json()
}

pub(crate) async fn unit(app: &TestApp, era: &str, code: &str) -> Unit {
    units::find(&app.db, era, code).await.unwrap().unwrap()
}

#[tokio::test]
async fn the_rollup_counts_what_the_records_count() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let nation = actor_at("VN", "/VN/");
    let lai_chau = actor_at("12", "/VN/12/");
    let current = [
        unit(&app, "current", "VN").await,
        unit(&app, "current", "12").await,
        unit(&app, "current", "03583").await,
    ];
    let legacy = [unit(&app, "legacy", "12").await, unit(&app, "legacy", "VN").await];
    let all = periods();
    // A few periods for the nation: its 34 (or 63) children counted from
    // the records are the slow half of the comparison.
    let some: Vec<Period> = [2023, 2025]
        .into_iter()
        .filter_map(Period::year)
        .chain(Period::phase(2013, 2023))
        .chain(Period::quarter(2025, 3))
        .collect();
    // Applied from the change log: the demo was written after the load.
    assert_same(&app, &nation, &current[..1], &some).await;
    assert_same(&app, &nation, &legacy[1..], &some).await;
    assert_same(&app, &nation, &current[1..], &all).await;
    assert_same(&app, &lai_chau, &current[1..], &all).await;
    assert_same(&app, &lai_chau, &legacy[..1], &all).await;
    // Loaded from scratch.
    app.db.rollup.load(&app.db).await.unwrap();
    assert_same(&app, &nation, &current[..1], &some).await;
    assert_same(&app, &lai_chau, &legacy[..1], &all).await;
}

#[tokio::test]
async fn writes_corrections_and_deletions_reach_the_rollup_at_once() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let officer = app.user("canbo", "officer", "03583").await;
    let nation = actor_at("VN", "/VN/");
    let units = vec![unit(&app, "current", "12").await];
    let year = antq::input::today().year();
    let this_year: Vec<Period> = Period::year(year).into_iter().collect();
    let res = app
        .api(
            "POST",
            "/units/03583/activities",
            Some(&officer.token),
            Some(
                json!({"kind": "session", "held_on": format!("01/01/{year}"), "title": "Phòng chống lừa đảo",
                "subtype": "hop_dan", "attendance": "120"}),
            ),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_same(&app, &nation, &units, &this_year).await;
    // Moved to another month, then cancelled by hand, then deleted: each
    // reaches the roll-up through the log.
    let id = res.json()["id"].as_i64().unwrap();
    for sql in [
        format!("UPDATE activities SET held_on = '{year}-03-05', attendance = 300 WHERE id = {id}"),
        format!("UPDATE activities SET cancelled_at = '{year}-03-06T00:00:00Z' WHERE id = {id}"),
        format!("UPDATE activities SET cancelled_at = NULL WHERE id = {id}"),
        format!("DELETE FROM activities WHERE id = {id}"),
        format!(
            "UPDATE teams SET dissolved_on = '{}-12-31' WHERE id IN (SELECT MIN(id) FROM teams)",
            year - 3
        ),
        "DELETE FROM members WHERE id IN (SELECT MIN(id) FROM members)".to_string(),
        "UPDATE villages SET active = 0 WHERE id IN (SELECT MIN(id) FROM villages)".to_string(),
        // Thousands of rows at once: read on a blocking thread (logged.rs).
        format!(
            "UPDATE activities SET held_on = '{year}-01-02' WHERE province_code = '12' AND kind = 'session'"
        ),
    ] {
        sqlx::query(&sql).execute(&app.db.pool).await.unwrap();
        let all: Vec<Period> = (year - 4..=year).filter_map(Period::year).collect();
        assert_same(&app, &nation, &units, &all).await;
    }
    // A province's campaign counts for the communes it covered too, from
    // the refresh that reads the units it covered.
    let province = app.user("laichau", "reviewer", "12").await;
    let res = app
        .api(
            "POST",
            "/units/12/activities",
            Some(&province.token),
            Some(
                json!({"kind": "campaign", "title": "Đợt cao điểm", "held_on": format!("01/02/{year}"),
                "unit_codes": ["03583"]}),
            ),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let units = vec![units[0].clone(), unit(&app, "current", "03583").await];
    assert_same(&app, &nation, &units, &this_year).await;
    let id = res.json()["id"].as_i64().unwrap();
    let moved = format!(
        "UPDATE activities SET held_on = '{}-02-01' WHERE id = {id}",
        year - 1
    );
    sqlx::query(&moved).execute(&app.db.pool).await.unwrap();
    let two: Vec<Period> = (year - 1..=year).filter_map(Period::year).collect();
    assert_same(&app, &nation, &units, &two).await;
}

/// A digest of the generated rows: equal digests, equal data (with
/// overwhelming likelihood).
async fn digest(app: &TestApp) -> Vec<i64> {
    let mut out = Vec::new();
    for sql in [
        "SELECT CAST(COALESCE(SUM(id * attendance), 0) AS BIGINT) FROM activities",
        "SELECT CAST(COALESCE(SUM(id * LENGTH(held_on || scope_path || COALESCE(legacy_path, ''))), 0) AS BIGINT) FROM activities",
        "SELECT CAST(COALESCE(SUM(id * households), 0) AS BIGINT) FROM villages",
        "SELECT CAST(COALESCE(SUM(id * LENGTH(COALESCE(founded_on, '') || COALESCE(closed_on, ''))), 0) AS BIGINT) FROM villages",
        "SELECT CAST(COALESCE(SUM(id * LENGTH(received_on || status || category)), 0) AS BIGINT) FROM tips",
        "SELECT CAST(COUNT(*) AS BIGINT) FROM members",
        "SELECT CAST(COALESCE(SUM(id * LENGTH(started_on)), 0) AS BIGINT) FROM model_points",
    ] {
        out.push(sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap());
    }
    out
}

#[tokio::test]
async fn the_generator_is_deterministic_and_the_rollup_counts_it() {
    use antq::generator::{Scale, generate};
    let a = TestApp::new().await;
    let counts = generate(&a.db, Scale::Province, 7).await.unwrap();
    assert_eq!(counts.provinces, 1);
    assert!(counts.villages > 300 && counts.sessions > 10 * counts.villages);
    let b = TestApp::new().await;
    generate(&b.db, Scale::Province, 7).await.unwrap();
    assert_eq!(digest(&a).await, digest(&b).await);
    let c = TestApp::new().await;
    generate(&c.db, Scale::Province, 8).await.unwrap();
    assert_ne!(digest(&a).await, digest(&c).await);
    // A second run into the same database is refused, nothing written.
    let before = digest(&a).await;
    assert!(generate(&a.db, Scale::Province, 7).await.is_err());
    assert_eq!(digest(&a).await, before);

    // Some villages are founded during the years, some ceased in 2025;
    // none has a record from before it was founded or after it ceased.
    let one = |sql: &'static str| {
        let pool = a.db.pool.clone();
        async move { sqlx::query_scalar::<_, i64>(sql).fetch_one(&pool).await.unwrap() }
    };
    let founded = one("SELECT COUNT(*) FROM villages WHERE founded_on > '2016-12-31'").await;
    let closed = one("SELECT COUNT(*) FROM villages WHERE active = 0 AND closed_on LIKE '2025-%'").await;
    assert!(
        founded * 40 > counts.villages && closed * 20 > counts.villages,
        "{founded} {closed}"
    );
    for sql in [
        "SELECT COUNT(*) FROM activities a JOIN villages v ON v.id = a.village_id \
         WHERE a.held_on < COALESCE(v.founded_on, '') OR a.held_on > COALESCE(v.closed_on, '9999')",
        "SELECT COUNT(*) FROM registrations r JOIN villages v ON r.subject_kind = 'village' AND r.subject_id = CAST(v.id AS TEXT) \
         WHERE r.registered_on < COALESCE(v.founded_on, '') OR r.registered_on > COALESCE(v.closed_on, '9999')",
        "SELECT COUNT(*) FROM model_points m JOIN villages v ON v.id = m.village_id \
         WHERE m.started_on < COALESCE(v.founded_on, '') OR COALESCE(m.ended_on, '9999') > COALESCE(v.closed_on, '9999')",
    ] {
        assert_eq!(one(sql).await, 0, "{sql}");
    }

    // The generator empties the change log, so the roll-up is loaded
    // again, as `serve` does at start.
    a.db.rollup.load(&a.db).await.unwrap();
    let nation = actor_at("VN", "/VN/");
    let periods: Vec<Period> = [2018, 2025]
        .into_iter()
        .filter_map(Period::year)
        .chain(Period::phase(2016, 2024))
        .chain(Period::quarter(2025, 2))
        .collect();
    let units = [unit(&a, "current", "12").await, unit(&a, "legacy", "12").await];
    assert_same(&a, &nation, &units, &periods).await;
}

/// A campaign of 2023 counts on the map of its time for the unit that ran
/// it and for where each unit it covered lay then (migration 0014): a
/// commune of today made of one old commune at that commune, one made of
/// several at their district, never at an old commune it may not have
/// covered. The roll-up and the records agree on every old unit.
#[tokio::test]
async fn a_campaign_before_2025_counts_for_its_covered_units_on_the_old_map() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let province = app.user("laichau", "reviewer", "12").await;
    // Xã Mù Cả was one old commune of Huyện Mường Tè (107); Xã Bình Lư was
    // formed from three of Huyện Tam Đường (106).
    let res = app
        .api(
            "POST",
            "/units/12/activities",
            Some(&province.token),
            Some(
                json!({"kind": "campaign", "title": "Đợt cao điểm trấn áp tội phạm", "held_on": "01/03/2023",
                "unit_codes": ["03451", "03390"]}),
            ),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT unit_code, legacy_path FROM activity_units ORDER BY unit_code")
            .fetch_all(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        [
            ("03390".to_string(), "/VN/12/106/".to_string()),
            ("03451".to_string(), "/VN/12/107/03451/".to_string())
        ]
    );
    let count = |code: &'static str| {
        let (app, token) = (&app, province.token.clone());
        async move {
            let d = dashboard(
                app,
                &token,
                &format!("/units/{code}/dashboard?period=2023&codes=so_dot_tan_cong"),
            )
            .await;
            assert_eq!(d["map"], "legacy", "{code}");
            d["indicators"][0]["value"].as_i64().unwrap()
        }
    };
    // The province once; both districts, and the old commune it covered.
    assert_eq!(count("12").await, 1);
    assert_eq!(count("107").await, 1);
    assert_eq!(count("106").await, 1);
    assert_eq!(count("03451").await, 1);
    // Another district, and an old commune of Tam Đường it may not have
    // covered (Bình Lư's home is the district, not one of its communes).
    assert_eq!(count("109").await, 0);
    let in_106: String = sqlx::query_scalar(
        "SELECT old_code FROM crosswalk_2025 WHERE new_code = '03390' ORDER BY old_code LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let d = app
        .get(
            &format!("/units/{in_106}/dashboard?period=2023&codes=so_dot_tan_cong"),
            &province.token,
        )
        .await
        .json();
    assert_eq!(d["indicators"][0]["value"], 0, "{in_106}");
    // On today's map the same campaign counts at both communes of today.
    let d = app
        .get(
            "/units/03390/dashboard?period=2023&map=current&codes=so_dot_tan_cong",
            &province.token,
        )
        .await
        .json();
    assert_eq!(d["indicators"][0]["value"], 1);
    let nation = actor_at("VN", "/VN/");
    let lai_chau = actor_at("12", "/VN/12/");
    let old = [
        unit(&app, "legacy", "12").await,
        unit(&app, "legacy", "106").await,
        unit(&app, "legacy", "107").await,
    ];
    let periods: Vec<Period> = Period::year(2023)
        .into_iter()
        .chain(Period::phase(2013, 2023))
        .chain(Period::quarter(2023, 1))
        .chain(Period::month(2023, 3))
        .collect();
    assert_same(&app, &lai_chau, &old, &periods).await;
    assert_same(&app, &nation, &[unit(&app, "legacy", "VN").await], &periods[..1]).await;
    // Loaded from scratch: the covered units' places are read again.
    app.db.rollup.load(&app.db).await.unwrap();
    assert_same(&app, &lai_chau, &old, &periods).await;
}

/// A campaign before 1 July 2025 names the old units it covered (migration
/// 0016): an old commune merged into a commune of today counts it there
/// and at its district, not at the communes merged with it; an old
/// district at itself. Today's map counts it at the commune of today the
/// old commune went to. Wrong codes, a campaign after the reform and
/// another kind are refused by name; the export carries the codes and
/// reads back unchanged; roll-up and records agree.
#[tokio::test]
async fn a_campaign_names_the_old_units_it_covered() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let province = app.user("laichau", "officer", "12").await;
    let post = |body: serde_json::Value| {
        let (app, token) = (&app, province.token.clone());
        async move {
            app.api("POST", "/units/12/activities", Some(&token), Some(body))
                .await
        }
    };
    let before = app.count("SELECT COUNT(*) FROM activity_units").await;
    // Xã Bình Lư (03390) of today was formed from 03390, 03412 and 03413 of
    // Huyện Tam Đường (106); 109 is Huyện Phong Thổ; 03430 lies elsewhere.
    for (body, says) in [
        (
            json!({"kind": "campaign", "title": "Đợt", "held_on": "01/08/2025", "legacy_unit_codes": ["03412"]}),
            "chỉ ghi cho đợt bắt đầu trước ngày 01/07/2025",
        ),
        (
            json!({"kind": "campaign", "title": "Đợt", "held_on": "01/03/2023", "legacy_unit_codes": ["99999"]}),
            "\"99999\" không phải đơn vị trước ngày 01/07/2025 nay thuộc Tỉnh Lai Châu",
        ),
        (
            json!({"kind": "campaign", "title": "Đợt", "held_on": "01/03/2023", "legacy_unit_codes": ["04000"]}),
            "\"04000\" không phải đơn vị",
        ),
        (
            json!({"kind": "conference", "title": "Hội nghị", "held_on": "01/03/2023", "legacy_unit_codes": ["03412"]}),
            "chỉ ghi cho đợt tấn công trấn áp tội phạm",
        ),
    ] {
        let res = post(body).await;
        assert_eq!(res.status, 422, "{}", res.text);
        let msg = res.json()["error"]["fields"]["legacy_unit_codes"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            msg.starts_with("Đơn vị tham gia trước sắp xếp:") && msg.contains(says),
            "{msg}"
        );
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM activity_units").await, before);

    let res = post(
        json!({"kind": "campaign", "title": "Đợt cao điểm", "held_on": "01/03/2023",
        "legacy_unit_codes": ["109", " 03412", "03412"]}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json()["legacy_unit_codes"], json!(["03412", "109"]));
    assert_eq!(res.json()["unit_codes"], json!([]));
    let id = res.json()["id"].as_i64().unwrap();
    let stored: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT unit_code, legacy_code, legacy_path FROM activity_units WHERE activity_id = $1 ORDER BY legacy_code",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(
        stored,
        [
            ("03390".into(), "03412".into(), "/VN/12/106/03412/".into()),
            ("12".into(), "109".into(), "/VN/12/109/".into())
        ]
    );
    let count = |code: &'static str, map: &'static str| {
        let (app, token) = (&app, province.token.clone());
        async move {
            let path = format!("/units/{code}/dashboard?period=2023&map={map}&codes=so_dot_tan_cong");
            dashboard(app, &token, &path).await["indicators"][0]["value"]
                .as_i64()
                .unwrap()
        }
    };
    for (code, n) in [
        ("12", 1),
        ("106", 1),
        ("03412", 1),
        ("03390", 0),
        ("03413", 0),
        ("109", 1),
        ("107", 0),
    ] {
        assert_eq!(count(code, "legacy").await, n, "{code}");
    }
    assert_eq!(count("03390", "current").await, 1);
    assert_eq!(count("12", "current").await, 1);

    // The list and the export carry the old codes; the export reads back
    // unchanged.
    let csv = app
        .get(
            "/units/12/activities/export?year=2023&kind=campaign&format=csv",
            &province.token,
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv.text.contains(",don_vi_tham_gia_cu,"), "{}", csv.text);
    assert!(csv.text.contains(",03412;109,"), "{}", csv.text);
    let res = app
        .upload("/activities/import", &province.token, csv.bytes.clone())
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["unchanged"], 1, "{}", res.text);

    let nation = actor_at("VN", "/VN/");
    let old = [
        unit(&app, "legacy", "12").await,
        unit(&app, "legacy", "106").await,
        unit(&app, "legacy", "109").await,
        unit(&app, "current", "12").await,
    ];
    let periods: Vec<Period> = Period::year(2023)
        .into_iter()
        .chain(Period::phase(2013, 2023))
        .chain(Period::month(2023, 3))
        .collect();
    assert_same(&app, &nation, &old, &periods).await;

    // Changed to cover 03413 instead: counted there, no longer at 03412 or 109.
    let res = app
        .api(
            "PATCH",
            &format!("/activities/{id}"),
            Some(&province.token),
            Some(json!({"legacy_unit_codes": ["03413"]})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["legacy_unit_codes"], json!(["03413"]));
    for (code, n) in [("03412", 0), ("03413", 1), ("109", 0), ("106", 1)] {
        assert_eq!(count(code, "legacy").await, n, "{code}");
    }
    assert_same(&app, &nation, &old, &periods).await;
    app.db.rollup.load(&app.db).await.unwrap();
    assert_same(&app, &nation, &old, &periods).await;
}

/// A village counts in "Số thôn, tổ dân phố" in each year it existed on any
/// day of (migration 0015): from the year it was founded (none: always) to
/// the year it ceased. Bad dates are refused by name and change nothing;
/// the roll-up and the records agree on both maps, and after a reload.
#[tokio::test]
async fn a_village_counts_from_its_founding_to_the_year_it_ceased() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let officer = app.user("canbo", "officer", "03583").await;
    let this_year = antq::input::today().year();
    let villages = |year: i32| {
        let (app, token) = (&app, officer.token.clone());
        async move {
            let path = format!("/units/03583/dashboard?period={year}&map=current&codes=so_thon");
            dashboard(app, &token, &path).await["indicators"][0]["value"]
                .as_i64()
                .unwrap()
        }
    };
    let before: Vec<i64> = {
        let mut v = Vec::new();
        for y in 2018..=this_year {
            v.push(villages(y).await);
        }
        v
    };
    // Not a date, and a day still to come: refused by name, nothing written.
    for (founded, says) in [
        ("31/02/2020", "không phải ngày hợp lệ"),
        ("01/01/2999", "sau ngày hôm nay"),
    ] {
        let res = app
            .api(
                "POST",
                "/units/03583/villages",
                Some(&officer.token),
                Some(json!({"name": "Bản Mới", "kind": "Bản", "founded_on": founded})),
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.text);
        let msg = res.json()["error"]["fields"]["founded_on"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(msg.starts_with("Ngày thành lập:") && msg.contains(says), "{msg}");
    }
    let res = app
        .api(
            "POST",
            "/units/03583/villages",
            Some(&officer.token),
            Some(json!({"name": "Bản Mới", "kind": "Bản", "founded_on": "15/03/2020"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json()["founded_on"], "2020-03-15");
    let id = res.json()["id"].as_i64().unwrap();
    for (i, y) in (2018..=this_year).enumerate() {
        assert_eq!(villages(y).await, before[i] + i64::from(y >= 2020), "{y}");
    }
    // Ceasing before it was founded, or in the future: refused, still active.
    let deactivate = |body: serde_json::Value| {
        let app = &app;
        let token = officer.token.clone();
        async move {
            app.api(
                "POST",
                &format!("/villages/{id}/deactivate"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    for (closed, says) in [
        ("01/01/2019", "trước ngày thành lập (15/03/2020)"),
        ("01/01/2999", "sau ngày hôm nay"),
    ] {
        let res = deactivate(json!({"closed_on": closed})).await;
        assert_eq!(res.status, 422, "{}", res.text);
        let msg = res.json()["error"]["fields"]["closed_on"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            msg.starts_with("Ngày ngừng hoạt động:") && msg.contains(says),
            "{msg}"
        );
    }
    let res = deactivate(json!({"closed_on": "10/06/2024"})).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["closed_on"], "2024-06-10");
    assert_eq!(res.json()["active"], false);
    for (i, y) in (2018..=this_year).enumerate() {
        let counted = (2020..=2024).contains(&y);
        assert_eq!(villages(y).await, before[i] + i64::from(counted), "{y}");
    }
    // Roll-up and records agree, on today's map and on the old one.
    let nation = actor_at("VN", "/VN/");
    let units = [
        unit(&app, "current", "12").await,
        unit(&app, "current", "03583").await,
        unit(&app, "legacy", "12").await,
    ];
    let years: Vec<Period> = (2018..=this_year).filter_map(Period::year).collect();
    assert_same(&app, &nation, &units, &years).await;
    // Made inactive by hand with no day known: it counts in no year.
    sqlx::query(&format!("UPDATE villages SET closed_on = NULL WHERE id = {id}"))
        .execute(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(villages(2022).await, before[4]);
    assert_same(&app, &nation, &units, &years).await;
    app.db.rollup.load(&app.db).await.unwrap();
    assert_same(&app, &nation, &units, &years).await;

    // A village recognised "An toàn về ANTT" in a year and merged the year
    // after: the recognition stays in the year it was given.
    let (village, year): (String, i64) = sqlx::query_as(
        "SELECT subject_id, year FROM assessments WHERE programme = 'an_toan' AND subject_kind = 'village' \
         AND status IN ('approved', 'recognised') AND result = 'dat' AND replaced = 0 ORDER BY year, id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let viewer = app.user("tinh.xem", "viewer", "12").await;
    let safe = |year: i64| {
        let (app, token) = (&app, viewer.token.clone());
        async move {
            let path = format!("/units/12/dashboard?period={year}&map=current&codes=so_khu_dan_cu_an_toan");
            dashboard(app, &token, &path).await["indicators"][0]["value"]
                .as_i64()
                .unwrap()
        }
    };
    let recognised = safe(year).await;
    assert!(recognised > 0);
    let res = app
        .api(
            "POST",
            &format!("/villages/{village}/deactivate"),
            Some(&app.user("tinh.sua", "officer", "12").await.token),
            Some(json!({"closed_on": format!("01/03/{}", year + 1)})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(safe(year).await, recognised);
    let around: Vec<Period> = (year - 1..=year + 1)
        .filter_map(|y| Period::year(y as i32))
        .collect();
    assert_same(&app, &nation, &units[..1], &around).await;

    // The page: the founding day on the form, the day it ceased on the
    // deactivation form (a refused one shown with its message).
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    let res = app
        .post_form(
            &b,
            "/units/03583/villages",
            &[
                ("name", "Bản Trang"),
                ("kind", "Bản"),
                ("founded_on", "2021-09-02"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let page_id: i64 = sqlx::query_scalar("SELECT id FROM villages WHERE name = 'Bản Trang'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let page = app.page(&b, &format!("/villages/{page_id}")).await;
    assert!(page.text.contains("Ngày thành lập") && page.text.contains("02/09/2021"));
    let res = app
        .post_form(
            &b,
            &format!("/villages/{page_id}/deactivate"),
            &[("closed_on", "2020-01-01")],
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(
        res.text
            .contains("Ngày ngừng hoạt động: không được trước ngày thành lập (02/09/2021).")
    );
    let res = app
        .post_form(
            &b,
            &format!("/villages/{page_id}/deactivate"),
            &[("closed_on", "")],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let closed: Option<String> =
        sqlx::query_scalar(&format!("SELECT closed_on FROM villages WHERE id = {page_id}"))
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(closed, Some(antq::input::today().to_string()));
}

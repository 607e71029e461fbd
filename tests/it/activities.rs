//! Activities, festival days, programmes, awards and the Kỷ niệm chương:
//! the seeds' figures from the demo, the rules of bad input, and access.

use serde_json::{Value, json};

use crate::support::TestApp;

async fn demo_app() -> TestApp {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    app
}

fn figures(v: &Value) -> &Value {
    &v["activities"]
}

#[tokio::test]
async fn khong_lao_2023_summary_reproduces_the_seed_award_counts() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let res = app.get("/units/03583/summary?year=2023", &officer.token).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let json = res.json();
    let a = &figures(&json)["awards"];
    let sentences: Vec<String> = a["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sentences,
        vec![
            "Bộ Công an tặng Bằng khen cho 1 tập thể, 1 cá nhân, tặng Kỷ niệm chương cho 5 cá nhân",
            "Giám đốc Công an tỉnh Lai Châu tặng Giấy khen cho 5 tập thể, 8 cá nhân",
            "UBND huyện Phong Thổ tặng Giấy khen cho 6 tập thể, 12 cá nhân",
        ],
        "{a}"
    );
    assert_eq!(figures(&json)["festival_days"], 1);
    // The same counts at the festival day itself.
    let day = app
        .get("/units/03583/festival-days?year=2023", &officer.token)
        .await
        .json();
    let id = day["festival_days"][0]["id"].as_i64().unwrap();
    let at = app
        .get(&format!("/festival-days/{id}"), &officer.token)
        .await
        .json();
    assert_eq!(at["awards"]["total"], 38);
    assert_eq!(at["awards"]["sentences"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn lai_chau_programme_09_and_the_showcases_of_2023() {
    let app = demo_app().await;
    let reviewer = app.user("laichau", "reviewer", "12").await;
    let list = app.get("/units/12/programmes", &reviewer.token).await.json();
    assert_eq!(list["total"], 2);
    let first = list["programmes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["from_year"] == 2013)
        .unwrap();
    let p = app
        .get(&format!("/programmes/{}", first["id"]), &reviewer.token)
        .await
        .json();
    let awards = &p["reviews"][0]["awards"];
    let (mut c, mut i) = (0, 0);
    for t in awards["by_issuer"].as_array().unwrap() {
        c += t["collectives"].as_i64().unwrap();
        i += t["individuals"].as_i64().unwrap();
    }
    assert_eq!((c, i), (19, 36), "{awards}");
    assert!(
        p["reviews"][0]["review"]["findings"]
            .as_str()
            .unwrap()
            .contains("10.480 buổi")
    );

    let nation = app.user("bocongan", "reviewer", "VN").await;
    let s = app.get("/units/VN/summary?year=2023", &nation.token).await.json();
    let showcase = &figures(&s)["showcase_by_level"];
    assert!(
        showcase
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l[0] == "bo_cong_an" && l[1] == 1),
        "{showcase}"
    );
    assert!(
        showcase
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l[0] == "huyen" && l[1] == 1),
        "{showcase}"
    );
    // Thanh Hóa's festival day of 2023 was at Thị trấn Sơn Lư, today Xã Quan Sơn.
    let th = app.user("thanhhoa", "viewer", "38").await;
    let days = app
        .get("/units/38/festival-days?year=2023", &th.token)
        .await
        .json();
    let d = &days["festival_days"][0];
    assert_eq!(d["unit_name"], "Xã Quan Sơn");
    assert_eq!(d["legacy_name"], "Thị trấn Sơn Lư");
    let missing = days["not_scheduled"].as_array().unwrap();
    assert!(!missing.is_empty() && missing.iter().all(|m| m["code"] != "15016"));
}

#[tokio::test]
async fn a_session_counts_at_once_in_commune_province_and_nation() {
    let app = TestApp::new().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let nation = app.user("bocongan", "reviewer", "VN").await;
    let before: Vec<i64> = {
        let mut v = Vec::new();
        for code in ["03583", "12", "VN"] {
            v.push(
                figures(
                    &app.get(&format!("/units/{code}/summary?year=2025"), &nation.token)
                        .await
                        .json(),
                )["attendance"]
                    .as_i64()
                    .unwrap(),
            );
        }
        v
    };
    let res = app
        .api(
            "POST",
            "/units/03583/activities",
            Some(&officer.token),
            Some(json!({"kind": "session", "held_on": "12/03/2025", "title": "Phòng chống ma túy", "subtype": "hop_dan", "attendance": "1.250"})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    for (i, code) in ["03583", "12", "VN"].iter().enumerate() {
        let f = app
            .get(&format!("/units/{code}/summary?year=2025"), &nation.token)
            .await
            .json();
        assert_eq!(
            figures(&f)["attendance"].as_i64().unwrap(),
            before[i] + 1250,
            "{code}"
        );
    }
    // Cancelled, it leaves every total.
    let id = res.json()["id"].as_i64().unwrap();
    let c = app
        .api(
            "POST",
            &format!("/activities/{id}/cancel"),
            Some(&officer.token),
            Some(json!({"reason": "Ghi trùng"})),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let f = app.get("/units/12/summary?year=2025", &nation.token).await.json();
    assert_eq!(figures(&f)["attendance"].as_i64().unwrap(), before[1]);
}

#[tokio::test]
async fn bad_input_is_refused_by_field_and_writes_nothing() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let count = || {
        app.count("SELECT (SELECT COUNT(*) FROM activities) + (SELECT COUNT(*) FROM festival_days) + (SELECT COUNT(*) FROM awards)")
    };
    let before = count().await;
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "/units/03583/activities",
            json!({"kind": "session", "held_on": "12/03/2025", "title": "A", "subtype": "hop_dan", "attendance": -1}),
            "attendance",
            "âm",
        ),
        (
            "/units/03583/activities",
            json!({"kind": "session", "held_on": "12/03/2025", "title": "A", "subtype": "hop_dan", "attendance": 1_000_001}),
            "attendance",
            "1.000.000",
        ),
        (
            "/units/03583/activities",
            json!({"kind": "session", "held_on": "12/03/2099", "title": "A", "subtype": "hop_dan", "attendance": 5}),
            "held_on",
            "hôm nay",
        ),
        (
            "/units/03583/activities",
            json!({"kind": "mediation", "held_on": "12/03/2025", "subtype": "maybe"}),
            "subtype",
            "Kết quả",
        ),
        (
            "/units/03583/festival-days",
            json!({"held_on": "2026-09-02"}),
            "outside_reason",
            "01/07",
        ),
        (
            "/units/03583/festival-days",
            json!({"held_on": "2023-07-20", "legacy_code": "03583"}),
            "held_on",
            "mỗi năm một Ngày hội",
        ),
        (
            "/awards",
            json!({"award_type": "ky_niem_chuong", "issuer_kind": "bo_cong_an", "recipient_kind": "person", "full_name": "Tao Văn Cá nhân 2 (dữ liệu minh họa)", "birth_year": 1962, "gender": "nam", "unit_code": "03583", "decision_number": "1/QĐ", "decided_on": "2025-01-02"}),
            "full_name",
            "một lần",
        ),
        (
            "/awards",
            json!({"award_type": "bang_khen", "issuer_kind": "bo_cong_an", "recipient_kind": "unit", "recipient_ref": "03583", "decision_number": "1/QĐ", "decided_on": "2099-01-02"}),
            "decided_on",
            "hôm nay",
        ),
        (
            "/awards",
            json!({"award_type": "giay_khen", "issuer_kind": "ubnd_huyen", "issuer_unit": "387", "recipient_kind": "unit", "recipient_ref": "03583", "decision_number": "1/QĐ", "decided_on": "2023-01-02"}),
            "issuer_unit",
            "ngoài địa bàn",
        ),
        (
            "/awards",
            json!({"award_type": "giay_khen", "issuer_kind": "giam_doc_cong_an_tinh", "issuer_unit": "14", "recipient_kind": "unit", "recipient_ref": "03583", "decision_number": "1/QĐ", "decided_on": "2025-09-02"}),
            "issuer_unit",
            "ngoài địa bàn",
        ),
        (
            "/awards",
            json!({"award_type": "bang_khen", "issuer_kind": "giam_doc_cong_an_tinh", "recipient_kind": "unit", "recipient_ref": "03583", "decision_number": "1/QĐ", "decided_on": "2025-09-02"}),
            "award_type",
            "Giấy khen",
        ),
    ];
    for (path, body, field, words) in cases {
        let res = app
            .api("POST", path, Some(&officer.token), Some(body.clone()))
            .await;
        assert!(
            res.status == 422 || res.status == 409,
            "{path} {body}: {} {}",
            res.status,
            res.text
        );
        let msg = res.json()["error"]["fields"][field]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(msg.contains(words), "{path} {body}: field {field}: {}", res.text);
    }
    assert_eq!(count().await, before);
}

#[tokio::test]
async fn badge_eligibility_says_why_and_how_many_years_are_missing() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let team: i64 = sqlx::query_scalar(
        "SELECT id FROM teams WHERE commune_code = '03583' AND kind = 'to_bao_ve_antt' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let members: Vec<i64> = sqlx::query_scalar("SELECT id FROM members WHERE team_id = $1 ORDER BY id")
        .bind(team)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    let first = app
        .get(
            &format!("/members/{}/badge-eligibility", members[0]),
            &officer.token,
        )
        .await
        .json();
    assert_eq!(first["eligible"], true, "{first}");
    let third = app
        .get(
            &format!("/members/{}/badge-eligibility", members[2]),
            &officer.token,
        )
        .await
        .json();
    assert_eq!(third["eligible"], false, "{third}");
    let reasons = third["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(reasons.contains("còn thiếu"), "{reasons}");
    // Earlier service in a border area counts double and closes the gap.
    let res = app
        .api(
            "POST",
            &format!("/members/{}/service-records", members[2]),
            Some(&officer.token),
            Some(json!({"kind": "bao_ve_dan_pho", "started_on": "2010-01-01", "ended_on": "2017-12-31", "difficult": true})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let again = app
        .get(
            &format!("/members/{}/badge-eligibility", members[2]),
            &officer.token,
        )
        .await
        .json();
    assert_eq!(again["eligible"], true, "{again}");
    // Outside the scope, nothing is said.
    let other = app.user("doanket", "officer", "03388").await;
    assert_eq!(
        app.get(
            &format!("/members/{}/badge-eligibility", members[0]),
            &other.token
        )
        .await
        .status,
        404
    );
}

#[tokio::test]
async fn activity_export_imports_back_unchanged_and_a_bad_row_refuses_the_file() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    // A province's campaign that covered the commune is in the commune's
    // export, and comes back from its import unchanged.
    let province = app.user("laichau", "reviewer", "12").await;
    let campaign = app
        .api(
            "POST",
            "/units/12/activities",
            Some(&province.token),
            Some(json!({"kind": "campaign", "title": "Đợt cao điểm tấn công trấn áp tội phạm", "held_on": "2025-04-01", "ends_on": "2025-06-30", "unit_codes": ["03583"]})),
        )
        .await;
    assert_eq!(campaign.status, 201, "{}", campaign.text);
    let commune = app
        .get("/units/03583/summary?year=2025", &officer.token)
        .await
        .json();
    assert_eq!(figures(&commune)["campaigns"], 1);
    let csv = app
        .get(
            "/units/03583/activities/export?year=2025&format=csv",
            &officer.token,
        )
        .await;
    assert_eq!(csv.status, 200);
    // In the order recorded: by the id of the first column.
    let ids: Vec<i64> = csv
        .text
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().parse().unwrap())
        .collect();
    assert!(ids.len() > 2 && ids.is_sorted(), "{ids:?}");
    let audit_before = app.count("SELECT COUNT(*) FROM audit_log").await;
    let res = app
        .request(
            axum::http::Request::post("/api/v1/activities/import")
                .header("authorization", format!("Bearer {}", officer.token))
                .body(axum::body::Body::from(csv.bytes.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["created"], 0, "{}", res.text);
    assert_eq!(res.json()["updated"], 0, "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audit_before);
    let mut text = csv.text.clone();
    text.push_str(",session,03583,,,,01/02/2025,,,,,Chủ đề mới,hop_dan,,30,,,\n");
    text.push_str(",session,03583,,,,01/02/2025,,,,,Chủ đề hỏng,hop_dan,,-4,,,\n");
    let n = app.count("SELECT COUNT(*) FROM activities").await;
    let res = app
        .request(
            axum::http::Request::post("/api/v1/activities/import")
                .header("authorization", format!("Bearer {}", officer.token))
                .body(axum::body::Body::from(text))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(res.text.contains("Dòng"), "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM activities").await, n);
}

#[tokio::test]
async fn the_pages_show_the_records_and_a_form_post_counts_at_once() {
    use crate::support::PASSWORD;
    let app = demo_app().await;
    app.user("canbo", "officer", "03583").await;
    app.user("laichau", "reviewer", "12").await;
    let b = app.browser("canbo", PASSWORD).await;
    for (path, words) in [
        ("/units/03583/activities?year=2025", "Buổi tuyên truyền"),
        (
            "/units/03583/activities?kind=mediation&year=2025",
            "Hòa giải không thành",
        ),
        ("/units/03583/festival-days?year=2023", "Ngày hội"),
        (
            "/units/03583/programmes",
            "Giao ước thi đua bảo vệ an ninh Tổ quốc giữa các bản",
        ),
        (
            "/units/03583/awards?year=2023",
            "UBND huyện Phong Thổ tặng Giấy khen cho 6 tập thể, 12 cá nhân",
        ),
    ] {
        let res = app.page(&b, path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        assert!(res.text.contains(words), "{path} lacks {words}");
    }
    for path in [
        "/units/03583/activities/export?year=2025&format=xlsx",
        "/units/03583/festival-days/export?year=2023&format=xlsx",
        "/units/03583/awards/export?year=2023&format=xlsx",
        "/units/12/programmes/export?format=xlsx",
        "/units/03583/covenants/export?format=csv",
    ] {
        let res = app.page(&b, path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
        assert!(
            res.headers["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment"),
            "{path}"
        );
    }
    let csv = app.page(&b, "/units/03583/covenants/export?format=csv").await;
    assert!(
        csv.text
            .contains("Giao ước thi đua bảo vệ an ninh Tổ quốc giữa các bản")
    );
    let day: i64 = sqlx::query_scalar("SELECT id FROM festival_days WHERE unit_code = '03583'")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    let page = app.page(&b, &format!("/festival-days/{day}")).await;
    assert!(
        page.text.contains(
            "Bộ Công an tặng Bằng khen cho 1 tập thể, 1 cá nhân, tặng Kỷ niệm chương cho 5 cá nhân"
        )
    );

    let figure = |text: &str, id: &str| -> i64 {
        let marker = format!("id=\"{id}\">");
        let start = text.find(&marker).unwrap() + marker.len();
        text[start..]
            .split('<')
            .next()
            .unwrap()
            .replace('.', "")
            .parse()
            .unwrap()
    };
    let r = app.page(&b, "/units/03583/activities?year=2025").await;
    let before = figure(&r.text, "sum-attendance");
    let res = app
        .post_form(
            &b,
            "/units/03583/activities",
            &[
                ("kind", "session"),
                ("held_on", "02/09/2025"),
                ("title", "Phòng chống lừa đảo"),
                ("subtype", "hop_dan"),
                ("attendance", "1.200"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    let r = app.page(&b, "/units/03583/activities?year=2025").await;
    assert_eq!(figure(&r.text, "sum-attendance"), before + 1200);
    // A bad value re-shows the form with the field's message.
    let res = app
        .post_form(
            &b,
            "/units/03583/activities",
            &[
                ("kind", "session"),
                ("held_on", "02/09/2025"),
                ("title", "X"),
                ("subtype", "hop_dan"),
                ("attendance", "-5"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.text.contains("Số lượt người tham gia: không được là số âm."));
    // The province reviewer sees the commune's session in the province's total.
    let p = app.browser("laichau", PASSWORD).await;
    let r = app.page(&p, "/units/12/activities?year=2025").await;
    assert!(r.text.contains("Phòng chống lừa đảo"));
    // The badge page gives the reason.
    let member: i64 = sqlx::query_scalar(
        "SELECT m.id FROM members m JOIN teams t ON t.id = m.team_id WHERE t.commune_code = '03583' AND t.kind = 'to_bao_ve_antt' ORDER BY m.id LIMIT 1 OFFSET 2",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let r = app.page(&b, &format!("/members/{member}/badge")).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains("Chưa đủ điều kiện") && r.text.contains("còn thiếu"),
        "{}",
        r.text
    );
}

/// Targets of one case: records of the commune, named so that a leak of the
/// outside commune's would show.
struct Targets {
    activity: i64,
    festival_day: i64,
    programme: i64,
    award: i64,
    member: i64,
    villages: Vec<i64>,
}

async fn targets(app: &TestApp, commune: &str, n: usize, secret: &str) -> Targets {
    use antq::activities::festival::{self, FestivalDraft};
    use antq::activities::programmes::{self, ProgrammeDraft};
    use antq::activities::{self, ActivityDraft};
    use antq::auth::Actor;
    use antq::awards::{self, AwardDraft};
    use antq::registry::teams::{self, MemberDraft, TeamDraft};
    use antq::units::villages::{self, VillageDraft};
    let system = Actor::system();
    let mut vs = Vec::new();
    for k in 0..2 {
        let v = villages::create(
            &app.db,
            &system,
            commune,
            &VillageDraft {
                name: Some(format!("{secret} {n} {k}")),
                kind: Some("Bản".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        vs.push(v.id);
    }
    let activity = activities::create(
        &app.db,
        &system,
        commune,
        &ActivityDraft {
            kind: Some("session".into()),
            held_on: Some("2025-03-01".into()),
            title: Some(format!("{secret} {n}")),
            subtype: Some("hop_dan".into()),
            attendance: Some(json!(10)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let festival_day = festival::create(
        &app.db,
        &system,
        commune,
        &FestivalDraft {
            village_id: Some(json!(vs[0])),
            held_on: Some("2025-08-01".into()),
            guests: Some(secret.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let programme = programmes::create(
        &app.db,
        &system,
        commune,
        &ProgrammeDraft {
            number: Some(format!("{n}")),
            title: Some(format!("{secret} {n}")),
            parties: Some(json!(["Công an xã", "Ủy ban MTTQ xã"])),
            from_year: Some(json!(2024)),
            to_year: Some(json!(2029)),
            signed_on: Some("2024-03-01".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let award = awards::create(
        &app.db,
        &system,
        &AwardDraft {
            award_type: Some("giay_khen".into()),
            issuer_kind: Some("ubnd_xa".into()),
            recipient_kind: Some("village".into()),
            recipient_ref: Some(json!(vs[0])),
            decision_number: Some(format!("{n}/QĐ-UBND")),
            decided_on: Some("2025-08-19".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let team = teams::create_team(
        &app.db,
        &system,
        commune,
        &TeamDraft {
            kind: Some(teams::SECURITY_TEAM.into()),
            name: Some(format!("Tổ {secret} {n}")),
            established_on: Some("2024-07-01".into()),
            village_ids: Some(vec![vs[0]]),
            note: None,
        },
    )
    .await
    .unwrap();
    let member = teams::add_member(
        &app.db,
        &system,
        team.id,
        &MemberDraft {
            role: Some("to_vien".into()),
            full_name: Some(format!("{secret} Người {n}")),
            birth_year: Some(json!(1980)),
            gender: Some("nam".into()),
            joined_on: Some("2024-07-01".into()),
            phone: None,
            citizen_id: None,
        },
    )
    .await
    .unwrap();
    Targets {
        activity: activity.id,
        festival_day: festival_day.id,
        programme: programme.id,
        award: award.id,
        member: member.id,
        villages: vs,
    }
}

#[tokio::test]
async fn every_activity_and_award_route_for_every_role_inside_and_outside_scope() {
    use crate::support::PASSWORD;
    const SECRET: &str = "Bản Bí Mật";
    let app = TestApp::new().await;
    let roles = ["viewer", "officer", "reviewer", "admin"];
    let mut users = Vec::new();
    for r in roles {
        users.push(app.user(&format!("u{r}"), r, "03583").await);
    }
    let read = |_: usize, inside: bool| if inside { 200 } else { 404 };
    let create = |r: usize, inside: bool| match (r, inside) {
        (0, _) | (_, false) => 403,
        _ => 201,
    };
    let edit = |r: usize, inside: bool, ok: u16| match (r, inside) {
        (_, false) => 404,
        (0, _) => 403,
        _ => ok,
    };
    let mut checked = 0;
    let mut n = 0;
    for (ri, user) in users.iter().enumerate() {
        for inside in [true, false] {
            n += 1;
            let code = if inside { "03583" } else { "03388" };
            let secret = if inside { "Bản Trong" } else { SECRET };
            let t = targets(&app, code, n, secret).await;
            let import_row = format!(
                "ma_hoat_dong,loai,ma_don_vi,ngay,noi_dung,phan_loai,so_luot_nguoi\n,session,{code},01/04/2025,Nhập {n},hop_dan,12\n"
            );
            let cases: Vec<(&str, String, Option<Value>, u16)> = vec![
                (
                    "GET",
                    format!("/units/{code}/activities?year=2025"),
                    None,
                    read(ri, inside),
                ),
                (
                    "GET",
                    format!("/units/{code}/activities/export?year=2025"),
                    None,
                    read(ri, inside),
                ),
                (
                    "POST",
                    format!("/units/{code}/activities"),
                    Some(
                        json!({"kind": "session", "held_on": "2025-05-01", "title": "Mới", "subtype": "hop_dan", "attendance": 3}),
                    ),
                    create(ri, inside),
                ),
                (
                    "GET",
                    format!("/activities/{}", t.activity),
                    None,
                    read(ri, inside),
                ),
                (
                    "PATCH",
                    format!("/activities/{}", t.activity),
                    Some(json!({"attendance": 11})),
                    edit(ri, inside, 200),
                ),
                (
                    "POST",
                    format!("/activities/{}/cancel", t.activity),
                    Some(json!({"reason": "nhầm"})),
                    edit(ri, inside, 200),
                ),
                (
                    "GET",
                    format!("/units/{code}/festival-days?year=2025"),
                    None,
                    read(ri, inside),
                ),
                (
                    "GET",
                    format!("/units/{code}/festival-days/export?year=2025"),
                    None,
                    read(ri, inside),
                ),
                (
                    "POST",
                    format!("/units/{code}/festival-days"),
                    Some(json!({"held_on": "2025-08-02", "village_id": t.villages[1]})),
                    create(ri, inside),
                ),
                (
                    "GET",
                    format!("/festival-days/{}", t.festival_day),
                    None,
                    read(ri, inside),
                ),
                (
                    "PATCH",
                    format!("/festival-days/{}", t.festival_day),
                    Some(json!({"attendance": 500})),
                    edit(ri, inside, 200),
                ),
                ("GET", format!("/units/{code}/programmes"), None, read(ri, inside)),
                (
                    "POST",
                    format!("/units/{code}/programmes"),
                    Some(
                        json!({"number": "01", "title": "Mới", "parties": "A\nB", "from_year": 2024, "to_year": 2030, "signed_on": "2024-01-02"}),
                    ),
                    create(ri, inside),
                ),
                (
                    "GET",
                    format!("/programmes/{}", t.programme),
                    None,
                    read(ri, inside),
                ),
                (
                    "POST",
                    format!("/programmes/{}/reviews", t.programme),
                    Some(json!({"held_on": "2025-01-05", "kind": "so_ket", "title": "Sơ kết"})),
                    edit(ri, inside, 201),
                ),
                ("GET", format!("/units/{code}/covenants"), None, read(ri, inside)),
                (
                    "POST",
                    format!("/units/{code}/covenants"),
                    Some(json!({"signed_on": "2025-08-01", "title": "Giao ước", "village_ids": t.villages})),
                    create(ri, inside),
                ),
                (
                    "GET",
                    format!("/units/{code}/awards?year=2025"),
                    None,
                    read(ri, inside),
                ),
                (
                    "GET",
                    format!("/units/{code}/awards/export?year=2025"),
                    None,
                    read(ri, inside),
                ),
                ("GET", format!("/awards/{}", t.award), None, read(ri, inside)),
                (
                    "POST",
                    "/awards".into(),
                    Some(
                        json!({"award_type": "giay_khen", "issuer_kind": "ubnd_xa", "recipient_kind": "village", "recipient_ref": t.villages[1], "decision_number": "9/QĐ", "decided_on": "2025-08-19"}),
                    ),
                    match (ri, inside) {
                        (0, _) => 403,
                        (_, true) => 201,
                        // An id outside the scope reads as one that does not exist.
                        _ => 422,
                    },
                ),
                (
                    "GET",
                    format!("/members/{}/badge-eligibility", t.member),
                    None,
                    read(ri, inside),
                ),
                (
                    "POST",
                    format!("/members/{}/service-records", t.member),
                    Some(
                        json!({"kind": "bao_ve_dan_pho", "started_on": "2015-01-01", "ended_on": "2020-01-01"}),
                    ),
                    edit(ri, inside, 201),
                ),
            ];
            for (method, path, body, want) in cases {
                let res = app.api(method, &path, Some(&user.token), body).await;
                assert_eq!(
                    res.status.as_u16(),
                    want,
                    "{} {method} {path}: {}",
                    roles[ri],
                    res.text
                );
                assert!(
                    !res.text.contains(SECRET),
                    "{} {method} {path} leaked: {}",
                    roles[ri],
                    res.text
                );
                checked += 1;
            }
            let res = app
                .request(
                    axum::http::Request::post("/api/v1/activities/import")
                        .header("authorization", format!("Bearer {}", user.token))
                        .body(axum::body::Body::from(import_row))
                        .unwrap(),
                )
                .await;
            let want = match (ri, inside) {
                (0, _) => 403,
                (_, true) => 200,
                _ => 422,
            };
            assert_eq!(res.status.as_u16(), want, "{} import: {}", roles[ri], res.text);
            assert!(!res.text.contains(SECRET));
            checked += 1;
        }
    }
    assert_eq!(checked, 4 * 2 * 24);
    let outside_writes = app
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE scope_path LIKE '/VN/12/03388/%' AND actor_name LIKE 'u%'",
        )
        .await;
    assert_eq!(outside_writes, 0);

    // The pages of the same records.
    let mut n = 100;
    for (ri, r) in roles.iter().enumerate() {
        let b = app.browser(&format!("u{r}"), PASSWORD).await;
        for inside in [true, false] {
            n += 1;
            let code = if inside { "03583" } else { "03388" };
            let t = targets(&app, code, n - 90, if inside { "Bản Trong" } else { SECRET }).await;
            for path in [
                format!("/units/{code}/activities"),
                format!("/activities/{}", t.activity),
                format!("/units/{code}/festival-days"),
                format!("/festival-days/{}", t.festival_day),
                format!("/units/{code}/programmes"),
                format!("/programmes/{}", t.programme),
                format!("/units/{code}/awards?year=2025"),
                format!("/awards/{}", t.award),
                format!("/members/{}/badge", t.member),
            ] {
                let res = app.page(&b, &path).await;
                assert_eq!(res.status.as_u16(), read(ri, inside), "{r} GET {path}");
                assert!(!res.text.contains(SECRET), "{r} GET {path} leaked");
            }
            let res = app
                .post_form(
                    &b,
                    &format!("/units/{code}/activities"),
                    &[
                        ("kind", "session"),
                        ("held_on", "01/06/2025"),
                        ("title", "Web"),
                        ("subtype", "hop_dan"),
                        ("attendance", "4"),
                    ],
                )
                .await;
            let want = if ri == 0 || !inside { 403 } else { 303 };
            assert_eq!(res.status.as_u16(), want, "{r} POST activities");
        }
    }
}

#[tokio::test]
async fn festival_days_export_and_import_back() {
    let app = demo_app().await;
    let reviewer = app.user("thanhhoa", "reviewer", "38").await;
    let csv = app
        .get(
            "/units/38/festival-days/export?year=2023&format=csv",
            &reviewer.token,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.text.contains("Thị trấn Sơn Lư") || csv.text.contains("15016"),
        "{}",
        csv.text
    );
    let post = |body: String| {
        axum::http::Request::post("/api/v1/festival-days/import")
            .header("authorization", format!("Bearer {}", reviewer.token))
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let res = app.request(post(csv.text.clone())).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["unchanged"], 1, "{}", res.text);
    // A second festival day for Xã Quan Sơn in 2023 refuses the whole file.
    let header = csv.text.lines().next().unwrap();
    let text =
        format!("{header}\n,15016,,,15016,2023,01/08/2023,,,,,,,,,\n,15016,,,,2026,20/09/2026,,,,,,,,,\n");
    let before = app.count("SELECT COUNT(*) FROM festival_days").await;
    let res = app.request(post(text)).await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(
        res.text.contains("Dòng 2") && res.text.contains("mỗi năm một Ngày hội"),
        "{}",
        res.text
    );
    assert!(
        res.text.contains("Dòng 3") && res.text.contains("01/07"),
        "{}",
        res.text
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM festival_days").await, before);
}

#[tokio::test]
async fn awards_before_the_reform_name_the_old_units() {
    let app = demo_app().await;
    let nation = app.user("bocongan", "reviewer", "VN").await;
    // Sơn Lư's 2023 awards went to the town as it was.
    let th = app.get("/units/38/awards?year=2023", &nation.token).await.json();
    let names: Vec<&str> = th["awards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Thị trấn Sơn Lư"), "{names:?}");
    assert!(!names.contains(&"Xã Quan Sơn"), "{names:?}");
    // Lào Cai's 2021 conference: the chairman of the old Tỉnh Lào Cai.
    let lc = app.get("/units/15/awards?year=2021", &nation.token).await.json();
    let sentences = lc["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect::<Vec<_>>();
    assert!(
        sentences.contains(&"Chủ tịch UBND tỉnh Lào Cai tặng Cờ thi đua cho 5 tập thể, tặng Bằng khen cho 15 tập thể, 25 cá nhân"),
        "{sentences:?}"
    );
    assert!(
        sentences.contains(&"Giám đốc Công an tỉnh Lào Cai tặng Giấy khen cho 17 tập thể, 56 cá nhân"),
        "{sentences:?}"
    );
    // Yên Bái's chairman (the old province 15) did not cover Phường Lào Cai.
    let reviewer = app.user("laocai", "reviewer", "15").await;
    let bad = app
        .api(
            "POST",
            "/awards",
            Some(&reviewer.token),
            Some(json!({"award_type": "bang_khen", "issuer_kind": "chu_tich_ubnd_tinh", "issuer_unit": "15", "recipient_kind": "unit", "recipient_ref": "02647", "decision_number": "1/QĐ", "decided_on": "2021-01-21"})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(
        bad.text.contains("ngoài địa bàn") || bad.text.contains("legacy_code"),
        "{}",
        bad.text
    );
}

#[tokio::test]
async fn the_badge_stays_once_per_person_after_corrections_and_cancellations() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let member: i64 = sqlx::query_scalar(
        "SELECT m.id FROM members m JOIN teams t ON t.id = m.team_id WHERE t.commune_code = '03583' AND t.kind = 'to_bao_ve_antt' ORDER BY m.id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let badge = json!({"award_type": "ky_niem_chuong", "issuer_kind": "bo_cong_an", "recipient_kind": "person", "member_id": member, "decision_number": "12/QĐ-BCA", "decided_on": "2025-08-19"});
    let first = app
        .api("POST", "/awards", Some(&officer.token), Some(badge.clone()))
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    // The member's details are corrected; the person is the same.
    let fix = app
        .api(
            "PATCH",
            &format!("/members/{member}"),
            Some(&officer.token),
            Some(json!({"birth_year": 1971})),
        )
        .await;
    assert_eq!(fix.status, 200, "{}", fix.text);
    let again = app
        .api("POST", "/awards", Some(&officer.token), Some(badge.clone()))
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert!(again.text.contains("12/QĐ-BCA"), "{}", again.text);
    // A badge recorded by mistake is cancelled; then it may be recorded.
    let id = first.json()["id"].as_i64().unwrap();
    let c = app
        .api(
            "POST",
            &format!("/awards/{id}/cancel"),
            Some(&officer.token),
            Some(json!({"reason": "Ghi nhầm người"})),
        )
        .await;
    assert_eq!(c.status, 200, "{}", c.text);
    let third = app
        .api("POST", "/awards", Some(&officer.token), Some(badge))
        .await;
    assert_eq!(third.status, 201, "{}", third.text);
}

#[tokio::test]
async fn review_findings_stay_fixed() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let nation = app.user("bocongan", "reviewer", "VN").await;
    let province = app.user("laichau", "reviewer", "12").await;
    let post = |token: &str, path: &str, body: Value| {
        let (token, path) = (token.to_string(), path.to_string());
        let app = &app;
        async move { app.api("POST", &path, Some(&token), Some(body)).await }
    };
    // A province's campaign opens, read-only, for a commune it covered.
    let c = post(
        &province.token,
        "/units/12/activities",
        json!({"kind": "campaign", "title": "Đợt cao điểm", "held_on": "2025-04-01", "unit_codes": ["03583"]}),
    )
    .await;
    let id = c.json()["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/activities/{id}"), &officer.token).await.status,
        200
    );
    let patch = app
        .api(
            "PATCH",
            &format!("/activities/{id}"),
            Some(&officer.token),
            Some(json!({"title": "Đổi"})),
        )
        .await;
    assert_eq!(patch.status, 404, "{}", patch.text);
    // Showcase sites of the ministry are the ministry's to choose.
    let f = post(
        &officer.token,
        "/units/03583/festival-days",
        json!({"held_on": "2025-08-19", "showcase_level": "bo_cong_an"}),
    )
    .await;
    assert_eq!(f.status, 422, "{}", f.text);
    assert!(
        f.json()["error"]["fields"]["showcase_level"]
            .as_str()
            .unwrap()
            .contains("Bộ Công an")
    );
    let f = post(
        &nation.token,
        "/units/03583/festival-days",
        json!({"held_on": "2025-08-19", "showcase_level": "bo_cong_an", "guests": "Dòng 1\nDòng 2"}),
    )
    .await;
    assert_eq!(f.status, 201, "{}", f.text);
    assert_eq!(f.json()["guests"], "Dòng 1\nDòng 2", "line breaks are kept");
    // One drug-free decision per commune and year, on update too.
    let d23 = post(
        &officer.token,
        "/units/03583/activities",
        json!({"kind": "drug_free", "year": 2023, "held_on": "2023-12-01", "decision_ref": "1/QĐ"}),
    )
    .await;
    assert_eq!(d23.status, 201, "{}", d23.text);
    let d24: i64 = sqlx::query_scalar(
        "SELECT id FROM activities WHERE kind = 'drug_free' AND unit_code = '03583' AND year = 2024",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let clash = app
        .api(
            "PATCH",
            &format!("/activities/{d24}"),
            Some(&officer.token),
            Some(json!({"year": 2023})),
        )
        .await;
    assert_eq!(clash.status, 409, "{}", clash.text);
    // A cancelled record is not edited.
    let id23 = d23.json()["id"].as_i64().unwrap();
    post(
        &officer.token,
        &format!("/activities/{id23}/cancel"),
        json!({"reason": "nhầm"}),
    )
    .await;
    let edit = app
        .api(
            "PATCH",
            &format!("/activities/{id23}"),
            Some(&officer.token),
            Some(json!({"note": "x"})),
        )
        .await;
    assert_eq!(edit.status, 409, "{}", edit.text);
    // A NUL never reaches the database.
    let nul = post(&officer.token, "/units/03583/activities", json!({"kind": "session", "held_on": "2025-03-01", "title": "a\u{0}b", "subtype": "hop_dan", "attendance": 1})).await;
    assert_eq!(nul.status, 400, "{}", nul.text);
    // The village's key-area flag follows its decisions, also when the last is cancelled.
    let village: i64 =
        sqlx::query_scalar("SELECT id FROM villages WHERE commune_code = '03583' ORDER BY id LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let k = post(&officer.token, "/units/03583/activities", json!({"kind": "key_area", "village_id": village, "subtype": "dua_vao", "held_on": "2025-02-01", "decision_ref": "5/QĐ"})).await;
    assert_eq!(k.status, 201, "{}", k.text);
    let flag_sql = format!("SELECT key_area FROM villages WHERE id = {village}");
    let flag = || app.count(&flag_sql);
    assert_eq!(flag().await, 1);
    post(
        &officer.token,
        &format!("/activities/{}/cancel", k.json()["id"]),
        json!({"reason": "nhầm"}),
    )
    .await;
    assert_eq!(flag().await, 0);
    // A team is not commended before it existed.
    let team: i64 = sqlx::query_scalar(
        "SELECT id FROM teams WHERE commune_code = '03583' AND kind = 'to_bao_ve_antt' ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let early = post(&officer.token, "/awards", json!({"award_type": "giay_khen", "issuer_kind": "ubnd_xa", "recipient_kind": "team", "recipient_ref": team, "decision_number": "2/QĐ", "decided_on": "2024-01-10"})).await;
    assert_eq!(early.status, 422, "{}", early.text);
    assert!(early.text.contains("thành lập"), "{}", early.text);
    // A namesake elsewhere lends no years; a member of another kind of team
    // is not judged as a security-team member.
    let ngoc_chien: i64 =
        sqlx::query_scalar("SELECT id FROM villages WHERE commune_code = '03820' ORDER BY id LIMIT 1")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let mediation_team = post(&nation.token, "/units/03820/teams", json!({"kind": "to_hoa_giai", "name": "Tổ hòa giải thử", "established_on": "2015-01-01", "village_ids": [ngoc_chien]})).await;
    assert_eq!(mediation_team.status, 201, "{}", mediation_team.text);
    let m = sqlx::query_scalar::<_, i64>(
        "SELECT id FROM members WHERE team_id = $1 ORDER BY id LIMIT 1 OFFSET 2",
    )
    .bind(team)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let (name, born, gender): (String, i64, String) = {
        use sqlx::Row;
        let r = sqlx::query("SELECT full_name, birth_year, gender FROM members WHERE id = $1")
            .bind(m)
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
        (r.get("full_name"), r.get("birth_year"), r.get("gender"))
    };
    let twin = post(
        &nation.token,
        &format!("/teams/{}/members", mediation_team.json()["id"]),
        json!({"role": "to_vien", "full_name": name, "birth_year": born, "gender": gender, "joined_on": "2015-01-01"}),
    )
    .await;
    assert_eq!(twin.status, 201, "{}", twin.text);
    let s = post(
        &nation.token,
        &format!("/members/{}/service-records", twin.json()["id"]),
        json!({"kind": "cong_an_xa_ban_chuyen_trach", "started_on": "2000-01-01", "ended_on": "2016-06-30"}),
    )
    .await;
    assert_eq!(s.status, 201, "{}", s.text);
    let mine = app
        .get(&format!("/members/{m}/badge-eligibility"), &officer.token)
        .await
        .json();
    assert_eq!(mine["eligible"], false, "{mine}");
    assert!(
        mine["periods"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["from"] != "2000-01-01"),
        "{mine}"
    );
    let theirs = app
        .get(
            &format!("/members/{}/badge-eligibility", twin.json()["id"]),
            &nation.token,
        )
        .await
        .json();
    assert_eq!(theirs["eligible"], false, "{theirs}");
    assert!(
        theirs["reasons"]
            .to_string()
            .contains("Tổ bảo vệ an ninh, trật tự"),
        "{theirs}"
    );
}

#[tokio::test]
async fn second_review_findings_stay_fixed() {
    let app = demo_app().await;
    let nation = app.user("bocongan", "reviewer", "VN").await;
    let officer = app.user("canbo", "officer", "03820").await;
    // Phường Lào Cai was formed from several old communes: a 2023 award by
    // an old district must say which one the person belonged to.
    let base = json!({"award_type": "giay_khen", "issuer_kind": "ubnd_huyen", "issuer_unit": "086", "recipient_kind": "person",
        "full_name": "Người thử (dữ liệu minh họa)", "birth_year": 1980, "gender": "nam", "unit_code": "02647",
        "decision_number": "3/QĐ", "decided_on": "2023-08-10"});
    let ask = app
        .api("POST", "/awards", Some(&nation.token), Some(base.clone()))
        .await;
    assert_eq!(ask.status, 422, "{}", ask.text);
    assert!(
        ask.json()["error"]["fields"]["legacy_code"].is_string(),
        "{}",
        ask.text
    );
    let mut named = base.clone();
    named["legacy_code"] = json!("02911");
    let ok = app.api("POST", "/awards", Some(&nation.token), Some(named)).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.json()["recipient_legacy_code"], "02911");
    // One festival day a year from 2025, whether before or after 1 July.
    let first = app
        .api(
            "POST",
            "/units/03820/festival-days",
            Some(&officer.token),
            Some(json!({"held_on": "2025-06-28", "outside_reason": "Trùng lịch mùa vụ"})),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let second = app
        .api(
            "POST",
            "/units/03820/festival-days",
            Some(&officer.token),
            Some(json!({"held_on": "2025-08-19"})),
        )
        .await;
    assert_eq!(second.status, 409, "{}", second.text);
    // The ministry's showcase choice is not the commune's to take away.
    let day: i64 = sqlx::query_scalar(
        "SELECT id FROM festival_days WHERE unit_code = '03820' AND showcase_level = 'bo_cong_an'",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let clear = app
        .api(
            "PATCH",
            &format!("/festival-days/{day}"),
            Some(&officer.token),
            Some(json!({"showcase_level": ""})),
        )
        .await;
    assert_eq!(clear.status, 422, "{}", clear.text);
    // A type error in JSON names its field; NULs are refused everywhere.
    let typed = app
        .api(
            "POST",
            "/awards",
            Some(&nation.token),
            Some(json!({"decided_on": 5})),
        )
        .await;
    assert_eq!(typed.status, 400);
    assert!(typed.text.contains("decided_on"), "{}", typed.text);
    assert_eq!(
        app.get("/units/03820/awards?event_kind=%00&event_id=1", &officer.token)
            .await
            .status,
        400
    );
    assert_eq!(app.get("/units/%00/awards", &officer.token).await.status, 404);
    let csv = "ma_hoat_dong,loai,ma_don_vi,ngay,noi_dung,phan_loai,so_luot_nguoi\n,session,03820\u{0},01/04/2025,A,hop_dan,3\n";
    let res = app
        .request(
            axum::http::Request::post("/api/v1/activities/import")
                .header("authorization", format!("Bearer {}", officer.token))
                .body(axum::body::Body::from(csv))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    // A corrected citizen id that is another badge-holder's is refused, not a 500.
    let member: i64 = sqlx::query_scalar(
        "SELECT m.id FROM members m JOIN teams t ON t.id = m.team_id WHERE t.commune_code = '03820' ORDER BY m.id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let badge = |who: Value| {
        let mut b = json!({"award_type": "ky_niem_chuong", "issuer_kind": "bo_cong_an", "recipient_kind": "person",
            "decision_number": "7/QĐ-BCA", "decided_on": "2025-08-19", "unit_code": "03820"});
        b.as_object_mut()
            .unwrap()
            .extend(who.as_object().unwrap().clone());
        b
    };
    assert_eq!(
        app.api(
            "POST",
            "/awards",
            Some(&officer.token),
            Some(badge(json!({"member_id": member})))
        )
        .await
        .status,
        201
    );
    let other = app
        .api(
            "POST",
            "/awards",
            Some(&officer.token),
            Some(badge(
                json!({"full_name": "Người khác", "citizen_id": "012345678901"}),
            )),
        )
        .await;
    assert_eq!(other.status, 201, "{}", other.text);
    let fix = app
        .api(
            "PATCH",
            &format!("/members/{member}"),
            Some(&officer.token),
            Some(json!({"citizen_id": "012345678901"})),
        )
        .await;
    assert_eq!(fix.status, 409, "{}", fix.text);
}

/// An import's new rows are written in bulk (src/activities/bulk.rs): each
/// must come out as the same record, in the same pre-2025 place, as the
/// form writes, audited per unit with its ids — across the import's chunks of
/// 20.000 rows — and one bad row anywhere still writes nothing.
/// The first active village of a Lai Châu commune: (id, commune code).
async fn lai_chau_village(app: &TestApp) -> (i64, String) {
    sqlx::query_as(
        "SELECT v.id, v.commune_code FROM villages v JOIN units u ON u.era = 'current' AND u.code = v.commune_code \
         WHERE v.active = 1 AND u.path LIKE '/VN/12/%' ORDER BY v.id LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// A Lai Châu commune of today made of several old ones, and one of them:
/// (today's code, the old code).
async fn lai_chau_merged_commune(app: &TestApp) -> (String, String) {
    sqlx::query_as(
        "SELECT x.new_code, x.old_code FROM crosswalk_2025 x JOIN units u ON u.era = 'current' AND u.code = x.new_code \
         WHERE u.path LIKE '/VN/12/%' AND (SELECT COUNT(*) FROM crosswalk_2025 y WHERE y.new_code = x.new_code) > 1 \
         ORDER BY x.new_code, x.old_code DESC LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

/// Where [`import_as_the_form`] puts its drug-free decision, the one row
/// of a kind written row by row through sqlx.
#[derive(Clone, Copy, PartialEq)]
enum DrugFree {
    /// First: the import is one sqlx transaction from the start.
    First,
    /// After the first chunk: on SQLite the fast lane (pipelined.rs) has
    /// written that chunk when it meets the row, rolls it back and the
    /// import reads the file again.
    AfterTheFirstChunk,
    /// None: on SQLite the fast lane writes the whole file.
    Absent,
}

#[tokio::test]
async fn an_import_writes_in_bulk_what_the_form_writes_and_all_or_nothing() {
    import_as_the_form(DrugFree::First).await;
}

#[tokio::test]
async fn an_import_of_new_sessions_only_is_written_while_checked_as_the_form_writes() {
    import_as_the_form(DrugFree::Absent).await;
}

#[tokio::test]
async fn an_import_leaves_its_fast_lane_at_a_row_to_write_otherwise_and_writes_it_all() {
    import_as_the_form(DrugFree::AfterTheFirstChunk).await;
}

/// Imports sessions, a conference, a mediation case and maybe a drug-free
/// decision with thousands of sessions more; a bad row at the end refuses
/// the file, and without it each record reads as the form's.
async fn import_as_the_form(drug_free: DrugFree) {
    let (bulk, form) = (demo_app().await, demo_app().await);
    let (b_user, f_user) = (
        bulk.user("tinh", "officer", "12").await,
        form.user("tinh", "officer", "12").await,
    );
    let village = lai_chau_village(&bulk).await;
    let (vid, vcommune) = (village.0.to_string(), village.1);
    let multi = lai_chau_merged_commune(&bulk).await;
    // (unit, form's JSON, CSV cells after ma_don_vi: ten, thon, cu, ngay, …)
    let rows: Vec<(String, Value, String)> = vec![
        (
            vcommune.clone(),
            json!({"kind": "session", "village_id": vid, "held_on": "2023-05-04", "title": "Tuyên truyền \"phòng, chống\" ma túy", "subtype": "hop_dan", "attendance": 40}),
            format!(
                "session,{vcommune},,{vid},,04/05/2023,,,,,\"Tuyên truyền \"\"phòng, chống\"\" ma túy\",hop_dan,,40,,,"
            ),
        ),
        (
            multi.0.clone(),
            json!({"kind": "session", "legacy_code": multi.1, "held_on": "2024-03-02", "title": "Họp dân", "subtype": "truc_tiep", "attendance": 25, "note": "ghi chú"}),
            format!(
                "session,{},,,{},02/03/2024,,,,,Họp dân,truc_tiep,,25,,,ghi chú",
                multi.0, multi.1
            ),
        ),
        (
            "12".to_string(),
            json!({"kind": "conference", "held_on": "2025-09-10", "title": "Tổng kết phong trào", "subtype": "tong_ket", "level": "tinh", "period_from": 2013, "period_to": 2023}),
            "conference,12,,,,10/09/2025,,2013,2023,,Tổng kết phong trào,tong_ket,tinh,,,,".to_string(),
        ),
        (
            vcommune.clone(),
            json!({"kind": "mediation", "village_id": vid, "held_on": "2025-08-01", "title": "Tranh chấp đất", "subtype": "thanh"}),
            format!("mediation,{vcommune},,{vid},,01/08/2025,,,,,Tranh chấp đất,thanh,,,,,"),
        ),
    ];
    let decision = (
        multi.0.clone(),
        json!({"kind": "drug_free", "held_on": "2025-10-01", "year": 2025, "decision_ref": "12/QĐ-UBND"}),
        format!("drug_free,{},,,,01/10/2025,,,,2025,,,,,12/QĐ-UBND,,", multi.0),
    );
    let header = "ma_hoat_dong,loai,ma_don_vi,ten_don_vi,ma_thon,ma_don_vi_cu,ngay,ngay_ket_thuc,tu_nam,den_nam,nam,noi_dung,phan_loai,cap,so_luot_nguoi,so_quyet_dinh,don_vi_tham_gia,ghi_chu\n";
    let mut csv = header.to_string();
    // The unit's name column is informative: left empty.
    let push = |csv: &mut String, line: &str| {
        let mut cells = line.splitn(3, ',');
        let (kind, unit, rest) = (
            cells.next().unwrap(),
            cells.next().unwrap(),
            cells.next().unwrap(),
        );
        csv.push_str(&format!(",{kind},{unit},{rest}\n"));
    };
    if drug_free == DrugFree::First {
        push(&mut csv, &decision.2);
    }
    for (_, _, line) in &rows {
        push(&mut csv, line);
    }
    // More than a chunk of the import (20.000 rows).
    const FILLER: usize = 20_100;
    for i in 0..FILLER {
        csv.push_str(&format!(
            ",session,{vcommune},,{vid},,01/09/2025,,,,,Buổi {i},loa_truyen_thanh,,1,,,\n"
        ));
    }
    if drug_free == DrugFree::AfterTheFirstChunk {
        push(&mut csv, &decision.2);
    }
    let mut rows = rows;
    if drug_free != DrugFree::Absent {
        rows.push(decision);
    }
    let max_before = bulk.count("SELECT COALESCE(MAX(id), 0) FROM activities").await;
    let audit_before = bulk.count("SELECT COUNT(*) FROM audit_log").await;
    let logged_before = bulk
        .count("SELECT COALESCE(MAX(seq), 0) FROM figure_changes")
        .await;
    // SQLite's fast lane suspends two insert triggers inside its
    // transaction (db/bulk.rs, SuspendedTriggers): however the import
    // ends, both are there afterwards.
    let trigger_kept = |app: &TestApp| {
        let (pool, backend) = (app.db.pool.clone(), app.db.backend);
        async move {
            if backend == antq::db::Backend::Sqlite {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' \
                     AND name IN ('activities_figures_insert', 'activities_legacy_insert')",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                assert_eq!(n, 2, "an activities insert trigger is gone");
            }
        }
    };
    let sum_before = bulk
        .count("SELECT CAST(COALESCE(SUM(attendance), 0) AS BIGINT) FROM activities")
        .await;
    // One bad row after the first chunk was checked: nothing at all.
    let mut bad = csv.clone();
    bad.push_str(&format!(
        ",session,{vcommune},,{vid},,01/09/2025,,,,,Hỏng,hop_dan,,-1,,,\n"
    ));
    let res = bulk.upload("/activities/import", &b_user.token, bad).await;
    assert_eq!(res.status, 422, "{}", res.text);
    let bad_line = rows.len() + FILLER + 2;
    assert!(res.text.contains(&format!("Dòng {bad_line}")), "{}", res.text);
    assert!(res.text.contains("Số lượt người tham gia"), "{}", res.text);
    assert_eq!(
        bulk.count("SELECT COALESCE(MAX(id), 0) FROM activities").await,
        max_before
    );
    assert_eq!(bulk.count("SELECT COUNT(*) FROM audit_log").await, audit_before);
    assert_eq!(
        bulk.count("SELECT COALESCE(MAX(seq), 0) FROM figure_changes")
            .await,
        logged_before
    );
    trigger_kept(&bulk).await;

    let res = bulk.upload("/activities/import", &b_user.token, csv).await;
    assert_eq!(res.status, 200, "{}", res.text);
    trigger_kept(&bulk).await;
    // The new rows are in the log: each once, as a row or in a run.
    let logged: Vec<(i64, Option<i64>)> = sqlx::query_as(&format!(
        "SELECT row_id, row_to FROM figure_changes WHERE seq > {logged_before} AND tbl = 'activities' ORDER BY seq"
    ))
    .fetch_all(&bulk.db.pool)
    .await
    .unwrap();
    let mut named: Vec<i64> = logged
        .iter()
        .flat_map(|&(first, last)| first..=last.unwrap_or(first))
        .filter(|&id| id > max_before)
        .collect();
    named.sort_unstable();
    named.dedup();
    let added_ids: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM activities WHERE id > {max_before} ORDER BY id"
    ))
    .fetch_all(&bulk.db.pool)
    .await
    .unwrap();
    assert_eq!(named, added_ids);
    // Only the fast lane (SQLite, new sessions, conferences and mediation
    // cases alone) logs runs: one per chunk instead of 20.000 rows.
    let runs = logged.iter().filter(|(_, last)| last.is_some()).count();
    if drug_free == DrugFree::Absent && bulk.db.backend == antq::db::Backend::Sqlite {
        assert!((1..=5).contains(&runs), "{runs} runs");
    } else {
        assert_eq!(runs, 0);
    }
    assert_eq!(
        res.json()["created"],
        (rows.len() + FILLER) as i64,
        "{}",
        res.text
    );
    let added = rows.len() + FILLER;
    assert_eq!(
        bulk.count(&format!(
            "SELECT COUNT(*) FROM activities WHERE id > {max_before}"
        ))
        .await,
        added as i64
    );
    // Audited per unit (one entry each, naming the ids); the drug-free
    // decision, written row by row, as any record.
    assert_eq!(
        bulk.count("SELECT COUNT(*) FROM audit_log").await,
        audit_before + 3 + i64::from(drug_free != DrugFree::Absent)
    );
    let (label, scope, after): (String, String, String) = sqlx::query_as(
        "SELECT a.target_label, a.scope_path, a.after_json FROM audit_log a \
         JOIN units u ON u.era = 'current' AND u.path = a.scope_path WHERE a.action = 'activity.import' AND u.code = $1",
    )
    .bind(&vcommune)
    .fetch_one(&bulk.db.pool)
    .await
    .unwrap();
    let after: Value = serde_json::from_str(&after).unwrap();
    assert_eq!(after["created"], (FILLER + 2) as i64);
    assert!(label.starts_with("20.102 hoạt động mới – "), "{label}");
    let listed: Vec<i64> = after["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    let stored: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM activities WHERE id > {max_before} AND scope_path = $1 ORDER BY id"
    ))
    .bind(&scope)
    .fetch_all(&bulk.db.pool)
    .await
    .unwrap();
    assert_eq!(listed, stored);
    assert_eq!(
        bulk.count("SELECT CAST(COALESCE(SUM(attendance), 0) AS BIGINT) FROM activities")
            .await,
        sum_before + 40 + 25 + FILLER as i64
    );
    // The figures count the new rows at once, as a form's.
    let nation = bulk.user("bocongan", "viewer", "VN").await;
    let fig = bulk
        .get("/units/VN/dashboard?period=2025", &nation.token)
        .await
        .json();
    let sessions_2025 = bulk
        .count("SELECT COUNT(*) FROM activities WHERE kind = 'session' AND held_on >= '2025-01-01' AND held_on <= '2025-12-31' AND cancelled_at IS NULL")
        .await;
    let sessions = fig["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "so_buoi_tuyen_truyen")
        .unwrap()["value"]
        .clone();
    assert_eq!(sessions, sessions_2025, "{fig}");

    // Each reads as the form's record, in the same place.
    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("id");
        v
    };
    for (unit, draft, _) in &rows {
        let made = form
            .api(
                "POST",
                &format!("/units/{unit}/activities"),
                Some(&f_user.token),
                Some(draft.clone()),
            )
            .await;
        assert_eq!(made.status, 201, "{}", made.text);
        let made = made.json();
        let held = made["held_on"].as_str().unwrap().to_string();
        let id: i64 = sqlx::query_scalar(&format!(
            "SELECT id FROM activities WHERE id > {max_before} AND kind = $1 AND unit_code = $2 AND held_on = $3"
        ))
        .bind(made["kind"].as_str().unwrap())
        .bind(unit)
        .bind(&held)
        .fetch_one(&bulk.db.pool)
        .await
        .unwrap();
        let imported = bulk.get(&format!("/activities/{id}"), &b_user.token).await.json();
        assert_eq!(strip(imported.clone()), strip(made.clone()), "{unit} {held}");
        let place = |app: &TestApp, id: i64| {
            let pool = app.db.pool.clone();
            async move {
                sqlx::query_scalar::<_, Option<String>>("SELECT legacy_path FROM activities WHERE id = $1")
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap()
            }
        };
        assert_eq!(
            place(&bulk, id).await,
            place(&form, made["id"].as_i64().unwrap()).await
        );
    }
    // The pre-2025 place written by the import is the one the trigger
    // derives (NULL makes it derive it again).
    let before: Vec<(i64, Option<String>)> = sqlx::query_as(&format!(
        "SELECT id, legacy_path FROM activities WHERE id > {max_before} ORDER BY id"
    ))
    .fetch_all(&bulk.db.pool)
    .await
    .unwrap();
    assert!(before.iter().all(|(_, p)| p.is_some()));
    sqlx::query(&format!(
        "UPDATE activities SET legacy_path = NULL WHERE id > {max_before}"
    ))
    .execute(&bulk.db.pool)
    .await
    .unwrap();
    let derived: Vec<(i64, Option<String>)> = sqlx::query_as(&format!(
        "SELECT id, legacy_path FROM activities WHERE id > {max_before} ORDER BY id"
    ))
    .fetch_all(&bulk.db.pool)
    .await
    .unwrap();
    assert_eq!(before, derived);
}

#[tokio::test]
async fn a_long_list_comes_a_page_at_a_time_without_repeats_or_gaps() {
    use crate::support::PASSWORD;
    let app = demo_app().await;
    let officer = app.user("tinh", "officer", "12").await;
    let commune: String = sqlx::query_scalar(
        "SELECT code FROM units WHERE era = 'current' AND level = 'commune' AND path LIKE '/VN/12/%' \
         ORDER BY code LIMIT 1",
    )
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    // 250 sessions on 50 days, five a day: ties on the date are ordered by id.
    let mut csv = "ma_hoat_dong,loai,ma_don_vi,ten_don_vi,ma_thon,ma_don_vi_cu,ngay,ngay_ket_thuc,tu_nam,\
                   den_nam,nam,noi_dung,phan_loai,cap,so_luot_nguoi,so_quyet_dinh,don_vi_tham_gia,ghi_chu\n"
        .to_string();
    for i in 0..250 {
        let day = i % 50;
        csv.push_str(&format!(
            ",session,{commune},,,,{:02}/{:02}/2025,,,,,Buổi {i},hop_dan,,10,,,\n",
            1 + day % 28,
            1 + day / 28
        ));
    }
    let res = app.upload("/activities/import", &officer.token, csv).await;
    assert_eq!(res.status, 200, "{}", res.text);
    let expected: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT id FROM activities WHERE kind = 'session' AND cancelled_at IS NULL AND held_on >= '2025-01-01' \
         AND held_on <= '2025-12-31' AND scope_path LIKE (SELECT path || '%' FROM units WHERE era = 'current' \
         AND code = '{commune}') ORDER BY held_on DESC, id DESC"
    ))
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert!(expected.len() >= 250, "{}", expected.len());

    let base = format!("/units/{commune}/activities?kind=session&year=2025&limit=100");
    let (mut seen, mut after, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let res = app.get(&format!("{base}{after}"), &officer.token).await;
        assert_eq!(res.status, 200, "{}", res.text);
        let page = res.json();
        // The session recorded after the first page counts from then on.
        let total = expected.len() + usize::from(pages > 0);
        assert_eq!(page["total"], total as i64, "{page}");
        let rows = page["activities"].as_array().unwrap();
        assert!(rows.len() <= 100);
        seen.extend(rows.iter().map(|a| a["id"].as_i64().unwrap()));
        pages += 1;
        if pages == 1 {
            // A session recorded meanwhile, newer than every row: the next
            // page goes on where this one ended.
            let res = app
                .api(
                    "POST",
                    &format!("/units/{commune}/activities"),
                    Some(&officer.token),
                    Some(json!({"kind": "session", "held_on": "2025-12-30", "title": "Mới", "subtype": "hop_dan", "attendance": 5})),
                )
                .await;
            assert_eq!(res.status, 201, "{}", res.text);
        }
        match page["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    assert_eq!(pages, expected.len().div_ceil(100));
    assert_eq!(seen, expected);

    // Without a limit, a page holds 100 rows.
    let first = app
        .get(
            &format!("/units/{commune}/activities?kind=session&year=2025"),
            &officer.token,
        )
        .await
        .json();
    assert_eq!(first["activities"].as_array().unwrap().len(), 100);
    assert_eq!(first["total"], expected.len() as i64 + 1);

    // Bad paging is refused by field, in Vietnamese.
    for (query, field, words) in [
        ("limit=0", "limit", "Số dòng một trang"),
        ("limit=1001", "limit", "từ 1 đến 1.000"),
        ("after=hôm-qua", "after", "Trang tiếp"),
        ("after=2025-13.x", "after", "Trang tiếp"),
        ("after=2025-08-19.-4", "after", "Trang tiếp"),
    ] {
        let res = app
            .get(
                &format!("/units/{commune}/activities?year=2025&{query}"),
                &officer.token,
            )
            .await;
        assert_eq!(res.status, 422, "{query}: {}", res.text);
        assert!(
            res.text.contains(field) && res.text.contains(words),
            "{query}: {}",
            res.text
        );
    }

    // A commune's officer elsewhere pages through nothing of it.
    let other: String = sqlx::query_scalar(&format!(
        "SELECT code FROM units WHERE era = 'current' AND level = 'commune' AND path LIKE '/VN/12/%' \
         AND code <> '{commune}' ORDER BY code LIMIT 1"
    ))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    let outsider = app.user("xakhac", "officer", &other).await;
    let res = app.get(&base, &outsider.token).await;
    assert_eq!(res.status, 404, "{}", res.text);

    // The page: the count of all rows, a page of them and the way on.
    app.user("tinhweb", "officer", "12").await;
    let b = app.browser("tinhweb", PASSWORD).await;
    let res = app
        .page(&b, &format!("/units/{commune}/activities?kind=session&year=2025"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let total = antq::text::format_int(expected.len() as i64 + 1);
    assert!(res.text.contains(&format!("({total})")), "{}", res.text);
    assert!(
        res.text.contains(&format!("Đang xem 100 trong {total} bản ghi")),
        "{}",
        res.text
    );
    assert_eq!(res.text.matches("<tr><td><a href=\"/activities/").count(), 100);
    let next = res
        .text
        .split("&amp;after=")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string();
    let res = app
        .page(
            &b,
            &format!("/units/{commune}/activities?kind=session&year=2025&after={next}"),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.text.contains("Về trang đầu"), "{}", res.text);
    assert!(
        res.text
            .contains(&format!("href=\"/activities/{}\"", expected[99])),
        "{}",
        res.text
    );
}

/// A new record comes back from its INSERT (RETURNING), not a SELECT after
/// it: for every kind, what the POST answers — and what its audit entry
/// holds — is what reading it back gives, the unit's and village's names,
/// a pre-2025 unit and a campaign's covered units (sorted) included.
#[tokio::test]
async fn a_new_record_answers_what_it_reads_back() {
    let app = demo_app().await;
    let officer = app.user("tinh.laichau", "officer", "12").await;
    let (village, commune) = lai_chau_village(&app).await;
    let (merged, old) = lai_chau_merged_commune(&app).await;
    let communes: Vec<String> = sqlx::query_scalar(
        "SELECT code FROM units WHERE era = 'current' AND level = 'commune' AND path LIKE '/VN/12/%' \
         ORDER BY code DESC LIMIT 2",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let records = [
        (
            commune.clone(),
            json!({"kind": "session", "village_id": village, "held_on": "2025-03-04", "title": "Tuyên truyền", "subtype": "hop_dan", "attendance": 40, "note": "ghi chú"}),
        ),
        (
            merged.clone(),
            json!({"kind": "session", "legacy_code": old, "held_on": "2024-05-06", "title": "Trước sáp nhập", "subtype": "loa_truyen_thanh", "attendance": 12}),
        ),
        (
            "12".to_string(),
            json!({"kind": "campaign", "title": "Đợt cao điểm", "held_on": "2025-04-01", "ends_on": "2025-06-30", "unit_codes": communes}),
        ),
        (
            commune.clone(),
            json!({"kind": "conference", "held_on": "2025-07-01", "title": "Sơ kết", "subtype": "so_ket", "level": "xa", "attendance": 80}),
        ),
        (
            commune.clone(),
            json!({"kind": "mediation", "village_id": village, "held_on": "2025-08-01", "title": "Tranh chấp đất", "subtype": "thanh"}),
        ),
        (
            commune.clone(),
            json!({"kind": "drug_free", "held_on": "2025-10-01", "year": 2025, "decision_ref": "12/QĐ-UBND"}),
        ),
        (
            commune.clone(),
            json!({"kind": "key_area", "village_id": village, "subtype": "dua_vao", "held_on": "2025-02-01", "decision_ref": "5/QĐ"}),
        ),
    ];
    for (unit, body) in records {
        let kind = body["kind"].as_str().unwrap().to_string();
        let res = app
            .api(
                "POST",
                &format!("/units/{unit}/activities"),
                Some(&officer.token),
                Some(body),
            )
            .await;
        assert_eq!(res.status, 201, "{kind}: {}", res.text);
        let created = res.json();
        let id = created["id"].as_i64().unwrap();
        let read = app.get(&format!("/activities/{id}"), &officer.token).await;
        assert_eq!(read.status, 200, "{kind}: {}", read.text);
        assert_eq!(created, read.json(), "{kind}");
        assert!(!created["unit_name"].as_str().unwrap().is_empty(), "{kind}");
        if created["village_id"].is_i64() {
            assert!(!created["village_name"].as_str().unwrap().is_empty(), "{kind}");
        }
        if kind == "campaign" {
            assert_eq!(created["unit_codes"].as_array().unwrap().len(), 2);
        }
        let audited: String = sqlx::query_scalar(
            "SELECT after_json FROM audit_log WHERE action = 'activity.create' AND target_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
        let audited: Value = serde_json::from_str(&audited).unwrap();
        assert_eq!(audited["title"], read.json()["title"], "{kind}");
        assert_eq!(audited["unit_codes"], read.json()["unit_codes"], "{kind}");
    }
}

/// The API's import reads the file from disk as it arrived (Spooled), a
/// row at a time: Excel's Vietnamese CSV (BOM, semicolons) and an XLSX
/// read as from memory; a file that is not UTF-8 is refused by name,
/// whether the bad byte is in the header or in the last row, and writes
/// nothing; a declared length over the route's limit is refused at once.
#[tokio::test]
async fn the_import_reads_the_file_from_disk_a_row_at_a_time() {
    let app = TestApp::new().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let header = "ma_hoat_dong;loai;ma_don_vi;ten_don_vi;ma_thon;ma_don_vi_cu;ngay;ngay_ket_thuc;tu_nam;den_nam;\
                  nam;noi_dung;phan_loai;cap;so_luot_nguoi;so_quyet_dinh;don_vi_tham_gia;ghi_chu\n";
    let row = |title: &str| format!(";session;03583;;;;01/02/2025;;;;;{title};hop_dan;;30;;;\n");
    let n = app.count("SELECT COUNT(*) FROM activities").await;
    let excel = format!("\u{FEFF}{header}{}{}", row("Buổi một"), row("Buổi hai"));
    let res = app.upload("/activities/import", &officer.token, excel).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["created"], 2, "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM activities").await, n + 2);
    let titles = app
        .count("SELECT COUNT(*) FROM activities WHERE title IN ('Buổi một', 'Buổi hai')")
        .await;
    assert_eq!(titles, 2);

    // Not UTF-8 (Windows-1258's "ộ"), in the last row or in the header.
    let mut bad_row = format!("{header}{}", row("Buổi ba")).into_bytes();
    bad_row.extend_from_slice(b";session;03583;;;;01/02/2025;;;;;Bu\xd2i;hop_dan;;30;;;\n");
    let mut bad_header = b"ma_ho\xd2t_dong;loai\n".to_vec();
    bad_header.extend_from_slice(row("Buổi bốn").as_bytes());
    for body in [bad_row, bad_header] {
        let res = app.upload("/activities/import", &officer.token, body).await;
        assert_eq!(res.status, 422, "{}", res.text);
        assert!(res.text.contains("mã hóa UTF-8"), "{}", res.text);
        assert_eq!(app.count("SELECT COUNT(*) FROM activities").await, n + 2);
    }

    // An XLSX sent the same way (the export's own file).
    let xlsx = app
        .get(
            "/units/03583/activities/export?format=xlsx&year=2025",
            &officer.token,
        )
        .await;
    assert_eq!(xlsx.status, 200, "{}", xlsx.text);
    let res = app
        .upload("/activities/import", &officer.token, xlsx.bytes.clone())
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["created"], 0, "{}", res.text);
    assert_eq!(res.json()["unchanged"], 2, "{}", res.text);

    let req = axum::http::Request::post("/api/v1/activities/import")
        .header("authorization", format!("Bearer {}", officer.token))
        .header("content-length", (200 * 1024 * 1024).to_string())
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.request(req).await;
    assert_eq!(res.status, 413, "{}", res.text);
    assert!(res.text.contains("128 MB"), "{}", res.text);
}

/// The page's import form takes a file larger than any other form (the
/// route's limit, 128 MB, spooled to disk as it arrives), still only with
/// the session's token; the other upload forms keep 16 MB and refuse a
/// larger file with a Vietnamese 413.
#[tokio::test]
async fn the_page_import_form_takes_a_file_larger_than_other_forms() {
    let app = TestApp::new().await;
    app.user("canbo", "officer", "03583").await;
    let b = app.browser("canbo", crate::support::PASSWORD).await;
    // Sessions with the longest note a session takes (2.000 letters of
    // three bytes): 17 MB in 2.900 rows.
    let mut csv = "ma_hoat_dong,loai,ma_don_vi,ten_don_vi,ma_thon,ma_don_vi_cu,ngay,ngay_ket_thuc,tu_nam,\
                   den_nam,nam,noi_dung,phan_loai,cap,so_luot_nguoi,so_quyet_dinh,don_vi_tham_gia,ghi_chu\n"
        .to_string();
    let note = "ạ".repeat(2000);
    let mut rows = 0;
    while csv.len() <= 17 * 1024 * 1024 {
        rows += 1;
        csv.push_str(&format!(
            ",session,03583,,,,01/02/2025,,,,,Buổi {rows},hop_dan,,10,,,{note}\n"
        ));
    }
    let n = app.count("SELECT COUNT(*) FROM activities").await;

    // Without the session's token: refused before a byte is read.
    let res = app
        .post_file(&b, "/units/03583/activities/import", None, &csv)
        .await;
    assert_eq!(res.status, 403, "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM activities").await, n);

    let res = app
        .post_file(&b, "/units/03583/activities/import", Some(&b.csrf), &csv)
        .await;
    assert_eq!(res.status, 303, "{}", res.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM activities").await, n + rows);
    let long = app
        .count("SELECT COUNT(*) FROM activities WHERE LENGTH(note) = 2000 AND unit_code = '03583'")
        .await;
    assert_eq!(long, rows);

    // The villages' upload form: 16 MB, refused in Vietnamese, nothing written.
    let villages = app.count("SELECT COUNT(*) FROM villages").await;
    let res = app
        .post_file(&b, "/units/03583/villages/import", Some(&b.csrf), &csv)
        .await;
    assert_eq!(res.status, 413, "{}", res.text);
    assert!(
        res.text.contains("quá lớn") && res.text.contains("16 MB"),
        "{}",
        res.text
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM villages").await, villages);
}

//! The November assessment: the shipped Thông tư 124 sets, a village taken
//! from draft to certificate with computed criteria, the refusals of bad
//! input (nothing written), fixture count and points sets, corrections, and
//! who may see and decide what.

use antq::auth::Actor;
use axum::body::Body;
use axum::http::{Request, header};
use serde_json::{Value, json};

use crate::support::{TestApp, TestUser};

async fn demo_app() -> TestApp {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    app
}

async fn village_id(app: &TestApp, name: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT id FROM villages WHERE name = $1")
        .bind(name)
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Registers the village for 2026 with every household, and rates its teams,
/// so the computed criteria of Điều 4 hold.
async fn prepare_2026(app: &TestApp, village: i64, households: i64) {
    use antq::registry::ratings::{self, RatingDraft};
    use antq::registry::registrations::{self, RegistrationDraft};
    let system = Actor::system();
    registrations::register(
        &app.db,
        &system,
        &RegistrationDraft {
            year: Some(json!(2026)),
            subject_kind: Some("village".into()),
            subject_id: Some(json!(village)),
            registered_on: Some("2026-02-10".into()),
            resolution_ref: Some("Nghị quyết số 01-NQ/CB".into()),
            plan_ref: None,
            households_resident: Some(json!(households)),
            households_registered: Some(json!(households)),
            note: None,
        },
    )
    .await
    .unwrap();
    let teams: Vec<i64> = sqlx::query_scalar("SELECT team_id FROM team_villages WHERE village_id = $1")
        .bind(village)
        .fetch_all(&app.db.pool)
        .await
        .unwrap();
    for team in teams {
        ratings::rate(
            &app.db,
            &system,
            &RatingDraft {
                subject_kind: Some("team".into()),
                subject_id: Some(team),
                year: Some(2026),
                level: Some("tot".into()),
                note: None,
            },
        )
        .await
        .unwrap();
    }
}

async fn create(
    app: &TestApp,
    u: &TestUser,
    kind: &str,
    id: &str,
    year: i64,
    extra: Value,
) -> crate::support::Res {
    let mut body = json!({"subject_kind": kind, "subject_id": id, "year": year});
    if let Value::Object(m) = extra {
        for (k, v) in m {
            body[k] = v;
        }
    }
    app.api("POST", "/assessments", Some(&u.token), Some(body)).await
}

fn item<'a>(full: &'a Value, code: &str) -> &'a Value {
    full["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap()
}

fn judged(codes: &[&str], verdict: &str) -> Value {
    let items: Vec<Value> = codes
        .iter()
        .map(|c| json!({"code": c, "verdict": verdict, "note": format!("Biên bản họp: tiêu chí {c}.")}))
        .collect();
    json!({ "items": items })
}

async fn recognised_villages(app: &TestApp, u: &TestUser) -> i64 {
    let s = app.get("/units/03583/summary?year=2026", &u.token).await.json();
    let levels = s["assessments"]["levels"].as_array().unwrap().clone();
    levels.iter().find(|l| l["subject_kind"] == "village").unwrap()["recognised"]
        .as_i64()
        .unwrap()
}

fn multipart(file_name: &str, bytes: &[u8], criterion: &str) -> (String, Vec<u8>) {
    let boundary = "antqtestboundary";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"criterion\"\r\n\r\n{criterion}\r\n")
            .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, u: &TestUser, id: i64, name: &str, bytes: &[u8]) -> crate::support::Res {
    let (ct, body) = multipart(name, bytes, "3");
    let req = Request::post(format!("/api/v1/assessments/{id}/files"))
        .header(header::AUTHORIZATION, format!("Bearer {}", u.token))
        .header(header::CONTENT_TYPE, ct)
        .body(Body::from(body))
        .unwrap();
    app.request(req).await
}

#[tokio::test]
async fn shipped_sets_cite_thong_tu_124_and_round_trip_as_files() {
    let app = TestApp::new().await;
    let admin = app.user("quantri2", "admin", "VN").await;
    let viewer = app.user("xem", "viewer", "12").await;
    let list = app.get("/criteria-sets", &viewer.token).await.json();
    let sets = list["sets"].as_array().unwrap();
    let counts: Vec<(String, usize)> = sets
        .iter()
        .map(|s| {
            (
                s["document"]["legal_basis"].as_str().unwrap().to_string(),
                s["document"]["criteria"].as_array().unwrap().len(),
            )
        })
        .collect();
    for (basis, n) in [
        ("Thông tư 124/2021/TT-BCA, Điều 4", 5),
        ("Thông tư 124/2021/TT-BCA, Điều 5", 4),
        ("Thông tư 124/2021/TT-BCA, Điều 6", 5),
        ("Thông tư 124/2021/TT-BCA, Điều 7", 6),
    ] {
        assert!(counts.contains(&(basis.to_string(), n)), "{counts:?}");
    }
    let village = sets
        .iter()
        .find(|s| s["document"]["code"] == "tt124-khu-dan-cu")
        .unwrap();
    assert_eq!(village["document"]["criteria"][4]["citation"], "Điều 4 khoản 5");
    assert_eq!(village["document"]["decide_by"], "11-15");
    // An exported file imports back as the next version, unchanged.
    let doc = village["document"].clone();
    let res = app
        .api("POST", "/criteria-sets", Some(&admin.token), Some(doc.clone()))
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json()["version"], 2);
    assert_eq!(res.json()["document"], doc);
    // Only an administrator imports.
    let refused = app
        .api("POST", "/criteria-sets", Some(&viewer.token), Some(doc))
        .await;
    assert_eq!(refused.status, 403);
}

#[tokio::test]
async fn bad_criteria_set_files_are_refused_and_nothing_is_stored() {
    let app = TestApp::new().await;
    let admin = app.user("quantri2", "admin", "VN").await;
    let before = app.count("SELECT COUNT(*) FROM criteria_sets").await;
    let base = json!({"format": "antq-criteria/1", "code": "fx", "name": "Bộ thử", "legal_basis": "Bộ thử nghiệm",
        "programme": "dien_hinh", "kind": "count", "pass_count": 1, "subject_kinds": ["commune"], "year_from": 2024,
        "criteria": [{"code": "1", "text": "Tiêu chí một"}, {"code": "2", "text": "Tiêu chí hai"}]});
    let mut unknown_kind = base.clone();
    unknown_kind["kind"] = json!("vote");
    let mut duplicate = base.clone();
    duplicate["criteria"][1]["code"] = json!("1");
    let mut bad_rule = base.clone();
    bad_rule["criteria"][0]["rule"] = json!("village_registration");
    let mut pass_too_high = base.clone();
    pass_too_high["pass_count"] = json!(3);
    for (body, field) in [
        (unknown_kind, "kind"),
        (duplicate, "criteria[1].code"),
        (bad_rule, "criteria[0].rule"),
        (pass_too_high, "pass_count"),
    ] {
        let res = app
            .api("POST", "/criteria-sets", Some(&admin.token), Some(body))
            .await;
        assert_eq!(res.status, 422, "{}", res.text);
        let message = res.json()["error"]["fields"][field]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!message.is_empty(), "{field}: {}", res.text);
    }
    let not_json = app
        .request(
            Request::post("/api/v1/criteria-sets")
                .header(header::AUTHORIZATION, format!("Bearer {}", admin.token))
                .body(Body::from("kind: all"))
                .unwrap(),
        )
        .await;
    assert_eq!(not_json.status, 422);
    assert!(
        not_json.text.contains("không phải JSON hợp lệ"),
        "{}",
        not_json.text
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM criteria_sets").await, before);
}

#[tokio::test]
async fn a_village_from_draft_through_return_to_certificate() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let commune = app.user("ubndxa", "reviewer", "03583").await;
    let elsewhere = app.user("sonla", "reviewer", "14").await;
    let village = village_id(&app, "Bản Nà Cúng").await;

    let res = create(&app, &officer, "village", &village.to_string(), 2026, json!({})).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let full = res.json();
    let id = full["id"].as_i64().unwrap();
    assert_eq!(full["status"], "draft");
    assert_eq!(full["period_from"], "2025-11-01");
    assert_eq!(full["period_to"], "2026-10-31");
    assert_eq!(full["decide_by"], "2026-11-15");
    assert_eq!(
        full["deadline_basis"],
        "Thông tư 124/2021/TT-BCA, Điều 9 khoản 1 điểm a"
    );
    // Criterion 1 is computed from the registrations: none yet for 2026.
    assert_eq!(item(&full, "1")["computed_verdict"], "chua_dat");
    // Criterion 5: the teams are not rated for 2026 yet, which is no failure;
    // the records cannot tell, so the assessor will.
    assert_eq!(
        item(&full, "5")["computed_verdict"],
        Value::Null,
        "{}",
        item(&full, "5")
    );
    assert!(
        item(&full, "1")["computed_value"]
            .as_str()
            .unwrap()
            .contains("Chưa có đăng ký phấn đấu năm 2026")
    );
    // Past its deadline (today is after 15/11/2026), it is flagged.
    assert_eq!(
        app.get(&format!("/assessments/{id}"), &officer.token)
            .await
            .json()["overdue"],
        true
    );

    prepare_2026(&app, village, 118).await;
    let full = app
        .get(&format!("/assessments/{id}"), &officer.token)
        .await
        .json();
    assert_eq!(item(&full, "1")["computed_verdict"], "dat");
    assert!(
        item(&full, "1")["computed_value"]
            .as_str()
            .unwrap()
            .contains("118/118 hộ"),
        "{}",
        item(&full, "1")
    );
    assert_eq!(
        item(&full, "5")["computed_verdict"],
        "dat",
        "{}",
        item(&full, "5")
    );

    // Submitting with criteria not yet judged: refused, each named, nothing changed.
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/submit"),
            Some(&officer.token),
            None,
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    let fields = res.json()["error"]["fields"].clone();
    for code in ["2", "3", "4", "5"] {
        assert!(
            fields[format!("item.{code}")]
                .as_str()
                .unwrap()
                .contains("chưa đánh giá"),
            "{fields}"
        );
    }
    assert!(fields.get("item.1").is_none());
    // A computed criterion is not judged by hand; a judgement needs a note.
    let res = app
        .api(
            "PUT",
            &format!("/assessments/{id}/items"),
            Some(&officer.token),
            Some(judged(&["1"], "dat")),
        )
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .api(
            "PUT",
            &format!("/assessments/{id}/items"),
            Some(&officer.token),
            Some(json!({"items": [{"code": "2", "verdict": "dat", "note": ""}]})),
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(
        res.json()["error"]["fields"]["item.2.note"]
            .as_str()
            .unwrap()
            .contains("nhận xét")
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM assessment_items WHERE verdict IS NOT NULL AND assessment_id IN (SELECT id FROM assessments WHERE year = 2026)").await, 0);

    let res = app
        .api(
            "PUT",
            &format!("/assessments/{id}/items"),
            Some(&officer.token),
            Some(judged(&["2", "3", "4", "5"], "dat")),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(item(&res.json(), "3")["judged_name"], "Người thử canbo (canbo)");
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/submit"),
            Some(&officer.token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["status"], "submitted");
    assert_eq!(res.json()["result"], "dat");
    assert_eq!(res.json()["passed"], 5);

    // The province may read it but does not decide in the commune's place.
    let province = app.user("tinh", "reviewer", "12").await;
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&province.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.text);
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("thẩm quyền của Xã Khổng Lào")
    );
    // A reviewer of another province neither sees nor decides it.
    assert_eq!(
        app.get(&format!("/assessments/{id}"), &elsewhere.token)
            .await
            .status,
        404
    );
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&elsewhere.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 404);
    // The officer does not decide; a return needs its reason.
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&officer.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 403);
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/return"),
            Some(&commune.token),
            Some(json!({"reason": " "})),
        )
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/return"),
            Some(&commune.token),
            Some(json!({"reason": "Bổ sung biên bản họp khu dân cư."})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["status"], "returned");
    assert_eq!(res.json()["return_reason"], "Bổ sung biên bản họp khu dân cư.");

    // Evidence: a file that is not an allowed type, or too large, is refused.
    let before = app.count("SELECT COUNT(*) FROM assessment_files").await;
    let exe = upload(&app, &officer, id, "bien-ban.pdf", b"MZ\x90\x00 not a pdf").await;
    assert_eq!(exe.status, 422, "{}", exe.text);
    assert!(
        exe.json()["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("chỉ nhận PDF")
    );
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(10 * 1024 * 1024 + 1, b'0');
    let too_big = upload(&app, &officer, id, "lon.pdf", &big).await;
    assert_eq!(too_big.status, 422, "{}", too_big.text);
    assert_eq!(app.count("SELECT COUNT(*) FROM assessment_files").await, before);
    let png = [&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], b"rest"].concat();
    let ok = upload(&app, &officer, id, "ảnh họp bản.png", &png).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.json()["content_type"], "image/png");
    let file_id = ok.json()["id"].as_i64().unwrap();
    let back = app
        .get(&format!("/assessments/{id}/files/{file_id}"), &officer.token)
        .await;
    assert_eq!(back.bytes, png);
    assert_eq!(
        app.get(&format!("/assessments/{id}/files/{file_id}"), &elsewhere.token)
            .await
            .status,
        404
    );

    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/submit"),
            Some(&officer.token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["submissions"], 2);
    let actions: Vec<String> = res.json()["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(actions, ["create", "submit", "return", "resubmit"]);
    // Locked once submitted: no more evidence.
    assert_eq!(upload(&app, &officer, id, "b.png", &png).await.status, 409);

    // Approval moves the commune's recognised share at once.
    let before = recognised_villages(&app, &officer).await;
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&commune.token),
            Some(json!({"note": "Đồng ý."})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["status"], "approved");
    assert_eq!(recognised_villages(&app, &officer).await, before + 1);
    // Locked: no more judging.
    let res = app
        .api(
            "PUT",
            &format!("/assessments/{id}/items"),
            Some(&officer.token),
            Some(judged(&["2"], "chua_dat")),
        )
        .await;
    assert_eq!(res.status, 409);

    // Recognition and the certificate.
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/recognise"),
            Some(&commune.token),
            Some(json!({"cert_number": "15/QĐ-UBND", "cert_date": "14/11/2026", "cert_signer": "Lò Văn A"})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["cert_issuer"], "Ủy ban nhân dân xã Khổng Lào");
    let pdf = app
        .get(&format!("/assessments/{id}/certificate.pdf"), &officer.token)
        .await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.bytes.starts_with(b"%PDF-"));
    assert!(pdf.text.contains("DejaVuSerif"));

    // The same number again, for another village of the commune, is refused.
    let other = village_id(&app, "Bản Phiêng Chá").await;
    prepare_2026(&app, other, 96).await;
    let b = create(&app, &officer, "village", &other.to_string(), 2026, json!({}))
        .await
        .json();
    let bid = b["id"].as_i64().unwrap();
    app.api(
        "PUT",
        &format!("/assessments/{bid}/items"),
        Some(&officer.token),
        Some(judged(&["2", "3", "4", "5"], "dat")),
    )
    .await;
    app.api(
        "POST",
        &format!("/assessments/{bid}/submit"),
        Some(&officer.token),
        None,
    )
    .await;
    app.api(
        "POST",
        &format!("/assessments/{bid}/approve"),
        Some(&commune.token),
        Some(json!({})),
    )
    .await;
    let res = app
        .api(
            "POST",
            &format!("/assessments/{bid}/recognise"),
            Some(&commune.token),
            Some(json!({"cert_number": "15/QĐ-UBND", "cert_date": "2026-11-14"})),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text);

    // A correction is a new version with a reason; the decided one still counts.
    let count = recognised_villages(&app, &officer).await;
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/correct"),
            Some(&officer.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 422);
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/correct"),
            Some(&officer.token),
            Some(json!({"reason": "Ghi nhầm nhận xét tiêu chí 3."})),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let v2 = res.json();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["supersedes_id"], id);
    assert_eq!(item(&v2, "3")["verdict"], "dat");
    assert_eq!(v2["versions"][0]["id"], id);
    assert_eq!(recognised_villages(&app, &officer).await, count);
    let again = app
        .api(
            "POST",
            &format!("/assessments/{id}/correct"),
            Some(&officer.token),
            Some(json!({"reason": "Lần hai"})),
        )
        .await;
    assert_eq!(again.status, 409);
    let second = create(&app, &officer, "village", &village.to_string(), 2026, json!({})).await;
    assert_eq!(second.status, 409, "{}", second.text);
}

#[tokio::test]
async fn nobody_approves_their_own_submission() {
    let app = demo_app().await;
    let commune = app.user("ubndxa", "reviewer", "03583").await;
    let other_reviewer = app.user("ubndxa2", "reviewer", "03583").await;
    let village = village_id(&app, "Bản Khổng Lào").await;
    prepare_2026(&app, village, 152).await;
    let a = create(&app, &commune, "village", &village.to_string(), 2026, json!({}))
        .await
        .json();
    let id = a["id"].as_i64().unwrap();
    app.api(
        "PUT",
        &format!("/assessments/{id}/items"),
        Some(&commune.token),
        Some(judged(&["2", "3", "4", "5"], "dat")),
    )
    .await;
    assert_eq!(
        app.api(
            "POST",
            &format!("/assessments/{id}/submit"),
            Some(&commune.token),
            None
        )
        .await
        .status,
        200
    );
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&commune.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("chính mình lập, đánh giá hoặc gửi")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM assessments WHERE id = {id} AND status = 'submitted'"
        ))
        .await,
        1
    );
    // Not in the submitter's own inbox either, but in a colleague's.
    let mine = app
        .get(
            "/units/03583/assessments?year=2026&to_decide=true",
            &commune.token,
        )
        .await
        .json();
    assert!(
        mine["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["id"] != id)
    );
    let theirs = app
        .get(
            "/units/03583/assessments?year=2026&to_decide=true",
            &other_reviewer.token,
        )
        .await
        .json();
    assert!(
        theirs["assessments"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["id"] == id)
    );
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&other_reviewer.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    // Judging one criterion is taking part, too: after the officer submits,
    // that reviewer still does not decide.
    let officer = app.user("canbo", "officer", "03583").await;
    let second = village_id(&app, "Bản Phiêng Chá").await;
    prepare_2026(&app, second, 96).await;
    let b = create(&app, &officer, "village", &second.to_string(), 2026, json!({}))
        .await
        .json();
    let bid = b["id"].as_i64().unwrap();
    let res = app
        .api(
            "PUT",
            &format!("/assessments/{bid}/items"),
            Some(&commune.token),
            Some(judged(&["2"], "dat")),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    app.api(
        "PUT",
        &format!("/assessments/{bid}/items"),
        Some(&officer.token),
        Some(judged(&["3", "4", "5"], "dat")),
    )
    .await;
    // Sending the same judgement again changes nothing, not even who judged it.
    app.api(
        "PUT",
        &format!("/assessments/{bid}/items"),
        Some(&officer.token),
        Some(judged(&["2"], "dat")),
    )
    .await;
    let full = app
        .get(&format!("/assessments/{bid}"), &officer.token)
        .await
        .json();
    assert_eq!(item(&full, "2")["judged_name"], "Người thử ubndxa (ubndxa)");
    assert_eq!(
        app.api(
            "POST",
            &format!("/assessments/{bid}/submit"),
            Some(&officer.token),
            None
        )
        .await
        .status,
        200
    );
    let res = app
        .api(
            "POST",
            &format!("/assessments/{bid}/approve"),
            Some(&commune.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 403, "{}", res.text);
}

#[tokio::test]
async fn a_commune_is_decided_by_the_province_on_its_villages_recognised() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let commune = app.user("ubndxa", "reviewer", "03583").await;
    let province = app.user("tinh", "reviewer", "12").await;
    // The demo's 2025 cycle: 2 of 3 villages and both organisations recognised.
    let list = app
        .get("/units/03583/assessments?year=2025", &officer.token)
        .await
        .json();
    let c = list["assessments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["subject_kind"] == "commune")
        .unwrap()
        .clone();
    let full = app
        .get(&format!("/assessments/{}", c["id"]), &officer.token)
        .await
        .json();
    let four = item(&full, "4")["computed_value"].as_str().unwrap().to_string();
    assert!(four.contains("đăng ký 5/5 (100%)"), "{four}");
    assert!(four.contains("được công nhận 4/5 (80%), cần ít nhất 4"), "{four}");
    assert_eq!(full["status"], "recognised");
    assert_eq!(full["decider_name"], "Tỉnh Lai Châu");
    assert_eq!(list["figures"]["levels"][0]["recognised"], 2);
    assert_eq!(list["figures"]["levels"][0]["total"], 3);

    // 2026: the commune's reviewer cannot decide the commune itself.
    let a = create(&app, &officer, "commune", "03583", 2026, json!({})).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.json()["id"].as_i64().unwrap();
    assert_eq!(a.json()["decide_by"], "2026-11-20");
    let full = a.json();
    assert_eq!(item(&full, "4")["computed_verdict"], "chua_dat");
    app.api(
        "PUT",
        &format!("/assessments/{id}/items"),
        Some(&officer.token),
        Some(judged(&["2", "3"], "dat")),
    )
    .await;
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/submit"),
            Some(&officer.token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["result"], "chua_dat");
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&commune.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 403);
    assert!(
        res.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Tỉnh Lai Châu"),
        "{}",
        res.text
    );
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/approve"),
            Some(&province.token),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    // Chưa đạt: no recognition, no certificate.
    let res = app
        .api(
            "POST",
            &format!("/assessments/{id}/recognise"),
            Some(&province.token),
            Some(json!({"cert_number": "9/QĐ-UBND", "cert_date": "2026-11-19"})),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text);
    assert_eq!(
        app.get(&format!("/assessments/{id}/certificate.pdf"), &officer.token)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn fixture_count_and_points_sets_tally_and_classify() {
    let app = demo_app().await;
    let admin = app.user("quantri2", "admin", "VN").await;
    let officer = app.user("canbo", "officer", "03583").await;
    let province = app.user("tinh", "reviewer", "12").await;
    let count_set = json!({"format": "antq-criteria/1", "code": "fx-dien-hinh", "name": "Bộ thử điển hình",
        "legal_basis": "Bộ tiêu chí thử nghiệm", "programme": "dien_hinh", "kind": "count", "pass_count": 3,
        "subject_kinds": ["commune"], "year_from": 2026,
        "criteria": [{"code": "1", "text": "Một"}, {"code": "2", "text": "Hai"}, {"code": "3", "text": "Ba"}, {"code": "4", "text": "Bốn"}]});
    let points_set = json!({"format": "antq-criteria/1", "code": "fx-phan-loai", "name": "Bộ thử phân loại",
        "legal_basis": "Bộ tiêu chí thử nghiệm", "programme": "phan_loai", "kind": "points",
        "subject_kinds": ["commune"], "year_from": 2026,
        "levels": [{"name": "Xuất sắc", "min_points": 18}, {"name": "Khá", "min_points": 12.5}, {"name": "Yếu", "min_points": 0}],
        "criteria": [{"code": "1", "text": "Một", "max_points": 10}, {"code": "2", "text": "Hai", "max_points": 10}]});
    // A later version for later years leaves the earlier years their version.
    let mut later = count_set.clone();
    later["year_from"] = json!(2027);
    later["pass_count"] = json!(4);
    for set in [count_set, later, points_set] {
        let res = app
            .api("POST", "/criteria-sets", Some(&admin.token), Some(set))
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }

    let c = create(
        &app,
        &officer,
        "commune",
        "03583",
        2026,
        json!({"programme": "dien_hinh"}),
    )
    .await
    .json();
    let cid = c["id"].as_i64().unwrap();
    assert_eq!(c["set_version"], 1, "2026 is judged on the version for 2026");
    app.api(
        "PUT",
        &format!("/assessments/{cid}/items"),
        Some(&officer.token),
        Some(judged(&["1", "2", "3"], "dat")),
    )
    .await;
    app.api(
        "PUT",
        &format!("/assessments/{cid}/items"),
        Some(&officer.token),
        Some(judged(&["4"], "chua_dat")),
    )
    .await;
    let res = app
        .api(
            "POST",
            &format!("/assessments/{cid}/submit"),
            Some(&officer.token),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        (
            res.json()["result"].clone(),
            res.json()["passed"].clone(),
            res.json()["total"].clone()
        ),
        (json!("dat"), json!(3), json!(4))
    );

    let p = create(
        &app,
        &officer,
        "commune",
        "03583",
        2026,
        json!({"programme": "phan_loai"}),
    )
    .await
    .json();
    let pid = p["id"].as_i64().unwrap();
    // Points outside a criterion's range: refused, nothing written.
    let res = app
        .api(
            "PUT",
            &format!("/assessments/{pid}/items"),
            Some(&officer.token),
            Some(json!({"items": [{"code": "1", "points": "10,5", "note": "x"}, {"code": "2", "points": -1, "note": "y"}]})),
        )
        .await;
    assert_eq!(res.status, 422, "{}", res.text);
    let f = res.json()["error"]["fields"].clone();
    assert!(
        f["item.1.points"].as_str().unwrap().contains("từ 0 đến 10"),
        "{f}"
    );
    assert!(f["item.2.points"].is_string(), "{f}");
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM assessment_items WHERE assessment_id = {pid}"
        ))
        .await,
        0
    );
    let res = app
        .api(
            "PUT",
            &format!("/assessments/{pid}/items"),
            Some(&officer.token),
            Some(json!({"items": [{"code": "1", "points": "7,5", "note": "x"}, {"code": "2", "points": 6, "note": "y"}]})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = app
        .api(
            "POST",
            &format!("/assessments/{pid}/submit"),
            Some(&officer.token),
            None,
        )
        .await;
    assert_eq!(res.json()["level"], "Khá");
    assert_eq!(res.json()["points_x10"], 135);
    app.api(
        "POST",
        &format!("/assessments/{pid}/approve"),
        Some(&province.token),
        Some(json!({})),
    )
    .await;
    let s = app
        .get("/units/12/summary?year=2026", &province.token)
        .await
        .json();
    assert_eq!(
        s["assessments"]["classification"],
        json!([{"subject_kind": "commune", "level": "Khá", "count": 1}])
    );
    assert_eq!(s["assessments"]["typical"][0]["passed"], 3);
    assert_eq!(s["assessments"]["typical"][0]["total"], 4);
}

#[tokio::test]
async fn assessment_routes_keep_every_role_in_its_subtree() {
    let app = demo_app().await;
    let viewer = app.user("xem", "viewer", "03583").await;
    let other_officer = app.user("ngocchien", "officer", "03820").await;
    let officer = app.user("canbo", "officer", "03583").await;
    let khong_lao_2025: i64 =
        sqlx::query_scalar("SELECT id FROM assessments WHERE subject_name = 'Bản Nà Cúng' AND year = 2025")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let village = village_id(&app, "Bản Nà Cúng").await.to_string();
    let audit_before = app.count("SELECT COUNT(*) FROM audit_log").await;
    // Reads outside scope: not found, and nothing of the neighbour shows.
    for path in [
        format!("/assessments/{khong_lao_2025}"),
        format!("/assessments/{khong_lao_2025}/certificate.pdf"),
        "/units/03583/assessments?year=2025".to_string(),
    ] {
        let res = app.get(&path, &other_officer.token).await;
        assert_eq!(res.status, 404, "{path}: {}", res.text);
        assert!(!res.text.contains("Nà Cúng"), "{path}");
    }
    // The viewer reads but neither prepares nor decides.
    assert_eq!(
        app.get(&format!("/assessments/{khong_lao_2025}"), &viewer.token)
            .await
            .status,
        200
    );
    assert_eq!(
        create(&app, &viewer, "village", &village, 2026, json!({}))
            .await
            .status,
        403
    );
    // A subject outside scope is "not found", as an unknown one is: ids of
    // other communes cannot be probed.
    let outside = create(&app, &other_officer, "village", &village, 2026, json!({})).await;
    let unknown = create(&app, &other_officer, "village", "999999", 2026, json!({})).await;
    assert_eq!((outside.status.as_u16(), unknown.status.as_u16()), (422, 422));
    assert_eq!(outside.json()["error"], unknown.json()["error"]);
    for action in ["submit", "return", "approve", "correct"] {
        let res = app
            .api(
                "POST",
                &format!("/assessments/{khong_lao_2025}/{action}"),
                Some(&other_officer.token),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(res.status, 404, "{action}: {}", res.text);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM audit_log").await, audit_before);
    // The commune officer sees the demo's certificate.
    let pdf = app
        .get(
            &format!("/assessments/{khong_lao_2025}/certificate.pdf"),
            &officer.token,
        )
        .await;
    assert_eq!(pdf.status, 200);
    // Pages answer the same way.
    let b = app.browser("khonglao.ca", antq::demo::PASSWORD).await;
    let page = app.page(&b, &format!("/assessments/{khong_lao_2025}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.text
            .contains("Bổ sung biên bản họp khu dân cư đánh giá tiêu chí 3."),
        "history shows the return"
    );
    assert!(page.text.contains("Tải giấy công nhận (PDF)"));
    let list = app.page(&b, "/units/03583/assessments?year=2025").await;
    assert_eq!(list.status, 200);
    assert!(list.text.contains("Bản Phiêng Chá"));
    let criteria = app.page(&b, "/criteria").await;
    assert!(criteria.text.contains("Thông tư 124/2021/TT-BCA, Điều 7"));
    let outside = app.browser("khonglao.ca", antq::demo::PASSWORD).await;
    let ngoc_chien: i64 = sqlx::query_scalar("SELECT id FROM assessments WHERE unit_code = '03820' LIMIT 1")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(
        app.page(&outside, &format!("/assessments/{ngoc_chien}"))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn a_draft_opened_by_mistake_is_withdrawn_with_its_reason() {
    let app = demo_app().await;
    let officer = app.user("canbo", "officer", "03583").await;
    let village = village_id(&app, "Bản Nà Cúng").await.to_string();
    let a = create(&app, &officer, "village", &village, 2026, json!({}))
        .await
        .json();
    let id = a["id"].as_i64().unwrap();
    let path = format!("/assessments/{id}/withdraw");
    let res = app
        .api("POST", &path, Some(&officer.token), Some(json!({})))
        .await;
    assert_eq!(res.status, 422);
    assert!(res.json()["error"]["fields"]["reason"].is_string());
    let res = app
        .api(
            "POST",
            &path,
            Some(&officer.token),
            Some(json!({"reason": "Lập nhầm đối tượng."})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json()["status"], "withdrawn");
    assert_eq!(res.json()["events"][1]["reason"], "Lập nhầm đối tượng.");
    // The subject may be assessed afresh; the withdrawn one keeps its number.
    let again = create(&app, &officer, "village", &village, 2026, json!({})).await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(again.json()["version"], 2);
    let bid = again.json()["id"].as_i64().unwrap();
    app.api(
        "PUT",
        &format!("/assessments/{bid}/items"),
        Some(&officer.token),
        Some(judged(&["2", "3", "4", "5"], "dat")),
    )
    .await;
    app.api(
        "POST",
        &format!("/assessments/{bid}/submit"),
        Some(&officer.token),
        None,
    )
    .await;
    // A submitted one is the reviewer's now: it cannot be withdrawn.
    let res = app
        .api(
            "POST",
            &format!("/assessments/{bid}/withdraw"),
            Some(&officer.token),
            Some(json!({"reason": "x"})),
        )
        .await;
    assert_eq!(res.status, 409, "{}", res.text);
}

#[tokio::test]
async fn organisations_the_circular_leaves_out_are_not_assessed_nor_counted() {
    let app = demo_app().await;
    let officer = app.user("ngocchien", "officer", "03820").await;
    // The demo's primary school is outside Thông tư 124 (Điều 1).
    let school: i64 =
        sqlx::query_scalar("SELECT id FROM organisations WHERE name = 'Trường Tiểu học Ngọc Chiến'")
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    let org = app
        .get(&format!("/organisations/{school}"), &officer.token)
        .await
        .json();
    assert_eq!(org["antt_excluded"], true, "{org}");
    let res = create(
        &app,
        &officer,
        "organisation",
        &school.to_string(),
        2026,
        json!({}),
    )
    .await;
    assert_eq!(res.status, 422, "{}", res.text);
    assert!(
        res.json()["error"]["fields"]["subject_id"]
            .as_str()
            .unwrap()
            .contains("Điều 1")
    );
    let figures = app
        .get("/units/03820/summary?year=2026", &officer.token)
        .await
        .json();
    let orgs = figures["assessments"]["levels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["subject_kind"] == "organisation")
        .unwrap()
        .clone();
    assert_eq!(orgs["total"], 0, "{orgs}");
}

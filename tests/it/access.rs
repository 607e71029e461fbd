//! The access matrix: every route × every role × a target inside and outside
//! the actor's scope. All four roles are scoped to Xã Khổng Lào (03583); the
//! outside target is Phường Đoàn Kết (03388) in the same province, the
//! closest neighbour a forgotten scope would leak to.

use antq::auth::Actor;
use antq::units::organisations::{self, OrganisationDraft};
use antq::units::villages::{self, VillageDraft};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp};

const INSIDE: &str = "03583";
const OUTSIDE: &str = "03388";
const OUTSIDE_SECRET: &str = "Bản Bí Mật";

struct Targets {
    village: i64,
    organisation: i64,
    user: i64,
    token: i64,
}

async fn targets(app: &TestApp, commune: &str, n: usize) -> Targets {
    let system = Actor::system();
    let name = if commune == OUTSIDE {
        format!("{OUTSIDE_SECRET} {n}")
    } else {
        format!("Bản Trong {n}")
    };
    let v = villages::create(
        &app.db,
        &system,
        commune,
        &VillageDraft {
            name: Some(name.clone()),
            kind: Some("Bản".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let o = organisations::create(
        &app.db,
        &system,
        commune,
        &OrganisationDraft {
            name: Some(name),
            kind: Some("co_quan".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let u = app.user(&format!("dich{commune}{n}"), "viewer", commune).await;
    let token = sqlx::query_scalar("SELECT id FROM api_tokens WHERE user_id = $1")
        .bind(u.id)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    Targets {
        village: v.id,
        organisation: o.id,
        user: u.id,
        token,
    }
}

/// Expected status for (role index viewer=0 … admin=3, inside?).
type Expect = fn(usize, bool) -> u16;

/// (path, form fields, expected status)
type FormCase<'a> = (String, Vec<(&'a str, String)>, Expect);

fn read(_: usize, inside: bool) -> u16 {
    if inside { 200 } else { 404 }
}
fn create(role: usize, inside: bool) -> u16 {
    match (role, inside) {
        (0, _) => 403,
        (_, true) => 201,
        (_, false) => 403,
    }
}
fn edit(role: usize, inside: bool) -> u16 {
    match (role, inside) {
        (_, false) => 404,
        (0, true) => 403,
        (_, true) => 200,
    }
}
fn audit(role: usize, inside: bool) -> u16 {
    match (role, inside) {
        (0 | 1, _) => 403,
        (_, true) => 200,
        (_, false) => 404,
    }
}
fn admin_read(role: usize, inside: bool) -> u16 {
    match (role, inside) {
        (0..=2, _) => 403,
        (_, true) => 200,
        (_, false) => 404,
    }
}
fn admin_create(role: usize, inside: bool) -> u16 {
    match (role, inside) {
        (0..=2, _) => 403,
        (_, true) => 201,
        (_, false) => 422,
    }
}
fn admin_list(role: usize, _: bool) -> u16 {
    if role == 3 { 200 } else { 403 }
}

#[tokio::test]
async fn every_api_route_for_every_role_inside_and_outside_scope() {
    let app = TestApp::new().await;
    let roles = ["viewer", "officer", "reviewer", "admin"];
    let mut actors = Vec::new();
    for r in roles {
        actors.push(app.user(&format!("u{r}"), r, INSIDE).await);
    }
    let mut checked = 0;
    let mut n = 0;
    for (ri, actor) in actors.iter().enumerate() {
        for inside in [true, false] {
            n += 1;
            // Fresh targets per case, since some routes change them.
            let code = if inside { INSIDE } else { OUTSIDE };
            let t = targets(&app, code, n).await;
            let cases: Vec<(&str, String, Option<Value>, Expect)> = vec![
                ("GET", format!("/units/{code}"), None, read),
                ("GET", format!("/units/{code}/villages"), None, read),
                ("GET", format!("/units/{code}/villages/export"), None, read),
                ("GET", format!("/units/{code}/organisations"), None, read),
                ("GET", format!("/villages/{}", t.village), None, read),
                ("GET", format!("/organisations/{}", t.organisation), None, read),
                (
                    "POST",
                    format!("/units/{code}/villages"),
                    Some(json!({"name": format!("Bản Mới {n}"), "kind": "Bản"})),
                    create,
                ),
                (
                    "POST",
                    format!("/units/{code}/organisations"),
                    Some(json!({"name": format!("Cơ quan {n}"), "kind": "co_quan"})),
                    create,
                ),
                (
                    "PATCH",
                    format!("/villages/{}", t.village),
                    Some(json!({"households": 5})),
                    edit,
                ),
                (
                    "PATCH",
                    format!("/organisations/{}", t.organisation),
                    Some(json!({"address": "Số 1"})),
                    edit,
                ),
                ("POST", format!("/villages/{}/deactivate", t.village), None, edit),
                (
                    "POST",
                    format!("/organisations/{}/deactivate", t.organisation),
                    None,
                    edit,
                ),
                ("GET", format!("/audit?unit={code}"), None, audit),
                ("GET", "/users".to_string(), None, admin_list),
                ("GET", format!("/users/{}", t.user), None, admin_read),
                (
                    "PATCH",
                    format!("/users/{}", t.user),
                    Some(json!({"full_name": "Tên mới"})),
                    admin_read,
                ),
                (
                    "POST",
                    format!("/users/{}/tokens", t.user),
                    Some(json!({"label": "x"})),
                    |r, i| {
                        if admin_read(r, i) == 200 {
                            201
                        } else {
                            admin_read(r, i)
                        }
                    },
                ),
                ("POST", format!("/tokens/{}/revoke", t.token), None, |r, i| {
                    if admin_read(r, i) == 200 {
                        204
                    } else {
                        admin_read(r, i)
                    }
                }),
                (
                    "POST",
                    "/users".to_string(),
                    Some(
                        json!({"username": format!("moi{n}"), "role": "viewer", "scope_code": code, "password": PASSWORD}),
                    ),
                    admin_create,
                ),
            ];
            for (method, path, body, expect) in cases {
                let res = app.api(method, &path, Some(&actor.token), body).await;
                let want = expect(ri, inside);
                assert_eq!(
                    res.status.as_u16(),
                    want,
                    "{} {method} {path}: {}",
                    roles[ri],
                    res.text
                );
                assert!(
                    !res.text.contains(OUTSIDE_SECRET),
                    "{} {method} {path} leaked: {}",
                    roles[ri],
                    res.text
                );
                if want >= 400 {
                    assert!(
                        res.json()["error"]["message"]
                            .as_str()
                            .is_some_and(|m| !m.is_empty())
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 19);
    // Nothing outside was changed by anyone.
    let outside_writes = app
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE scope_path LIKE '/VN/12/03388/%' AND actor_name LIKE 'u%'",
        )
        .await;
    assert_eq!(outside_writes, 0);
}

#[tokio::test]
async fn every_page_for_every_role_inside_and_outside_scope() {
    let app = TestApp::new().await;
    let roles = ["viewer", "officer", "reviewer", "admin"];
    for r in roles {
        app.user(&format!("u{r}"), r, INSIDE).await;
    }
    let mut n = 0;
    for (ri, r) in roles.iter().enumerate() {
        let b = app.browser(&format!("u{r}"), PASSWORD).await;
        for inside in [true, false] {
            n += 1;
            let code = if inside { INSIDE } else { OUTSIDE };
            let t = targets(&app, code, n).await;
            let pages: Vec<(String, Expect)> = vec![
                (format!("/units/{code}"), read),
                (format!("/villages/{}", t.village), read),
                (format!("/organisations/{}", t.organisation), read),
                (format!("/units/{code}/villages.csv"), read),
                (format!("/audit?unit={code}"), audit),
                (format!("/users/{}", t.user), admin_read),
                ("/users".to_string(), admin_list),
            ];
            for (path, expect) in pages {
                let res = app.page(&b, &path).await;
                assert_eq!(res.status.as_u16(), expect(ri, inside), "{r} GET {path}");
                assert!(!res.text.contains(OUTSIDE_SECRET), "{r} GET {path} leaked");
            }
            let forms: Vec<FormCase> = vec![
                (
                    format!("/units/{code}/villages"),
                    vec![("name", format!("Bản Web {n}")), ("kind", "Bản".into())],
                    |r, i| if r == 0 || !i { 403 } else { 303 },
                ),
                (
                    format!("/villages/{}", t.village),
                    vec![("name", format!("Bản Sửa {n}")), ("kind", "Bản".into())],
                    |r, i| {
                        if !i {
                            404
                        } else if r == 0 {
                            403
                        } else {
                            303
                        }
                    },
                ),
                (format!("/villages/{}/deactivate", t.village), vec![], |r, i| {
                    if !i {
                        404
                    } else if r == 0 {
                        403
                    } else {
                        303
                    }
                }),
                (
                    format!("/organisations/{}/deactivate", t.organisation),
                    vec![],
                    |r, i| {
                        if !i {
                            404
                        } else if r == 0 {
                            403
                        } else {
                            303
                        }
                    },
                ),
            ];
            for (path, fields, expect) in forms {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let res = app.post_form(&b, &path, &fields).await;
                assert_eq!(
                    res.status.as_u16(),
                    expect(ri, inside),
                    "{r} POST {path}: {}",
                    res.text
                );
                assert!(!res.text.contains(OUTSIDE_SECRET), "{r} POST {path} leaked");
            }
        }
    }
}

struct RegistryTargets {
    team: i64,
    member: i64,
    point: i64,
    village: i64,
    registration: i64,
}

async fn registry_targets(app: &TestApp, commune: &str, n: usize, model_type: i64) -> RegistryTargets {
    use antq::registry::models::{self, PointDraft};
    use antq::registry::teams::{self, MemberDraft, TeamDraft};
    let system = Actor::system();
    let secret = if commune == OUTSIDE {
        OUTSIDE_SECRET
    } else {
        "Trong"
    };
    let v = villages::create(
        &app.db,
        &system,
        commune,
        &VillageDraft {
            name: Some(format!("{secret} thôn {n}")),
            kind: Some("Bản".into()),
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
            kind: Some("to_bao_ve_antt".into()),
            name: Some(format!("{secret} tổ {n}")),
            established_on: Some("2024-01-01".into()),
            village_ids: Some(vec![v.id]),
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
            full_name: Some(format!("{secret} người {n}")),
            birth_year: Some(json!(1985)),
            gender: Some("nam".into()),
            joined_on: Some("2024-01-01".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let point = models::create_point(
        &app.db,
        &system,
        commune,
        &PointDraft {
            model_type_id: Some(json!(model_type)),
            name: Some(format!("{secret} điểm {n}")),
            started_on: Some("2024-01-01".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let registration = antq::registry::registrations::register(
        &app.db,
        &system,
        &antq::registry::registrations::RegistrationDraft {
            year: Some(json!(2024)),
            subject_kind: Some("village".into()),
            subject_id: Some(json!(v.id)),
            registered_on: Some("2024-01-10".into()),
            households_resident: Some(json!(10)),
            households_registered: Some(json!(10)),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    RegistryTargets {
        team: team.id,
        member: member.id,
        point: point.id,
        village: v.id,
        registration,
    }
}

#[tokio::test]
async fn every_registry_route_for_every_role_inside_and_outside_scope() {
    let app = TestApp::new().await;
    let model_type = antq::registry::models::create_type(
        &app.db,
        &Actor::system(),
        "VN",
        &antq::registry::models::ModelTypeDraft {
            name: Some("Camera an ninh".into()),
            category: Some("tu_phong".into()),
            field: Some("antt".into()),
            description: None,
        },
    )
    .await
    .unwrap()
    .id;
    let roles = ["viewer", "officer", "reviewer", "admin"];
    let mut actors = Vec::new();
    for r in roles {
        actors.push(app.user(&format!("u{r}"), r, INSIDE).await);
    }
    let mut n = 0;
    let mut checked = 0;
    for (ri, actor) in actors.iter().enumerate() {
        for inside in [true, false] {
            n += 1;
            let code = if inside { INSIDE } else { OUTSIDE };
            let t = registry_targets(&app, code, n, model_type).await;
            // Member import (CSV body) and export.
            let csv = format!(
                "ma_to,ho_ten,chuc_danh,nam_sinh,gioi_tinh,ngay_tham_gia\n{},Người nhập {n},to_vien,1991,nam,01/03/2024\n",
                t.team
            );
            let req = axum::http::Request::post("/api/v1/members/import")
                .header("authorization", format!("Bearer {}", actor.token))
                .body(axum::body::Body::from(csv))
                .unwrap();
            let res = app.request(req).await;
            let want = match (ri, inside) {
                (0, _) => 403,
                (_, true) => 201,
                (_, false) => 422,
            };
            assert_eq!(res.status.as_u16(), want, "{} import: {}", roles[ri], res.text);
            assert!(!res.text.contains(OUTSIDE_SECRET));
            let csv = format!(
                "nam,loai_don_vi,ma_don_vi,ngay_dang_ky,so_ho_thuong_tru,so_ho_dang_ky\n2023,village,{},01/02/2023,10,10\n",
                t.village
            );
            let req = axum::http::Request::post("/api/v1/registrations/import")
                .header("authorization", format!("Bearer {}", actor.token))
                .body(axum::body::Body::from(csv))
                .unwrap();
            let res = app.request(req).await;
            assert_eq!(
                res.status.as_u16(),
                want,
                "{} registrations import: {}",
                roles[ri],
                res.text
            );
            assert!(!res.text.contains(OUTSIDE_SECRET));
            let res = app
                .get(&format!("/units/{code}/members/export?format=csv"), &actor.token)
                .await;
            assert_eq!(res.status.as_u16(), read(ri, inside), "{} export", roles[ri]);
            assert!(!res.text.contains(OUTSIDE_SECRET));
            let cases: Vec<(&str, String, Option<Value>, Expect)> = vec![
                ("GET", format!("/units/{code}/summary?year=2025"), None, read),
                ("GET", format!("/units/{code}/teams"), None, read),
                ("GET", format!("/units/{code}/ratings?year=2025"), None, read),
                ("GET", format!("/units/{code}/model-types"), None, read),
                ("GET", format!("/units/{code}/model-points"), None, read),
                ("GET", format!("/teams/{}", t.team), None, read),
                ("GET", format!("/members/{}", t.member), None, read),
                ("GET", format!("/model-points/{}", t.point), None, read),
                ("GET", format!("/model-points/{}/tree", t.point), None, read),
                (
                    "POST",
                    format!("/units/{code}/teams"),
                    Some(
                        json!({"kind": "to_hoa_giai", "name": format!("Tổ hòa giải {n}"), "established_on": "2024-01-01", "village_ids": []}),
                    ),
                    |r, i| if r == 0 || !i { 403 } else { 422 },
                ),
                (
                    "POST",
                    format!("/units/{code}/model-types"),
                    Some(json!({"name": format!("Mô hình {n}"), "category": "tu_quan", "field": "antt"})),
                    create,
                ),
                (
                    "POST",
                    format!("/units/{code}/model-points"),
                    Some(
                        json!({"model_type_id": model_type, "name": format!("Điểm mới {n}"), "started_on": "2024-02-01", "replicated_from": t.point}),
                    ),
                    create,
                ),
                (
                    "POST",
                    format!("/teams/{}/members", t.team),
                    Some(
                        json!({"full_name": format!("Người mới {n}"), "role": "to_pho", "birth_year": 1990, "gender": "nu", "joined_on": "2024-02-01"}),
                    ),
                    |r, i| if edit(r, i) == 200 { 201 } else { edit(r, i) },
                ),
                (
                    "PATCH",
                    format!("/teams/{}", t.team),
                    Some(json!({"note": "ghi chú"})),
                    edit,
                ),
                (
                    "PATCH",
                    format!("/members/{}", t.member),
                    Some(json!({"phone": "0912345678"})),
                    edit,
                ),
                (
                    "PUT",
                    "/ratings".to_string(),
                    Some(
                        json!({"subject_kind": "member", "subject_id": t.member, "year": 2025, "level": "tot"}),
                    ),
                    edit,
                ),
                (
                    "PATCH",
                    format!("/model-points/{}", t.point),
                    Some(json!({"note": "ghi chú"})),
                    edit,
                ),
                ("POST", format!("/members/{}/leave", t.member), None, edit),
                (
                    "GET",
                    format!("/units/{code}/registrations?year=2025"),
                    None,
                    read,
                ),
                (
                    "POST",
                    "/registrations".to_string(),
                    Some(
                        json!({"year": 2025, "subject_kind": "village", "subject_id": t.village, "registered_on": "2025-02-01", "households_resident": 10, "households_registered": 10}),
                    ),
                    create,
                ),
                (
                    "PATCH",
                    format!("/registrations/{}", t.registration),
                    Some(json!({"plan_ref": "KH 01"})),
                    edit,
                ),
                ("POST", format!("/teams/{}/dissolve", t.team), None, edit),
            ];
            for (method, path, body, expect) in cases {
                let res = app.api(method, &path, Some(&actor.token), body).await;
                assert_eq!(
                    res.status.as_u16(),
                    expect(ri, inside),
                    "{} {method} {path}: {}",
                    roles[ri],
                    res.text
                );
                assert!(
                    !res.text.contains(OUTSIDE_SECRET),
                    "{} {method} {path} leaked: {}",
                    roles[ri],
                    res.text
                );
                checked += 1;
            }
            // The registry pages of the same targets.
            let b = app.browser(&format!("u{}", roles[ri]), PASSWORD).await;
            for (path, expect) in [
                (format!("/units/{code}/teams"), read as Expect),
                (format!("/units/{code}/models"), read),
                (format!("/teams/{}", t.team), read),
                (format!("/model-points/{}", t.point), read),
                (format!("/units/{code}/registrations?year=2025"), read),
            ] {
                let res = app.page(&b, &path).await;
                assert_eq!(
                    res.status.as_u16(),
                    expect(ri, inside),
                    "{} GET {path}",
                    roles[ri]
                );
                assert!(
                    !res.text.contains(OUTSIDE_SECRET),
                    "{} GET {path} leaked",
                    roles[ri]
                );
            }
        }
    }
    assert_eq!(checked, 4 * 2 * 22);
}

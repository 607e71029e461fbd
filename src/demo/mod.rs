//! Demo data: the real units the seed articles report on, a few villages and
//! organisations each (invented names carry the note "dữ liệu minh họa"), and
//! one account per role scoped among them. Written through the services, so
//! it is validated and audited like any other write.

use serde_json::Value;

use crate::auth::Actor;
use crate::db::Db;
use crate::error::Result;
use crate::units::organisations::{self, OrganisationDraft};
use crate::units::villages::{self, VillageDraft};
use crate::users::{self, UserDraft};

mod activities;
mod assessments;
mod lai_chau;
mod tips;

pub const PASSWORD: &str = "antq-demo-2025";
const ILLUSTRATIVE: &str = "dữ liệu minh họa";

/// (username, full name, role, scope code, what the account is for)
pub const ACCOUNTS: [(&str, &str, &str, &str, &str); 7] = [
    ("quantri", "Quản trị hệ thống (demo)", "admin", "VN", "toàn quốc"),
    (
        "v05.bocongan",
        "Cán bộ Cục V05 (demo)",
        "reviewer",
        "VN",
        "toàn quốc",
    ),
    (
        "laichau.ptxd",
        "Phòng xây dựng phong trào, Công an tỉnh Lai Châu (demo)",
        "reviewer",
        "12",
        "Tỉnh Lai Châu",
    ),
    (
        "khonglao.ca",
        "Công an xã Khổng Lào (demo)",
        "officer",
        "03583",
        "Xã Khổng Lào",
    ),
    (
        "khonglao.ubnd",
        "Thường trực Ban Chỉ đạo xã Khổng Lào (demo)",
        "reviewer",
        "03583",
        "Xã Khổng Lào",
    ),
    (
        "sonla.ptxd",
        "Phòng xây dựng phong trào, Công an tỉnh Sơn La (demo)",
        "reviewer",
        "14",
        "Tỉnh Sơn La",
    ),
    (
        "thanhhoa.bcd",
        "Ban Chỉ đạo tỉnh Thanh Hóa (demo)",
        "viewer",
        "38",
        "Tỉnh Thanh Hóa",
    ),
];

/// (commune code, village kind, name, households, population, ethnic groups, border area)
const VILLAGES: [(&str, &str, &str, i64, i64, &str, bool); 14] = [
    // Lai Châu: Xã Khổng Lào (seed 000, Ngày hội 2023).
    ("03583", "Bản", "Bản Khổng Lào", 152, 690, "Thái, Kinh", false),
    ("03583", "Bản", "Bản Nà Cúng", 118, 540, "Thái", false),
    ("03583", "Bản", "Bản Phiêng Chá", 96, 470, "Mông", true),
    // Lai Châu: Phường Đoàn Kết, which Xã Sùng Phài (03403) became (seed 002).
    ("03388", "Bản", "Bản Sùng Phài", 210, 1020, "Mông, Dao", false),
    ("03388", "Bản", "Bản Cư Nhà La", 134, 650, "Mông", false),
    (
        "03388",
        "Tổ dân phố",
        "Tổ dân phố số 1",
        320,
        1180,
        "Kinh, Thái",
        false,
    ),
    // Lào Cai: Phường Lào Cai (seed 003).
    (
        "02647",
        "Tổ dân phố",
        "Tổ dân phố Phố Mới 1",
        280,
        1010,
        "Kinh",
        true,
    ),
    (
        "02647",
        "Tổ dân phố",
        "Tổ dân phố Phố Mới 2",
        265,
        960,
        "Kinh, Tày",
        true,
    ),
    // Thanh Hóa: Xã Quan Sơn, formerly Thị trấn Sơn Lư (seed 001, Ngày hội 2023).
    (
        "15016",
        "Khu phố",
        "Khu phố Sơn Lư 1",
        175,
        720,
        "Thái, Kinh",
        false,
    ),
    ("15016", "Bản", "Bản Na Lộc", 140, 610, "Thái", false),
    ("15016", "Bản", "Bản Bôn", 122, 560, "Thái", false),
    // Sơn La: Xã Ngọc Chiến (showcase of Bộ Công an in 2023).
    ("03820", "Bản", "Bản Ngọc Chiến", 190, 920, "Thái, Mông", false),
    ("03820", "Bản", "Bản Nậm Nghiệp", 160, 830, "Mông", false),
    ("03820", "Bản", "Bản Phiêng Cà", 105, 500, "Thái", false),
];

/// (unit code, kind, name)
const ORGANISATIONS: [(&str, &str, &str); 6] = [
    ("12", "co_quan", "Sở Tư pháp tỉnh Lai Châu"),
    (
        "03583",
        "co_so_giao_duc",
        "Trường Phổ thông dân tộc bán trú Trung học cơ sở Khổng Lào",
    ),
    ("03583", "co_quan", "Trạm Y tế xã Khổng Lào"),
    ("02647", "doanh_nghiep", "Công ty cổ phần Vận tải Lào Cai"),
    ("15016", "co_so_giao_duc", "Trường Trung học cơ sở Sơn Lư"),
    ("03820", "co_so_giao_duc", "Trường Tiểu học Ngọc Chiến"),
];

/// Loads the demo once; a second run finds it and does nothing.
pub async fn load(db: &Db) -> Result<bool> {
    load_with_key(db, &crate::tips::identity::TipKey::random()).await
}

/// The demo, with the tip key the server seals identities under (so the
/// demo tips' reporter can be read back on that server).
pub async fn load_with_key(db: &Db, tip_key: &crate::tips::identity::TipKey) -> Result<bool> {
    let done: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'demo_loaded'")
        .fetch_optional(&db.pool)
        .await?;
    if done.is_some() {
        return Ok(false);
    }
    let system = Actor::system();
    for (username, full_name, role, scope, _) in ACCOUNTS {
        if users::find_by_username(db, username).await?.is_none() {
            let draft = UserDraft {
                username: Some(username.into()),
                full_name: Some(full_name.into()),
                role: Some(role.into()),
                scope_code: Some(scope.into()),
                password: Some(PASSWORD.into()),
                disabled: None,
            };
            users::create(db, &system, &draft).await?;
        }
    }
    for (commune, kind, name, households, population, ethnic, border) in VILLAGES {
        let draft = VillageDraft {
            name: Some(name.into()),
            kind: Some(kind.into()),
            households: Some(Value::from(households)),
            population: Some(Value::from(population)),
            ethnic_groups: Some(ethnic.into()),
            border_area: Some(Value::Bool(border)),
            religious_area: None,
            key_area: None,
            note: Some(ILLUSTRATIVE.into()),
            // The commune of before 1/7/2025 the village lay in (for the
            // phase 2013–2023 on the map of its time; lai_chau.rs).
            legacy_code: lai_chau::old_commune_of(name).map(str::to_string),
            founded_on: None,
        };
        villages::create(db, &system, commune, &draft).await?;
    }
    for (unit, kind, name) in ORGANISATIONS {
        let draft = OrganisationDraft {
            name: Some(name.into()),
            kind: Some(kind.into()),
            address: None,
            note: Some(ILLUSTRATIVE.into()),
            // A primary school is outside "An toàn về ANTT" (Thông tư 124 Điều 1).
            antt_excluded: Some(Value::Bool(name.contains("Tiểu học"))),
        };
        organisations::create(db, &system, unit, &draft).await?;
    }
    registries(db, &system).await?;
    activities::load(db, &system).await?;
    assessments::load(db).await?;
    let officer = crate::auth::actor::by_username(db, "khonglao.ca").await?;
    tips::load(db, tip_key, &officer).await?;
    lai_chau::load(db).await?;
    sqlx::query("INSERT INTO meta (key, value) VALUES ('demo_loaded', $1)")
        .bind(crate::db::now())
        .execute(&db.pool)
        .await?;
    Ok(true)
}

/// Model types the seed articles name, defined at the nation.
const MODEL_TYPES: [(&str, &str, &str); 5] = [
    ("Camera an ninh", "tu_phong", "antt"),
    ("Dòng họ tự quản về an ninh, trật tự", "tu_quan", "antt"),
    ("5 không, 3 sạch", "tu_quan", "antt"),
    ("Ngõ tự quản", "tu_quan", "antt"),
    (
        "Tổ cựu chiến binh tham gia bảo vệ an ninh, trật tự",
        "tu_bao_ve",
        "antt",
    ),
];

/// Teams, members, ratings 2023–2025 and model points for the demo
/// communes. Names of people are invented and say so.
async fn registries(db: &Db, system: &Actor) -> Result<()> {
    use crate::registry::models::{self, ModelTypeDraft, PointDraft};
    use crate::registry::ratings::{self, RatingDraft};
    use crate::registry::teams::{self, MemberDraft, TeamDraft};
    use serde_json::json;

    let mut type_ids = Vec::new();
    for (name, category, field) in MODEL_TYPES {
        let draft = ModelTypeDraft {
            name: Some(name.into()),
            category: Some(category.into()),
            field: Some(field.into()),
            description: None,
        };
        type_ids.push(models::create_type(db, system, "VN", &draft).await?.id);
    }
    // Registrations 2023–2025 of every demo commune, village and
    // organisation; 2026 is left open so the pages show who has not registered.
    use crate::registry::registrations::{self, RegistrationDraft};
    for year in 2023..=2025_i64 {
        for commune in ["03583", "03388", "02647", "15016", "03820"] {
            let unit = crate::units::find_current(db, commune)
                .await?
                .ok_or_else(crate::error::AppError::not_found)?;
            let on = format!("{year}-01-15");
            let reg =
                |kind: &str, id: Value, resident: Option<i64>, registered: Option<i64>| RegistrationDraft {
                    year: Some(json!(year)),
                    subject_kind: Some(kind.into()),
                    subject_id: Some(id),
                    registered_on: Some(on.clone()),
                    resolution_ref: Some(format!("Nghị quyết số {:02}-NQ/ĐU ({ILLUSTRATIVE})", year - 2020)),
                    plan_ref: Some(format!("Kế hoạch số {:02}/KH-UBND ({ILLUSTRATIVE})", year - 2018)),
                    households_resident: resident.map(Value::from),
                    households_registered: registered.map(Value::from),
                    note: None,
                };
            registrations::register(db, system, &reg("commune", json!(commune), None, None)).await?;
            for (i, v) in villages::list(db, system, &unit, false).await?.iter().enumerate() {
                let resident = v.households.unwrap_or(100);
                // One village a year falls short of 100%, as happens.
                let registered = if i == (year as usize) % 3 {
                    resident - 3
                } else {
                    resident
                };
                registrations::register(
                    db,
                    system,
                    &reg("village", json!(v.id), Some(resident), Some(registered)),
                )
                .await?;
            }
            for o in organisations::list(db, system, &unit).await? {
                if o.unit_code == commune && !o.antt_excluded {
                    registrations::register(db, system, &reg("organisation", json!(o.id), None, None))
                        .await?;
                }
            }
        }
    }

    let given = [
        "An", "Bình", "Cường", "Dũng", "Hà", "Lan", "Minh", "Nam", "Phúc", "Quý", "Sơn", "Thảo",
    ];
    let mut n = 0;
    for commune in ["03583", "03388", "15016", "03820"] {
        let unit = crate::units::find_current(db, commune)
            .await?
            .ok_or_else(crate::error::AppError::not_found)?;
        let villages = villages::list(db, system, &unit, false).await?;
        let mut first_point: Option<i64> = None;
        for (i, v) in villages.iter().enumerate() {
            // An older people's security team (rated since 2023) and, after
            // Luật 30/2023/QH15 took effect on 01/07/2024, the security team.
            let mut team_ids = Vec::new();
            for (kind, label, est) in [
                ("to_an_ninh_nhan_dan", "Tổ an ninh nhân dân", "2020-03-01"),
                (teams::SECURITY_TEAM, "Tổ bảo vệ an ninh, trật tự", "2024-07-01"),
            ] {
                let team = teams::create_team(
                    db,
                    system,
                    commune,
                    &TeamDraft {
                        kind: Some(kind.into()),
                        name: Some(format!("{label} {}", v.name)),
                        established_on: Some(est.into()),
                        village_ids: Some(vec![v.id]),
                        note: Some(ILLUSTRATIVE.into()),
                    },
                )
                .await?;
                team_ids.push(team.id);
                let mut member_ids = Vec::new();
                for (r, role) in ["to_truong", "to_pho", "to_vien"].into_iter().enumerate() {
                    n += 1;
                    let gender = if n % 3 == 0 { "nu" } else { "nam" };
                    let middle = if gender == "nu" { "Thị" } else { "Văn" };
                    let m = teams::add_member(
                        db,
                        system,
                        team.id,
                        &MemberDraft {
                            role: Some(role.into()),
                            full_name: Some(format!("Lò {middle} {} {n}", given[n % given.len()])),
                            birth_year: Some(json!(1965 + (n % 30) as i64 + r as i64)),
                            gender: Some(gender.into()),
                            joined_on: Some(est.into()),
                            phone: None,
                            citizen_id: None,
                        },
                    )
                    .await?;
                    member_ids.push(m.id);
                }
                let years: &[i64] = if kind == teams::SECURITY_TEAM {
                    &[2025]
                } else {
                    &[2023, 2024, 2025]
                };
                for &year in years {
                    let rate = |kind: &str, id: i64, level: &str| RatingDraft {
                        subject_kind: Some(kind.into()),
                        subject_id: Some(id),
                        year: Some(year),
                        level: Some(level.into()),
                        note: None,
                    };
                    ratings::rate(db, system, &rate("team", team.id, "tot")).await?;
                    for (k, id) in member_ids.iter().enumerate() {
                        let level = if k == 0 {
                            "tot"
                        } else if k == 1 {
                            "hoan_thanh"
                        } else {
                            "tot"
                        };
                        ratings::rate(db, system, &rate("member", *id, level)).await?;
                    }
                }
            }
            let type_id = type_ids[i % type_ids.len()];
            let started = format!("{}-0{}-01", 2021 + i, 3 + i % 6);
            let point = models::create_point(
                db,
                system,
                commune,
                &PointDraft {
                    model_type_id: Some(json!(type_ids[0])),
                    village_id: Some(json!(v.id)),
                    name: format!("Camera an ninh {}", v.name).into(),
                    started_on: Some(started.clone()),
                    replicated_from: first_point.map(|p| json!(p)),
                    team_ids: Some(vec![team_ids[1]]),
                    lat: unit.lat.map(|x| json!(x + 0.001 * i as f64)),
                    lon: unit.lon.map(|x| json!(x)),
                    note: Some(ILLUSTRATIVE.into()),
                    ..Default::default()
                },
            )
            .await?;
            first_point.get_or_insert(point.id);
            if type_id != type_ids[0] {
                models::create_point(
                    db,
                    system,
                    commune,
                    &PointDraft {
                        model_type_id: Some(json!(type_id)),
                        village_id: Some(json!(v.id)),
                        name: format!("{} – {}", MODEL_TYPES[i % MODEL_TYPES.len()].0, v.name).into(),
                        started_on: Some(started),
                        team_ids: Some(vec![team_ids[0]]),
                        note: Some(ILLUSTRATIVE.into()),
                        ..Default::default()
                    },
                )
                .await?;
            }
        }
    }
    Ok(())
}

pub fn print_accounts() {
    println!("Demo accounts (password for all: {PASSWORD}):");
    for (username, _, role, scope, place) in ACCOUNTS {
        println!("  {username:<14} {role:<9} scope {scope:<6} {place}");
    }
}

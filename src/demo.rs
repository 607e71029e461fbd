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

pub const PASSWORD: &str = "antq-demo-2025";
const ILLUSTRATIVE: &str = "dữ liệu minh họa";

/// (username, full name, role, scope code, what the account is for)
pub const ACCOUNTS: [(&str, &str, &str, &str, &str); 5] = [
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
        "Trường Phổ thông dân tộc bán trú Tiểu học Khổng Lào",
    ),
    ("03583", "co_quan", "Trạm Y tế xã Khổng Lào"),
    ("02647", "doanh_nghiep", "Công ty cổ phần Vận tải Lào Cai"),
    ("15016", "co_so_giao_duc", "Trường Trung học cơ sở Sơn Lư"),
    ("03820", "co_so_giao_duc", "Trường Tiểu học Ngọc Chiến"),
];

/// Loads the demo once; a second run finds it and does nothing.
pub async fn load(db: &Db) -> Result<bool> {
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
        };
        villages::create(db, &system, commune, &draft).await?;
    }
    for (unit, kind, name) in ORGANISATIONS {
        let draft = OrganisationDraft {
            name: Some(name.into()),
            kind: Some(kind.into()),
            address: None,
            note: Some(ILLUSTRATIVE.into()),
        };
        organisations::create(db, &system, unit, &draft).await?;
    }
    sqlx::query("INSERT INTO meta (key, value) VALUES ('demo_loaded', $1)")
        .bind(crate::db::now())
        .execute(&db.pool)
        .await?;
    Ok(true)
}

pub fn print_accounts() {
    println!("Demo accounts (password for all: {PASSWORD}):");
    for (username, _, role, scope, place) in ACCOUNTS {
        println!("  {username:<14} {role:<9} scope {scope:<6} {place}");
    }
}

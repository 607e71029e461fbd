//! Exports of the registry lists as CSV or XLSX, no row cap. Members have
//! their own import/export in members_io.rs.

use super::models::{self, PointFilter};
use super::registrations;
use super::teams::{self, TeamFilter};
use crate::auth::Actor;
use crate::db::Db;
use crate::error::Result;
use crate::tabular::{self, Format};
use crate::text::format_date;
use crate::units::Unit;

pub const TEAM_COLUMNS: [&str; 8] = [
    "ma_to",
    "ma_xa",
    "loai",
    "ten",
    "ngay_thanh_lap",
    "ngay_giai_the",
    "ma_thon",
    "ghi_chu",
];
pub const POINT_COLUMNS: [&str; 15] = [
    "ma_diem",
    "ma_xa",
    "mo_hinh",
    "ten",
    "ma_thon",
    "ngay_bat_dau",
    "trang_thai",
    "ngay_ket_thuc",
    "nhan_rong_tu",
    "qd_dien_hinh",
    "ngay_dien_hinh",
    "co_quan_dien_hinh",
    "vi_do",
    "kinh_do",
    "ma_to",
];
pub const REGISTRATION_COLUMNS: [&str; 10] = [
    "nam",
    "loai_don_vi",
    "ma_don_vi",
    "ten_don_vi",
    "ma_xa",
    "ngay_dang_ky",
    "nghi_quyet",
    "ke_hoach",
    "so_ho_thuong_tru",
    "so_ho_dang_ky",
];

pub async fn teams(db: &Db, actor: &Actor, unit: &Unit, format: Format) -> Result<Vec<u8>> {
    let filter = TeamFilter {
        all: Some("1".into()),
        ..Default::default()
    };
    let rows: Vec<Vec<String>> = teams::list_teams(db, actor, unit, &filter)
        .await?
        .into_iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.commune_code,
                t.kind,
                t.name,
                format_date(&t.established_on),
                t.dissolved_on.as_deref().map(format_date).unwrap_or_default(),
                t.village_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(";"),
                t.note,
            ]
        })
        .collect();
    tabular::write(format, "Tổ, đội", &TEAM_COLUMNS, &rows)
}

pub async fn points(db: &Db, actor: &Actor, unit: &Unit, format: Format) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = models::list_points(db, actor, unit, &PointFilter::default())
        .await?
        .into_iter()
        .map(|p| {
            vec![
                p.id.to_string(),
                p.commune_code,
                p.model_name,
                p.name,
                tabular::opt(&p.village_id),
                format_date(&p.started_on),
                p.status,
                p.ended_on.as_deref().map(format_date).unwrap_or_default(),
                tabular::opt(&p.replicated_from),
                tabular::opt(&p.advanced_decision),
                p.advanced_on.as_deref().map(format_date).unwrap_or_default(),
                tabular::opt(&p.advanced_issuer),
                tabular::opt(&p.lat),
                tabular::opt(&p.lon),
                p.team_ids
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(";"),
            ]
        })
        .collect();
    tabular::write(format, "Điểm mô hình", &POINT_COLUMNS, &rows)
}

pub async fn registrations(
    db: &Db,
    actor: &Actor,
    unit: &Unit,
    year: i64,
    format: Format,
) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = registrations::list(db, actor, unit, year)
        .await?
        .into_iter()
        .map(|r| {
            vec![
                r.year.to_string(),
                r.subject_kind,
                r.subject_id,
                r.subject_name,
                r.unit_code,
                format_date(&r.registered_on),
                r.resolution_ref,
                r.plan_ref,
                tabular::opt(&r.households_resident),
                tabular::opt(&r.households_registered),
            ]
        })
        .collect();
    tabular::write(format, "Đăng ký", &REGISTRATION_COLUMNS, &rows)
}

//! Import of model points from CSV or XLSX in the export's columns: a row
//! with `ma_diem` updates that point (skipped when nothing changed), a row
//! without creates one in `ma_xa`. The model is named as in the export and
//! looked up among the types usable in the commune. All rows or none.

use serde_json::Value;

use super::exports::POINT_COLUMNS as C;
use super::models::{self, PointDraft};
use crate::auth::{Action, Actor, policy};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::input::shorten;
use crate::tabular;
use crate::text::fold;

pub const SHEET: &str = "Điểm mô hình";

#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn col(name: &str) -> usize {
    C.iter().position(|c| *c == name).unwrap_or(0)
}

/// The export's text of a point, to tell an unchanged row.
fn exported(p: &models::Point) -> Vec<String> {
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let date = |v: &Option<String>| v.as_deref().map(crate::text::format_date).unwrap_or_default();
    vec![
        p.id.to_string(),
        p.commune_code.clone(),
        p.model_name.clone(),
        p.name.clone(),
        p.village_id.map(|v| v.to_string()).unwrap_or_default(),
        crate::text::format_date(&p.started_on),
        p.status.clone(),
        date(&p.ended_on),
        p.replicated_from.map(|v| v.to_string()).unwrap_or_default(),
        opt(&p.advanced_decision),
        date(&p.advanced_on),
        opt(&p.advanced_issuer),
        p.lat.map(|v| v.to_string()).unwrap_or_default(),
        p.lon.map(|v| v.to_string()).unwrap_or_default(),
        p.team_ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(";"),
    ]
}

/// True when the row repeats what the point holds (teams only when the
/// file has their column).
fn unchanged(p: &models::Point, cells: &[String], teams_given: bool) -> bool {
    let have = exported(p);
    let last = if teams_given { have.len() } else { have.len() - 1 };
    have[1..last] == cells[1..last]
}

pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Report> {
    policy::require_role(actor, Action::EditGeography)?;
    let table = tabular::read_table(bytes, SHEET, &C, &[])?;
    let teams_given = table.present[col("ma_to")];
    let records = table.records;
    let mut tx = db.begin().await?;
    let mut errors = tabular::RowErrors::default();
    let mut report = Report::default();
    for r in &records {
        let cell = |name: &str| r.get(col(name));
        let value = |name: &str| cell(name).map(Value::String);
        let mut draft = PointDraft {
            model_type_id: None,
            village_id: value("ma_thon"),
            name: cell("ten"),
            started_on: cell("ngay_bat_dau"),
            status: cell("trang_thai"),
            ended_on: cell("ngay_ket_thuc"),
            replicated_from: value("nhan_rong_tu"),
            advanced_decision: cell("qd_dien_hinh"),
            advanced_on: cell("ngay_dien_hinh"),
            advanced_issuer: cell("co_quan_dien_hinh"),
            lat: value("vi_do"),
            lon: value("kinh_do"),
            note: None,
            // Implementing teams by code, ';'-separated (an unreadable code
            // is reported like a team that does not exist); a file without
            // the column leaves them as they are.
            team_ids: teams_given.then(|| {
                cell("ma_to")
                    .unwrap_or_default()
                    .split(';')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|t| t.parse::<i64>().unwrap_or(-1))
                    .collect()
            }),
        };
        let outcome: Result<&str> = async {
            let existing = match cell("ma_diem") {
                None => None,
                Some(raw) => {
                    let id = raw.parse::<i64>().map_err(|_| {
                        AppError::field("ma_diem", format!("Mã điểm: \"{}\" không hợp lệ.", shorten(&raw)))
                    })?;
                    let point = models::get_point_in_tx(&mut tx, actor, id).await.map_err(|_| {
                        AppError::field(
                            "ma_diem",
                            format!("Mã điểm: không có điểm số {id} trong phạm vi của bạn."),
                        )
                    })?;
                    Some(point)
                }
            };
            let code = match (&existing, cell("ma_xa")) {
                (Some(p), Some(code)) if code != p.commune_code => {
                    return Err(AppError::field(
                        "ma_xa",
                        format!(
                            "Mã xã: điểm số {} thuộc xã {}; điểm không chuyển sang xã khác được.",
                            p.id, p.commune_code
                        ),
                    ));
                }
                (Some(p), _) => p.commune_code.clone(),
                (None, Some(code)) => code,
                (None, None) => {
                    return Err(AppError::field(
                        "ma_xa",
                        "Mã xã: không được để trống khi tạo điểm mới.",
                    ));
                }
            };
            let commune = crate::units::villages::commune_for_write(db, actor, &code).await?;
            let model_name = cell("mo_hinh").unwrap_or_default();
            let model = models::types_available(db, &commune)
                .await?
                .into_iter()
                .find(|t| fold(&t.name) == fold(&model_name))
                .ok_or_else(|| {
                    AppError::field(
                        "mo_hinh",
                        format!(
                            "Mô hình: \"{}\" không có tại {}.",
                            shorten(&model_name),
                            commune.name
                        ),
                    )
                })?;
            draft.model_type_id = Some(Value::from(model.id));
            match existing {
                Some(p) if unchanged(&p, &r.cells, teams_given) => Ok("unchanged"),
                Some(p) => models::update_point_in_tx(db, &mut tx, actor, p.id, &draft)
                    .await
                    .map(|_| "updated"),
                None => models::create_point_in_tx(&mut tx, actor, &commune, &draft)
                    .await
                    .map(|_| "created"),
            }
        }
        .await;
        match outcome {
            Ok("created") => report.created += 1,
            Ok("updated") => report.updated += 1,
            Ok(_) => report.unchanged += 1,
            Err(e) => errors.refused(r.line, e)?,
        }
    }
    // Dropping the transaction undoes the rows that were fine.
    errors.finish()?;
    tx.commit().await?;
    Ok(report)
}

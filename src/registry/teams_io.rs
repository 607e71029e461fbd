//! Import of teams from CSV or XLSX in the export's columns. A row with a
//! `ma_to` updates that team (skipped when nothing changed); a row without
//! one creates a team. So an export imported back is a no-op, and a list
//! edited in a spreadsheet comes back as updates. All rows or none.

use super::exports::TEAM_COLUMNS as C;
use super::teams::{self, Team, TeamDraft};
use crate::auth::{Action, Actor, policy};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::input::shorten;
use crate::tabular;

pub const SHEET: &str = "Tổ, đội";

#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

fn col(name: &str) -> usize {
    C.iter().position(|c| *c == name).unwrap_or(0)
}

/// True when the row says what the team already holds.
fn same(team: &Team, draft: &TeamDraft) -> bool {
    let mut ids = draft.village_ids.clone().unwrap_or_default();
    ids.sort_unstable();
    let mut have = team.village_ids.clone();
    have.sort_unstable();
    let date = draft
        .established_on
        .as_deref()
        .and_then(crate::input::parse_date)
        .map(|d| d.to_string());
    draft.kind.as_deref() == Some(team.kind.as_str())
        && draft.name.as_deref().map(crate::text::clean_name) == Some(team.name.clone())
        && date.as_deref() == Some(team.established_on.as_str())
        && draft.note.clone().unwrap_or_default() == team.note
        && ids == have
}

pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Report> {
    policy::require_role(actor, Action::EditGeography)?;
    let records = tabular::read(bytes, SHEET, &C)?;
    let mut tx = db.begin().await?;
    let mut errors = tabular::RowErrors::default();
    let mut report = Report::default();
    for r in &records {
        let mut village_ids = Vec::new();
        let mut bad_ids = Vec::new();
        for part in r
            .get(col("ma_thon"))
            .unwrap_or_default()
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.parse::<i64>() {
                Ok(id) => village_ids.push(id),
                Err(_) => bad_ids.push(part.to_string()),
            }
        }
        let draft = TeamDraft {
            kind: r.get(col("loai")),
            name: r.get(col("ten")),
            established_on: r.get(col("ngay_thanh_lap")),
            village_ids: Some(village_ids),
            note: Some(r.get(col("ghi_chu")).unwrap_or_default()),
        };
        let outcome: Result<&str> = if let Some(bad) = bad_ids.first() {
            Err(AppError::field(
                "ma_thon",
                format!("Mã thôn: \"{}\" không phải mã số.", shorten(bad)),
            ))
        } else {
            match r.get(col("ma_to")) {
                Some(raw) => match raw.parse::<i64>() {
                    Err(_) => Err(AppError::field(
                        "ma_to",
                        format!("Mã tổ: \"{}\" không hợp lệ.", shorten(&raw)),
                    )),
                    Ok(id) => match teams::team_in_tx(&mut tx, actor, id, "").await {
                        Err(_) => Err(AppError::field(
                            "ma_to",
                            format!("Mã tổ: không có tổ số {id} trong phạm vi của bạn."),
                        )),
                        Ok(team) if same(&team, &draft) => Ok("unchanged"),
                        Ok(_) => teams::update_team_in_tx(db, &mut tx, actor, id, &draft)
                            .await
                            .map(|_| "updated"),
                    },
                },
                None => match r.get(col("ma_xa")) {
                    None => Err(AppError::field(
                        "ma_xa",
                        "Mã xã: không được để trống khi tạo tổ mới.",
                    )),
                    Some(code) => match crate::units::villages::commune_for_write(db, actor, &code).await {
                        Err(e) => Err(e),
                        Ok(commune) => teams::create_team_in_tx(&mut tx, actor, &commune, &draft)
                            .await
                            .map(|_| "created"),
                    },
                },
            }
        };
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

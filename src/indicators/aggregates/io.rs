//! Entered totals as CSV or XLSX: an export with no row cap, and an
//! all-or-nothing import. A row names its indicator, place and year; when
//! that place already has a value for the year the row corrects it (a
//! province sends its corrected totals again), otherwise it records a new
//! one — so an export imported back changes nothing.

use super::{AggregateDraft, AggregateValue, Filter};
use crate::auth::{Actor, policy};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::tabular::{self, Format, RowErrors};
use crate::units::Unit;
use serde_json::Value;

pub const COLUMNS: [&str; 9] = [
    "ma_chi_tieu",
    "chi_tieu",
    "ma_don_vi",
    "ten_don_vi",
    "ma_don_vi_cu",
    "nam",
    "gia_tri",
    "nguon",
    "ghi_chu",
];

pub const SHEET: &str = "Số liệu tổng hợp";

fn row_of(v: &AggregateValue) -> Vec<String> {
    vec![
        v.indicator.clone(),
        v.indicator_name.clone(),
        v.unit_code.clone(),
        v.place(),
        tabular::opt(&v.legacy_code),
        v.year.to_string(),
        v.value.to_string(),
        v.source.clone(),
        v.note.clone(),
    ]
}

pub async fn export(db: &Db, actor: &Actor, unit: &Unit, f: &Filter, format: Format) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = super::list(db, actor, unit, f)
        .await?
        .iter()
        .map(row_of)
        .collect();
    tabular::write(format, SHEET, &COLUMNS, &rows)
}

#[derive(Debug, Default, serde::Serialize)]
pub struct Imported {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Imported> {
    policy::require_role(actor, super::ACTION)?;
    let records = tabular::read(bytes, SHEET, &COLUMNS)?;
    let mut tx = db.begin().await?;
    let mut errors = RowErrors::default();
    let mut done = Imported::default();
    for r in &records {
        let cell = |name: &str| COLUMNS.iter().position(|x| *x == name).and_then(|i| r.get(i));
        let draft = AggregateDraft {
            indicator: cell("ma_chi_tieu"),
            unit_code: cell("ma_don_vi"),
            legacy_code: cell("ma_don_vi_cu"),
            year: cell("nam").map(Value::String),
            value: cell("gia_tri").map(Value::String),
            source: Some(cell("nguon").unwrap_or_default()),
            note: Some(cell("ghi_chu").unwrap_or_default()),
        };
        // The row's place and year already have a value: correct it. The
        // place is resolved as the service resolves it (a commune formed
        // from one old commune is that one's for a year before 2025).
        let result = match super::parse(&mut tx, actor, &draft).await {
            Ok(input) => match existing(&mut tx, &input).await? {
                Some(id) => super::update_in_tx(db, &mut tx, actor, id, &draft)
                    .await
                    .map(|changed| match changed {
                        Some(_) => done.updated += 1,
                        None => done.unchanged += 1,
                    }),
                None => super::create_parsed(&mut tx, actor, &input)
                    .await
                    .map(|_| done.created += 1),
            },
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => {}
            Err(e @ AppError::Internal(_)) => return Err(e),
            Err(e) => errors.refused(r.line, e)?,
        }
    }
    errors.finish()?;
    tx.commit().await?;
    Ok(done)
}

/// The id of the value already entered for the input's indicator, place
/// and year, if any.
async fn existing(tx: &mut crate::db::Tx, input: &super::Input) -> Result<Option<i64>> {
    let id = sqlx::query_scalar(
        "SELECT id FROM aggregate_values WHERE indicator = $1 AND subject_key = $2 AND year = $3",
    )
    .bind(input.indicator.code)
    .bind(input.subject_key())
    .bind(input.year)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(id)
}

//! CSV import and export of villages. Import is all or nothing: every row is
//! parsed and checked first, every bad row is reported with its line number,
//! and only a clean file is written, in one transaction. Export writes the
//! same columns, so export → import round-trips.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::Unit;
use super::villages::{self, Village, VillageDraft, labels};
use crate::auth::{Action, Actor, policy};
use crate::db::Db;
use crate::error::{AppError, Invalid, Result};
use crate::input::shorten;
use crate::tabular::{self, Format};
use crate::text::name_key;

/// Columns of the file, with the English aliases also accepted.
pub const COLUMNS: [(&str, &str); 12] = [
    ("ma_xa", "commune_code"),
    ("ten", "name"),
    ("loai", "kind"),
    ("so_ho", "households"),
    ("so_nhan_khau", "population"),
    ("dan_toc", "ethnic_groups"),
    ("bien_gioi", "border_area"),
    ("ton_giao", "religious_area"),
    ("trong_diem", "key_area"),
    ("ghi_chu", "note"),
    ("ma_xa_cu", "legacy_code"),
    ("ngay_thanh_lap", "founded_on"),
];

/// The XLSX sheet villages are read from and written to.
pub const SHEET: &str = "Thôn, tổ dân phố";

#[derive(Debug)]
pub struct Report {
    pub created: usize,
}

/// Imports villages from CSV or XLSX. `default_commune` fills rows of a file
/// without a `ma_xa` column (an import started from a commune's page).
pub async fn import_villages(
    db: &Db,
    actor: &Actor,
    bytes: &[u8],
    default_commune: Option<&str>,
) -> Result<Report> {
    policy::require_role(actor, Action::EditGeography)?;
    // An import started on a commune outside the scope is refused whole,
    // before the file is even read.
    if let Some(code) = default_commune {
        villages::commune_for_write(db, actor, code).await?;
    }
    let names: Vec<&str> = COLUMNS.iter().map(|(vi, _)| *vi).collect();
    let aliases: Vec<(&str, &str)> = COLUMNS.iter().map(|(vi, en)| (*en, *vi)).collect();
    let table = tabular::read_table(bytes, SHEET, &names, &aliases)?;
    let col = |name: &str| names.iter().position(|n| *n == name).unwrap_or(0);
    for required in ["ten", "loai"] {
        if !table.present[col(required)] {
            return Err(AppError::field("file", format!("Tệp: thiếu cột \"{required}\".")));
        }
    }
    if !table.present[col("ma_xa")] && default_commune.is_none() {
        return Err(AppError::field("file", "Tệp: thiếu cột \"ma_xa\" (mã xã)."));
    }

    let mut errors = Invalid::default();
    let mut communes: HashMap<String, Result<Unit, String>> = HashMap::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut rows: Vec<(u64, Unit, villages::VillageInput)> = Vec::new();
    for record in &table.records {
        let line = record.line;
        let cell = |name: &str| record.get(col(name));
        let draft = VillageDraft {
            name: cell("ten"),
            kind: cell("loai"),
            households: cell("so_ho").map(Value::String),
            population: cell("so_nhan_khau").map(Value::String),
            ethnic_groups: cell("dan_toc"),
            border_area: cell("bien_gioi").map(Value::String),
            religious_area: cell("ton_giao").map(Value::String),
            key_area: cell("trong_diem").map(Value::String),
            note: cell("ghi_chu"),
            legacy_code: cell("ma_xa_cu"),
            founded_on: cell("ngay_thanh_lap"),
        };
        let mut inv = Invalid::default();
        let input = villages::parse(&draft, &mut inv);
        let code = cell("ma_xa").or_else(|| default_commune.map(str::to_string));
        let commune = match code {
            None => Err(format!("{}: không được để trống.", labels::COMMUNE)),
            Some(code) => {
                if !communes.contains_key(&code) {
                    let checked = villages::commune_for_write(db, actor, &code)
                        .await
                        .map_err(|e| e.user_message());
                    communes.insert(code.clone(), checked);
                }
                communes.get(&code).cloned().unwrap_or_else(|| Err(String::new()))
            }
        };
        let mut messages: Vec<String> = inv.into_messages();
        match &commune {
            Err(m) => messages.insert(0, m.clone()),
            Ok(unit) if messages.is_empty() => {
                if !seen.insert((unit.code.clone(), name_key(&input.name))) {
                    messages.push(format!(
                        "{}: \"{}\" bị trùng với một dòng phía trên.",
                        labels::NAME,
                        shorten(&input.name)
                    ));
                }
                if input.legacy_code.is_some() {
                    let mut conn = db.pool.acquire().await?;
                    match villages::check_legacy(&mut conn, unit, &input).await {
                        Ok(()) => {}
                        Err(e @ AppError::Validation { .. }) => messages.push(e.user_message()),
                        Err(e) => return Err(e),
                    }
                }
            }
            Ok(_) => {}
        }
        if messages.is_empty() {
            if let Ok(unit) = commune {
                rows.push((line, unit, input));
            }
        } else {
            errors.add(
                &format!("line {line}"),
                format!("Dòng {line}: {}", messages.join(" ")),
            );
        }
    }
    // Names already in the database are bad rows like any other, reported
    // together with the rest before anything is written.
    let mut existing: HashMap<String, HashSet<String>> = HashMap::new();
    for (line, unit, input) in &rows {
        if !existing.contains_key(&unit.code) {
            let keys: Vec<String> =
                sqlx::query_scalar("SELECT name_key FROM villages WHERE commune_code = $1 AND active = 1")
                    .bind(&unit.code)
                    .fetch_all(&db.pool)
                    .await?;
            existing.insert(unit.code.clone(), keys.into_iter().collect());
        }
        if existing
            .get(&unit.code)
            .is_some_and(|k| k.contains(&name_key(&input.name)))
        {
            errors.add(
                &format!("line {line}"),
                format!(
                    "Dòng {line}: {}: \"{}\" đã có trong {}.",
                    labels::NAME,
                    shorten(&input.name),
                    unit.name
                ),
            );
        }
    }
    if rows.is_empty() && errors.is_empty() {
        return Err(AppError::field("file", "Tệp CSV: không có dòng dữ liệu nào."));
    }
    errors
        .finish()
        .map_err(|e| with_summary(e, "Không nhập dòng nào vì tệp có dòng lỗi."))?;

    let mut tx = db.begin().await?;
    let mut created = 0;
    for (line, commune, input) in &rows {
        match villages::insert(&mut tx, actor, commune, input, "village.import").await {
            Ok(_) => created += 1,
            Err(e @ (AppError::Conflict { .. } | AppError::Validation { .. })) => {
                // Only a concurrent write can get here after the checks above;
                // the transaction is dropped, so nothing is written.
                let mut inv = Invalid::default();
                inv.add(
                    &format!("line {line}"),
                    format!("Dòng {line}: {}", e.user_message()),
                );
                return Err(with_summary(
                    inv.into_error(),
                    "Không nhập dòng nào vì tệp có dòng lỗi.",
                ));
            }
            // A database fault is not the file's fault: 500, logged.
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(Report { created })
}

fn with_summary(err: AppError, summary: &str) -> AppError {
    match err {
        AppError::Validation { message, fields } => AppError::Validation {
            message: format!("{summary} {message}"),
            fields,
        },
        other => other,
    }
}

/// The villages of a unit's subtree as CSV or XLSX, in the import's columns.
pub async fn export_villages(db: &Db, actor: &Actor, unit_code: &str, format: Format) -> Result<Vec<u8>> {
    let unit = super::open_for(db, actor, unit_code).await?;
    let list = villages::list(db, actor, &unit, false).await?;
    let header: Vec<&str> = COLUMNS.iter().map(|(vi, _)| *vi).collect();
    let rows: Vec<Vec<String>> = list.iter().map(|v| row_of(v).to_vec()).collect();
    match format {
        Format::Csv => tabular::write_csv(&header, &rows),
        Format::Xlsx => tabular::write_xlsx(SHEET, &header, &rows),
    }
}

fn row_of(v: &Village) -> [String; 12] {
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    let count = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    [
        v.commune_code.clone(),
        v.name.clone(),
        v.kind.clone(),
        count(v.households),
        count(v.population),
        v.ethnic_groups.clone(),
        flag(v.border_area),
        flag(v.religious_area),
        flag(v.key_area),
        v.note.clone(),
        v.legacy_code.clone().unwrap_or_default(),
        v.founded_on
            .as_deref()
            .map(crate::text::format_date)
            .unwrap_or_default(),
    ]
}

/// Used by the CLI, which names a file instead of a request body.
pub async fn import_file(db: &Db, path: &std::path::Path) -> anyhow::Result<Report> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    import_villages(db, &Actor::system(), &bytes, None)
        .await
        .map_err(|e| {
            let mut msg = e.user_message();
            if let Some(fields) = e.fields() {
                msg = fields.values().cloned().collect::<Vec<_>>().join("\n");
            }
            anyhow::anyhow!("{msg}")
        })
}

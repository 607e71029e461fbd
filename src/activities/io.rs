//! Activities and festival days as CSV or XLSX: exports with no row cap,
//! and an all-or-nothing activities import where a row with its code
//! (`ma_hoat_dong`) updates that record — skipped when unchanged — and a row
//! without creates one, so an export imported back writes nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::festival;
use super::{Activity, ActivityDraft, ActivityFilter};
use crate::auth::{Action, Actor, policy};
use crate::db::{Backend, Db, native};
use crate::error::{AppError, Result};
use crate::tabular::{self, Format, RowErrors};
use crate::text::format_date;
use crate::units::Unit;
use sqlx::Row;

pub const ACTIVITY_COLUMNS: [&str; 19] = [
    "ma_hoat_dong",
    "loai",
    "ma_don_vi",
    "ten_don_vi",
    "ma_thon",
    "ma_don_vi_cu",
    "ngay",
    "ngay_ket_thuc",
    "tu_nam",
    "den_nam",
    "nam",
    "noi_dung",
    "phan_loai",
    "cap",
    "so_luot_nguoi",
    "so_quyet_dinh",
    "don_vi_tham_gia",
    "don_vi_tham_gia_cu",
    "ghi_chu",
];

pub const FESTIVAL_COLUMNS: [&str; 16] = [
    "ma_ngay_hoi",
    "ma_xa",
    "ten_xa",
    "ma_thon",
    "ma_don_vi_cu",
    "nam",
    "ngay",
    "ly_do_ngoai_thoi_gian",
    "cap_chon_diem",
    "dia_diem",
    "khach_moi",
    "hoat_dong",
    "qua_tang",
    "gia_tri_qua_tang",
    "so_nguoi_tham_du",
    "ghi_chu",
];

const SHEET: &str = "Hoạt động";

fn row_of(a: &Activity) -> Vec<String> {
    vec![
        a.id.to_string(),
        a.kind.clone(),
        a.unit_code.clone(),
        a.unit_name.clone(),
        tabular::opt(&a.village_id),
        tabular::opt(&a.legacy_code),
        format_date(&a.held_on),
        a.ends_on.as_deref().map(format_date).unwrap_or_default(),
        tabular::opt(&a.period_from),
        tabular::opt(&a.period_to),
        tabular::opt(&a.year),
        a.title.clone(),
        a.subtype.clone(),
        a.level.clone(),
        tabular::opt(&a.attendance),
        a.decision_ref.clone(),
        a.unit_codes.join(";"),
        a.legacy_unit_codes.join(";"),
        a.note.clone(),
    ]
}

/// The activities of [`super::list`], streamed from the database into the
/// file row by row (the file written on another thread as rows come): a
/// million rows are never held at once. On SQLite the rows are read on a
/// thread of their own (db/native.rs), the same statement with the same
/// access condition.
pub async fn export_activities(
    db: &Db,
    actor: &Actor,
    unit: &Unit,
    f: &ActivityFilter,
    format: Format,
) -> Result<Vec<u8>> {
    use futures_util::TryStreamExt;
    let q = super::ListQuery::new(db.backend, actor, unit, f)?;
    let mut covered = q.campaign_units(db).await?;
    let mut w = tabular::PipedWriter::spawn(tabular::TableWriter::new(format, SHEET, &ACTIVITY_COLUMNS)?);
    let sql = q.export_sql(db.backend);
    match &db.sqlite {
        Some(file) => {
            (w, _) = native::each_row(file, sql, q.params(), (w, covered), |(w, covered), row| {
                w.row_blocking(export_row(native::text(row, 0)?, covered)?)
            })
            .await?;
        }
        None => {
            let mut rows = q.bind(&sql).fetch(&db.pool);
            while let Some(r) = rows.try_next().await? {
                w.row(export_row(r.try_get(0)?, &mut covered)?).await?;
            }
        }
    }
    w.finish().await
}

/// A row of [`super::ListQuery::export_sql`] as a line of the file; a
/// campaign takes the units it covered from `covered`.
fn export_row(json: &str, covered: &mut HashMap<i64, super::covered::Covered>) -> Result<Vec<String>> {
    let mut a = Activity::from_json(json)?;
    if a.kind == "campaign" {
        (a.unit_codes, a.legacy_unit_codes) = covered.remove(&a.id).unwrap_or_default();
    }
    Ok(row_of(&a))
}

pub async fn export_festival_days(
    db: &Db,
    actor: &Actor,
    unit: &Unit,
    year: i64,
    format: Format,
) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = festival::list(db, actor, unit, year)
        .await?
        .iter()
        .map(festival_row)
        .collect();
    tabular::write(format, FESTIVAL_SHEET, &FESTIVAL_COLUMNS, &rows)
}

fn festival_row(f: &festival::FestivalDay) -> Vec<String> {
    let f = f.clone();
    vec![
        f.id.to_string(),
        f.unit_code,
        f.unit_name,
        tabular::opt(&f.village_id),
        tabular::opt(&f.legacy_code),
        f.year.to_string(),
        format_date(&f.held_on),
        f.outside_reason,
        f.showcase_level,
        f.venue,
        f.guests,
        f.programme,
        f.gifts,
        tabular::opt(&f.gifts_value),
        tabular::opt(&f.attendance),
        f.note,
    ]
}

const FESTIVAL_SHEET: &str = "Ngày hội";

pub const PROGRAMME_COLUMNS: [&str; 11] = [
    "ma_chuong_trinh",
    "ma_don_vi",
    "so",
    "ten",
    "cac_ben",
    "tu_nam",
    "den_nam",
    "ngay_ky",
    "van_ban",
    "tiep_noi",
    "so_ket_tong_ket",
];

/// The programmes of a unit's subtree, one row each; parties are separated
/// by ";" and each review is written "ngày – loại – tên".
pub async fn export_programmes(db: &Db, actor: &Actor, unit: &Unit, format: Format) -> Result<Vec<u8>> {
    let mut rows = Vec::new();
    for p in super::programmes::list(db, actor, unit).await? {
        let reviews = super::programmes::reviews(db, actor, &p)
            .await?
            .iter()
            .map(|r| format!("{} – {} – {}", format_date(&r.held_on), r.kind_label(), r.title))
            .collect::<Vec<_>>()
            .join("; ");
        rows.push(vec![
            p.id.to_string(),
            p.unit_code.clone(),
            p.number.clone(),
            p.title.clone(),
            p.party_list().join("; "),
            p.from_year.to_string(),
            p.to_year.to_string(),
            format_date(&p.signed_on),
            p.documents.clone(),
            tabular::opt(&p.continues_id),
            reviews,
        ]);
    }
    tabular::write(format, "Chương trình phối hợp", &PROGRAMME_COLUMNS, &rows)
}

pub const COVENANT_COLUMNS: [&str; 8] = [
    "ma_giao_uoc",
    "ma_xa",
    "nam",
    "ngay_ky",
    "ten",
    "cac_thon",
    "noi_dung",
    "ma_ngay_hoi",
];

pub async fn export_covenants(
    db: &Db,
    actor: &Actor,
    unit: &Unit,
    year: Option<i64>,
    format: Format,
) -> Result<Vec<u8>> {
    let rows: Vec<Vec<String>> = super::programmes::covenants(db, actor, unit, year)
        .await?
        .into_iter()
        .map(|c| {
            vec![
                c.id.to_string(),
                c.commune_code,
                c.year.to_string(),
                format_date(&c.signed_on),
                c.title,
                c.villages
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                c.terms,
                tabular::opt(&c.festival_day_id),
            ]
        })
        .collect();
    tabular::write(format, "Giao ước thi đua", &COVENANT_COLUMNS, &rows)
}

/// Imports festival days (sheet "Ngày hội", the export's columns; ten_xa and
/// nam are informative). A row with its code updates that festival day and
/// is skipped when unchanged; a row without records a new one. All rows or
/// none.
pub async fn import_festival_days(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Imported> {
    let c = &FESTIVAL_COLUMNS;
    policy::require_role(actor, Action::RecordActivity)?;
    let records = tabular::read(bytes, FESTIVAL_SHEET, c)?;
    let scope = crate::auth::Scope::new(actor, Action::ViewGeography)?;
    let mut tx = db.begin().await?;
    let mut errors = RowErrors::default();
    let mut done = Imported::default();
    for r in &records {
        let cell = |name: &str| c.iter().position(|x| *x == name).and_then(|i| r.get(i));
        let text = |name: &str| Some(cell(name).unwrap_or_default());
        let mut draft = festival::FestivalDraft {
            village_id: cell("ma_thon").map(Value::String),
            legacy_code: text("ma_don_vi_cu"),
            held_on: cell("ngay"),
            outside_reason: text("ly_do_ngoai_thoi_gian"),
            showcase_level: text("cap_chon_diem"),
            venue: text("dia_diem"),
            guests: text("khach_moi"),
            programme: text("hoat_dong"),
            gifts: text("qua_tang"),
            gifts_value: Some(Value::String(cell("gia_tri_qua_tang").unwrap_or_default())),
            attendance: Some(Value::String(cell("so_nguoi_tham_du").unwrap_or_default())),
            note: text("ghi_chu"),
        };
        let outcome = match cell("ma_ngay_hoi") {
            None => festival::create_in_tx(&mut tx, actor, &cell("ma_xa").unwrap_or_default(), &draft)
                .await
                .map(|_| 1),
            Some(code) => {
                let stored = match code.parse::<i64>() {
                    Ok(id) => festival::get_in_tx(&mut tx, &scope, id).await?,
                    Err(_) => None,
                };
                match stored {
                    None => Err(AppError::NotFound(format!(
                        "Không có Ngày hội mã \"{}\" trong phạm vi của bạn.",
                        crate::input::shorten(&code)
                    ))),
                    Some(f) => {
                        let row = festival_row(&f);
                        let same = c.iter().enumerate().all(|(i, col)| {
                            matches!(*col, "ten_xa" | "nam") || r.get(i).unwrap_or_default() == row[i].trim()
                        });
                        if same {
                            Ok(0)
                        } else if cell("ma_xa").as_deref() != Some(f.unit_code.as_str())
                            || cell("ma_thon") != f.village_id.map(|v| v.to_string())
                        {
                            Err(AppError::field(
                                "ma_xa",
                                "Nơi tổ chức của Ngày hội có mã không sửa được; hãy xóa mã để ghi Ngày hội mới.",
                            ))
                        } else {
                            draft.village_id = None;
                            festival::update_in_tx(db, &mut tx, actor, f.id, &draft)
                                .await
                                .map(|_| 2)
                        }
                    }
                }
            }
        };
        match outcome {
            Ok(0) => done.unchanged += 1,
            Ok(1) => done.created += 1,
            Ok(_) => done.updated += 1,
            Err(e) => errors.refused(r.line, e)?,
        }
    }
    errors.finish()?;
    tx.commit().await?;
    Ok(done)
}

/// What an import did.
#[derive(Debug, Default, serde::Serialize)]
pub struct Imported {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Rows checked before the checked new ones are written: enough to make
/// the statements large, few enough to keep an import of millions of rows
/// in little memory.
const IMPORT_CHUNK: usize = 20_000;

/// Imports activities (sheet "Hoạt động", the export's columns; ten_don_vi
/// is informative). All rows or none; every bad row is listed with its line.
/// The file is read a chunk at a time; new sessions, conferences and
/// mediation cases are written in bulk ([`super::bulk`]), everything else
/// row by row, all in one transaction. On SQLite a file of new rows of
/// those kinds only is written while it is checked
/// ([`super::pipelined`]); a file with any other row is read again here.
pub async fn import_activities(db: &Db, actor: &Actor, sent: tabular::Sent<'_>) -> Result<Imported> {
    let c = &ACTIVITY_COLUMNS;
    policy::require_role(actor, Action::RecordActivity)?;
    // Loaded before the transaction begins, so that it carries it: without
    // it every row's unit and crosswalk would be a query (a server's first
    // import checked 20.000 rows in 3,7 s instead of 0,1).
    crate::units::directory::directory(db).await?;
    if db.backend == Backend::Sqlite {
        let source = tabular::records_sent(sent.again()?, SHEET, c, &[])?;
        if let Some(done) = super::pipelined::import_new(db, actor, source).await? {
            return Ok(done);
        }
        // A row to update or of another kind: read again from the start.
    }
    let mut source = tabular::records_sent(sent, SHEET, c, &[])?;
    let mut tx = db.begin().await?;
    let mut errors = RowErrors::default();
    let mut done = Imported::default();
    let mut new = super::bulk::NewActivities::new();
    let mut seen = 0usize;
    // Where an import's time goes, for the log (bench/national.sh reads it).
    let (mut reading, mut checking, mut writing) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    loop {
        let started = Instant::now();
        let chunk = source.by_ref().take(IMPORT_CHUNK).collect::<Result<Vec<_>>>()?;
        reading += started.elapsed();
        if chunk.is_empty() {
            break;
        }
        let started = Instant::now();
        seen += chunk.len();
        new.villages.load(&mut tx, village_ids(&chunk)).await?;
        for r in &chunk {
            let outcome = import_row(db, &mut tx, actor, &mut new, r).await;
            match outcome {
                Ok(0) => done.unchanged += 1,
                Ok(1) => done.created += 1,
                Ok(_) => done.updated += 1,
                Err(e) => errors.refused(r.line, e)?,
            }
        }
        checking += started.elapsed();
        // Once a row is bad nothing will be kept: the rest is only checked.
        if errors.is_empty() && new.len() > 0 {
            let started = Instant::now();
            new.write(db, &mut tx).await?;
            writing += started.elapsed();
        }
    }
    tracing::info!(
        "activities import: {seen} rows read in {} ms, checked in {} ms (row by row included), \
         new rows written in {} ms",
        reading.as_millis(),
        checking.as_millis(),
        writing.as_millis()
    );
    if seen == 0 {
        return Err(tabular::no_rows());
    }
    // Dropping the transaction undoes the rows that were fine.
    errors.finish()?;
    new.audit(db, &mut tx, actor).await?;
    tx.commit().await?;
    Ok(done)
}

/// One row of [`import_activities`]: 0 unchanged, 1 created (or checked to
/// be created with the chunk), 2 updated.
async fn import_row(
    db: &Db,
    tx: &mut crate::db::Tx,
    actor: &Actor,
    new: &mut super::bulk::NewActivities,
    r: &tabular::Record,
) -> Result<u8> {
    let (code, unit, draft) = draft_of(r);
    match code {
        None => {
            if super::bulk::written_in_bulk(draft.kind.as_deref()) {
                new.check(tx, actor, &unit, &draft).await?;
            } else {
                super::create_in_tx(tx, actor, &unit, &draft).await?;
            }
            Ok(1)
        }
        Some(code) => match code.parse::<i64>() {
            Ok(id) => {
                if unchanged(db, tx, actor, id, r).await? {
                    Ok(0)
                } else {
                    super::update_in_tx(db, tx, actor, id, &draft).await?;
                    Ok(2)
                }
            }
            Err(_) => Err(AppError::field(
                "ma_hoat_dong",
                format!("Mã hoạt động \"{}\" không hợp lệ.", crate::input::shorten(&code)),
            )),
        },
    }
}

/// A row of the import as the form's draft: the record's code
/// (`ma_hoat_dong`, none for a new record), its unit's code, and the rest.
pub(super) fn draft_of(r: &tabular::Record) -> (Option<String>, String, ActivityDraft) {
    let cell = |name: &str| cell(r, name);
    let draft = ActivityDraft {
        kind: cell("loai"),
        village_id: Some(Value::String(cell("ma_thon").unwrap_or_default())),
        legacy_code: Some(cell("ma_don_vi_cu").unwrap_or_default()),
        held_on: cell("ngay"),
        ends_on: cell("ngay_ket_thuc"),
        period_from: cell("tu_nam").map(Value::String),
        period_to: cell("den_nam").map(Value::String),
        year: cell("nam").map(Value::String),
        title: Some(cell("noi_dung").unwrap_or_default()),
        subtype: Some(cell("phan_loai").unwrap_or_default()),
        level: Some(cell("cap").unwrap_or_default()),
        attendance: Some(Value::String(cell("so_luot_nguoi").unwrap_or_default())),
        decision_ref: Some(cell("so_quyet_dinh").unwrap_or_default()),
        unit_codes: Some(codes(cell("don_vi_tham_gia"))),
        legacy_unit_codes: Some(codes(cell("don_vi_tham_gia_cu"))),
        note: Some(cell("ghi_chu").unwrap_or_default()),
    };
    (cell("ma_hoat_dong"), cell("ma_don_vi").unwrap_or_default(), draft)
}

/// True when a row of the import is a new record of a kind written in bulk
/// (no `ma_hoat_dong`; a session, conference or mediation case).
pub(super) fn new_in_bulk(r: &tabular::Record) -> bool {
    cell(r, "ma_hoat_dong").is_none() && super::bulk::written_in_bulk(cell(r, "loai").as_deref())
}

/// The villages a chunk of the import names, to be read at once
/// ([`super::Villages::load`]).
pub(super) fn village_ids(chunk: &[tabular::Record]) -> impl Iterator<Item = i64> + '_ {
    chunk.iter().filter_map(|r| cell(r, "ma_thon")?.parse().ok())
}

/// A cell's list of unit codes, separated by ';'.
fn codes(cell: Option<String>) -> Vec<String> {
    cell.unwrap_or_default()
        .split(';')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// A row's cell in the import's column `name` ([`ACTIVITY_COLUMNS`]).
fn cell(r: &tabular::Record, name: &str) -> Option<String> {
    ACTIVITY_COLUMNS
        .iter()
        .position(|x| *x == name)
        .and_then(|i| r.get(i))
}

/// True when the stored record already reads as this row (so nothing is
/// written or audited). A row may name a record the actor sees but did not
/// write — a province's campaign that covered the commune is in the
/// commune's export — which is fine unchanged and refused when changed.
async fn unchanged(
    db: &Db,
    tx: &mut crate::db::Tx,
    actor: &Actor,
    id: i64,
    r: &tabular::Record,
) -> Result<bool> {
    let scope = crate::auth::Scope::new(actor, Action::ViewGeography)?;
    let found: Option<String> = sqlx::query_scalar(&format!(
        "SELECT a.scope_path FROM activities a WHERE a.id = $1 AND (a.scope_path LIKE $2 OR EXISTS \
           (SELECT 1 FROM activity_units au WHERE au.activity_id = a.id AND au.scope_path LIKE $2)){}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(path) = found else {
        return Err(AppError::NotFound(format!(
            "Không có hoạt động mã {id} trong phạm vi của bạn."
        )));
    };
    let stored = super::read_in_tx(tx, id).await?;
    let row = row_of(&stored);
    let same = ACTIVITY_COLUMNS
        .iter()
        .enumerate()
        .all(|(i, col)| *col == "ten_don_vi" || r.get(i).unwrap_or_default() == row[i].trim());
    if same {
        return Ok(true);
    }
    if !scope.contains(&path) {
        return Err(AppError::Forbidden(format!(
            "Hoạt động mã {id} do {} ghi nhận; đơn vị tham gia không sửa được.",
            stored.unit_name
        )));
    }
    if r.get(1).as_deref() != Some(stored.kind.as_str())
        || r.get(2).as_deref() != Some(stored.unit_code.as_str())
    {
        return Err(AppError::field(
            "loai",
            "Loại hoạt động và đơn vị của bản ghi có mã không sửa được; hãy xóa mã để ghi bản ghi mới.",
        ));
    }
    Ok(false)
}

//! Awards as CSV or XLSX: an export with no row cap, and an all-or-nothing
//! import where a row without a code (`ma_khen_thuong`) records a new award
//! and a row with one must name an award in scope and is left as it is
//! (a decision, once recorded, is not rewritten by a file) — so an export
//! imported back writes nothing.

use serde_json::Value;

use super::{Award, AwardDraft, AwardFilter};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::tabular::{self, Format, RowErrors};
use crate::text::format_date;
use crate::units::Unit;

pub const COLUMNS: [&str; 19] = [
    "ma_khen_thuong",
    "hinh_thuc",
    "co_quan_tang",
    "ma_don_vi_tang",
    "ten_co_quan_tang",
    "doi_tuong",
    "ma_doi_tuong",
    "ma_thanh_vien",
    "ten_doi_tuong",
    "nam_sinh",
    "gioi_tinh",
    "chuc_vu",
    "ma_don_vi",
    "so_quyet_dinh",
    "ngay_quyet_dinh",
    "ly_do",
    "su_kien",
    "ma_su_kien",
    "ma_don_vi_cu",
];

const SHEET: &str = "Khen thưởng";

fn row_of(a: &Award) -> Vec<String> {
    vec![
        a.id.to_string(),
        a.award_type.clone(),
        a.issuer_kind.clone(),
        a.issuer_unit.clone(),
        a.issuer_name.clone(),
        a.recipient_kind.clone(),
        if a.is_individual() {
            String::new()
        } else {
            a.recipient_ref.clone()
        },
        tabular::opt(&a.member_id),
        a.recipient_name.clone(),
        tabular::opt(&a.birth_year),
        tabular::opt(&a.gender),
        a.position.clone(),
        a.unit_code.clone(),
        a.decision_number.clone(),
        format_date(&a.decided_on),
        a.reason.clone(),
        tabular::opt(&a.event_kind),
        tabular::opt(&a.event_id),
        tabular::opt(&a.recipient_legacy_code),
    ]
}

pub async fn export(db: &Db, actor: &Actor, unit: &Unit, f: &AwardFilter, format: Format) -> Result<Vec<u8>> {
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
    pub unchanged: usize,
}

pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Imported> {
    policy::require_role(actor, Action::RecordAward)?;
    let records = tabular::read(bytes, SHEET, &COLUMNS)?;
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let mut tx = db.begin().await?;
    let mut errors = RowErrors::default();
    let mut done = Imported::default();
    for r in &records {
        let cell = |name: &str| COLUMNS.iter().position(|x| *x == name).and_then(|i| r.get(i));
        if let Some(code) = cell("ma_khen_thuong") {
            let found: Option<i64> = match code.parse::<i64>() {
                Ok(id) => {
                    sqlx::query_scalar("SELECT id FROM awards WHERE id = $1 AND scope_path LIKE $2")
                        .bind(id)
                        .bind(scope.like())
                        .fetch_optional(&mut *tx)
                        .await?
                }
                Err(_) => None,
            };
            match found {
                Some(_) => done.unchanged += 1,
                None => errors.add(
                    r.line,
                    format!(
                        "Mã khen thưởng \"{}\": không có trong phạm vi của bạn.",
                        crate::input::shorten(&code)
                    ),
                ),
            }
            continue;
        }
        let person = cell("doi_tuong").as_deref() == Some("person");
        let draft = AwardDraft {
            award_type: cell("hinh_thuc"),
            issuer_kind: cell("co_quan_tang"),
            issuer_unit: cell("ma_don_vi_tang"),
            issuer_era: None,
            legacy_code: cell("ma_don_vi_cu"),
            recipient_kind: cell("doi_tuong"),
            recipient_ref: cell("ma_doi_tuong").map(Value::String),
            member_id: cell("ma_thanh_vien").map(Value::String),
            full_name: if person { cell("ten_doi_tuong") } else { None },
            birth_year: cell("nam_sinh").map(Value::String),
            gender: cell("gioi_tinh"),
            citizen_id: None,
            position: cell("chuc_vu"),
            unit_code: cell("ma_don_vi"),
            decision_number: cell("so_quyet_dinh"),
            decided_on: cell("ngay_quyet_dinh"),
            reason: cell("ly_do"),
            event_kind: cell("su_kien"),
            event_id: cell("ma_su_kien").map(Value::String),
            note: None,
        };
        match super::create_in_tx(&mut tx, actor, &draft).await {
            Ok(_) => done.created += 1,
            Err(e @ AppError::Internal(_)) => return Err(e),
            Err(e) => errors.refused(r.line, e)?,
        }
    }
    errors.finish()?;
    tx.commit().await?;
    Ok(done)
}

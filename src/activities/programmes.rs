//! Coordination programmes (chương trình phối hợp) between the police, the
//! Fatherland Front committee and its member organisations — number, period
//! such as 2023–2033, signing date, documents, periodic reviews, and the
//! programme a renewal continues — and emulation covenants (giao ước thi
//! đua) between the villages of a commune.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{CONFERENCE_TYPES, choice, label, past_date, province_of, unit_for_write, year_field};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result};
use crate::input::{optional_text, required_text, shorten, value_text};
use crate::units::Unit;

#[derive(Clone, Debug, Serialize)]
pub struct Programme {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub number: String,
    pub title: String,
    /// One party per line.
    pub parties: String,
    pub from_year: i64,
    pub to_year: i64,
    pub signed_on: String,
    pub documents: String,
    pub continues_id: Option<i64>,
    pub note: String,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "p.id, p.unit_code, u.name AS unit_name, p.number, p.title, p.parties, p.from_year, p.to_year, \
     p.signed_on, p.documents, p.continues_id, p.note, p.scope_path";
const FROM: &str = "FROM programmes p JOIN units u ON u.era = 'current' AND u.code = p.unit_code";

impl Programme {
    fn from_row(r: &AnyRow) -> Result<Programme, sqlx::Error> {
        Ok(Programme {
            id: r.try_get("id")?,
            unit_code: r.try_get("unit_code")?,
            unit_name: r.try_get("unit_name")?,
            number: r.try_get("number")?,
            title: r.try_get("title")?,
            parties: r.try_get("parties")?,
            from_year: r.try_get("from_year")?,
            to_year: r.try_get("to_year")?,
            signed_on: r.try_get("signed_on")?,
            documents: r.try_get("documents")?,
            continues_id: r.try_get("continues_id")?,
            note: r.try_get("note")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn party_list(&self) -> Vec<&str> {
        self.parties
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// "Chương trình phối hợp số 09, giai đoạn 2023–2033".
    pub fn label(&self) -> String {
        format!(
            "Chương trình phối hợp số {}, giai đoạn {}–{}",
            self.number, self.from_year, self.to_year
        )
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProgrammeDraft {
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    /// One party per line, or a JSON list.
    #[serde(default)]
    pub parties: Option<Value>,
    #[serde(default)]
    pub from_year: Option<Value>,
    #[serde(default)]
    pub to_year: Option<Value>,
    #[serde(default)]
    pub signed_on: Option<String>,
    #[serde(default)]
    pub documents: Option<String>,
    #[serde(default)]
    pub continues_id: Option<Value>,
    #[serde(default)]
    pub note: Option<String>,
}

fn lines_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(value_text).collect(),
        Some(other) => value_text(other)
            .map(|t| t.lines().map(str::to_string).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    }
    .into_iter()
    .map(|l| crate::text::clean_name(&l))
    .filter(|l| !l.is_empty())
    .collect()
}

pub async fn create(db: &Db, actor: &Actor, unit_code: &str, d: &ProgrammeDraft) -> Result<Programme> {
    let mut tx = db.begin().await?;
    let unit = unit_for_write(&mut tx, actor, Action::RecordActivity, unit_code).await?;
    let mut inv = Invalid::default();
    let number = required_text(&mut inv, "number", "Số chương trình", d.number.as_deref(), 50);
    let title = required_text(&mut inv, "title", "Tên chương trình", d.title.as_deref(), 500);
    let parties = lines_of(d.parties.as_ref());
    if parties.len() < 2 {
        inv.add(
            "parties",
            "Các bên tham gia: ghi ít nhất hai bên, mỗi bên một dòng.",
        );
    } else if parties.iter().any(|p| p.chars().count() > 300) || parties.len() > 50 {
        inv.add("parties", "Các bên tham gia: tối đa 50 bên, mỗi bên 300 ký tự.");
    }
    let from_year = year_field(
        &mut inv,
        "from_year",
        "Giai đoạn từ năm",
        d.from_year.as_ref(),
        true,
    );
    // A programme's period runs into the future (2023–2033).
    let to_year = match d
        .to_year
        .as_ref()
        .and_then(value_text)
        .map(|t| t.trim().parse::<i64>())
    {
        Some(Ok(y)) if (2000..=2100).contains(&y) => Some(y),
        Some(_) => {
            inv.add("to_year", "Giai đoạn đến năm: phải là năm từ 2000 đến 2100.");
            None
        }
        None => {
            inv.add("to_year", "Giai đoạn đến năm: không được để trống.");
            None
        }
    };
    if let (Some(a), Some(b)) = (from_year, to_year)
        && (b < a || b - a > 30)
    {
        inv.add(
            "to_year",
            format!("Giai đoạn đến năm: phải từ {a} đến {}.", a + 30),
        );
    }
    let signed_on =
        past_date(&mut inv, "signed_on", "Ngày ký", d.signed_on.as_deref(), true).unwrap_or_default();
    let documents = crate::input::optional_lines(
        &mut inv,
        "documents",
        "Văn bản kèm theo",
        d.documents.as_deref(),
        4000,
    );
    let note = optional_text(&mut inv, "note", "Ghi chú", d.note.as_deref(), 2000);
    let continues = match d
        .continues_id
        .as_ref()
        .and_then(value_text)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        Some(t) => {
            let found: Option<(i64, i64)> = match t.parse::<i64>() {
                Ok(id) => sqlx::query("SELECT id, to_year FROM programmes WHERE id = $1 AND scope_path = $2")
                    .bind(id)
                    .bind(&unit.path)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|r| Ok::<_, sqlx::Error>((r.try_get("id")?, r.try_get("to_year")?)))
                    .transpose()?,
                Err(_) => None,
            };
            match found {
                Some((id, end)) if from_year.is_none_or(|a| a >= end) => Some(id),
                Some((_, end)) => {
                    inv.add("continues_id", format!("Tiếp nối chương trình: chương trình trước kết thúc năm {end}, giai đoạn mới phải bắt đầu từ năm đó."));
                    None
                }
                None => {
                    inv.add(
                        "continues_id",
                        format!(
                            "Tiếp nối chương trình: không có chương trình \"{}\" của {}.",
                            shorten(&t),
                            unit.name
                        ),
                    );
                    None
                }
            }
        }
        None => None,
    };
    inv.finish()?;
    let ts = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO programmes (unit_code, province_code, scope_path, number, title, parties, from_year, to_year, \
         signed_on, documents, continues_id, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
    )
    .bind(&unit.code)
    .bind(province_of(&unit))
    .bind(&unit.path)
    .bind(&number)
    .bind(&title)
    .bind(parties.join("\n"))
    .bind(from_year)
    .bind(to_year)
    .bind(&signed_on)
    .bind(&documents)
    .bind(continues)
    .bind(&note)
    .bind(&ts)
    .fetch_one(&mut *tx)
    .await?;
    let p = read_in_tx(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "programme.create",
            target_kind: "programme",
            target_id: p.id.to_string(),
            target_label: p.label(),
            scope_path: p.scope_path.clone(),
            before: None,
            after: Some(json!(p)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(p)
}

async fn read_in_tx(tx: &mut Tx, id: i64) -> Result<Programme> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE p.id = $1"))
        .bind(id)
        .fetch_one(&mut **tx)
        .await?;
    Ok(Programme::from_row(&row)?)
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Programme> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE p.id = $1 AND p.scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    Ok(Programme::from_row(&row.ok_or_else(AppError::not_found)?)?)
}

/// The programmes of a unit's subtree, and those of the units above it that
/// the unit takes part in are not included: each is listed where it was signed.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit) -> Result<Vec<Programme>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} {FROM} WHERE p.scope_path LIKE $1 ORDER BY p.from_year DESC, p.number, p.id"
    ))
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(Programme::from_row).collect::<Result<_, _>>()?)
}

#[derive(Clone, Debug, Serialize)]
pub struct Review {
    pub id: i64,
    pub programme_id: i64,
    pub held_on: String,
    pub kind: String,
    pub title: String,
    pub findings: String,
    #[serde(skip)]
    pub scope_path: String,
}

impl Review {
    fn from_row(r: &AnyRow) -> Result<Review, sqlx::Error> {
        Ok(Review {
            id: r.try_get("id")?,
            programme_id: r.try_get("programme_id")?,
            held_on: r.try_get("held_on")?,
            kind: r.try_get("kind")?,
            title: r.try_get("title")?,
            findings: r.try_get("findings")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn kind_label(&self) -> &'static str {
        label(&CONFERENCE_TYPES, &self.kind)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ReviewDraft {
    #[serde(default)]
    pub held_on: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub findings: Option<String>,
}

const REVIEW_COLUMNS: &str = "id, programme_id, held_on, kind, title, findings, scope_path";

pub async fn add_review(db: &Db, actor: &Actor, programme_id: i64, d: &ReviewDraft) -> Result<Review> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let mut tx = db.begin().await?;
    let path: Option<String> =
        sqlx::query_scalar("SELECT scope_path FROM programmes WHERE id = $1 AND scope_path LIKE $2")
            .bind(programme_id)
            .bind(scope.like())
            .fetch_optional(&mut *tx)
            .await?;
    let path = path.ok_or_else(AppError::not_found)?;
    policy::authorize(actor, Action::RecordActivity, &path)?;
    let programme = read_in_tx(&mut tx, programme_id).await?;
    let mut inv = Invalid::default();
    let held_on =
        past_date(&mut inv, "held_on", "Ngày hội nghị", d.held_on.as_deref(), true).unwrap_or_default();
    if held_on
        .get(0..4)
        .and_then(|y| y.parse::<i64>().ok())
        .is_some_and(|y| y < programme.from_year)
    {
        inv.add(
            "held_on",
            format!("Ngày hội nghị: chương trình bắt đầu năm {}.", programme.from_year),
        );
    }
    let kind = choice(
        &mut inv,
        "kind",
        "Loại hội nghị",
        d.kind.as_deref(),
        &CONFERENCE_TYPES,
    );
    let title = required_text(&mut inv, "title", "Tên hội nghị", d.title.as_deref(), 500);
    let findings = crate::input::optional_lines(&mut inv, "findings", "Kết quả", d.findings.as_deref(), 8000);
    inv.finish()?;
    let row = sqlx::query(&format!(
        "INSERT INTO programme_reviews (programme_id, scope_path, held_on, kind, title, findings, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {REVIEW_COLUMNS}"
    ))
    .bind(programme_id)
    .bind(&path)
    .bind(&held_on)
    .bind(&kind)
    .bind(&title)
    .bind(&findings)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let review = Review::from_row(&row)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "programme.review",
            target_kind: "programme_review",
            target_id: review.id.to_string(),
            target_label: format!("{} – {}", review.title, programme.label()),
            scope_path: path,
            before: None,
            after: Some(json!(review)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(review)
}

pub async fn reviews(db: &Db, actor: &Actor, programme: &Programme) -> Result<Vec<Review>> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let rows = sqlx::query(&format!(
        "SELECT {REVIEW_COLUMNS} FROM programme_reviews WHERE programme_id = $1 AND scope_path LIKE $2 ORDER BY held_on"
    ))
    .bind(programme.id)
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    Ok(rows.iter().map(Review::from_row).collect::<Result<_, _>>()?)
}

pub async fn get_review(db: &Db, actor: &Actor, id: i64) -> Result<Review> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {REVIEW_COLUMNS} FROM programme_reviews WHERE id = $1 AND scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    Ok(Review::from_row(&row.ok_or_else(AppError::not_found)?)?)
}

// ------------------------------------------------------------ covenants

#[derive(Clone, Debug, Serialize)]
pub struct Covenant {
    pub id: i64,
    pub commune_code: String,
    pub year: i64,
    pub signed_on: String,
    pub title: String,
    pub terms: String,
    pub festival_day_id: Option<i64>,
    /// (village id, name)
    pub villages: Vec<(i64, String)>,
    #[serde(skip)]
    pub scope_path: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct CovenantDraft {
    #[serde(default)]
    pub signed_on: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub terms: Option<String>,
    #[serde(default)]
    pub village_ids: Option<Vec<i64>>,
    #[serde(default)]
    pub festival_day_id: Option<Value>,
}

pub async fn create_covenant(db: &Db, actor: &Actor, unit_code: &str, d: &CovenantDraft) -> Result<Covenant> {
    let mut tx = db.begin().await?;
    let unit = unit_for_write(&mut tx, actor, Action::RecordActivity, unit_code).await?;
    if unit.level != "commune" {
        return Err(AppError::field(
            "unit",
            "Giao ước thi đua: ghi ở xã, phường, đặc khu.",
        ));
    }
    let mut inv = Invalid::default();
    let signed_on =
        past_date(&mut inv, "signed_on", "Ngày ký", d.signed_on.as_deref(), true).unwrap_or_default();
    let year = signed_on
        .get(0..4)
        .and_then(|y| y.parse::<i64>().ok())
        .unwrap_or_default();
    let title = required_text(&mut inv, "title", "Tên giao ước", d.title.as_deref(), 300);
    let terms =
        crate::input::optional_lines(&mut inv, "terms", "Nội dung giao ước", d.terms.as_deref(), 8000);
    let mut villages = Vec::new();
    for id in d.village_ids.iter().flatten() {
        let name: Option<String> = sqlx::query_scalar(
            "SELECT name FROM villages WHERE id = $1 AND commune_code = $2 AND active = 1",
        )
        .bind(id)
        .bind(&unit.code)
        .fetch_optional(&mut *tx)
        .await?;
        match name {
            Some(n) if !villages.iter().any(|(v, _)| v == id) => villages.push((*id, n)),
            Some(_) => {}
            None => inv.add(
                "village_ids",
                format!("Các thôn ký kết: không có thôn mã {id} thuộc {}.", unit.name),
            ),
        }
    }
    if villages.len() < 2 && !inv.has("village_ids") {
        inv.add(
            "village_ids",
            "Các thôn ký kết: chọn ít nhất hai thôn, tổ dân phố.",
        );
    }
    let festival_day_id = match d
        .festival_day_id
        .as_ref()
        .and_then(value_text)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
    {
        Some(t) => {
            let found: Option<i64> = match t.parse::<i64>() {
                Ok(id) => {
                    sqlx::query_scalar(
                        "SELECT id FROM festival_days WHERE id = $1 AND unit_code = $2 AND year = $3",
                    )
                    .bind(id)
                    .bind(&unit.code)
                    .bind(year)
                    .fetch_optional(&mut *tx)
                    .await?
                }
                Err(_) => None,
            };
            if found.is_none() {
                inv.add(
                    "festival_day_id",
                    format!(
                        "Ký tại Ngày hội: {} không có Ngày hội \"{}\" năm {year}.",
                        unit.name,
                        shorten(&t)
                    ),
                );
            }
            found
        }
        None => None,
    };
    inv.finish()?;
    let ts = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO covenants (commune_code, province_code, scope_path, year, signed_on, title, terms, festival_day_id, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(&unit.code)
    .bind(province_of(&unit))
    .bind(&unit.path)
    .bind(year)
    .bind(&signed_on)
    .bind(&title)
    .bind(&terms)
    .bind(festival_day_id)
    .bind(&ts)
    .fetch_one(&mut *tx)
    .await?;
    for (v, _) in &villages {
        sqlx::query("INSERT INTO covenant_villages (covenant_id, village_id) VALUES ($1, $2)")
            .bind(id)
            .bind(v)
            .execute(&mut *tx)
            .await?;
    }
    let c = Covenant {
        id,
        commune_code: unit.code.clone(),
        year,
        signed_on,
        title,
        terms,
        festival_day_id,
        villages,
        scope_path: unit.path.clone(),
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "covenant.create",
            target_kind: "covenant",
            target_id: id.to_string(),
            target_label: format!("{} – {}", c.title, unit.name),
            scope_path: unit.path.clone(),
            before: None,
            after: Some(json!(c)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// Covenants of a unit's subtree signed in a year (all years with `None`).
pub async fn covenants(db: &Db, actor: &Actor, unit: &Unit, year: Option<i64>) -> Result<Vec<Covenant>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(
        "SELECT id, commune_code, year, signed_on, title, terms, festival_day_id, scope_path FROM covenants \
         WHERE scope_path LIKE $1 AND ($2 = 0 OR year = $2) ORDER BY signed_on DESC, id DESC",
    )
    .bind(scope.like())
    .bind(year.unwrap_or(0))
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let villages = sqlx::query(
            "SELECT v.id, v.name FROM covenant_villages cv JOIN villages v ON v.id = cv.village_id \
             WHERE cv.covenant_id = $1 ORDER BY v.name",
        )
        .bind(id)
        .fetch_all(&db.pool)
        .await?
        .iter()
        .map(|v| Ok((v.try_get("id")?, v.try_get("name")?)))
        .collect::<Result<_, sqlx::Error>>()?;
        out.push(Covenant {
            id,
            commune_code: r.try_get("commune_code")?,
            year: r.try_get("year")?,
            signed_on: r.try_get("signed_on")?,
            title: r.try_get("title")?,
            terms: r.try_get("terms")?,
            festival_day_id: r.try_get("festival_day_id")?,
            villages,
            scope_path: r.try_get("scope_path")?,
        });
    }
    Ok(out)
}

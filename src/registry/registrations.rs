//! Yearly registrations (đăng ký): in the first quarter each village, commune
//! and organisation registers to strive for "An toàn về ANTT", citing the
//! Party resolution and the plan; a village records the households resident
//! and those registered (the criterion asks for 100%).

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{self, optional_count, optional_text, shorten, value_text};
use crate::units::Unit;

pub const KINDS: [(&str, &str); 3] = [
    ("village", "Thôn, tổ dân phố"),
    ("commune", "Xã, phường, đặc khu"),
    ("organisation", "Cơ quan, doanh nghiệp, trường học"),
];

#[derive(Clone, Debug, Serialize)]
pub struct Registration {
    pub id: i64,
    pub year: i64,
    pub subject_kind: String,
    pub subject_id: String,
    pub subject_name: String,
    pub unit_code: String,
    pub registered_on: String,
    pub resolution_ref: String,
    pub plan_ref: String,
    pub households_resident: Option<i64>,
    pub households_registered: Option<i64>,
    pub note: String,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "id, year, subject_kind, subject_id, subject_name, unit_code, registered_on, resolution_ref, \
     plan_ref, households_resident, households_registered, note, scope_path";

impl Registration {
    fn from_row(r: &AnyRow) -> Result<Registration, sqlx::Error> {
        Ok(Registration {
            id: r.try_get("id")?,
            year: r.try_get("year")?,
            subject_kind: r.try_get("subject_kind")?,
            subject_id: r.try_get("subject_id")?,
            subject_name: r.try_get("subject_name")?,
            unit_code: r.try_get("unit_code")?,
            registered_on: r.try_get("registered_on")?,
            resolution_ref: r.try_get("resolution_ref")?,
            plan_ref: r.try_get("plan_ref")?,
            households_resident: r.try_get("households_resident")?,
            households_registered: r.try_get("households_registered")?,
            note: r.try_get("note")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn kind_label(&self) -> &'static str {
        super::teams::label(&KINDS, &self.subject_kind)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct RegistrationDraft {
    #[serde(default)]
    pub year: Option<Value>,
    #[serde(default)]
    pub subject_kind: Option<String>,
    #[serde(default)]
    pub subject_id: Option<Value>,
    #[serde(default)]
    pub registered_on: Option<String>,
    #[serde(default)]
    pub resolution_ref: Option<String>,
    #[serde(default)]
    pub plan_ref: Option<String>,
    #[serde(default)]
    pub households_resident: Option<Value>,
    #[serde(default)]
    pub households_registered: Option<Value>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Who registers: its name, its unit (for grouping) and its unit path.
struct Subject {
    kind: &'static str,
    id: String,
    name: String,
    unit_code: String,
    path: String,
}

async fn subject(tx: &mut Tx, kind: &str, id: &str) -> Result<Option<Subject>> {
    Ok(match kind {
        "village" => {
            let n: i64 = id.parse().unwrap_or(-1);
            sqlx::query("SELECT name, commune_code, scope_path FROM villages WHERE id = $1 AND active = 1")
                .bind(n)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| -> Result<Subject, sqlx::Error> {
                    Ok(Subject {
                        kind: "village",
                        id: n.to_string(),
                        name: r.try_get("name")?,
                        unit_code: r.try_get("commune_code")?,
                        path: r.try_get("scope_path")?,
                    })
                })
                .transpose()?
        }
        "organisation" => {
            let n: i64 = id.parse().unwrap_or(-1);
            // Those Thông tư 124 Điều 1 leaves out do not register for the standard.
            sqlx::query(
                "SELECT name, unit_code, scope_path FROM organisations WHERE id = $1 AND active = 1 AND antt_excluded = 0",
            )
                .bind(n)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| -> Result<Subject, sqlx::Error> {
                    Ok(Subject {
                        kind: "organisation",
                        id: n.to_string(),
                        name: r.try_get("name")?,
                        unit_code: r.try_get("unit_code")?,
                        path: r.try_get("scope_path")?,
                    })
                })
                .transpose()?
        }
        _ => {
            let unit = super::unit_in_tx(tx, id.trim())
                .await
                .ok()
                .filter(|u| u.level == "commune");
            unit.map(|u| Subject {
                kind: "commune",
                id: u.code.clone(),
                name: u.name,
                unit_code: u.code,
                path: u.path,
            })
        }
    })
}

pub async fn register(db: &Db, actor: &Actor, draft: &RegistrationDraft) -> Result<Registration> {
    let mut tx = db.begin().await?;
    let reg = register_in_tx(&mut tx, actor, draft).await?;
    tx.commit().await?;
    Ok(reg)
}

/// Records one registration inside the caller's transaction. Every refusal
/// is decided before a statement could fail, so an import can go on
/// checking its other rows in the same transaction (PostgreSQL aborts a
/// transaction at the first failed statement).
pub async fn register_in_tx(tx: &mut Tx, actor: &Actor, draft: &RegistrationDraft) -> Result<Registration> {
    policy::require_role(actor, Action::EditGeography)?;
    let mut inv = Invalid::default();
    let kind = match draft.subject_kind.as_deref().map(str::trim) {
        Some(k @ ("village" | "commune" | "organisation")) => k.to_string(),
        _ => {
            inv.add(
                "subject_kind",
                "Đơn vị đăng ký: village (thôn), commune (xã) hoặc organisation (cơ quan).",
            );
            String::new()
        }
    };
    let id = draft.subject_id.as_ref().and_then(value_text).unwrap_or_default();
    if id.trim().is_empty() {
        inv.add("subject_id", "Đơn vị đăng ký: chưa chọn.");
    }
    inv.finish()?;
    let who = subject(tx, &kind, &id).await?.ok_or_else(|| {
        AppError::field(
            "subject_id",
            format!(
                "Đơn vị đăng ký: không có đơn vị \"{}\" đang hoạt động.",
                shorten(&id)
            ),
        )
    })?;
    policy::authorize(actor, Action::EditGeography, &who.path)?;
    let input = parse(draft, &who, None)?;
    let taken: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM registrations WHERE subject_kind = $1 AND subject_id = $2 AND year = $3",
    )
    .bind(who.kind)
    .bind(&who.id)
    .bind(input.year)
    .fetch_optional(&mut **tx)
    .await?;
    if taken.is_some() {
        return Err(AppError::conflict(
            "subject_id",
            format!("Đơn vị đăng ký: {} đã đăng ký năm {}.", who.name, input.year),
        ));
    }
    let ts = now();
    let row = sqlx::query(&format!(
        "INSERT INTO registrations (year, subject_kind, subject_id, subject_name, unit_code, scope_path, registered_on, \
         resolution_ref, plan_ref, households_resident, households_registered, note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING {COLUMNS}"
    ))
    .bind(input.year)
    .bind(who.kind)
    .bind(&who.id)
    .bind(&who.name)
    .bind(&who.unit_code)
    .bind(&who.path)
    .bind(&input.registered_on)
    .bind(&input.resolution_ref)
    .bind(&input.plan_ref)
    .bind(input.households_resident)
    .bind(input.households_registered)
    .bind(&input.note)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("subject_id", format!("Đơn vị đăng ký: {} đã đăng ký năm {}.", who.name, input.year))
        } else {
            e.into()
        }
    })?;
    let reg = Registration::from_row(&row)?;
    audit_reg(tx, actor, "registration.create", None, &reg).await?;
    Ok(reg)
}

/// Imports registrations from CSV or XLSX (sheet "Đăng ký", the export's
/// columns; ten_don_vi and ma_xa are informative and not read). All rows or
/// none; every bad row is listed with its line.
pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<usize> {
    use super::exports::REGISTRATION_COLUMNS as C;
    policy::require_role(actor, Action::EditGeography)?;
    let records = crate::tabular::read(bytes, "Đăng ký", &C)?;
    let mut tx = db.begin().await?;
    let mut errors = crate::tabular::RowErrors::default();
    let mut created = 0;
    for r in &records {
        let cell = |name: &str| C.iter().position(|c| *c == name).and_then(|i| r.get(i));
        let draft = RegistrationDraft {
            year: cell("nam").map(Value::String),
            subject_kind: cell("loai_don_vi"),
            subject_id: cell("ma_don_vi").map(Value::String),
            registered_on: cell("ngay_dang_ky"),
            resolution_ref: cell("nghi_quyet"),
            plan_ref: cell("ke_hoach"),
            households_resident: cell("so_ho_thuong_tru").map(Value::String),
            households_registered: cell("so_ho_dang_ky").map(Value::String),
            note: None,
        };
        match register_in_tx(&mut tx, actor, &draft).await {
            Ok(_) => created += 1,
            Err(e) => errors.refused(r.line, e)?,
        }
    }
    // Dropping the transaction undoes the rows that were fine.
    errors.finish()?;
    tx.commit().await?;
    Ok(created)
}

struct Input {
    year: i64,
    registered_on: String,
    resolution_ref: String,
    plan_ref: String,
    households_resident: Option<i64>,
    households_registered: Option<i64>,
    note: String,
}

fn parse(draft: &RegistrationDraft, who: &Subject, base: Option<&Registration>) -> Result<Input> {
    let mut inv = Invalid::default();
    let this_year = i64::from(input::today().year());
    let year_text = draft
        .year
        .as_ref()
        .and_then(value_text)
        .or_else(|| base.map(|b| b.year.to_string()));
    let year = match year_text.as_deref().map(str::trim).map(str::parse::<i64>) {
        Some(Ok(y)) if (2000..=this_year).contains(&y) => y,
        Some(_) => {
            inv.add("year", format!("Năm đăng ký: phải từ 2000 đến {this_year}."));
            this_year
        }
        None => {
            inv.add("year", "Năm đăng ký: không được để trống.");
            this_year
        }
    };
    let on = draft
        .registered_on
        .clone()
        .or_else(|| base.map(|b| b.registered_on.clone()));
    let registered_on =
        input::date(&mut inv, "registered_on", "Ngày đăng ký", on.as_deref(), true).unwrap_or_default();
    if let Some(d) = input::parse_date(&registered_on) {
        if i64::from(d.year()) != year {
            inv.add("registered_on", format!("Ngày đăng ký: phải trong năm {year}."));
        } else if d > input::today() {
            inv.add("registered_on", "Ngày đăng ký: không được sau ngày hôm nay.");
        }
    }
    let text = |new: &Option<String>, old: Option<&String>| new.clone().or_else(|| old.cloned());
    let resolution_ref = optional_text(
        &mut inv,
        "resolution_ref",
        "Nghị quyết của cấp ủy",
        text(&draft.resolution_ref, base.map(|b| &b.resolution_ref)).as_deref(),
        300,
    );
    let plan_ref = optional_text(
        &mut inv,
        "plan_ref",
        "Kế hoạch",
        text(&draft.plan_ref, base.map(|b| &b.plan_ref)).as_deref(),
        300,
    );
    let note = optional_text(
        &mut inv,
        "note",
        "Ghi chú",
        text(&draft.note, base.map(|b| &b.note)).as_deref(),
        1000,
    );
    let count = |new: &Option<Value>, old: Option<i64>| new.clone().or_else(|| old.map(Value::from));
    let resident = optional_count(
        &mut inv,
        "households_resident",
        "Số hộ thường trú",
        count(
            &draft.households_resident,
            base.and_then(|b| b.households_resident),
        )
        .as_ref(),
        1_000_000,
    );
    let registered = optional_count(
        &mut inv,
        "households_registered",
        "Số hộ đăng ký",
        count(
            &draft.households_registered,
            base.and_then(|b| b.households_registered),
        )
        .as_ref(),
        1_000_000,
    );
    if who.kind == "village" {
        if resident.is_none() && !inv.has("households_resident") {
            inv.add(
                "households_resident",
                "Số hộ thường trú: thôn, tổ dân phố phải ghi số hộ.",
            );
        }
        if registered.is_none() && !inv.has("households_registered") {
            inv.add(
                "households_registered",
                "Số hộ đăng ký: thôn, tổ dân phố phải ghi số hộ.",
            );
        }
        if let (Some(r), Some(g)) = (resident, registered)
            && g > r
        {
            inv.add(
                "households_registered",
                format!("Số hộ đăng ký: không được lớn hơn số hộ thường trú ({r})."),
            );
        }
    } else if resident.is_some() || registered.is_some() {
        inv.add("households_resident", "Số hộ: chỉ ghi cho thôn, tổ dân phố.");
    }
    inv.finish()?;
    Ok(Input {
        year,
        registered_on,
        resolution_ref,
        plan_ref,
        households_resident: resident,
        households_registered: registered,
        note,
    })
}

pub async fn update(db: &Db, actor: &Actor, id: i64, draft: &RegistrationDraft) -> Result<Registration> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let mut tx = db.begin().await?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut *tx)
    .await?;
    let before = Registration::from_row(&row.ok_or_else(AppError::not_found)?)?;
    policy::authorize(actor, Action::EditGeography, &before.scope_path)?;
    if draft.year.is_some() || draft.subject_id.is_some() || draft.subject_kind.is_some() {
        return Err(AppError::field(
            "year",
            "Năm và đơn vị của một đăng ký không sửa được; hãy tạo đăng ký mới.",
        ));
    }
    let who = Subject {
        kind: match before.subject_kind.as_str() {
            "village" => "village",
            "organisation" => "organisation",
            _ => "commune",
        },
        id: before.subject_id.clone(),
        name: before.subject_name.clone(),
        unit_code: before.unit_code.clone(),
        path: before.scope_path.clone(),
    };
    let input = parse(draft, &who, Some(&before))?;
    let row = sqlx::query(&format!(
        "UPDATE registrations SET registered_on = $1, resolution_ref = $2, plan_ref = $3, households_resident = $4, \
         households_registered = $5, note = $6, updated_at = $7 WHERE id = $8 RETURNING {COLUMNS}"
    ))
    .bind(&input.registered_on)
    .bind(&input.resolution_ref)
    .bind(&input.plan_ref)
    .bind(input.households_resident)
    .bind(input.households_registered)
    .bind(&input.note)
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let after = Registration::from_row(&row)?;
    audit_reg(&mut tx, actor, "registration.update", Some(&before), &after).await?;
    tx.commit().await?;
    Ok(after)
}

async fn audit_reg(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: Option<&Registration>,
    after: &Registration,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "registration",
            target_id: after.id.to_string(),
            target_label: format!("{} – năm {}", after.subject_name, after.year),
            scope_path: after.scope_path.clone(),
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
        },
    )
    .await
}

pub async fn list(db: &Db, actor: &Actor, unit: &Unit, year: i64) -> Result<Vec<Registration>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE scope_path LIKE $1 AND year = $2 \
         ORDER BY unit_code, CASE subject_kind WHEN 'commune' THEN 0 WHEN 'village' THEN 1 ELSE 2 END, subject_name"
    ))
    .bind(scope.like())
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Registration::from_row(r).map_err(Into::into))
        .collect()
}

/// Who in a unit's subtree has not registered for the year.
#[derive(Debug, Serialize)]
pub struct Missing {
    pub subject_kind: String,
    pub subject_id: String,
    pub name: String,
    pub unit_code: String,
}

pub async fn missing(db: &Db, actor: &Actor, unit: &Unit, year: i64) -> Result<Vec<Missing>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(
        "SELECT 'commune' AS kind, u.code AS id, u.name, u.code AS unit_code FROM units u \
         WHERE u.era = 'current' AND u.level = 'commune' AND u.path LIKE $1 AND NOT EXISTS \
           (SELECT 1 FROM registrations r WHERE r.subject_kind = 'commune' AND r.subject_id = u.code AND r.year = $2) \
         UNION ALL \
         SELECT 'village', CAST(v.id AS TEXT), v.name, v.commune_code FROM villages v \
         WHERE v.active = 1 AND v.scope_path LIKE $1 AND NOT EXISTS \
           (SELECT 1 FROM registrations r WHERE r.subject_kind = 'village' AND r.subject_id = CAST(v.id AS TEXT) AND r.year = $2) \
         UNION ALL \
         SELECT 'organisation', CAST(o.id AS TEXT), o.name, o.unit_code FROM organisations o \
         WHERE o.active = 1 AND o.antt_excluded = 0 AND o.scope_path LIKE $1 AND NOT EXISTS \
           (SELECT 1 FROM registrations r WHERE r.subject_kind = 'organisation' AND r.subject_id = CAST(o.id AS TEXT) AND r.year = $2) \
         ORDER BY 4, 1, 3",
    )
    .bind(scope.like())
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Missing {
                subject_kind: r.try_get("kind")?,
                subject_id: r.try_get("id")?,
                name: r.try_get("name")?,
                unit_code: r.try_get("unit_code")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub fn kind_label(kind: &str) -> &'static str {
    super::teams::label(&KINDS, kind)
}

/// Registration figures for a subtree and year, for the unit summary.
#[derive(Debug, Serialize)]
pub struct Figures {
    pub villages: i64,
    pub villages_registered: i64,
    pub communes: i64,
    pub communes_registered: i64,
    /// Communes with at least one village registered.
    pub communes_with_villages_registered: i64,
    pub organisations: i64,
    pub organisations_registered: i64,
    pub households_resident: i64,
    pub households_registered: i64,
    /// Registered households out of resident ones, in percent (one decimal).
    pub households_share: Option<f64>,
}

pub async fn figures(db: &Db, scope: &Scope, year: i64) -> Result<Figures> {
    let like = scope.like();
    let place = scope.path_expr("");
    let (era, units_like) = scope.units_like();
    let count = |sql: String, like: String| async move {
        let n: i64 = sqlx::query_scalar(&sql).bind(like).fetch_one(&db.pool).await?;
        Ok::<i64, AppError>(n)
    };
    // A village counts in each year it existed on any day of (migration
    // 0015); one made inactive with no day known counts in none.
    let villages: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM villages WHERE (active = 1 OR closed_on IS NOT NULL) \
         AND (founded_on IS NULL OR founded_on <= $2) AND (closed_on IS NULL OR closed_on >= $3) \
         AND {place} LIKE $1"
    ))
    .bind(&like)
    .bind(format!("{year:04}-12-31"))
    .bind(format!("{year:04}-01-01"))
    .fetch_one(&db.pool)
    .await?;
    let communes = count(
        format!("SELECT COUNT(*) FROM units WHERE era = '{era}' AND level = 'commune' AND path LIKE $1"),
        units_like,
    )
    .await?;
    // Those Thông tư 124 Điều 1 leaves out do not register to strive for the standard.
    let organisations = count(
        format!(
            "SELECT COUNT(*) FROM organisations WHERE active = 1 AND antt_excluded = 0 AND {place} LIKE $1"
        ),
        like.clone(),
    )
    .await?;
    // The communes where villages registered: on the pre-2025 map the old
    // commune a village lay in ("956/956 bản, ở 106 xã, phường, thị trấn").
    // A village whose old commune is not known has a district's or a
    // province's path there (four '/' or fewer) and names no commune.
    let commune_of = if scope.is_legacy() {
        "CASE WHEN LENGTH(legacy_path) - LENGTH(REPLACE(legacy_path, '/', '')) = 5 THEN legacy_path END"
    } else {
        "unit_code"
    };
    let row = sqlx::query(&format!(
        "SELECT \
           COALESCE(SUM(CASE WHEN subject_kind = 'village' THEN 1 ELSE 0 END), 0) AS v, \
           COALESCE(SUM(CASE WHEN subject_kind = 'commune' THEN 1 ELSE 0 END), 0) AS c, \
           COALESCE(SUM(CASE WHEN subject_kind = 'organisation' THEN 1 ELSE 0 END), 0) AS o, \
           CAST(COALESCE(SUM(households_resident), 0) AS BIGINT) AS hr, \
           CAST(COALESCE(SUM(households_registered), 0) AS BIGINT) AS hg, \
           COUNT(DISTINCT CASE WHEN subject_kind = 'village' THEN {commune_of} END) AS vc \
         FROM registrations WHERE {place} LIKE $1 AND year = $2"
    ))
    .bind(&like)
    .bind(year)
    .fetch_one(&db.pool)
    .await?;
    let (hr, hg): (i64, i64) = (row.try_get("hr")?, row.try_get("hg")?);
    Ok(Figures {
        villages,
        villages_registered: row.try_get("v")?,
        communes,
        communes_registered: row.try_get("c")?,
        communes_with_villages_registered: row.try_get("vc")?,
        organisations,
        organisations_registered: row.try_get("o")?,
        households_resident: hr,
        households_registered: hg,
        households_share: (hr > 0).then(|| (hg as f64 * 1000.0 / hr as f64).round() / 10.0),
    })
}

/// One registration the actor may see.
pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Registration> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM registrations WHERE id = $1 AND scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    Ok(Registration::from_row(&row.ok_or_else(AppError::not_found)?)?)
}

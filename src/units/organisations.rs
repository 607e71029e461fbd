//! Organisations (cơ quan, doanh nghiệp, cơ sở giáo dục) attached to a commune
//! or a province: they register and are assessed like villages.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Unit, find_current};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{optional_text, required_text, shorten};
use crate::text::{fold, name_key};

/// (stored value, Vietnamese label)
pub const KINDS: [(&str, &str); 3] = [
    ("co_quan", "Cơ quan"),
    ("doanh_nghiep", "Doanh nghiệp"),
    ("co_so_giao_duc", "Cơ sở giáo dục"),
];

pub fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

const NAME_LABEL: &str = "Tên cơ quan, doanh nghiệp, trường học";

#[derive(Clone, Debug, Serialize)]
pub struct Organisation {
    pub id: i64,
    pub unit_code: String,
    pub province_code: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub note: String,
    /// Left out of "An toàn về ANTT" by Thông tư 124/2021/TT-BCA Điều 1.
    pub antt_excluded: bool,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub scope_path: String,
}

const COLUMNS: &str = "id, unit_code, province_code, name, kind, address, note, antt_excluded, active, created_at, updated_at, scope_path";

impl Organisation {
    fn from_row(r: &AnyRow) -> Result<Organisation, sqlx::Error> {
        Ok(Organisation {
            id: r.try_get("id")?,
            unit_code: r.try_get("unit_code")?,
            province_code: r.try_get("province_code")?,
            name: r.try_get("name")?,
            kind: r.try_get("kind")?,
            address: r.try_get("address")?,
            antt_excluded: r.try_get::<i64, _>("antt_excluded")? == 1,
            note: r.try_get("note")?,
            active: r.try_get::<i64, _>("active")? == 1,
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn kind_label(&self) -> &'static str {
        kind_label(&self.kind)
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct OrganisationDraft {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// true for an organisation Thông tư 124/2021/TT-BCA Điều 1 leaves out.
    #[serde(default)]
    pub antt_excluded: Option<Value>,
}

struct OrganisationInput {
    name: String,
    kind: String,
    address: String,
    note: String,
    antt_excluded: bool,
}

fn parse(draft: &OrganisationDraft, base: Option<&Organisation>) -> Result<OrganisationInput> {
    let mut inv = Invalid::default();
    let pick = |new: &Option<String>, old: Option<&String>| new.clone().or_else(|| old.cloned());
    let name = required_text(
        &mut inv,
        "name",
        NAME_LABEL,
        pick(&draft.name, base.map(|b| &b.name)).as_deref(),
        300,
    );
    let kind_raw = pick(&draft.kind, base.map(|b| &b.kind)).unwrap_or_default();
    let kind = KINDS
        .iter()
        .find(|(k, l)| *k == kind_raw.trim() || fold(l) == fold(&kind_raw))
        .map(|(k, _)| (*k).to_string())
        .unwrap_or_else(|| {
            inv.add(
                "kind",
                format!(
                    "Loại: \"{}\" không hợp lệ (cơ quan, doanh nghiệp hoặc cơ sở giáo dục).",
                    shorten(&kind_raw)
                ),
            );
            String::new()
        });
    let address = optional_text(
        &mut inv,
        "address",
        "Địa chỉ",
        pick(&draft.address, base.map(|b| &b.address)).as_deref(),
        500,
    );
    let note = optional_text(
        &mut inv,
        "note",
        "Ghi chú",
        pick(&draft.note, base.map(|b| &b.note)).as_deref(),
        1000,
    );
    let antt_excluded = crate::input::flag(
        &mut inv,
        "antt_excluded",
        "Không thuộc diện xét “An toàn về ANTT”",
        draft.antt_excluded.as_ref(),
        base.is_some_and(|b| b.antt_excluded),
    );
    inv.finish()?;
    Ok(OrganisationInput {
        name,
        kind,
        address,
        note,
        antt_excluded,
    })
}

fn snapshot(o: &Organisation) -> Value {
    json!(o)
}

fn duplicate(unit: &str, name: &str) -> AppError {
    AppError::conflict(
        "name",
        format!("{NAME_LABEL}: \"{}\" đã có trong {unit}.", shorten(name)),
    )
}

async fn ensure_name_free(tx: &mut Tx, unit: &Unit, name: &str, except: Option<i64>) -> Result<()> {
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM organisations WHERE unit_code = $1 AND name_key = $2 AND active = 1 AND id <> $3",
    )
    .bind(&unit.code)
    .bind(name_key(name))
    .bind(except.unwrap_or(-1))
    .fetch_optional(&mut **tx)
    .await?;
    if clash.is_some() {
        Err(duplicate(&unit.name, name))
    } else {
        Ok(())
    }
}

pub async fn create(
    db: &Db,
    actor: &Actor,
    unit_code: &str,
    draft: &OrganisationDraft,
) -> Result<Organisation> {
    policy::require_role(actor, Action::EditGeography)?;
    let unit = find_current(db, unit_code).await?.ok_or_else(|| {
        AppError::field(
            "unit_code",
            format!(
                "Đơn vị: không có đơn vị hành chính mã \"{}\".",
                shorten(unit_code)
            ),
        )
    })?;
    if unit.level != "commune" && unit.level != "province" {
        return Err(AppError::field(
            "unit_code",
            "Đơn vị: cơ quan, doanh nghiệp, trường học được gắn với một xã hoặc một tỉnh.",
        ));
    }
    policy::authorize(actor, Action::EditGeography, &unit.path)?;
    let input = parse(draft, None)?;
    let mut tx = db.begin().await?;
    ensure_name_free(&mut tx, &unit, &input.name, None).await?;
    let ts = now();
    let province = if unit.level == "province" {
        unit.code.clone()
    } else {
        unit.parent_code.clone().unwrap_or_default()
    };
    let row = sqlx::query(&format!(
        "INSERT INTO organisations (unit_code, province_code, scope_path, name, name_key, search_key, kind, \
         address, note, active, created_at, updated_at, antt_excluded) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $10, $11) RETURNING {COLUMNS}"
    ))
    .bind(&unit.code)
    .bind(&province)
    .bind(&unit.path)
    .bind(&input.name)
    .bind(name_key(&input.name))
    .bind(fold(&input.name))
    .bind(&input.kind)
    .bind(&input.address)
    .bind(&input.note)
    .bind(&ts)
    .bind(i64::from(input.antt_excluded))
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate(&unit.name, &input.name)
        } else {
            e.into()
        }
    })?;
    let org = Organisation::from_row(&row)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "organisation.create",
            target_kind: "organisation",
            target_id: org.id.to_string(),
            target_label: format!("{} ({})", org.name, unit.name),
            scope_path: unit.path.clone(),
            before: None,
            after: Some(snapshot(&org)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(org)
}

pub async fn get(db: &Db, actor: &Actor, id: i64) -> Result<Organisation> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE id = $1 AND scope_path LIKE $2"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&db.pool)
    .await?;
    Ok(Organisation::from_row(&row.ok_or_else(AppError::not_found)?)?)
}

/// Applies a change to an organisation; `deactivate` ends it instead.
async fn change(db: &Db, actor: &Actor, id: i64, draft: Option<&OrganisationDraft>) -> Result<Organisation> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let mut tx = db.begin().await?;
    // Read inside the transaction (locked on PostgreSQL): the fields a partial
    // update leaves out are filled from this row, and the audit's "before" is it.
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut *tx)
    .await?;
    let before = Organisation::from_row(&row.ok_or_else(AppError::not_found)?)?;
    policy::authorize(actor, Action::EditGeography, &before.scope_path)?;
    if !before.active {
        return Err(AppError::conflict("active", "Đơn vị này đã ngừng hoạt động."));
    }
    let unit_row = sqlx::query(&format!(
        "SELECT {} FROM units u WHERE u.era = 'current' AND u.code = $1",
        super::UNIT_COLUMNS
    ))
    .bind(&before.unit_code)
    .fetch_optional(&mut *tx)
    .await?;
    let unit = Unit::from_row(&unit_row.ok_or_else(AppError::not_found)?)?;
    let (action, row) = match draft {
        Some(draft) => {
            let input = parse(draft, Some(&before))?;
            ensure_name_free(&mut tx, &unit, &input.name, Some(id)).await?;
            let row = sqlx::query(&format!(
                "UPDATE organisations SET name = $1, name_key = $2, search_key = $3, kind = $4, address = $5, \
                 note = $6, updated_at = $7, antt_excluded = $9 WHERE id = $8 AND active = 1 RETURNING {COLUMNS}"
            ))
            .bind(&input.name)
            .bind(name_key(&input.name))
            .bind(fold(&input.name))
            .bind(&input.kind)
            .bind(&input.address)
            .bind(&input.note)
            .bind(now())
            .bind(id)
            .bind(i64::from(input.antt_excluded))
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| if is_unique_violation(&e) { duplicate(&unit.name, &input.name) } else { e.into() })?;
            ("organisation.update", row)
        }
        None => {
            let row = sqlx::query(&format!(
                "UPDATE organisations SET active = 0, updated_at = $1 WHERE id = $2 AND active = 1 RETURNING {COLUMNS}"
            ))
            .bind(now())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            ("organisation.deactivate", row)
        }
    };
    // A concurrent deactivation between the read and the write leaves no row.
    let after = Organisation::from_row(
        &row.ok_or_else(|| AppError::conflict("active", "Đơn vị này đã ngừng hoạt động."))?,
    )?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action,
            target_kind: "organisation",
            target_id: id.to_string(),
            target_label: format!("{} ({})", after.name, unit.name),
            scope_path: after.scope_path.clone(),
            before: Some(snapshot(&before)),
            after: Some(snapshot(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub async fn update(db: &Db, actor: &Actor, id: i64, draft: &OrganisationDraft) -> Result<Organisation> {
    change(db, actor, id, Some(draft)).await
}

pub async fn deactivate(db: &Db, actor: &Actor, id: i64) -> Result<Organisation> {
    change(db, actor, id, None).await
}

/// Organisations of a unit's subtree inside the actor's scope.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit) -> Result<Vec<Organisation>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM organisations WHERE scope_path LIKE $1 AND active = 1 ORDER BY unit_code, name_key"
    ))
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Organisation::from_row(r).map_err(Into::into))
        .collect()
}

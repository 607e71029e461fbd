//! Models (mô hình) and their points (điểm). A model type is defined at a
//! unit and used by points in that unit's subtree; each point runs in a
//! commune (optionally a village), may be replicated from an earlier point,
//! and may be recognised as "điển hình tiên tiến". Counting follows Hướng dẫn
//! 22/HD-BCA-V05: model types, points, and the teams implementing them.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::unit_in_tx;
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, Scope, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{self, optional_text, required_text, shorten, value_text};
use crate::text::{fold, name_key};
use crate::units::{self, Unit};

pub const CATEGORIES: [(&str, &str); 4] = [
    ("tu_phong", "Tự phòng"),
    ("tu_quan", "Tự quản"),
    ("tu_bao_ve", "Tự bảo vệ"),
    ("tu_hoa_giai", "Tự hòa giải"),
];

pub const FIELDS: [(&str, &str); 6] = [
    ("antt", "An ninh, trật tự"),
    ("ma_tuy", "Phòng, chống ma túy"),
    ("giao_thong", "Trật tự an toàn giao thông"),
    ("pccc", "Phòng cháy, chữa cháy"),
    ("khong_gian_mang", "An ninh mạng, không gian mạng"),
    ("khac", "Lĩnh vực khác"),
];

pub const STATUSES: [(&str, &str); 3] = [
    ("dang_hoat_dong", "Đang hoạt động"),
    ("tam_dung", "Tạm dừng"),
    ("da_ket_thuc", "Đã kết thúc"),
];

fn pick(table: &[(&'static str, &'static str)], raw: &str) -> Option<&'static str> {
    let key = fold(raw);
    table
        .iter()
        .find(|(k, l)| *k == raw.trim() || fold(l) == key)
        .map(|(k, _)| *k)
}

use super::teams::label;

#[derive(Clone, Debug, Serialize)]
pub struct ModelType {
    pub id: i64,
    pub owner_code: String,
    pub name: String,
    pub category: String,
    pub category_label: String,
    pub field: String,
    pub field_label: String,
    pub description: String,
    pub active: bool,
    #[serde(skip)]
    pub scope_path: String,
}

const TYPE_COLUMNS: &str = "id, owner_code, name, category, field, description, active, scope_path";

impl ModelType {
    fn from_row(r: &AnyRow) -> Result<ModelType, sqlx::Error> {
        let category: String = r.try_get("category")?;
        let field: String = r.try_get("field")?;
        Ok(ModelType {
            id: r.try_get("id")?,
            owner_code: r.try_get("owner_code")?,
            name: r.try_get("name")?,
            category_label: label(&CATEGORIES, &category).to_string(),
            category,
            field_label: label(&FIELDS, &field).to_string(),
            field,
            description: r.try_get("description")?,
            active: r.try_get::<i64, _>("active")? == 1,
            scope_path: r.try_get("scope_path")?,
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ModelTypeDraft {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Defines a model type at a unit (nation, province or commune) in scope.
pub async fn create_type(
    db: &Db,
    actor: &Actor,
    owner_code: &str,
    draft: &ModelTypeDraft,
) -> Result<ModelType> {
    policy::require_role(actor, Action::EditGeography)?;
    let owner = units::find_current(db, owner_code).await?.ok_or_else(|| {
        AppError::field(
            "owner_code",
            format!("Đơn vị: không có đơn vị mã \"{}\".", shorten(owner_code)),
        )
    })?;
    policy::authorize(actor, Action::EditGeography, &owner.path)?;
    let mut inv = Invalid::default();
    let name = required_text(&mut inv, "name", "Tên mô hình", draft.name.as_deref(), 300);
    let category_raw = draft.category.clone().unwrap_or_default();
    let category = pick(&CATEGORIES, &category_raw).unwrap_or_else(|| {
        inv.add(
            "category",
            "Nhóm mô hình: chọn tự phòng, tự quản, tự bảo vệ hoặc tự hòa giải.",
        );
        "tu_quan"
    });
    let field_raw = draft.field.clone().unwrap_or_default();
    let field = pick(&FIELDS, &field_raw).unwrap_or_else(|| {
        inv.add(
            "field",
            format!("Lĩnh vực: \"{}\" không hợp lệ.", shorten(&field_raw)),
        );
        "antt"
    });
    let description = optional_text(
        &mut inv,
        "description",
        "Mô tả",
        draft.description.as_deref(),
        2000,
    );
    inv.finish()?;
    let mut tx = db.begin().await?;
    let ts = now();
    let row = sqlx::query(&format!(
        "INSERT INTO model_types (owner_code, scope_path, name, name_key, category, field, description, active, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $8) RETURNING {TYPE_COLUMNS}"
    ))
    .bind(&owner.code)
    .bind(&owner.path)
    .bind(&name)
    .bind(name_key(&name))
    .bind(category)
    .bind(field)
    .bind(&description)
    .bind(&ts)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("name", format!("Tên mô hình: \"{}\" đã có ở {}.", shorten(&name), owner.name))
        } else {
            e.into()
        }
    })?;
    let t = ModelType::from_row(&row)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "model_type.create",
            target_kind: "model_type",
            target_id: t.id.to_string(),
            target_label: format!("{} ({})", t.name, owner.name),
            scope_path: owner.path.clone(),
            before: None,
            after: Some(json!(t)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(t)
}

/// Model types usable at a unit: defined there or at any unit above it.
pub async fn types_available(db: &Db, unit: &Unit) -> Result<Vec<ModelType>> {
    let rows = sqlx::query(&format!(
        "SELECT {TYPE_COLUMNS} FROM model_types WHERE active = 1 AND $1 LIKE scope_path || '%' ORDER BY name_key"
    ))
    .bind(&unit.path)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| ModelType::from_row(r).map_err(Into::into))
        .collect()
}

async fn type_for_point(tx: &mut Tx, id: i64, commune: &Unit) -> Result<Option<ModelType>> {
    let row = sqlx::query(&format!(
        "SELECT {TYPE_COLUMNS} FROM model_types WHERE id = $1 AND active = 1 AND $2 LIKE scope_path || '%'"
    ))
    .bind(id)
    .bind(&commune.path)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => Some(ModelType::from_row(&r)?),
        None => None,
    })
}

#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub id: i64,
    pub model_type_id: i64,
    pub model_name: String,
    pub commune_code: String,
    pub village_id: Option<i64>,
    pub name: String,
    pub started_on: String,
    pub status: String,
    pub status_label: String,
    pub ended_on: Option<String>,
    pub replicated_from: Option<i64>,
    pub advanced_decision: Option<String>,
    pub advanced_on: Option<String>,
    pub advanced_issuer: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub note: String,
    pub team_ids: Vec<i64>,
    #[serde(skip)]
    pub scope_path: String,
}

const POINT_COLUMNS: &str = "p.id, p.model_type_id, t.name AS model_name, p.commune_code, p.village_id, p.name, \
     p.started_on, p.status, p.ended_on, p.replicated_from, p.advanced_decision, p.advanced_on, p.advanced_issuer, \
     p.lat, p.lon, p.note, p.scope_path";
const POINT_FROM: &str = "model_points p JOIN model_types t ON t.id = p.model_type_id";

impl Point {
    fn from_row(r: &AnyRow) -> Result<Point, sqlx::Error> {
        let status: String = r.try_get("status")?;
        Ok(Point {
            id: r.try_get("id")?,
            model_type_id: r.try_get("model_type_id")?,
            model_name: r.try_get("model_name")?,
            commune_code: r.try_get("commune_code")?,
            village_id: r.try_get("village_id")?,
            name: r.try_get("name")?,
            started_on: r.try_get("started_on")?,
            status_label: label(&STATUSES, &status).to_string(),
            status,
            ended_on: r.try_get("ended_on")?,
            replicated_from: r.try_get("replicated_from")?,
            advanced_decision: r.try_get("advanced_decision")?,
            advanced_on: r.try_get("advanced_on")?,
            advanced_issuer: r.try_get("advanced_issuer")?,
            lat: r.try_get("lat")?,
            lon: r.try_get("lon")?,
            note: r.try_get("note")?,
            team_ids: Vec::new(),
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn is_advanced(&self) -> bool {
        self.advanced_decision.as_deref().is_some_and(|d| !d.is_empty())
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PointDraft {
    #[serde(default)]
    pub model_type_id: Option<Value>,
    #[serde(default)]
    pub village_id: Option<Value>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub started_on: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub ended_on: Option<String>,
    #[serde(default)]
    pub replicated_from: Option<Value>,
    #[serde(default)]
    pub advanced_decision: Option<String>,
    #[serde(default)]
    pub advanced_on: Option<String>,
    #[serde(default)]
    pub advanced_issuer: Option<String>,
    #[serde(default)]
    pub lat: Option<Value>,
    #[serde(default)]
    pub lon: Option<Value>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub team_ids: Option<Vec<i64>>,
}

struct PointInput {
    model_type_id: i64,
    village_id: Option<i64>,
    name: String,
    started_on: String,
    status: &'static str,
    ended_on: Option<String>,
    replicated_from: Option<i64>,
    advanced_decision: Option<String>,
    advanced_on: Option<String>,
    advanced_issuer: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    note: String,
    team_ids: Vec<i64>,
}

fn opt_id(inv: &mut Invalid, field: &str, label: &str, raw: Option<&Value>) -> Option<i64> {
    let text = raw
        .and_then(value_text)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())?;
    match text.parse::<i64>() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            inv.add(field, format!("{label}: \"{}\" không hợp lệ.", shorten(&text)));
            None
        }
    }
}

fn opt_coord(inv: &mut Invalid, field: &str, label: &str, raw: Option<&Value>, range: f64) -> Option<f64> {
    let text = raw
        .and_then(value_text)
        .map(|t| t.trim().replace(',', "."))
        .filter(|t| !t.is_empty())?;
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() && x.abs() <= range => Some(x),
        _ => {
            inv.add(field, format!("{label}: \"{}\" không hợp lệ.", shorten(&text)));
            None
        }
    }
}

/// Fields of a point, with the rules that need other rows: the type must be
/// usable in the commune, the village must be of the commune, a point is
/// replicated only from an earlier point of the same model.
async fn parse_point(
    tx: &mut Tx,
    scope: &Scope,
    commune: &Unit,
    draft: &PointDraft,
    id: Option<i64>,
) -> Result<PointInput> {
    let mut inv = Invalid::default();
    let model_type_id = opt_id(&mut inv, "model_type_id", "Mô hình", draft.model_type_id.as_ref());
    if model_type_id.is_none() && !inv.has("model_type_id") {
        inv.add("model_type_id", "Mô hình: chọn một mô hình.");
    }
    let village_id = opt_id(
        &mut inv,
        "village_id",
        "Thôn, tổ dân phố",
        draft.village_id.as_ref(),
    );
    let name = required_text(&mut inv, "name", "Tên điểm mô hình", draft.name.as_deref(), 300);
    let started_on = input::date(
        &mut inv,
        "started_on",
        "Ngày bắt đầu",
        draft.started_on.as_deref(),
        true,
    );
    if started_on
        .as_deref()
        .and_then(input::parse_date)
        .is_some_and(|d| d > input::today())
    {
        inv.add("started_on", "Ngày bắt đầu: không được sau ngày hôm nay.");
    }
    let status_raw = draft.status.clone().unwrap_or_else(|| "dang_hoat_dong".into());
    let status = pick(&STATUSES, &status_raw).unwrap_or_else(|| {
        inv.add("status", "Trạng thái: đang hoạt động, tạm dừng hoặc đã kết thúc.");
        "dang_hoat_dong"
    });
    let ended_on = input::date(
        &mut inv,
        "ended_on",
        "Ngày kết thúc",
        draft.ended_on.as_deref(),
        status == "da_ket_thuc",
    );
    if let (Some(s), Some(e)) = (&started_on, &ended_on)
        && e < s
    {
        inv.add("ended_on", "Ngày kết thúc: không được trước ngày bắt đầu.");
    }
    let replicated_from = opt_id(
        &mut inv,
        "replicated_from",
        "Nhân rộng từ điểm",
        draft.replicated_from.as_ref(),
    );
    let text = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let advanced_decision = text(&draft.advanced_decision);
    let advanced_on = input::date(
        &mut inv,
        "advanced_on",
        "Ngày công nhận điển hình",
        draft.advanced_on.as_deref(),
        advanced_decision.is_some(),
    );
    let advanced_issuer = text(&draft.advanced_issuer);
    if advanced_decision.is_some() && advanced_issuer.is_none() {
        inv.add(
            "advanced_issuer",
            "Cơ quan công nhận điển hình: không được để trống khi có số quyết định.",
        );
    }
    if advanced_on
        .as_deref()
        .and_then(input::parse_date)
        .is_some_and(|d| d > input::today())
    {
        inv.add(
            "advanced_on",
            "Ngày công nhận điển hình: không được sau ngày hôm nay.",
        );
    }
    let lat = opt_coord(&mut inv, "lat", "Vĩ độ", draft.lat.as_ref(), 90.0);
    let lon = opt_coord(&mut inv, "lon", "Kinh độ", draft.lon.as_ref(), 180.0);
    let note = optional_text(&mut inv, "note", "Ghi chú", draft.note.as_deref(), 1000);
    let team_ids = draft.team_ids.clone().unwrap_or_default();

    let model = match model_type_id {
        Some(t) => type_for_point(tx, t, commune).await?,
        None => None,
    };
    if model_type_id.is_some() && model.is_none() {
        inv.add(
            "model_type_id",
            format!("Mô hình: không dùng được tại {}.", commune.name),
        );
    }
    if let Some(v) = village_id {
        let ok: Option<i64> =
            sqlx::query_scalar("SELECT id FROM villages WHERE id = $1 AND commune_code = $2")
                .bind(v)
                .bind(&commune.code)
                .fetch_optional(&mut **tx)
                .await?;
        if ok.is_none() {
            inv.add(
                "village_id",
                format!("Thôn, tổ dân phố: không thuộc {}.", commune.name),
            );
        }
    }
    for t in &team_ids {
        let ok: Option<i64> = sqlx::query_scalar("SELECT id FROM teams WHERE id = $1 AND commune_code = $2")
            .bind(t)
            .bind(&commune.code)
            .fetch_optional(&mut **tx)
            .await?;
        if ok.is_none() {
            inv.add(
                "team_ids",
                format!("Tổ thực hiện: tổ số {t} không thuộc {}.", commune.name),
            );
        }
    }
    if let Some(from) = replicated_from {
        if Some(from) == id {
            inv.add(
                "replicated_from",
                "Nhân rộng từ điểm: một điểm không nhân rộng từ chính nó.",
            );
        }
        let source =
            sqlx::query("SELECT model_type_id, started_on, scope_path FROM model_points WHERE id = $1")
                .bind(from)
                .fetch_optional(&mut **tx)
                .await?;
        // A model spreads across communes, so the source may lie outside the
        // actor's scope. Then the answer says only whether it can be used —
        // not whether it exists, nor its model or date.
        let readable = match &source {
            Some(src) => scope.contains(&src.try_get::<String, _>("scope_path")?),
            None => false,
        };
        let mut problems = Vec::new();
        match &source {
            None => problems.push(format!("không có điểm số {from}.")),
            Some(src) => {
                let src_type: i64 = src.try_get("model_type_id")?;
                let src_start: String = src.try_get("started_on")?;
                if Some(src_type) != model_type_id {
                    problems.push(format!("điểm số {from} thuộc mô hình khác."));
                }
                if let Some(start) = &started_on
                    && src_start > *start
                {
                    problems.push(format!(
                        "điểm số {from} bắt đầu ngày {}, sau ngày bắt đầu của điểm này ({}).",
                        crate::text::format_date(&src_start),
                        crate::text::format_date(start)
                    ));
                }
                if let Some(id) = id
                    && descends_from(tx, from, id).await?
                {
                    problems.push("tạo thành vòng lặp nhân rộng.".to_string());
                }
            }
        }
        if let Some(first) = problems.first() {
            let message = if readable {
                format!("Nhân rộng từ điểm: {first}")
            } else {
                format!("Nhân rộng từ điểm: không dùng được điểm số {from} làm điểm nhân rộng.")
            };
            inv.add("replicated_from", message);
        }
    }
    // Points replicated from this one must stay of its model and start later.
    if let Some(id) = id {
        let broken: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM model_points WHERE replicated_from = $1 AND (model_type_id <> $2 OR started_on < $3)",
        )
        .bind(id)
        .bind(model_type_id.unwrap_or(-1))
        .bind(started_on.as_deref().unwrap_or(""))
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(child) = broken {
            inv.add(
                "started_on",
                format!(
                    "Ngày bắt đầu: điểm số {child} nhân rộng từ điểm này phải cùng mô hình và bắt đầu sau nó."
                ),
            );
        }
    }
    inv.finish()?;
    Ok(PointInput {
        model_type_id: model_type_id.unwrap_or_default(),
        village_id,
        name,
        started_on: started_on.unwrap_or_default(),
        status,
        ended_on,
        replicated_from,
        advanced_decision,
        advanced_on,
        advanced_issuer,
        lat,
        lon,
        note,
        team_ids,
    })
}

/// True when `point` is `ancestor` or lies below it in the replication tree.
async fn descends_from(tx: &mut Tx, point: i64, ancestor: i64) -> Result<bool> {
    let mut current = Some(point);
    let mut steps = 0;
    while let Some(p) = current {
        if p == ancestor {
            return Ok(true);
        }
        steps += 1;
        if steps > 10_000 {
            return Ok(true);
        }
        current = sqlx::query_scalar("SELECT replicated_from FROM model_points WHERE id = $1")
            .bind(p)
            .fetch_optional(&mut **tx)
            .await?
            .flatten();
    }
    Ok(false)
}

async fn set_teams(tx: &mut Tx, point_id: i64, ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM point_teams WHERE point_id = $1")
        .bind(point_id)
        .execute(&mut **tx)
        .await?;
    for t in ids {
        sqlx::query("INSERT INTO point_teams (point_id, team_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(point_id)
            .bind(t)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn point_in_tx(tx: &mut Tx, actor: &Actor, id: i64, lock: &str) -> Result<Point> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    // FOR UPDATE cannot lock the joined model_types row's nullable side, so
    // lock only the point's own table.
    let lock = if lock.is_empty() {
        String::new()
    } else {
        format!("{lock} OF p")
    };
    let row = sqlx::query(&format!(
        "SELECT {POINT_COLUMNS} FROM {POINT_FROM} WHERE p.id = $1 AND p.scope_path LIKE $2{lock}"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    let mut point = Point::from_row(&row.ok_or_else(AppError::not_found)?)?;
    point.team_ids =
        sqlx::query_scalar("SELECT team_id FROM point_teams WHERE point_id = $1 ORDER BY team_id")
            .bind(id)
            .fetch_all(&mut **tx)
            .await?;
    Ok(point)
}

pub(crate) async fn get_point_in_tx(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Point> {
    point_in_tx(tx, actor, id, "").await
}

pub async fn get_point(db: &Db, actor: &Actor, id: i64) -> Result<Point> {
    let mut tx = db.begin_read().await?;
    let p = point_in_tx(&mut tx, actor, id, "").await?;
    tx.commit().await?;
    Ok(p)
}

pub async fn create_point(db: &Db, actor: &Actor, commune_code: &str, draft: &PointDraft) -> Result<Point> {
    let commune = units::villages::commune_for_write(db, actor, commune_code).await?;
    let mut tx = db.begin().await?;
    let point = create_point_in_tx(&mut tx, actor, &commune, draft).await?;
    tx.commit().await?;
    Ok(point)
}

pub(crate) async fn create_point_in_tx(
    tx: &mut Tx,
    actor: &Actor,
    commune: &Unit,
    draft: &PointDraft,
) -> Result<Point> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let input = parse_point(tx, &scope, commune, draft, None).await?;
    let ts = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO model_points (model_type_id, commune_code, province_code, village_id, scope_path, name, \
         started_on, status, ended_on, replicated_from, advanced_decision, advanced_on, advanced_issuer, lat, lon, \
         note, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         CAST($14 AS DOUBLE PRECISION), CAST($15 AS DOUBLE PRECISION), $16, $17, $17) RETURNING id",
    )
    .bind(input.model_type_id)
    .bind(&commune.code)
    .bind(commune.parent_code.clone().unwrap_or_default())
    .bind(input.village_id)
    .bind(&commune.path)
    .bind(&input.name)
    .bind(&input.started_on)
    .bind(input.status)
    .bind(input.ended_on.as_deref())
    .bind(input.replicated_from)
    .bind(input.advanced_decision.as_deref())
    .bind(input.advanced_on.as_deref())
    .bind(input.advanced_issuer.as_deref())
    .bind(input.lat.map(|x| x.to_string()))
    .bind(input.lon.map(|x| x.to_string()))
    .bind(&input.note)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await?;
    set_teams(tx, id, &input.team_ids).await?;
    let point = point_in_tx(tx, actor, id, "").await?;
    audit_point(tx, actor, "model_point.create", None, &point).await?;
    Ok(point)
}

pub async fn update_point(db: &Db, actor: &Actor, id: i64, draft: &PointDraft) -> Result<Point> {
    let mut tx = db.begin().await?;
    let point = update_point_in_tx(db, &mut tx, actor, id, draft).await?;
    tx.commit().await?;
    Ok(point)
}

pub(crate) async fn update_point_in_tx(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    draft: &PointDraft,
) -> Result<Point> {
    let before = point_in_tx(tx, actor, id, db.lock_clause()).await?;
    policy::authorize(actor, Action::EditGeography, &before.scope_path)?;
    let commune = unit_in_tx(tx, &before.commune_code).await?;
    let merged = PointDraft {
        model_type_id: draft
            .model_type_id
            .clone()
            .or(Some(Value::from(before.model_type_id))),
        village_id: draft.village_id.clone().or(before.village_id.map(Value::from)),
        name: draft.name.clone().or(Some(before.name.clone())),
        started_on: draft.started_on.clone().or(Some(before.started_on.clone())),
        status: draft.status.clone().or(Some(before.status.clone())),
        ended_on: draft.ended_on.clone().or(before.ended_on.clone()),
        replicated_from: draft
            .replicated_from
            .clone()
            .or(before.replicated_from.map(Value::from)),
        advanced_decision: draft
            .advanced_decision
            .clone()
            .or(before.advanced_decision.clone()),
        advanced_on: draft.advanced_on.clone().or(before.advanced_on.clone()),
        advanced_issuer: draft.advanced_issuer.clone().or(before.advanced_issuer.clone()),
        lat: draft.lat.clone().or(before.lat.map(Value::from)),
        lon: draft.lon.clone().or(before.lon.map(Value::from)),
        note: draft.note.clone().or(Some(before.note.clone())),
        team_ids: draft.team_ids.clone().or(Some(before.team_ids.clone())),
    };
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let input = parse_point(tx, &scope, &commune, &merged, Some(id)).await?;
    sqlx::query(
        "UPDATE model_points SET model_type_id = $1, village_id = $2, name = $3, started_on = $4, status = $5, \
         ended_on = $6, replicated_from = $7, advanced_decision = $8, advanced_on = $9, advanced_issuer = $10, \
         lat = CAST($11 AS DOUBLE PRECISION), lon = CAST($12 AS DOUBLE PRECISION), note = $13, updated_at = $14 \
         WHERE id = $15",
    )
    .bind(input.model_type_id)
    .bind(input.village_id)
    .bind(&input.name)
    .bind(&input.started_on)
    .bind(input.status)
    .bind(input.ended_on.as_deref())
    .bind(input.replicated_from)
    .bind(input.advanced_decision.as_deref())
    .bind(input.advanced_on.as_deref())
    .bind(input.advanced_issuer.as_deref())
    .bind(input.lat.map(|x| x.to_string()))
    .bind(input.lon.map(|x| x.to_string()))
    .bind(&input.note)
    .bind(now())
    .bind(id)
    .execute(&mut **tx)
    .await?;
    set_teams(tx, id, &input.team_ids).await?;
    let after = point_in_tx(tx, actor, id, "").await?;
    audit_point(tx, actor, "model_point.update", Some(&before), &after).await?;
    Ok(after)
}

async fn audit_point(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: Option<&Point>,
    after: &Point,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "model_point",
            target_id: after.id.to_string(),
            target_label: format!("{} – {}", after.model_name, after.name),
            scope_path: after.scope_path.clone(),
            before: before.map(|b| json!(b)),
            after: Some(json!(after)),
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct PointFilter {
    #[serde(default)]
    pub model_type_id: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
}

pub async fn list_points(db: &Db, actor: &Actor, unit: &Unit, filter: &PointFilter) -> Result<Vec<Point>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let status = filter.status.as_deref().filter(|s| !s.is_empty());
    let rows = sqlx::query(&format!(
        "SELECT {POINT_COLUMNS} FROM {POINT_FROM} WHERE p.scope_path LIKE $1 \
         AND ($2 IS NULL OR p.model_type_id = $2) AND ($3 IS NULL OR p.status = $3) \
         ORDER BY t.name_key, p.started_on, p.id"
    ))
    .bind(scope.like())
    .bind(filter.model_type_id)
    .bind(status)
    .fetch_all(&db.pool)
    .await?;
    let mut points: Vec<Point> = rows.iter().map(Point::from_row).collect::<Result<_, _>>()?;
    // Implementing teams of all listed points in one query.
    let links = sqlx::query(
        "SELECT pt.point_id, pt.team_id FROM point_teams pt JOIN model_points p ON p.id = pt.point_id \
         WHERE p.scope_path LIKE $1 ORDER BY pt.team_id",
    )
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    let mut by_point: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for l in links {
        by_point
            .entry(l.try_get("point_id")?)
            .or_default()
            .push(l.try_get("team_id")?);
    }
    for p in &mut points {
        p.team_ids = by_point.remove(&p.id).unwrap_or_default();
    }
    Ok(points)
}

/// A node of a replication tree.
#[derive(Debug, Serialize)]
pub struct TreeNode {
    /// None for a point outside the reader's scope: its place in the tree
    /// shows, nothing about it does.
    pub point: Option<Point>,
    pub depth: usize,
    pub visible: bool,
}

/// The replication tree a point belongs to: from its first point down to
/// every point replicated from it, depth first. Points outside the reader's
/// scope appear without their details.
pub async fn tree(db: &Db, actor: &Actor, id: i64) -> Result<Vec<TreeNode>> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let start = get_point(db, actor, id).await?;
    let rows = sqlx::query(&format!(
        "SELECT {POINT_COLUMNS} FROM {POINT_FROM} WHERE p.model_type_id = $1 ORDER BY p.started_on, p.id"
    ))
    .bind(start.model_type_id)
    .fetch_all(&db.pool)
    .await?;
    let all: Vec<Point> = rows.iter().map(Point::from_row).collect::<Result<_, _>>()?;
    let mut root = start.id;
    let mut guard = 0;
    while let Some(parent) = all.iter().find(|p| p.id == root).and_then(|p| p.replicated_from) {
        root = parent;
        guard += 1;
        if guard > all.len() {
            break;
        }
    }
    let mut out = Vec::new();
    let mut stack = vec![(root, 0usize)];
    while let Some((id, depth)) = stack.pop() {
        let Some(p) = all.iter().find(|p| p.id == id) else {
            continue;
        };
        let visible = scope.contains(&p.scope_path);
        out.push(TreeNode {
            point: visible.then(|| p.clone()),
            depth,
            visible,
        });
        if out.len() > all.len() {
            break;
        }
        let mut children: Vec<&Point> = all.iter().filter(|c| c.replicated_from == Some(id)).collect();
        children.reverse();
        for c in children {
            stack.push((c.id, depth + 1));
        }
    }
    Ok(out)
}

async fn type_for_write(db: &Db, tx: &mut Tx, actor: &Actor, id: i64) -> Result<ModelType> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {TYPE_COLUMNS} FROM model_types WHERE id = $1 AND scope_path LIKE $2{}",
        db.lock_clause()
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    let t = ModelType::from_row(&row.ok_or_else(AppError::not_found)?)?;
    policy::authorize(actor, Action::EditGeography, &t.scope_path)?;
    if !t.active {
        return Err(AppError::conflict("active", "Mô hình này đã ngừng sử dụng."));
    }
    Ok(t)
}

/// Renames or re-files a model type defined inside the actor's scope.
pub async fn update_type(db: &Db, actor: &Actor, id: i64, draft: &ModelTypeDraft) -> Result<ModelType> {
    let mut tx = db.begin().await?;
    let before = type_for_write(db, &mut tx, actor, id).await?;
    let mut inv = Invalid::default();
    let name = required_text(
        &mut inv,
        "name",
        "Tên mô hình",
        Some(draft.name.as_deref().unwrap_or(&before.name)),
        300,
    );
    let category_raw = draft.category.clone().unwrap_or_else(|| before.category.clone());
    let category = pick(&CATEGORIES, &category_raw).unwrap_or_else(|| {
        inv.add(
            "category",
            "Nhóm mô hình: chọn tự phòng, tự quản, tự bảo vệ hoặc tự hòa giải.",
        );
        "tu_quan"
    });
    let field_raw = draft.field.clone().unwrap_or_else(|| before.field.clone());
    let field = pick(&FIELDS, &field_raw).unwrap_or_else(|| {
        inv.add(
            "field",
            format!("Lĩnh vực: \"{}\" không hợp lệ.", shorten(&field_raw)),
        );
        "antt"
    });
    let description = optional_text(
        &mut inv,
        "description",
        "Mô tả",
        Some(draft.description.as_deref().unwrap_or(&before.description)),
        2000,
    );
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM model_types WHERE owner_code = $1 AND name_key = $2 AND active = 1 AND id <> $3",
    )
    .bind(&before.owner_code)
    .bind(name_key(&name))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if clash.is_some() {
        inv.add("name", format!("Tên mô hình: \"{}\" đã có.", shorten(&name)));
    }
    inv.finish()?;
    let row = sqlx::query(&format!(
        "UPDATE model_types SET name = $1, name_key = $2, category = $3, field = $4, description = $5, updated_at = $6 \
         WHERE id = $7 RETURNING {TYPE_COLUMNS}"
    ))
    .bind(&name)
    .bind(name_key(&name))
    .bind(category)
    .bind(field)
    .bind(&description)
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let after = ModelType::from_row(&row)?;
    audit_type(&mut tx, actor, "model_type.update", &before, &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// Stops a model type being offered for new points; its points stay and
/// are still counted.
pub async fn deactivate_type(db: &Db, actor: &Actor, id: i64) -> Result<ModelType> {
    let mut tx = db.begin().await?;
    let before = type_for_write(db, &mut tx, actor, id).await?;
    let row = sqlx::query(&format!(
        "UPDATE model_types SET active = 0, updated_at = $1 WHERE id = $2 RETURNING {TYPE_COLUMNS}"
    ))
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let after = ModelType::from_row(&row)?;
    audit_type(&mut tx, actor, "model_type.deactivate", &before, &after).await?;
    tx.commit().await?;
    Ok(after)
}

async fn audit_type(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: &ModelType,
    after: &ModelType,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "model_type",
            target_id: after.id.to_string(),
            target_label: after.name.clone(),
            scope_path: after.scope_path.clone(),
            before: Some(json!(before)),
            after: Some(json!(after)),
        },
    )
    .await
}

//! Forces and teams of a commune, and their members. The rules of Luật
//! 30/2023/QH15 for the Tổ bảo vệ an ninh, trật tự ở cơ sở are checked here:
//! members aged 18–70, one tổ trưởng per team, a person active in at most one
//! such team.

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

/// The security team of Luật 30/2023/QH15, the kind the law's rules bind.
pub const SECURITY_TEAM: &str = "to_bao_ve_antt";

/// (stored value, Vietnamese name)
pub const KINDS: [(&str, &str); 8] = [
    (SECURITY_TEAM, "Tổ bảo vệ an ninh, trật tự ở cơ sở"),
    ("to_an_ninh_nhan_dan", "Tổ an ninh nhân dân"),
    ("doi_dan_phong", "Tổ, đội dân phòng"),
    ("to_hoa_giai", "Tổ hòa giải"),
    ("to_tu_quan", "Tổ tự quản"),
    ("to_tuan_tra", "Tổ tuần tra \"dân cử, dân nuôi\""),
    ("doi_thanh_nien_xung_kich", "Đội thanh niên xung kích"),
    ("cau_lac_bo", "Câu lạc bộ"),
];

pub const ROLES: [(&str, &str); 3] = [
    ("to_truong", "Tổ trưởng"),
    ("to_pho", "Tổ phó"),
    ("to_vien", "Tổ viên"),
];
pub const GENDERS: [(&str, &str); 2] = [("nam", "Nam"), ("nu", "Nữ")];

pub fn label<'a>(table: &'a [(&'a str, &'a str)], code: &str) -> &'a str {
    table
        .iter()
        .find(|(k, _)| *k == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// A code from its code or its Vietnamese name, ignoring case and diacritics.
fn pick(table: &[(&'static str, &'static str)], raw: &str) -> Option<&'static str> {
    let key = fold(raw);
    table
        .iter()
        .find(|(k, l)| *k == raw.trim() || fold(l) == key)
        .map(|(k, _)| *k)
}

#[derive(Clone, Debug, Serialize)]
pub struct Team {
    pub id: i64,
    pub commune_code: String,
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub established_on: String,
    pub dissolved_on: Option<String>,
    pub active: bool,
    pub note: String,
    pub village_ids: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip)]
    pub scope_path: String,
}

const TEAM_COLUMNS: &str = "id, commune_code, kind, name, established_on, dissolved_on, active, note, \
     created_at, updated_at, scope_path";

impl Team {
    fn from_row(r: &AnyRow) -> Result<Team, sqlx::Error> {
        let kind: String = r.try_get("kind")?;
        Ok(Team {
            id: r.try_get("id")?,
            commune_code: r.try_get("commune_code")?,
            kind_label: label(&KINDS, &kind).to_string(),
            kind,
            name: r.try_get("name")?,
            established_on: r.try_get("established_on")?,
            dissolved_on: r.try_get("dissolved_on")?,
            active: r.try_get::<i64, _>("active")? == 1,
            note: r.try_get("note")?,
            village_ids: Vec::new(),
            created_at: r.try_get("created_at")?,
            updated_at: r.try_get("updated_at")?,
            scope_path: r.try_get("scope_path")?,
        })
    }
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct TeamDraft {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub established_on: Option<String>,
    /// Village ids the team covers (one or more, of the team's commune).
    #[serde(default)]
    pub village_ids: Option<Vec<i64>>,
    #[serde(default)]
    pub note: Option<String>,
}

struct TeamInput {
    kind: &'static str,
    name: String,
    established_on: String,
    village_ids: Vec<i64>,
    note: String,
}

async fn parse_team(
    tx: &mut Tx,
    commune: &Unit,
    draft: &TeamDraft,
    base: Option<&Team>,
) -> Result<TeamInput> {
    let mut inv = Invalid::default();
    let kind_raw = draft
        .kind
        .clone()
        .or_else(|| base.map(|b| b.kind.clone()))
        .unwrap_or_default();
    let kind = pick(&KINDS, &kind_raw).unwrap_or_else(|| {
        inv.add(
            "kind",
            format!("Loại lực lượng: \"{}\" không hợp lệ.", shorten(&kind_raw)),
        );
        SECURITY_TEAM
    });
    let name_raw = draft.name.clone().or_else(|| base.map(|b| b.name.clone()));
    let name = required_text(&mut inv, "name", "Tên tổ, đội", name_raw.as_deref(), 200);
    let est_raw = draft
        .established_on
        .clone()
        .or_else(|| base.map(|b| b.established_on.clone()));
    let established_on = input::date(
        &mut inv,
        "established_on",
        "Ngày thành lập",
        est_raw.as_deref(),
        true,
    );
    if let Some(d) = established_on.as_deref().and_then(input::parse_date)
        && d > input::today()
    {
        inv.add("established_on", "Ngày thành lập: không được sau ngày hôm nay.");
    }
    let note_raw = draft.note.clone().or_else(|| base.map(|b| b.note.clone()));
    let note = optional_text(&mut inv, "note", "Ghi chú", note_raw.as_deref(), 1000);
    let village_ids = draft
        .village_ids
        .clone()
        .or_else(|| base.map(|b| b.village_ids.clone()))
        .unwrap_or_default();
    if village_ids.is_empty() {
        inv.add(
            "village_ids",
            "Địa bàn phụ trách: chọn ít nhất một thôn, tổ dân phố.",
        );
    } else {
        for id in &village_ids {
            let ok: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM villages WHERE id = $1 AND commune_code = $2 AND active = 1",
            )
            .bind(id)
            .bind(&commune.code)
            .fetch_optional(&mut **tx)
            .await?;
            if ok.is_none() {
                inv.add(
                    "village_ids",
                    format!(
                        "Địa bàn phụ trách: thôn, tổ dân phố số {id} không thuộc {}.",
                        commune.name
                    ),
                );
            }
        }
    }
    inv.finish()?;
    Ok(TeamInput {
        kind,
        name,
        established_on: established_on.unwrap_or_default(),
        village_ids,
        note,
    })
}

async fn villages_of(ex: &mut Tx, team_id: i64) -> Result<Vec<i64>> {
    Ok(
        sqlx::query_scalar("SELECT village_id FROM team_villages WHERE team_id = $1 ORDER BY village_id")
            .bind(team_id)
            .fetch_all(&mut **ex)
            .await?,
    )
}

fn duplicate_team(commune: &Unit, name: &str) -> AppError {
    AppError::conflict(
        "name",
        format!("Tên tổ, đội: \"{}\" đã có trong {}.", shorten(name), commune.name),
    )
}

pub async fn create_team(db: &Db, actor: &Actor, commune_code: &str, draft: &TeamDraft) -> Result<Team> {
    let commune = units::villages::commune_for_write(db, actor, commune_code).await?;
    let mut tx = db.begin().await?;
    let team = create_team_in_tx(&mut tx, actor, &commune, draft).await?;
    tx.commit().await?;
    Ok(team)
}

/// A duplicate name is refused before the INSERT, so that no statement
/// fails inside an import's transaction (PostgreSQL would abort it).
async fn ensure_team_name_free(tx: &mut Tx, commune: &Unit, name: &str, except: Option<i64>) -> Result<()> {
    let clash: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM teams WHERE commune_code = $1 AND name_key = $2 AND active = 1 AND id <> $3",
    )
    .bind(&commune.code)
    .bind(name_key(name))
    .bind(except.unwrap_or(-1))
    .fetch_optional(&mut **tx)
    .await?;
    if clash.is_some() {
        Err(duplicate_team(commune, name))
    } else {
        Ok(())
    }
}

pub(crate) async fn create_team_in_tx(
    tx: &mut Tx,
    actor: &Actor,
    commune: &Unit,
    draft: &TeamDraft,
) -> Result<Team> {
    let input = parse_team(tx, commune, draft, None).await?;
    ensure_team_name_free(tx, commune, &input.name, None).await?;
    let ts = now();
    let row = sqlx::query(&format!(
        "INSERT INTO teams (commune_code, province_code, scope_path, kind, name, name_key, established_on, \
         active, note, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $9) \
         RETURNING {TEAM_COLUMNS}"
    ))
    .bind(&commune.code)
    .bind(commune.parent_code.clone().unwrap_or_default())
    .bind(&commune.path)
    .bind(input.kind)
    .bind(&input.name)
    .bind(name_key(&input.name))
    .bind(&input.established_on)
    .bind(&input.note)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            duplicate_team(commune, &input.name)
        } else {
            e.into()
        }
    })?;
    let mut team = Team::from_row(&row)?;
    set_villages(tx, team.id, &input.village_ids).await?;
    team.village_ids = input.village_ids;
    audit::record(
        tx,
        actor,
        Change {
            action: "team.create",
            target_kind: "team",
            target_id: team.id.to_string(),
            target_label: format!("{} ({})", team.name, commune.name),
            scope_path: team.scope_path.clone(),
            before: None,
            after: Some(json!(team)),
        },
    )
    .await?;
    Ok(team)
}

async fn set_villages(tx: &mut Tx, team_id: i64, ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM team_villages WHERE team_id = $1")
        .bind(team_id)
        .execute(&mut **tx)
        .await?;
    for id in ids {
        sqlx::query("INSERT INTO team_villages (team_id, village_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(team_id)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// One team the actor may see (404 outside scope).
pub async fn get_team(db: &Db, actor: &Actor, id: i64) -> Result<Team> {
    let mut tx = db.begin_read().await?;
    let team = team_in_tx(&mut tx, actor, id, "").await?;
    tx.commit().await?;
    Ok(team)
}

pub(crate) async fn team_in_tx(tx: &mut Tx, actor: &Actor, id: i64, lock: &str) -> Result<Team> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE id = $1 AND scope_path LIKE $2{lock}"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    let mut team = Team::from_row(&row.ok_or_else(AppError::not_found)?)?;
    team.village_ids = villages_of(tx, id).await?;
    Ok(team)
}

pub async fn update_team(db: &Db, actor: &Actor, id: i64, draft: &TeamDraft) -> Result<Team> {
    let mut tx = db.begin().await?;
    let team = update_team_in_tx(db, &mut tx, actor, id, draft).await?;
    tx.commit().await?;
    Ok(team)
}

pub(crate) async fn update_team_in_tx(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    draft: &TeamDraft,
) -> Result<Team> {
    let before = team_in_tx(tx, actor, id, db.lock_clause()).await?;
    policy::authorize(actor, Action::EditGeography, &before.scope_path)?;
    if !before.active {
        return Err(AppError::conflict(
            "active",
            "Tổ, đội này đã giải thể; không sửa được.",
        ));
    }
    let commune = unit_in_tx(tx, &before.commune_code).await?;
    let input = parse_team(tx, &commune, draft, Some(&before)).await?;
    ensure_team_name_free(tx, &commune, &input.name, Some(id)).await?;
    if before.kind != SECURITY_TEAM && input.kind == SECURITY_TEAM {
        check_members_for_security(db, tx, actor, &before).await?;
    }
    let row = sqlx::query(&format!(
        "UPDATE teams SET kind = $1, name = $2, name_key = $3, established_on = $4, note = $5, updated_at = $6 \
         WHERE id = $7 RETURNING {TEAM_COLUMNS}"
    ))
    .bind(input.kind)
    .bind(&input.name)
    .bind(name_key(&input.name))
    .bind(&input.established_on)
    .bind(&input.note)
    .bind(now())
    .bind(id)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { duplicate_team(&commune, &input.name) } else { e.into() })?;
    let mut after = Team::from_row(&row)?;
    set_villages(tx, id, &input.village_ids).await?;
    after.village_ids = input.village_ids;
    audit_team(tx, actor, "team.update", &before, &after).await?;
    Ok(after)
}

/// A team becoming a Tổ bảo vệ an ninh, trật tự brings its members under
/// the law's rules: each is checked as if joining now, and all failures are
/// listed.
async fn check_members_for_security(db: &Db, tx: &mut Tx, actor: &Actor, team: &Team) -> Result<()> {
    let rows = sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE team_id = $1 AND active = 1"
    ))
    .bind(team.id)
    .fetch_all(&mut **tx)
    .await?;
    let as_security = Team {
        kind: SECURITY_TEAM.to_string(),
        ..team.clone()
    };
    let mut inv = Invalid::default();
    for r in &rows {
        let m = Member::from_row(r)?;
        let mut own = Invalid::default();
        let input = parse_member(&as_security, &MemberDraft::default(), Some(&m), &mut own);
        check_member_rules(db, tx, actor, &as_security, &input, Some(m.id), &mut own).await?;
        if !own.is_empty() {
            inv.add(
                &format!("member {}", m.id),
                format!("{}: {}", m.full_name, own.into_messages().join(" ")),
            );
        }
    }
    inv.finish().map_err(|e| match e {
        AppError::Validation { message, fields } => AppError::Validation {
            message: format!(
                "Loại lực lượng: không chuyển thành Tổ bảo vệ an ninh, trật tự được vì {message}"
            ),
            fields,
        },
        other => other,
    })
}

/// Dissolves a team (never deleted: its ratings and points stay); its
/// members leave it on the same day.
pub async fn dissolve_team(db: &Db, actor: &Actor, id: i64, on: Option<&str>) -> Result<Team> {
    let mut tx = db.begin().await?;
    let before = team_in_tx(&mut tx, actor, id, db.lock_clause()).await?;
    policy::authorize(actor, Action::EditGeography, &before.scope_path)?;
    if !before.active {
        return Err(AppError::conflict("active", "Tổ, đội này đã giải thể từ trước."));
    }
    let mut inv = Invalid::default();
    let day = input::date(&mut inv, "dissolved_on", "Ngày giải thể", on, false)
        .unwrap_or_else(|| input::today().to_string());
    let latest_join: Option<String> =
        sqlx::query_scalar("SELECT MAX(joined_on) FROM members WHERE team_id = $1 AND active = 1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if day < before.established_on {
        inv.add("dissolved_on", "Ngày giải thể: không được trước ngày thành lập.");
    } else if latest_join.as_deref().is_some_and(|j| day.as_str() < j) {
        inv.add(
            "dissolved_on",
            "Ngày giải thể: không được trước ngày tham gia của một thành viên đang hoạt động.",
        );
    }
    if input::parse_date(&day).is_some_and(|d| d > input::today()) {
        inv.add("dissolved_on", "Ngày giải thể: không được sau ngày hôm nay.");
    }
    inv.finish()?;
    let row = sqlx::query(&format!(
        "UPDATE teams SET active = 0, dissolved_on = $1, updated_at = $2 WHERE id = $3 RETURNING {TEAM_COLUMNS}"
    ))
    .bind(&day)
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let ended = sqlx::query(&format!(
        "UPDATE members SET active = 0, left_on = $1, updated_at = $2 WHERE team_id = $3 AND active = 1 \
         RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(&day)
    .bind(now())
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let mut after = Team::from_row(&row)?;
    after.village_ids = before.village_ids.clone();
    audit_team(&mut tx, actor, "team.dissolve", &before, &after).await?;
    // Each member's leaving is a change of its own record: one audit row each.
    for r in &ended {
        let m = Member::from_row(r)?;
        let was = Member {
            active: true,
            left_on: None,
            ..m.clone()
        };
        audit_member(&mut tx, actor, "member.leave", &was, &m).await?;
    }
    tx.commit().await?;
    Ok(after)
}

async fn audit_team(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: &Team,
    after: &Team,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "team",
            target_id: after.id.to_string(),
            target_label: after.name.clone(),
            scope_path: after.scope_path.clone(),
            before: Some(json!(before)),
            after: Some(json!(after)),
        },
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct TeamFilter {
    #[serde(default)]
    pub kind: Option<String>,
    /// Include dissolved teams.
    #[serde(default)]
    pub all: Option<String>,
}

pub async fn list_teams(db: &Db, actor: &Actor, unit: &Unit, filter: &TeamFilter) -> Result<Vec<Team>> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let kind = filter.kind.as_deref().filter(|k| !k.is_empty());
    let all = filter.all.as_deref().is_some_and(|a| a == "1" || a == "true");
    let rows = sqlx::query(&format!(
        "SELECT {TEAM_COLUMNS} FROM teams WHERE scope_path LIKE $1 AND ($2 IS NULL OR kind = $2) \
         AND ($3 = 1 OR active = 1) ORDER BY commune_code, active DESC, name_key"
    ))
    .bind(scope.like())
    .bind(kind)
    .bind(i64::from(all))
    .fetch_all(&db.pool)
    .await?;
    let mut teams: Vec<Team> = rows.iter().map(Team::from_row).collect::<Result<_, _>>()?;
    let links = sqlx::query(
        "SELECT tv.team_id, tv.village_id FROM team_villages tv JOIN teams t ON t.id = tv.team_id \
         WHERE t.scope_path LIKE $1 ORDER BY tv.village_id",
    )
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    for l in links {
        let (t, v): (i64, i64) = (l.try_get("team_id")?, l.try_get("village_id")?);
        if let Some(team) = teams.iter_mut().find(|x| x.id == t) {
            team.village_ids.push(v);
        }
    }
    Ok(teams)
}

// ---------------------------------------------------------------- members

#[derive(Clone, Debug, Serialize)]
pub struct Member {
    pub id: i64,
    pub team_id: i64,
    pub role: String,
    pub role_label: String,
    pub full_name: String,
    pub citizen_id: String,
    pub birth_year: i64,
    pub gender: String,
    pub joined_on: String,
    pub left_on: Option<String>,
    pub phone: String,
    pub active: bool,
    #[serde(skip)]
    pub scope_path: String,
}

const MEMBER_COLUMNS: &str = "id, team_id, role, full_name, citizen_id, birth_year, gender, joined_on, left_on, \
     phone, active, scope_path";

impl Member {
    fn from_row(r: &AnyRow) -> Result<Member, sqlx::Error> {
        let role: String = r.try_get("role")?;
        Ok(Member {
            id: r.try_get("id")?,
            team_id: r.try_get("team_id")?,
            role_label: label(&ROLES, &role).to_string(),
            role,
            full_name: r.try_get("full_name")?,
            citizen_id: r.try_get("citizen_id")?,
            birth_year: r.try_get("birth_year")?,
            gender: r.try_get("gender")?,
            joined_on: r.try_get("joined_on")?,
            left_on: r.try_get("left_on")?,
            phone: r.try_get("phone")?,
            active: r.try_get::<i64, _>("active")? == 1,
            scope_path: r.try_get("scope_path")?,
        })
    }

    pub fn gender_label(&self) -> &'static str {
        if self.gender == "nu" { "Nữ" } else { "Nam" }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct MemberDraft {
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub citizen_id: Option<String>,
    #[serde(default)]
    pub birth_year: Option<Value>,
    #[serde(default)]
    pub gender: Option<String>,
    #[serde(default)]
    pub joined_on: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

#[derive(Clone, Debug)]
pub struct MemberInput {
    pub role: &'static str,
    pub full_name: String,
    pub citizen_id: String,
    pub birth_year: i64,
    pub gender: &'static str,
    pub joined_on: String,
    pub phone: String,
}

impl MemberInput {
    /// Who the person is across teams: the citizen id when known, else
    /// name, birth year and gender.
    pub fn person_key(&self) -> String {
        person_key(&self.full_name, self.birth_year, self.gender, &self.citizen_id)
    }
}

/// Who a person is across teams, awards and service records: the citizen id
/// when known, else name, birth year and gender.
pub fn person_key(full_name: &str, birth_year: i64, gender: &str, citizen_id: &str) -> String {
    if citizen_id.is_empty() {
        format!("{}|{}|{}", fold(full_name), birth_year, gender)
    } else {
        format!("cccd:{citizen_id}")
    }
}

impl Member {
    pub fn person_key(&self) -> String {
        person_key(&self.full_name, self.birth_year, &self.gender, &self.citizen_id)
    }
}

/// Parses a member's fields and the age rule of the team's kind; `base`
/// fills the fields a partial update leaves out.
pub fn parse_member(
    team: &Team,
    draft: &MemberDraft,
    base: Option<&Member>,
    inv: &mut Invalid,
) -> MemberInput {
    let text = |new: &Option<String>, old: Option<String>| new.clone().or(old);
    let role_raw = text(&draft.role, base.map(|b| b.role.clone())).unwrap_or_default();
    let role = pick(&ROLES, &role_raw).unwrap_or_else(|| {
        inv.add(
            "role",
            format!(
                "Chức danh: \"{}\" không hợp lệ (tổ trưởng, tổ phó, tổ viên).",
                shorten(&role_raw)
            ),
        );
        "to_vien"
    });
    let name = text(&draft.full_name, base.map(|b| b.full_name.clone()));
    let full_name = required_text(inv, "full_name", "Họ và tên", name.as_deref(), 200);
    let cid = text(&draft.citizen_id, base.map(|b| b.citizen_id.clone())).unwrap_or_default();
    let citizen_id = cid.trim().to_string();
    if !citizen_id.is_empty() && (citizen_id.len() != 12 || !citizen_id.chars().all(|c| c.is_ascii_digit())) {
        inv.add("citizen_id", "Số định danh cá nhân: gồm đúng 12 chữ số.");
    }
    let year_raw = draft
        .birth_year
        .as_ref()
        .and_then(value_text)
        .or_else(|| base.map(|b| b.birth_year.to_string()));
    let this_year = i64::from(input::today().year());
    let birth_year = match year_raw.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        None => {
            inv.add("birth_year", "Năm sinh: không được để trống.");
            0
        }
        Some(y) => match y.parse::<i64>() {
            Ok(n) if (1900..=this_year).contains(&n) => n,
            _ => {
                inv.add(
                    "birth_year",
                    format!("Năm sinh: \"{}\" không hợp lệ.", shorten(y)),
                );
                0
            }
        },
    };
    let gender_raw = text(&draft.gender, base.map(|b| b.gender.clone())).unwrap_or_default();
    let gender = pick(&GENDERS, &gender_raw).unwrap_or_else(|| {
        inv.add("gender", "Giới tính: chọn nam hoặc nữ.");
        "nam"
    });
    let joined_raw = text(&draft.joined_on, base.map(|b| b.joined_on.clone()));
    let joined_on =
        input::date(inv, "joined_on", "Ngày tham gia", joined_raw.as_deref(), true).unwrap_or_default();
    if !joined_on.is_empty() {
        if joined_on < team.established_on {
            inv.add("joined_on", "Ngày tham gia: không được trước ngày thành lập tổ.");
        }
        if input::parse_date(&joined_on).is_some_and(|d| d > input::today()) {
            inv.add("joined_on", "Ngày tham gia: không được sau ngày hôm nay.");
        }
    }
    let phone_raw = text(&draft.phone, base.map(|b| b.phone.clone())).unwrap_or_default();
    let phone: String = phone_raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '.')
        .collect();
    let digits = phone
        .strip_prefix("+84")
        .map(|d| format!("0{d}"))
        .unwrap_or_else(|| phone.clone());
    if !phone.is_empty() && (!(9..=11).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()))
    {
        inv.add(
            "phone",
            format!("Số điện thoại: \"{}\" không hợp lệ.", shorten(&phone_raw)),
        );
    }
    // Luật 30/2023/QH15: members of the security team are 18 to 70 years old.
    if team.kind == SECURITY_TEAM && birth_year > 0 {
        let join_year = input::parse_date(&joined_on)
            .map(|d| i64::from(d.year()))
            .unwrap_or(this_year);
        if join_year - birth_year < 18 {
            inv.add(
                "birth_year",
                format!(
                    "Năm sinh: thành viên Tổ bảo vệ an ninh, trật tự phải đủ 18 tuổi (Luật 30/2023/QH15); \
                     sinh năm {birth_year} thì năm {join_year} mới {} tuổi.",
                    join_year - birth_year
                ),
            );
        } else if this_year - birth_year > 70 {
            inv.add(
                "birth_year",
                format!(
                    "Năm sinh: thành viên Tổ bảo vệ an ninh, trật tự không quá 70 tuổi (Luật 30/2023/QH15); \
                     sinh năm {birth_year} là {} tuổi.",
                    this_year - birth_year
                ),
            );
        }
    }
    // Stored in one form (0…) so that the same number is always written alike.
    let phone = if phone.is_empty() { phone } else { digits };
    MemberInput {
        role,
        full_name,
        citizen_id,
        birth_year,
        gender,
        joined_on,
        phone,
    }
}

/// The rules that depend on other rows: one tổ trưởng per team, one active
/// security team per person.
async fn check_member_rules(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    team: &Team,
    input: &MemberInput,
    except: Option<i64>,
    inv: &mut Invalid,
) -> Result<()> {
    if input.role == "to_truong" {
        let leader: Option<String> = sqlx::query_scalar(
            "SELECT full_name FROM members WHERE team_id = $1 AND role = 'to_truong' AND active = 1 AND id <> $2",
        )
        .bind(team.id)
        .bind(except.unwrap_or(-1))
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(name) = leader {
            inv.add(
                "role",
                format!("Chức danh: tổ đã có tổ trưởng ({name}); mỗi tổ chỉ có một tổ trưởng."),
            );
        }
    }
    if team.kind == SECURITY_TEAM {
        // Two transactions adding one person to two teams lock different
        // team rows; on PostgreSQL a lock on the person serialises them
        // (SQLite's single writer already does).
        if db.backend == crate::db::Backend::Postgres {
            sqlx::query("SELECT CAST(pg_advisory_xact_lock(hashtext($1)) AS TEXT)")
                .bind(input.person_key())
                .execute(&mut **tx)
                .await?;
        }
        let other = sqlx::query(
            "SELECT t.name, t.scope_path FROM members m JOIN teams t ON t.id = m.team_id \
             WHERE m.person_key = $1 AND m.active = 1 AND t.active = 1 AND t.kind = $2 AND m.id <> $3",
        )
        .bind(input.person_key())
        .bind(SECURITY_TEAM)
        .bind(except.unwrap_or(-1))
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(row) = other {
            let name: String = row.try_get("name")?;
            let path: String = row.try_get("scope_path")?;
            inv.add("full_name", already_member(actor, &input.full_name, &name, &path));
        }
    }
    Ok(())
}

/// The rule needs the whole nation, but the other team is named only when
/// it lies inside the actor's scope.
pub fn already_member(actor: &Actor, person: &str, team_name: &str, team_path: &str) -> String {
    let visible = Scope::new(actor, Action::ViewGeography).is_ok_and(|s| s.contains(team_path));
    if visible {
        format!(
            "Họ và tên: {person} đang là thành viên của {team_name}; một người chỉ tham gia một Tổ bảo vệ an ninh, trật tự."
        )
    } else {
        format!(
            "Họ và tên: {person} đang là thành viên một Tổ bảo vệ an ninh, trật tự ở đơn vị khác; \
             một người chỉ tham gia một tổ."
        )
    }
}

/// Inserts one member (already parsed) with its audit row, checking the
/// cross-row rules inside the caller's transaction.
pub async fn insert_member(
    db: &Db,
    tx: &mut Tx,
    actor: &Actor,
    team: &Team,
    input: &MemberInput,
    action: &'static str,
) -> Result<Member> {
    let mut inv = Invalid::default();
    check_member_rules(db, tx, actor, team, input, None, &mut inv).await?;
    inv.finish()?;
    let ts = now();
    let row = sqlx::query(&format!(
        "INSERT INTO members (team_id, scope_path, role, full_name, person_key, citizen_id, birth_year, gender, \
         joined_on, phone, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $11, $11) RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(team.id)
    .bind(&team.scope_path)
    .bind(input.role)
    .bind(&input.full_name)
    .bind(input.person_key())
    .bind(&input.citizen_id)
    .bind(input.birth_year)
    .bind(input.gender)
    .bind(&input.joined_on)
    .bind(&input.phone)
    .bind(&ts)
    .fetch_one(&mut **tx)
    .await?;
    let member = Member::from_row(&row)?;
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "member",
            target_id: member.id.to_string(),
            target_label: format!("{} ({})", member.full_name, team.name),
            scope_path: team.scope_path.clone(),
            before: None,
            after: Some(json!(member)),
        },
    )
    .await?;
    Ok(member)
}

pub async fn add_member(db: &Db, actor: &Actor, team_id: i64, draft: &MemberDraft) -> Result<Member> {
    let mut tx = db.begin().await?;
    let team = team_in_tx(&mut tx, actor, team_id, db.lock_clause()).await?;
    policy::authorize(actor, Action::EditGeography, &team.scope_path)?;
    if !team.active {
        return Err(AppError::conflict(
            "team_id",
            "Tổ, đội này đã giải thể; không thêm thành viên được.",
        ));
    }
    let mut inv = Invalid::default();
    let input = parse_member(&team, draft, None, &mut inv);
    inv.finish()?;
    let member = insert_member(db, &mut tx, actor, &team, &input, "member.create").await?;
    tx.commit().await?;
    Ok(member)
}

pub(crate) async fn member_in_tx(tx: &mut Tx, actor: &Actor, id: i64, lock: &str) -> Result<(Member, Team)> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let row = sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1 AND scope_path LIKE $2{lock}"
    ))
    .bind(id)
    .bind(scope.like())
    .fetch_optional(&mut **tx)
    .await?;
    let member = Member::from_row(&row.ok_or_else(AppError::not_found)?)?;
    // A write locks the team as well: two members made tổ trưởng at once
    // must not both pass the one-leader check on PostgreSQL.
    let team = team_in_tx(tx, actor, member.team_id, lock).await?;
    Ok((member, team))
}

pub async fn get_member(db: &Db, actor: &Actor, id: i64) -> Result<(Member, Team)> {
    let mut tx = db.begin_read().await?;
    let found = member_in_tx(&mut tx, actor, id, "").await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn update_member(db: &Db, actor: &Actor, id: i64, draft: &MemberDraft) -> Result<Member> {
    let mut tx = db.begin().await?;
    let (before, team) = member_in_tx(&mut tx, actor, id, db.lock_clause()).await?;
    policy::authorize(actor, Action::EditGeography, &before.scope_path)?;
    if !before.active {
        return Err(AppError::conflict(
            "active",
            "Thành viên này đã rời tổ; không sửa được.",
        ));
    }
    let mut inv = Invalid::default();
    let input = parse_member(&team, draft, Some(&before), &mut inv);
    check_member_rules(db, &mut tx, actor, &team, &input, Some(id), &mut inv).await?;
    inv.finish()?;
    let row = sqlx::query(&format!(
        "UPDATE members SET role = $1, full_name = $2, person_key = $3, citizen_id = $4, birth_year = $5, \
         gender = $6, joined_on = $7, phone = $8, updated_at = $9 WHERE id = $10 RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(input.role)
    .bind(&input.full_name)
    .bind(input.person_key())
    .bind(&input.citizen_id)
    .bind(input.birth_year)
    .bind(input.gender)
    .bind(&input.joined_on)
    .bind(&input.phone)
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let after = Member::from_row(&row)?;
    // Who the person is may have changed (a corrected birth year, a citizen
    // id added): their awards and service records follow, so the
    // Kỷ niệm chương stays once per person and their service still counts.
    let (old_key, new_key) = (before.person_key(), after.person_key());
    if old_key != new_key {
        // Awards of the person: by this member record, and those recorded
        // by name in the member's commune before the correction.
        let own =
            "(COALESCE(member_id, -1) = $2 OR (member_id IS NULL AND person_key = $3 AND scope_path = $4))";
        let clash: Option<String> = sqlx::query_scalar(&format!(
            "SELECT decision_number FROM awards a WHERE award_type = 'ky_niem_chuong' AND cancelled_at IS NULL \
             AND person_key = $1 AND NOT {own} AND EXISTS (SELECT 1 FROM awards b WHERE b.award_type = 'ky_niem_chuong' \
             AND b.cancelled_at IS NULL AND (b.member_id = $2 OR (b.member_id IS NULL AND b.person_key = $3 AND b.scope_path = $4)))"
        ))
        .bind(&new_key)
        .bind(id)
        .bind(&old_key)
        .bind(&after.scope_path)
        .fetch_optional(&mut *tx)
        .await?;
        if clash.is_some() {
            return Err(AppError::conflict(
                "citizen_id",
                "Số định danh cá nhân: người mang số này đã được tặng Kỷ niệm chương, và thành viên này cũng vậy; \
                 một người chỉ được tặng một lần — hãy kiểm tra lại hai bản ghi khen thưởng.",
            ));
        }
        sqlx::query(&format!("UPDATE awards SET person_key = $1 WHERE {own}"))
            .bind(&new_key)
            .bind(id)
            .bind(&old_key)
            .bind(&after.scope_path)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if crate::error::is_unique_violation(&e) {
                    AppError::conflict(
                        "citizen_id",
                        "Số định danh cá nhân: người này đã được tặng Kỷ niệm chương.",
                    )
                } else {
                    e.into()
                }
            })?;
        sqlx::query("UPDATE service_records SET person_key = $1, full_name = $2 WHERE person_key = $3 AND scope_path = $4")
            .bind(&new_key)
            .bind(&after.full_name)
            .bind(&old_key)
            .bind(&after.scope_path)
            .execute(&mut *tx)
            .await?;
    }
    audit_member(&mut tx, actor, "member.update", &before, &after).await?;
    tx.commit().await?;
    Ok(after)
}

/// Ends a membership on a date (never deleted: ratings refer to it).
pub async fn leave(db: &Db, actor: &Actor, id: i64, on: Option<&str>) -> Result<Member> {
    let mut tx = db.begin().await?;
    let (before, _) = member_in_tx(&mut tx, actor, id, db.lock_clause()).await?;
    policy::authorize(actor, Action::EditGeography, &before.scope_path)?;
    if !before.active {
        return Err(AppError::conflict("active", "Thành viên này đã rời tổ từ trước."));
    }
    let mut inv = Invalid::default();
    let day = input::date(&mut inv, "left_on", "Ngày rời tổ", on, false)
        .unwrap_or_else(|| input::today().to_string());
    if day < before.joined_on {
        inv.add("left_on", "Ngày rời tổ: không được trước ngày tham gia.");
    }
    if input::parse_date(&day).is_some_and(|d| d > input::today()) {
        inv.add("left_on", "Ngày rời tổ: không được sau ngày hôm nay.");
    }
    inv.finish()?;
    let row = sqlx::query(&format!(
        "UPDATE members SET active = 0, left_on = $1, updated_at = $2 WHERE id = $3 RETURNING {MEMBER_COLUMNS}"
    ))
    .bind(&day)
    .bind(now())
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let after = Member::from_row(&row)?;
    audit_member(&mut tx, actor, "member.leave", &before, &after).await?;
    tx.commit().await?;
    Ok(after)
}

async fn audit_member(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    before: &Member,
    after: &Member,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "member",
            target_id: after.id.to_string(),
            target_label: after.full_name.clone(),
            scope_path: after.scope_path.clone(),
            before: Some(json!(before)),
            after: Some(json!(after)),
        },
    )
    .await
}

pub async fn list_members(db: &Db, actor: &Actor, team: &Team, include_former: bool) -> Result<Vec<Member>> {
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let rows = sqlx::query(&format!(
        "SELECT {MEMBER_COLUMNS} FROM members WHERE team_id = $1 AND scope_path LIKE $2 AND ($3 = 1 OR active = 1) \
         ORDER BY active DESC, CASE role WHEN 'to_truong' THEN 0 WHEN 'to_pho' THEN 1 ELSE 2 END, full_name"
    ))
    .bind(team.id)
    .bind(scope.like())
    .bind(i64::from(include_former))
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Member::from_row(r).map_err(Into::into))
        .collect()
}

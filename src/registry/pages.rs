//! Pages of the registries: a commune's teams and model points, a team with
//! its members and ratings, a point with its replication tree.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::Value;

use super::models::{self, ModelType, ModelTypeDraft, Point, PointDraft, PointFilter, TreeNode};
use super::ratings::{self, LEVELS, Quota, Rating, RatingDraft};
use super::summary::{self, Summary};
use super::teams::{self, GENDERS, KINDS, Member, MemberDraft, ROLES, Team, TeamDraft, TeamFilter};
use crate::app::AppState;
use crate::auth::{Action, Actor, policy};
use crate::error::AppError;
use crate::input;
use crate::units::pages::{FormState, NoticeQuery};
use crate::units::villages::{self, Village};
use crate::units::{self, Unit};
use crate::web::extract::{Id, Q};
use crate::web::{PageCtx, PageError, PageForm, PageResult, filters, refused_or, render, see_other};

type Form = BTreeMap<String, String>;

fn this_year() -> i64 {
    i64::from(input::today().year())
}

// ------------------------------------------------------------------ teams

#[derive(Template)]
#[template(path = "registry/teams.html")]
struct TeamsPage {
    ctx: PageCtx,
    unit: Unit,
    summary: Summary,
    teams: Vec<Team>,
    villages: Vec<Village>,
    can_edit: bool,
    kinds: &'static [(&'static str, &'static str)],
    form: FormState,
    import_form: FormState,
    teams_import_form: FormState,
    /// The list's filter as chosen: kind code ("" = all kinds), dissolved shown.
    filter_kind: String,
    filter_all: bool,
}

impl TeamsPage {
    fn kind_selected(&self, kind: &str) -> bool {
        self.filter_kind == kind
    }

    fn village_name(&self, id: &i64) -> String {
        self.villages
            .iter()
            .find(|v| v.id == *id)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }
}

async fn teams_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    form: FormState,
    notice: Option<&str>,
) -> Result<TeamsPage, PageError> {
    let db = &state.db;
    let unit = units::open_for(db, actor, code).await?;
    let villages = if unit.level == "commune" {
        villages::list(db, actor, &unit, false).await?
    } else {
        Vec::new()
    };
    Ok(TeamsPage {
        ctx: PageCtx::new(actor, format!("Lực lượng, tổ đội – {}", unit.name)).with_notice(notice),
        summary: summary::for_unit(db, actor, &unit, this_year()).await?,
        teams: teams::list_teams(db, actor, &unit, &Default::default()).await?,
        can_edit: unit.level == "commune"
            && policy::authorize(actor, Action::EditGeography, &unit.path).is_ok(),
        villages,
        kinds: &KINDS,
        form,
        import_form: FormState::default(),
        teams_import_form: FormState::default(),
        filter_kind: String::new(),
        filter_all: false,
        unit,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    all: Option<String>,
    #[serde(default)]
    model_type_id: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// The teams list, filtered by kind and (optionally) showing dissolved teams.
pub async fn teams(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<ListQuery>,
) -> PageResult {
    let mut page = teams_page(&state, &actor, &code, FormState::default(), q.ok.as_deref()).await?;
    let filter = TeamFilter {
        kind: q.kind.clone().filter(|k| !k.is_empty()),
        all: q.all.clone(),
    };
    if filter.kind.is_some() || filter.all.is_some() {
        page.teams = teams::list_teams(&state.db, &actor, &page.unit, &filter).await?;
        page.filter_kind = filter.kind.unwrap_or_default();
        page.filter_all = q.all.as_deref() == Some("1");
    }
    Ok(render(StatusCode::OK, &page))
}

/// Checkbox lists arrive as repeated `village_ids` fields; the form map keeps
/// one value per key, so the page posts them as `village_<id>=1` instead.
fn ids_from(form: &Form, prefix: &str) -> Vec<i64> {
    form.keys()
        .filter_map(|k| k.strip_prefix(prefix))
        .filter_map(|id| id.parse().ok())
        .collect()
}

pub async fn create_team(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = TeamDraft {
        kind: form.get("kind").cloned(),
        name: form.get("name").cloned(),
        established_on: form.get("established_on").cloned(),
        village_ids: Some(ids_from(&form, "village_")),
        note: form.get("note").cloned(),
    };
    match refused_or(teams::create_team(&state.db, &actor, &code, &draft).await)? {
        Ok(t) => Ok(see_other(&format!("/teams/{}", t.id), Some("team_created"))),
        Err(e) => Ok(render(
            e.status(),
            &teams_page(&state, &actor, &code, FormState::refused(form, &e), None).await?,
        )),
    }
}

#[derive(Template)]
#[template(path = "registry/team.html")]
struct TeamPage {
    ctx: PageCtx,
    team: Team,
    commune: Unit,
    villages: Vec<Village>,
    members: Vec<Member>,
    year: i64,
    ratings: Vec<Rating>,
    quotas: Vec<Quota>,
    can_edit: bool,
    roles: &'static [(&'static str, &'static str)],
    genders: &'static [(&'static str, &'static str)],
    levels: &'static [(&'static str, &'static str)],
    form: FormState,
    rating_form: FormState,
    edit_form: FormState,
    kinds: &'static [(&'static str, &'static str)],
}

impl TeamPage {
    /// Ticked in the edit form: as posted when re-shown, else as stored.
    fn covers(&self, village: &i64) -> bool {
        if self.edit_form.message.is_some() {
            self.edit_form.values.contains_key(&format!("village_{village}"))
        } else {
            self.team.village_ids.contains(village)
        }
    }

    fn rating_of(&self, kind: &str, id: &i64) -> String {
        self.ratings
            .iter()
            .find(|r| r.subject_kind == kind && r.subject_id == *id)
            .map(|r| r.level_label.clone())
            .unwrap_or_else(|| "Chưa xếp loại".into())
    }

    /// Whether a subject holds this level this year, to preselect it: the
    /// form never suggests a level nobody chose.
    fn has_level(&self, kind: &str, id: &i64, level: &str) -> bool {
        self.ratings
            .iter()
            .any(|r| r.subject_kind == kind && r.subject_id == *id && r.level == level)
    }

    fn quota_text(&self, kind: &str) -> String {
        match self.quotas.iter().find(|q| q.subject_kind == kind) {
            Some(q) => format!(
                "{} hoàn thành tốt → tối đa {} xuất sắc (20%); đã xếp {}; có thể xếp thêm {}.",
                q.good, q.allowed, q.excellent, q.remaining
            ),
            None => String::new(),
        }
    }

    fn village_name(&self, id: &i64) -> String {
        self.villages
            .iter()
            .find(|v| v.id == *id)
            .map(|v| v.name.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }
}

async fn team_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    year: Option<i64>,
    form: FormState,
    rating_form: FormState,
    notice: Option<&str>,
) -> Result<TeamPage, PageError> {
    let db = &state.db;
    let team = teams::get_team(db, actor, id).await?;
    let commune = units::find_current(db, &team.commune_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let year = year.unwrap_or_else(this_year);
    Ok(TeamPage {
        ctx: PageCtx::new(actor, team.name.clone()).with_notice(notice),
        villages: villages::list(db, actor, &commune, true).await?,
        members: teams::list_members(db, actor, &team, true).await?,
        ratings: ratings::for_commune(db, actor, &commune, year).await?,
        quotas: vec![
            ratings::quota(db, actor, &commune, "team", year).await?,
            ratings::quota(db, actor, &commune, "member", year).await?,
        ],
        can_edit: team.active && policy::authorize(actor, Action::EditGeography, &team.scope_path).is_ok(),
        year,
        roles: &ROLES,
        genders: &GENDERS,
        levels: &LEVELS,
        form,
        rating_form,
        edit_form: FormState {
            values: BTreeMap::from([
                ("name".into(), team.name.clone()),
                ("kind".into(), team.kind.clone()),
                (
                    "established_on".into(),
                    crate::text::format_date(&team.established_on),
                ),
                ("note".into(), team.note.clone()),
            ]),
            ..FormState::default()
        },
        kinds: &KINDS,
        commune,
        team,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct TeamQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    year: Option<i64>,
}

pub async fn team(State(state): State<AppState>, actor: Actor, Id(id): Id, Q(q): Q<TeamQuery>) -> PageResult {
    let page = team_page(
        &state,
        &actor,
        id,
        q.year,
        FormState::default(),
        FormState::default(),
        q.ok.as_deref(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn add_member(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = MemberDraft {
        role: form.get("role").cloned(),
        full_name: form.get("full_name").cloned(),
        citizen_id: form.get("citizen_id").cloned(),
        birth_year: form.get("birth_year").cloned().map(Value::String),
        gender: form.get("gender").cloned(),
        joined_on: form.get("joined_on").cloned(),
        phone: form.get("phone").cloned(),
    };
    match refused_or(teams::add_member(&state.db, &actor, id, &draft).await)? {
        Ok(_) => Ok(see_other(&format!("/teams/{id}#members"), Some("member_added"))),
        Err(e) => {
            let page = team_page(
                &state,
                &actor,
                id,
                None,
                FormState::refused(form, &e),
                FormState::default(),
                None,
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

pub async fn member_leave(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let m = teams::leave(
        &state.db,
        &actor,
        id,
        form.get("left_on").map(String::as_str).filter(|s| !s.is_empty()),
    )
    .await?;
    Ok(see_other(
        &format!("/teams/{}#members", m.team_id),
        Some("member_left"),
    ))
}

pub async fn update_team(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = TeamDraft {
        kind: form.get("kind").cloned(),
        name: form.get("name").cloned(),
        established_on: form.get("established_on").cloned(),
        village_ids: Some(ids_from(&form, "village_")),
        note: form.get("note").cloned(),
    };
    match refused_or(teams::update_team(&state.db, &actor, id, &draft).await)? {
        Ok(t) => Ok(see_other(&format!("/teams/{}", t.id), Some("team_updated"))),
        Err(e) => {
            let page = team_page(
                &state,
                &actor,
                id,
                None,
                FormState::default(),
                FormState::default(),
                None,
            )
            .await?;
            let page = TeamPage {
                edit_form: FormState::refused(form, &e),
                ..page
            };
            Ok(render(e.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "registry/member.html")]
struct MemberPage {
    ctx: PageCtx,
    member: Member,
    team: Team,
    can_edit: bool,
    roles: &'static [(&'static str, &'static str)],
    genders: &'static [(&'static str, &'static str)],
    form: FormState,
}

fn member_values(m: &Member) -> Form {
    BTreeMap::from([
        ("full_name".into(), m.full_name.clone()),
        ("role".into(), m.role.clone()),
        ("birth_year".into(), m.birth_year.to_string()),
        ("gender".into(), m.gender.clone()),
        ("joined_on".into(), crate::text::format_date(&m.joined_on)),
        ("phone".into(), m.phone.clone()),
        ("citizen_id".into(), m.citizen_id.clone()),
    ])
}

async fn member_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    notice: Option<&str>,
) -> Result<MemberPage, PageError> {
    let (member, team) = teams::get_member(&state.db, actor, id).await?;
    Ok(MemberPage {
        ctx: PageCtx::new(actor, member.full_name.clone()).with_notice(notice),
        can_edit: member.active
            && policy::authorize(actor, Action::EditGeography, &member.scope_path).is_ok(),
        form: form.unwrap_or_else(|| FormState {
            values: member_values(&member),
            ..FormState::default()
        }),
        roles: &ROLES,
        genders: &GENDERS,
        member,
        team,
    })
}

pub async fn member(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &member_page(&state, &actor, id, None, q.ok_code()).await?,
    ))
}

pub async fn update_member(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = MemberDraft {
        role: form.get("role").cloned(),
        full_name: form.get("full_name").cloned(),
        citizen_id: form.get("citizen_id").cloned(),
        birth_year: form.get("birth_year").cloned().map(Value::String),
        gender: form.get("gender").cloned(),
        joined_on: form.get("joined_on").cloned(),
        phone: form.get("phone").cloned(),
    };
    match refused_or(teams::update_member(&state.db, &actor, id, &draft).await)? {
        Ok(m) => Ok(see_other(&format!("/members/{}", m.id), Some("member_updated"))),
        Err(e) => Ok(render(
            e.status(),
            &member_page(&state, &actor, id, Some(FormState::refused(form, &e)), None).await?,
        )),
    }
}

pub async fn dissolve_team(State(state): State<AppState>, actor: Actor, Id(id): Id) -> PageResult {
    let t = teams::dissolve_team(&state.db, &actor, id, None).await?;
    Ok(see_other(&format!("/teams/{}", t.id), Some("team_dissolved")))
}

pub async fn rate(
    State(state): State<AppState>,
    actor: Actor,
    Id(team_id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let year = form.get("year").and_then(|y| y.parse().ok());
    let draft = RatingDraft {
        subject_kind: form.get("subject_kind").cloned(),
        subject_id: form.get("subject_id").and_then(|s| s.parse().ok()),
        year,
        level: form.get("level").cloned(),
        note: None,
    };
    match refused_or(ratings::rate(&state.db, &actor, &draft).await)? {
        Ok(r) => Ok(see_other(
            &format!("/teams/{team_id}?year={}#ratings", r.year),
            Some("rating_saved"),
        )),
        Err(e) => {
            let page = team_page(
                &state,
                &actor,
                team_id,
                year,
                FormState::default(),
                FormState::refused(form, &e),
                None,
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

// ----------------------------------------------------------------- models

#[derive(Template)]
#[template(path = "registry/models.html")]
struct ModelsPage {
    ctx: PageCtx,
    unit: Unit,
    summary: Summary,
    types: Vec<ModelType>,
    points: Vec<Point>,
    villages: Vec<Village>,
    teams: Vec<Team>,
    can_edit_here: bool,
    can_add_points: bool,
    categories: &'static [(&'static str, &'static str)],
    fields: &'static [(&'static str, &'static str)],
    statuses: &'static [(&'static str, &'static str)],
    type_form: FormState,
    form: FormState,
    import_form: FormState,
    filter_type: String,
    filter_status: String,
}

impl ModelsPage {
    /// Types defined inside the actor's scope may be retired from here.
    fn can_retire(&self, t: &ModelType) -> bool {
        self.can_edit_here && t.scope_path.starts_with(&self.unit.path)
    }

    fn type_selected(&self, id: &i64) -> bool {
        self.filter_type == id.to_string()
    }

    fn status_selected(&self, status: &str) -> bool {
        self.filter_status == status
    }
}

async fn models_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    type_form: FormState,
    form: FormState,
    notice: Option<&str>,
) -> Result<ModelsPage, PageError> {
    let db = &state.db;
    let unit = units::open_for(db, actor, code).await?;
    let is_commune = unit.level == "commune";
    let can_edit_here = policy::authorize(actor, Action::EditGeography, &unit.path).is_ok();
    Ok(ModelsPage {
        ctx: PageCtx::new(actor, format!("Mô hình – {}", unit.name)).with_notice(notice),
        summary: summary::for_unit(db, actor, &unit, this_year()).await?,
        types: models::types_available(db, &unit).await?,
        points: models::list_points(db, actor, &unit, &Default::default()).await?,
        villages: if is_commune {
            villages::list(db, actor, &unit, false).await?
        } else {
            Vec::new()
        },
        teams: if is_commune {
            teams::list_teams(db, actor, &unit, &Default::default()).await?
        } else {
            Vec::new()
        },
        can_add_points: is_commune && can_edit_here,
        can_edit_here,
        categories: &models::CATEGORIES,
        fields: &models::FIELDS,
        statuses: &models::STATUSES,
        type_form,
        form,
        import_form: FormState::default(),
        filter_type: String::new(),
        filter_status: String::new(),
        unit,
    })
}

/// Model types and points, the points filtered by model and status.
pub async fn models(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<ListQuery>,
) -> PageResult {
    let mut page = models_page(
        &state,
        &actor,
        &code,
        FormState::default(),
        FormState::default(),
        q.ok.as_deref(),
    )
    .await?;
    let model_type_id = q.model_type_id.as_deref().and_then(|t| t.parse::<i64>().ok());
    let status = q.status.clone().filter(|s| !s.is_empty());
    if model_type_id.is_some() || status.is_some() {
        let filter = PointFilter {
            model_type_id,
            status: status.clone(),
        };
        page.points = models::list_points(&state.db, &actor, &page.unit, &filter).await?;
        page.filter_type = model_type_id.map(|t| t.to_string()).unwrap_or_default();
        page.filter_status = status.unwrap_or_default();
    }
    Ok(render(StatusCode::OK, &page))
}

pub async fn create_type(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = ModelTypeDraft {
        name: form.get("name").cloned(),
        category: form.get("category").cloned(),
        field: form.get("field").cloned(),
        description: form.get("description").cloned(),
    };
    match refused_or(models::create_type(&state.db, &actor, &code, &draft).await)? {
        Ok(_) => Ok(see_other(
            &format!("/units/{code}/models"),
            Some("model_type_created"),
        )),
        Err(e) => {
            let page = models_page(
                &state,
                &actor,
                &code,
                FormState::refused(form, &e),
                FormState::default(),
                None,
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

fn point_draft(form: &Form) -> PointDraft {
    let text = |k: &str| form.get(k).cloned();
    let value = |k: &str| form.get(k).filter(|v| !v.is_empty()).cloned().map(Value::String);
    PointDraft {
        model_type_id: value("model_type_id"),
        village_id: value("village_id"),
        name: text("name"),
        started_on: text("started_on"),
        status: text("status"),
        ended_on: text("ended_on"),
        replicated_from: value("replicated_from"),
        advanced_decision: text("advanced_decision"),
        advanced_on: text("advanced_on"),
        advanced_issuer: text("advanced_issuer"),
        lat: value("lat"),
        lon: value("lon"),
        note: text("note"),
        team_ids: Some(ids_from(form, "team_")),
    }
}

pub async fn create_point(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    match refused_or(models::create_point(&state.db, &actor, &code, &point_draft(&form)).await)? {
        Ok(p) => Ok(see_other(
            &format!("/model-points/{}", p.id),
            Some("point_created"),
        )),
        Err(e) => {
            let page = models_page(
                &state,
                &actor,
                &code,
                FormState::default(),
                FormState::refused(form, &e),
                None,
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "registry/point.html")]
struct PointPage {
    ctx: PageCtx,
    point: Point,
    commune: Unit,
    tree: Vec<TreeNode>,
    can_edit: bool,
    statuses: &'static [(&'static str, &'static str)],
    form: FormState,
}

fn point_values(p: &Point) -> Form {
    let date = |v: &Option<String>| v.as_deref().map(crate::text::format_date).unwrap_or_default();
    BTreeMap::from([
        ("name".into(), p.name.clone()),
        ("status".into(), p.status.clone()),
        ("started_on".into(), crate::text::format_date(&p.started_on)),
        ("ended_on".into(), date(&p.ended_on)),
        (
            "advanced_decision".into(),
            p.advanced_decision.clone().unwrap_or_default(),
        ),
        ("advanced_on".into(), date(&p.advanced_on)),
        (
            "advanced_issuer".into(),
            p.advanced_issuer.clone().unwrap_or_default(),
        ),
        ("note".into(), p.note.clone()),
    ])
}

async fn point_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    notice: Option<&str>,
) -> Result<PointPage, PageError> {
    let point = models::get_point(&state.db, actor, id).await?;
    let commune = units::find_current(&state.db, &point.commune_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(PointPage {
        ctx: PageCtx::new(actor, point.name.clone()).with_notice(notice),
        tree: models::tree(&state.db, actor, id).await?,
        can_edit: policy::authorize(actor, Action::EditGeography, &point.scope_path).is_ok(),
        statuses: &models::STATUSES,
        form: form.unwrap_or_else(|| FormState {
            values: point_values(&point),
            ..FormState::default()
        }),
        point,
        commune,
    })
}

/// The edit form sends the fields it shows; the others keep their values.
pub async fn update_point(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let text = |k: &str| form.get(k).cloned();
    let filled = |k: &str| form.get(k).filter(|v| !v.trim().is_empty()).cloned();
    let draft = PointDraft {
        name: text("name"),
        status: text("status"),
        started_on: text("started_on"),
        ended_on: filled("ended_on"),
        advanced_decision: filled("advanced_decision"),
        advanced_on: filled("advanced_on"),
        advanced_issuer: filled("advanced_issuer"),
        note: text("note"),
        ..Default::default()
    };
    match refused_or(models::update_point(&state.db, &actor, id, &draft).await)? {
        Ok(p) => Ok(see_other(
            &format!("/model-points/{}", p.id),
            Some("point_updated"),
        )),
        Err(e) => Ok(render(
            e.status(),
            &point_page(&state, &actor, id, Some(FormState::refused(form, &e)), None).await?,
        )),
    }
}

pub async fn point(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &point_page(&state, &actor, id, None, q.ok_code()).await?,
    ))
}

// ---------------------------------------------------------- registrations

#[derive(Template)]
#[template(path = "registry/registrations.html")]
struct RegistrationsPage {
    ctx: PageCtx,
    unit: Unit,
    year: i64,
    summary: Summary,
    registrations: Vec<super::registrations::Registration>,
    missing: Vec<super::registrations::Missing>,
    can_edit: bool,
    form: FormState,
    import_form: FormState,
}

impl RegistrationsPage {
    fn kind(&self, k: &str) -> &'static str {
        super::registrations::kind_label(k)
    }
}

async fn registrations_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    year: Option<i64>,
    form: FormState,
    notice: Option<&str>,
) -> Result<RegistrationsPage, PageError> {
    let db = &state.db;
    let unit = units::open_for(db, actor, code).await?;
    let year = year.unwrap_or_else(this_year);
    Ok(RegistrationsPage {
        ctx: PageCtx::new(actor, format!("Đăng ký năm {year} – {}", unit.name)).with_notice(notice),
        summary: summary::for_unit(db, actor, &unit, year).await?,
        registrations: super::registrations::list(db, actor, &unit, year).await?,
        missing: super::registrations::missing(db, actor, &unit, year).await?,
        can_edit: policy::authorize(actor, Action::EditGeography, &unit.path).is_ok(),
        year,
        form,
        import_form: FormState::default(),
        unit,
    })
}

pub async fn registrations(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<TeamQuery>,
) -> PageResult {
    let page = registrations_page(
        &state,
        &actor,
        &code,
        q.year,
        FormState::default(),
        q.ok.as_deref(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn register(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let (kind, id) = form
        .get("subject")
        .and_then(|s| s.split_once(':'))
        .unwrap_or_default();
    let year = form.get("year").and_then(|y| y.parse::<i64>().ok());
    let draft = super::registrations::RegistrationDraft {
        year: form.get("year").cloned().map(Value::String),
        subject_kind: Some(kind.to_string()),
        subject_id: Some(Value::String(id.to_string())),
        registered_on: form.get("registered_on").cloned(),
        resolution_ref: form.get("resolution_ref").cloned(),
        plan_ref: form.get("plan_ref").cloned(),
        households_resident: form
            .get("households_resident")
            .filter(|v| !v.is_empty())
            .cloned()
            .map(Value::String),
        households_registered: form
            .get("households_registered")
            .filter(|v| !v.is_empty())
            .cloned()
            .map(Value::String),
        note: form.get("note").cloned(),
    };
    match refused_or(super::registrations::register(&state.db, &actor, &draft).await)? {
        Ok(r) => Ok(see_other(
            &format!("/units/{code}/registrations?year={}", r.year),
            Some("registration_saved"),
        )),
        Err(e) => {
            let page =
                registrations_page(&state, &actor, &code, year, FormState::refused(form, &e), None).await?;
            Ok(render(e.status(), &page))
        }
    }
}

// ----------------------------------------------------- member import/export

pub async fn export_members(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<super::api::FormatQuery>,
) -> PageResult {
    let format = crate::tabular::Format::parse(q.format())?;
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let bytes = super::members_io::export(&state.db, &actor, &unit, format).await?;
    Ok(crate::web::download(
        format,
        &format!("thanh-vien-{}", unit.code),
        bytes,
    ))
}

/// The upload form on the teams page (multipart, CSRF token in the URL).
pub async fn import_members(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let bytes = crate::web::uploaded_file(multipart)
        .await?
        .ok_or_else(|| AppError::field("file", "Tệp: chưa chọn tệp."))?;
    match refused_or(super::members_io::import(&state.db, &actor, &bytes).await)? {
        Ok(report) => Ok(see_other(
            &format!("/units/{code}/teams"),
            Some(if report.created > 0 {
                "members_imported"
            } else {
                "member_added"
            }),
        )),
        Err(e) => {
            let page = teams_page(&state, &actor, &code, FormState::default(), None).await?;
            Ok(render(
                e.status(),
                &TeamsPage {
                    import_form: FormState::import_refused(&e),
                    ..page
                },
            ))
        }
    }
}

/// The same exports as the API, with errors as pages.
pub async fn export_list(
    state: State<AppState>,
    actor: Actor,
    path: Path<(String, String)>,
    query: Q<super::api::ExportQuery>,
) -> PageResult {
    super::api::export_list(state, actor, path, query)
        .await
        .map_err(PageError)
}

/// The registrations upload (multipart, CSRF token in the URL).
pub async fn import_registrations(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let bytes = crate::web::uploaded_file(multipart)
        .await?
        .ok_or_else(|| AppError::field("file", "Tệp: chưa chọn tệp."))?;
    match refused_or(super::registrations::import(&state.db, &actor, &bytes).await)? {
        Ok(_) => Ok(see_other(
            &format!("/units/{code}/registrations"),
            Some("registration_saved"),
        )),
        Err(e) => {
            let page = registrations_page(&state, &actor, &code, None, FormState::default(), None).await?;
            let import_form = FormState::import_refused(&e);
            Ok(render(e.status(), &RegistrationsPage { import_form, ..page }))
        }
    }
}

/// The teams upload on the teams page: codes update, blank codes create.
pub async fn import_teams(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let bytes = crate::web::uploaded_file(multipart)
        .await?
        .ok_or_else(|| AppError::field("file", "Tệp: chưa chọn tệp."))?;
    match refused_or(super::teams_io::import(&state.db, &actor, &bytes).await)? {
        Ok(_) => Ok(see_other(&format!("/units/{code}/teams"), Some("teams_imported"))),
        Err(e) => {
            let page = teams_page(&state, &actor, &code, FormState::default(), None).await?;
            Ok(render(
                e.status(),
                &TeamsPage {
                    teams_import_form: FormState::import_refused(&e),
                    ..page
                },
            ))
        }
    }
}

/// The points upload on the models page: codes update, blank codes create.
pub async fn import_points(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let bytes = crate::web::uploaded_file(multipart)
        .await?
        .ok_or_else(|| AppError::field("file", "Tệp: chưa chọn tệp."))?;
    match refused_or(super::points_io::import(&state.db, &actor, &bytes).await)? {
        Ok(_) => Ok(see_other(
            &format!("/units/{code}/models"),
            Some("points_imported"),
        )),
        Err(e) => {
            let page = models_page(
                &state,
                &actor,
                &code,
                FormState::default(),
                FormState::default(),
                None,
            )
            .await?;
            Ok(render(
                e.status(),
                &ModelsPage {
                    import_form: FormState::import_refused(&e),
                    ..page
                },
            ))
        }
    }
}

pub async fn deactivate_type(
    State(state): State<AppState>,
    actor: Actor,
    Path((code, id)): Path<(String, i64)>,
) -> PageResult {
    models::deactivate_type(&state.db, &actor, id).await?;
    Ok(see_other(
        &format!("/units/{code}/models"),
        Some("model_type_deactivated"),
    ))
}

#[derive(Template)]
#[template(path = "registry/registration.html")]
struct RegistrationPage {
    ctx: PageCtx,
    reg: super::registrations::Registration,
    can_edit: bool,
    form: FormState,
}

async fn registration_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    notice: Option<&str>,
) -> Result<RegistrationPage, PageError> {
    let reg = super::registrations::get(&state.db, actor, id).await?;
    let opt = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let form = form.unwrap_or_else(|| FormState {
        values: BTreeMap::from([
            (
                "registered_on".into(),
                crate::text::format_date(&reg.registered_on),
            ),
            ("resolution_ref".into(), reg.resolution_ref.clone()),
            ("plan_ref".into(), reg.plan_ref.clone()),
            ("households_resident".into(), opt(reg.households_resident)),
            ("households_registered".into(), opt(reg.households_registered)),
            ("note".into(), reg.note.clone()),
        ]),
        ..FormState::default()
    });
    Ok(RegistrationPage {
        ctx: PageCtx::new(actor, format!("Đăng ký năm {} – {}", reg.year, reg.subject_name))
            .with_notice(notice),
        can_edit: policy::authorize(actor, Action::EditGeography, &reg.scope_path).is_ok(),
        reg,
        form,
    })
}

pub async fn registration(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &registration_page(&state, &actor, id, None, q.ok_code()).await?,
    ))
}

pub async fn update_registration(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let value = |k: &str| form.get(k).filter(|v| !v.is_empty()).cloned().map(Value::String);
    let draft = super::registrations::RegistrationDraft {
        registered_on: form.get("registered_on").cloned(),
        resolution_ref: form.get("resolution_ref").cloned(),
        plan_ref: form.get("plan_ref").cloned(),
        households_resident: value("households_resident"),
        households_registered: value("households_registered"),
        note: form.get("note").cloned(),
        ..Default::default()
    };
    match refused_or(super::registrations::update(&state.db, &actor, id, &draft).await)? {
        Ok(r) => Ok(see_other(
            &format!("/registrations/{}", r.id),
            Some("registration_saved"),
        )),
        Err(e) => Ok(render(
            e.status(),
            &registration_page(&state, &actor, id, Some(FormState::refused(form, &e)), None).await?,
        )),
    }
}

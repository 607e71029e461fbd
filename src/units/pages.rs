//! Pages of the unit browser: nation → province → commune → villages and
//! organisations, search, and the village and organisation forms.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::Value;
use sqlx::Row;

use super::organisations::{self, Organisation, OrganisationDraft};
use super::villages::{self, KINDS, Village, VillageDraft};
use super::{ChildSummary, Counts, Unit, import, search};
use crate::app::AppState;
use crate::auth::{Action, Actor, Scope, policy};
use crate::error::AppError;
use crate::web::extract::{Id, Q};
use crate::web::{PageCtx, PageError, PageForm, PageResult, filters, render, see_other};

/// Values and errors of a form being re-shown after a refused post.
#[derive(Default)]
pub struct FormState {
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
    pub message: Option<String>,
}

impl FormState {
    pub fn value(&self, field: &str) -> &str {
        self.values.get(field).map(String::as_str).unwrap_or_default()
    }

    pub fn is(&self, field: &str, option: &str) -> bool {
        self.value(field) == option
    }

    pub fn checked(&self, field: &str) -> bool {
        matches!(self.value(field), "1" | "true" | "on")
    }

    pub fn err(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }

    /// An import's refusal: its row errors ("line N") listed in line order
    /// (as text "line 10" would sort before "line 2").
    pub fn import_refused(err: &AppError) -> FormState {
        let mut lines: Vec<(u64, String)> = err
            .fields()
            .map(|f| {
                f.iter()
                    .map(|(k, v)| (k.trim_start_matches("line ").parse().unwrap_or(0), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        lines.sort();
        FormState {
            message: Some(format!("Không nhập dòng nào: tệp có {} lỗi.", lines.len().max(1))),
            values: lines
                .into_iter()
                .enumerate()
                .map(|(i, (_, v))| (format!("{i:08}"), v))
                .collect(),
            ..FormState::default()
        }
    }

    pub fn refused(values: BTreeMap<String, String>, err: &AppError) -> FormState {
        FormState {
            values,
            errors: err.fields().cloned().unwrap_or_default(),
            message: Some(err.user_message()),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    ok: Option<String>,
}

impl NoticeQuery {
    pub fn ok_code(&self) -> Option<&str> {
        self.ok.as_deref()
    }
}

#[derive(Template)]
#[template(path = "units/show.html")]
struct UnitPage {
    ctx: PageCtx,
    unit: Unit,
    ancestors: Vec<Unit>,
    counts: Counts,
    children: Vec<ChildSummary>,
    villages: Vec<Village>,
    organisations: Vec<Organisation>,
    formers: Vec<(String, String, bool)>,
    summary: crate::registry::summary::Summary,
    can_handle_tips: bool,
    /// Villages, the commune and organisations without this year's registration.
    not_registered: Vec<crate::registry::registrations::Missing>,
    can_edit: bool,
    partial_view: bool,
    kinds: &'static [&'static str],
    org_kinds: &'static [(&'static str, &'static str)],
    form: FormState,
    org_form: FormState,
}

async fn unit_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    village_form: FormState,
    org_form: FormState,
    notice: Option<&str>,
) -> Result<UnitPage, PageError> {
    let db = &state.db;
    let unit = super::open_for(db, actor, code).await?;
    let scope = Scope::new(actor, Action::ViewGeography)?;
    let counts = super::counts(db, &scope, &unit).await?;
    let children = if unit.level == "commune" {
        Vec::new()
    } else {
        super::children(db, actor, &unit).await?
    };
    let villages = if unit.level == "commune" {
        villages::list(db, actor, &unit, false).await?
    } else {
        Vec::new()
    };
    let organisations = if unit.level == "nation" {
        Vec::new()
    } else {
        organisations::list(db, actor, &unit).await?
    };
    let formers = formers(state, &unit).await?;
    let year = i64::from(crate::input::today().year());
    let summary = crate::registry::summary::for_unit(db, actor, &unit, year).await?;
    let not_registered = if unit.level == "commune" {
        crate::registry::registrations::missing(db, actor, &unit, year).await?
    } else {
        Vec::new()
    };
    Ok(UnitPage {
        ctx: PageCtx::new(actor, unit.name.clone()).with_notice(notice),
        ancestors: super::ancestors(db, &unit).await?,
        counts,
        children,
        villages,
        organisations,
        formers,
        can_handle_tips: crate::tips::pages::can_handle(actor, &unit),
        summary,
        not_registered,
        can_edit: policy::authorize(actor, Action::EditGeography, &unit.path).is_ok(),
        partial_view: !scope.contains(&unit.path),
        kinds: &KINDS,
        org_kinds: &organisations::KINDS,
        form: village_form,
        org_form,
        unit,
    })
}

/// The pre-2025 communes that became this one, with whether they were divided.
async fn formers(state: &AppState, unit: &Unit) -> Result<Vec<(String, String, bool)>, PageError> {
    if unit.level != "commune" {
        return Ok(Vec::new());
    }
    let rows = sqlx::query(
        "SELECT o.code, o.name, c.partial FROM crosswalk_2025 c \
         JOIN units o ON o.era = 'legacy' AND o.code = c.old_code WHERE c.new_code = $1 ORDER BY o.code",
    )
    .bind(&unit.code)
    .fetch_all(&state.db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("code")?,
                r.try_get("name")?,
                r.try_get::<i64, _>("partial")? == 1,
            ))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    let page = unit_page(
        &state,
        &actor,
        &code,
        FormState::default(),
        FormState::default(),
        q.ok.as_deref(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// Form fields → the draft the service parses; an unticked box is "no".
fn village_draft(form: &BTreeMap<String, String>) -> VillageDraft {
    let text = |k: &str| form.get(k).cloned();
    let value = |k: &str| form.get(k).cloned().map(Value::String);
    let flag = |k: &str| Some(Value::Bool(form.get(k).is_some_and(|v| v == "1" || v == "on")));
    VillageDraft {
        name: text("name"),
        kind: text("kind"),
        households: value("households"),
        population: value("population"),
        ethnic_groups: text("ethnic_groups"),
        border_area: flag("border_area"),
        religious_area: flag("religious_area"),
        key_area: flag("key_area"),
        note: text("note"),
        legacy_code: text("legacy_code"),
        founded_on: text("founded_on"),
    }
}

pub async fn create_village(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<BTreeMap<String, String>>,
) -> PageResult {
    match villages::create(&state.db, &actor, &code, &village_draft(&form)).await {
        Ok(v) => Ok(see_other(
            &format!("/units/{}#village-{}", v.commune_code, v.id),
            Some("village_created"),
        )
        .into_response()),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let page = unit_page(
                &state,
                &actor,
                &code,
                FormState::refused(form, &e),
                FormState::default(),
                None,
            )
            .await?;
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn create_organisation(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<BTreeMap<String, String>>,
) -> PageResult {
    let draft = OrganisationDraft {
        name: form.get("name").cloned(),
        kind: form.get("kind").cloned(),
        address: form.get("address").cloned(),
        note: form.get("note").cloned(),
        // An unticked box is absent from the form: it means "no".
        antt_excluded: Some(Value::Bool(form.contains_key("antt_excluded"))),
    };
    match organisations::create(&state.db, &actor, &code, &draft).await {
        Ok(o) => Ok(see_other(
            &format!("/units/{}#organisation-{}", o.unit_code, o.id),
            Some("organisation_created"),
        )),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let page = unit_page(
                &state,
                &actor,
                &code,
                FormState::default(),
                FormState::refused(form, &e),
                None,
            )
            .await?;
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "units/village.html")]
struct VillagePage {
    ctx: PageCtx,
    village: Village,
    commune: Unit,
    /// The pre-2025 communes its commune was formed from: the choices of
    /// the village's old commune.
    formers: Vec<(String, String, bool)>,
    can_edit: bool,
    kinds: &'static [&'static str],
    form: FormState,
    /// The deactivation form's date as sent, and why it was refused.
    closed_value: String,
    closed_error: Option<String>,
}

fn village_values(v: &Village) -> BTreeMap<String, String> {
    let flag = |b: bool| if b { "1" } else { "0" }.to_string();
    let num = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    BTreeMap::from([
        ("name".into(), v.name.clone()),
        ("kind".into(), v.kind.clone()),
        ("households".into(), num(v.households)),
        ("population".into(), num(v.population)),
        ("ethnic_groups".into(), v.ethnic_groups.clone()),
        ("border_area".into(), flag(v.border_area)),
        ("religious_area".into(), flag(v.religious_area)),
        ("key_area".into(), flag(v.key_area)),
        ("note".into(), v.note.clone()),
        ("legacy_code".into(), v.legacy_code.clone().unwrap_or_default()),
        ("founded_on".into(), v.founded_on.clone().unwrap_or_default()),
    ])
}

async fn village_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    notice: Option<&str>,
) -> Result<VillagePage, PageError> {
    let village = villages::get(&state.db, actor, id).await?;
    let commune = super::find_current(&state.db, &village.commune_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let form = form.unwrap_or_else(|| FormState {
        values: village_values(&village),
        ..FormState::default()
    });
    let formers = formers(state, &commune).await?;
    Ok(VillagePage {
        ctx: PageCtx::new(actor, village.name.clone()).with_notice(notice),
        formers,
        can_edit: village.active
            && policy::authorize(actor, Action::EditGeography, &village.scope_path).is_ok(),
        village,
        commune,
        kinds: &KINDS,
        form,
        closed_value: String::new(),
        closed_error: None,
    })
}

pub async fn village(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &village_page(&state, &actor, id, None, q.ok.as_deref()).await?,
    ))
}

pub async fn update_village(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<BTreeMap<String, String>>,
) -> PageResult {
    match villages::update(&state.db, &actor, id, village_draft(&form)).await {
        Ok(v) => Ok(see_other(&format!("/villages/{}", v.id), Some("village_updated"))),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let page = village_page(&state, &actor, id, Some(FormState::refused(form, &e)), None).await?;
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// The form names the day the village ceased (`closed_on`, today when
/// left empty); a refused date shows the page again with its message.
pub async fn deactivate_village(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<BTreeMap<String, String>>,
) -> PageResult {
    match villages::deactivate(&state.db, &actor, id, form.get("closed_on").map(String::as_str)).await {
        Ok(v) => Ok(see_other(
            &format!("/villages/{}", v.id),
            Some("village_deactivated"),
        )),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let mut page = village_page(&state, &actor, id, None, None).await?;
            page.closed_error = e
                .fields()
                .and_then(|f| f.get("closed_on").cloned())
                .or(Some(e.user_message()));
            page.closed_value = form.get("closed_on").cloned().unwrap_or_default();
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "units/organisation.html")]
struct OrganisationPage {
    ctx: PageCtx,
    org: Organisation,
    unit: Unit,
    can_edit: bool,
    org_kinds: &'static [(&'static str, &'static str)],
    org_form: FormState,
}

async fn organisation_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    notice: Option<&str>,
) -> Result<OrganisationPage, PageError> {
    let org = organisations::get(&state.db, actor, id).await?;
    let unit = super::find_current(&state.db, &org.unit_code)
        .await?
        .ok_or_else(AppError::not_found)?;
    let form = form.unwrap_or_else(|| FormState {
        values: BTreeMap::from([
            ("name".into(), org.name.clone()),
            ("kind".into(), org.kind.clone()),
            ("address".into(), org.address.clone()),
            ("note".into(), org.note.clone()),
            (
                "antt_excluded".into(),
                if org.antt_excluded { "1" } else { "0" }.into(),
            ),
        ]),
        ..FormState::default()
    });
    Ok(OrganisationPage {
        ctx: PageCtx::new(actor, org.name.clone()).with_notice(notice),
        can_edit: org.active && policy::authorize(actor, Action::EditGeography, &org.scope_path).is_ok(),
        org,
        unit,
        org_kinds: &organisations::KINDS,
        org_form: form,
    })
}

pub async fn organisation(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &organisation_page(&state, &actor, id, None, q.ok.as_deref()).await?,
    ))
}

pub async fn update_organisation(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<BTreeMap<String, String>>,
) -> PageResult {
    let draft = OrganisationDraft {
        name: form.get("name").cloned(),
        kind: form.get("kind").cloned(),
        address: form.get("address").cloned(),
        note: form.get("note").cloned(),
        // An unticked box is absent from the form: it means "no".
        antt_excluded: Some(Value::Bool(form.contains_key("antt_excluded"))),
    };
    match organisations::update(&state.db, &actor, id, &draft).await {
        Ok(o) => Ok(see_other(
            &format!("/organisations/{}", o.id),
            Some("organisation_updated"),
        )),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => {
            let status = e.status();
            let page =
                organisation_page(&state, &actor, id, Some(FormState::refused(form, &e)), None).await?;
            Ok(render(status, &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn deactivate_organisation(State(state): State<AppState>, actor: Actor, Id(id): Id) -> PageResult {
    let o = organisations::deactivate(&state.db, &actor, id).await?;
    Ok(see_other(
        &format!("/organisations/{}", o.id),
        Some("organisation_deactivated"),
    ))
}

#[derive(Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "units/search.html")]
struct SearchPage {
    ctx: PageCtx,
    q: String,
    hits: Vec<search::Hit>,
    error: Option<String>,
}

pub async fn search(State(state): State<AppState>, actor: Actor, Q(q): Q<SearchQuery>) -> PageResult {
    let text = q.q.unwrap_or_default();
    let (hits, error) = if text.trim().is_empty() {
        (Vec::new(), None)
    } else {
        match search::run(
            &state.db,
            &search::Query {
                q: Some(text.clone()),
                ..Default::default()
            },
        )
        .await
        {
            Ok(h) => (h, None),
            Err(e @ AppError::Validation { .. }) => (Vec::new(), Some(e.user_message())),
            Err(e) => return Err(e.into()),
        }
    };
    let page = SearchPage {
        ctx: PageCtx::new(&actor, "Tìm đơn vị hành chính"),
        q: text,
        hits,
        error,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "units/import.html")]
struct ImportPage {
    ctx: PageCtx,
    unit: Unit,
    columns: Vec<&'static str>,
    created: Option<usize>,
    errors: Vec<String>,
    message: Option<String>,
}

async fn import_page(state: &AppState, actor: &Actor, code: &str) -> Result<ImportPage, PageError> {
    let unit = villages::commune_for_write(&state.db, actor, code).await?;
    Ok(ImportPage {
        ctx: PageCtx::new(actor, format!("Nhập thôn, tổ dân phố – {}", unit.name)),
        unit,
        columns: import::COLUMNS.iter().map(|(vi, _)| *vi).collect(),
        created: None,
        errors: Vec::new(),
        message: None,
    })
}

pub async fn import_form(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
) -> PageResult {
    Ok(render(StatusCode::OK, &import_page(&state, &actor, &code).await?))
}

pub async fn import(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let mut page = import_page(&state, &actor, &code).await?;
    let Some(bytes) = crate::web::uploaded_file(multipart).await? else {
        page.message = Some("Tệp CSV: chưa chọn tệp.".into());
        return Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    };
    match import::import_villages(&state.db, &actor, &bytes, Some(&page.unit.code)).await {
        Ok(report) => {
            page.created = Some(report.created);
            Ok(render(StatusCode::OK, &page))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. } | AppError::Forbidden(_))) => {
            page.errors = e
                .fields()
                .map(|f| f.values().cloned().collect())
                .unwrap_or_default();
            page.message = Some(if page.errors.len() > 1 {
                format!("Không nhập dòng nào: tệp có {} dòng lỗi.", page.errors.len())
            } else {
                e.user_message()
            });
            Ok(render(e.status(), &page))
        }
        Err(e) => Err(e.into()),
    }
}

/// `/units/{code}/villages.csv`, or `?format=xlsx` for a workbook.
pub async fn export_villages(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<crate::registry::api::FormatQuery>,
) -> PageResult {
    let format = crate::tabular::Format::parse(q.format())?;
    let bytes = import::export_villages(&state.db, &actor, &code, format).await?;
    Ok(crate::web::download(
        format,
        &format!("thon-to-dan-pho-{}", code.trim()),
        bytes,
    ))
}

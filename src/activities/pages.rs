//! Pages of activities: a unit's activities by kind with their figures and
//! the form to record one, an activity with its edit and cancel forms, the
//! festival days of a year (a province sees which communes have none), a
//! festival day with the awards handed out there, coordination programmes
//! with their reviews, and covenants.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::festival::{self, FestivalDay, FestivalDraft, SHOWCASE_LEVELS, Unscheduled};
use super::figures::Figures;
use super::programmes::{self, Covenant, CovenantDraft, Programme, ProgrammeDraft, Review, ReviewDraft};
use super::{
    Activity, ActivityDraft, ActivityFilter, CONFERENCE_TYPES, KEY_AREA_ACTIONS, KINDS, LEVELS,
    MEDIATION_RESULTS, SESSION_FORMS,
};
use crate::app::AppState;
use crate::auth::{Action, Actor, Scope, policy};
use crate::awards::AtEvent;
use crate::error::AppError;
use crate::input;
use crate::units::pages::{FormState, NoticeQuery};
use crate::units::villages::{self, Village};
use crate::units::{self, Unit};
use crate::web::extract::{Id, Q};
use crate::web::{
    PageCtx, PageError, PageForm, PageResult, filters, refused_or, render, see_other, uploaded_file,
};

type Form = BTreeMap<String, String>;
type Choices = &'static [(&'static str, &'static str)];

fn this_year() -> i64 {
    i64::from(input::today().year())
}

async fn figures_of(state: &AppState, actor: &Actor, unit: &Unit, year: i64) -> Result<Figures, PageError> {
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let (from, to) = super::period(Some(year), None, None)?;
    Ok(super::figures::figures(&state.db, &scope, &from, &to).await?)
}

async fn villages_of(state: &AppState, actor: &Actor, unit: &Unit) -> Result<Vec<Village>, PageError> {
    Ok(if unit.level == "commune" {
        villages::list(&state.db, actor, unit, false).await?
    } else {
        Vec::new()
    })
}

/// A form field's unit codes, separated by commas, semicolons or spaces.
fn codes(field: &str) -> Vec<String> {
    field
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

fn draft_of(form: &Form, kind: Option<String>) -> ActivityDraft {
    let s = |k: &str| form.get(k).cloned();
    let v = |k: &str| form.get(k).cloned().map(Value::String);
    ActivityDraft {
        kind,
        village_id: v("village_id"),
        legacy_code: s("legacy_code"),
        held_on: s("held_on"),
        // An emptied field clears the end date.
        ends_on: s("ends_on"),
        period_from: v("period_from"),
        period_to: v("period_to"),
        year: v("year"),
        title: s("title"),
        subtype: s("subtype"),
        level: s("level"),
        attendance: v("attendance"),
        decision_ref: s("decision_ref"),
        unit_codes: form.get("unit_codes").map(|t| codes(t)),
        legacy_unit_codes: form.get("legacy_unit_codes").map(|t| codes(t)),
        note: s("note"),
    }
}

// ------------------------------------------------------------ activities

#[derive(Template)]
#[template(path = "activities/list.html")]
struct ListPage {
    ctx: PageCtx,
    unit: Unit,
    kind: &'static str,
    kinds: Choices,
    year: i64,
    figures: Figures,
    /// One page of the list, newest first; `total` counts all pages.
    activities: Vec<Activity>,
    total: i64,
    /// Rows on this page (as a figure for the template's `num`).
    shown: i64,
    /// The next page's `after`, and whether this page is the first.
    next: Option<String>,
    paged: bool,
    villages: Vec<Village>,
    can_edit: bool,
    form: FormState,
    import_form: FormState,
}

impl ListPage {
    fn is_kind(&self, k: &str) -> bool {
        k == self.kind
    }

    fn kind_label(&self) -> &'static str {
        super::label(&KINDS, self.kind)
    }

    fn subtypes(&self) -> Choices {
        match self.kind {
            "session" => &SESSION_FORMS,
            "conference" => &CONFERENCE_TYPES,
            "mediation" => &MEDIATION_RESULTS,
            "key_area" => &KEY_AREA_ACTIONS,
            _ => &[],
        }
    }

    fn levels(&self) -> Choices {
        &LEVELS
    }

    fn subtype_label(&self) -> &'static str {
        match self.kind {
            "session" => "Hình thức",
            "conference" => "Loại hội nghị",
            "mediation" => "Kết quả",
            _ => "Quyết định",
        }
    }

    fn title_label(&self) -> &'static str {
        match self.kind {
            "session" => "Chủ đề",
            "conference" => "Tên hội nghị",
            "campaign" => "Tên đợt",
            "mediation" => "Nội dung vụ việc",
            _ => "Cơ quan quyết định",
        }
    }

    fn date_label(&self) -> &'static str {
        match self.kind {
            "campaign" => "Ngày bắt đầu",
            "drug_free" | "key_area" => "Ngày quyết định",
            _ => "Ngày",
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    year: Option<i64>,
    /// The page after this row (see [`super::Cursor`]).
    #[serde(default)]
    after: Option<String>,
}

fn kind_or_session(raw: Option<&str>) -> &'static str {
    KINDS
        .iter()
        .map(|(c, _)| *c)
        .find(|c| Some(*c) == raw)
        .unwrap_or("session")
}

#[allow(clippy::too_many_arguments)]
async fn list_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    kind: &'static str,
    year: i64,
    form: FormState,
    import_form: FormState,
    notice: Option<&str>,
    after: Option<String>,
) -> Result<ListPage, PageError> {
    let unit = units::open_for(&state.db, actor, code).await?;
    let paged = after.is_some();
    let filter = ActivityFilter {
        kind: Some(kind.into()),
        year: Some(year),
        after,
        ..Default::default()
    };
    let list = super::list(&state.db, actor, &unit, &filter).await?;
    Ok(ListPage {
        ctx: PageCtx::new(actor, format!("{} – {}", super::label(&KINDS, kind), unit.name))
            .with_notice(notice),
        figures: figures_of(state, actor, &unit, year).await?,
        shown: list.activities.len() as i64,
        activities: list.activities,
        total: list.total,
        next: list.next,
        paged,
        villages: villages_of(state, actor, &unit).await?,
        can_edit: policy::authorize(actor, Action::RecordActivity, &unit.path).is_ok(),
        kinds: &KINDS,
        kind,
        year,
        form,
        import_form,
        unit,
    })
}

pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<ListQuery>,
) -> PageResult {
    let kind = kind_or_session(q.kind.as_deref());
    let year = q.year.unwrap_or_else(this_year);
    let page = list_page(
        &state,
        &actor,
        &code,
        kind,
        year,
        FormState::default(),
        FormState::default(),
        q.ok.as_deref(),
        q.after.filter(|a| !a.trim().is_empty()),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let kind = kind_or_session(form.get("kind").map(String::as_str));
    let draft = draft_of(&form, Some(kind.into()));
    match refused_or(super::create(&state.db, &actor, &code, &draft).await)? {
        Ok(a) => {
            let year = a.held_on.get(0..4).unwrap_or_default().to_string();
            Ok(see_other(
                &format!("/units/{code}/activities?kind={kind}&year={year}"),
                Some("activity_saved"),
            ))
        }
        Err(e) => {
            let page = list_page(
                &state,
                &actor,
                &code,
                kind,
                this_year(),
                FormState::refused(form, &e),
                FormState::default(),
                None,
                None,
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

pub async fn import(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let file = crate::web::extract::spooled_part(multipart, crate::app::ACTIVITY_IMPORT_LIMIT).await?;
    let result = match file {
        Some(file) => super::io::import_activities(&state.db, &actor, crate::tabular::Sent::File(file)).await,
        None => Err(AppError::field("file", "Tệp: chưa chọn tệp.")),
    };
    match refused_or(result)? {
        Ok(_) => Ok(see_other(
            &format!("/units/{code}/activities"),
            Some("activities_imported"),
        )),
        Err(e) => {
            let page = list_page(
                &state,
                &actor,
                &code,
                "session",
                this_year(),
                FormState::default(),
                FormState::import_refused(&e),
                None,
                None,
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "activities/show.html")]
struct ShowPage {
    ctx: PageCtx,
    a: Activity,
    villages: Vec<Village>,
    subtypes: Choices,
    levels: Choices,
    can_edit: bool,
    form: FormState,
    cancel_form: FormState,
    awards: Option<AtEvent>,
}

fn values_of(a: &Activity) -> Form {
    let o = |v: &Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    BTreeMap::from([
        ("village_id".into(), o(&a.village_id)),
        ("legacy_code".into(), a.legacy_code.clone().unwrap_or_default()),
        ("held_on".into(), crate::text::format_date(&a.held_on)),
        (
            "ends_on".into(),
            a.ends_on
                .as_deref()
                .map(crate::text::format_date)
                .unwrap_or_default(),
        ),
        ("period_from".into(), o(&a.period_from)),
        ("period_to".into(), o(&a.period_to)),
        ("year".into(), o(&a.year)),
        ("title".into(), a.title.clone()),
        ("subtype".into(), a.subtype.clone()),
        ("level".into(), a.level.clone()),
        ("attendance".into(), o(&a.attendance)),
        ("decision_ref".into(), a.decision_ref.clone()),
        ("unit_codes".into(), a.unit_codes.join(", ")),
        ("legacy_unit_codes".into(), a.legacy_unit_codes.join(", ")),
        ("note".into(), a.note.clone()),
    ])
}

async fn show_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    cancel_form: FormState,
    notice: Option<&str>,
) -> Result<ShowPage, PageError> {
    let a = super::get(&state.db, actor, id).await?;
    let unit = units::open_for(&state.db, actor, &a.unit_code).await?;
    let subtypes: Choices = match a.kind.as_str() {
        "session" => &SESSION_FORMS,
        "conference" => &CONFERENCE_TYPES,
        "mediation" => &MEDIATION_RESULTS,
        "key_area" => &KEY_AREA_ACTIONS,
        _ => &[],
    };
    let awards = if a.kind == "conference" {
        Some(crate::awards::at_event(&state.db, actor, "activity", a.id).await?)
    } else {
        None
    };
    Ok(ShowPage {
        ctx: PageCtx::new(actor, format!("{} – {}", a.kind_label(), a.unit_name)).with_notice(notice),
        form: form.unwrap_or_else(|| FormState {
            values: values_of(&a),
            ..Default::default()
        }),
        villages: villages_of(state, actor, &unit).await?,
        can_edit: !a.is_cancelled()
            && policy::authorize(actor, Action::RecordActivity, &a.scope_path).is_ok(),
        subtypes,
        levels: &LEVELS,
        cancel_form,
        awards,
        a,
    })
}

pub async fn show(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &show_page(&state, &actor, id, None, FormState::default(), q.ok_code()).await?,
    ))
}

pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = draft_of(&form, None);
    match refused_or(super::update(&state.db, &actor, id, &draft).await)? {
        Ok(_) => Ok(see_other(&format!("/activities/{id}"), Some("activity_saved"))),
        Err(e) => {
            let page = show_page(
                &state,
                &actor,
                id,
                Some(FormState::refused(form, &e)),
                FormState::default(),
                None,
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    match refused_or(super::cancel(&state.db, &actor, id, form.get("reason").map(String::as_str)).await)? {
        Ok(_) => Ok(see_other(
            &format!("/activities/{id}"),
            Some("activity_cancelled"),
        )),
        Err(e) => {
            let page = show_page(&state, &actor, id, None, FormState::refused(form, &e), None).await?;
            Ok(render(e.status(), &page))
        }
    }
}

// --------------------------------------------------------- festival days

#[derive(Template)]
#[template(path = "activities/festival_days.html")]
struct FestivalsPage {
    ctx: PageCtx,
    import_form: FormState,
    /// A province officer may import its communes' festival days.
    can_import: bool,
    unit: Unit,
    year: i64,
    figures: Figures,
    days: Vec<FestivalDay>,
    unscheduled: Vec<Unscheduled>,
    villages: Vec<Village>,
    levels: Choices,
    can_edit: bool,
    form: FormState,
}

#[derive(Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    year: Option<i64>,
}

async fn festivals_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    year: i64,
    form: FormState,
    notice: Option<&str>,
) -> Result<FestivalsPage, PageError> {
    let unit = units::open_for(&state.db, actor, code).await?;
    Ok(FestivalsPage {
        ctx: PageCtx::new(
            actor,
            format!("Ngày hội toàn dân bảo vệ ANTQ năm {year} – {}", unit.name),
        )
        .with_notice(notice),
        figures: figures_of(state, actor, &unit, year).await?,
        days: festival::list(&state.db, actor, &unit, year).await?,
        unscheduled: festival::unscheduled(&state.db, actor, &unit, year).await?,
        villages: villages_of(state, actor, &unit).await?,
        can_edit: unit.level == "commune"
            && policy::authorize(actor, Action::RecordActivity, &unit.path).is_ok(),
        levels: &SHOWCASE_LEVELS,
        import_form: FormState::default(),
        can_import: policy::authorize(actor, Action::RecordActivity, &unit.path).is_ok(),
        year,
        form,
        unit,
    })
}

pub async fn import_festival_days(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    multipart: Multipart,
) -> PageResult {
    let result = match uploaded_file(multipart).await? {
        Some(bytes) => super::io::import_festival_days(&state.db, &actor, &bytes).await,
        None => Err(AppError::field("file", "Tệp: chưa chọn tệp.")),
    };
    match refused_or(result)? {
        Ok(_) => Ok(see_other(
            &format!("/units/{code}/festival-days"),
            Some("festival_days_imported"),
        )),
        Err(e) => {
            let mut page =
                festivals_page(&state, &actor, &code, this_year(), FormState::default(), None).await?;
            page.import_form = FormState::import_refused(&e);
            Ok(render(e.status(), &page))
        }
    }
}

pub async fn festival_days(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<YearQuery>,
) -> PageResult {
    let year = q.year.unwrap_or_else(this_year);
    Ok(render(
        StatusCode::OK,
        &festivals_page(&state, &actor, &code, year, FormState::default(), q.ok.as_deref()).await?,
    ))
}

fn festival_draft(form: &Form) -> FestivalDraft {
    let s = |k: &str| form.get(k).cloned();
    let v = |k: &str| form.get(k).cloned().map(Value::String);
    FestivalDraft {
        village_id: v("village_id"),
        legacy_code: s("legacy_code"),
        held_on: s("held_on"),
        outside_reason: s("outside_reason"),
        showcase_level: s("showcase_level"),
        venue: s("venue"),
        guests: s("guests"),
        programme: s("programme"),
        gifts: s("gifts"),
        gifts_value: v("gifts_value"),
        attendance: v("attendance"),
        note: s("note"),
    }
}

pub async fn create_festival_day(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    match refused_or(festival::create(&state.db, &actor, &code, &festival_draft(&form)).await)? {
        Ok(f) => Ok(see_other(
            &format!("/festival-days/{}", f.id),
            Some("festival_saved"),
        )),
        Err(e) => {
            let year = form
                .get("held_on")
                .and_then(|d| input::parse_date(d))
                .map_or_else(this_year, |d| i64::from(d.year()));
            let page =
                festivals_page(&state, &actor, &code, year, FormState::refused(form, &e), None).await?;
            Ok(render(e.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "activities/festival_day.html")]
struct FestivalPage {
    ctx: PageCtx,
    f: FestivalDay,
    awards: AtEvent,
    covenants: Vec<Covenant>,
    levels: Choices,
    can_edit: bool,
    can_award: bool,
    form: FormState,
}

async fn festival_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: Option<FormState>,
    notice: Option<&str>,
) -> Result<FestivalPage, PageError> {
    let f = festival::get(&state.db, actor, id).await?;
    let unit = units::open_for(&state.db, actor, &f.unit_code).await?;
    let covenants = programmes::covenants(&state.db, actor, &unit, Some(f.year))
        .await?
        .into_iter()
        .filter(|c| c.festival_day_id == Some(f.id))
        .collect();
    let values = BTreeMap::from([
        ("held_on".into(), crate::text::format_date(&f.held_on)),
        ("legacy_code".into(), f.legacy_code.clone().unwrap_or_default()),
        ("outside_reason".into(), f.outside_reason.clone()),
        ("showcase_level".into(), f.showcase_level.clone()),
        ("venue".into(), f.venue.clone()),
        ("guests".into(), f.guests.clone()),
        ("programme".into(), f.programme.clone()),
        ("gifts".into(), f.gifts.clone()),
        (
            "gifts_value".into(),
            f.gifts_value.map(|v| v.to_string()).unwrap_or_default(),
        ),
        (
            "attendance".into(),
            f.attendance.map(|v| v.to_string()).unwrap_or_default(),
        ),
        ("note".into(), f.note.clone()),
    ]);
    Ok(FestivalPage {
        ctx: PageCtx::new(actor, f.title()).with_notice(notice),
        awards: crate::awards::at_event(&state.db, actor, "festival_day", f.id).await?,
        can_edit: policy::authorize(actor, Action::RecordActivity, &f.scope_path).is_ok(),
        can_award: policy::authorize(actor, Action::RecordAward, &f.scope_path).is_ok(),
        form: form.unwrap_or(FormState {
            values,
            ..Default::default()
        }),
        levels: &SHOWCASE_LEVELS,
        covenants,
        f,
    })
}

pub async fn festival_day(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &festival_page(&state, &actor, id, None, q.ok_code()).await?,
    ))
}

pub async fn update_festival_day(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let mut draft = festival_draft(&form);
    draft.village_id = None;
    match refused_or(festival::update(&state.db, &actor, id, &draft).await)? {
        Ok(_) => Ok(see_other(&format!("/festival-days/{id}"), Some("festival_saved"))),
        Err(e) => Ok(render(
            e.status(),
            &festival_page(&state, &actor, id, Some(FormState::refused(form, &e)), None).await?,
        )),
    }
}

// ---------------------------------------------- programmes and covenants

#[derive(Template)]
#[template(path = "activities/programmes.html")]
struct ProgrammesPage {
    ctx: PageCtx,
    unit: Unit,
    programmes: Vec<Programme>,
    covenants: Vec<Covenant>,
    villages: Vec<Village>,
    can_edit: bool,
    form: FormState,
    covenant_form: FormState,
}

async fn programmes_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    form: FormState,
    covenant_form: FormState,
    notice: Option<&str>,
) -> Result<ProgrammesPage, PageError> {
    let unit = units::open_for(&state.db, actor, code).await?;
    Ok(ProgrammesPage {
        ctx: PageCtx::new(
            actor,
            format!("Chương trình phối hợp, giao ước thi đua – {}", unit.name),
        )
        .with_notice(notice),
        programmes: programmes::list(&state.db, actor, &unit).await?,
        covenants: programmes::covenants(&state.db, actor, &unit, None).await?,
        villages: villages_of(state, actor, &unit).await?,
        can_edit: policy::authorize(actor, Action::RecordActivity, &unit.path).is_ok(),
        form,
        covenant_form,
        unit,
    })
}

pub async fn programmes(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    let page = programmes_page(
        &state,
        &actor,
        &code,
        FormState::default(),
        FormState::default(),
        q.ok_code(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn create_programme(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let s = |k: &str| form.get(k).cloned();
    let v = |k: &str| form.get(k).cloned().map(Value::String);
    let draft = ProgrammeDraft {
        number: s("number"),
        title: s("title"),
        parties: v("parties"),
        from_year: v("from_year"),
        to_year: v("to_year"),
        signed_on: s("signed_on"),
        documents: s("documents"),
        continues_id: v("continues_id"),
        note: s("note"),
    };
    match refused_or(programmes::create(&state.db, &actor, &code, &draft).await)? {
        Ok(p) => Ok(see_other(
            &format!("/programmes/{}", p.id),
            Some("programme_saved"),
        )),
        Err(e) => {
            let page = programmes_page(
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

pub async fn create_covenant(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let ids = form
        .keys()
        .filter_map(|k| k.strip_prefix("village_"))
        .filter_map(|id| id.parse().ok())
        .collect();
    let draft = CovenantDraft {
        signed_on: form.get("signed_on").cloned(),
        title: form.get("title").cloned(),
        terms: form.get("terms").cloned(),
        village_ids: Some(ids),
        festival_day_id: form.get("festival_day_id").cloned().map(Value::String),
    };
    match refused_or(programmes::create_covenant(&state.db, &actor, &code, &draft).await)? {
        Ok(_) => Ok(see_other(
            &format!("/units/{code}/programmes#covenants"),
            Some("covenant_saved"),
        )),
        Err(e) => {
            let page = programmes_page(
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
#[template(path = "activities/programme.html")]
struct ProgrammePage {
    ctx: PageCtx,
    p: Programme,
    reviews: Vec<(Review, AtEvent)>,
    types: Choices,
    can_edit: bool,
    form: FormState,
}

async fn programme_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: FormState,
    notice: Option<&str>,
) -> Result<ProgrammePage, PageError> {
    let p = programmes::get(&state.db, actor, id).await?;
    let mut reviews = Vec::new();
    for r in programmes::reviews(&state.db, actor, &p).await? {
        let awards = crate::awards::at_event(&state.db, actor, "programme_review", r.id).await?;
        reviews.push((r, awards));
    }
    Ok(ProgrammePage {
        ctx: PageCtx::new(actor, p.label()).with_notice(notice),
        can_edit: policy::authorize(actor, Action::RecordActivity, &p.scope_path).is_ok(),
        types: &CONFERENCE_TYPES,
        reviews,
        form,
        p,
    })
}

pub async fn programme(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &programme_page(&state, &actor, id, FormState::default(), q.ok_code()).await?,
    ))
}

pub async fn add_review(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = ReviewDraft {
        held_on: form.get("held_on").cloned(),
        kind: form.get("kind").cloned(),
        title: form.get("title").cloned(),
        findings: form.get("findings").cloned(),
    };
    match refused_or(programmes::add_review(&state.db, &actor, id, &draft).await)? {
        Ok(_) => Ok(see_other(&format!("/programmes/{id}"), Some("review_saved"))),
        Err(e) => Ok(render(
            e.status(),
            &programme_page(&state, &actor, id, FormState::refused(form, &e), None).await?,
        )),
    }
}

// ------------------------------------------------------------- downloads

/// The downloads of the lists, for a signed-in browser (the API handlers
/// answer the same, with the page's errors).
pub async fn export(
    state: State<AppState>,
    actor: Actor,
    path: Path<String>,
    query: Q<super::api::ExportQuery>,
) -> PageResult {
    super::api::export(state, actor, path, query)
        .await
        .map_err(PageError)
}

pub async fn export_festival_days(
    state: State<AppState>,
    actor: Actor,
    path: Path<String>,
    query: Q<super::api::YearQuery>,
) -> PageResult {
    super::api::export_festival_days(state, actor, path, query)
        .await
        .map_err(PageError)
}

pub async fn export_programmes(
    state: State<AppState>,
    actor: Actor,
    path: Path<String>,
    query: Q<super::api::YearQuery>,
) -> PageResult {
    super::api::export_programmes(state, actor, path, query)
        .await
        .map_err(PageError)
}

pub async fn export_covenants(
    state: State<AppState>,
    actor: Actor,
    path: Path<String>,
    query: Q<super::api::YearQuery>,
) -> PageResult {
    super::api::export_covenants(state, actor, path, query)
        .await
        .map_err(PageError)
}

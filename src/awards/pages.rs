//! Pages of awards: a unit's awards of a year (or of one event) counted as
//! the seeds count them, with the form to record one and the import; an
//! award; a member's Kỷ niệm chương eligibility with their service records.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::eligibility::{self, Eligibility, SERVICE_KINDS, ServiceDraft};
use super::{Award, AwardDraft, AwardFilter, TYPES, Tally};
use crate::app::AppState;
use crate::auth::{Action, Actor, policy};
use crate::error::AppError;
use crate::registry::teams::{self, GENDERS, Member, Team, TeamFilter};
use crate::units::organisations::{self, Organisation};
use crate::units::pages::{FormState, NoticeQuery};
use crate::units::villages::{self, Village};
use crate::units::{self, Unit};
use crate::web::extract::{Id, Q};
use crate::web::{
    PageCtx, PageError, PageForm, PageResult, filters, refused_or, render, see_other, uploaded_file,
};

type Form = BTreeMap<String, String>;
type Choices = &'static [(&'static str, &'static str)];

#[derive(Template)]
#[template(path = "awards/list.html")]
struct ListPage {
    ctx: PageCtx,
    unit: Unit,
    year: i64,
    event: Option<(String, i64)>,
    awards: Vec<Award>,
    tally: Vec<Tally>,
    sentences: Vec<String>,
    can_edit: bool,
    /// (form value "issuer:unit:era", label)
    issuers: Vec<(String, String)>,
    types: Choices,
    genders: Choices,
    villages: Vec<Village>,
    teams: Vec<Team>,
    organisations: Vec<Organisation>,
    form: FormState,
    import_form: FormState,
}

impl ListPage {
    fn unit_choice(&self) -> String {
        format!("unit:{}", self.unit.code)
    }

    fn event_kind(&self) -> String {
        self.event.as_ref().map(|e| e.0.clone()).unwrap_or_default()
    }

    fn event_id(&self) -> String {
        self.event.as_ref().map(|e| e.1.to_string()).unwrap_or_default()
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    year: Option<i64>,
    #[serde(default)]
    event_kind: Option<String>,
    #[serde(default)]
    event_id: Option<i64>,
}

async fn list_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    q: &ListQuery,
    form: FormState,
    import_form: FormState,
) -> Result<ListPage, PageError> {
    let db = &state.db;
    let unit = units::open_for(db, actor, code).await?;
    let year = q.year.unwrap_or_else(|| i64::from(crate::input::today().year()));
    let event = match (&q.event_kind, q.event_id) {
        (Some(k), Some(id)) if super::EVENT_KINDS.iter().any(|(c, _)| c == k) => Some((k.clone(), id)),
        _ => None,
    };
    let filter = AwardFilter {
        year: Some(year),
        event_kind: event.as_ref().map(|e| e.0.clone()),
        event_id: event.as_ref().map(|e| e.1),
        ..Default::default()
    };
    let awards = super::list(db, actor, &unit, &filter).await?;
    let tally = super::tally(&awards);
    let can_edit = policy::authorize(actor, Action::RecordAward, &unit.path).is_ok();
    let commune = unit.level == "commune";
    let all = TeamFilter::default();
    Ok(ListPage {
        ctx: PageCtx::new(actor, format!("Khen thưởng – {}", unit.name)).with_notice(q.ok.as_deref()),
        sentences: super::sentences(&tally),
        issuers: if can_edit {
            super::issuer_choices(db, &unit).await?
        } else {
            Vec::new()
        },
        villages: if commune && can_edit {
            villages::list(db, actor, &unit, false).await?
        } else {
            Vec::new()
        },
        teams: if commune && can_edit {
            teams::list_teams(db, actor, &unit, &all).await?
        } else {
            Vec::new()
        },
        organisations: if can_edit {
            organisations::list(db, actor, &unit)
                .await?
                .into_iter()
                .filter(|o| o.unit_code == unit.code)
                .collect()
        } else {
            Vec::new()
        },
        types: &TYPES,
        genders: &GENDERS,
        can_edit,
        awards,
        tally,
        year,
        event,
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
    let page = list_page(
        &state,
        &actor,
        &code,
        &q,
        FormState::default(),
        FormState::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// The form names its recipient in one select (`kind:ref`) and its issuer
/// in another (`issuer:unit`), so that a plain form without script works.
fn draft_of(form: &Form, unit: &str) -> AwardDraft {
    let s = |k: &str| form.get(k).cloned().filter(|v| !v.trim().is_empty());
    // "issuer:unit:era", as issuer_choices builds it.
    let parts: Vec<String> = s("issuer")
        .map(|i| i.split(':').map(str::to_string).collect())
        .unwrap_or_default();
    let part = |n: usize| parts.get(n).cloned().filter(|p| !p.is_empty());
    let (kind, reference) = match s("recipient").as_deref().and_then(|r| r.split_once(':')) {
        Some((k, r)) => (Some(k.to_string()), Some(r.to_string())),
        None => (None, None),
    };
    let person = kind.as_deref() == Some("person");
    AwardDraft {
        award_type: s("award_type"),
        issuer_kind: part(0),
        issuer_unit: part(1),
        issuer_era: part(2),
        legacy_code: s("legacy_code"),
        recipient_kind: kind,
        recipient_ref: if person {
            None
        } else {
            reference.map(Value::String)
        },
        member_id: None,
        full_name: s("full_name"),
        birth_year: s("birth_year").map(Value::String),
        gender: s("gender"),
        citizen_id: s("citizen_id"),
        position: s("position"),
        unit_code: Some(unit.to_string()),
        decision_number: s("decision_number"),
        decided_on: s("decided_on"),
        reason: s("reason"),
        event_kind: s("event_kind"),
        event_id: s("event_id").map(Value::String),
        note: s("note"),
    }
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let draft = draft_of(&form, &code);
    match refused_or(super::create(&state.db, &actor, &draft).await)? {
        Ok(a) => {
            let year = a.decided_on.get(0..4).unwrap_or_default();
            let back = match (&a.event_kind, a.event_id) {
                (Some(k), Some(id)) => {
                    format!("/units/{code}/awards?event_kind={k}&event_id={id}&year={year}")
                }
                _ => format!("/units/{code}/awards?year={year}"),
            };
            Ok(see_other(&back, Some("award_saved")))
        }
        Err(e) => {
            let q = ListQuery {
                event_kind: form.get("event_kind").cloned().filter(|k| !k.is_empty()),
                event_id: form.get("event_id").and_then(|i| i.parse().ok()),
                ..Default::default()
            };
            let page = list_page(
                &state,
                &actor,
                &code,
                &q,
                FormState::refused(form, &e),
                FormState::default(),
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
    let result = match uploaded_file(multipart).await? {
        Some(bytes) => super::io::import(&state.db, &actor, &bytes).await,
        None => Err(AppError::field("file", "Tệp: chưa chọn tệp.")),
    };
    match refused_or(result)? {
        Ok(_) => Ok(see_other(
            &format!("/units/{code}/awards"),
            Some("awards_imported"),
        )),
        Err(e) => {
            let page = list_page(
                &state,
                &actor,
                &code,
                &ListQuery::default(),
                FormState::default(),
                FormState::import_refused(&e),
            )
            .await?;
            Ok(render(e.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "awards/show.html")]
struct ShowPage {
    ctx: PageCtx,
    a: Award,
    can_cancel: bool,
    form: FormState,
}

impl ShowPage {
    fn year(&self) -> &str {
        self.a.decided_on.get(0..4).unwrap_or_default()
    }
}

async fn show_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: FormState,
    notice: Option<&str>,
) -> Result<ShowPage, PageError> {
    let a = super::get(&state.db, actor, id).await?;
    Ok(ShowPage {
        ctx: PageCtx::new(actor, format!("{} – {}", a.type_label(), a.recipient_name)).with_notice(notice),
        can_cancel: a.cancelled_at.is_none()
            && policy::authorize(actor, Action::RecordAward, &a.scope_path).is_ok(),
        form,
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
        &show_page(&state, &actor, id, FormState::default(), q.ok_code()).await?,
    ))
}

pub async fn cancel(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let reason = form.get("reason").map(String::as_str);
    match refused_or(super::cancel(&state.db, &actor, id, reason).await)? {
        Ok(_) => Ok(see_other(&format!("/awards/{id}"), Some("award_cancelled"))),
        Err(e) => Ok(render(
            e.status(),
            &show_page(&state, &actor, id, FormState::refused(form, &e), None).await?,
        )),
    }
}

#[derive(Template)]
#[template(path = "awards/badge.html")]
struct BadgePage {
    ctx: PageCtx,
    member: Member,
    team: Team,
    e: Eligibility,
    kinds: Choices,
    can_edit: bool,
    form: FormState,
}

impl BadgePage {
    fn years(&self, y: &f64) -> String {
        crate::text::format_decimal(*y, 1)
            .trim_end_matches(",0")
            .to_string()
    }
}

async fn badge_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: FormState,
    notice: Option<&str>,
) -> Result<BadgePage, PageError> {
    let (member, team) = teams::get_member(&state.db, actor, id).await?;
    let e = eligibility::for_member(&state.db, actor, id).await?;
    Ok(BadgePage {
        ctx: PageCtx::new(actor, format!("Xét tặng Kỷ niệm chương – {}", member.full_name))
            .with_notice(notice),
        can_edit: policy::authorize(actor, Action::RecordAward, &member.scope_path).is_ok(),
        kinds: &SERVICE_KINDS,
        member,
        team,
        e,
        form,
    })
}

pub async fn badge(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    Q(q): Q<NoticeQuery>,
) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &badge_page(&state, &actor, id, FormState::default(), q.ok_code()).await?,
    ))
}

pub async fn add_service(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let s = |k: &str| form.get(k).cloned().filter(|v| !v.trim().is_empty());
    let draft = ServiceDraft {
        kind: s("kind"),
        position: s("position"),
        started_on: s("started_on"),
        ended_on: s("ended_on"),
        difficult: s("difficult").map(Value::String),
        unit_code: s("unit_code"),
        note: s("note"),
    };
    match refused_or(eligibility::add_service(&state.db, &actor, id, &draft).await)? {
        Ok(_) => Ok(see_other(&format!("/members/{id}/badge"), Some("service_saved"))),
        Err(e) => Ok(render(
            e.status(),
            &badge_page(&state, &actor, id, FormState::refused(form, &e), None).await?,
        )),
    }
}

/// The awards download, for a signed-in browser.
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

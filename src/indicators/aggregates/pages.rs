//! The page of entered totals: a unit's values by year, the form to enter
//! one (and to correct or delete each), the import and the export.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::{ACTION, AggregateDraft, AggregateValue, Filter};
use crate::app::AppState;
use crate::auth::{Actor, policy};
use crate::error::AppError;
use crate::indicators::Indicator;
use crate::units::pages::FormState;
use crate::units::{self, Unit};
use crate::web::extract::{Id, Q};
use crate::web::{
    PageCtx, PageError, PageForm, PageResult, filters, refused_or, render, see_other, uploaded_file,
};

type Form = BTreeMap<String, String>;

#[derive(Template)]
#[template(path = "indicators/aggregates.html")]
struct ListPage {
    ctx: PageCtx,
    unit: Unit,
    year: Option<i64>,
    values: Vec<Row>,
    indicators: Vec<&'static Indicator>,
    can_edit: bool,
    form: FormState,
    import_form: FormState,
}

/// A value, and whether the actor may correct it.
struct Row {
    v: AggregateValue,
    editable: bool,
}

impl ListPage {
    fn year_query(&self) -> String {
        self.year.map(|y| format!("&year={y}")).unwrap_or_default()
    }

    fn default_unit(&self) -> &str {
        match self.form.value("unit_code") {
            "" => &self.unit.code,
            code => code,
        }
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    ok: Option<String>,
    #[serde(default)]
    year: Option<i64>,
}

async fn list_page(
    state: &AppState,
    actor: &Actor,
    code: &str,
    year: Option<i64>,
    notice: Option<&str>,
    form: FormState,
    import_form: FormState,
) -> Result<ListPage, PageError> {
    let unit = units::open_for(&state.db, actor, code).await?;
    let filter = Filter {
        year,
        indicator: None,
    };
    let values = super::list(&state.db, actor, &unit, &filter)
        .await?
        .into_iter()
        .map(|v| {
            let editable = policy::authorize(actor, ACTION, &v.scope_path).is_ok();
            Row { v, editable }
        })
        .collect();
    Ok(ListPage {
        ctx: PageCtx::new(actor, format!("Số liệu tổng hợp – {}", unit.name)).with_notice(notice),
        can_edit: policy::authorize(actor, ACTION, &unit.path).is_ok(),
        indicators: super::indicators().collect(),
        values,
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
    let page = list_page(
        &state,
        &actor,
        &code,
        q.year,
        q.ok.as_deref(),
        FormState::default(),
        FormState::default(),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// The list again, with the refused form's values and messages.
async fn refused(
    state: &AppState,
    actor: &Actor,
    code: &str,
    form: FormState,
    import_form: FormState,
    e: &AppError,
) -> PageResult {
    let page = list_page(state, actor, code, None, None, form, import_form).await?;
    Ok(render(e.status(), &page))
}

fn draft_of(form: &Form) -> AggregateDraft {
    let s = |k: &str| form.get(k).cloned().filter(|v| !v.trim().is_empty());
    AggregateDraft {
        indicator: s("indicator"),
        unit_code: s("unit_code"),
        legacy_code: s("legacy_code"),
        year: s("year").map(Value::String),
        value: s("value").map(Value::String),
        source: Some(form.get("source").cloned().unwrap_or_default()),
        note: Some(form.get("note").cloned().unwrap_or_default()),
    }
}

pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    match refused_or(super::create(&state.db, &actor, &draft_of(&form)).await)? {
        Ok(v) => Ok(see_other(
            &format!("/units/{code}/aggregates?year={}", v.year),
            Some("aggregate_saved"),
        )),
        Err(e) => {
            refused(
                &state,
                &actor,
                &code,
                FormState::refused(form, &e),
                FormState::default(),
                &e,
            )
            .await
        }
    }
}

/// A row's correction (value, source, note) posted from the list; back to
/// the unit whose page it was posted from.
pub async fn update(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let back = form.get("back").cloned().unwrap_or_default();
    let draft = AggregateDraft {
        value: form.get("value").cloned().map(Value::String),
        source: form.get("source").cloned(),
        note: form.get("note").cloned(),
        ..AggregateDraft::default()
    };
    let result = if form.contains_key("delete") {
        super::delete(&state.db, &actor, id)
            .await
            .map(|v| (v, "aggregate_deleted"))
    } else {
        super::update(&state.db, &actor, id, &draft)
            .await
            .map(|v| (v, "aggregate_saved"))
    };
    match refused_or(result)? {
        Ok((v, notice)) => {
            let unit = if back.is_empty() {
                v.unit_code.clone()
            } else {
                back
            };
            Ok(see_other(
                &format!("/units/{unit}/aggregates?year={}", v.year),
                Some(notice),
            ))
        }
        Err(e) => {
            let code = if back.is_empty() {
                super::get(&state.db, &actor, id).await?.unit_code
            } else {
                back
            };
            refused(
                &state,
                &actor,
                &code,
                FormState::refused(form, &e),
                FormState::default(),
                &e,
            )
            .await
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
            &format!("/units/{code}/aggregates"),
            Some("aggregates_imported"),
        )),
        Err(e) => {
            refused(
                &state,
                &actor,
                &code,
                FormState::default(),
                FormState::import_refused(&e),
                &e,
            )
            .await
        }
    }
}

pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<super::api::ExportQuery>,
) -> PageResult {
    Ok(super::api::export_file(&state, &actor, &code, &q).await?)
}

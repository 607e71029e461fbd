//! `/api/v1` handlers of the indicator catalogue and the unit dashboard.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{CATALOGUE, parse_codes, period};
use crate::app::AppState;
use crate::auth::Actor;
use crate::error::Result;
use crate::units;
use crate::web::extract::Q;

pub async fn catalogue(_actor: Actor) -> Json<Value> {
    let items: Vec<Value> = CATALOGUE
        .iter()
        .map(|i| json!({"code": i.code, "name": i.name, "unit": i.unit, "definition": i.definition, "source": i.source, "entered": i.entered}))
        .collect();
    Json(json!({ "indicators": items }))
}

#[derive(Deserialize, Default)]
pub struct DashboardQuery {
    #[serde(default)]
    pub period: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub codes: Option<String>,
    /// `current` or `legacy`; by default the map in force at the period's end.
    #[serde(default)]
    pub map: Option<String>,
    #[serde(default)]
    pub format: Option<String>,
    /// For CSV: `indicators` (the default) or `children`.
    #[serde(default)]
    pub table: Option<String>,
}

impl DashboardQuery {
    /// `table` names one of the dashboard's two tables, or nothing.
    fn check_table(&self) -> Result<()> {
        match self.table.as_deref() {
            None | Some("indicators") | Some("children") => Ok(()),
            Some(_) => Err(crate::error::AppError::field(
                "table",
                "Bảng: indicators hoặc children.",
            )),
        }
    }

    /// The unit on the map asked for (or in force at the period's end).
    pub async fn place(
        &self,
        state: &AppState,
        actor: &Actor,
        code: &str,
        p: &period::Period,
    ) -> Result<super::view::Place> {
        let map = super::view::Map::parse(self.map.as_deref(), p)?;
        super::view::open(&state.db, actor, code, map, self.map.is_some()).await
    }
}

/// Every input is judged before anything is counted: a bad period or an
/// unknown indicator is a 422, a unit outside scope a 404.
///
/// The JSON is kept while no change reaches the roll-up: the same dashboard
/// asked for again (64 clients polling the nation's) is the bytes of the
/// last answer, not 23 indicators × 34 provinces serialised again. What
/// the answer depends on is in the key: the reader's role and scope (their
/// figures and the child units they may open), the unit and map (and
/// whether it fell back to today's), the period and the indicators. Access is checked before the key is looked
/// up, as for every read.
pub async fn dashboard(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<DashboardQuery>,
) -> Result<Response> {
    let p = period::parse(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let codes = parse_codes(q.codes.as_deref())?;
    let place = q.place(&state, &actor, &code, &p).await?;
    let key = format!(
        "dashboard|{:?}|{}|{}|{:?}|{}|{}|{}|{}",
        actor.role,
        actor.scope_path,
        place.unit.path,
        place.map,
        // A map asked for that the unit is not on falls back with a note.
        place.note.is_some(),
        p.from,
        p.to,
        codes.iter().map(|i| i.code).collect::<Vec<_>>().join(",")
    );
    let rollup = &state.db.rollup;
    let changes = rollup.current(&state.db).await?;
    let body = match changes.and_then(|_| rollup.response(&key)) {
        Some(body) => body,
        None => {
            let d = super::dashboard(&state.db, &actor, &place, &p, &codes).await?;
            let body =
                Bytes::from(serde_json::to_vec(&d).map_err(|e| crate::error::AppError::Internal(e.into()))?);
            if let Some(changes) = changes {
                rollup.keep_response(key, changes, body.clone());
            }
            body
        }
    };
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// The dashboard as XLSX (a sheet per table) or CSV (one table).
pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<DashboardQuery>,
) -> Result<axum::response::Response> {
    export_file(&state, &actor, &code, &q).await
}

/// The export shared by the API and the page: every input judged first.
pub async fn export_file(
    state: &AppState,
    actor: &Actor,
    code: &str,
    q: &DashboardQuery,
) -> Result<axum::response::Response> {
    let p = period::parse(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let codes = parse_codes(q.codes.as_deref())?;
    let format = crate::tabular::Format::parse(q.format.as_deref())?;
    q.check_table()?;
    let place = q.place(state, actor, code, &p).await?;
    let d = super::dashboard(&state.db, actor, &place, &p, &codes).await?;
    let bytes = d.export(format, q.table.as_deref())?;
    let stem = format!("so-lieu-{}-{}-{}", place.unit.code, p.from, p.to);
    Ok(crate::web::download(format, &stem, bytes))
}

#[derive(Deserialize, Default)]
pub struct TrendQuery {
    #[serde(default)]
    pub code: Option<String>,
    /// The last year (default: this year).
    #[serde(default)]
    pub to: Option<i32>,
    #[serde(default)]
    pub years: Option<i32>,
}

/// One indicator of a unit year by year (at most 15 years).
pub async fn trend(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<TrendQuery>,
) -> Result<Json<super::chart::Trend>> {
    let ind = match q.code.as_deref() {
        Some(c) => parse_codes(Some(c))?
            .into_iter()
            .next()
            .ok_or_else(crate::error::AppError::not_found)?,
        None => &CATALOGUE[0],
    };
    let last = q.to.unwrap_or_else(|| crate::input::today().year());
    let years = q.years.unwrap_or(10);
    if !(1..=super::chart::MAX_YEARS).contains(&years) {
        return Err(crate::error::AppError::field(
            "years",
            format!("Số năm: từ 1 đến {}.", super::chart::MAX_YEARS),
        ));
    }
    let unit = units::open_for(&state.db, &actor, &code).await?;
    Ok(Json(
        super::chart::trend(&state.db, &actor, &unit, ind, last, years).await?,
    ))
}

/// The report of a unit and period: JSON (the default), `docx`, `xlsx` or
/// `csv` (the indicators table, or `table=children`). Every input is judged
/// before anything is counted.
pub async fn report(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<DashboardQuery>,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let format = q.format.clone().unwrap_or_else(|| "json".into());
    if !["json", "html", "docx", "xlsx", "csv"].contains(&format.trim()) {
        return Err(crate::error::AppError::field(
            "format",
            "Định dạng: json, docx, xlsx hoặc csv.",
        ));
    }
    let r = build_report(&state, &actor, &code, &q).await?;
    match format.trim() {
        "docx" | "xlsx" | "csv" => report_file(&r, format.trim(), q.table.as_deref()),
        _ => Ok(Json(r).into_response()),
    }
}

/// Judges the query and writes the report (shared with the page).
pub async fn build_report(
    state: &AppState,
    actor: &Actor,
    code: &str,
    q: &DashboardQuery,
) -> Result<super::report::Report> {
    let p = period::parse(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let codes = parse_codes(None)?;
    q.check_table()?;
    let place = q.place(state, actor, code, &p).await?;
    let d = super::dashboard(&state.db, actor, &place, &p, &codes).await?;
    super::report::build(&state.db, actor, &place, d).await
}

/// The report as a downloaded file.
pub fn report_file(
    r: &super::report::Report,
    format: &str,
    table: Option<&str>,
) -> Result<axum::response::Response> {
    use axum::response::IntoResponse;
    let d = &r.dashboard;
    let stem = format!("bao-cao-{}-{}-{}", d.unit_code, d.period.from, d.period.to);
    Ok(match format {
        "docx" => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{stem}.docx\""),
                ),
            ],
            r.docx()?,
        )
            .into_response(),
        "xlsx" => crate::web::download(crate::tabular::Format::Xlsx, &stem, r.xlsx()?),
        _ => crate::web::download(
            crate::tabular::Format::Csv,
            &stem,
            d.export(crate::tabular::Format::Csv, table)?,
        ),
    })
}

/// Who has not registered, been assessed or held a festival day in the
/// period's last year: counts, each child's, and the full lists.
pub async fn completeness(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<DashboardQuery>,
) -> Result<Json<super::completeness::Completeness>> {
    let p = period::parse(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let place = q.place(&state, &actor, &code, &p).await?;
    Ok(Json(
        super::completeness::of_place(&state.db, &actor, &place, p.end_year(), true).await?,
    ))
}

/// The distribution of classification levels in the period's last year.
pub async fn distribution(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<DashboardQuery>,
) -> Result<Json<Value>> {
    let p = period::parse(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let place = q.place(&state, &actor, &code, &p).await?;
    let scope = super::scope_of(&actor, &place.unit)?;
    let year = p.end_year();
    let bars = super::distribution::distribution(&state.db, &scope, year).await?;
    Ok(Json(json!({ "year": year, "bars": bars })))
}

//! The unit dashboard page: the indicators of a period with the change from
//! the period before, and the child units' breakdown, sortable by any
//! indicator without script (a link per column).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::view::{self, Map};
use super::{CATALOGUE, Dashboard, parse_codes, period};
use crate::app::AppState;
use crate::auth::Actor;
use crate::web::extract::Q;
use crate::web::{PageCtx, PageResult, filters, render};

#[derive(Template)]
#[template(path = "indicators/dashboard.html")]
struct DashboardPage {
    ctx: PageCtx,
    d: Dashboard,
    period_text: String,
    sort: String,
    /// (code, name) of the breakdown's columns.
    heads: Vec<(&'static str, &'static str)>,
    catalogue: &'static [super::Indicator],
    /// The trend chart of the chosen indicator over ten years, as SVG.
    trend_svg: String,
    trend_code: &'static str,
    /// The map of communes coloured by the chosen indicator, as SVG.
    map_svg: String,
    map_code: &'static str,
    /// Who has not registered, been assessed, held a festival day in the
    /// period's last year: in total and per child unit.
    gaps: super::completeness::Completeness,
    /// The distribution of classification levels, as SVG.
    distribution_svg: String,
}

impl DashboardPage {
    fn completeness_link(&self) -> String {
        format!("/units/{}/completeness?{}", self.d.unit_code, self.keep())
    }

    fn gap_heads(&self) -> Vec<&'static str> {
        super::completeness::CHECKS.iter().map(|c| c.1).collect()
    }

    /// The query that keeps this view (period and map) for a link.
    fn keep(&self) -> String {
        format!(
            "period={}&map={}",
            url::form_urlencoded::byte_serialize(self.period_text.as_bytes()).collect::<String>(),
            self.d.map.as_str()
        )
    }

    fn sort_link(&self, code: &str) -> String {
        format!(
            "/units/{}/dashboard?{}&sort={code}",
            self.d.unit_code,
            self.keep()
        )
    }

    fn child_link(&self, code: &str) -> String {
        format!("/units/{code}/dashboard?{}", self.keep())
    }

    fn export_link(&self, format: &str, table: &str) -> String {
        format!(
            "/units/{}/dashboard/export?{}&format={format}&table={table}",
            self.d.unit_code,
            self.keep()
        )
    }

    fn report_link(&self, format: &str) -> String {
        format!(
            "/units/{}/report?{}&format={format}",
            self.d.unit_code,
            self.keep()
        )
    }

    /// The same unit and period on the other map.
    fn other_map_link(&self) -> String {
        let other = match self.d.map {
            Map::Current => "legacy",
            Map::Legacy => "current",
        };
        format!(
            "/units/{}/dashboard?period={}&map={other}",
            self.d.unit_code,
            url::form_urlencoded::byte_serialize(self.period_text.as_bytes()).collect::<String>()
        )
    }

    fn on_legacy(&self) -> bool {
        self.d.map == Map::Legacy
    }

    fn is_trend(&self, code: &str) -> bool {
        self.trend_code == code
    }

    fn is_map(&self, code: &str) -> bool {
        self.map_code == code
    }

    fn is_sorted(&self, code: &str) -> bool {
        self.sort == code
    }
}

#[derive(Deserialize, Default)]
pub struct Query {
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    map: Option<String>,
    #[serde(default)]
    sort: Option<String>,
    /// The indicator of the trend chart.
    #[serde(default)]
    trend: Option<String>,
    /// The indicator the map of communes is coloured by.
    #[serde(default)]
    colour: Option<String>,
}

/// One indicator named by a query field, or the first of the catalogue.
fn one_indicator(field: &'static str, raw: Option<&str>) -> crate::error::Result<&'static super::Indicator> {
    match raw {
        Some(c) => super::find(c.trim()).ok_or_else(|| {
            crate::error::AppError::field(
                field,
                format!(
                    "Chỉ tiêu: mã \"{}\" không có trong danh mục.",
                    crate::input::shorten(c)
                ),
            )
        }),
        None => Ok(&CATALOGUE[0]),
    }
}

pub async fn dashboard(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<Query>,
) -> PageResult {
    let p = period::parse(q.period.as_deref(), None, None)?;
    let map = Map::parse(q.map.as_deref(), &p)?;
    let codes = parse_codes(None)?;
    let trend_ind = one_indicator("trend", q.trend.as_deref())?;
    let map_ind = one_indicator("colour", q.colour.as_deref())?;
    let place = view::open(&state.db, &actor, &code, map, q.map.is_some()).await?;
    let mut d = super::dashboard(&state.db, &actor, &place, &p, &codes).await?;
    let last = i32::try_from(p.end_year()).unwrap_or(2000);
    let years = (last - 1999).clamp(1, 10);
    let trend = super::chart::trend(&state.db, &actor, &place.unit, trend_ind, last, years).await?;
    let communes = super::map_svg::communes(&state.db, &actor, &place, map_ind, &p, &d).await?;
    let gaps = super::completeness::of_place(&state.db, &actor, &place, p.end_year(), false).await?;
    let scope = super::scope_of(&actor, &place.unit)?;
    let bars = super::distribution::distribution(&state.db, &scope, p.end_year()).await?;
    let sort = q
        .sort
        .clone()
        .filter(|s| CATALOGUE.iter().any(|i| i.code == s))
        .unwrap_or_default();
    if let Some(k) = d.columns.iter().position(|c| *c == sort) {
        d.children
            .sort_by(|a, b| b.values[k].cmp(&a.values[k]).then_with(|| a.name.cmp(&b.name)));
    }
    let heads = d
        .columns
        .iter()
        .filter_map(|c| super::find(c).map(|i| (i.code, i.name)))
        .collect();
    let page = DashboardPage {
        ctx: PageCtx::new(&actor, format!("Số liệu – {}", place.unit.name)),
        period_text: q
            .period
            .clone()
            .unwrap_or_else(|| p.from.get(0..4).unwrap_or_default().to_string()),
        d,
        sort,
        heads,
        catalogue: &CATALOGUE,
        trend_svg: super::chart::svg(&trend),
        trend_code: trend_ind.code,
        map_svg: super::map_svg::svg(&communes),
        map_code: map_ind.code,
        gaps,
        distribution_svg: if bars.is_empty() {
            String::new()
        } else {
            super::distribution::svg(&bars)
        },
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "indicators/completeness.html")]
struct CompletenessPage {
    ctx: PageCtx,
    unit: crate::units::Unit,
    map_label: &'static str,
    period_text: String,
    c: super::completeness::Completeness,
    checks: &'static [(&'static str, &'static str, &'static str)],
}

impl CompletenessPage {
    fn of(&self, check: &str) -> Vec<&super::completeness::Missing> {
        self.c
            .missing
            .iter()
            .flatten()
            .filter(|m| m.check == check)
            .collect()
    }

    /// The village checks list each village's commune.
    fn lists_villages(&self, check: &str) -> bool {
        check != "chua_to_chuc_ngay_hoi"
    }

    fn csv_link(&self) -> String {
        format!(
            "/units/{}/completeness?period={}&format=csv",
            self.unit.code,
            url::form_urlencoded::byte_serialize(self.period_text.as_bytes()).collect::<String>()
        )
    }
}

/// Every village and commune of the unit that has not registered, been
/// assessed or held a festival day in the period's last year; `format=csv`
/// downloads them (no row cap).
pub async fn completeness(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<super::api::DashboardQuery>,
) -> PageResult {
    let p = period::parse(q.period.as_deref(), q.from.as_deref(), q.to.as_deref())?;
    let format = match q.format.as_deref().map(str::trim) {
        None | Some("") | Some("html") => None,
        Some(f) => Some(crate::tabular::Format::parse(Some(f))?),
    };
    let place = q.place(&state, &actor, &code, &p).await?;
    let c = super::completeness::of_place(&state.db, &actor, &place, p.end_year(), true).await?;
    if let Some(format) = format {
        let (columns, rows) = c.table();
        let bytes = crate::tabular::write(format, "Chưa hoàn thành", &columns, &rows)?;
        let stem = format!("chua-hoan-thanh-{}-{}", place.unit.code, c.year);
        return Ok(crate::web::download(format, &stem, bytes));
    }
    let page = CompletenessPage {
        ctx: PageCtx::new(&actor, format!("Mức độ hoàn thành – {}", place.unit.name)),
        map_label: place.map.label(),
        period_text: q
            .period
            .clone()
            .unwrap_or_else(|| p.from.get(0..4).unwrap_or_default().to_string()),
        unit: place.unit,
        c,
        checks: &super::completeness::CHECKS,
    };
    Ok(render(StatusCode::OK, &page))
}

pub async fn export(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<super::api::DashboardQuery>,
) -> PageResult {
    Ok(super::api::export_file(&state, &actor, &code, &q).await?)
}

#[derive(Template)]
#[template(path = "indicators/report.html")]
struct ReportPage {
    ctx: PageCtx,
    r: super::report::Report,
    period_text: String,
}

impl ReportPage {
    fn link(&self, format: &str) -> String {
        format!(
            "/units/{}/report?period={}&map={}&format={format}",
            self.r.dashboard.unit_code,
            url::form_urlencoded::byte_serialize(self.period_text.as_bytes()).collect::<String>(),
            self.r.dashboard.map.as_str()
        )
    }
}

/// The report to read (`format=html`, the default) or download (docx, xlsx, csv).
pub async fn report(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<super::api::DashboardQuery>,
) -> PageResult {
    let format = q.format.clone().unwrap_or_else(|| "html".into());
    if !["html", "docx", "xlsx", "csv"].contains(&format.trim()) {
        return Err(crate::error::AppError::field("format", "Định dạng: html, docx, xlsx hoặc csv.").into());
    }
    let r = super::api::build_report(&state, &actor, &code, &q).await?;
    if format.trim() != "html" {
        return Ok(super::api::report_file(&r, format.trim(), q.table.as_deref())?);
    }
    let page = ReportPage {
        ctx: PageCtx::new(&actor, format!("Báo cáo – {}", r.dashboard.unit_name)),
        period_text: q
            .period
            .clone()
            .unwrap_or_else(|| r.dashboard.period.from.get(0..4).unwrap_or_default().to_string()),
        r,
    };
    Ok(render(StatusCode::OK, &page))
}

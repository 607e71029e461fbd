//! The unit dashboard page: the indicators of a period with the change from
//! the period before, and the child units' breakdown, sortable by any
//! indicator without script (a link per column).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::{CATALOGUE, Dashboard, parse_codes, period};
use crate::app::AppState;
use crate::auth::Actor;
use crate::units;
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
}

impl DashboardPage {
    fn sort_link(&self, code: &str) -> String {
        format!(
            "/units/{}/dashboard?period={}&sort={code}",
            self.d.unit_code,
            url::form_urlencoded::byte_serialize(self.period_text.as_bytes()).collect::<String>()
        )
    }

    fn export_link(&self, format: &str, table: &str) -> String {
        format!(
            "/units/{}/dashboard/export?period={}&format={format}&table={table}",
            self.d.unit_code,
            url::form_urlencoded::byte_serialize(self.period_text.as_bytes()).collect::<String>()
        )
    }

    fn is_trend(&self, code: &str) -> bool {
        self.trend_code == code
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
    sort: Option<String>,
    /// The indicator of the trend chart.
    #[serde(default)]
    trend: Option<String>,
}

pub async fn dashboard(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<Query>,
) -> PageResult {
    let p = period::parse(q.period.as_deref(), None, None)?;
    let codes = parse_codes(None)?;
    let trend_ind = match q.trend.as_deref() {
        Some(t) => parse_codes(Some(t))?
            .into_iter()
            .next()
            .ok_or_else(crate::error::AppError::not_found)?,
        None => &CATALOGUE[0],
    };
    let unit = units::open_for(&state.db, &actor, &code).await?;
    let mut d = super::dashboard(&state.db, &actor, &unit, &p, &codes).await?;
    let last = i32::try_from(p.end_year()).unwrap_or(2000);
    let years = (last - 1999).clamp(1, 10);
    let trend = super::chart::trend(&state.db, &actor, &unit, trend_ind, last, years).await?;
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
        ctx: PageCtx::new(&actor, format!("Số liệu – {}", unit.name)),
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

//! Trend charts: one indicator of a unit over the years, drawn on the
//! server as SVG (readable without script and when printed: dark bars on
//! white, the values written on the bars, the years below).

use serde::Serialize;

use super::{CATALOGUE, Indicator, values};
use crate::auth::Actor;
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::text::format_int;
use crate::units::Unit;

pub const MAX_YEARS: i32 = 15;

#[derive(Debug, Serialize)]
pub struct Trend {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    /// (year, value), oldest first.
    pub points: Vec<(i32, i64)>,
}

/// The indicator's value for each of `years` years ending with `last`.
pub async fn trend(
    db: &Db,
    actor: &Actor,
    unit: &Unit,
    ind: &'static Indicator,
    last: i32,
    years: i32,
) -> Result<Trend> {
    if !(1..=MAX_YEARS).contains(&years) {
        return Err(AppError::field("years", format!("Số năm: từ 1 đến {MAX_YEARS}.")));
    }
    if !(2000 + years - 1..=2100).contains(&last) {
        return Err(AppError::field("to", "Năm cuối: từ năm 2000 đến năm 2100."));
    }
    let k = CATALOGUE.iter().position(|i| i.code == ind.code).unwrap_or(0);
    let mut points = Vec::new();
    for y in last - years + 1..=last {
        let p =
            super::period::Period::year(y).ok_or_else(|| AppError::field("to", "Năm cuối: không hợp lệ."))?;
        let v = values(db, actor, unit, &p).await?;
        points.push((y, v[k]));
    }
    Ok(Trend {
        code: ind.code,
        name: ind.name,
        unit: ind.unit,
        points,
    })
}

/// Text for SVG: the chart's and the map's (map_svg.rs).
pub(super) fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart, 720 × 260, with a title for screen readers.
pub fn svg(t: &Trend) -> String {
    let (w, h, left, bottom, top) = (720.0_f64, 260.0_f64, 40.0_f64, 36.0_f64, 30.0_f64);
    let max = t.points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let n = t.points.len().max(1) as f64;
    let slot = (w - left - 10.0) / n;
    let bar = (slot * 0.6).max(4.0);
    let plot = h - bottom - top;
    let title = escape(&format!("{} ({}) theo năm", t.name, t.unit));
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" \
         aria-labelledby=\"trend-title\" class=\"trend\"><title id=\"trend-title\">{title}</title>\
         <text x=\"{left}\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#1d2330\">{title}</text>\
         <line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#1d2330\" stroke-width=\"1\"/>",
        h - bottom,
        w - 10.0,
        h - bottom
    );
    for (i, (year, value)) in t.points.iter().enumerate() {
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let bh = plot * (*value as f64) / max;
        let y = h - bottom - bh;
        out.push_str(&format!(
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{bh:.1}\" fill=\"#33506e\"><title>{year}: {}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1d2330\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#1d2330\">{year}</text>",
            format_int(*value),
            x + bar / 2.0,
            y - 4.0,
            format_int(*value),
            x + bar / 2.0,
            h - bottom + 16.0,
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_writes_its_values_and_years() {
        let t = Trend {
            code: "so_buoi_tuyen_truyen",
            name: "Số buổi <tuyên truyền>",
            unit: "buổi",
            points: vec![(2023, 10480), (2024, 0), (2025, 512)],
        };
        let s = svg(&t);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains(">10.480<") && s.contains(">2024<"));
        assert!(s.contains("&lt;tuyên truyền&gt;") && !s.contains("<tuyên"));
    }
}

//! The map of a unit's communes: a point at each commune's centroid (the
//! reference data's coordinates), coloured by the chosen indicator in five
//! classes, drawn on the server as SVG. Readable when printed: the classes
//! run from white to dark, every point has a dark outline, and the legend
//! writes each class's range; the breakdown table beside it has the values.

use serde::Serialize;

use super::chart::escape;
use super::view::Place;
use super::{CATALOGUE, Indicator, values};
use crate::auth::Actor;
use crate::db::Db;
use crate::error::Result;
use crate::text::format_int;
use crate::units::{self, Unit};

#[derive(Debug, Serialize)]
pub struct Point {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub value: i64,
}

#[derive(Debug, Serialize)]
pub struct MapData {
    pub code: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
    pub points: Vec<Point>,
}

/// The communes of the place (on its map) with the indicator's value each;
/// for the nation, its provinces (one point per province). Values the
/// dashboard's breakdown already counted are taken from it.
pub async fn communes(
    db: &Db,
    actor: &Actor,
    place: &Place,
    ind: &'static Indicator,
    p: &super::period::Period,
    known: &super::Dashboard,
) -> Result<MapData> {
    let k = CATALOGUE.iter().position(|i| i.code == ind.code).unwrap_or(0);
    let mut targets: Vec<Unit> = Vec::new();
    let mut frontier = super::child_units(db, actor, place).await?;
    // Down to the communes: a province of today has them as children, an
    // old province has districts first.
    while let Some(u) = frontier.pop() {
        if u.level == "district" {
            frontier.extend(units::children_on_map(db, &u).await?);
        } else {
            targets.push(u);
        }
    }
    targets.sort_by(|a, b| a.code.cmp(&b.code));
    let mut points = Vec::with_capacity(targets.len());
    for u in targets {
        let (Some(lat), Some(lon)) = (u.lat, u.lon) else {
            continue;
        };
        let counted = known.columns.iter().position(|c| *c == ind.code).and_then(|col| {
            known
                .children
                .iter()
                .find(|c| c.code == u.code)
                .and_then(|c| c.values.get(col).copied())
        });
        let value = match counted {
            Some(v) => v,
            None => values(db, actor, &u, p).await?[k],
        };
        points.push(Point {
            code: u.code,
            name: u.name,
            lat,
            lon,
            value,
        });
    }
    Ok(MapData {
        code: ind.code,
        name: ind.name,
        unit: ind.unit,
        points,
    })
}

const FILLS: [&str; 5] = ["#ffffff", "#c6d4e1", "#8ea8c3", "#4f6f91", "#1d2f45"];

/// Upper bounds of four classes of positive values in equal steps of the
/// largest; zero is a class of its own (white).
fn classes(max: i64) -> Vec<i64> {
    if max <= 0 {
        return Vec::new();
    }
    (1..=4).map(|i| (max * i + 3) / 4).collect()
}

fn class_of(bounds: &[i64], v: i64) -> usize {
    if v <= 0 {
        return 0;
    }
    1 + bounds
        .iter()
        .position(|b| v <= *b)
        .unwrap_or(bounds.len().saturating_sub(1))
}

/// 720 wide; the height follows the communes' extent (longitude scaled by
/// the cosine of the latitude, so the shape is not stretched).
pub fn svg(m: &MapData) -> String {
    let title = escape(&format!("{} ({}) theo xã", m.name, m.unit));
    if m.points.is_empty() {
        return format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 720 60\" width=\"100%\" role=\"img\" \
             class=\"map\"><title>{title}</title><text x=\"10\" y=\"34\" font-size=\"14\">Không có xã nào có tọa độ để vẽ.</text></svg>"
        );
    }
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in &m.points {
        lat0 = lat0.min(p.lat);
        lat1 = lat1.max(p.lat);
        lon0 = lon0.min(p.lon);
        lon1 = lon1.max(p.lon);
    }
    let k = ((lat0 + lat1) / 2.0).to_radians().cos();
    let (dx, dy) = (((lon1 - lon0) * k).max(0.01), (lat1 - lat0).max(0.01));
    let (w, pad, legend_h) = (720.0_f64, 20.0_f64, 40.0_f64);
    let scale = (w - 2.0 * pad) / dx;
    let plot_h = (dy * scale).clamp(200.0, 900.0);
    let scale = scale.min((plot_h) / dy);
    let h = plot_h + 2.0 * pad + legend_h + 24.0;
    let max = m.points.iter().map(|p| p.value).max().unwrap_or(0);
    let bounds = classes(max);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h:.0}\" width=\"100%\" role=\"img\" \
         aria-labelledby=\"map-title\" class=\"map\" data-indicator=\"{}\"><title id=\"map-title\">{title}</title>\
         <text x=\"{pad}\" y=\"18\" font-size=\"14\" font-weight=\"bold\" fill=\"#1d2330\">{title}</text>",
        m.code
    );
    let top = 24.0 + pad;
    for p in &m.points {
        let x = pad + (p.lon - lon0) * k * scale;
        let y = top + (lat1 - p.lat) * scale;
        let c = class_of(&bounds, p.value);
        out.push_str(&format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"6\" fill=\"{}\" stroke=\"#1d2330\" stroke-width=\"1\">\
             <title>{}: {}</title></circle>",
            FILLS[c],
            escape(&p.name),
            format_int(p.value)
        ));
    }
    let ly = top + plot_h + pad;
    let mut legend = vec![("0".to_string(), FILLS[0])];
    let mut lower = 0;
    for (i, b) in bounds.iter().enumerate() {
        if *b > lower {
            legend.push((
                format!("{} – {}", format_int(lower + 1), format_int(*b)),
                FILLS[i + 1],
            ));
        }
        lower = *b;
    }
    for (i, (label, fill)) in legend.iter().enumerate() {
        let x = pad + i as f64 * 140.0;
        out.push_str(&format!(
            "<circle cx=\"{:.1}\" cy=\"{ly:.1}\" r=\"6\" fill=\"{fill}\" stroke=\"#1d2330\" stroke-width=\"1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" fill=\"#1d2330\">{label}</text>",
            x + 6.0,
            x + 16.0,
            ly + 4.0
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_classed_and_the_legend_writes_the_ranges() {
        let m = MapData {
            code: "so_buoi_tuyen_truyen",
            name: "Số buổi tuyên truyền",
            unit: "buổi",
            points: vec![
                Point {
                    code: "1".into(),
                    name: "Xã A".into(),
                    lat: 22.3,
                    lon: 103.4,
                    value: 0,
                },
                Point {
                    code: "2".into(),
                    name: "Xã <B>".into(),
                    lat: 22.5,
                    lon: 103.9,
                    value: 1000,
                },
                Point {
                    code: "3".into(),
                    name: "Xã C".into(),
                    lat: 22.1,
                    lon: 103.1,
                    value: 350,
                },
            ],
        };
        let s = svg(&m);
        assert_eq!(s.matches("<circle").count(), 3 + 5);
        assert!(s.contains("Xã &lt;B&gt;: 1.000") && s.contains("751 – 1.000") && s.contains(">0<"));
        assert!(s.contains("data-indicator=\"so_buoi_tuyen_truyen\""));
        assert_eq!(class_of(&classes(1000), 350), 2);
        assert_eq!(class_of(&classes(1000), 0), 0);
        assert_eq!(class_of(&classes(1000), 1000), 4);
        assert!(classes(0).is_empty());
    }
}

//! The distribution of classification levels for a unit and year: how the
//! villages, communes and organisations stand on "An toàn về an ninh, trật
//! tự" (recognised, assessed but not — or not yet — recognised, not
//! assessed), the levels of the movement's classification (points-based
//! criteria sets), and the year's ratings of teams and members. Counted
//! from the records (assessment/figures.rs, registry ratings) and drawn as
//! stacked bars on the server.

use serde::Serialize;
use sqlx::Row;

use super::chart::escape;
use crate::auth::Scope;
use crate::db::Db;
use crate::error::Result;
use crate::text::{format_decimal, format_int};

/// One bar: a group of subjects and how many stand at each level.
#[derive(Debug, Serialize)]
pub struct Bar {
    pub label: String,
    /// (level, count), best first.
    pub segments: Vec<(String, i64)>,
}

impl Bar {
    pub fn total(&self) -> i64 {
        self.segments.iter().map(|s| s.1).sum()
    }
}

pub async fn distribution(db: &Db, scope: &Scope, year: i64) -> Result<Vec<Bar>> {
    let a = crate::assessment::figures::figures(db, scope, year).await?;
    let mut bars = Vec::new();
    for l in a.levels.iter().filter(|l| l.total > 0) {
        let recognised = l.recognised.min(l.total);
        let assessed = l.assessed.clamp(recognised, l.total);
        bars.push(Bar {
            label: format!("{}: “An toàn về an ninh, trật tự”", l.label),
            segments: vec![
                ("Được công nhận".into(), recognised),
                ("Đã đánh giá, chưa công nhận".into(), assessed - recognised),
                ("Chưa đánh giá".into(), l.total - assessed),
            ],
        });
    }
    // The movement's classification: one bar per kind of subject, its
    // levels in the order the criteria sets name them (by count here).
    let mut kinds: Vec<&str> = a.classification.iter().map(|c| c.subject_kind.as_str()).collect();
    kinds.dedup();
    for kind in kinds {
        let segments: Vec<(String, i64)> = a
            .classification
            .iter()
            .filter(|c| c.subject_kind == kind)
            .map(|c| (c.level.clone(), c.count))
            .collect();
        let label = crate::assessment::criteria::label(&crate::assessment::SUBJECTS, kind);
        bars.push(Bar {
            label: format!("{label}: phân loại phong trào"),
            segments,
        });
    }
    // Ratings are kept on today's units only.
    if !scope.is_legacy() {
        let rows = sqlx::query(
            "SELECT subject_kind, level, COUNT(*) AS n FROM ratings WHERE scope_path LIKE $1 AND year = $2 \
             GROUP BY subject_kind, level",
        )
        .bind(scope.like())
        .bind(year)
        .fetch_all(&db.pool)
        .await?;
        for (kind, label) in [
            ("team", "Tổ, đội: xếp loại"),
            ("member", "Thành viên tổ, đội: xếp loại"),
        ] {
            let mut segments = Vec::new();
            for (level, name) in crate::registry::ratings::LEVELS {
                let mut n = 0;
                for r in &rows {
                    let (k, l): (String, String) = (r.try_get("subject_kind")?, r.try_get("level")?);
                    if k == kind && l == level {
                        n += r.try_get::<i64, _>("n")?;
                    }
                }
                segments.push((name.to_string(), n));
            }
            if segments.iter().any(|s| s.1 > 0) {
                bars.push(Bar {
                    label: label.into(),
                    segments,
                });
            }
        }
    }
    Ok(bars)
}

/// Fills for up to five levels, dark to light, each readable in grey when
/// printed; the count and share are written on every segment wide enough.
const FILLS: [&str; 5] = ["#1f3b57", "#4f7396", "#8fb0cc", "#c9d9e6", "#eef3f7"];

pub fn svg(bars: &[Bar]) -> String {
    let (w, left, row) = (720.0_f64, 10.0_f64, 58.0_f64);
    let h = 20.0 + row * bars.len() as f64;
    let width = w - 2.0 * left;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" \
         aria-labelledby=\"dist-title\" class=\"distribution\"><title id=\"dist-title\">Phân bố mức phân loại</title>"
    );
    for (i, b) in bars.iter().enumerate() {
        let y = 10.0 + row * i as f64;
        let total = b.total().max(1) as f64;
        out.push_str(&format!(
            "<text x=\"{left}\" y=\"{:.1}\" font-size=\"12\" font-weight=\"bold\" fill=\"#1d2330\">{} ({})</text>",
            y + 12.0,
            escape(&b.label),
            format_int(b.total())
        ));
        let mut x = left;
        for (k, (level, n)) in b.segments.iter().enumerate() {
            let sw = width * (*n as f64) / total;
            let fill = FILLS[k.min(FILLS.len() - 1)];
            let ink = if k < 2 { "#ffffff" } else { "#1d2330" };
            let share = format_decimal(*n as f64 * 100.0 / total, 1);
            out.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{sw:.1}\" height=\"22\" fill=\"{fill}\" stroke=\"#1d2330\" \
                 stroke-width=\"0.5\"><title>{}: {} ({share}%)</title></rect>",
                y + 18.0,
                escape(level),
                format_int(*n)
            ));
            if sw > 70.0 {
                out.push_str(&format!(
                    "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{ink}\">{} ({share}%)</text>",
                    x + 4.0,
                    y + 33.0,
                    format_int(*n)
                ));
            }
            x += sw;
        }
        // The legend of the bar's levels below it.
        let legend: Vec<String> = b
            .segments
            .iter()
            .map(|(level, n)| format!("{}: {}", escape(level), format_int(*n)))
            .collect();
        out.push_str(&format!(
            "<text x=\"{left}\" y=\"{:.1}\" font-size=\"10\" fill=\"#1d2330\">{}</text>",
            y + 53.0,
            legend.join(" · ")
        ));
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_write_their_counts_shares_and_legend() {
        let bars = vec![Bar {
            label: "Thôn, tổ dân phố <1>".into(),
            segments: vec![("Được công nhận".into(), 900), ("Chưa đánh giá".into(), 100)],
        }];
        let s = svg(&bars);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("900 (90,0%)"), "{s}");
        assert!(s.contains("Chưa đánh giá: 100"));
        assert!(s.contains("&lt;1&gt;") && !s.contains("<1>"));
    }
}

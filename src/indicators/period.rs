//! Periods of figures: a year ("2025"), a quarter ("2025-Q3", "Q3/2025"), a
//! month ("2025-08", "08/2025"), a multi-year phase ("2013-2023", as the
//! seeds speak of "giai đoạn 2013–2023") or a date range (`from`, `to`).
//! Each knows the period before it, for "tăng 3,5% so với năm 2024".

use serde::Serialize;
use time::{Date, Month};

use crate::error::{AppError, Result};
use crate::input::parse_date;

/// The longest period a figure is asked for (the movement's phases are ten
/// years; fifty covers any report and refuses a typo of five centuries).
const MAX_YEARS: i32 = 50;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    /// year, quarter, month, phase, range
    pub kind: &'static str,
    pub from: String,
    pub to: String,
    /// "năm 2025", "quý III năm 2025", "tháng 8 năm 2025", "giai đoạn 2013–2023", "từ 01/03/2025 đến 31/05/2025"
    pub label: String,
}

fn day(y: i32, m: u8, d: u8) -> Option<Date> {
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

fn month_end(y: i32, m: u8) -> Option<Date> {
    let month = Month::try_from(m).ok()?;
    day(y, m, month.length(y))
}

const ROMAN: [&str; 4] = ["I", "II", "III", "IV"];

impl Period {
    pub fn year(y: i32) -> Option<Period> {
        Some(Period {
            kind: "year",
            from: day(y, 1, 1)?.to_string(),
            to: day(y, 12, 31)?.to_string(),
            label: format!("năm {y}"),
        })
    }

    pub fn quarter(y: i32, q: u8) -> Option<Period> {
        if !(1..=4).contains(&q) {
            return None;
        }
        Some(Period {
            kind: "quarter",
            from: day(y, (q - 1) * 3 + 1, 1)?.to_string(),
            to: month_end(y, q * 3)?.to_string(),
            label: format!("quý {} năm {y}", ROMAN[usize::from(q - 1)]),
        })
    }

    pub fn month(y: i32, m: u8) -> Option<Period> {
        Some(Period {
            kind: "month",
            from: day(y, m, 1)?.to_string(),
            to: month_end(y, m)?.to_string(),
            label: format!("tháng {m} năm {y}"),
        })
    }

    pub fn phase(a: i32, b: i32) -> Option<Period> {
        Some(Period {
            kind: "phase",
            from: day(a, 1, 1)?.to_string(),
            to: day(b, 12, 31)?.to_string(),
            label: format!("giai đoạn {a}–{b}"),
        })
    }

    fn years(&self) -> (i32, i32) {
        let y = |s: &str| s.get(0..4).and_then(|v| v.parse().ok()).unwrap_or(0);
        (y(&self.from), y(&self.to))
    }

    /// The year a period ends in: yearly records (registrations, ratings,
    /// assessments) are read for it.
    pub fn end_year(&self) -> i64 {
        i64::from(self.years().1)
    }

    /// The period of the same length just before.
    pub fn previous(&self) -> Option<Period> {
        let (a, b) = self.years();
        match self.kind {
            "year" => Period::year(a - 1),
            "phase" => Period::phase(a - (b - a + 1), a - 1),
            "quarter" | "month" => {
                let from = parse_date(&self.from)?;
                let m = u8::from(from.month());
                if self.kind == "month" {
                    if m == 1 {
                        Period::month(a - 1, 12)
                    } else {
                        Period::month(a, m - 1)
                    }
                } else {
                    let q = (m - 1) / 3 + 1;
                    if q == 1 {
                        Period::quarter(a - 1, 4)
                    } else {
                        Period::quarter(a, q - 1)
                    }
                }
            }
            _ => {
                let (f, t) = (parse_date(&self.from)?, parse_date(&self.to)?);
                let len = t - f + time::Duration::days(1);
                let (pf, pt) = (f - len, f - time::Duration::days(1));
                Some(Period {
                    kind: "range",
                    from: pf.to_string(),
                    to: pt.to_string(),
                    label: range_label(&pf.to_string(), &pt.to_string()),
                })
            }
        }
    }
}

fn range_label(from: &str, to: &str) -> String {
    format!(
        "từ {} đến {}",
        crate::text::format_date(from),
        crate::text::format_date(to)
    )
}

fn refused(m: impl Into<String>) -> AppError {
    AppError::field("period", m)
}

fn checked(p: Option<Period>, raw: &str) -> Result<Period> {
    let p = p.ok_or_else(|| {
        refused(format!(
            "Kỳ số liệu: \"{}\" không phải kỳ hợp lệ.",
            crate::input::shorten(raw)
        ))
    })?;
    let (a, b) = p.years();
    if !(2000..=2100).contains(&a) || !(2000..=2100).contains(&b) {
        return Err(refused("Kỳ số liệu: chỉ từ năm 2000 đến năm 2100."));
    }
    if p.to < p.from {
        return Err(refused("Kỳ số liệu: ngày kết thúc trước ngày bắt đầu."));
    }
    if b - a >= MAX_YEARS {
        return Err(refused(format!("Kỳ số liệu: dài tối đa {MAX_YEARS} năm.")));
    }
    Ok(p)
}

/// Reads `period` ("2025", "2025-Q3", "Q3/2025", "2025-08", "08/2025",
/// "2013-2023") or, when it is absent, `from` and `to`; with neither, the
/// current year.
pub fn parse(period: Option<&str>, from: Option<&str>, to: Option<&str>) -> Result<Period> {
    let raw = period.map(str::trim).unwrap_or_default();
    if raw.is_empty() {
        return match (
            from.map(str::trim).filter(|s| !s.is_empty()),
            to.map(str::trim).filter(|s| !s.is_empty()),
        ) {
            (None, None) => checked(Period::year(crate::input::today().year()), ""),
            (Some(f), Some(t)) => {
                let (Some(fd), Some(td)) = (parse_date(f), parse_date(t)) else {
                    return Err(refused(
                        "Kỳ số liệu: từ ngày, đến ngày phải là ngày hợp lệ (dạng 19/08/2025).",
                    ));
                };
                checked(
                    Some(Period {
                        kind: "range",
                        from: fd.to_string(),
                        to: td.to_string(),
                        label: range_label(&fd.to_string(), &td.to_string()),
                    }),
                    f,
                )
            }
            _ => Err(refused("Kỳ số liệu: ghi cả từ ngày và đến ngày.")),
        };
    }
    let num = |s: &str| s.parse::<i32>().ok();
    let upper = raw.to_ascii_uppercase();
    let p = if let Some(y) = num(raw).filter(|_| raw.len() == 4) {
        Period::year(y)
    } else if let Some((y, q)) = upper.split_once("-Q") {
        num(y)
            .zip(q.parse::<u8>().ok())
            .and_then(|(y, q)| Period::quarter(y, q))
    } else if let Some((q, y)) = upper.strip_prefix('Q').and_then(|r| r.split_once('/')) {
        num(y)
            .zip(q.parse::<u8>().ok())
            .and_then(|(y, q)| Period::quarter(y, q))
    } else if let Some((a, b)) = raw.split_once('-').filter(|(a, b)| a.len() == 4 && b.len() == 4) {
        match (num(a), num(b)) {
            (Some(a), Some(b)) if b < a => {
                return Err(refused("Kỳ số liệu: năm kết thúc trước năm bắt đầu."));
            }
            (Some(a), Some(b)) => Period::phase(a, b),
            _ => None,
        }
    } else if let Some((y, m)) = raw.split_once('-').filter(|(y, m)| y.len() == 4 && m.len() <= 2) {
        num(y)
            .zip(m.parse::<u8>().ok())
            .and_then(|(y, m)| Period::month(y, m))
    } else if let Some((m, y)) = raw.split_once('/').filter(|(m, y)| m.len() <= 2 && y.len() == 4) {
        num(y)
            .zip(m.parse::<u8>().ok())
            .and_then(|(y, m)| Period::month(y, m))
    } else {
        None
    };
    checked(p, raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_read_as_reports_write_them() {
        let p = parse(Some("2013-2023"), None, None).unwrap();
        assert_eq!(
            (p.from.as_str(), p.to.as_str(), p.label.as_str()),
            ("2013-01-01", "2023-12-31", "giai đoạn 2013–2023")
        );
        assert_eq!(p.previous().unwrap().label, "giai đoạn 2002–2012");
        let q = parse(Some("Q3/2025"), None, None).unwrap();
        assert_eq!(
            (q.from.as_str(), q.to.as_str(), q.label.as_str()),
            ("2025-07-01", "2025-09-30", "quý III năm 2025")
        );
        assert_eq!(
            parse(Some("2025-q1"), None, None)
                .unwrap()
                .previous()
                .unwrap()
                .label,
            "quý IV năm 2024"
        );
        assert_eq!(parse(Some("02/2024"), None, None).unwrap().to, "2024-02-29");
        assert_eq!(
            parse(Some("2025"), None, None).unwrap().previous().unwrap().label,
            "năm 2024"
        );
        let r = parse(None, Some("01/03/2025"), Some("2025-03-31")).unwrap();
        assert_eq!(r.previous().unwrap().from, "2025-01-29");
    }

    #[test]
    fn bad_periods_are_refused_by_name() {
        for bad in [
            "2023-2013",
            "1500-2000",
            "2000-2099",
            "2025-13",
            "Q5/2025",
            "soon",
        ] {
            let e = parse(Some(bad), None, None).unwrap_err();
            assert!(e.fields().unwrap().contains_key("period"), "{bad}");
        }
        assert!(parse(None, Some("2025-05-01"), Some("2025-01-01")).is_err());
        assert!(parse(None, Some("2025-05-01"), None).is_err());
    }
}

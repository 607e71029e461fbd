//! Parsing raw input (form fields, JSON values, CSV cells) into typed values,
//! collecting one Vietnamese message per bad field. Pages, the API and CSV
//! import all go through these, so a field is judged the same everywhere.

use serde_json::Value;

use crate::error::Invalid;
use crate::text::clean_name;

/// True when text holds a control character other than whitespace (a NUL
/// would make PostgreSQL refuse the whole statement).
fn has_control(text: &str) -> bool {
    text.chars().any(|c| c.is_control() && !c.is_whitespace())
}

/// A required name: NFC, trimmed, 1..=max characters.
pub fn required_text(inv: &mut Invalid, field: &str, label: &str, raw: Option<&str>, max: usize) -> String {
    let value = clean_name(raw.unwrap_or_default());
    if has_control(&value) {
        inv.add(field, format!("{label}: không được chứa ký tự điều khiển."));
    } else if value.is_empty() {
        inv.add(field, format!("{label}: không được để trống."));
    } else if value.chars().count() > max {
        inv.add(field, format!("{label}: tối đa {max} ký tự."));
    }
    value
}

/// Optional free text, trimmed, at most `max` characters.
pub fn optional_text(inv: &mut Invalid, field: &str, label: &str, raw: Option<&str>, max: usize) -> String {
    let value = raw.map(clean_name).unwrap_or_default();
    if has_control(&value) {
        inv.add(field, format!("{label}: không được chứa ký tự điều khiển."));
    } else if value.chars().count() > max {
        inv.add(field, format!("{label}: tối đa {max} ký tự."));
    }
    value
}

/// Optional text of several lines (guests, a programme, findings): each
/// line cleaned like a name, empty lines dropped, line breaks kept.
pub fn optional_lines(inv: &mut Invalid, field: &str, label: &str, raw: Option<&str>, max: usize) -> String {
    let value = raw
        .unwrap_or_default()
        .lines()
        .map(clean_name)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if has_control(&value.replace('\n', " ")) {
        inv.add(field, format!("{label}: không được chứa ký tự điều khiển."));
    } else if value.chars().count() > max {
        inv.add(field, format!("{label}: tối đa {max} ký tự."));
    }
    value
}

/// The text of a JSON value, if it is a string or a number.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An optional count in 0..=max. Accepts 1234 or "1234"; Vietnamese
/// thousands dots ("10.480") are read as thousands, never as decimals.
pub fn optional_count(
    inv: &mut Invalid,
    field: &str,
    label: &str,
    raw: Option<&Value>,
    max: i64,
) -> Option<i64> {
    let raw = raw.filter(|v| !v.is_null())?;
    let Some(text) = value_text(raw) else {
        inv.add(field, format!("{label}: phải là số nguyên không âm."));
        return None;
    };
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let digits = if is_grouped(text) {
        text.replace('.', "")
    } else {
        text.to_string()
    };
    match digits.parse::<i64>() {
        Ok(n) if (0..=max).contains(&n) => Some(n),
        Ok(n) if n < 0 => {
            inv.add(field, format!("{label}: không được là số âm."));
            None
        }
        Ok(_) => {
            inv.add(
                field,
                format!("{label}: không được lớn hơn {}.", crate::text::format_int(max)),
            );
            None
        }
        Err(_) => {
            inv.add(
                field,
                format!("{label}: \"{}\" không phải số nguyên không âm.", shorten(text)),
            );
            None
        }
    }
}

/// "10.480" or "1.234.567": dot-grouped thousands.
fn is_grouped(text: &str) -> bool {
    let mut parts = text.split('.');
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && (1..=3).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_digit())
        && rest
            .iter()
            .all(|p| p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
}

/// A yes/no flag: true/false, 1/0, "on" (HTML checkbox), "có"/"không", "x".
/// Missing means `default`.
pub fn flag(inv: &mut Invalid, field: &str, label: &str, raw: Option<&Value>, default: bool) -> bool {
    let Some(raw) = raw.filter(|v| !v.is_null()) else {
        return default;
    };
    let text = value_text(raw).unwrap_or_default();
    match crate::text::fold(&text).as_str() {
        "" => default,
        "1" | "true" | "on" | "co" | "x" | "yes" => true,
        "0" | "false" | "off" | "khong" | "no" => false,
        _ => {
            inv.add(
                field,
                format!(
                    "{label}: \"{}\" không hợp lệ (dùng có/không hoặc 1/0).",
                    shorten(&text)
                ),
            );
            default
        }
    }
}

/// A calendar date written `19/08/2025` (as users write it) or `2025-08-19`
/// (as forms and the API send it). Impossible dates such as 31/02/2025 are
/// refused by name. Returns ISO `YYYY-MM-DD`.
pub fn date(
    inv: &mut Invalid,
    field: &str,
    label: &str,
    raw: Option<&str>,
    required: bool,
) -> Option<String> {
    date_value(inv, field, label, raw, required).map(|d| d.to_string())
}

/// [`date`] as a date, for a caller that compares it too.
pub fn date_value(
    inv: &mut Invalid,
    field: &str,
    label: &str,
    raw: Option<&str>,
    required: bool,
) -> Option<time::Date> {
    let text = raw.map(str::trim).unwrap_or_default();
    if text.is_empty() {
        if required {
            inv.add(field, format!("{label}: không được để trống."));
        }
        return None;
    }
    match parse_date(text) {
        Some(d) => Some(d),
        None => {
            inv.add(
                field,
                format!(
                    "{label}: \"{}\" không phải ngày hợp lệ (dạng 19/08/2025).",
                    shorten(text)
                ),
            );
            None
        }
    }
}

pub fn parse_date(text: &str) -> Option<time::Date> {
    // The two layouts read directly: the format parser's failed first try
    // at ISO made each `19/08/2025` of an import cost an error value.
    if let Some(d) = parse_date_fixed(text) {
        return Some(d);
    }
    let iso = time::macros::format_description!("[year]-[month]-[day]");
    let vn = time::macros::format_description!("[day]/[month]/[year]");
    time::Date::parse(text, &iso)
        .or_else(|_| time::Date::parse(text, &vn))
        .ok()
}

/// `2025-08-19` or `19/08/2025` exactly, every digit written; `None` for
/// anything else (which [`parse_date`]'s format parser then judges).
fn parse_date_fixed(text: &str) -> Option<time::Date> {
    let b = text.as_bytes();
    let num = |range: std::ops::Range<usize>| -> Option<u16> {
        b.get(range)?.iter().try_fold(0u16, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u16::from(c - b'0'))
        })
    };
    let (year, month, day) = match b {
        [_, _, _, _, b'-', _, _, b'-', _, _] => (num(0..4)?, num(5..7)?, num(8..10)?),
        [_, _, b'/', _, _, b'/', _, _, _, _] => (num(6..10)?, num(3..5)?, num(0..2)?),
        _ => return None,
    };
    let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    time::Date::from_calendar_date(i32::from(year), month, u8::try_from(day).ok()?).ok()
}

/// The same day `months` later, or the month's last day when it is shorter
/// (31/12 + 2 months is 28/02): service periods and legal deadlines.
pub fn add_months(d: time::Date, months: i32) -> Option<time::Date> {
    let total = d.year() * 12 + (u8::from(d.month()) as i32 - 1) + months;
    let month = time::Month::try_from((total.rem_euclid(12) + 1) as u8).ok()?;
    let year = total.div_euclid(12);
    time::Date::from_calendar_date(year, month, d.day().min(month.length(year))).ok()
}

/// Today's date in Vietnam (UTC+7), for "not in the future" rules.
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .date()
}

/// At most 40 characters of a bad value, for a message that must stay short
/// even when the value was ten megabytes.
pub fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_accept_numbers_strings_and_grouped_thousands() {
        let mut inv = Invalid::default();
        assert_eq!(
            optional_count(&mut inv, "h", "Số hộ", Some(&json!(12)), 1_000_000),
            Some(12)
        );
        assert_eq!(
            optional_count(&mut inv, "h", "Số hộ", Some(&json!("10.480")), 1_000_000),
            Some(10480)
        );
        assert_eq!(
            optional_count(&mut inv, "h", "Số hộ", Some(&json!("")), 1_000_000),
            None
        );
        assert!(inv.is_empty());
        assert_eq!(
            optional_count(&mut inv, "h", "Số hộ", Some(&json!("-3")), 1_000_000),
            None
        );
        assert_eq!(
            optional_count(&mut inv, "p", "Số dân", Some(&json!("3,5")), 1_000_000),
            None
        );
        let err = inv.into_error();
        let fields = err.fields().unwrap();
        assert!(fields["h"].starts_with("Số hộ"));
        assert!(fields["p"].starts_with("Số dân"));
    }

    #[test]
    fn the_direct_date_reading_agrees_with_the_format_parser() {
        let iso = time::macros::format_description!("[year]-[month]-[day]");
        let vn = time::macros::format_description!("[day]/[month]/[year]");
        for text in [
            "19/08/2025",
            "2025-08-19",
            "29/02/2024",
            "29/02/2025",
            "31/04/2025",
            "00/01/2025",
            "01/13/2025",
            "2025-00-10",
            "1/8/2025",
            "19-08-2025",
            "2025/08/19",
            "19/08/20a5",
            "+2025-08-19",
        ] {
            let slow = time::Date::parse(text, &iso)
                .or_else(|_| time::Date::parse(text, &vn))
                .ok();
            assert_eq!(parse_date(text), slow, "{text}");
            if let Some(d) = parse_date_fixed(text) {
                assert_eq!(Some(d), slow, "{text}");
            }
        }
    }

    #[test]
    fn dates_are_real_dates_in_either_form() {
        let mut inv = Invalid::default();
        assert_eq!(
            date(&mut inv, "d", "Ngày", Some("19/08/2025"), true).as_deref(),
            Some("2025-08-19")
        );
        assert_eq!(
            date(&mut inv, "d", "Ngày", Some("2025-08-19"), true).as_deref(),
            Some("2025-08-19")
        );
        assert_eq!(date(&mut inv, "e", "Ngày", Some(""), false), None);
        assert!(inv.is_empty());
        assert_eq!(
            date(&mut inv, "d", "Ngày thành lập", Some("31/02/2025"), true),
            None
        );
        assert_eq!(date(&mut inv, "f", "Ngày", None, true), None);
        let err = inv.into_error();
        assert!(err.fields().unwrap()["d"].contains("31/02/2025"));
        assert!(err.fields().unwrap()["f"].contains("không được để trống"));
    }

    #[test]
    fn flags_and_names() {
        let mut inv = Invalid::default();
        assert!(flag(&mut inv, "b", "Biên giới", Some(&json!("Có")), false));
        assert!(!flag(&mut inv, "b", "Biên giới", Some(&json!("0")), true));
        assert!(flag(&mut inv, "b", "Biên giới", None, true));
        assert!(inv.is_empty());
        let long = "a".repeat(10 * 1024 * 1024);
        required_text(&mut inv, "name", "Tên", Some(&long), 200);
        required_text(&mut inv, "other", "Tên khác", Some("   "), 200);
        assert_eq!(
            optional_lines(&mut inv, "g", "Khách mời", Some("Dòng 1\r\n\n  Dòng   2 "), 100),
            "Dòng 1\nDòng 2"
        );
        required_text(&mut inv, "nul", "Chủ đề", Some("a\u{0}b"), 200);
        let err = inv.into_error();
        assert!(err.fields().unwrap()["name"].contains("tối đa 200"));
        assert!(err.fields().unwrap()["other"].contains("không được để trống"));
        assert!(err.fields().unwrap()["nul"].contains("ký tự điều khiển"));
        assert!(!err.fields().unwrap().contains_key("g"));
    }
}

//! Template filters: Vietnamese number and date formats.

use crate::text;

pub fn num(n: &i64) -> askama::Result<String> {
    Ok(text::format_int(*n))
}

/// A figure that may be unknown or outside the reader's scope: "—".
pub fn opt_num(n: &Option<i64>) -> askama::Result<String> {
    Ok(n.map(text::format_int).unwrap_or_else(|| "—".into()))
}

pub fn date(s: &str) -> askama::Result<String> {
    Ok(text::format_date(s))
}

pub fn datetime(s: &str) -> askama::Result<String> {
    Ok(text::format_timestamp(s))
}

pub fn yes_no(b: &bool) -> askama::Result<&'static str> {
    Ok(if *b { "Có" } else { "Không" })
}

/// `{% if flag|truthy %}` for a `&bool` bound by a loop.
pub fn truthy(b: &bool) -> askama::Result<bool> {
    Ok(*b)
}

/// A percentage with a decimal comma: 98.5 → "98,5%".
pub fn pct(x: &f64) -> askama::Result<String> {
    Ok(format!("{}%", text::format_decimal(*x, 1)))
}

/// A coordinate with a decimal comma: 22.5935 → "22,5935".
pub fn coord(x: &f64) -> askama::Result<String> {
    Ok(x.to_string().replace('.', ","))
}

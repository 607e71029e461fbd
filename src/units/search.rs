//! Unit search that ignores diacritics and case, over both maps: a name from
//! before 1 July 2025 ("Sơn Lư") finds the unit it became (Xã Quan Sơn) and
//! says so.

use std::collections::HashSet;

use serde::Serialize;
use sqlx::Row;

use super::{UNIT_COLUMNS, Unit};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::text::fold;

/// The official list is public law, so every signed-in user may search it;
/// villages and figures stay scoped elsewhere.
#[derive(Debug, Default)]
pub struct Query {
    pub q: Option<String>,
    pub level: Option<&'static str>,
    pub parent: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Hit {
    #[serde(flatten)]
    pub unit: Unit,
    pub parent_name: Option<String>,
    /// Set when the match was a pre-2025 unit that became this one.
    pub former: Option<Former>,
    #[serde(skip)]
    rank: (u8, u8),
}

#[derive(Debug, Serialize, Clone)]
pub struct Former {
    pub code: String,
    pub name: String,
    pub level: String,
    pub valid_to: Option<String>,
    /// The old unit was divided among several new ones.
    pub partial: bool,
    /// This unit is where the old unit's records go by default.
    pub is_default: bool,
}

const MAX_HITS: usize = 200;

pub async fn run(db: &Db, query: &Query) -> Result<Vec<Hit>> {
    let key = query.q.as_deref().map(fold).unwrap_or_default();
    if query.q.is_some() && key.is_empty() {
        return Err(AppError::field(
            "q",
            "Từ khóa tìm kiếm: cần ít nhất một chữ hoặc số.",
        ));
    }
    if key.chars().count() > 100 {
        return Err(AppError::field("q", "Từ khóa tìm kiếm: tối đa 100 ký tự."));
    }
    let pattern = (!key.is_empty()).then(|| format!("%{key}%"));
    let code = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| q.chars().all(|c| c.is_ascii_alphanumeric()));
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS}, p.name AS parent_name FROM units u \
         LEFT JOIN units p ON p.era = u.era AND p.code = u.parent_code \
         WHERE u.era = 'current' \
           AND ($1 IS NULL OR u.search_key LIKE $1 OR u.code = $2) \
           AND ($3 IS NULL OR u.level = $3) \
           AND ($4 IS NULL OR u.parent_code = $4) \
         ORDER BY u.path"
    ))
    .bind(pattern.as_deref())
    .bind(code)
    .bind(query.level)
    .bind(query.parent.as_deref())
    .fetch_all(&db.pool)
    .await?;
    let mut hits = Vec::with_capacity(rows.len());
    for r in &rows {
        let unit = Unit::from_row(r)?;
        let rank = (match_rank(&key, &unit), level_rank(&unit.level));
        hits.push(Hit {
            parent_name: r.try_get("parent_name")?,
            former: None,
            rank,
            unit,
        });
    }
    if let Some(pattern) = &pattern {
        hits.extend(former_hits(db, &key, pattern, query).await?);
        hits.sort_by(|a, b| a.rank.cmp(&b.rank).then_with(|| a.unit.path.cmp(&b.unit.path)));
        hits.truncate(MAX_HITS);
    }
    Ok(hits)
}

/// Pre-2025 communes and provinces whose name matches, reported as the
/// current units they became. A unit that kept its name and code is already
/// found by its current name and is not repeated.
async fn former_hits(db: &Db, key: &str, pattern: &str, query: &Query) -> Result<Vec<Hit>> {
    let rows = sqlx::query(&format!(
        "SELECT {UNIT_COLUMNS}, o.code AS old_code, o.name AS old_name, o.level AS old_level, \
                o.valid_to AS old_valid_to, c.partial, c.is_default, p.name AS parent_name \
         FROM units o \
         JOIN crosswalk_2025 c ON o.level = 'commune' AND c.old_code = o.code \
         JOIN units u ON u.era = 'current' AND u.code = c.new_code \
         LEFT JOIN units p ON p.era = 'current' AND p.code = u.parent_code \
         WHERE o.era = 'legacy' AND o.search_key LIKE $1 \
         UNION ALL \
         SELECT {UNIT_COLUMNS}, o.code AS old_code, o.name AS old_name, o.level AS old_level, \
                o.valid_to AS old_valid_to, 0 AS partial, 1 AS is_default, p.name AS parent_name \
         FROM units o \
         JOIN province_crosswalk_2025 c ON o.level = 'province' AND c.old_code = o.code \
         JOIN units u ON u.era = 'current' AND u.code = c.new_code \
         LEFT JOIN units p ON p.era = 'current' AND p.code = u.parent_code \
         WHERE o.era = 'legacy' AND o.search_key LIKE $1"
    ))
    .bind(pattern)
    .fetch_all(&db.pool)
    .await?;
    let mut seen = HashSet::new();
    let mut hits = Vec::new();
    for r in &rows {
        let unit = Unit::from_row(r)?;
        let old_name: String = r.try_get("old_name")?;
        let old_code: String = r.try_get("old_code")?;
        if fold(&old_name) == fold(&unit.name) && old_code == unit.code {
            continue;
        }
        if query.level.is_some_and(|l| l != unit.level)
            || query
                .parent
                .as_deref()
                .is_some_and(|p| unit.parent_code.as_deref() != Some(p))
            || !seen.insert((old_code.clone(), unit.code.clone()))
        {
            continue;
        }
        let old_level: String = r.try_get("old_level")?;
        let old_short = strip_type(&old_name);
        let rank = (short_rank(key, &fold(old_short)), level_rank(&unit.level));
        hits.push(Hit {
            parent_name: r.try_get("parent_name")?,
            former: Some(Former {
                code: old_code,
                name: old_name,
                level: old_level,
                valid_to: r.try_get("old_valid_to")?,
                partial: r.try_get::<i64, _>("partial")? == 1,
                is_default: r.try_get::<i64, _>("is_default")? == 1,
            }),
            rank,
            unit,
        });
    }
    Ok(hits)
}

/// Type words that open official names ("Thị trấn Sơn Lư").
const TYPE_WORDS: [&str; 9] = [
    "Thành phố",
    "Tỉnh",
    "Thị trấn",
    "Thị xã",
    "Đặc khu",
    "Phường",
    "Huyện",
    "Quận",
    "Xã",
];

fn strip_type(name: &str) -> &str {
    for t in TYPE_WORDS {
        if let Some(rest) = name.strip_prefix(t) {
            return rest.trim_start();
        }
    }
    name
}

fn match_rank(key: &str, unit: &Unit) -> u8 {
    if key.is_empty() {
        return 0;
    }
    short_rank(key, &fold(unit.short_name()))
}

/// 0 exact name, 1 name starts with the query, 2 a word starts with it, 3 inside.
fn short_rank(key: &str, short: &str) -> u8 {
    if short == key {
        0
    } else if short.starts_with(key) {
        1
    } else if short
        .split(' ')
        .any(|w| w.starts_with(key.split(' ').next().unwrap_or(key)))
    {
        2
    } else {
        3
    }
}

fn level_rank(level: &str) -> u8 {
    match level {
        "nation" => 0,
        "province" => 1,
        "district" => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_exact_names_first() {
        assert_eq!(short_rank("son lu", "son lu"), 0);
        assert_eq!(short_rank("son lu", "son luong"), 1);
        assert_eq!(short_rank("lao", "khong lao"), 2);
        assert_eq!(strip_type("Thị trấn Sơn Lư"), "Sơn Lư");
        assert_eq!(strip_type("Xã Khổng Lào"), "Khổng Lào");
    }
}

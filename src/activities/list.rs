//! A unit's activities as a list: one page at a time, newest first
//! ([`Cursor`]), and the query the list and the export share
//! ([`ListQuery`]).

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Activity, ActivityFilter, COLUMNS, FIELDS, FROM, KINDS, kind_of, period};
use crate::auth::{Action, Actor, Scope};
use crate::db::{Backend, Db};
use crate::error::{AppError, Result};
use crate::input;
use crate::text::format_int;
use crate::units::Unit;

/// Rows a page of a list when the reader does not say.
pub const PAGE: i64 = 100;
/// The most rows a page lists: a nation's year of sessions is ~290.000 rows,
/// which as one JSON answer took 12,8 s and ~150 MB.
pub const MAX_PAGE: i64 = 1_000;

/// Where a page of a list begins: after the row held on `held_on` with id
/// `id`, in the list's order (newest first, then by id). Written
/// `2025-08-19.1234` in the query string. A page found by where the last
/// one ended, not by an offset, costs the same at page 1 and page 2.900,
/// and a record written meanwhile neither repeats nor skips a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub held_on: String,
    pub id: i64,
}

impl Cursor {
    pub fn parse(raw: &str) -> Result<Cursor> {
        let bad = || {
            AppError::field(
                "after",
                format!(
                    "Trang tiếp: \"{}\" không phải vị trí trang hợp lệ.",
                    input::shorten(raw)
                ),
            )
        };
        let (date, id) = raw.trim().rsplit_once('.').ok_or_else(bad)?;
        let iso = date.len() == 10
            && date.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let id = id.parse::<i64>().map_err(|_| bad())?;
        if !iso || id < 0 {
            return Err(bad());
        }
        Ok(Cursor {
            held_on: date.to_string(),
            id,
        })
    }

    fn of(a: &Activity) -> Cursor {
        Cursor {
            held_on: a.held_on.clone(),
            id: a.id,
        }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.held_on, self.id)
    }
}

/// One page of [`list`].
#[derive(Debug, Serialize)]
pub struct ActivityPage {
    /// Every row the filter matches, on all pages.
    pub total: i64,
    pub activities: Vec<Activity>,
    /// The `after` of the next page; `None` on the last.
    pub next: Option<String>,
}

/// A page of the activities in a unit's subtree, newest first (see
/// [`Cursor`]), and how many there are in all. A campaign shows in the
/// lists of the units it covered too.
pub async fn list(db: &Db, actor: &Actor, unit: &Unit, f: &ActivityFilter) -> Result<ActivityPage> {
    let q = ListQuery::new(db.backend, actor, unit, f)?;
    let limit = match f.limit {
        None => PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(n) => {
            return Err(AppError::field(
                "limit",
                format!(
                    "Số dòng một trang: {n} không hợp lệ (từ 1 đến {}).",
                    format_int(MAX_PAGE)
                ),
            ));
        }
    };
    let after = f
        .after
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(Cursor::parse)
        .transpose()?;
    let keyset = match after {
        Some(_) => {
            let (day, id) = (q.args.len() + 1, q.args.len() + 2);
            format!(" AND (a.held_on < ${day} OR (a.held_on = ${day} AND a.id < ${id}))")
        }
        None => String::new(),
    };
    // One row more than the page says whether another follows.
    let sql = format!(
        "SELECT {} {}{keyset} ORDER BY a.held_on DESC, a.id DESC LIMIT {}",
        *COLUMNS,
        q.rest,
        limit + 1
    );
    let mut query = q.bind(&sql);
    if let Some(c) = &after {
        query = query.bind(c.held_on.clone()).bind(c.id);
    }
    let rows = query.fetch_all(&db.pool).await?;
    let mut out: Vec<Activity> = rows.iter().map(Activity::from_row).collect::<Result<_, _>>()?;
    let next = if out.len() as i64 > limit {
        out.truncate(limit as usize);
        out.last().map(|a| Cursor::of(a).to_string())
    } else {
        None
    };
    let count = format!("SELECT COUNT(*) {}", q.rest);
    let total: i64 = q.bind(&count).fetch_one(&db.pool).await?.try_get(0)?;
    let campaigns: Vec<i64> = out
        .iter()
        .filter(|a| a.kind == "campaign")
        .map(|a| a.id)
        .collect();
    if !campaigns.is_empty() {
        let mut covered = covered_by(db, &campaigns).await?;
        for a in out.iter_mut().filter(|a| a.kind == "campaign") {
            (a.unit_codes, a.legacy_unit_codes) = covered.remove(&a.id).unwrap_or_default();
        }
    }
    Ok(ActivityPage {
        total,
        activities: out,
        next,
    })
}

/// The units each of these campaigns covered, by activity id (the ids come
/// from a list the reader was allowed, so no scope is checked again).
async fn covered_by(db: &Db, ids: &[i64]) -> Result<HashMap<i64, super::covered::Covered>> {
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let rows = sqlx::query(&format!(
        "SELECT activity_id, unit_code, legacy_code FROM activity_units WHERE activity_id IN ({list})"
    ))
    .fetch_all(&db.pool)
    .await?;
    by_activity(&rows)
}

/// Rows of (activity_id, unit_code, legacy_code) as each activity's
/// covered units.
fn by_activity(rows: &[AnyRow]) -> Result<HashMap<i64, super::covered::Covered>> {
    let mut pairs: HashMap<i64, Vec<(String, String)>> = HashMap::new();
    for r in rows {
        pairs
            .entry(r.try_get("activity_id")?)
            .or_default()
            .push((r.try_get("unit_code")?, r.try_get("legacy_code")?));
    }
    Ok(pairs
        .into_iter()
        .map(|(id, rows)| (id, super::covered::split(rows)))
        .collect())
}

/// The query of [`list`]: the activities of a unit's subtree (or covering
/// a unit in it) over a period; shared with the export, which streams it.
///
/// On SQLite the subtree is a range of `scope_path` ([`Scope::range`]) that
/// the `activities_scope` index (kind, scope_path, held_on) seeks, with the
/// campaigns covering a unit in it added from `activity_units`; the rows
/// are then read by id (the `+` keeps SQLite from driving the read by the
/// kind instead). Written as one OR with a LIKE, SQLite read every
/// activity of the country for each list: ~1,3 s for a commune's 82 rows
/// at national scale, 1 ms this way. PostgreSQL keeps the LIKE (its
/// collation is not byte order).
pub(crate) struct ListQuery {
    /// The statement from its tables on: no select list, no order.
    rest: String,
    /// The values of `$1`, `$2`, … in `rest`.
    args: Vec<String>,
    like: String,
    from: String,
    to: String,
}

impl ListQuery {
    pub fn new(backend: Backend, actor: &Actor, unit: &Unit, f: &ActivityFilter) -> Result<ListQuery> {
        let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
        let kind = match f.kind.as_deref().filter(|k| !k.is_empty()) {
            Some(k) => kind_of(Some(k))?,
            None => "",
        };
        let (from, to) = period(f.year, f.from.as_deref(), f.to.as_deref())?;
        let cancelled = if f.all.as_deref() == Some("1") {
            ""
        } else {
            " AND a.cancelled_at IS NULL"
        };
        let mut args = Vec::new();
        let mut arg = |value: String| {
            args.push(value);
            format!("${}", args.len())
        };
        let (first, last) = (arg(from.clone()), arg(to.clone()));
        // Every kind is one of KINDS: the list lets the index seek each.
        let kinds = if kind.is_empty() {
            let all: Vec<String> = KINDS.iter().map(|(k, _)| format!("'{k}'")).collect();
            format!("IN ({})", all.join(", "))
        } else {
            format!("= {}", arg(kind.to_string()))
        };
        let rest = match (backend, scope.range()) {
            (Backend::Sqlite, Some((lo, hi))) => {
                let (lo, hi) = (arg(lo), arg(hi));
                format!(
                    "{FROM} WHERE a.id IN (SELECT s.id FROM activities s WHERE s.kind {kinds} \
                       AND s.scope_path >= {lo} AND s.scope_path < {hi} \
                       AND s.held_on >= {first} AND s.held_on <= {last} \
                     UNION ALL SELECT au.activity_id FROM activity_units au \
                       WHERE au.scope_path >= {lo} AND au.scope_path < {hi}) \
                     AND +a.kind {kinds} AND +a.held_on >= {first} AND +a.held_on <= {last}{cancelled}"
                )
            }
            _ => {
                let like = arg(scope.like());
                format!(
                    "{FROM} WHERE (a.scope_path LIKE {like} OR EXISTS \
                       (SELECT 1 FROM activity_units au WHERE au.activity_id = a.id AND au.scope_path LIKE {like})) \
                     AND a.kind {kinds} AND a.held_on >= {first} AND a.held_on <= {last}{cancelled}"
                )
            }
        };
        Ok(ListQuery {
            rest,
            args,
            like: scope.like(),
            from,
            to,
        })
    }

    /// The statement's parameters by name (`$1`, `$2`, …), in order.
    pub fn params(&self) -> Vec<(String, String)> {
        self.args
            .iter()
            .enumerate()
            .map(|(i, value)| (format!("${}", i + 1), value.clone()))
            .collect()
    }

    pub fn bind<'q>(&self, sql: &'q str) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        self.params()
            .into_iter()
            .fold(sqlx::query(sql), |q, (_, value)| q.bind(value))
    }

    /// The same rows in the order they were recorded (by id, the file's
    /// first column), each one's fields as a single JSON object (read with
    /// [`Activity::from_json`]). The order is the table's own: SQLite reads
    /// it straight through, where newest first sorted a million rows
    /// through temporary files, or read them in random order through an
    /// index (docs/PERFORMANCE.md). One text a row because, read column by
    /// column through sqlx, a million-row export spent most of its time on
    /// the driver's copy and allocation of each of 23 values.
    pub fn export_sql(&self, backend: Backend) -> String {
        let pairs: Vec<String> = FIELDS
            .iter()
            .map(|(name, expr)| format!("'{name}', {expr}"))
            .collect();
        let object = match backend {
            Backend::Sqlite => format!("json_object({})", pairs.join(", ")),
            Backend::Postgres => format!("json_build_object({})::text", pairs.join(", ")),
        };
        format!("SELECT {object} AS activity {} ORDER BY a.id", self.rest)
    }

    /// The units each campaign of the period covered, by activity id.
    pub async fn campaign_units(&self, db: &Db) -> Result<HashMap<i64, super::covered::Covered>> {
        let rows = sqlx::query(
            "SELECT activity_id, unit_code, legacy_code FROM activity_units au WHERE au.activity_id IN \
             (SELECT a.id FROM activities a WHERE a.kind = 'campaign' AND a.held_on >= $1 AND a.held_on <= $2 \
              AND (a.scope_path LIKE $3 OR EXISTS \
                (SELECT 1 FROM activity_units x WHERE x.activity_id = a.id AND x.scope_path LIKE $3)))",
        )
        .bind(&self.from)
        .bind(&self.to)
        .bind(&self.like)
        .fetch_all(&db.pool)
        .await?;
        by_activity(&rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written_and_refuses_anything_else() {
        let c = Cursor::parse("2025-08-19.1234").unwrap();
        assert_eq!(
            c,
            Cursor {
                held_on: "2025-08-19".into(),
                id: 1234
            }
        );
        assert_eq!(Cursor::parse(&c.to_string()).unwrap(), c);
        for bad in [
            "",
            "2025-08-19",
            "19/08/2025.12",
            "2025-8-19.12",
            "2025-08-19.",
            "2025-08-19.x",
            "2025-08-19.-1",
        ] {
            let e = Cursor::parse(bad).unwrap_err();
            assert!(format!("{e:?}").contains("after"), "{bad}: {e:?}");
        }
    }
}

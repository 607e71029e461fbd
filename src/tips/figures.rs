//! Tip figures for the unit summary, counted from the records at read time:
//! received in the period, by category and by status, closed within their
//! deadline, and open past it (the overdue list of the province).

use serde::Serialize;
use sqlx::Row;

use super::{CATEGORIES, STATUSES};
use crate::auth::Scope;
use crate::db::Db;
use crate::error::Result;

#[derive(Debug, Serialize)]
pub struct Count {
    pub key: String,
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Serialize)]
pub struct Figures {
    pub received: i64,
    pub by_category: Vec<Count>,
    pub by_status: Vec<Count>,
    /// Closed (transferred, resolved, unfounded, duplicate) on or before the deadline.
    pub closed_in_time: i64,
    pub closed: i64,
    /// Open today with the deadline passed, whenever received.
    pub overdue: i64,
}

/// Tips received from `first` to `last` (ISO dates) in the scope's subtree.
pub async fn figures(db: &Db, scope: &Scope, first: &str, last: &str) -> Result<Figures> {
    let like = scope.like();
    let place = scope.path_expr("");
    let grouped = |column: &'static str| {
        format!(
            "SELECT {column} AS k, COUNT(*) AS n FROM tips WHERE {place} LIKE $1 AND received_on >= $2 \
             AND received_on <= $3 GROUP BY {column}"
        )
    };
    let count_of = |rows: &[sqlx::any::AnyRow], table: &[(&str, &str)]| -> Result<Vec<Count>> {
        let mut out = Vec::new();
        for (key, label) in table {
            let n = rows
                .iter()
                .find(|r| r.try_get::<String, _>("k").ok().as_deref() == Some(*key))
                .map(|r| r.try_get::<i64, _>("n"))
                .transpose()?
                .unwrap_or(0);
            out.push(Count {
                key: (*key).into(),
                label: (*label).into(),
                count: n,
            });
        }
        Ok(out)
    };
    let by_cat = sqlx::query(&grouped("category"))
        .bind(&like)
        .bind(first)
        .bind(last)
        .fetch_all(&db.pool)
        .await?;
    let by_st = sqlx::query(&grouped("status"))
        .bind(&like)
        .bind(first)
        .bind(last)
        .fetch_all(&db.pool)
        .await?;
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS received, \
         COALESCE(SUM(CASE WHEN closed_on IS NOT NULL THEN 1 ELSE 0 END), 0) AS closed, \
         COALESCE(SUM(CASE WHEN closed_on IS NOT NULL AND closed_on <= deadline THEN 1 ELSE 0 END), 0) AS in_time \
         FROM tips WHERE {place} LIKE $1 AND received_on >= $2 AND received_on <= $3"
    ))
    .bind(&like)
    .bind(first)
    .bind(last)
    .fetch_one(&db.pool)
    .await?;
    let overdue: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM tips WHERE {place} LIKE $1 AND status IN ('received', 'verifying') AND deadline < $2"
    ))
    .bind(&like)
    .bind(crate::input::today().to_string())
    .fetch_one(&db.pool)
    .await?;
    Ok(Figures {
        received: row.try_get("received")?,
        by_category: count_of(&by_cat, &CATEGORIES)?,
        by_status: count_of(&by_st, &STATUSES)?,
        closed_in_time: row.try_get("in_time")?,
        closed: row.try_get("closed")?,
        overdue,
    })
}

//! Bulk reads of the SQLite database on a thread of their own, through
//! rusqlite over the same SQLite library sqlx links.
//!
//! Why a second driver: sqlx runs each SQLite connection on a worker thread
//! and hands every row to the async side one at a time. For a page of rows
//! that costs nothing; for a million-row export or the roll-up's first read
//! of every record it was most of the time (futex wake-ups and a copy of
//! each value, measured in docs/PERFORMANCE.md). Here the statement steps
//! on the thread that uses the rows, which borrow straight from SQLite.
//!
//! Only reads go this way, each on a read-only connection of its own, so a
//! read sees one snapshot (WAL) and never holds up a writer. The statement
//! is the caller's, with the caller's access condition in it: this module
//! adds no way around the scope check, it only moves the rows.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{AppError, Result};

/// The file of an SQLite database, for [`each_row`].
#[derive(Clone, Debug)]
pub struct SqliteFile(PathBuf);

impl SqliteFile {
    pub fn new(path: &Path) -> SqliteFile {
        SqliteFile(path.to_path_buf())
    }
}

/// Runs `sql` with its named text parameters (`("$1", value)`, as the
/// statement is written for sqlx) and calls `f` with `state` on each row,
/// on a blocking thread; returns the state when the rows are done or the
/// first error of `f` or of SQLite.
pub async fn each_row<S, F>(
    file: &SqliteFile,
    sql: String,
    params: Vec<(String, String)>,
    state: S,
    f: F,
) -> Result<S>
where
    S: Send + 'static,
    F: FnMut(&mut S, &rusqlite::Row<'_>) -> Result<()> + Send + 'static,
{
    let path = file.0.clone();
    tokio::task::spawn_blocking(move || run(&path, &sql, &params, state, f))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("native read: {e}")))?
}

fn run<S, F>(path: &Path, sql: &str, params: &[(String, String)], mut state: S, mut f: F) -> Result<S>
where
    F: FnMut(&mut S, &rusqlite::Row<'_>) -> Result<()>,
{
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(failed)?;
    let mut stmt = conn.prepare(sql).map_err(failed)?;
    for (name, value) in params {
        let index = stmt
            .parameter_index(name)
            .map_err(failed)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("native read: no parameter {name}")))?;
        stmt.raw_bind_parameter(index, value.as_str()).map_err(failed)?;
    }
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next().map_err(failed)? {
        f(&mut state, row)?;
    }
    Ok(state)
}

pub fn failed(e: rusqlite::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("native read: {e}"))
}

/// The text of a column, borrowed from SQLite (NULL reads as "").
pub fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str> {
    match row.get_ref(i).map_err(failed)? {
        rusqlite::types::ValueRef::Null => Ok(""),
        v => v.as_str().map_err(|e| failed(e.into())),
    }
}

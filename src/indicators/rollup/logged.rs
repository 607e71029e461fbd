//! What the change log names since the last refresh, read again: the
//! entries, then each row they name (and the rows that depend on it), and
//! the units the campaigns among them covered. Read through the pool on
//! PostgreSQL; on SQLite on a read-only rusqlite connection kept for it
//! (db/native.rs), on the calling thread for a write or two and on a
//! blocking thread for more. Through the pool, a refresh after each write
//! was two queries, each a hand-off to sqlx's worker thread and back and
//! a ping when the connection went back to the pool: all of the server's
//! sqlx traffic under 64 clients that write and read back (perf).
//!
//! The reading is written once, as async code over [`Source`]; the native
//! source never waits, so its future is polled to its end at once.

use futures_util::FutureExt;
use sqlx::Row;

use super::facts::{self, Fact, TABLES, Table};
use crate::db::Db;
use crate::db::native::{SqliteFile, failed};
use crate::error::{AppError, Result};

/// Ids per query when refreshing.
pub(super) const REFRESH_BATCH: usize = 500;
/// Log entries read per refresh round.
pub(super) const LOG_BATCH: i64 = 20_000;
/// Up to this many entries to apply, a native refresh reads on the calling
/// thread (about a millisecond); more go to a blocking thread.
const INLINE_ENTRIES: i64 = 64;

/// One round of the log, read again.
pub(super) struct Logged {
    /// Entries read, and the last one's seq (none: nothing to apply).
    pub entries: usize,
    pub last: Option<i64>,
    /// Per table, the ids named and the facts of those still there.
    pub read: Vec<Reread>,
    /// The campaigns among the activities read, and (activity, unit path)
    /// for each unit they covered.
    pub campaigns: Vec<i64>,
    pub covered: Vec<(i64, String)>,
}

/// A table, the ids of its rows the log named, and the facts of those
/// still there (a row not found was deleted).
pub(super) type Reread = (Table, Vec<i64>, Vec<(i64, Fact)>);

/// The queries a round needs, asked of the pool or of SQLite directly.
trait Source {
    async fn log(&mut self, sql: &str, from: i64) -> Result<Vec<(i64, String, i64)>>;
    async fn ids(&mut self, sql: &str) -> Result<Vec<i64>>;
    async fn facts(&mut self, table: Table, sql: &str) -> Result<Vec<(i64, Fact)>>;
    async fn pairs(&mut self, sql: &str) -> Result<Vec<(i64, String)>>;
}

/// The round after seq `from`. On SQLite `pending` (the entries logged
/// after it, as the log check found) decides where it is read.
pub(super) async fn read(
    db: &Db,
    native: &std::sync::Arc<std::sync::Mutex<Option<rusqlite::Connection>>>,
    from: i64,
    pending: i64,
) -> Result<Logged> {
    let Some(file) = &db.sqlite else {
        return round(&mut Pool(db), from).await;
    };
    if pending <= INLINE_ENTRIES {
        return read_native(native, file, from);
    }
    let (native, file) = (native.clone(), file.clone());
    tokio::task::spawn_blocking(move || read_native(&native, &file, from))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("roll-up refresh: {e}")))?
}

/// [`round`] on the kept connection, in one read transaction (one
/// snapshot, and the WAL's locks taken once). After an error the
/// connection is dropped; the next round opens another.
fn read_native(
    kept: &std::sync::Mutex<Option<rusqlite::Connection>>,
    file: &SqliteFile,
    from: i64,
) -> Result<Logged> {
    let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
    let mut conn = match kept.take() {
        Some(conn) => conn,
        None => crate::db::native::open_read_only(file)?,
    };
    let logged = {
        let tx = conn.transaction().map_err(failed)?;
        let logged = round(&mut Native(&tx), from)
            .now_or_never()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("roll-up refresh: a native read waited")))??;
        tx.commit().map_err(failed)?;
        logged
    };
    *kept = Some(conn);
    Ok(logged)
}

async fn round(src: &mut impl Source, from: i64) -> Result<Logged> {
    let log = src
        .log(
            &format!(
                "SELECT seq, tbl, row_id FROM figure_changes WHERE seq > $1 ORDER BY seq LIMIT {LOG_BATCH}"
            ),
            from,
        )
        .await?;
    let mut out = Logged {
        entries: log.len(),
        last: log.last().map(|(seq, _, _)| *seq),
        read: Vec::new(),
        campaigns: Vec::new(),
        covered: Vec::new(),
    };
    let mut ids: Vec<Vec<i64>> = TABLES.iter().map(|_| Vec::new()).collect();
    for (_, tbl, row_id) in &log {
        if let Some(t) = Table::parse(tbl) {
            ids[t.index()].push(*row_id);
        }
    }
    // A team's dates bound its members' years; a village's recognitions
    // count while it is active.
    let teams = ids[Table::Teams.index()].clone();
    for chunk in teams.chunks(REFRESH_BATCH) {
        let sql = format!("SELECT id FROM members WHERE team_id IN ({})", id_list(chunk));
        let members = src.ids(&sql).await?;
        ids[Table::Members.index()].extend(members);
    }
    let villages = ids[Table::Villages.index()].clone();
    for chunk in villages.chunks(REFRESH_BATCH) {
        let quoted: Vec<String> = chunk.iter().map(|v| format!("'{v}'")).collect();
        let sql = format!(
            "SELECT id FROM assessments WHERE subject_kind = 'village' AND subject_id IN ({})",
            quoted.join(",")
        );
        let found = src.ids(&sql).await?;
        ids[Table::Assessments.index()].extend(found);
    }
    for table in TABLES {
        let mut list = std::mem::take(&mut ids[table.index()]);
        list.sort_unstable();
        list.dedup();
        let mut found = Vec::new();
        for chunk in list.chunks(REFRESH_BATCH) {
            // The ids are integers read from the log, so they are written
            // into the statement: a list of 500 binds is slower on both.
            let sql = table.select().replace(
                "{where}",
                &format!("{} IN ({})", table.id_column(), id_list(chunk)),
            );
            found.extend(src.facts(table, &sql).await?);
        }
        if table == Table::Activities {
            out.campaigns = found
                .iter()
                .filter(|(_, f)| f.campaign_month.is_some())
                .map(|(id, _)| *id)
                .collect();
        }
        out.read.push((table, list, found));
    }
    for chunk in out.campaigns.chunks(REFRESH_BATCH) {
        let sql = format!(
            "SELECT activity_id, scope_path FROM activity_units WHERE activity_id IN ({})",
            id_list(chunk)
        );
        let pairs = src.pairs(&sql).await?;
        out.covered.extend(pairs);
    }
    Ok(out)
}

pub(super) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

struct Pool<'a>(&'a Db);

impl Source for Pool<'_> {
    async fn log(&mut self, sql: &str, from: i64) -> Result<Vec<(i64, String, i64)>> {
        let rows = sqlx::query(sql).bind(from).fetch_all(&self.0.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get("seq")?, r.try_get("tbl")?, r.try_get("row_id")?)))
            .collect()
    }

    async fn ids(&mut self, sql: &str) -> Result<Vec<i64>> {
        let rows = sqlx::query(sql).fetch_all(&self.0.pool).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    async fn facts(&mut self, table: Table, sql: &str) -> Result<Vec<(i64, Fact)>> {
        let rows = sqlx::query(sql).fetch_all(&self.0.pool).await?;
        rows.iter().map(|r| facts::read(table, r)).collect()
    }

    async fn pairs(&mut self, sql: &str) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query(sql).fetch_all(&self.0.pool).await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }
}

struct Native<'a>(&'a rusqlite::Connection);

impl Native<'_> {
    fn all<T>(
        &self,
        sql: &str,
        from: Option<i64>,
        f: impl Fn(&rusqlite::Row<'_>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut statement = self.0.prepare_cached(sql).map_err(failed)?;
        if let Some(from) = from {
            statement.raw_bind_parameter(1, from).map_err(failed)?;
        }
        let mut rows = statement.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(failed)? {
            out.push(f(row)?);
        }
        Ok(out)
    }
}

impl Source for Native<'_> {
    async fn log(&mut self, sql: &str, from: i64) -> Result<Vec<(i64, String, i64)>> {
        self.all(sql, Some(from), |r| {
            Ok((
                r.get(0).map_err(failed)?,
                r.get(1).map_err(failed)?,
                r.get(2).map_err(failed)?,
            ))
        })
    }

    async fn ids(&mut self, sql: &str) -> Result<Vec<i64>> {
        self.all(sql, None, |r| r.get(0).map_err(failed))
    }

    async fn facts(&mut self, table: Table, sql: &str) -> Result<Vec<(i64, Fact)>> {
        self.all(sql, None, |r| facts::read_native(table, r))
    }

    async fn pairs(&mut self, sql: &str) -> Result<Vec<(i64, String)>> {
        self.all(sql, None, |r| {
            Ok((r.get(0).map_err(failed)?, r.get(1).map_err(failed)?))
        })
    }
}

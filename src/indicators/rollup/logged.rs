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
/// Log entries read per refresh round, and about as many rows named at
/// most: a round ends with the entry that reaches this many rows.
pub(super) const LOG_BATCH: i64 = 20_000;
/// Up to this many rows to read again, a native refresh reads on the
/// calling thread (about a millisecond); more go to a blocking thread.
const INLINE_ROWS: i64 = 64;
/// Consecutive ids from this many on are read as one range (`BETWEEN`)
/// instead of in a list: an import's chunk is logged as a run (migration
/// 0013), and a list of 500 ids is a longer statement to parse and a
/// search per id.
const RUN: usize = 32;

/// One round of the log, read again.
pub(super) struct Logged {
    /// The rows the entries applied name (an entry may name a run,
    /// migration 0013), and the last one's seq (none: nothing to apply).
    pub rows: usize,
    pub last: Option<i64>,
    /// The round stopped before the end of the log.
    pub more: bool,
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
    async fn log(&mut self, sql: &str, from: i64) -> Result<Vec<Entry>>;
    async fn ids(&mut self, sql: &str) -> Result<Vec<i64>>;
    async fn facts(&mut self, table: Table, sql: &str) -> Result<Vec<(i64, Fact)>>;
    async fn pairs(&mut self, sql: &str) -> Result<Vec<(i64, String)>>;
}

/// An entry of the log: seq, table, and the first and last id it names
/// (the last is NULL for one row).
type Entry = (i64, String, i64, Option<i64>);

/// The round after seq `from`. On SQLite `pending` (the entries logged
/// after it, as the log check found) and the rows they name decide where
/// it is read.
pub(super) async fn read(
    db: &Db,
    native: &std::sync::Arc<std::sync::Mutex<Option<rusqlite::Connection>>>,
    from: i64,
    pending: i64,
) -> Result<Logged> {
    let Some(file) = &db.sqlite else {
        return round(&mut Pool(db), from, None).await?.ok_or_else(unbounded);
    };
    // A few entries may still name many rows (an import's chunk): the
    // inline round gives up once it has read the log, before any row.
    if pending <= INLINE_ROWS
        && let Some(logged) = read_native(native, file, from, Some(INLINE_ROWS))?
    {
        return Ok(logged);
    }
    let (native, file) = (native.clone(), file.clone());
    tokio::task::spawn_blocking(move || read_native(&native, &file, from, None))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("roll-up refresh: {e}")))??
        .ok_or_else(unbounded)
}

fn unbounded() -> AppError {
    AppError::Internal(anyhow::anyhow!(
        "roll-up refresh: a round without a bound gave up"
    ))
}

/// [`round`] on the kept connection, in one read transaction (one
/// snapshot, and the WAL's locks taken once). After an error the
/// connection is dropped; the next round opens another.
fn read_native(
    kept: &std::sync::Mutex<Option<rusqlite::Connection>>,
    file: &SqliteFile,
    from: i64,
    most: Option<i64>,
) -> Result<Option<Logged>> {
    let mut kept = kept.lock().unwrap_or_else(|p| p.into_inner());
    let mut conn = match kept.take() {
        Some(conn) => conn,
        None => crate::db::native::open_read_only(file)?,
    };
    let logged = {
        let tx = conn.transaction().map_err(failed)?;
        let logged = round(&mut Native(&tx), from, most)
            .now_or_never()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("roll-up refresh: a native read waited")))??;
        tx.commit().map_err(failed)?;
        logged
    };
    *kept = Some(conn);
    Ok(logged)
}

/// The rows an entry names (a run written backwards counts as one).
fn rows_of((_, _, first, last): &Entry) -> i64 {
    last.map_or(1, |last| (last - first + 1).max(1))
}

/// The rows `log`'s entries name.
fn named(log: &[Entry]) -> i64 {
    log.iter().map(rows_of).sum()
}

/// How many of `log`'s entries a round takes: up to the one that reaches
/// [`LOG_BATCH`] rows named, at least one.
fn taken(log: &[Entry]) -> usize {
    let mut rows = 0i64;
    for (i, entry) in log.iter().enumerate() {
        rows += rows_of(entry);
        if rows >= LOG_BATCH {
            return i + 1;
        }
    }
    log.len()
}

/// A round: the log's entries after seq `from`, and what they name read
/// again; `None` when they name more than `most` rows, read nothing.
async fn round(src: &mut impl Source, from: i64, most: Option<i64>) -> Result<Option<Logged>> {
    let mut log = src
        .log(
            &format!(
                "SELECT seq, tbl, row_id, row_to FROM figure_changes WHERE seq > $1 ORDER BY seq \
                 LIMIT {LOG_BATCH}"
            ),
            from,
        )
        .await?;
    // A full batch read, or one cut short, leaves entries for the next round.
    let (read, take) = (log.len(), taken(&log));
    let more = read as i64 >= LOG_BATCH || take < read;
    log.truncate(take);
    if most.is_some_and(|most| named(&log) > most) {
        return Ok(None);
    }
    let mut out = Logged {
        rows: 0,
        last: log.last().map(|(seq, ..)| *seq),
        more,
        read: Vec::new(),
        campaigns: Vec::new(),
        covered: Vec::new(),
    };
    let mut ids: Vec<Vec<i64>> = TABLES.iter().map(|_| Vec::new()).collect();
    for (_, tbl, first, last) in &log {
        if let Some(t) = Table::parse(tbl) {
            ids[t.index()].extend(*first..=last.unwrap_or(*first).max(*first));
        }
    }
    out.rows = ids.iter().map(Vec::len).sum();
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
        // The ids are integers read from the log, so they are written
        // into the statement: a list of 500 binds is slower on both.
        for filter in id_filters(table.id_column(), &list) {
            let sql = table.select().replace("{where}", &filter);
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
        let pairs = src.pairs(&covered_sql(chunk)).await?;
        out.covered.extend(pairs);
    }
    Ok(Some(out))
}

/// The units these campaigns covered, each as (campaign id, place): its
/// path today '|' the path of its home on the pre-2025 map (migration
/// 0014; empty when it has none), as a leaf's place is written.
pub fn covered_sql(ids: &[i64]) -> String {
    format!(
        "SELECT activity_id, scope_path || '|' || COALESCE(legacy_path, '') FROM activity_units \
         WHERE activity_id IN ({})",
        id_list(ids)
    )
}

/// Conditions on `column` that together select the sorted, distinct
/// `ids`: each run of [`RUN`] or more consecutive ids as a range, the rest
/// in lists of [`REFRESH_BATCH`].
fn id_filters(column: &str, ids: &[i64]) -> Vec<String> {
    let mut filters = Vec::new();
    let mut single = Vec::new();
    let mut start = 0;
    while start < ids.len() {
        let mut end = start + 1;
        while end < ids.len() && ids[end] == ids[end - 1] + 1 {
            end += 1;
        }
        if end - start >= RUN {
            filters.push(format!("{column} BETWEEN {} AND {}", ids[start], ids[end - 1]));
        } else {
            single.extend_from_slice(&ids[start..end]);
        }
        start = end;
    }
    for chunk in single.chunks(REFRESH_BATCH) {
        filters.push(format!("{column} IN ({})", id_list(chunk)));
    }
    filters
}

pub(super) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

struct Pool<'a>(&'a Db);

impl Source for Pool<'_> {
    async fn log(&mut self, sql: &str, from: i64) -> Result<Vec<Entry>> {
        let rows = sqlx::query(sql).bind(from).fetch_all(&self.0.pool).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("seq")?,
                    r.try_get("tbl")?,
                    r.try_get("row_id")?,
                    r.try_get("row_to")?,
                ))
            })
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
    async fn log(&mut self, sql: &str, from: i64) -> Result<Vec<Entry>> {
        self.all(sql, Some(from), |r| {
            Ok((
                r.get(0).map_err(failed)?,
                r.get(1).map_err(failed)?,
                r.get(2).map_err(failed)?,
                r.get(3).map_err(failed)?,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: i64, first: i64, last: Option<i64>) -> Entry {
        (seq, "activities".into(), first, last)
    }

    #[test]
    fn a_round_takes_entries_up_to_the_one_that_reaches_a_batch_of_rows() {
        assert_eq!(taken(&[]), 0);
        // Single rows: all of them (the query's LIMIT bounds them).
        let singles: Vec<Entry> = (1..=5).map(|i| entry(i, i, None)).collect();
        assert_eq!(taken(&singles), 5);
        // Two runs of 10.000 reach the batch: the third waits.
        let runs = [
            entry(1, 1, Some(10_000)),
            entry(2, 10_001, Some(20_000)),
            entry(3, 20_001, Some(20_001)),
        ];
        assert_eq!(taken(&runs), 2);
        // What an inline round weighs before it reads any row.
        assert_eq!(named(&runs), 20_001);
        assert_eq!(named(&singles), 5);
        // A run larger than a batch is taken alone, never skipped.
        assert_eq!(taken(&[entry(1, 1, Some(50_000)), entry(2, 7, None)]), 1);
        // A run written backwards counts as one row, not as a negative.
        assert_eq!(taken(&[entry(1, 9, Some(3)), entry(2, 7, None)]), 2);
    }

    #[test]
    fn consecutive_ids_are_read_as_ranges_and_the_rest_in_lists() {
        assert!(id_filters("id", &[]).is_empty());
        assert_eq!(id_filters("id", &[3, 5, 6]), ["id IN (3,5,6)"]);
        let mut ids: Vec<i64> = vec![1, 2];
        ids.extend(100..100 + RUN as i64);
        ids.push(500);
        ids.extend(1_000..1_000 + RUN as i64 - 1);
        let filters = id_filters("m.id", &ids);
        assert_eq!(filters[0], format!("m.id BETWEEN 100 AND {}", 99 + RUN));
        let listed: Vec<i64> = std::iter::once([1, 2, 500].as_slice())
            .flatten()
            .copied()
            .chain(1_000..1_000 + RUN as i64 - 1)
            .collect();
        assert_eq!(filters[1], format!("m.id IN ({})", id_list(&listed)));
        assert_eq!(filters.len(), 2);
        // Long lists are cut into statements of REFRESH_BATCH ids.
        let scattered: Vec<i64> = (0..1_200).map(|i| i * 2).collect();
        assert_eq!(id_filters("id", &scattered).len(), 3);
    }
}

//! The activities import's fast lane on SQLite: a file of new sessions,
//! conferences and mediation cases only (the bulk kinds, [`super::bulk`]),
//! checked on one core while the rows checked before are written on the
//! other.
//!
//! The import ([`super::io::import_activities`]) comes here first on
//! SQLite. The rows are written through the writer's rusqlite connection
//! as a bulk load ([`Db::begin_bulk`]: foreign keys are not enforced, so
//! SQLite keeps no statement journal), 256 rows a prepared statement with
//! their values bound ([`crate::db::bulk::insert_native`]), on a blocking
//! thread, a chunk at a time; meanwhile this task reads and checks the
//! next chunk. The checks read through a read transaction of the pool,
//! begun after the write lock is taken: they see what is committed, and
//! nothing else can commit before the import ends. They need nothing the
//! import itself writes (a new session's checks read its unit, village
//! and pre-2025 unit; none is written here), and they are what stands for
//! the foreign keys: a row's village is an active village of its unit.
//!
//! The lane stands in for two insert triggers, dropped inside its
//! transaction and created again before it commits ([`SuspendedTriggers`]):
//! a chunk's rows have consecutive ids, and the figures' log names them in
//! one entry (migration 0013) instead of one each (0008); and every row is
//! written with its pre-2025 place, as activities_legacy_insert (0007)
//! would derive it ([`super::bulk::values`]). That trigger did nothing
//! then, but SQLite ran its program for every row to test its WHEN.
//! Together they cost a million rows about a second of writing.
//!
//! A row to update (with `ma_hoat_dong`) or of another kind must be
//! written through sqlx in the import's one transaction, so on the first
//! such row this lane rolls back what it wrote and answers `None`: the
//! import reads the file again from its start the usual way, all in one
//! transaction as before. A file of only such rows pays one chunk's
//! reading twice; a large file of new sessions with one update at its end
//! pays its checks twice, and is still all or nothing.
//!
//! Everything else is the usual import's: the same checks and messages,
//! the same rows and ids, the same audit entries (one per unit), all or
//! nothing. Bad rows stop the writing, and the rest is only checked.

use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::bulk::NewActivities;
use super::io::{Imported, draft_of, new_in_bulk, village_ids};
use crate::auth::Actor;
use crate::db::bulk::{SuspendedTriggers, Val, log_range};
use crate::db::{Db, Tx};
use crate::error::{AppError, Result};
use crate::tabular::{self, Records, RowErrors};

/// Rows read and checked before they are handed to the writer: half the
/// usual import's chunk, since two are held at once (one written, one
/// checked). A million-row import took as long with 20.000 (bench/import.sh).
const CHUNK: usize = 10_000;

/// A chunk being written on the blocking thread; it gives the transaction
/// back with the outcome, and the rows to be freed here: freeing a
/// million rows' values was 4 % of the writer's thread, the import's
/// bottleneck (perf).
type Writing = JoinHandle<(Tx, Result<()>, Vec<Vec<Val>>)>;

/// Imports `source` when every row is a new record of a bulk kind;
/// `None`, having written nothing, at the first row that is not.
pub(super) async fn import_new(db: &Db, actor: &Actor, mut source: Records<'_>) -> Result<Option<Imported>> {
    let started = Instant::now();
    let dir = crate::units::directory::directory(db).await?;
    let tx = db.begin_bulk().await?;
    let Some(conn) = tx.native() else {
        return Ok(None);
    };
    // The write lock is held: the ids after the largest are free.
    let mut next_id: i64 = conn
        .query_row("SELECT COALESCE(MAX(id), 0) FROM activities", [], |r| r.get(0))
        .map_err(crate::db::native::failed)?;
    let triggers =
        SuspendedTriggers::suspend(conn, &["activities_figures_insert", "activities_legacy_insert"])?;
    let mut read = db.begin_read().await?;
    let mut idle = Some(tx);
    let mut writing: Option<Writing> = None;
    let mut new = NewActivities::new();
    let mut errors = RowErrors::default();
    let mut seen = 0usize;
    // Where the time goes, for the log (bench/import.sh prints it).
    let (mut reading, mut checking, mut waiting) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    loop {
        let at = Instant::now();
        let chunk = source.by_ref().take(CHUNK).collect::<Result<Vec<_>>>()?;
        reading += at.elapsed();
        if chunk.is_empty() {
            break;
        }
        if !chunk.iter().all(new_in_bulk) {
            // Wait for the chunk in flight: its transaction is rolled back
            // when dropped, and the lock is free before the import begins
            // again.
            if let Some(handle) = writing.take() {
                drop(handle.await);
            }
            tracing::info!(
                "activities import: row {} is not a new session, conference or mediation case; \
                 reading the file again, written in one transaction",
                seen + chunk.iter().position(|r| !new_in_bulk(r)).unwrap_or_default() + 1
            );
            return Ok(None);
        }
        let at = Instant::now();
        seen += chunk.len();
        new.villages.load(&mut read, village_ids(&chunk)).await?;
        for r in &chunk {
            let (_, unit, draft) = draft_of(r);
            if let Err(e) = new.check(&mut read, actor, &unit, &draft).await {
                errors.refused(r.line, e)?;
            }
        }
        // Once a row is bad nothing will be kept: the rest is only checked.
        if errors.is_empty() && new.len() > 0 {
            let rows = new.rows(&dir, next_id + 1..);
            let ids = next_id + 1..=next_id + rows.len() as i64;
            next_id = *ids.end();
            checking += at.elapsed();
            let at = Instant::now();
            let tx = back(&mut writing, &mut idle).await?;
            waiting += at.elapsed();
            writing = Some(write(tx, rows, ids));
        } else {
            checking += at.elapsed();
        }
    }
    let at = Instant::now();
    let tx = back(&mut writing, &mut idle).await?;
    waiting += at.elapsed();
    if seen == 0 {
        return Err(tabular::no_rows());
    }
    // Dropping the transaction undoes the rows that were fine.
    errors.finish()?;
    drop(read);
    let at = Instant::now();
    let (actor, changes) = (actor.clone(), new.changes());
    tokio::task::spawn_blocking(move || -> Result<()> {
        let conn = tx.native().ok_or_else(lost)?;
        triggers.resume(conn)?;
        crate::audit::record_many_native(conn, &actor, changes)?;
        tx.commit_large()?;
        Ok(())
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("import's commit: {e}")))??;
    tracing::info!(
        "activities import: {seen} rows read in {} ms, checked in {} ms while written (waited {} ms \
         for the writes), committed in {} ms; {} ms in all",
        reading.as_millis(),
        checking.as_millis(),
        waiting.as_millis(),
        at.elapsed().as_millis(),
        started.elapsed().as_millis()
    );
    Ok(Some(Imported {
        created: seen,
        ..Imported::default()
    }))
}

/// Writes `rows`, numbered `ids`, and their entry in the figures' log on
/// a blocking thread, which holds the transaction meanwhile; dropped there
/// if this task is gone (the request cancelled), the transaction is
/// rolled back.
fn write(tx: Tx, rows: Vec<Vec<Val>>, ids: std::ops::RangeInclusive<i64>) -> Writing {
    tokio::task::spawn_blocking(move || {
        let done = match tx.native() {
            Some(conn) => NewActivities::insert_native(conn, &rows)
                .and_then(|()| log_range(conn, "activities", *ids.start(), *ids.end())),
            None => Err(lost()),
        };
        (tx, done, rows)
    })
}

/// The transaction back: once the chunk in flight is written, if any.
async fn back(writing: &mut Option<Writing>, idle: &mut Option<Tx>) -> Result<Tx> {
    let Some(handle) = writing.take() else {
        return idle.take().ok_or_else(lost);
    };
    let (tx, done, rows) = handle
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("import's writing: {e}")))?;
    drop(rows);
    done?;
    Ok(tx)
}

fn lost() -> AppError {
    AppError::Internal(anyhow::anyhow!("import: the native write transaction is gone"))
}

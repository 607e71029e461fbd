//! The activities import's fast lane on SQLite: a file of new sessions,
//! conferences and mediation cases only (the bulk kinds, [`super::bulk`]),
//! checked on one core while the rows checked before are written on the
//! other.
//!
//! The import ([`super::io::import_activities`]) comes here first on
//! SQLite. The rows are written through the writer's rusqlite connection
//! as a bulk load ([`Db::begin_bulk`]: foreign keys are not enforced, so
//! SQLite keeps no statement journal), 256 rows a prepared statement with
//! their values bound ([`crate::db::bulk::NativeInsert`]), on a thread of
//! the import's own that holds the transaction throughout and takes the
//! chunks checked here through a channel, two at most waiting: meanwhile
//! this task reads and checks the next chunk. With one chunk handed over
//! at a time, either side stood idle whenever a chunk took the other
//! longer. The checks read through a read transaction of the pool,
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

use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::bulk::NewActivities;
use super::io::{Imported, draft_of, new_in_bulk, village_ids};
use crate::audit::Change;
use crate::auth::Actor;
use crate::db::bulk::{NativeRows, SuspendedTriggers, log_range};
use crate::db::{Db, Tx};
use crate::error::{AppError, Result};
use crate::tabular::{self, Records, RowErrors};

/// Rows read and checked before they are handed to the writer. A
/// million-row import took as long with 20.000 (bench/import.sh).
const CHUNK: usize = 10_000;

/// Chunks checked and waiting for the writer, besides the one it writes.
const WAITING: usize = 2;

/// What the checking side hands the writer's thread.
enum ToWriter {
    /// Rows to write, numbered `ids`.
    Rows(NativeRows, RangeInclusive<i64>),
    /// Every row is written: the audit entries, then the commit.
    Commit(Actor, Vec<Change>),
}

/// The writer's thread: `Ok(true)` once committed, `Ok(false)` when the
/// checking side stopped sending (its transaction is rolled back).
type Writer = JoinHandle<Result<bool>>;

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
    let (to_writer, inbox) = mpsc::channel(WAITING);
    // The rows written come back to be freed here: freeing a million rows'
    // values was 4 % of the writer's thread, the import's bottleneck (perf).
    let (spent_back, mut spent) = mpsc::unbounded_channel();
    let writer = spawn_writer(tx, triggers, inbox, spent_back);
    let mut new = NewActivities::new();
    let mut errors = RowErrors::default();
    let mut seen = 0usize;
    // Where the time goes, for the log (bench/import.sh prints it).
    let (mut reading, mut checking, mut waiting) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    loop {
        let at = Instant::now();
        let chunk = match source.by_ref().take(CHUNK).collect::<Result<Vec<_>>>() {
            Ok(chunk) => chunk,
            Err(e) => return Err(stop(to_writer, writer, e).await),
        };
        reading += at.elapsed();
        if chunk.is_empty() {
            break;
        }
        if !chunk.iter().all(new_in_bulk) {
            // The writer rolls back, and the lock is free before the
            // import begins again.
            drop(to_writer);
            drop(writer.await);
            tracing::info!(
                "activities import: row {} is not a new session, conference or mediation case; \
                 reading the file again, written in one transaction",
                seen + chunk.iter().position(|r| !new_in_bulk(r)).unwrap_or_default() + 1
            );
            return Ok(None);
        }
        let at = Instant::now();
        seen += chunk.len();
        if let Err(e) = new.villages.load(&mut read, village_ids(&chunk)).await {
            return Err(stop(to_writer, writer, e).await);
        }
        for r in &chunk {
            let (_, unit, draft) = draft_of(r);
            if let Err(e) = new.check(&mut read, actor, &unit, &draft).await
                && let Err(e) = errors.refused(r.line, e)
            {
                return Err(stop(to_writer, writer, e).await);
            }
        }
        // Once a row is bad nothing will be kept: the rest is only checked.
        if errors.is_empty() && new.len() > 0 {
            // Made ready for the writer here, where there is time to spare.
            let rows = match NewActivities::native_rows(new.rows(&dir, next_id + 1..)) {
                Ok(rows) => rows,
                Err(e) => return Err(stop(to_writer, writer, e).await),
            };
            let ids = next_id + 1..=next_id + rows.len() as i64;
            next_id = *ids.end();
            checking += at.elapsed();
            let at = Instant::now();
            if to_writer.send(ToWriter::Rows(rows, ids)).await.is_err() {
                // The writer stopped: its error says why.
                return Err(failed(writer.await).err().unwrap_or_else(lost));
            }
            waiting += at.elapsed();
        } else {
            checking += at.elapsed();
        }
        while let Ok(rows) = spent.try_recv() {
            drop(rows);
        }
    }
    drop(read);
    if seen == 0 {
        return Err(stop(to_writer, writer, tabular::no_rows()).await);
    }
    // Stopping the writer undoes the rows that were fine.
    if let Err(e) = errors.finish() {
        return Err(stop(to_writer, writer, e).await);
    }
    let at = Instant::now();
    if to_writer
        .send(ToWriter::Commit(actor.clone(), new.changes()))
        .await
        .is_err()
    {
        return Err(failed(writer.await).err().unwrap_or_else(lost));
    }
    if !failed(writer.await)? {
        return Err(lost());
    }
    tracing::info!(
        "activities import: {seen} rows read in {} ms, checked in {} ms while written (waited {} ms \
         for the writer), written to the end and committed in {} ms; {} ms in all",
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

/// The writer's thread: writes each chunk it is handed and its entry in
/// the figures' log, then the audit entries, and commits, all in `tx`.
/// Its prepared statements live as long as it does. When the checking
/// side stops sending (a bad row, a row for the usual import, the request
/// cancelled) it returns and `tx` is rolled back as it is dropped.
fn spawn_writer(
    tx: Tx,
    triggers: SuspendedTriggers,
    mut inbox: mpsc::Receiver<ToWriter>,
    spent: mpsc::UnboundedSender<NativeRows>,
) -> Writer {
    tokio::task::spawn_blocking(move || {
        let conn = tx.native().ok_or_else(lost)?;
        let mut insert = NewActivities::inserter(conn);
        while let Some(message) = inbox.blocking_recv() {
            match message {
                ToWriter::Rows(rows, ids) => {
                    insert.insert(&rows)?;
                    log_range(conn, "activities", *ids.start(), *ids.end())?;
                    // Freed on the checking side (gone if it is gone).
                    drop(spent.send(rows));
                }
                ToWriter::Commit(actor, changes) => {
                    drop(insert);
                    triggers.resume(conn)?;
                    crate::audit::record_many_native(conn, &actor, changes)?;
                    tx.commit_large()?;
                    return Ok(true);
                }
            }
        }
        Ok(false)
    })
}

/// Stops the writer (its transaction rolled back) and waits until it has,
/// so that the write lock is free when the import answers `error`.
async fn stop(to_writer: mpsc::Sender<ToWriter>, writer: Writer, error: AppError) -> AppError {
    drop(to_writer);
    drop(writer.await);
    error
}

/// The writer's outcome, its thread's panic an internal error.
fn failed(joined: std::result::Result<Result<bool>, tokio::task::JoinError>) -> Result<bool> {
    joined.map_err(|e| AppError::Internal(anyhow::anyhow!("import's writer: {e}")))?
}

fn lost() -> AppError {
    AppError::Internal(anyhow::anyhow!("import: the native write transaction is gone"))
}

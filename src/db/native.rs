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
//! Reads go this way, each on a read-only connection of its own, so a
//! read sees one snapshot (WAL) and never holds up a writer. (The one
//! native writer is the writer's second connection, `Db::begin_native`.) The statement
//! is the caller's, with the caller's access condition in it: this module
//! adds no way around the scope check, it only moves the rows.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::error::{AppError, Result};

/// The file of an SQLite database, for [`each_row`]. Shared, not copied:
/// every request clones the app's state, and with it this.
#[derive(Clone, Debug)]
pub struct SqliteFile(Arc<Path>);

impl SqliteFile {
    pub fn new(path: &Path) -> SqliteFile {
        SqliteFile(Arc::from(path))
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
    let conn = open(path)?;
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

/// An error of rusqlite (a native read, or a write of
/// [`Db::begin_native`](super::Db::begin_native)).
pub fn failed(e: rusqlite::Error) -> AppError {
    AppError::Internal(anyhow::anyhow!("SQLite (rusqlite): {e}"))
}

/// The text of a column, borrowed from SQLite (NULL reads as "").
pub fn text<'r>(row: &'r rusqlite::Row<'_>, i: usize) -> Result<&'r str> {
    match row.get_ref(i).map_err(failed)? {
        rusqlite::types::ValueRef::Null => Ok(""),
        v => v.as_str().map_err(|e| failed(e.into())),
    }
}

/// One small read asked very often (the figure log's last seq, before
/// every dashboard), answered on the calling thread, and not asked of
/// SQLite again while the database is unchanged.
///
/// Through the pool each ask was a hand-off to sqlx's worker thread and
/// back; here the statement runs on a read-only connection kept for it
/// (opened at first use, dropped after an error so the next call opens a
/// fresh one). Even so, each statement begins and ends a read transaction,
/// four `fcntl` locks on the WAL index: 17 % of the server's CPU under 64
/// dashboard clients (perf, docs/PERFORMANCE.md). So the answer is kept
/// with the WAL-index header it was read under, and given again while the
/// header is the same. That header is the first 48 bytes of the `-shm`
/// file (<https://www.sqlite.org/walformat.html>, "The WAL-Index Header"):
/// its `iChange` counts transactions, so every commit by any connection or
/// process rewrites it before the commit returns. A header read while a
/// commit writes it may be torn; a torn header differs from the kept one,
/// which only means asking SQLite. The header is read before the
/// statement runs, so an answer is never kept under a header older than
/// the data it saw. The statement is reset after each use, so the
/// connection holds no snapshot between calls and never keeps a
/// checkpoint from finishing.
#[derive(Default)]
pub struct KeptReader {
    kept: std::sync::Mutex<Kept>,
    /// Statements run, for the tests.
    asked: std::sync::atomic::AtomicU64,
}

#[derive(Default)]
struct Kept {
    conn: Option<Connection>,
    /// The `-shm` file, opened once the connection has it open (so it is
    /// the live one: SQLite deletes it only when its last connection,
    /// this one among them, closes).
    shm: Option<std::fs::File>,
    /// The header and the answer read under it, and its statement.
    answer: Option<([u8; WAL_INDEX_HEADER], String, i64)>,
}

/// Bytes of the WAL-index header's first copy.
const WAL_INDEX_HEADER: usize = 48;

impl KeptReader {
    /// The integer in the first column of the first row of `sql` (NULL or
    /// no row: 0), as of now.
    pub fn integer(&self, file: &SqliteFile, sql: &str) -> Result<i64> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        let header = kept.shm.as_ref().and_then(wal_index_header);
        if let (Some(now), Some((then, asked, value))) = (header, &kept.answer)
            && now == *then
            && asked == sql
        {
            return Ok(*value);
        }
        kept.answer = None;
        let conn = match kept.conn.as_mut() {
            Some(conn) => conn,
            None => kept.conn.insert(open(&file.0)?),
        };
        self.asked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let value = conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row([], |row| row.get::<_, Option<i64>>(0)));
        let value = match value {
            Ok(v) => v.unwrap_or(0),
            Err(rusqlite::Error::QueryReturnedNoRows) => 0,
            Err(e) => {
                *kept = Kept::default();
                return Err(failed(e));
            }
        };
        if kept.shm.is_none() {
            // Not in WAL mode (no -shm): every call asks SQLite.
            let mut shm = file.0.as_os_str().to_owned();
            shm.push("-shm");
            kept.shm = std::fs::File::open(shm).ok();
        } else if let Some(header) = header {
            kept.answer = Some((header, sql.to_string(), value));
        }
        Ok(value)
    }

    /// Statements run so far (the rest were answered from the kept one).
    pub fn asked(&self) -> u64 {
        self.asked.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn wal_index_header(shm: &std::fs::File) -> Option<[u8; WAL_INDEX_HEADER]> {
    use std::os::unix::fs::FileExt;
    let mut header = [0u8; WAL_INDEX_HEADER];
    shm.read_exact_at(&mut header, 0).ok()?;
    Some(header)
}

/// A read-only connection to the database, for a caller that keeps it.
pub fn open_read_only(file: &SqliteFile) -> Result<Connection> {
    open(&file.0)
}

fn open(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(failed)?;
    conn.busy_timeout(Duration::from_secs(10)).map_err(failed)?;
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAST: &str = "SELECT MAX(seq) FROM log";

    fn database(journal: &str) -> (tempfile::TempDir, SqliteFile, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let writer = Connection::open(&path).unwrap();
        writer
            .execute_batch(&format!(
                "PRAGMA journal_mode = {journal}; CREATE TABLE log (seq INTEGER PRIMARY KEY); \
                 INSERT INTO log (seq) VALUES (1);"
            ))
            .unwrap();
        (dir, SqliteFile::new(&path), writer)
    }

    #[test]
    fn a_kept_answer_is_given_until_a_commit_and_never_after() {
        let (_dir, file, writer) = database("WAL");
        let reader = KeptReader::default();
        assert_eq!(reader.integer(&file, LAST).unwrap(), 1);
        assert_eq!(reader.integer(&file, LAST).unwrap(), 1);
        let asked = reader.asked();
        for _ in 0..5 {
            assert_eq!(reader.integer(&file, LAST).unwrap(), 1);
        }
        assert_eq!(
            reader.asked(),
            asked,
            "unchanged database: SQLite not asked again"
        );
        for seq in 2..=4 {
            writer
                .execute("INSERT INTO log (seq) VALUES (?1)", [seq])
                .unwrap();
            assert_eq!(
                reader.integer(&file, LAST).unwrap(),
                seq,
                "every commit is seen at once"
            );
        }
        // A commit that leaves the answer as it was is asked about too.
        writer
            .execute("UPDATE log SET seq = seq WHERE seq = 4", [])
            .unwrap();
        let asked = reader.asked();
        assert_eq!(reader.integer(&file, LAST).unwrap(), 4);
        assert_eq!(reader.asked(), asked + 1);
        // Another statement is not answered with the first one's value.
        assert_eq!(reader.integer(&file, "SELECT COUNT(*) FROM log").unwrap(), 4);
        assert_eq!(reader.integer(&file, "SELECT MIN(seq) FROM log").unwrap(), 1);
        // A checkpoint that restarts the WAL changes nothing read.
        writer.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").unwrap();
        writer.execute("INSERT INTO log (seq) VALUES (5)", []).unwrap();
        assert_eq!(reader.integer(&file, LAST).unwrap(), 5);
    }

    #[test]
    fn without_a_wal_every_call_asks_sqlite() {
        let (_dir, file, writer) = database("DELETE");
        let reader = KeptReader::default();
        for seq in 1..=3 {
            if seq > 1 {
                writer
                    .execute("INSERT INTO log (seq) VALUES (?1)", [seq])
                    .unwrap();
            }
            assert_eq!(reader.integer(&file, LAST).unwrap(), seq);
            assert_eq!(reader.integer(&file, LAST).unwrap(), seq);
        }
        assert_eq!(reader.asked(), 6);
    }
}

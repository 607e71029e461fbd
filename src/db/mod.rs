//! Database access: one pool type (`sqlx::Any`) over SQLite or PostgreSQL,
//! migrations per backend, and the reference geography loader.
//!
//! SQL is written once in the portable subset both engines share (`$1`
//! parameters, `RETURNING`, integer flags, text timestamps). Where a
//! statement must differ, `Backend` is matched next to both versions.

pub mod bulk;
pub mod native;
pub mod reference;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};

use crate::config::DatabaseUrl;
use crate::indicators::rollup::Rollup;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    /// SQLite: the one connection write transactions run on ([`Db::begin`]),
    /// behind the lock that is this process's turn to write. SQLite empties
    /// a connection's page cache whenever another connection has committed,
    /// so writes spread over the pool's eight read every page they touched
    /// again; on one connection its own commits leave its cache warm.
    writer: Option<Arc<tokio::sync::Mutex<Writer>>>,
    pub backend: Backend,
    /// The database's file when it is SQLite: bulk reads step through it on
    /// a thread of their own ([`native`]).
    pub sqlite: Option<native::SqliteFile>,
    /// The figures of every unit kept current from this database's change
    /// log (indicators/rollup): held here because it belongs to the data,
    /// one per database, shared by every clone of the pool.
    pub rollup: Arc<Rollup>,
    /// The administrative units, read once (units/directory.rs).
    pub units: Arc<tokio::sync::RwLock<Option<Arc<crate::units::directory::Directory>>>>,
    /// The actors of API tokens seen (auth/tokens.rs).
    pub tokens: Arc<std::sync::RwLock<crate::auth::tokens::TokenCache>>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("backend", &self.backend).finish()
    }
}

/// A write transaction. On SQLite it runs on the writer's connection and
/// holds this process's turn to write (see [`Db::begin`]) until it ends.
pub struct Tx {
    inner: TxInner,
    /// The database's unit directory, so a write looks its unit up without
    /// a query (units are not written in transactions of this type).
    pub units: Arc<tokio::sync::RwLock<Option<Arc<crate::units::directory::Directory>>>>,
}

enum TxInner {
    /// PostgreSQL's writes and every read transaction: sqlx's own, on a
    /// connection of the pool.
    Pooled(sqlx::Transaction<'static, sqlx::Any>),
    /// SQLite's writes, on the writer's connection held with its lock.
    Writer(WriterTx),
    /// SQLite's writes through rusqlite ([`Db::begin_native`]).
    Native(NativeTx),
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        match &self.inner {
            TxInner::Pooled(t) => t,
            TxInner::Writer(w) => &w.turn.conn,
            TxInner::Native(n) => &n.turn.conn,
        }
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        match &mut self.inner {
            TxInner::Pooled(t) => t,
            TxInner::Writer(w) => &mut w.turn.conn,
            TxInner::Native(n) => &mut n.turn.conn,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Pooled(t) => t.commit().await,
            TxInner::Writer(mut w) => w.end("COMMIT").await,
            TxInner::Native(mut n) => n.end("COMMIT"),
        }
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        match self.inner {
            TxInner::Pooled(t) => t.rollback().await,
            TxInner::Writer(mut w) => w.end("ROLLBACK").await,
            TxInner::Native(mut n) => n.end("ROLLBACK"),
        }
    }

    /// Commits a large transaction of [`Db::begin_native`] (an import's,
    /// hundreds of MB of log) on the calling thread, which it blocks while
    /// SQLite writes: for a blocking thread. It skips the writer's own
    /// checkpoint ([`WRITER_PRAGMAS`]), which would copy the whole log back
    /// into the database file while holding the write lock (1,3 s of a
    /// million-row import); `serve`'s background checkpoint
    /// ([`Db::checkpoint_in_background`]) does it without the lock.
    pub fn commit_large(self) -> Result<(), sqlx::Error> {
        let TxInner::Native(mut n) = self.inner else {
            return Err(sqlx::Error::Protocol(
                "commit_large: not a native write transaction".into(),
            ));
        };
        let Some(conn) = n.turn.native.as_ref() else {
            return n.end("COMMIT");
        };
        let pages: i64 = conn
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .map_err(native_error)?;
        conn.execute_batch("PRAGMA wal_autocheckpoint = 0")
            .map_err(native_error)?;
        let done = n.end("COMMIT");
        if let Some(conn) = n.turn.native.as_ref() {
            conn.execute_batch(&format!("PRAGMA wal_autocheckpoint = {pages}"))
                .map_err(native_error)?;
        }
        done
    }

    /// The transaction's connection when it was begun by
    /// [`Db::begin_native`] on SQLite: what it writes goes here.
    pub fn native(&self) -> Option<&rusqlite::Connection> {
        match &self.inner {
            TxInner::Native(n) => n.turn.native.as_ref(),
            _ => None,
        }
    }
}

/// SQLite's writer: one connection kept out of any pool. A pool pings each
/// connection given back to it before anyone may take it again (sqlx 0.8
/// does so on every release), and a pool of one made that ping a fifth
/// hand-off to the connection's worker thread on every write, while the
/// next writer waited.
pub(crate) struct Writer {
    conn: sqlx::AnyConnection,
    /// A transaction was begun and neither committed nor rolled back (its
    /// [`Tx`] was dropped): rolled back before anything else runs here.
    open: bool,
    url: String,
    /// The same database through rusqlite, for writes whose statements run
    /// on the calling thread ([`Db::begin_native`]); opened at first use.
    native: Option<rusqlite::Connection>,
    path: Arc<std::path::Path>,
}

impl Writer {
    async fn connect(url: &str, path: &std::path::Path) -> Result<Writer, sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        sqlite_setup(&mut conn, WRITER_PRAGMAS).await?;
        Ok(Writer {
            conn,
            open: false,
            url: url.to_string(),
            native: None,
            path: Arc::from(path),
        })
    }

    /// Begins an IMMEDIATE transaction on the native connection, opening
    /// it first if need be, set up as the sqlx one; `bulk`: set up for a
    /// bulk load first ([`BULK_PRAGMAS`]).
    fn begin_native(&mut self, bulk: bool) -> Result<(), rusqlite::Error> {
        let conn = match self.native.take() {
            Some(conn) => conn,
            None => {
                let conn = rusqlite::Connection::open(&*self.path)?;
                conn.execute_batch(SETUP_PRAGMAS)?;
                conn.execute_batch(WRITER_PRAGMAS)?;
                conn
            }
        };
        // Left closed after an error: the next write opens a fresh one.
        if bulk {
            conn.execute_batch(BULK_PRAGMAS)?;
        }
        conn.execute_batch("BEGIN IMMEDIATE")?;
        self.native = Some(conn);
        Ok(())
    }

    /// Rolls back what a dropped transaction left open.
    async fn settle(&mut self) -> Result<(), sqlx::Error> {
        if self.open {
            self.conn.execute("ROLLBACK").await?;
            self.open = false;
        }
        Ok(())
    }

    async fn begin(&mut self) -> Result<(), sqlx::Error> {
        self.settle().await?;
        self.conn.execute("BEGIN IMMEDIATE").await?;
        self.open = true;
        Ok(())
    }
}

/// A write transaction on [`Writer`], holding its lock. Dropped while
/// open (an error returned early, a request cancelled), it leaves the
/// rollback to a task of its own, or to the next writer if that takes the
/// lock first: either way nothing else runs on the connection before it.
struct WriterTx {
    turn: tokio::sync::OwnedMutexGuard<Writer>,
}

impl WriterTx {
    async fn end(&mut self, statement: &str) -> Result<(), sqlx::Error> {
        self.turn.conn.execute(statement).await?;
        self.turn.open = false;
        Ok(())
    }
}

/// A write transaction on [`Writer`]'s native connection, holding its
/// lock. Its statements run on the calling thread with no hand-off, so a
/// dropped one is rolled back at once.
struct NativeTx {
    turn: tokio::sync::OwnedMutexGuard<Writer>,
    open: bool,
    /// Begun by [`Db::begin_bulk`]: the connection's usual settings are
    /// put back when it ends.
    bulk: bool,
}

impl NativeTx {
    fn end(&mut self, statement: &str) -> Result<(), sqlx::Error> {
        let done = match &self.turn.native {
            Some(conn) => conn.execute_batch(statement),
            None => Ok(()),
        };
        done.map_err(native_error)?;
        self.open = false;
        self.unbulk();
        Ok(())
    }

    /// The writer's settings back after a bulk load; a connection that
    /// cannot take them is not used again (the next write opens a new one).
    fn unbulk(&mut self) {
        if !std::mem::take(&mut self.bulk) {
            return;
        }
        if let Some(conn) = &self.turn.native
            && let Err(e) = conn.execute_batch(UNBULK_PRAGMAS)
        {
            tracing::warn!("restoring the writer's settings after a bulk load failed: {e}");
            self.turn.native = None;
        }
    }
}

impl Drop for NativeTx {
    fn drop(&mut self) {
        if self.open
            && let Some(conn) = &self.turn.native
            && let Err(e) = conn.execute_batch("ROLLBACK")
        {
            tracing::warn!("rolling back a dropped write transaction failed: {e}");
            // A connection that cannot roll back is not used again.
            self.turn.native = None;
        }
        self.unbulk();
    }
}

/// A rusqlite error where sqlx's is expected (a transaction's end).
pub fn native_error(e: rusqlite::Error) -> sqlx::Error {
    sqlx::Error::Protocol(format!("SQLite: {e}"))
}

impl Drop for WriterTx {
    fn drop(&mut self) {
        if !self.turn.open {
            return;
        }
        let writer = tokio::sync::OwnedMutexGuard::mutex(&self.turn).clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(e) = writer.lock().await.settle().await {
                    tracing::warn!("rolling back a dropped write transaction failed: {e}");
                }
            });
        }
    }
}

/// What the writer's connection sets beyond the pool's: a larger page
/// cache (16 MB instead of 2), since it is the only one and it stays warm;
/// and a checkpoint once the WAL holds 10.000 pages (40 MB) instead of
/// 1.000. The commit that crosses the mark runs the checkpoint while it
/// holds the write lock (5,8 % of the server's CPU under 64 writers, perf);
/// less often, a page written again and again is copied back once.
const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -16000; PRAGMA wal_autocheckpoint = 10000;";

/// What a bulk load ([`Db::begin_bulk`]) sets on the native connection
/// before it begins (foreign_keys can only change outside a transaction).
/// Without foreign keys SQLite keeps no statement journal for a
/// multi-row INSERT OR FAIL: an immediate foreign key check is what may
/// abort such a statement half-way, and undoing half a statement is what
/// the journal is for; it copied every page a statement changed, 13 % of
/// a million-row import's writing (perf). The load checks its references
/// itself, under the write lock.
const BULK_PRAGMAS: &str = "PRAGMA foreign_keys = OFF;";

/// The connection's settings after a bulk load, as [`SETUP_PRAGMAS`] set
/// them.
const UNBULK_PRAGMAS: &str = "PRAGMA foreign_keys = ON;";

/// How often `serve` checkpoints the WAL ([`Db::checkpoint_in_background`]).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Every SQLite connection that writes, through sqlx or rusqlite: WAL lets
/// readers run beside the writer; busy_timeout makes a second writer
/// (another process) wait instead of failing.
const SETUP_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

/// A pool of SQLite connections to `url`, each set up for antq.
async fn sqlite_pool(url: &str, size: u32) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(10))
        // By default every acquire pings the connection first: for a file in
        // this process that proves nothing, and it is one more hand-off to
        // the connection's worker thread and back on every query and every
        // transaction (writes with read-back, 64 clients: 1.237 → 1.387 a
        // second without it, bench/writes.sh).
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| Box::pin(async move { sqlite_setup(conn, "").await }))
        .connect(url)
        .await
}

/// Sets up a new SQLite connection for antq (WAL, foreign keys, busy
/// timeout), plus `pragmas`.
async fn sqlite_setup(conn: &mut sqlx::AnyConnection, pragmas: &str) -> Result<(), sqlx::Error> {
    conn.execute(SETUP_PRAGMAS).await?;
    if !pragmas.is_empty() {
        conn.execute(pragmas).await?;
    }
    Ok(())
}

/// The writers' thread of this process ([`Db::write`]), shared by every
/// `Db`: a runtime of one thread of its own, started at first use. A
/// native write blocks the thread it runs on for its statements (~0,1 ms);
/// here that holds up only the writes queued behind it, which wait for
/// SQLite's one write lock anyway, instead of a server thread's requests.
/// `None` if the thread could not be started (writes then run in place).
fn writers_thread() -> Option<&'static tokio::runtime::Handle> {
    static HANDLE: std::sync::OnceLock<Option<tokio::runtime::Handle>> = std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("antq-writer".into())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .ok()?;
            Some(handle)
        })
        .as_ref()
}

/// The lock the figure log's triggers take (migrations/postgres/0008).
const FIGURE_LOG_LOCK: &str = "SELECT pg_advisory_xact_lock(2025070108)";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl Db {
    pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
        install_default_drivers();
        match url {
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("cannot create folder {}", dir.display()))?;
                }
                let url = format!("sqlite://{}?mode=rwc", path.display());
                let pool = sqlite_pool(&url, 8)
                    .await
                    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
                let writer = Writer::connect(&url, path)
                    .await
                    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
                Ok(Db {
                    pool,
                    writer: Some(Arc::new(tokio::sync::Mutex::new(writer))),
                    backend: Backend::Sqlite,
                    sqlite: Some(native::SqliteFile::new(path)),
                    rollup: Arc::default(),
                    units: Arc::default(),
                    tokens: Arc::default(),
                })
            }
            DatabaseUrl::Postgres(url) => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await
                    .with_context(|| format!("cannot connect to {}", url_for_humans(url)))?;
                Ok(Db {
                    pool,
                    writer: None,
                    backend: Backend::Postgres,
                    sqlite: None,
                    rollup: Arc::default(),
                    units: Arc::default(),
                    tokens: Arc::default(),
                })
            }
        }
    }

    /// Applies pending migrations of this backend's folder.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.pool)
            .await
            .context("database migration failed")?;
        Ok(())
    }

    /// The newest migration this build carries (a saved roll-up names the
    /// schema it was written on).
    pub fn schema_version(&self) -> i64 {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// Migrations plus the reference geography: everything `serve` needs.
    pub async fn prepare(&self) -> anyhow::Result<()> {
        self.migrate().await?;
        reference::load_if_missing(self).await?;
        reference::fill_legacy_homes(self).await?;
        crate::units::directory::forget(self).await;
        crate::assessment::criteria::ensure_shipped(self).await
    }

    /// SQLite: checkpoints the WAL in the background, a few times a second,
    /// for as long as the process runs (`serve` starts it). A PASSIVE
    /// checkpoint copies committed pages back into the database file beside
    /// the writer, without its lock, so the writer's own checkpoint (at
    /// 10.000 pages, [`WRITER_PRAGMAS`]) is left only as a backstop for
    /// bursts and for the commands that do not serve.
    pub fn checkpoint_in_background(&self) {
        if self.backend != Backend::Sqlite {
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(CHECKPOINT_EVERY).await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&pool).await {
                    tracing::warn!("WAL checkpoint failed: {e}");
                }
            }
        });
    }

    /// A transaction for reads that must see one snapshot (a deferred
    /// BEGIN: it takes no write lock and no writer's turn).
    pub async fn begin_read(&self) -> Result<Tx, sqlx::Error> {
        Ok(Tx {
            inner: TxInner::Pooled(self.pool.begin().await?),
            units: self.units.clone(),
        })
    }

    /// Suffix for a SELECT that reads a row about to be changed: PostgreSQL
    /// locks it until commit, so two concurrent partial updates cannot undo
    /// each other; SQLite has no row locks and needs none, because
    /// [`Db::begin`] already holds its single write lock.
    pub fn lock_clause(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Runs a write (`job`, given a clone of this `Db`) to its end on the
    /// writers' own thread (SQLite; see `writers_thread`), or here
    /// (PostgreSQL). A request cancelled meanwhile no longer waits for it,
    /// and the write still ends as it would have.
    pub async fn write<T, F, Fut>(&self, job: F) -> crate::error::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(Db) -> Fut,
        Fut: std::future::Future<Output = crate::error::Result<T>> + Send + 'static,
    {
        let work = job(self.clone());
        match (self.backend, writers_thread()) {
            (Backend::Sqlite, Some(handle)) => handle
                .spawn(work)
                .await
                .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("write job: {e}")))?,
            _ => work.await,
        }
    }

    /// Starts a write transaction whose rows are written through
    /// [`Tx::native`] on SQLite: its statements run on the calling thread,
    /// where each of [`Db::begin`]'s is a hand-off to sqlx's worker thread
    /// and back while SQLite's write lock is held. Reads may still go
    /// through the transaction as a connection (they see what was
    /// committed, and nothing else can commit while it is open); a write
    /// that way would wait for its own lock and fail. Run it on the
    /// writers' thread ([`Db::write`]), which blocking calls may hold. On
    /// PostgreSQL it is [`Db::begin`], and `native()` is `None`.
    pub async fn begin_native(&self) -> Result<Tx, sqlx::Error> {
        let Some(writer) = self.writer.as_ref().filter(|_| self.backend == Backend::Sqlite) else {
            return self.begin().await;
        };
        let mut turn = writer.clone().lock_owned().await;
        turn.settle().await?;
        turn.begin_native(false).map_err(native_error)?;
        Ok(Tx {
            inner: TxInner::Native(NativeTx {
                turn,
                open: true,
                bulk: false,
            }),
            units: self.units.clone(),
        })
    }

    /// [`Db::begin_native`] for loading many rows of checked data: on
    /// SQLite foreign keys are not enforced until it ends ([`BULK_PRAGMAS`]
    /// says why), so the caller checks every reference it writes, and
    /// writes with `INSERT OR FAIL` ([`bulk::NativeInsert`]). On
    /// PostgreSQL it is [`Db::begin`].
    pub async fn begin_bulk(&self) -> Result<Tx, sqlx::Error> {
        let Some(writer) = self.writer.as_ref().filter(|_| self.backend == Backend::Sqlite) else {
            return self.begin().await;
        };
        let mut turn = writer.clone().lock_owned().await;
        turn.settle().await?;
        let mut tx = NativeTx {
            turn,
            open: false,
            bulk: true,
        };
        // On failure the connection is closed (Writer::begin_native) and
        // the next write opens one with the usual settings.
        tx.turn.begin_native(true).map_err(native_error)?;
        tx.open = true;
        Ok(Tx {
            inner: TxInner::Native(tx),
            units: self.units.clone(),
        })
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (BEGIN IMMEDIATE): every write path reads before it writes, and a
    /// deferred transaction whose snapshot went stale in between would fail
    /// with SQLITE_BUSY instead of waiting its turn. The process's writers
    /// first queue on an async mutex: SQLite's own busy handler sleeps
    /// between retries (up to 100 ms), so sixty-four writers contending for
    /// the lock got through a few dozen writes a second, where taking turns
    /// gets through hundreds. The mutex holds the one writer connection
    /// they all run on (see [`Db`]'s `writer`, and [`Writer`]). On PostgreSQL it takes the figure log's
    /// advisory lock first (migration 0008): the log's triggers take it too,
    /// and taking it before any row lock means two writers can never each
    /// hold what the other waits for.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => match &self.writer {
                Some(writer) => {
                    let mut turn = writer.clone().lock_owned().await;
                    if let Err(e) = turn.begin().await {
                        // A connection whose worker thread is gone answers
                        // every statement with this error: open a new one.
                        if !matches!(e, sqlx::Error::WorkerCrashed | sqlx::Error::Io(_)) {
                            return Err(e);
                        }
                        *turn = Writer::connect(&turn.url, &turn.path).await?;
                        turn.begin().await?;
                    }
                    Ok(Tx {
                        inner: TxInner::Writer(WriterTx { turn }),
                        units: self.units.clone(),
                    })
                }
                None => Ok(Tx {
                    inner: TxInner::Pooled(self.pool.begin_with("BEGIN IMMEDIATE").await?),
                    units: self.units.clone(),
                }),
            },
            Backend::Postgres => {
                let mut inner = self.pool.begin().await?;
                sqlx::query(FIGURE_LOG_LOCK).execute(&mut *inner).await?;
                Ok(Tx {
                    inner: TxInner::Pooled(inner),
                    units: self.units.clone(),
                })
            }
        }
    }
}

/// A connection URL without its password, for messages.
pub fn url_for_humans(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.to_string()
        }
        Err(_) => "the database".to_string(),
    }
}

/// The current UTC time as stored in every timestamp column.
pub fn now() -> String {
    timestamp(time::OffsetDateTime::now_utc())
}

/// The start of today in Vietnam, as a stored timestamp: the only time kept
/// of a citizen's tip-off actions, so that no stored moment can be matched
/// against a record of network traffic kept elsewhere.
pub fn today_stamp() -> String {
    let vn = time::macros::offset!(+7);
    let day = time::OffsetDateTime::now_utc().to_offset(vn).date();
    timestamp(day.midnight().assume_offset(vn))
}

pub fn timestamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (mxFrame, nBackfill) of the WAL index: frames in the WAL, and how
    /// many of them a checkpoint has copied back (the `-shm` file's header
    /// and the checkpoint information after its two copies,
    /// <https://www.sqlite.org/walformat.html>; native byte order).
    fn wal_frames(db_path: &std::path::Path) -> (u32, u32) {
        let shm = std::fs::read(format!("{}-shm", db_path.display())).unwrap();
        let word = |at: usize| u32::from_ne_bytes(shm[at..at + 4].try_into().unwrap());
        (word(16), word(96))
    }

    /// A database in a temporary folder with one table `t (id, v)`.
    async fn database() -> (tempfile::TempDir, std::path::PathBuf, Db) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let db = Db::connect(&DatabaseUrl::Sqlite(path.clone())).await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            .execute(&db.pool)
            .await
            .unwrap();
        (dir, path, db)
    }

    /// Another process's connection: it never waits for the write lock
    /// (no busy timeout), so a write of its fails while the lock is held.
    fn other_process(path: &std::path::Path) -> rusqlite::Connection {
        let other = rusqlite::Connection::open(path).unwrap();
        other.busy_timeout(Duration::ZERO).unwrap();
        other
    }

    async fn rows(db: &Db) -> Vec<String> {
        sqlx::query_scalar("SELECT v FROM t ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap()
    }

    async fn insert(tx: &mut Tx, v: &str) {
        sqlx::query("INSERT INTO t (v) VALUES ($1)")
            .bind(v)
            .execute(&mut **tx)
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn a_write_dropped_before_its_commit_is_undone_and_frees_the_lock() {
        let (_dir, path, db) = database().await;

        // Dropped, then nothing else from this process: the rollback runs on
        // its own and another process may write.
        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, "dropped 1").await;
        drop(tx);
        let other = other_process(&path);
        let mut waited = 0;
        while other
            .execute("INSERT INTO t (v) VALUES ('other process')", [])
            .is_err()
        {
            assert!(waited < 100, "the write lock is still held");
            tokio::time::sleep(Duration::from_millis(20)).await;
            waited += 1;
        }

        // Dropped, and the next writer comes at once: it rolls back first.
        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, "dropped 2").await;
        drop(tx);
        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, "committed").await;
        tx.commit().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, "rolled back").await;
        tx.rollback().await.unwrap();

        // A statement that fails leaves the transaction usable, as before.
        let mut tx = db.begin().await.unwrap();
        assert!(
            sqlx::query("INSERT INTO nowhere VALUES (1)")
                .execute(&mut *tx)
                .await
                .is_err()
        );
        insert(&mut tx, "after an error").await;
        tx.commit().await.unwrap();

        assert_eq!(rows(&db).await, ["other process", "committed", "after an error"]);
    }

    #[tokio::test]
    async fn a_native_write_commits_or_is_undone_at_once_and_takes_turns_with_sqlx() {
        let (_dir, path, db) = database().await;
        let native = |tx: &Tx, v: &str| {
            tx.native()
                .unwrap()
                .execute("INSERT INTO t (v) VALUES (?1)", [v])
                .unwrap();
        };

        let tx = db.begin_native().await.unwrap();
        native(&tx, "committed natively");
        tx.commit().await.unwrap();

        // Dropped: undone before the drop returns, the lock free at once.
        let tx = db.begin_native().await.unwrap();
        native(&tx, "dropped natively");
        drop(tx);
        let other = other_process(&path);
        other
            .execute("INSERT INTO t (v) VALUES ('other process')", [])
            .unwrap();

        // A sqlx write left open is rolled back before a native one begins.
        let mut tx = db.begin().await.unwrap();
        insert(&mut tx, "dropped by sqlx").await;
        drop(tx);
        let mut tx = db.begin_native().await.unwrap();
        // Reads through it see what was committed.
        let seen: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
        assert_eq!(seen, 2);
        native(&tx, "after sqlx");
        tx.commit().await.unwrap();

        let tx = db.begin_native().await.unwrap();
        native(&tx, "rolled back natively");
        tx.rollback().await.unwrap();

        let mut tx = db.begin().await.unwrap();
        assert!(tx.native().is_none());
        insert(&mut tx, "sqlx after native").await;
        tx.commit().await.unwrap();

        assert_eq!(
            rows(&db).await,
            [
                "committed natively",
                "other process",
                "after sqlx",
                "sqlx after native"
            ]
        );
    }

    #[tokio::test]
    async fn a_bulk_load_gives_foreign_keys_back_however_it_ends() {
        let (_dir, _path, db) = database().await;
        sqlx::query("CREATE TABLE c (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id))")
            .execute(&db.pool)
            .await
            .unwrap();
        let orphan = |tx: &Tx| {
            tx.native()
                .unwrap()
                .execute("INSERT OR FAIL INTO c (t_id) VALUES (404)", [])
        };
        let enforced = |tx: &Tx| -> bool {
            tx.native()
                .unwrap()
                .query_row("PRAGMA foreign_keys", [], |r| r.get::<_, i64>(0))
                .unwrap()
                == 1
        };
        // Committed, rolled back, dropped, committed large: each time the
        // next transaction on the connection enforces them again.
        for ending in 0..4 {
            let tx = db.begin_bulk().await.unwrap();
            assert!(!enforced(&tx), "ending {ending}");
            orphan(&tx).unwrap();
            match ending {
                0 => tx.commit().await.unwrap(),
                1 => tx.rollback().await.unwrap(),
                2 => drop(tx),
                _ => tx.commit_large().unwrap(),
            }
            let tx = db.begin_native().await.unwrap();
            assert!(enforced(&tx), "after ending {ending}");
            assert!(orphan(&tx).is_err(), "after ending {ending}");
            tx.rollback().await.unwrap();
        }
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM c")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(kept, 2, "the committed loads' rows");
    }

    #[tokio::test]
    async fn a_native_insert_binds_shared_values_once_and_keeps_every_rows_own() {
        let (_dir, _path, db) = database().await;
        sqlx::query("CREATE TABLE w (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT)")
            .execute(&db.pool)
            .await
            .unwrap();
        // 600 rows: a statement where `a` and `c` are shared, one where
        // only `c` is, and a short last one where nothing is.
        let rows: Vec<Vec<bulk::Val>> = (0..600i64)
            .map(|i| {
                let a = if i < 256 {
                    "same".to_string()
                } else {
                    format!("a{i}")
                };
                let c = if i < 512 {
                    bulk::Val::Null
                } else {
                    bulk::Val::from(format!("c{i}"))
                };
                vec![
                    bulk::Val::Int(i + 1),
                    bulk::Val::from(a),
                    bulk::Val::Int(i * 7),
                    c,
                ]
            })
            .collect();
        let tx = db.begin_bulk().await.unwrap();
        let rows = bulk::NativeRows::new(rows, 4).unwrap();
        bulk::NativeInsert::new(tx.native().unwrap(), "w", &["id", "a", "b", "c"])
            .insert(&rows)
            .unwrap();
        tx.commit().await.unwrap();
        let back: Vec<(i64, String, i64, Option<String>)> =
            sqlx::query_as("SELECT id, a, b, c FROM w ORDER BY id")
                .fetch_all(&db.pool)
                .await
                .unwrap();
        let expected: Vec<(i64, String, i64, Option<String>)> = (0..600i64)
            .map(|i| {
                let a = if i < 256 {
                    "same".to_string()
                } else {
                    format!("a{i}")
                };
                (i + 1, a, i * 7, (i >= 512).then(|| format!("c{i}")))
            })
            .collect();
        assert_eq!(back, expected);
    }

    #[tokio::test]
    async fn serve_checkpoints_the_wal_beside_the_writer() {
        let (_dir, path, db) = database().await;
        for i in 0..20 {
            let mut tx = db.begin().await.unwrap();
            insert(&mut tx, &format!("row {i}")).await;
            tx.commit().await.unwrap();
        }
        let (frames, copied) = wal_frames(&path);
        assert!(
            frames > 0 && copied < frames,
            "not yet checkpointed: {frames} frames, {copied} copied"
        );
        db.checkpoint_in_background();
        let mut waited = 0;
        while wal_frames(&path).1 < frames {
            assert!(
                waited < 40,
                "no checkpoint after {waited} waits: {:?}",
                wal_frames(&path)
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
            waited += 1;
        }
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&db.pool)
            .await
            .unwrap();
        assert_eq!(count, 20);
    }
}

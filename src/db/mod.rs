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
    /// SQLite: the one connection write transactions run on ([`Db::begin`]).
    /// SQLite empties a connection's page cache whenever another connection
    /// has committed, so writes spread over the pool's eight read every page
    /// they touched again; on one connection its own commits leave its
    /// cache warm.
    writer: Option<AnyPool>,
    pub backend: Backend,
    /// The database's file when it is SQLite: bulk reads step through it on
    /// a thread of their own ([`native`]).
    pub sqlite: Option<native::SqliteFile>,
    /// The figures of every unit kept current from this database's change
    /// log (indicators/rollup): held here because it belongs to the data,
    /// one per database, shared by every clone of the pool.
    pub rollup: Arc<Rollup>,
    /// Writers of this process take turns here before SQLite's write lock.
    writers: Arc<tokio::sync::Mutex<()>>,
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

/// A write transaction. On SQLite it also holds this process's turn to
/// write (see [`Db::begin`]), released when the transaction ends.
pub struct Tx {
    inner: sqlx::Transaction<'static, sqlx::Any>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    /// The database's unit directory, so a write looks its unit up without
    /// a query (units are not written in transactions of this type).
    pub units: Arc<tokio::sync::RwLock<Option<Arc<crate::units::directory::Directory>>>>,
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;
    fn deref(&self) -> &sqlx::AnyConnection {
        &self.inner
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut sqlx::AnyConnection {
        &mut self.inner
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

/// What the writer's connection sets beyond the pool's: a larger page
/// cache (16 MB instead of 2), since it is the only one and it stays warm;
/// and a checkpoint once the WAL holds 10.000 pages (40 MB) instead of
/// 1.000. The commit that crosses the mark runs the checkpoint while it
/// holds the write lock (5,8 % of the server's CPU under 64 writers, perf);
/// less often, a page written again and again is copied back once.
const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -16000; PRAGMA wal_autocheckpoint = 10000;";

/// How often `serve` checkpoints the WAL ([`Db::checkpoint_in_background`]).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// A pool of SQLite connections to `url`, each set up for antq (WAL,
/// foreign keys, busy timeout) plus `pragmas`.
async fn sqlite_pool(url: &str, size: u32, pragmas: &'static str) -> Result<AnyPool, sqlx::Error> {
    AnyPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(Duration::from_secs(10))
        // By default every acquire pings the connection first: for a file in
        // this process that proves nothing, and it is one more hand-off to
        // the connection's worker thread and back on every query and every
        // transaction (writes with read-back, 64 clients: 1.237 → 1.387 a
        // second without it, bench/writes.sh).
        .test_before_acquire(false)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; busy_timeout makes a
                // second writer wait instead of failing.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                )
                .await?;
                if !pragmas.is_empty() {
                    conn.execute(pragmas).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
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
                let pool = sqlite_pool(&url, 8, "")
                    .await
                    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
                let writer = sqlite_pool(&url, 1, WRITER_PRAGMAS)
                    .await
                    .with_context(|| format!("cannot open SQLite database {}", path.display()))?;
                Ok(Db {
                    pool,
                    writer: Some(writer),
                    backend: Backend::Sqlite,
                    sqlite: Some(native::SqliteFile::new(path)),
                    rollup: Arc::default(),
                    writers: Arc::default(),
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
                    writers: Arc::default(),
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
            inner: self.pool.begin().await?,
            _turn: None,
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

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (BEGIN IMMEDIATE): every write path reads before it writes, and a
    /// deferred transaction whose snapshot went stale in between would fail
    /// with SQLITE_BUSY instead of waiting its turn. The process's writers
    /// first queue on an async mutex: SQLite's own busy handler sleeps
    /// between retries (up to 100 ms), so sixty-four writers contending for
    /// the lock got through a few dozen writes a second, where taking turns
    /// gets through hundreds. They all run on the one writer connection
    /// (see [`Db`]'s `writer`). On PostgreSQL it takes the figure log's
    /// advisory lock first (migration 0008): the log's triggers take it too,
    /// and taking it before any row lock means two writers can never each
    /// hold what the other waits for.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let turn = self.writers.clone().lock_owned().await;
                let pool = self.writer.as_ref().unwrap_or(&self.pool);
                Ok(Tx {
                    inner: pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                    units: self.units.clone(),
                })
            }
            Backend::Postgres => {
                let mut inner = self.pool.begin().await?;
                sqlx::query(FIGURE_LOG_LOCK).execute(&mut *inner).await?;
                Ok(Tx {
                    inner,
                    _turn: None,
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

    #[tokio::test]
    async fn serve_checkpoints_the_wal_beside_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let db = Db::connect(&DatabaseUrl::Sqlite(path.clone())).await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            .execute(&db.pool)
            .await
            .unwrap();
        for i in 0..20 {
            let mut tx = db.begin().await.unwrap();
            sqlx::query("INSERT INTO t (v) VALUES ($1)")
                .bind(format!("row {i}"))
                .execute(&mut *tx)
                .await
                .unwrap();
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

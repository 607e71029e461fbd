//! The roll-up's look at the change log's last seq before each read: is
//! there anything to apply?

use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::Mutex;

use crate::db::Db;
use crate::error::Result;

/// The log's last seq. On SQLite it is read on the caller's thread from a
/// connection kept for it (`db/native.rs`): an index seek of microseconds,
/// where a query through the pool cost a hand-off to its worker thread
/// and back for every dashboard. On PostgreSQL it is asked of the database
/// by one reader at a time for all who are waiting. A read must see every
/// write committed before it began, so it may use a check only if that
/// check *started* after the read arrived: each check takes a ticket when
/// it starts, a reader notes the next ticket on arrival and waits for a
/// check holding it or a later one. With 64 concurrent dashboards, one
/// query serves them all instead of 64 queueing for the pool's connections.
#[derive(Default)]
pub(super) struct LogCheck {
    lock: Mutex<()>,
    /// The ticket the next check to start will take.
    next: std::sync::atomic::AtomicU64,
    /// The ticket of the last check completed (0: none yet) and its result.
    completed: std::sync::atomic::AtomicU64,
    seq: AtomicI64,
    native: crate::db::native::KeptReader,
}

impl LogCheck {
    pub(super) async fn latest(&self, db: &Db) -> Result<i64> {
        if let Some(file) = &db.sqlite {
            return self.native.integer(file, LAST_LOGGED);
        }
        // Tickets start at 1, so `completed` = 0 means no check yet.
        let needed = self.next.load(Ordering::SeqCst) + 1;
        let _turn = self.lock.lock().await;
        if self.completed.load(Ordering::SeqCst) >= needed {
            return Ok(self.seq.load(Ordering::SeqCst));
        }
        let ticket = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        let seq = last_logged(db).await?;
        self.seq.store(seq, Ordering::SeqCst);
        self.completed.store(ticket, Ordering::SeqCst);
        Ok(seq)
    }
}

const LAST_LOGGED: &str = "SELECT MAX(seq) FROM figure_changes";

pub(super) async fn last_logged(db: &Db) -> Result<i64> {
    let last: Option<i64> = sqlx::query_scalar(LAST_LOGGED).fetch_one(&db.pool).await?;
    Ok(last.unwrap_or(0))
}

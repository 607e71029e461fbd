//! The roll-up's first read of every counted record ([`super::Rollup::load`]),
//! one table at a time: on SQLite on a thread of its own (db/native.rs),
//! on PostgreSQL through the pool, batch by batch.

use sqlx::Row;

use super::State;
use super::facts::{self, Table};
use crate::db::Db;
use crate::db::native::SqliteFile;
use crate::error::{AppError, Result};

/// Rows read per query from the pool.
const LOAD_BATCH: i64 = 50_000;

/// Adds up every record of `table` in one pass on a thread of its own:
/// without sqlx's hand-over of each row (db/native.rs), reading and adding
/// up on one core is quicker than the two halves on two.
pub(super) async fn native(file: &SqliteFile, table: Table, state: State) -> Result<State> {
    let sql = table.select().replace("{where}", "1 = 1");
    crate::db::native::each_row(file, sql, Vec::new(), state, move |state, row| {
        let (id, fact) = facts::read_native(table, row)?;
        state.replace(table, id, Some(fact));
        Ok(())
    })
    .await
}

/// Adds up every record of `table` through the pool, a batch at a time.
pub(super) async fn pooled(db: &Db, table: Table, mut state: State) -> Result<State> {
    let sql = format!(
        "{} ORDER BY {} LIMIT {LOAD_BATCH}",
        table
            .select()
            .replace("{where}", &format!("{} > $1", table.id_column())),
        table.id_column()
    );
    // The next batch is fetched (and decoded, on another task) while this
    // one is added up: the two halves of the work then run on both cores.
    let fetch = |after: i64| {
        let (pool, sql) = (db.pool.clone(), sql.clone());
        tokio::spawn(async move { sqlx::query(&sql).bind(after).fetch_all(&pool).await })
    };
    let mut next = Some(fetch(0));
    while let Some(batch) = next.take() {
        let rows = batch
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("roll-up load: {e}")))??;
        if rows.len() as i64 >= LOAD_BATCH {
            let last: i64 = rows.last().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
            next = Some(fetch(last));
        }
        for row in &rows {
            let (id, fact) = facts::read(table, row)?;
            state.replace(table, id, Some(fact));
        }
    }
    Ok(state)
}

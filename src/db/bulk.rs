//! Multi-row INSERTs. [`insert`] is for generated data (the demo's phase
//! 2013–2023, `antq gen`): values written as literals, 500 rows a statement
//! — sqlx's SQLite binding costs grow with the square of a statement's
//! parameter count (see reference.rs), and PostgreSQL caps that count at
//! 65.535. [`insert_bound`] is for what users send (an import's rows):
//! on PostgreSQL the rows travel as one bound JSON parameter that the
//! database unpacks, so no value is spliced into SQL and a statement still
//! carries thousands of rows. On SQLite that unpacking (`json_each`, then
//! `->>` per column) cost ~40 µs a row against ~16 µs for literals, so
//! there the values are written as literals too — safe because SQLite's
//! string literal has exactly one special character, the quote, which
//! [`push_text`] doubles (no backslash escapes, no encodings: the text is
//! UTF-8 by Rust's type, and NUL is refused); integers are Rust's `i64`
//! formatted. PostgreSQL's literals depend on `standard_conforming_strings`,
//! hence binding there.

use std::fmt::Write as _;

use super::{Backend, Tx};

#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    Text(String),
    Int(i64),
    /// NULL of a text column, and of an integer one (both are written
    /// `NULL`, which PostgreSQL types from the column it goes into).
    Null,
    NullInt,
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}

impl From<i64> for Val {
    fn from(n: i64) -> Val {
        Val::Int(n)
    }
}

impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Val {
        s.map_or(Val::Null, Val::Text)
    }
}

/// A value bound to a native statement (db/native.rs, the writer's
/// rusqlite connection).
impl rusqlite::ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Val::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Val::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Val::Null | Val::NullInt => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

/// Rows per statement: large statements amortise the round trip, and a
/// statement of literals has none of binding's per-parameter cost.
const ROWS_PER_STATEMENT: usize = 500;

/// Writes `s` as an SQL string literal: quotes doubled, which is all both
/// engines need (PostgreSQL's standard_conforming_strings is on since 9.1).
/// A NUL cannot be stored as text by PostgreSQL and is refused.
fn push_text(sql: &mut String, s: &str) -> crate::error::Result<()> {
    if s.contains('\0') {
        return Err(crate::error::AppError::Internal(anyhow::anyhow!(
            "bulk insert: a text value holds a NUL character"
        )));
    }
    sql.push('\'');
    for ch in s.chars() {
        if ch == '\'' {
            sql.push('\'');
        }
        sql.push(ch);
    }
    sql.push('\'');
    Ok(())
}

/// Inserts every row into `table (columns)`; each row has one value per
/// column. Values are written into the statement as literals, not bound:
/// several times faster. Data antq generates (the demo, `antq gen`) comes
/// here on both databases; what users send only on SQLite, through
/// [`insert_bound`] (the module's comment says why that is safe).
pub async fn insert(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
) -> crate::error::Result<()> {
    let width = columns.len().max(1);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        for (r, row) in chunk.iter().enumerate() {
            if row.len() != width {
                return Err(crate::error::AppError::Internal(anyhow::anyhow!(
                    "bulk insert into {table}: a row of {} values for {width} columns",
                    row.len()
                )));
            }
            sql.push_str(if r == 0 { "(" } else { ",(" });
            for (c, v) in row.iter().enumerate() {
                if c > 0 {
                    sql.push(',');
                }
                match v {
                    Val::Text(s) => push_text(&mut sql, s)?,
                    Val::Int(i) => sql.push_str(&i.to_string()),
                    Val::Null | Val::NullInt => sql.push_str("NULL"),
                }
            }
            sql.push(')');
        }
        // Not prepared for reuse: each statement's text is its values, so
        // it never comes again, and sqlx would keep the last 100 compiled
        // on the connection. Measured on a 1 M-row session import
        // (bench/import.sh): peak RSS 651 → 551 MB, after it 566 → 459 MB.
        sqlx::query(&sql).persistent(false).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Rows per statement of [`NativeInsert`]. One row a statement cost
/// three times as much: with a trigger on the table SQLite keeps a
/// statement journal, a copy of every page a statement changes that the
/// transaction had changed before (six pages a row here, the table, its
/// indexes and the change log), so that the statement alone can be undone.
/// A statement of many rows copies each page once (and a bulk load's,
/// [`super::Db::begin_bulk`], keeps no journal at all). 256 rows of 22
/// values stay well under SQLite's 32.766 parameters.
const NATIVE_ROWS_PER_STATEMENT: usize = 256;

/// Rows for [`NativeInsert`], cut into its statements, with the columns
/// each statement's rows have in common. A value that is the same in every
/// row of a statement (the timestamp, and with rows sorted by place most
/// of a unit's columns) is bound once and named by each row: SQLite copies
/// every text bound, which was a fifth of a million-row import's writing
/// (perf). Finding those columns compares every value with the first
/// row's, a tenth of the writer's thread when it was done there; made
/// here, it is done on whichever side of a pipeline makes the rows.
pub struct NativeRows {
    rows: Vec<Vec<Val>>,
    /// Per statement ([`NATIVE_ROWS_PER_STATEMENT`] rows), per column: the
    /// same in all its rows.
    shared: Vec<Vec<bool>>,
}

impl NativeRows {
    /// `rows` of `width` values each; a row of another width is refused.
    pub fn new(rows: Vec<Vec<Val>>, width: usize) -> crate::error::Result<NativeRows> {
        if let Some(row) = rows.iter().find(|row| row.len() != width) {
            return Err(crate::error::AppError::Internal(anyhow::anyhow!(
                "bulk insert: a row of {} values for {width} columns",
                row.len()
            )));
        }
        let shared = rows
            .chunks(NATIVE_ROWS_PER_STATEMENT)
            .map(|chunk| match chunk.first() {
                Some(first) => (0..width)
                    .map(|c| chunk.iter().all(|row| row[c] == first[c]))
                    .collect(),
                None => Vec::new(),
            })
            .collect();
        Ok(NativeRows { rows, shared })
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Inserts rows into `table (columns)` through a native write
/// transaction's connection ([`Tx::native`](super::Tx::native), SQLite):
/// prepared statements of many rows, their values bound. Binding costs
/// rusqlite little per parameter, where sqlx's grows with a statement's
/// parameter count and literals make SQLite parse every value.
///
/// It keeps each statement it prepares for its life, one per shape (the
/// columns its rows share, its number of rows): a bulk load keeps one for
/// the whole load. rusqlite's own cache looks a statement up by its text,
/// ~30 KB for 256 rows, hashed and compared twice per statement: 7 % of a
/// million-row import's writer (perf).
///
/// `INSERT OR FAIL`: a constraint that fails ends the statement without
/// undoing its earlier rows, which a bulk load's caller does by rolling
/// the whole transaction back; with the default (ABORT) SQLite would keep
/// a statement journal to undo them.
pub struct NativeInsert<'c> {
    conn: &'c rusqlite::Connection,
    table: &'c str,
    columns: &'c [&'c str],
    /// (shared columns, rows, statement); a handful at most.
    prepared: Vec<(Vec<bool>, usize, rusqlite::Statement<'c>)>,
}

impl<'c> NativeInsert<'c> {
    pub fn new(conn: &'c rusqlite::Connection, table: &'c str, columns: &'c [&'c str]) -> NativeInsert<'c> {
        NativeInsert {
            conn,
            table,
            columns,
            prepared: Vec::new(),
        }
    }

    /// Inserts `rows`.
    pub fn insert(&mut self, rows: &NativeRows) -> crate::error::Result<()> {
        let width = self.columns.len();
        for (chunk, same) in rows.rows.chunks(NATIVE_ROWS_PER_STATEMENT).zip(&rows.shared) {
            let (Some(first), true) = (chunk.first(), same.len() == width) else {
                return Err(crate::error::AppError::Internal(anyhow::anyhow!(
                    "bulk insert into {}: rows made for {} columns, not {width}",
                    self.table,
                    same.len()
                )));
            };
            let values = (0..width).filter(|&c| same[c]).map(|c| &first[c]).chain(
                chunk
                    .iter()
                    .flat_map(|row| row.iter().enumerate().filter(|(c, _)| !same[*c]).map(|(_, v)| v)),
            );
            let at = match self
                .prepared
                .iter()
                .position(|(s, n, _)| s == same && *n == chunk.len())
            {
                Some(at) => at,
                None => {
                    let sql = insert_text(self.table, self.columns, same, chunk.len());
                    let statement = self.conn.prepare(&sql).map_err(super::native::failed)?;
                    self.prepared.push((same.clone(), chunk.len(), statement));
                    self.prepared.len() - 1
                }
            };
            let (_, _, statement) = self.prepared.get_mut(at).ok_or_else(|| {
                crate::error::AppError::Internal(anyhow::anyhow!("bulk insert: a prepared statement is gone"))
            })?;
            statement
                .execute(rusqlite::params_from_iter(values))
                .map_err(super::native::failed)?;
        }
        Ok(())
    }
}

/// `INSERT OR FAIL INTO table (columns) VALUES (?…), …` for `rows` rows:
/// the columns marked in `same` named by parameters ?1, ?2, … in every
/// row, the others numbered on, row by row.
fn insert_text(table: &str, columns: &[&str], same: &[bool], rows: usize) -> String {
    let mut sql = format!("INSERT OR FAIL INTO {table} ({}) VALUES ", columns.join(", "));
    let mut shared = 0;
    let numbers: Vec<Option<usize>> = same
        .iter()
        .map(|&s| {
            s.then(|| {
                shared += 1;
                shared
            })
        })
        .collect();
    let mut next = shared;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for (c, number) in numbers.iter().enumerate() {
            if c > 0 {
                sql.push_str(", ");
            }
            let number = number.unwrap_or_else(|| {
                next += 1;
                next
            });
            // Writing into a String cannot fail.
            let _ = write!(sql, "?{number}");
        }
        sql.push(')');
    }
    sql
}

/// Rows per statement of [`insert_bound`]: one JSON text of a few hundred
/// kilobytes, parsed by the database in one go.
const BOUND_ROWS_PER_STATEMENT: usize = 2_000;

/// Inserts every row into `table (columns)`, each row one value per column:
/// on PostgreSQL bound as a single JSON array of arrays
/// (`json_array_elements`), `integer` naming the columns to cast back to
/// integers; on SQLite as literals (the module's comment says why).
pub async fn insert_bound(
    tx: &mut Tx,
    backend: Backend,
    table: &str,
    columns: &[&str],
    integer: &[&str],
    rows: &[Vec<Val>],
) -> crate::error::Result<()> {
    // SQLite: literals (see the module's comment); PostgreSQL: bound JSON.
    if backend == Backend::Sqlite {
        return insert(tx, table, columns, rows).await;
    }
    let width = columns.len().max(1);
    let values = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if integer.contains(c) {
                format!("(e ->> {i})::bigint")
            } else {
                format!("e ->> {i}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {values} FROM json_array_elements($1::json) AS e",
        columns.join(", ")
    );
    for chunk in rows.chunks(BOUND_ROWS_PER_STATEMENT) {
        let mut json = String::with_capacity(chunk.len() * width * 16);
        json.push('[');
        for (r, row) in chunk.iter().enumerate() {
            if row.len() != width {
                return Err(crate::error::AppError::Internal(anyhow::anyhow!(
                    "bulk insert into {table}: a row of {} values for {width} columns",
                    row.len()
                )));
            }
            json.push_str(if r == 0 { "[" } else { ",[" });
            for (c, v) in row.iter().enumerate() {
                if c > 0 {
                    json.push(',');
                }
                match v {
                    Val::Text(s) => push_json_text(&mut json, s)?,
                    Val::Int(i) => json.push_str(&i.to_string()),
                    Val::Null | Val::NullInt => json.push_str("null"),
                }
            }
            json.push(']');
        }
        json.push(']');
        sqlx::query(&sql).bind(json).execute(&mut **tx).await?;
    }
    Ok(())
}

/// Writes `s` as a JSON string. A NUL is refused, as by [`push_text`]:
/// PostgreSQL cannot store it as text.
fn push_json_text(json: &mut String, s: &str) -> crate::error::Result<()> {
    if s.contains('\0') {
        return Err(crate::error::AppError::Internal(anyhow::anyhow!(
            "bulk insert: a text value holds a NUL character"
        )));
    }
    json.push('"');
    for ch in s.chars() {
        match ch {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            c if (c as u32) < 0x20 => json.push_str(&format!("\\u{:04x}", c as u32)),
            c => json.push(c),
        }
    }
    json.push('"');
    Ok(())
}

/// `n` fresh ids for rows of `table`, taken before the rows are written so
/// that an import can name each new row in its audit entry. On SQLite the
/// caller's write transaction holds the database's only write lock, so the
/// ids after the largest are free; on PostgreSQL they come from the
/// column's identity sequence, as a default id would.
pub async fn next_ids(
    tx: &mut Tx,
    backend: Backend,
    table: &str,
    n: usize,
) -> crate::error::Result<Vec<i64>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    match backend {
        Backend::Sqlite => {
            let max: i64 = sqlx::query_scalar(&format!("SELECT COALESCE(MAX(id), 0) FROM {table}"))
                .fetch_one(&mut **tx)
                .await?;
            Ok((1..=n as i64).map(|k| max + k).collect())
        }
        Backend::Postgres => {
            let ids: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, $1)"
            ))
            .bind(n as i64)
            .fetch_all(&mut **tx)
            .await?;
            Ok(ids)
        }
    }
}

/// Insert triggers a bulk load stands in for, dropped inside its
/// transaction ([`SuspendedTriggers::suspend`]) and created again from the
/// text they had before it commits ([`SuspendedTriggers::resume`]): the
/// load writes what they would have written, in bulk. SQLite's DDL is
/// transactional and the load holds the only write lock, so no other
/// connection ever sees the table without them: a load rolled back, or
/// never committed (a crash), leaves them as they were. Other connections
/// re-prepare their statements once after the commit (the schema
/// changed), a schema read of a few milliseconds each.
pub struct SuspendedTriggers {
    /// Each trigger's `CREATE TRIGGER` statement, as sqlite_master held it.
    created: Vec<String>,
}

impl SuspendedTriggers {
    /// Drops the triggers `names` for the rest of the transaction open on
    /// `conn`, keeping their text; all of them must exist.
    pub fn suspend(conn: &rusqlite::Connection, names: &[&str]) -> crate::error::Result<SuspendedTriggers> {
        let mut created = Vec::with_capacity(names.len());
        for name in names {
            let sql: String = conn
                .query_row(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?1",
                    [name],
                    |r| r.get(0),
                )
                .map_err(super::native::failed)?;
            conn.execute_batch(&format!("DROP TRIGGER {name}"))
                .map_err(super::native::failed)?;
            created.push(sql);
        }
        Ok(SuspendedTriggers { created })
    }

    /// Creates the triggers again; call before the load commits.
    pub fn resume(self, conn: &rusqlite::Connection) -> crate::error::Result<()> {
        for sql in &self.created {
            conn.execute_batch(sql).map_err(super::native::failed)?;
        }
        Ok(())
    }
}

/// Logs the rows `first..=last` of `table` as one entry of the figures'
/// change log (migration 0013), for a bulk load whose per-row trigger of
/// that log (0008) is suspended; on any thread holding the transaction.
pub fn log_range(
    conn: &rusqlite::Connection,
    table: &str,
    first: i64,
    last: i64,
) -> crate::error::Result<()> {
    conn.prepare_cached("INSERT INTO figure_changes (tbl, row_id, row_to) VALUES (?1, ?2, ?3)")
        .and_then(|mut s| s.execute(rusqlite::params![table, first, last]))
        .map_err(super::native::failed)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_literals_double_their_quotes() {
        let mut sql = String::new();
        push_text(&mut sql, "Bản Nà'Cúng").unwrap();
        assert_eq!(sql, "'Bản Nà''Cúng'");
        assert!(push_text(&mut sql, "a\0b").is_err());
    }

    #[test]
    fn json_text_escapes_quotes_backslashes_and_controls() {
        let mut json = String::new();
        push_json_text(&mut json, "Bản \"Nà\" \\ Cúng\n").unwrap();
        assert_eq!(json, r#""Bản \"Nà\" \\ Cúng\u000a""#);
        let parsed: String = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed, "Bản \"Nà\" \\ Cúng\n");
        assert!(push_json_text(&mut json, "a\0b").is_err());
    }
}

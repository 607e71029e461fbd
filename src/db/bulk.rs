//! Multi-row INSERTs for generated data (the demo's phase 2013–2023, `antq
//! gen`): values written as literals, 500 rows a statement — sqlx's SQLite
//! binding costs grow with the square of a statement's parameter count
//! (see reference.rs), and PostgreSQL caps that count at 65.535.

use super::Tx;

#[derive(Clone, Debug)]
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
/// this is for data antq generates (the demo, `antq gen`), where it is
/// several times faster; anything a user sends is bound, elsewhere.
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
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
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
}

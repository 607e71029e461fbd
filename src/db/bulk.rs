//! Multi-row INSERTs for generated data (the demo's phase 2013–2023, `antq
//! gen`): rows bound as parameters, a few hundred parameters a statement —
//! sqlx's SQLite binding costs grow with the square of a statement's count
//! (see reference.rs), and PostgreSQL caps it at 65.535.

use sqlx::Any;
use sqlx::query::Query;

use super::Tx;

#[derive(Clone, Debug)]
pub enum Val {
    Text(String),
    Int(i64),
    /// NULL of a text column, and of an integer one: PostgreSQL is told
    /// the parameter's type and refuses text NULL for a BIGINT column.
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

/// Inserts every row into `table (columns)`; each row has one value per column.
pub async fn insert(
    tx: &mut Tx,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Val>],
) -> crate::error::Result<()> {
    let width = columns.len().max(1);
    let per = (240 / width).max(1);
    for chunk in rows.chunks(per) {
        let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
        let mut n = 1;
        for (r, row) in chunk.iter().enumerate() {
            if row.len() != width {
                return Err(crate::error::AppError::Internal(anyhow::anyhow!(
                    "bulk insert into {table}: a row of {} values for {width} columns",
                    row.len()
                )));
            }
            sql.push_str(if r == 0 { "(" } else { ",(" });
            for c in 0..width {
                if c > 0 {
                    sql.push(',');
                }
                sql.push('$');
                sql.push_str(&n.to_string());
                n += 1;
            }
            sql.push(')');
        }
        let mut q: Query<'_, Any, _> = sqlx::query(&sql);
        for row in chunk {
            for v in row {
                q = match v {
                    Val::Text(s) => q.bind(s.as_str()),
                    Val::Int(i) => q.bind(*i),
                    Val::Null => q.bind(None::<String>),
                    Val::NullInt => q.bind(None::<i64>),
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

//! Both backends, one schema: migrate SQLite and PostgreSQL and compare their
//! tables and columns (names and nullability).

use std::collections::BTreeMap;

use antq::config::DatabaseUrl;
use antq::db::Db;
use sqlx::Row;

use crate::support::{TestApp, pg_url};

type Columns = BTreeMap<String, BTreeMap<String, bool>>;

async fn sqlite_columns() -> Columns {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("s.db")))
        .await
        .unwrap();
    db.migrate().await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut out = Columns::new();
    for t in tables {
        let rows = sqlx::query(&format!(
            "SELECT name, \"notnull\" AS nn, pk FROM pragma_table_info('{t}')"
        ))
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let cols = rows
            .iter()
            .map(|r| {
                let nn: i64 = r.get("nn");
                let pk: i64 = r.get("pk");
                (r.get::<String, _>("name"), nn == 1 || pk > 0)
            })
            .collect();
        out.insert(t, cols);
    }
    out
}

async fn postgres_columns(db: &Db) -> Columns {
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c, is_nullable::text AS n FROM information_schema.columns \
         WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let mut out = Columns::new();
    for r in rows {
        out.entry(r.get("t"))
            .or_default()
            .insert(r.get("c"), r.get::<String, _>("n") == "NO");
    }
    out
}

#[tokio::test]
async fn sqlite_and_postgres_have_the_same_tables_and_columns() {
    let sqlite = sqlite_columns().await;
    assert!(sqlite.contains_key("villages") && sqlite.contains_key("audit_log"));
    if pg_url().is_none() {
        eprintln!("ANTQ_TEST_DATABASE_URL not set: PostgreSQL half of the schema comparison skipped");
        return;
    }
    let app = TestApp::new().await;
    let postgres = postgres_columns(&app.db).await;
    assert_eq!(sqlite, postgres);
}

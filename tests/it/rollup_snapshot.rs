//! The roll-up saved in the database (src/indicators/rollup/snapshot.rs): a
//! restart reads it and then the log after it, and gets the figures a load
//! from the records gets; a snapshot that cannot be trusted (other code,
//! damaged, the log after it pruned) is not read; the log is pruned only up
//! to a snapshot in force, and a prune past one deletes it.

use std::sync::Arc;

use antq::auth::Actor;
use antq::indicators::period::Period;
use antq::indicators::rollup::{Rollup, Started};
use antq::indicators::values_from_records;
use antq::units::{self, Unit};

use crate::rollup::{actor_at, periods, scope_of, unit};
use crate::support::TestApp;

/// `fresh` gives, for each unit, period and child, what the server's own
/// roll-up gives, and its totals are what the records count.
async fn assert_matches(
    app: &TestApp,
    fresh: &Arc<Rollup>,
    actor: &Actor,
    units: &[Unit],
    periods: &[Period],
) {
    for unit in units {
        let children: Vec<Unit> = units::children_on_map(&app.db, unit)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.path.starts_with(actor.scope_path.as_str()) || c.era == "legacy")
            .collect();
        let paths: Vec<String> = children.iter().map(|c| c.path.clone()).collect();
        let scope = scope_of(actor, unit);
        let got = fresh
            .figures(&app.db, &scope, &unit.path, &paths, periods)
            .await
            .unwrap()
            .expect("the fresh roll-up is ready");
        let want = app
            .db
            .rollup
            .figures(&app.db, &scope, &unit.path, &paths, periods)
            .await
            .unwrap()
            .unwrap();
        for ((g, w), p) in got.iter().zip(&want).zip(periods) {
            assert_eq!(g.total, w.total, "{} {} {}", unit.era, unit.code, p.label);
            assert_eq!(
                g.children, w.children,
                "{} {} {} children",
                unit.era, unit.code, p.label
            );
            let records = values_from_records(&app.db, &scope, p).await.unwrap();
            assert_eq!(g.total, records, "{} {} {} records", unit.era, unit.code, p.label);
        }
    }
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db.pool).await.unwrap()
}

async fn exec(app: &TestApp, sql: &str) {
    sqlx::query(sql).execute(&app.db.pool).await.unwrap();
}

/// Writes by hand after a snapshot: each is in the log the restart applies.
const LATER_WRITES: [&str; 5] = [
    "UPDATE activities SET attendance = attendance + 77 WHERE id IN (SELECT MIN(id) FROM activities WHERE kind = 'session')",
    "UPDATE tips SET received_on = '2023-02-03' WHERE id IN (SELECT MIN(id) FROM tips)",
    "DELETE FROM members WHERE id IN (SELECT MIN(id) FROM members)",
    "UPDATE villages SET active = 0 WHERE id IN (SELECT MAX(id) FROM villages)",
    "UPDATE teams SET dissolved_on = '2020-12-31' WHERE id IN (SELECT MIN(id) FROM teams)",
];

#[tokio::test]
async fn a_restart_reads_the_saved_rollup_then_the_log_after_it() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    // Saved while the demo's writes are still only in the log: the save
    // stands after what the roll-up had applied, and a restart applies the
    // rest.
    let saved = app.db.rollup.save(&app.db).await.unwrap().expect("saved");
    assert!(saved.bytes > 0);
    for sql in LATER_WRITES {
        exec(&app, sql).await;
    }
    let fresh = Arc::new(Rollup::default());
    match fresh.start(&app.db).await.unwrap() {
        Started::Snapshot { seq, applied, .. } => {
            assert_eq!(seq, saved.seq);
            assert!(applied > 0, "the demo's and the later writes come from the log");
        }
        other => panic!("read from the records: {other:?}"),
    }
    let nation = actor_at("VN", "/VN/");
    let lai_chau = actor_at("12", "/VN/12/");
    let some: Vec<Period> = [2020, 2023, 2025]
        .into_iter()
        .filter_map(Period::year)
        .chain(Period::phase(2013, 2023))
        .collect();
    assert_matches(&app, &fresh, &nation, &[unit(&app, "current", "VN").await], &some).await;
    assert_matches(&app, &fresh, &nation, &[unit(&app, "legacy", "VN").await], &some).await;
    let province = [
        unit(&app, "current", "12").await,
        unit(&app, "current", "03583").await,
    ];
    assert_matches(&app, &fresh, &lai_chau, &province, &periods()).await;
    assert_matches(
        &app,
        &fresh,
        &lai_chau,
        &[unit(&app, "legacy", "12").await],
        &periods(),
    )
    .await;

    // Saved again by the restarted roll-up: one generation is kept, and
    // a third start finds nothing left to apply.
    let again = fresh.save(&app.db).await.unwrap().expect("saved");
    assert!(again.seq > saved.seq);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM rollup_snapshots").await, 1);
    let parts = "SELECT COUNT(DISTINCT generation) FROM rollup_snapshot_parts";
    assert_eq!(scalar(&app, parts).await, 1);
    let third = Arc::new(Rollup::default());
    let how = third.start(&app.db).await.unwrap();
    assert_eq!(
        how,
        Started::Snapshot {
            seq: again.seq,
            bytes: again.bytes,
            applied: 0
        }
    );
    assert_matches(&app, &third, &lai_chau, &province, &periods()).await;
}

#[tokio::test]
async fn a_snapshot_that_cannot_be_trusted_is_not_read() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let lai_chau = actor_at("12", "/VN/12/");
    let province = [unit(&app, "current", "12").await];
    let some: Vec<Period> = [2023, 2025].into_iter().filter_map(Period::year).collect();
    // Written by other roll-up code or on another schema.
    let saved = app.db.rollup.save(&app.db).await.unwrap().unwrap();
    exec(&app, "UPDATE rollup_snapshots SET format = 'other-code'").await;
    let fresh = Arc::new(Rollup::default());
    match fresh.start(&app.db).await.unwrap() {
        Started::Records { why } => assert!(why.contains("other code"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_matches(&app, &fresh, &lai_chau, &province, &some).await;

    // A part damaged: the checksum says so.
    app.db.rollup.save(&app.db).await.unwrap().unwrap();
    let damage = match app.db.backend {
        antq::db::Backend::Sqlite => {
            "UPDATE rollup_snapshot_parts SET data = CAST(zeroblob(LENGTH(data)) AS BLOB)"
        }
        antq::db::Backend::Postgres => {
            "UPDATE rollup_snapshot_parts SET data = decode(repeat('00', length(data)), 'hex')"
        }
    };
    exec(&app, damage).await;
    let fresh = Arc::new(Rollup::default());
    match fresh.start(&app.db).await.unwrap() {
        Started::Records { why } => assert!(why.contains("damaged"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_matches(&app, &fresh, &lai_chau, &province, &some).await;

    // The log entry it stands after pruned (by hand): entries after it may
    // be gone too.
    exec(&app, LATER_WRITES[0]).await;
    app.db.rollup.refresh(&app.db).await.unwrap();
    let saved_after = app.db.rollup.save(&app.db).await.unwrap().unwrap();
    assert!(saved_after.seq > saved.seq);
    exec(
        &app,
        &format!("DELETE FROM figure_changes WHERE seq <= {}", saved_after.seq),
    )
    .await;
    let fresh = Arc::new(Rollup::default());
    match fresh.start(&app.db).await.unwrap() {
        Started::Records { why } => assert!(why.contains("no longer in the log"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_matches(&app, &fresh, &lai_chau, &province, &some).await;
}

#[tokio::test]
async fn the_log_is_pruned_only_up_to_the_snapshot_in_force() {
    let app = TestApp::new().await;
    antq::demo::load(&app.db).await.unwrap();
    let server = Arc::new(Rollup::default());
    server.start(&app.db).await.unwrap();
    let saved = server.save(&app.db).await.unwrap().unwrap();
    // More entries than a prune waits for (tables the roll-up ignores).
    let many = "INSERT INTO figure_changes (tbl, row_id) \
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) SELECT 'none', i FROM n";
    exec(&app, many).await;
    server.refresh(&app.db).await.unwrap();
    let after = format!("SELECT COUNT(*) FROM figure_changes WHERE seq > {}", saved.seq);
    assert_eq!(scalar(&app, &after).await, 6000, "kept: the snapshot needs them");
    assert!(matches!(
        Arc::new(Rollup::default()).start(&app.db).await.unwrap(),
        Started::Snapshot { .. }
    ));

    // A roll-up that saves no snapshots (the tests' own, loaded from the
    // records) prunes up to what it applied, and the snapshot with it.
    app.db.rollup.refresh(&app.db).await.unwrap();
    assert!(scalar(&app, &after).await < 6000);
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM rollup_snapshots").await, 0);
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM rollup_snapshot_parts").await,
        0
    );
    match Arc::new(Rollup::default()).start(&app.db).await.unwrap() {
        Started::Records { why } => assert_eq!(why, "no snapshot saved"),
        other => panic!("{other:?}"),
    }
}

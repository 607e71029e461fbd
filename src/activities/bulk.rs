//! An import's new activities, written many at a time. Each row is checked
//! by the same [`parse`](super::parse) as a record entered on the form, with
//! its unit, village and pre-2025 unit looked up in memory (the unit
//! directory; [`Villages`] read a thousand at a time), then the rows are
//! written hundreds per statement. One row at a time, an import spent ~0,4 ms a
//! row on a dozen statements.
//!
//! **Audit.** The rows are audited per unit, not per row: one entry
//! `activity.import` for each unit an import wrote new records at, scoped
//! to that unit, naming how many and their ids (`after_json`:
//! `{"created": n, "ids": [...]}`). What a new row holds is the row itself
//! (a later change is audited with its values before), so nothing is lost;
//! an entry of a row's full JSON would triple what a million-row import
//! writes (~650 bytes a row) and bury the audit pages under a million lines.
//!
//! Only kinds whose record is one row with no side effect go this way
//! (outreach sessions, conferences, mediation cases). A campaign also
//! writes the units it covered, a drug-free decision must be the only one
//! of its year and a key-area decision moves its village's flag: those go
//! through [`create_in_tx`](super::create_in_tx), row by row, audited as
//! any record.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::json;

use super::places::VillageRow;
use super::{Activity, ActivityDraft, Input, Villages, province_of};
use crate::audit::{self, Change};
use crate::auth::Actor;
use crate::db::bulk::{NativeInsert, NativeRows, Val, insert_bound, next_ids};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Result};
use crate::text::format_int;
use crate::units::Unit;
use crate::units::directory::Directory;

/// Kinds written by [`NewActivities`].
pub(crate) fn written_in_bulk(kind: Option<&str>) -> bool {
    matches!(kind.map(str::trim), Some("session" | "conference" | "mediation"))
}

/// Checked rows waiting to be written, and the ids written so far by unit.
pub(crate) struct NewActivities {
    pub villages: Villages,
    pending: Vec<(&'static str, Arc<Unit>, Input)>,
    /// Unit code → the unit, found and authorised at its first row
    /// ([`super::checked`]).
    units: HashMap<String, Arc<Unit>>,
    /// Unit code → (name, path, ids written), for the audit entries.
    written: BTreeMap<String, (String, String, Vec<i64>)>,
}

const COLUMNS: [&str; 22] = [
    "id",
    "kind",
    "unit_code",
    "province_code",
    "village_id",
    "scope_path",
    "legacy_code",
    "legacy_name",
    "legacy_path",
    "held_on",
    "ends_on",
    "period_from",
    "period_to",
    "year",
    "title",
    "subtype",
    "level",
    "attendance",
    "decision_ref",
    "note",
    "created_at",
    "updated_at",
];

const INTEGER_COLUMNS: [&str; 6] = [
    "id",
    "village_id",
    "period_from",
    "period_to",
    "year",
    "attendance",
];

/// The values of a new record's row, in [`COLUMNS`]' order. `id` may be
/// NULL, for SQLite to choose.
pub(crate) fn values(
    id: Val,
    kind: &str,
    unit: &Unit,
    input: Input,
    village: Option<&VillageRow>,
    dir: &Directory,
    ts: &str,
) -> Vec<Val> {
    // Exactly as the activities_legacy trigger derives it (migration
    // 0007): the old unit named, else the village's, else the unit's home.
    // Left NULL, the trigger would derive it with an UPDATE a row; the
    // fast lane (pipelined.rs) suspends the trigger and relies on this.
    let legacy_path = input
        .legacy
        .as_ref()
        .and_then(|(code, _)| dir.get("legacy", code).map(|u| u.path.clone()))
        .or_else(|| village.and_then(|v| v.legacy_path.clone()))
        .or_else(|| dir.legacy_home(&unit.code).map(str::to_string));
    let (legacy_code, legacy_name) = input.legacy.map_or((None, None), |(c, n)| (Some(c), Some(n)));
    let int = |v: Option<i64>| v.map_or(Val::NullInt, Val::Int);
    vec![
        id,
        Val::from(kind),
        Val::from(unit.code.as_str()),
        Val::from(province_of(unit)),
        int(input.village_id),
        Val::from(unit.path.as_str()),
        legacy_code.into(),
        legacy_name.into(),
        legacy_path.into(),
        Val::from(input.held_on),
        input.ends_on.into(),
        int(input.period_from),
        int(input.period_to),
        int(input.year),
        Val::from(input.title),
        Val::from(input.subtype),
        Val::from(input.level),
        int(input.attendance),
        Val::from(input.decision_ref),
        Val::from(input.note),
        Val::from(ts),
        Val::from(ts),
    ]
}

/// The INSERT of one new record's [`values`], numbered as sqlx writes
/// parameters (`$1`…), returning the record as JSON.
pub(crate) static INSERT_ONE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let params: Vec<String> = (1..=COLUMNS.len()).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO activities ({}) VALUES ({}) RETURNING {}",
        COLUMNS.join(", "),
        params.join(", "),
        *super::RETURNING_JSON
    )
});

/// Writes one new record through a transaction of
/// [`Db::begin_native`](crate::db::Db::begin_native) and reads it back
/// from its INSERT.
pub(crate) fn insert_one(
    tx: &Tx,
    kind: &str,
    unit: &Unit,
    input: Input,
    village: Option<&VillageRow>,
    dir: &Directory,
) -> Result<Activity> {
    let conn = tx
        .native()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("insert_one: not a native write transaction")))?;
    let row = values(Val::NullInt, kind, unit, input, village, dir, &now());
    let json: String = conn
        .prepare_cached(&INSERT_ONE)
        .and_then(|mut statement| statement.query_row(rusqlite::params_from_iter(&row), |r| r.get(0)))
        .map_err(crate::db::native::failed)?;
    let mut a = Activity::from_json(&json)?;
    // Not part of the JSON (an export does not show it).
    a.scope_path = unit.path.clone();
    Ok(a)
}

impl NewActivities {
    pub fn new() -> NewActivities {
        NewActivities {
            villages: Villages::default(),
            pending: Vec::new(),
            units: HashMap::new(),
            written: BTreeMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    /// Checks one row as [`create_in_tx`](super::create_in_tx) would and
    /// keeps it for [`write`](Self::write); a refusal names the field.
    pub async fn check(
        &mut self,
        tx: &mut Tx,
        actor: &Actor,
        unit_code: &str,
        d: &ActivityDraft,
    ) -> Result<()> {
        let (kind, unit, input) =
            super::checked(tx, &mut self.villages, &mut self.units, actor, unit_code, d).await?;
        self.pending.push((kind, unit, input));
        Ok(())
    }

    /// Writes the rows checked so far; returns how many.
    pub async fn write(&mut self, db: &Db, tx: &mut Tx) -> Result<usize> {
        let ids = next_ids(tx, db.backend, "activities", self.pending.len()).await?;
        let dir = crate::units::directory::directory(db).await?;
        let rows = self.rows(&dir, ids);
        insert_bound(tx, db.backend, "activities", &COLUMNS, &INTEGER_COLUMNS, &rows).await?;
        Ok(rows.len())
    }

    /// The rows checked so far, taken to be written (in [`COLUMNS`]' order,
    /// numbered from `ids` in the order they are to be written), and noted
    /// for the audit.
    pub fn rows(&mut self, dir: &Directory, ids: impl IntoIterator<Item = i64>) -> Vec<Vec<Val>> {
        let pending = std::mem::take(&mut self.pending);
        // In the order of the activities_scope index (kind, place, date):
        // consecutive rows then land on the same pages of the indexes, where
        // in file order each row touched pages of its own (a national file
        // wrote ~40 µs a row that way). Numbered in that order too, so the
        // table itself is written at its end. The positions are sorted, not
        // the rows: a row is hundreds of bytes to move.
        let mut order: Vec<usize> = (0..pending.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&pending[a], &pending[b]);
            // Rows of one unit share it: no need to compare its path.
            let place = if Arc::ptr_eq(&a.1, &b.1) {
                std::cmp::Ordering::Equal
            } else {
                a.1.path.cmp(&b.1.path)
            };
            a.0.cmp(b.0)
                .then(place)
                .then_with(|| a.2.held_on.cmp(&b.2.held_on))
        });
        let mut pending: Vec<Option<_>> = pending.into_iter().map(Some).collect();
        let ts = now();
        let mut rows = Vec::with_capacity(pending.len());
        let sorted = order.into_iter().filter_map(|i| pending[i].take());
        for ((kind, unit, input), id) in sorted.zip(ids) {
            let village = input.village_id.and_then(|v| self.villages.get(v));
            rows.push(values(Val::Int(id), kind, &unit, input, village, dir, &ts));
            self.written
                .entry(unit.code.clone())
                .or_insert_with(|| (unit.name.clone(), unit.path.clone(), Vec::new()))
                .2
                .push(id);
        }
        rows
    }

    /// `rows` (of [`rows`](Self::rows)) made ready for
    /// [`inserter`](Self::inserter).
    pub fn native_rows(rows: Vec<Vec<Val>>) -> Result<NativeRows> {
        NativeRows::new(rows, COLUMNS.len())
    }

    /// What writes rows through a native write transaction's connection.
    pub fn inserter(conn: &rusqlite::Connection) -> NativeInsert<'_> {
        NativeInsert::new(conn, "activities", &COLUMNS)
    }

    /// The audit entries of everything written (see the module's comment),
    /// in the import's transaction, before it commits.
    pub async fn audit(self, db: &Db, tx: &mut Tx, actor: &Actor) -> Result<()> {
        audit::record_many(tx, db.backend, actor, self.changes()).await
    }

    /// The audit entries of everything written: one per unit.
    pub fn changes(self) -> Vec<Change> {
        self.written
            .into_values()
            .map(|(name, path, ids)| {
                let (first, last) = (ids.iter().min().copied(), ids.iter().max().copied());
                Change {
                    action: "activity.import",
                    target_kind: "activity",
                    target_id: match (first, last) {
                        (Some(a), Some(b)) if a != b => format!("{a}–{b}"),
                        (Some(a), _) => a.to_string(),
                        _ => String::new(),
                    },
                    target_label: format!("{} hoạt động mới – {name}", format_int(ids.len() as i64)),
                    scope_path: path,
                    before: None,
                    after: Some(json!({ "created": ids.len(), "ids": ids })),
                }
            })
            .collect()
    }
}

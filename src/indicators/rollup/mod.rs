//! The roll-up: every indicator of every commune-sized place, by month (or
//! year), held in memory and kept current as records are written, so that
//! a dashboard of the nation adds up a few thousand small series instead
//! of scanning millions of rows.
//!
//! **Leaves.** A record lies at its unit of today (`scope_path`) and at its
//! place on the pre-2025 map (`legacy_path`); each distinct pair is a leaf
//! (13.800 in the national dataset of `antq gen`). A leaf keeps sorted series: monthly
//! flows (sessions, attendance, tips…), yearly figures (registrations,
//! recognitions) and spans of years (model points, teams, members, kept as
//! differences: +1 in the first year, −1 after the last). A unit's figure
//! is the sum over the leaves whose path (on the map counted) lies in its
//! subtree and, on the old map, whose path of today lies in the reader's
//! scope — the same two prefixes `Scope::like` gives the SQL.
//!
//! **Kept current.** Triggers (migration 0008) log the table and id of
//! every insert, update and delete. Before each read the roll-up asks for
//! the log's last entry; if it has not seen it, it re-reads the logged
//! rows, takes back what each added before (kept per row) and adds what it
//! adds now. A write that has committed is therefore in the next read's
//! figures (read-your-write), whoever wrote it, through the API, an import
//! or SQL by hand.
//!
//! **Saved.** `serve` saves the roll-up in the database (snapshot.rs)
//! after reading it from the records and again once enough of the log has
//! been applied since; a restart reads the snapshot and applies only the
//! log after it, and the log is pruned only up to the snapshot saved.
//!
//! **When it is not used.** Until its first load has finished (it loads in
//! the background at start, so the server answers at once), and for a date
//! range that does not begin and end on a month's edge, figures are counted
//! from the records (indicators::values_from_records), as they always were.

pub mod facts;
mod load;
mod log_check;
mod logged;
mod slots;
mod snapshot;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant};

use sqlx::Row;
use tokio::sync::{Mutex, RwLock};

use slots::{EMPTY, Kept, Slots};

use super::CATALOGUE;
use super::period::Period;
use crate::auth::Scope;
use crate::db::Db;
use crate::error::Result;
use facts::{Series, TABLES, Table, m, r, y};

/// Applied log entries are deleted once this many have gathered.
const PRUNE_AFTER: i64 = 5_000;
/// A new snapshot is saved once the log entries applied since the last
/// have named this many rows (a restart then re-reads at most about this
/// many rows beyond the snapshot: a second or so at national scale)…
const SAVE_AFTER: i64 = 50_000;
/// …but not more often than this: a save encodes the whole roll-up.
const SAVE_EVERY: Duration = Duration::from_secs(60);

#[derive(Clone, Default)]
struct Leaf {
    scope: Box<str>,
    legacy: Box<str>,
    /// Ids of the commune this leaf names on each map (for distinct
    /// counts); on the old map `NO_COMMUNE` when its old path is a district's
    /// or a province's.
    commune_now: u32,
    commune_then: u32,
    /// (month since 1900, values), sorted by month.
    monthly: Vec<(u16, [i32; m::COUNT])>,
    /// The same flows by year, so a period of whole years reads one entry
    /// a year instead of twelve.
    flows_yearly: Vec<(u16, [i32; m::COUNT])>,
    /// (year, values), sorted by year.
    yearly: Vec<(u16, [i32; y::COUNT])>,
    /// (year, change from the year before), sorted by year.
    spans: Vec<(u16, [i32; r::COUNT])>,
}

const NO_COMMUNE: u32 = u32::MAX;
/// Figures kept for repeated reads while nothing changes.
const CACHED: usize = 512;

#[derive(Clone)]
struct Campaign {
    month: u16,
    /// The running unit's leaf, then the places of the units covered: the
    /// path today '|' the path of its home before 2025 ([`logged::covered_sql`]).
    leaf: u32,
    covered: Vec<Box<str>>,
}

#[derive(Clone, Default)]
struct State {
    /// Shared as [`Dense`]'s blocks are, for the same reason.
    leaves: Vec<Arc<Leaf>>,
    /// Leaf indices sorted by today's path and by the old path: a unit's
    /// leaves are one run of each, so a commune's dashboard adds up its own
    /// few leaves instead of testing all 13.800 (see [`under`]).
    by_scope: Vec<u32>,
    by_legacy: Vec<u32>,
    /// Leaf by place (today's path '|' the old one).
    index: HashMap<Box<str>, u32>,
    /// Commune ids by path, for [`Leaf::commune_now`] and `commune_then`.
    communes: HashMap<Box<str>, u32>,
    /// Per table, what each row added.
    kept: Vec<Slots>,
    campaigns: HashMap<i64, Campaign>,
}

/// The roll-up of one database; shared by every clone of [`Db`].
#[derive(Default)]
pub struct Rollup {
    ready: AtomicBool,
    /// The last log entry applied.
    applied: AtomicI64,
    pruned: AtomicI64,
    /// One refresh at a time; readers wait for it, so none reads figures
    /// older than a write that committed before the read began.
    gate: Mutex<()>,
    state: RwLock<State>,
    /// Results of reads since the last change applied (emptied by each
    /// refresh that applies one): a dashboard asked for again is answered
    /// without adding up the leaves.
    cache: std::sync::Mutex<HashMap<String, Figures>>,
    /// Whole responses built from the figures (a dashboard's JSON), with
    /// the count of changes applied they were built at (see
    /// [`Rollup::keep_response`]); emptied with `cache`.
    responses: std::sync::Mutex<Responses>,
    log_check: log_check::LogCheck,
    /// SQLite: the read-only connection refreshes read the log's rows on
    /// (rollup/logged.rs), kept between them.
    native: Arc<std::sync::Mutex<Option<rusqlite::Connection>>>,
    /// Snapshots are saved (set by [`Rollup::start`], as `serve` does):
    /// the log is then pruned only up to `saved`, the seq of the last one.
    snapshots: AtomicBool,
    saved: AtomicI64,
    /// Rows named by the log entries applied by this process (an entry may
    /// name a run, migration 0013), and how many of them the last snapshot
    /// saved held: what decides when the next is due (seqs are no count,
    /// since `antq gen` empties the log but its numbering goes on, and an
    /// import's entry names thousands of rows).
    entries: AtomicI64,
    entries_saved: AtomicI64,
    saving: AtomicBool,
    saved_at: std::sync::Mutex<Option<Instant>>,
}

#[derive(Default)]
struct Responses {
    /// Bumped by every change applied, under the same lock as the map.
    changes: u64,
    map: HashMap<String, axum::body::Bytes>,
}

/// How [`Rollup::start`] found the roll-up.
#[derive(Debug, PartialEq, Eq)]
pub enum Started {
    /// Read from the records (no usable snapshot: `why`).
    Records { why: String },
    /// Read from the snapshot after log entry `seq`, then the `applied` log
    /// entries written after it.
    Snapshot { seq: i64, bytes: i64, applied: i64 },
}

/// A snapshot written by [`Rollup::save`].
#[derive(Debug)]
pub struct SavedSnapshot {
    pub seq: i64,
    pub bytes: i64,
    pub millis: u128,
}

fn series_add<const N: usize>(list: &mut Vec<(u16, [i32; N])>, at: u16, index: u8, v: i32) {
    let i = list.partition_point(|(k, _)| *k < at);
    if list.get(i).map(|(k, _)| *k) != Some(at) {
        list.insert(i, (at, [0; N]));
    }
    if let Some(cell) = list
        .get_mut(i)
        .and_then(|(_, vals)| vals.get_mut(usize::from(index)))
    {
        *cell += v;
    }
}

impl State {
    fn leaf(&mut self, place: &str) -> u32 {
        if let Some(i) = self.index.get(place) {
            return *i;
        }
        let i = self.leaves.len() as u32;
        let (scope, legacy) = place.split_once('|').unwrap_or((place, ""));
        let commune_now = self.commune_id(scope);
        // An old path names a commune at depth five ('/VN/01/001/00001/').
        let commune_then = if legacy.matches('/').count() == 5 {
            self.commune_id(legacy)
        } else {
            NO_COMMUNE
        };
        self.leaves.push(Arc::new(Leaf {
            scope: scope.into(),
            legacy: legacy.into(),
            commune_now,
            commune_then,
            ..Leaf::default()
        }));
        self.index.insert(place.into(), i);
        // After its equals, as the stable sort of [`State::sort_leaves`] puts it.
        let leaves = &self.leaves;
        let at = self.by_scope.partition_point(|&j| scope_of(leaves, j) <= scope);
        self.by_scope.insert(at, i);
        let at = self
            .by_legacy
            .partition_point(|&j| legacy_of(leaves, j) <= legacy);
        self.by_legacy.insert(at, i);
        i
    }

    /// Rebuilds [`State::by_scope`] and `by_legacy` (after reading a
    /// snapshot, which holds the leaves only).
    fn sort_leaves(&mut self) {
        let leaves = &self.leaves;
        let all = 0..u32::try_from(leaves.len()).unwrap_or(u32::MAX);
        self.by_scope = all.clone().collect();
        self.by_scope
            .sort_by(|a, b| scope_of(leaves, *a).cmp(scope_of(leaves, *b)));
        self.by_legacy = all.collect();
        self.by_legacy
            .sort_by(|a, b| legacy_of(leaves, *a).cmp(legacy_of(leaves, *b)));
    }

    fn commune_id(&mut self, path: &str) -> u32 {
        let next = self.communes.len() as u32;
        *self.communes.entry(path.into()).or_insert(next)
    }

    fn apply(&mut self, kept: Kept, sign: i32) {
        let Some(leaf) = self.leaves.get_mut(kept.leaf as usize).map(Arc::make_mut) else {
            return;
        };
        let add = kept.add;
        let second = (add.i1 != facts::NONE).then_some((add.i1, add.v1));
        for (index, v) in std::iter::once((add.i0, add.v0)).chain(second) {
            let v = v * sign;
            match add.series {
                Series::Monthly => {
                    series_add(&mut leaf.monthly, add.a, index, v);
                    series_add(&mut leaf.flows_yearly, 1900 + add.a / 12, index, v);
                }
                Series::Yearly => series_add(&mut leaf.yearly, add.a, index, v),
                Series::Years => {
                    series_add(&mut leaf.spans, add.a, index, v);
                    if add.b != u16::MAX {
                        series_add(&mut leaf.spans, add.b + 1, index, -v);
                    }
                }
            }
        }
    }

    /// Replaces what the row added with what it adds now (`None`: the row
    /// is gone).
    fn replace(&mut self, table: Table, id: i64, fact: Option<facts::Fact>) {
        let t = table.index();
        if let Some(old) = self.kept.get_mut(t).and_then(|k| k.take(id)) {
            self.apply(old, -1);
        }
        if table == Table::Activities {
            self.campaigns.remove(&id);
        }
        let Some(fact) = fact else { return };
        if fact.add.is_none() && fact.campaign_month.is_none() {
            return;
        }
        let leaf = self.leaf(&fact.place);
        if let Some(add) = fact.add {
            let kept = Kept { leaf, add };
            self.apply(kept, 1);
            if let Some(k) = self.kept.get_mut(t) {
                k.put(id, kept);
            }
        }
        if let Some(month) = fact.campaign_month {
            self.campaigns.insert(
                id,
                Campaign {
                    month,
                    leaf,
                    covered: Vec::new(),
                },
            );
        }
    }
}

impl State {
    /// One pass over the leaves for every window (see [`Rollup::figures`]).
    fn add_up(
        &self,
        scope: &Scope,
        unit_path: &str,
        child_paths: &[String],
        windows: &[Window],
    ) -> Vec<Figures> {
        let l = layout();
        let n = CATALOGUE.len();
        let legacy = scope.legacy_prefix();
        let prefix = scope.prefix();
        let children: HashMap<&str, usize> = child_paths
            .iter()
            .enumerate()
            .map(|(i, c)| (c.as_str(), i))
            .collect();
        let mut out: Vec<Figures> = windows
            .iter()
            .map(|_| Figures {
                total: vec![0; n],
                children: vec![vec![0; n]; child_paths.len()],
            })
            .collect();
        // Communes with villages registered, each counted once: a commune
        // lies in one child only, so one mark serves the unit and the child.
        let mut seen: Vec<Vec<bool>> = windows.iter().map(|_| vec![false; self.communes.len()]).collect();
        let mut one = vec![0i64; n];
        let candidates = match legacy {
            Some(old) => under(&self.by_legacy, &self.leaves, old, legacy_of),
            None => under(&self.by_scope, &self.leaves, prefix, scope_of),
        };
        for leaf in candidates.iter().filter_map(|&i| self.leaves.get(i as usize)) {
            if !leaf.scope.starts_with(prefix) {
                continue;
            }
            let (on_map, commune): (&str, u32) = match legacy {
                Some(old) if !leaf.legacy.starts_with(old) => continue,
                Some(_) => (&leaf.legacy, leaf.commune_then),
                None => (&leaf.scope, leaf.commune_now),
            };
            let child = child_of(on_map, unit_path, &children);
            for ((w, f), seen) in windows.iter().zip(out.iter_mut()).zip(seen.iter_mut()) {
                one.iter_mut().for_each(|v| *v = 0);
                leaf.add_into(w, l, &mut one);
                for (t, v) in f.total.iter_mut().zip(&one) {
                    *t += v;
                }
                if let Some(c) = child.and_then(|c| f.children.get_mut(c)) {
                    for (t, v) in c.iter_mut().zip(&one) {
                        *t += v;
                    }
                }
                let first = seen.get_mut(commune as usize).filter(|s| !**s);
                if let Some(mark) = first.filter(|_| leaf.registered_villages(w.last_year) > 0) {
                    *mark = true;
                    f.total[l.communes] += 1;
                    if let Some(c) = child.and_then(|c| f.children.get_mut(c)) {
                        c[l.communes] += 1;
                    }
                }
            }
        }
        // Campaigns: once for each unit that ran or was covered by one.
        for c in self.campaigns.values() {
            let Some(leaf) = self.leaves.get(c.leaf as usize) else {
                continue;
            };
            // Each unit as (today's path, its path before 2025); the reader's
            // scope is on the first, the old unit's subtree on the second.
            let places = std::iter::once((&*leaf.scope, &*leaf.legacy)).chain(
                c.covered
                    .iter()
                    .map(|place| place.split_once('|').unwrap_or((place, ""))),
            );
            let paths: Vec<&str> = places
                .filter(|(now, _)| now.starts_with(prefix))
                .filter_map(|(now, then)| match legacy {
                    Some(old) => Some(then).filter(|t| t.starts_with(old)),
                    None => Some(now),
                })
                .collect();
            if paths.is_empty() {
                continue;
            }
            let mut hit: Vec<usize> = paths
                .iter()
                .filter_map(|p| child_of(p, unit_path, &children))
                .collect();
            hit.sort_unstable();
            hit.dedup();
            for (w, f) in windows.iter().zip(out.iter_mut()) {
                if c.month < w.months.0 || c.month > w.months.1 {
                    continue;
                }
                f.total[l.campaigns] += 1;
                for i in &hit {
                    f.children[*i][l.campaigns] += 1;
                }
            }
        }
        out
    }
}

/// The figures of a unit and of its child units, in catalogue order.
#[derive(Clone)]
pub struct Figures {
    pub total: Vec<i64>,
    pub children: Vec<Vec<i64>>,
}

/// The buckets a period reads.
struct Window {
    months: (u16, u16),
    years: (u16, u16),
    last_year: u16,
    /// From 1 January to 31 December: flows are read by year.
    whole_years: bool,
}

impl Window {
    /// `None` when the period does not begin on a month's first day and end
    /// on its last (the records are counted then).
    fn of(p: &Period) -> Option<Window> {
        let from = time::Date::parse(&p.from, &time::format_description::well_known::Iso8601::DATE).ok()?;
        let to = time::Date::parse(&p.to, &time::format_description::well_known::Iso8601::DATE).ok()?;
        if from.day() != 1 || to.next_day().map(|d| d.day()) != Some(1) {
            return None;
        }
        let years = (u16::try_from(from.year()).ok()?, u16::try_from(to.year()).ok()?);
        Some(Window {
            months: (facts::month(&p.from)?, facts::month(&p.to)?),
            years,
            last_year: years.1,
            whole_years: from.month() == time::Month::January && to.month() == time::Month::December,
        })
    }
}

/// Where each series lands in the catalogue's order.
struct Layout {
    monthly: [usize; m::COUNT],
    yearly: [usize; y::COUNT],
    spans: [usize; r::COUNT],
    campaigns: usize,
    communes: usize,
}

fn position(code: &str) -> usize {
    CATALOGUE.iter().position(|i| i.code == code).unwrap_or(0)
}

fn layout() -> &'static Layout {
    static LAYOUT: std::sync::OnceLock<Layout> = std::sync::OnceLock::new();
    LAYOUT.get_or_init(|| Layout {
        monthly: m::CODES.map(position),
        yearly: y::CODES.map(position),
        spans: r::CODES.map(position),
        campaigns: position(facts::CAMPAIGNS_CODE),
        communes: position(facts::COMMUNES_WITH_VILLAGES_CODE),
    })
}

impl Leaf {
    /// This leaf's figures over the window, added into `out`.
    fn add_into(&self, w: &Window, l: &Layout, out: &mut [i64]) {
        let (flows, range) = if w.whole_years {
            (&self.flows_yearly, w.years)
        } else {
            (&self.monthly, w.months)
        };
        let start = flows.partition_point(|(k, _)| *k < range.0);
        for (k, vals) in &flows[start..] {
            if *k > range.1 {
                break;
            }
            for (i, v) in vals.iter().enumerate() {
                out[l.monthly[i]] += i64::from(*v);
            }
        }
        let start = self.yearly.partition_point(|(k, _)| *k < w.years.0);
        for (k, vals) in &self.yearly[start..] {
            if *k > w.years.1 {
                break;
            }
            out[l.yearly[usize::from(y::DRUG_FREE)]] += i64::from(vals[usize::from(y::DRUG_FREE)]);
            if *k == w.last_year {
                for (i, v) in vals.iter().enumerate().skip(1) {
                    out[l.yearly[i]] += i64::from(*v);
                }
            }
        }
        for (k, vals) in &self.spans {
            if *k > w.last_year {
                break;
            }
            for (i, v) in vals.iter().enumerate() {
                out[l.spans[i]] += i64::from(*v);
            }
        }
    }

    fn registered_villages(&self, year: u16) -> i32 {
        let i = self.yearly.partition_point(|(k, _)| *k < year);
        match self.yearly.get(i) {
            Some((k, vals)) if *k == year => vals[usize::from(y::VILLAGES_REGISTERED)],
            _ => 0,
        }
    }
}

fn scope_of(leaves: &[Arc<Leaf>], i: u32) -> &str {
    leaves.get(i as usize).map_or("", |l| &l.scope)
}

fn legacy_of(leaves: &[Arc<Leaf>], i: u32) -> &str {
    leaves.get(i as usize).map_or("", |l| &l.legacy)
}

/// The run of `order` (leaf indices sorted on `key`) whose key starts with
/// `prefix`: every path in a subtree starts with the subtree's path, and
/// sorted text puts all of them together, right from the prefix on.
fn under<'a>(
    order: &'a [u32],
    leaves: &[Arc<Leaf>],
    prefix: &str,
    key: fn(&[Arc<Leaf>], u32) -> &str,
) -> &'a [u32] {
    let start = order.partition_point(|&i| key(leaves, i) < prefix);
    let rest = order.get(start..).unwrap_or_default();
    let len = rest.partition_point(|&i| key(leaves, i).starts_with(prefix));
    rest.get(..len).unwrap_or_default()
}

/// The child (by index) whose subtree holds `path`, for children one level
/// below `parent`.
fn child_of(path: &str, parent: &str, children: &HashMap<&str, usize>) -> Option<usize> {
    let rest = path.strip_prefix(parent)?;
    let end = rest.find('/')?;
    children.get(&path[..parent.len() + end + 1]).copied()
}

impl Rollup {
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Reads every counted record. The log's last entry is taken first, so
    /// a write committed during the load is applied by the next refresh
    /// (re-reading a row already read changes nothing).
    pub async fn load(&self, db: &Db) -> Result<()> {
        let _gate = self.gate.lock().await;
        let last = log_check::last_logged(db).await?;
        let mut state = State {
            kept: TABLES.iter().map(|_| Slots::default()).collect(),
            ..State::default()
        };
        for table in TABLES {
            let started = std::time::Instant::now();
            state = match &db.sqlite {
                Some(file) => load::native(file, table, state).await?,
                None => load::pooled(db, table, state).await?,
            };
            tracing::info!(
                "roll-up: {} read in {} ms",
                table.name(),
                started.elapsed().as_millis()
            );
        }
        covered_units(db, &mut state, None).await?;
        *self.state.write().await = state;
        self.forget();
        self.applied.store(last, Ordering::Release);
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// The roll-up of a server: from the newest snapshot when there is a
    /// usable one (then the log after it), else from the records; from now
    /// on snapshots are saved as the log is applied (see [`Rollup::save`]).
    pub async fn start(self: &Arc<Self>, db: &Db) -> Result<Started> {
        self.snapshots.store(true, Ordering::Release);
        let why = match snapshot::read(db).await {
            Ok(Ok((state, saved))) => {
                {
                    let _gate = self.gate.lock().await;
                    *self.state.write().await = state;
                    self.forget();
                    self.applied.store(saved.seq, Ordering::Release);
                    self.saved.store(saved.seq, Ordering::Release);
                    self.ready.store(true, Ordering::Release);
                }
                if let Ok(mut at) = self.saved_at.lock() {
                    *at = Some(Instant::now());
                }
                self.refresh(db).await?;
                return Ok(Started::Snapshot {
                    seq: saved.seq,
                    bytes: saved.bytes,
                    applied: self.entries.load(Ordering::Acquire),
                });
            }
            Ok(Err(why)) => why,
            Err(e) => format!("snapshot not read: {e}"),
        };
        self.load(db).await?;
        Ok(Started::Records { why })
    }

    /// Saves the roll-up as it stands as the newest snapshot. The state is
    /// copied under the read lock, with the seq applied read under it too:
    /// `applied` is stored after the state it names, so the seq saved is at
    /// most the state's; re-applying a log entry changes nothing, so a
    /// snapshot a little behind its state is still exact. `None`: not
    /// loaded yet, or another save is running.
    pub async fn save(&self, db: &Db) -> Result<Option<SavedSnapshot>> {
        if !self.is_ready() || self.saving.swap(true, Ordering::AcqRel) {
            return Ok(None);
        }
        let started = Instant::now();
        let done = async {
            // The copy shares the slots' blocks and the leaves (copy on
            // write), so the lock is held for a few milliseconds; encoding
            // it held the lock ~0,5 s at national scale, and every refresh,
            // hence every read after a write, waited behind it.
            let (copy, seq, entries) = {
                let state = self.state.read().await;
                (
                    state.clone(),
                    self.applied.load(Ordering::Acquire),
                    self.entries.load(Ordering::Acquire),
                )
            };
            let bytes = tokio::task::spawn_blocking(move || snapshot::encode(&copy))
                .await
                .map_err(|e| crate::error::AppError::Internal(anyhow::anyhow!("snapshot encode: {e}")))?;
            let saved = snapshot::write(db, seq, &bytes).await?;
            self.saved.store(saved.seq, Ordering::Release);
            self.entries_saved.store(entries, Ordering::Release);
            if let Ok(mut at) = self.saved_at.lock() {
                *at = Some(Instant::now());
            }
            Ok(SavedSnapshot {
                seq: saved.seq,
                bytes: saved.bytes,
                millis: started.elapsed().as_millis(),
            })
        }
        .await;
        self.saving.store(false, Ordering::Release);
        done.map(Some)
    }

    /// [`Rollup::save`], its outcome written to the log (`when`: what
    /// prompted it); a failed save leaves the previous snapshot in force.
    pub async fn save_logged(&self, db: &Db, when: &str) {
        match self.save(db).await {
            Ok(Some(s)) => tracing::info!(
                "roll-up snapshot saved ({when}) after log entry {}: {} bytes in {} ms",
                s.seq,
                s.bytes,
                s.millis
            ),
            Ok(None) => {}
            Err(e) => tracing::warn!("roll-up snapshot not saved ({when}): {e}"),
        }
    }

    /// Saves a snapshot if log entries were applied since the last one
    /// (at shutdown: the next start then has nothing to re-read).
    pub async fn save_if_behind(&self, db: &Db) {
        if self.snapshots.load(Ordering::Acquire)
            && self.applied.load(Ordering::Acquire) > self.saved.load(Ordering::Acquire)
        {
            self.save_logged(db, "at shutdown").await;
        }
    }

    /// Starts a save in the background once enough has been applied.
    fn save_when_due(self: &Arc<Self>, db: &Db) {
        if !self.snapshots.load(Ordering::Acquire)
            || self.saving.load(Ordering::Acquire)
            || self.entries.load(Ordering::Acquire) - self.entries_saved.load(Ordering::Acquire) < SAVE_AFTER
        {
            return;
        }
        let recent = self
            .saved_at
            .lock()
            .ok()
            .and_then(|at| *at)
            .is_some_and(|at| at.elapsed() < SAVE_EVERY);
        if recent {
            return;
        }
        let (rollup, db) = (self.clone(), db.clone());
        tokio::spawn(async move { rollup.save_logged(&db, "in the background").await });
    }

    /// Applies the log entries written since the last look.
    pub async fn refresh(self: &Arc<Self>, db: &Db) -> Result<()> {
        if !self.is_ready() {
            return Ok(());
        }
        if self.log_check.latest(db).await? <= self.applied.load(Ordering::Acquire) {
            return Ok(());
        }
        let _gate = self.gate.lock().await;
        loop {
            let from = self.applied.load(Ordering::Acquire);
            let latest = self.log_check.latest(db).await?;
            let logged = logged::read(db, &self.native, from, latest - from).await?;
            let logged::Logged {
                rows,
                last,
                more,
                read,
                campaigns,
                covered,
            } = logged;
            let Some(last) = last else {
                break;
            };
            let mut state = self.state.write().await;
            for (table, asked, found) in read {
                let mut found: HashMap<i64, facts::Fact> = found.into_iter().collect();
                for id in asked {
                    let fact = found.remove(&id);
                    state.replace(table, id, fact);
                }
            }
            for id in &campaigns {
                if let Some(c) = state.campaigns.get_mut(id) {
                    c.covered.clear();
                }
            }
            for (id, path) in covered {
                if let Some(c) = state.campaigns.get_mut(&id) {
                    c.covered.push(path.into());
                }
            }
            // Cleared under the write lock, so no read of the old state can
            // put its figures back afterwards.
            self.forget();
            self.entries.fetch_add(rows as i64, Ordering::AcqRel);
            drop(state);
            self.applied.store(last, Ordering::Release);
            if !more {
                break;
            }
        }
        self.save_when_due(db);
        self.prune(db).await
    }

    /// Deletes applied log entries once enough have gathered (the newest is
    /// kept, so the log's last seq still says what has been applied). While
    /// snapshots are saved, only entries up to the last one saved; else a
    /// snapshot the prune overtakes is deleted with them.
    async fn prune(&self, db: &Db) -> Result<()> {
        let mut bound = self.applied.load(Ordering::Acquire);
        if self.snapshots.load(Ordering::Acquire) {
            bound = bound.min(self.saved.load(Ordering::Acquire));
        }
        if bound - self.pruned.load(Ordering::Acquire) < PRUNE_AFTER {
            return Ok(());
        }
        let mut tx = db.begin().await?;
        sqlx::query("DELETE FROM figure_changes WHERE seq < $1")
            .bind(bound)
            .execute(&mut *tx)
            .await?;
        snapshot::forget_older(&mut tx, bound).await?;
        tx.commit().await?;
        self.pruned.store(bound, Ordering::Release);
        Ok(())
    }

    /// The figures of `scope` (the unit at `unit_path` on the map counted,
    /// inside the reader's scope) and of the child units at `child_paths`,
    /// over each period, in one pass over the leaves (a dashboard asks for
    /// its period and the one before); `None` when the roll-up cannot
    /// answer (not loaded, or a period not made of whole months).
    pub async fn figures(
        self: &Arc<Self>,
        db: &Db,
        scope: &Scope,
        unit_path: &str,
        child_paths: &[String],
        periods: &[Period],
    ) -> Result<Option<Vec<Figures>>> {
        let Some(windows) = periods.iter().map(Window::of).collect::<Option<Vec<_>>>() else {
            return Ok(None);
        };
        if !self.is_ready() {
            return Ok(None);
        }
        self.refresh(db).await?;
        // The same read since the last change: its figures are still true.
        let keys: Vec<String> = periods
            .iter()
            .map(|p| {
                format!(
                    "{}|{}|{unit_path}|{}|{}|{}",
                    scope.prefix(),
                    scope.legacy_prefix().unwrap_or("-"),
                    p.from,
                    p.to,
                    child_paths.join(",")
                )
            })
            .collect();
        if let Some(hits) = keys.iter().map(|k| self.cached(k)).collect::<Option<Vec<_>>>() {
            return Ok(Some(hits));
        }
        let state = self.state.read().await;
        let out = state.add_up(scope, unit_path, child_paths, &windows);
        for (key, figures) in keys.into_iter().zip(&out) {
            self.keep(key, figures);
        }
        Ok(Some(out))
    }

    fn cached(&self, key: &str) -> Option<Figures> {
        self.cache.lock().ok()?.get(key).cloned()
    }

    fn keep(&self, key: String, figures: &Figures) {
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHED {
                cache.clear();
            }
            cache.insert(key, figures.clone());
        }
    }

    fn forget(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.clear();
        }
        if let Ok(mut r) = self.responses.lock() {
            r.changes += 1;
            r.map.clear();
        }
    }

    /// Brings the roll-up up to date for a read that began now and returns
    /// the count of changes applied: a response kept at that count is as
    /// current as one built now. `None`: not loaded (figures come from the
    /// records, and nothing is kept).
    pub async fn current(self: &Arc<Self>, db: &Db) -> Result<Option<u64>> {
        if !self.is_ready() {
            return Ok(None);
        }
        self.refresh(db).await?;
        Ok(self.responses.lock().ok().map(|r| r.changes))
    }

    /// A response kept by [`Rollup::keep_response`] since the last change.
    pub fn response(&self, key: &str) -> Option<axum::body::Bytes> {
        self.responses.lock().ok()?.map.get(key).cloned()
    }

    /// Keeps a response built after [`Rollup::current`] returned `changes`
    /// — unless a change has been applied since, since the response may
    /// then hold figures from before it and no later change would empty
    /// it. The count and the map share one lock, so no change can come
    /// between the check and the insert.
    pub fn keep_response(&self, key: String, changes: u64, body: axum::body::Bytes) {
        if let Ok(mut r) = self.responses.lock()
            && r.changes == changes
        {
            if r.map.len() >= CACHED {
                r.map.clear();
            }
            r.map.insert(key, body);
        }
    }
}

/// The units campaigns covered (all campaigns, or those with these ids).
async fn covered_units(db: &Db, state: &mut State, only: Option<&[i64]>) -> Result<()> {
    let wanted: Vec<i64> = match only {
        Some(ids) => ids
            .iter()
            .copied()
            .filter(|id| state.campaigns.contains_key(id))
            .collect(),
        None => state.campaigns.keys().copied().collect(),
    };
    for chunk in wanted.chunks(logged::REFRESH_BATCH) {
        let rows = sqlx::query(&logged::covered_sql(chunk))
            .fetch_all(&db.pool)
            .await?;
        for id in chunk {
            if let Some(c) = state.campaigns.get_mut(id) {
                c.covered.clear();
            }
        }
        for row in rows {
            let id: i64 = row.try_get(0)?;
            let place: String = row.try_get(1)?;
            if let Some(c) = state.campaigns.get_mut(&id) {
                c.covered.push(place.into());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subtree_is_the_run_of_leaves_under_its_path() {
        let mut state = State::default();
        for place in [
            "/VN/12/03583/|/VN/12/105/03583/",
            "/VN/01/00004/|",
            "/VN/12/03583/|/VN/12/106/03601/",
            "/VN/01/00007/|/VN/01/002/00007/",
            "/VN/12/03586/|/VN/12/105/03586/",
        ] {
            state.leaf(place);
        }
        let places = |order: &[u32], prefix: &str, key: fn(&[Arc<Leaf>], u32) -> &str| -> Vec<String> {
            under(order, &state.leaves, prefix, key)
                .iter()
                .map(|&i| {
                    format!(
                        "{}|{}",
                        state.leaves[i as usize].scope, state.leaves[i as usize].legacy
                    )
                })
                .collect()
        };
        assert_eq!(
            places(&state.by_scope, "/VN/12/", scope_of),
            [
                "/VN/12/03583/|/VN/12/105/03583/",
                "/VN/12/03583/|/VN/12/106/03601/",
                "/VN/12/03586/|/VN/12/105/03586/"
            ]
        );
        assert_eq!(
            places(&state.by_scope, "/VN/01/00004/", scope_of),
            ["/VN/01/00004/|"]
        );
        assert!(places(&state.by_scope, "/VN/1/", scope_of).is_empty());
        assert_eq!(places(&state.by_scope, "/VN/", scope_of).len(), 5);
        assert_eq!(
            places(&state.by_legacy, "/VN/12/105/", legacy_of),
            [
                "/VN/12/03583/|/VN/12/105/03583/",
                "/VN/12/03586/|/VN/12/105/03586/"
            ]
        );
        // Built at once (after a snapshot) or leaf by leaf: the same order.
        let (scope, legacy) = (state.by_scope.clone(), state.by_legacy.clone());
        state.sort_leaves();
        assert_eq!((state.by_scope, state.by_legacy), (scope, legacy));
    }
}

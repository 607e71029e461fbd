//! The roll-up saved in the database, so that a restart does not read every
//! counted record again (a minute at national scale) but the roll-up as it
//! stood after a log entry, then the log entries after it.
//!
//! **Valid while the log after it is whole.** A snapshot holds the state
//! after log entry `seq`; the roll-up prunes the log only up to the last
//! snapshot it saved, a prune past a snapshot deletes it (a server that does
//! not save snapshots), and `antq gen`, which empties the log, deletes them.
//! Reading checks that entry `seq` is still in the log, that the snapshot
//! was written by this build's roll-up code and schema (`format`), and its
//! length and checksum. Anything else, and the roll-up is read from the
//! records as before: a snapshot can make a start faster, never wrong.
//!
//! **Written beside the writers.** The state is copied under the read lock
//! (copy on write, a few milliseconds) and encoded on a blocking thread,
//! then written in parts of [`PART`] bytes, each in a short transaction of
//! its own, under a new generation; the header row comes last, in the
//! transaction that deletes the older headers, so a crash mid-way leaves
//! the previous snapshot in force. The older parts are deleted after it,
//! one a transaction.
//!
//! **Encoding.** Variable-length integers (LEB128, signed ones zig-zagged):
//! what a row added is mostly small numbers, so six million rows take about
//! nine bytes each instead of the twenty they hold in memory. A leaf's
//! yearly flows are not stored; they are the sums of its months.

use std::collections::HashMap;

use sqlx::Row;

use super::facts::{self, Add, Series};
use super::{Campaign, EMPTY, Kept, Leaf, Slots, State, series_add};
use crate::db::Db;
use crate::error::Result;

/// Bytes per stored part: small enough for one short write transaction
/// (each holds the writers' turn; with 4 MB parts and the older ones
/// deleted in one transaction, a write waited up to 2,5 s during a save,
/// 0,26 s now: docs/PERFORMANCE.md).
const PART: usize = 1 << 20;
const MAGIC: &[u8; 8] = b"antqRU01";

/// FNV-1a, 64 bits: stable across builds and platforms (std's hasher is
/// not promised to be), and fast enough for a checksum of 60 MB.
const fn fnv(mut h: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}
const FNV_START: u64 = 0xcbf2_9ce4_8422_2325;

/// The roll-up's code: a snapshot written by other code (other facts, other
/// state) is not read.
const CODE: u64 = fnv(
    fnv(
        fnv(
            fnv(FNV_START, include_str!("facts.rs").as_bytes()),
            include_str!("mod.rs").as_bytes(),
        ),
        include_str!("slots.rs").as_bytes(),
    ),
    include_str!("snapshot.rs").as_bytes(),
);

/// What a snapshot must have been written by to be read: this code, on this
/// schema (a migration may change the records without logging them).
fn format(db: &Db) -> String {
    format!("{CODE:016x}-m{}", db.schema_version())
}

fn checksum(bytes: &[u8]) -> String {
    format!("{:016x}", fnv(FNV_START, bytes))
}

/// The snapshot's header, as stored.
pub struct Saved {
    pub seq: i64,
    pub bytes: i64,
}

/// Writes the encoded state as the newest snapshot, after log entry `seq`.
pub async fn write(db: &Db, seq: i64, bytes: &[u8]) -> Result<Saved> {
    let newest: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(g) FROM (SELECT MAX(generation) AS g FROM rollup_snapshots \
         UNION ALL SELECT MAX(generation) AS g FROM rollup_snapshot_parts) AS both_tables",
    )
    .fetch_one(&db.pool)
    .await?;
    let generation = newest.unwrap_or(0) + 1;
    let mut parts = 0i64;
    for (i, part) in bytes.chunks(PART).enumerate() {
        let mut tx = db.begin().await?;
        sqlx::query("INSERT INTO rollup_snapshot_parts (generation, part, data) VALUES ($1, $2, $3)")
            .bind(generation)
            .bind(i as i64)
            .bind(part.to_vec())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        parts += 1;
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "INSERT INTO rollup_snapshots (generation, seq, format, parts, bytes, checksum, saved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(generation)
    .bind(seq)
    .bind(format(db))
    .bind(parts)
    .bind(bytes.len() as i64)
    .bind(checksum(bytes))
    .bind(crate::db::now())
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM rollup_snapshots WHERE generation <> $1")
        .bind(generation)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    // The older generations' parts, one a transaction: deleting 70 MB of
    // blobs in one reads and frees every page of them while writers wait.
    // Parts without their header are never read, and the next save or
    // prune deletes any a crash leaves.
    let old: Vec<(i64, i64)> =
        sqlx::query_as("SELECT generation, part FROM rollup_snapshot_parts WHERE generation <> $1")
            .bind(generation)
            .fetch_all(&db.pool)
            .await?;
    for (g, part) in old {
        let mut tx = db.begin().await?;
        sqlx::query("DELETE FROM rollup_snapshot_parts WHERE generation = $1 AND part = $2")
            .bind(g)
            .bind(part)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(Saved {
        seq,
        bytes: bytes.len() as i64,
    })
}

/// The newest snapshot and the log entry it stands after, when there is
/// one this build can use (`Err(why)`: there is none, or not a usable one).
pub async fn read(db: &Db) -> Result<std::result::Result<(State, Saved), String>> {
    let Some(head) = sqlx::query(
        "SELECT generation, seq, format, parts, bytes, checksum FROM rollup_snapshots \
         ORDER BY generation DESC LIMIT 1",
    )
    .fetch_optional(&db.pool)
    .await?
    else {
        return Ok(Err("no snapshot saved".into()));
    };
    let generation: i64 = head.try_get("generation")?;
    let seq: i64 = head.try_get("seq")?;
    let written_by: String = head.try_get("format")?;
    let parts: i64 = head.try_get("parts")?;
    let length: i64 = head.try_get("bytes")?;
    let sum: String = head.try_get("checksum")?;
    if written_by != format(db) {
        return Ok(Err(format!(
            "snapshot written by other code or schema ({written_by})"
        )));
    }
    // The entry the snapshot stands after is never pruned while it is in
    // force: if it is gone, so may be entries after it.
    if seq > 0 {
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM figure_changes WHERE seq = $1")
            .bind(seq)
            .fetch_one(&db.pool)
            .await?;
        if kept == 0 {
            return Ok(Err(format!("log entry {seq} is no longer in the log")));
        }
    }
    let rows =
        sqlx::query("SELECT part, data FROM rollup_snapshot_parts WHERE generation = $1 ORDER BY part")
            .bind(generation)
            .fetch_all(&db.pool)
            .await?;
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    for (i, row) in rows.iter().enumerate() {
        let part: i64 = row.try_get("part")?;
        if part != i as i64 {
            return Ok(Err(format!("part {i} missing")));
        }
        let data: Vec<u8> = row.try_get("data")?;
        bytes.extend_from_slice(&data);
    }
    if rows.len() as i64 != parts || bytes.len() as i64 != length || checksum(&bytes) != sum {
        return Ok(Err("snapshot incomplete or damaged (length or checksum)".into()));
    }
    match decode(&bytes) {
        Some(state) => Ok(Ok((state, Saved { seq, bytes: length }))),
        None => Ok(Err("snapshot not readable".into())),
    }
}

/// Deletes the snapshots a prune up to (not including) `bound` has made
/// invalid, with their parts, in the prune's transaction.
pub async fn forget_older(tx: &mut crate::db::Tx, bound: i64) -> Result<()> {
    sqlx::query("DELETE FROM rollup_snapshots WHERE seq < $1")
        .bind(bound)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "DELETE FROM rollup_snapshot_parts WHERE generation NOT IN (SELECT generation FROM rollup_snapshots)",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[derive(Default)]
struct Out(Vec<u8>);

impl Out {
    fn u(&mut self, mut v: u64) {
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                self.0.push(byte);
                return;
            }
            self.0.push(byte | 0x80);
        }
    }

    fn i(&mut self, v: i64) {
        self.u(((v << 1) ^ (v >> 63)) as u64);
    }

    fn s(&mut self, s: &str) {
        self.u(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }

    fn series<const N: usize>(&mut self, list: &[(u16, [i32; N])]) {
        self.u(list.len() as u64);
        for (k, vals) in list {
            self.u(u64::from(*k));
            for v in vals {
                self.i(i64::from(*v));
            }
        }
    }

    /// Flags say which of the usual values an addition has, so that the
    /// common case (one value of 1 in one bucket) is four bytes.
    fn add(&mut self, a: &Add) {
        let series = match a.series {
            Series::Monthly => 0u8,
            Series::Yearly => 1,
            Series::Years => 2,
        };
        let mut flags = series;
        if a.b != a.a {
            flags |= 4;
        }
        if a.v0 != 1 {
            flags |= 8;
        }
        if a.i1 != facts::NONE {
            flags |= 16;
        }
        self.0.push(flags);
        self.0.push(a.i0);
        self.u(u64::from(a.a));
        if a.b != a.a {
            self.u(u64::from(a.b));
        }
        if a.v0 != 1 {
            self.i(i64::from(a.v0));
        }
        if a.i1 != facts::NONE {
            self.0.push(a.i1);
            self.i(i64::from(a.v1));
        }
    }
}

struct In<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl In<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    fn u(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn i(&mut self) -> Option<i64> {
        let v = self.u()?;
        Some(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    fn u16(&mut self) -> Option<u16> {
        u16::try_from(self.u()?).ok()
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u()?).ok()
    }

    fn i32(&mut self) -> Option<i32> {
        i32::try_from(self.i()?).ok()
    }

    fn len(&mut self) -> Option<usize> {
        let n = usize::try_from(self.u()?).ok()?;
        // A length beyond what is left is damage, not a reason to allocate.
        (n <= self.bytes.len() - self.at).then_some(n)
    }

    fn s(&mut self) -> Option<Box<str>> {
        let n = self.len()?;
        let s = std::str::from_utf8(self.bytes.get(self.at..self.at + n)?).ok()?;
        self.at += n;
        Some(s.into())
    }

    fn series<const N: usize>(&mut self) -> Option<Vec<(u16, [i32; N])>> {
        let n = self.len()?;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            let k = self.u16()?;
            let mut vals = [0i32; N];
            for v in &mut vals {
                *v = self.i32()?;
            }
            out.push((k, vals));
        }
        Some(out)
    }

    fn add(&mut self) -> Option<Add> {
        let flags = self.byte()?;
        let series = match flags & 3 {
            0 => Series::Monthly,
            1 => Series::Yearly,
            2 => Series::Years,
            _ => return None,
        };
        let i0 = self.byte()?;
        let a = self.u16()?;
        let b = if flags & 4 != 0 { self.u16()? } else { a };
        let v0 = if flags & 8 != 0 { self.i32()? } else { 1 };
        let (i1, v1) = if flags & 16 != 0 {
            (self.byte()?, self.i32()?)
        } else {
            (facts::NONE, 0)
        };
        Some(Add {
            series,
            i0,
            i1,
            a,
            b,
            v0,
            v1,
        })
    }
}

/// The state as bytes: communes, leaves, what each row added, campaigns.
pub fn encode(state: &State) -> Vec<u8> {
    let mut out = Out::default();
    out.0.extend_from_slice(MAGIC);
    let mut communes: Vec<(&str, u32)> = state.communes.iter().map(|(p, i)| (&**p, *i)).collect();
    communes.sort_unstable_by_key(|(_, i)| *i);
    out.u(communes.len() as u64);
    for (path, _) in &communes {
        out.s(path);
    }
    out.u(state.leaves.len() as u64);
    for leaf in &state.leaves {
        out.s(&leaf.scope);
        out.s(&leaf.legacy);
        out.u(u64::from(leaf.commune_now));
        out.u(u64::from(leaf.commune_then));
        out.series(&leaf.monthly);
        out.series(&leaf.yearly);
        out.series(&leaf.spans);
    }
    out.u(state.kept.len() as u64);
    for slots in &state.kept {
        out.u(slots.dense.len() as u64);
        for kept in slots.dense.iter() {
            if kept.leaf == EMPTY {
                out.u(0);
            } else {
                out.u(u64::from(kept.leaf) + 1);
                out.add(&kept.add);
            }
        }
        // Maps in id order: the same state gives the same bytes.
        let mut sparse: Vec<_> = slots.sparse.iter().collect();
        sparse.sort_unstable_by_key(|(id, _)| **id);
        out.u(sparse.len() as u64);
        for (id, kept) in sparse {
            out.i(*id);
            out.u(u64::from(kept.leaf));
            out.add(&kept.add);
        }
    }
    let mut campaigns: Vec<_> = state.campaigns.iter().collect();
    campaigns.sort_unstable_by_key(|(id, _)| **id);
    out.u(campaigns.len() as u64);
    for (id, c) in campaigns {
        out.i(*id);
        out.u(u64::from(c.month));
        out.u(u64::from(c.leaf));
        out.u(c.covered.len() as u64);
        for path in &c.covered {
            out.s(path);
        }
    }
    out.0
}

/// The state back from [`encode`]'s bytes (`None`: not such bytes).
pub fn decode(bytes: &[u8]) -> Option<State> {
    if bytes.get(..MAGIC.len())? != MAGIC {
        return None;
    }
    let mut r = In {
        bytes,
        at: MAGIC.len(),
    };
    let mut state = State::default();
    let n = r.len()?;
    for i in 0..n {
        state.communes.insert(r.s()?, u32::try_from(i).ok()?);
    }
    let n = r.len()?;
    state.leaves.reserve(n);
    for i in 0..n {
        let scope = r.s()?;
        let legacy = r.s()?;
        let mut leaf = Leaf {
            commune_now: r.u32()?,
            commune_then: r.u32()?,
            monthly: r.series()?,
            yearly: r.series()?,
            spans: r.series()?,
            ..Leaf::default()
        };
        for (month, vals) in &leaf.monthly {
            for (index, v) in vals.iter().enumerate() {
                series_add(&mut leaf.flows_yearly, 1900 + month / 12, index as u8, *v);
            }
        }
        state
            .index
            .insert(format!("{scope}|{legacy}").into(), u32::try_from(i).ok()?);
        leaf.scope = scope;
        leaf.legacy = legacy;
        state.leaves.push(std::sync::Arc::new(leaf));
    }
    state.sort_leaves();
    let leaves = state.leaves.len();
    let leaf_of = |v: u64| u32::try_from(v).ok().filter(|l| (*l as usize) < leaves);
    let tables = r.len()?;
    if tables != facts::TABLES.len() {
        return None;
    }
    for _ in 0..tables {
        let mut slots = Slots::default();
        let n = r.len()?;
        for _ in 0..n {
            let kept = match r.u()? {
                0 => Kept {
                    leaf: EMPTY,
                    add: FREE,
                },
                leaf => Kept {
                    leaf: leaf_of(leaf - 1)?,
                    add: r.add()?,
                },
            };
            slots.dense.push(kept);
        }
        let n = r.len()?;
        for _ in 0..n {
            let id = r.i()?;
            let leaf = leaf_of(r.u()?)?;
            slots.sparse.insert(id, Kept { leaf, add: r.add()? });
        }
        state.kept.push(slots);
    }
    let n = r.len()?;
    let mut campaigns = HashMap::with_capacity(n);
    for _ in 0..n {
        let id = r.i()?;
        let month = r.u16()?;
        let leaf = leaf_of(r.u()?)?;
        let covered = (0..r.len()?).map(|_| r.s()).collect::<Option<Vec<_>>>()?;
        campaigns.insert(id, Campaign { month, leaf, covered });
    }
    state.campaigns = campaigns;
    (r.at == bytes.len()).then_some(state)
}

/// What a free slot holds beside [`EMPTY`] (never read).
const FREE: Add = Add {
    series: Series::Monthly,
    i0: 0,
    i1: facts::NONE,
    a: 0,
    b: 0,
    v0: 0,
    v1: 0,
};

#[cfg(test)]
mod tests {
    use super::super::facts::{Fact, Table, m, r, y};
    use super::*;

    fn fact(place: &str, add: Option<Add>, campaign_month: Option<u16>) -> Option<Fact> {
        Some(Fact {
            place: place.into(),
            add,
            campaign_month,
        })
    }

    fn add(series: Series, i0: u8, a: u16, b: u16, v0: i32, i1: u8, v1: i32) -> Option<Add> {
        Some(Add {
            series,
            i0,
            i1,
            a,
            b,
            v0,
            v1,
        })
    }

    /// A state with every kind of content: leaves on both maps, each series,
    /// dense and sparse ids, a freed slot, negative and large values, a
    /// campaign with covered units.
    fn sample() -> State {
        let mut s = State {
            kept: facts::TABLES.iter().map(|_| Slots::default()).collect(),
            ..State::default()
        };
        let here = "/VN/12/03583/|/VN/12/105/03583/";
        let there = "/VN/01/00004/|";
        s.replace(
            Table::Activities,
            1,
            fact(
                here,
                add(
                    Series::Monthly,
                    m::SESSIONS,
                    1507,
                    1507,
                    1,
                    m::ATTENDANCE,
                    860_500,
                ),
                None,
            ),
        );
        s.replace(
            Table::Activities,
            2,
            fact(
                there,
                add(Series::Monthly, m::SESSIONS, 1400, 1400, 1, m::ATTENDANCE, -3),
                None,
            ),
        );
        s.replace(Table::Activities, 3, fact(here, None, Some(1508)));
        s.replace(
            Table::Activities,
            9_000_000_000,
            fact(
                there,
                add(Series::Monthly, m::CONFERENCES, 1, 1, 1, facts::NONE, 0),
                None,
            ),
        );
        s.replace(
            Table::Registrations,
            5,
            fact(
                here,
                add(Series::Yearly, y::HOUSEHOLDS, 2023, 2023, 90_500, facts::NONE, 0),
                None,
            ),
        );
        s.replace(
            Table::Teams,
            7,
            fact(
                there,
                add(Series::Years, r::TEAMS, 2016, u16::MAX, 1, facts::NONE, 0),
                None,
            ),
        );
        s.replace(
            Table::Villages,
            8,
            fact(
                here,
                add(Series::Years, r::VILLAGES, 0, u16::MAX, 1, facts::NONE, 0),
                None,
            ),
        );
        s.replace(
            Table::Villages,
            4,
            fact(
                here,
                add(Series::Years, r::VILLAGES, 2019, 2024, 1, facts::NONE, 0),
                None,
            ),
        );
        s.replace(Table::Villages, 4, None);
        if let Some(c) = s.campaigns.get_mut(&3) {
            // Places of covered units: today's path '|' the old home's.
            c.covered = vec!["/VN/12/03586/|/VN/12/109/".into(), "/VN/12/03589/|".into()];
        }
        s
    }

    #[test]
    fn a_state_reads_back_as_it_was_written() {
        let state = sample();
        let bytes = encode(&state);
        let back = decode(&bytes).expect("readable");
        assert_eq!(encode(&back), bytes);
        assert_eq!(back.index, state.index);
        assert_eq!(back.communes, state.communes);
        for (a, b) in back.leaves.iter().zip(&state.leaves) {
            assert_eq!(
                (&a.scope, &a.legacy, a.commune_now, a.commune_then),
                (&b.scope, &b.legacy, b.commune_now, b.commune_then)
            );
            assert_eq!(
                (&a.monthly, &a.flows_yearly, &a.yearly, &a.spans),
                (&b.monthly, &b.flows_yearly, &b.yearly, &b.spans)
            );
        }
        assert_eq!(back.leaves.len(), 2);
        assert_eq!(
            (&back.by_scope, &back.by_legacy),
            (&state.by_scope, &state.by_legacy)
        );
        assert_eq!(
            back.campaigns.get(&3).map(|c| (c.month, c.covered.len())),
            Some((1508, 2))
        );
        let sparse = back
            .kept
            .first()
            .and_then(|k| k.sparse.get(&9_000_000_000))
            .map(|k| k.add);
        assert_eq!(
            sparse,
            add(Series::Monthly, m::CONFERENCES, 1, 1, 1, facts::NONE, 0)
        );
    }

    #[test]
    fn damaged_bytes_are_refused_not_read() {
        let bytes = encode(&sample());
        assert!(decode(&bytes[..bytes.len() - 1]).is_none());
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_none());
        assert!(decode(b"antqRU00").is_none());
        // A length beyond the bytes left is refused before anything is
        // allocated for it.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
        assert!(decode(&huge).is_none());
        assert_ne!(checksum(&bytes), checksum(&bytes[1..]));
    }
}

//! The units a crackdown campaign covered, besides the one that ran it
//! (`activity_units`): units of today (`unit_codes`, column
//! `don_vi_tham_gia`) and, for a campaign before 1 July 2025, units of the
//! old map (`legacy_unit_codes`, column `don_vi_tham_gia_cu`, migration
//! 0016). A row naming an old unit keeps its path on the old map and, as
//! its place of today, the unit of today it lies in
//! (`places::old_covered`); the records' count, the lists and the roll-up
//! read both kinds of row alike.

use super::places::{self, current_unit};
use super::{Activity, ActivityDraft, Input, REFORM_DAY};
use crate::db::Tx;
use crate::error::{Invalid, Result};
use crate::input::shorten;
use crate::units::Unit;

/// A campaign's covered units: today's codes, and the old ones.
pub(crate) type Covered = (Vec<String>, Vec<String>);

/// Checks the draft's covered units against the unit that ran the
/// campaign, each once, into `out`.
pub(super) async fn parse(
    tx: &mut Tx,
    inv: &mut Invalid,
    unit: &Unit,
    d: &ActivityDraft,
    out: &mut Input,
) -> Result<()> {
    for code in codes(&d.unit_codes) {
        match current_unit(tx, code).await? {
            Some(u) if u.path.starts_with(&unit.path) && u.code != unit.code => {
                if !out.units.iter().any(|x| x.code == u.code) {
                    out.units.push(u);
                }
            }
            _ => inv.add(
                "unit_codes",
                format!(
                    "Đơn vị tham gia: \"{}\" không phải đơn vị thuộc {}.",
                    shorten(code),
                    unit.name
                ),
            ),
        }
    }
    parse_old(tx, inv, unit, d, out).await
}

/// The draft's non-empty codes, trimmed.
fn codes(list: &Option<Vec<String>>) -> impl Iterator<Item = &str> {
    list.iter().flatten().map(|c| c.trim()).filter(|c| !c.is_empty())
}

/// The old units a campaign before 1 July 2025 names as covered: each a
/// unit of the pre-2025 map that lies, today, inside the unit that ran it
/// (`places::old_covered`), each once.
async fn parse_old(
    tx: &mut Tx,
    inv: &mut Invalid,
    unit: &Unit,
    d: &ActivityDraft,
    out: &mut Input,
) -> Result<()> {
    const LABEL: &str = "Đơn vị tham gia trước sắp xếp";
    let codes: Vec<&str> = codes(&d.legacy_unit_codes).collect();
    if codes.is_empty() || out.held_on.is_empty() {
        return Ok(());
    }
    if out.held_on.as_str() >= REFORM_DAY {
        inv.add(
            "legacy_unit_codes",
            format!("{LABEL}: chỉ ghi cho đợt bắt đầu trước ngày 01/07/2025."),
        );
        return Ok(());
    }
    for code in codes {
        match places::old_covered(tx, code).await? {
            Some((old, today)) if today.path.starts_with(&unit.path) => {
                if !out.old_units.iter().any(|(o, _)| o.code == old.code) {
                    out.old_units.push((old, today));
                }
            }
            _ => inv.add(
                "legacy_unit_codes",
                format!(
                    "{LABEL}: \"{}\" không phải đơn vị trước ngày 01/07/2025 nay thuộc {}.",
                    shorten(code),
                    unit.name
                ),
            ),
        }
    }
    Ok(())
}

/// Writes a campaign's covered units: those of today, then the old ones
/// with the unit of today each lies in.
pub(super) async fn write(tx: &mut Tx, id: i64, input: &Input) -> Result<()> {
    let today = input.units.iter().map(|u| (u, ""));
    let old = input.old_units.iter().map(|(o, t)| (t, o.code.as_str()));
    for (u, legacy_code) in today.chain(old) {
        sqlx::query(
            "INSERT INTO activity_units (activity_id, unit_code, legacy_code, scope_path) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(&u.code)
        .bind(legacy_code)
        .bind(&u.path)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Reads a campaign's covered units into it, today's and the old ones.
pub(super) async fn read<'e>(
    exec: impl sqlx::Executor<'e, Database = sqlx::Any>,
    a: &mut Activity,
) -> Result<()> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT unit_code, legacy_code FROM activity_units WHERE activity_id = $1")
            .bind(a.id)
            .fetch_all(exec)
            .await?;
    (a.unit_codes, a.legacy_unit_codes) = split(rows);
    Ok(())
}

/// Rows of (unit_code, legacy_code) as [`Covered`], each list sorted: a
/// row naming an old unit is that unit (its unit of today is where it
/// lies, not a unit the campaign named).
pub(super) fn split(rows: impl IntoIterator<Item = (String, String)>) -> Covered {
    let mut out = Covered::default();
    for (unit, old) in rows {
        if old.is_empty() {
            out.0.push(unit);
        } else {
            out.1.push(old);
        }
    }
    out.0.sort();
    out.1.sort();
    out
}

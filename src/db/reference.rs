//! Loads the official administrative units shipped in `data/vn-units/`
//! (see its README for provenance) on first start. The files are compiled
//! into the binary so that a copied `antq` needs no data folder and no network.

use anyhow::{Context, bail};
use sqlx::Any;
use sqlx::query::Query;

use super::{Db, Tx};
use crate::text::fold;

const UNITS_CURRENT: &str = include_str!("../../data/vn-units/units-current.csv");
const UNITS_LEGACY: &str = include_str!("../../data/vn-units/units-legacy.csv");
const CROSSWALK: &str = include_str!("../../data/vn-units/crosswalk-2025.csv");
const PROVINCE_CROSSWALK: &str = include_str!("../../data/vn-units/province-crosswalk-2025.csv");

/// Bumped whenever the shipped files change, so an existing database can tell.
pub const REFERENCE_VERSION: &str = "vn-units-2026-10";

pub const NATION_CODE: &str = "VN";
pub const NATION_NAME: &str = "Việt Nam";
pub const CURRENT_FROM: &str = "2025-07-01";
pub const LEGACY_UNTIL: &str = "2025-06-30";

struct UnitRow {
    era: &'static str,
    code: String,
    name: String,
    level: String,
    unit_type: String,
    parent_code: Option<String>,
    path: String,
    lat: Option<f64>,
    lon: Option<f64>,
    area_km2: Option<f64>,
}

pub async fn load_if_missing(db: &Db) -> anyhow::Result<()> {
    let loaded: Option<String> = sqlx::query_scalar("SELECT value FROM meta WHERE key = 'reference_version'")
        .fetch_optional(&db.pool)
        .await?;
    if loaded.is_some() {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    let mut units = parse_units("current", UNITS_CURRENT)?;
    units.extend(parse_units("legacy", UNITS_LEGACY)?);
    insert_units(&mut tx, &units).await?;
    insert_pairs(
        &mut tx,
        "INSERT INTO crosswalk_2025 (old_code, new_code, partial, is_default) VALUES ",
        &parse_csv(CROSSWALK, 4)?,
    )
    .await?;
    insert_pairs(
        &mut tx,
        "INSERT INTO province_crosswalk_2025 (old_code, new_code) VALUES ",
        &parse_csv(PROVINCE_CROSSWALK, 2)?,
    )
    .await?;
    sqlx::query("INSERT INTO meta (key, value) VALUES ('reference_version', $1)")
        .bind(REFERENCE_VERSION)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Tables whose rows carry a `legacy_path` (migration 0007), villages and
/// organisations first: the others may take theirs from them. A campaign's
/// covered units (0014, 0016) take theirs from the old unit they name or
/// from `legacy_home`.
const LEGACY_TABLES: [&str; 11] = [
    "villages",
    "organisations",
    "activities",
    "activity_units",
    "festival_days",
    "registrations",
    "assessments",
    "model_points",
    "teams",
    "awards",
    "tips",
];

/// Fills `legacy_home` — for each current unit, where it lies on the pre-2025
/// map: its only predecessor's path, or the deepest ancestor all its
/// predecessors share — when it is empty (a new database, or one made before
/// migration 0007), then derives every record's `legacy_path` that is still
/// missing (the triggers do it when a row is written with it NULL).
pub async fn fill_legacy_homes(db: &Db) -> anyhow::Result<()> {
    let filled: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM legacy_home")
        .fetch_one(&db.pool)
        .await?;
    if filled > 0 {
        return Ok(());
    }
    use sqlx::Row;
    let pairs = sqlx::query(
        "SELECT x.new_code AS code, u.path FROM crosswalk_2025 x \
         JOIN units u ON u.era = 'legacy' AND u.code = x.old_code \
         UNION ALL SELECT x.new_code AS code, u.path FROM province_crosswalk_2025 x \
         JOIN units u ON u.era = 'legacy' AND u.code = x.old_code",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut homes: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for r in &pairs {
        let code: String = r.try_get("code")?;
        let path: String = r.try_get("path")?;
        homes
            .entry(code)
            .and_modify(|h| *h = common_ancestor(h, &path))
            .or_insert(path);
    }
    homes.insert(NATION_CODE.to_string(), format!("/{NATION_CODE}/"));
    let rows: Vec<Vec<String>> = homes.into_iter().map(|(c, p)| vec![c, p]).collect();
    let mut tx = db.begin().await?;
    insert_pairs(
        &mut tx,
        "INSERT INTO legacy_home (code, legacy_path) VALUES ",
        &rows,
    )
    .await?;
    for table in LEGACY_TABLES {
        sqlx::query(&format!(
            "UPDATE {table} SET legacy_path = NULL WHERE legacy_path IS NULL"
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The deepest path both lie under ('/VN/12/105/03583/' and
/// '/VN/12/106/03600/' → '/VN/12/').
pub(crate) fn common_ancestor(a: &str, b: &str) -> String {
    let mut out = String::from("/");
    for (x, y) in a.trim_matches('/').split('/').zip(b.trim_matches('/').split('/')) {
        if x != y {
            break;
        }
        out.push_str(x);
        out.push('/');
    }
    out
}

fn parse_csv(text: &str, width: usize) -> anyhow::Result<Vec<Vec<String>>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record?;
        if record.len() < width {
            bail!("reference row with {} fields, expected {width}", record.len());
        }
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(rows)
}

/// Builds the rows of one era with their materialised paths. The files list
/// parents before children, which the path lookup relies on.
fn parse_units(era: &'static str, text: &str) -> anyhow::Result<Vec<UnitRow>> {
    let mut paths = std::collections::HashMap::new();
    let nation_path = format!("/{NATION_CODE}/");
    paths.insert(NATION_CODE.to_string(), nation_path.clone());
    let mut out = vec![UnitRow {
        era,
        code: NATION_CODE.into(),
        name: NATION_NAME.into(),
        level: "nation".into(),
        unit_type: "Quốc gia".into(),
        parent_code: None,
        path: nation_path,
        lat: None,
        lon: None,
        area_km2: None,
    }];
    for row in parse_csv(text, 7)? {
        let parent = if row[4].is_empty() {
            NATION_CODE.to_string()
        } else {
            row[4].clone()
        };
        let parent_path = paths
            .get(&parent)
            .with_context(|| format!("unit {} listed before its parent {parent}", row[0]))?;
        let path = format!("{parent_path}{}/", row[0]);
        paths.insert(row[0].clone(), path.clone());
        out.push(UnitRow {
            era,
            code: row[0].clone(),
            name: row[1].clone(),
            level: row[2].clone(),
            unit_type: row[3].clone(),
            parent_code: Some(parent),
            path,
            lat: row[5].parse().ok(),
            lon: row[6].parse().ok(),
            area_km2: row.get(7).and_then(|a| a.parse().ok()),
        });
    }
    Ok(out)
}

/// Multi-row INSERTs of a few dozen rows: fewer round trips for PostgreSQL,
/// while staying small for sqlx's SQLite binding, whose cost grows with the
/// square of a statement's parameter count (400 rows × 13 took 3,8 s of CPU
/// for the whole load; 20 rows takes 0,4 s — bench/cold-start.sh).
async fn insert_units(tx: &mut Tx, units: &[UnitRow]) -> anyhow::Result<()> {
    const COLS: usize = 13;
    for chunk in units.chunks(20) {
        let mut sql = String::from(
            "INSERT INTO units (era, code, name, level, unit_type, parent_code, path, \
             valid_from, valid_to, lat, lon, area_km2, search_key) VALUES ",
        );
        push_placeholders(&mut sql, chunk.len(), COLS);
        // Not cached: sqlx 0.8's Any driver declares a NULL f64 as float4
        // (sqlx-core any/arguments.rs), and a cached statement would then
        // refuse the next chunk's 8-byte values on PostgreSQL.
        let mut q: Query<'_, Any, _> = sqlx::query(&sql).persistent(false);
        for u in chunk {
            let (from, to) = if u.era == "current" {
                (Some(CURRENT_FROM), None)
            } else {
                (None, Some(LEGACY_UNTIL))
            };
            q = q
                .bind(u.era)
                .bind(u.code.as_str())
                .bind(u.name.as_str())
                .bind(u.level.as_str())
                .bind(u.unit_type.as_str())
                .bind(u.parent_code.as_deref())
                .bind(u.path.as_str())
                .bind(from)
                .bind(to)
                .bind(u.lat)
                .bind(u.lon)
                .bind(u.area_km2)
                .bind(fold(&u.name));
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

async fn insert_pairs(tx: &mut Tx, prefix: &str, rows: &[Vec<String>]) -> anyhow::Result<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    for chunk in rows.chunks(100) {
        let mut sql = prefix.to_string();
        push_placeholders(&mut sql, chunk.len(), width);
        let mut q: Query<'_, Any, _> = sqlx::query(&sql);
        for row in chunk {
            for (i, value) in row.iter().enumerate() {
                // The crosswalk's flag columns are integers; codes stay text.
                q = if i >= 2 {
                    q.bind(value.parse::<i64>().unwrap_or(0))
                } else {
                    q.bind(value.as_str())
                };
            }
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

fn push_placeholders(sql: &mut String, rows: usize, cols: usize) {
    let mut n = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            sql.push('$');
            sql.push_str(&n.to_string());
            n += 1;
        }
        sql.push(')');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_is_the_deepest_shared_ancestor() {
        assert_eq!(
            common_ancestor("/VN/12/105/03583/", "/VN/12/105/03583/"),
            "/VN/12/105/03583/"
        );
        assert_eq!(
            common_ancestor("/VN/12/105/03583/", "/VN/12/106/03600/"),
            "/VN/12/"
        );
        assert_eq!(common_ancestor("/VN/02/", "/VN/08/"), "/VN/");
    }

    #[test]
    fn shipped_files_have_the_official_counts() {
        let current = parse_units("current", UNITS_CURRENT).unwrap();
        let count = |rows: &[UnitRow], level: &str| rows.iter().filter(|u| u.level == level).count();
        assert_eq!(count(&current, "province"), 34);
        assert_eq!(count(&current, "commune"), 3321);
        let legacy = parse_units("legacy", UNITS_LEGACY).unwrap();
        assert_eq!(count(&legacy, "province"), 63);
        assert_eq!(count(&legacy, "district"), 696);
        assert_eq!(count(&legacy, "commune"), 10035);
        let khong_lao = current.iter().find(|u| u.code == "03583").unwrap();
        assert_eq!(khong_lao.path, "/VN/12/03583/");
        let son_lu = legacy.iter().find(|u| u.code == "15016").unwrap();
        assert_eq!(son_lu.path, "/VN/38/387/15016/");
    }
}

//! Who has not yet done the year's steps of the movement: villages without
//! a registration, villages not assessed ("An toàn về an ninh, trật tự",
//! submitted at least once), communes that held no festival day. Counted
//! for each child unit of the dashboard's breakdown, and listed in full
//! (no cap) on the completeness page, its CSV and the API.
//!
//! On the pre-2025 map a village is placed by its old commune and the
//! communes are the old ones, whose festival days carry their path.

use serde::Serialize;
use sqlx::Row;

use crate::auth::Scope;
use crate::db::Db;
use crate::error::Result;

/// The checks: (code, Vietnamese heading, what each missing one is).
pub const CHECKS: [(&str, &str, &str); 3] = [
    (
        "chua_dang_ky",
        "Thôn, tổ dân phố chưa đăng ký",
        "thôn, tổ dân phố",
    ),
    (
        "chua_danh_gia",
        "Thôn, tổ dân phố chưa được đánh giá “An toàn về an ninh, trật tự”",
        "thôn, tổ dân phố",
    ),
    ("chua_to_chuc_ngay_hoi", "Xã chưa tổ chức Ngày hội", "xã"),
];

/// One village or commune that has not done a check's step.
#[derive(Clone, Debug, Serialize)]
pub struct Missing {
    pub check: &'static str,
    /// Village id or commune code.
    pub id: String,
    pub name: String,
    /// The village's commune of today ("" for a commune).
    pub commune: String,
    /// Where it lies on the map counted.
    #[serde(skip)]
    pub path: String,
}

/// A village of the year `$2`: one that existed on any day of it, as it
/// counts in "Số thôn, tổ dân phố" (registrations.rs, migration 0015).
const VILLAGE_IN_YEAR: &str = "(v.active = 1 OR v.closed_on IS NOT NULL) \
    AND (v.founded_on IS NULL OR CAST(substr(v.founded_on, 1, 4) AS BIGINT) <= $2) \
    AND (v.closed_on IS NULL OR CAST(substr(v.closed_on, 1, 4) AS BIGINT) >= $2)";

/// The FROM and WHERE of a check, the column placing a row on the map, and
/// which of the two patterns it binds (`true`: the records' [`Scope::like`];
/// `false`: the units' pattern of [`Scope::units_like`]).
fn base(check: &str, scope: &Scope) -> (String, String, bool) {
    let village = |condition: &str| {
        (
            format!(
                "FROM villages v JOIN units u ON u.era = 'current' AND u.code = v.commune_code \
                 WHERE {} AND {} LIKE $1 AND NOT EXISTS ({condition})",
                VILLAGE_IN_YEAR,
                scope.path_expr("v.")
            ),
            scope.place_column("v."),
            true,
        )
    };
    match check {
        "chua_dang_ky" => village(
            "SELECT 1 FROM registrations r WHERE r.subject_kind = 'village' \
             AND r.subject_id = CAST(v.id AS TEXT) AND r.year = $2",
        ),
        "chua_danh_gia" => village(
            "SELECT 1 FROM assessments a WHERE a.programme = 'an_toan' AND a.subject_kind = 'village' \
             AND a.subject_id = CAST(v.id AS TEXT) AND a.year = $2 AND a.submissions > 0 \
             AND a.status <> 'withdrawn'",
        ),
        _ => {
            let (era, _) = scope.units_like();
            // Matched on the indexed paths (a festival day's scope_path is
            // its commune's path).
            let held = if scope.is_legacy() {
                "f.legacy_path = u.path"
            } else {
                "f.scope_path = u.path"
            };
            (
                format!(
                    "FROM units u WHERE u.era = '{era}' AND u.level = 'commune' AND u.path LIKE $1 \
                     AND NOT EXISTS (SELECT 1 FROM festival_days f WHERE {held} AND f.year = $2)"
                ),
                "u.path".into(),
                false,
            )
        }
    }
}

fn pattern(scope: &Scope, records: bool) -> String {
    if records {
        scope.like()
    } else {
        scope.units_like().1
    }
}

/// Every village and commune of the scope missing each step of `year`, in
/// the order of [`CHECKS`], by place then name.
pub async fn missing(db: &Db, scope: &Scope, year: i64) -> Result<Vec<Missing>> {
    let mut out = Vec::new();
    for (check, _, _) in CHECKS {
        let (from, path, records) = base(check, scope);
        let columns = if check == "chua_to_chuc_ngay_hoi" {
            "u.code AS id, u.name AS name, '' AS commune".to_string()
        } else {
            "CAST(v.id AS TEXT) AS id, v.name AS name, u.name AS commune".to_string()
        };
        let rows = sqlx::query(&format!(
            "SELECT {columns}, {path} AS path {from} ORDER BY {path}, name"
        ))
        .bind(pattern(scope, records))
        .bind(year)
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            out.push(Missing {
                check,
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                commune: r.try_get("commune")?,
                path: r.try_get::<Option<String>, _>("path")?.unwrap_or_default(),
            });
        }
    }
    Ok(out)
}

/// How many are missing, per check, in total and for each child unit
/// (`child_paths`, on the same map): counted by the database per place, so
/// a nation's dashboard moves a few thousand rows, not every village.
pub async fn counts(
    db: &Db,
    scope: &Scope,
    year: i64,
    child_paths: &[String],
) -> Result<(Vec<i64>, Vec<Vec<i64>>)> {
    let mut total = vec![0; CHECKS.len()];
    let mut children = vec![vec![0; CHECKS.len()]; child_paths.len()];
    for (k, (check, _, _)) in CHECKS.iter().enumerate() {
        let (from, path, records) = base(check, scope);
        let rows = sqlx::query(&format!(
            "SELECT {path} AS path, COUNT(*) AS n {from} GROUP BY {path}"
        ))
        .bind(pattern(scope, records))
        .bind(year)
        .fetch_all(&db.pool)
        .await?;
        for r in &rows {
            let place: String = r.try_get::<Option<String>, _>("path")?.unwrap_or_default();
            let n: i64 = r.try_get("n")?;
            total[k] += n;
            if let Some(c) = child_paths.iter().position(|c| place.starts_with(c.as_str())) {
                children[c][k] += n;
            }
        }
    }
    Ok((total, children))
}

/// The heading of a check's code.
pub fn heading(check: &str) -> &'static str {
    CHECKS
        .iter()
        .find(|(c, _, _)| *c == check)
        .map_or("", |(_, h, _)| h)
}

/// A check's count for a unit.
#[derive(Debug, Serialize)]
pub struct CheckCount {
    pub check: &'static str,
    pub heading: &'static str,
    pub missing: i64,
}

/// A child unit's missing counts, in the order of [`CHECKS`].
#[derive(Debug, Serialize)]
pub struct ChildCounts {
    pub code: String,
    pub name: String,
    pub missing: Vec<i64>,
}

/// The completeness of a unit's subtree for a year: the counts, each
/// child's, and (when asked) every missing village and commune.
#[derive(Debug, Serialize)]
pub struct Completeness {
    pub year: i64,
    pub checks: Vec<CheckCount>,
    pub children: Vec<ChildCounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing: Option<Vec<Missing>>,
}

impl Completeness {
    /// A child's counts by its code (zeros when it has none).
    pub fn of_child(&self, code: &str) -> Vec<i64> {
        self.children
            .iter()
            .find(|c| c.code == code)
            .map_or_else(|| vec![0; CHECKS.len()], |c| c.missing.clone())
    }

    /// The full lists as one table: check, id, name, commune.
    pub fn table(&self) -> (Vec<&'static str>, Vec<Vec<String>>) {
        let rows = self
            .missing
            .iter()
            .flatten()
            .map(|m| {
                vec![
                    heading(m.check).to_string(),
                    m.id.clone(),
                    m.name.clone(),
                    m.commune.clone(),
                ]
            })
            .collect();
        (vec!["noi_dung", "ma", "ten", "xa"], rows)
    }
}

/// [`Completeness`] of the place the actor opened, for `year`; the lists
/// too when `lists`.
pub async fn of_place(
    db: &Db,
    actor: &crate::auth::Actor,
    place: &super::view::Place,
    year: i64,
    lists: bool,
) -> Result<Completeness> {
    let scope = super::scope_of(actor, &place.unit)?;
    let children = super::child_units(db, actor, place).await?;
    let paths: Vec<String> = children.iter().map(|c| c.path.clone()).collect();
    let (total, each) = counts(db, &scope, year, &paths).await?;
    Ok(Completeness {
        year,
        checks: CHECKS
            .iter()
            .zip(total)
            .map(|((check, heading, _), missing)| CheckCount {
                check,
                heading,
                missing,
            })
            .collect(),
        children: children
            .into_iter()
            .zip(each)
            .map(|(c, missing)| ChildCounts {
                code: c.code,
                name: c.name,
                missing,
            })
            .collect(),
        missing: if lists {
            Some(missing(db, &scope, year).await?)
        } else {
            None
        },
    })
}

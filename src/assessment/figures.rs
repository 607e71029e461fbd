//! The assessment's figures in the unit summary, counted from the records
//! at read time (so an approval is in them at once): subjects assessed and
//! recognised "An toàn về ANTT" per level of unit and their share, the
//! classification levels, and each commune's progress to "điển hình".

use serde::Serialize;
use sqlx::Row;

use crate::auth::Scope;
use crate::db::Db;
use crate::error::Result;

#[derive(Debug, Serialize)]
pub struct LevelFigure {
    /// village, commune, organisation
    pub subject_kind: String,
    pub label: String,
    pub total: i64,
    /// Submitted at least once (the live version is past its draft).
    pub assessed: i64,
    /// Approved with result đạt on the newest decided version: the decision
    /// of recognition, so the share moves at the approval.
    pub recognised: i64,
    /// Of those, the ones whose certificate (Giấy công nhận) is recorded.
    pub certified: i64,
    /// Recognised of total, in percent with one decimal; None when total is 0.
    pub share: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct ClassFigure {
    pub subject_kind: String,
    pub level: String,
    pub count: i64,
}

impl ClassFigure {
    pub fn label(&self) -> &'static str {
        super::criteria::label(&super::SUBJECTS, &self.subject_kind)
    }
}

#[derive(Debug, Serialize)]
pub struct TypicalFigure {
    pub subject_name: String,
    pub passed: i64,
    pub total: i64,
    pub status: String,
}

#[derive(Debug, Serialize)]
pub struct Figures {
    pub year: i64,
    pub levels: Vec<LevelFigure>,
    pub classification: Vec<ClassFigure>,
    pub typical: Vec<TypicalFigure>,
    /// Open assessments whose decision deadline has passed.
    pub overdue: i64,
}

impl Figures {
    pub fn level(&self, kind: &str) -> Option<&LevelFigure> {
        self.levels.iter().find(|l| l.subject_kind == kind)
    }
}

pub async fn figures(db: &Db, scope: &Scope, year: i64) -> Result<Figures> {
    let like = scope.like();
    let place = scope.path_expr("");
    let (era, units_like) = scope.units_like();
    let totals = sqlx::query(&format!(
        "SELECT (SELECT COUNT(*) FROM villages WHERE {place} LIKE $1 AND (active = 1 OR closed_on IS NOT NULL) \
           AND (founded_on IS NULL OR CAST(substr(founded_on, 1, 4) AS BIGINT) <= $3) \
           AND (closed_on IS NULL OR CAST(substr(closed_on, 1, 4) AS BIGINT) >= $3)) AS villages, \
         (SELECT COUNT(*) FROM units WHERE era = '{era}' AND level = 'commune' AND path LIKE $2) AS communes, \
         (SELECT COUNT(*) FROM organisations WHERE {place} LIKE $1 AND active = 1 AND antt_excluded = 0) \
         AS organisations"
    ))
    .bind(&like)
    .bind(&units_like)
    .bind(year)
    .fetch_one(&db.pool)
    .await?;
    // Only subjects that count in the totals count here, so a share stays
    // within 100%: organisations still active, villages that existed in
    // the year (as "Số thôn, tổ dân phố" counts them, migration 0015).
    // The id is cast, not the primary key, so the lookup uses it: casting
    // `v.id` to text scanned every village per assessment (75 s for the
    // nation's 668.670 assessments).
    let rows = sqlx::query(&format!(
        "SELECT subject_kind, \
         COUNT(DISTINCT CASE WHEN submissions > 0 THEN subject_id END) AS assessed, \
         COUNT(DISTINCT CASE WHEN status IN ('approved', 'recognised') AND result = 'dat' THEN subject_id END) \
         AS recognised, \
         COUNT(DISTINCT CASE WHEN status = 'recognised' THEN subject_id END) AS certified \
         FROM assessments a WHERE programme = 'an_toan' AND {place} LIKE $1 AND year = $2 AND replaced = 0 \
         AND status <> 'withdrawn' \
         AND (subject_kind = 'commune' \
              OR EXISTS (SELECT 1 FROM villages v WHERE subject_kind = 'village' \
                         AND v.id = CAST(a.subject_id AS BIGINT) \
                         AND (v.active = 1 OR CAST(substr(v.closed_on, 1, 4) AS BIGINT) >= a.year)) \
              OR EXISTS (SELECT 1 FROM organisations o WHERE subject_kind = 'organisation' \
                         AND o.id = CAST(a.subject_id AS BIGINT) AND o.active = 1)) \
         GROUP BY subject_kind"
    ))
    .bind(&like)
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    let mut levels = Vec::new();
    for (kind, label) in super::SUBJECTS {
        let total: i64 = totals.try_get(match kind {
            "village" => "villages",
            "commune" => "communes",
            _ => "organisations",
        })?;
        let row = rows
            .iter()
            .find(|r| r.try_get::<String, _>("subject_kind").ok().as_deref() == Some(kind));
        let (assessed, recognised, certified) = match row {
            Some(r) => (
                r.try_get("assessed")?,
                r.try_get("recognised")?,
                r.try_get("certified")?,
            ),
            None => (0, 0, 0),
        };
        levels.push(LevelFigure {
            subject_kind: kind.into(),
            label: label.into(),
            total,
            assessed,
            recognised,
            certified,
            share: (total > 0).then(|| (recognised as f64 * 1000.0 / total as f64).round() / 10.0),
        });
    }
    // The classification (and the typical-commune tally) of an approved
    // correction replaces the version before it; open versions do not count.
    let class_rows = sqlx::query(&format!(
        "SELECT subject_kind, level, COUNT(*) AS n FROM assessments WHERE programme = 'phan_loai' \
         AND {place} LIKE $1 AND year = $2 AND replaced = 0 AND status IN ('approved', 'recognised') \
         AND level IS NOT NULL GROUP BY subject_kind, level ORDER BY subject_kind, level"
    ))
    .bind(&like)
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    let classification = class_rows
        .iter()
        .map(|r| {
            Ok(ClassFigure {
                subject_kind: r.try_get("subject_kind")?,
                level: r.try_get("level")?,
                count: r.try_get("n")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let typical_rows = sqlx::query(&format!(
        "SELECT subject_id, subject_name, passed, total, status FROM assessments WHERE programme = 'dien_hinh' \
         AND {place} LIKE $1 AND year = $2 AND replaced = 0 AND submissions > 0 AND passed IS NOT NULL \
         AND status <> 'withdrawn' \
         ORDER BY subject_name, subject_id, version DESC"
    ))
    .bind(&like)
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    let mut typical: Vec<TypicalFigure> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for r in &typical_rows {
        // Communes of one name exist in several provinces: one row per code.
        let id: String = r.try_get("subject_id")?;
        if seen.contains(&id) {
            continue;
        }
        seen.push(id);
        typical.push(TypicalFigure {
            subject_name: r.try_get("subject_name")?,
            passed: r.try_get("passed")?,
            total: r.try_get("total")?,
            status: r.try_get("status")?,
        });
    }
    let today = crate::input::today().to_string();
    let overdue: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM assessments WHERE {place} LIKE $1 AND year = $2 \
         AND status IN ('draft', 'submitted', 'returned') AND decide_by IS NOT NULL AND decide_by <= $3"
    ))
    .bind(&like)
    .bind(year)
    .bind(&today)
    .fetch_one(&db.pool)
    .await?;
    Ok(Figures {
        year,
        levels,
        classification,
        typical,
        overdue,
    })
}

//! Figures of the registries for a unit's subtree and a year, counted from
//! the records themselves at query time, so a write is in the totals at once.

use serde::Serialize;
use sqlx::Row;

use super::ratings::LEVELS;
use super::teams::KINDS;
use crate::auth::{Action, Actor, Scope};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::units::Unit;

#[derive(Debug, Serialize)]
pub struct Summary {
    pub unit_code: String,
    pub unit_name: String,
    pub year: i64,
    pub models: ModelFigures,
    pub teams: TeamFigures,
    pub ratings: Vec<RatingFigure>,
    pub registrations: super::registrations::Figures,
    /// Sessions, festival days, campaigns, mediation, key areas and awards.
    pub activities: crate::activities::figures::Figures,
    /// Assessed and recognised per level of unit, classification, typical communes.
    pub assessments: crate::assessment::figures::Figures,
    /// Tip-offs received in the year, by category and status, on time, overdue.
    pub tips: crate::tips::figures::Figures,
}

#[derive(Debug, Serialize)]
pub struct ModelFigures {
    /// Model types with at least one point in the subtree during the year.
    pub model_types: i64,
    pub points: i64,
    pub points_active: i64,
    pub advanced_examples: i64,
    /// Distinct teams implementing those points.
    pub implementing_teams: i64,
}

#[derive(Debug, Serialize)]
pub struct TeamFigures {
    pub total: i64,
    pub by_kind: Vec<KindFigure>,
    pub members: i64,
}

#[derive(Debug, Serialize)]
pub struct KindFigure {
    pub kind: String,
    pub label: String,
    pub teams: i64,
    pub members: i64,
}

#[derive(Debug, Serialize)]
pub struct RatingFigure {
    pub subject_kind: String,
    pub level: String,
    pub label: String,
    pub count: i64,
}

/// Model points and teams (with members) of the subtree in a year: the
/// summary's and the indicators' (indicators/mod.rs) alike.
pub async fn models_and_teams(db: &Db, scope: &Scope, year: i64) -> Result<(ModelFigures, TeamFigures)> {
    let (first, last) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    // A point, team or member counts for a year when it existed on any day of it.
    let points = format!(
        "FROM model_points p WHERE {} LIKE $1 AND p.started_on <= $2 \
         AND (p.ended_on IS NULL OR p.ended_on >= $3)",
        scope.path_expr("p.")
    );
    let row = sqlx::query(&format!(
        "SELECT COUNT(DISTINCT p.model_type_id) AS types, COUNT(*) AS points, \
         COALESCE(SUM(CASE WHEN p.status = 'dang_hoat_dong' THEN 1 ELSE 0 END), 0) AS active, \
         COALESCE(SUM(CASE WHEN p.advanced_on IS NOT NULL AND p.advanced_on <= $2 THEN 1 ELSE 0 END), 0) AS advanced \
         {points}"
    ))
    .bind(scope.like())
    .bind(&last)
    .bind(&first)
    .fetch_one(&db.pool)
    .await?;
    let implementing: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(DISTINCT pt.team_id) FROM point_teams pt WHERE pt.point_id IN (SELECT p.id {points})"
    ))
    .bind(scope.like())
    .bind(&last)
    .bind(&first)
    .fetch_one(&db.pool)
    .await?;
    let models = ModelFigures {
        model_types: row.try_get("types")?,
        points: row.try_get("points")?,
        points_active: row.try_get("active")?,
        advanced_examples: row.try_get("advanced")?,
        implementing_teams: implementing,
    };

    let team_rows = sqlx::query(&format!(
        "SELECT t.kind, COUNT(DISTINCT t.id) AS teams, COUNT(m.id) AS members FROM teams t \
         LEFT JOIN members m ON m.team_id = t.id AND m.joined_on <= $2 AND (m.left_on IS NULL OR m.left_on >= $3) \
         WHERE {} LIKE $1 AND t.established_on <= $2 AND (t.dissolved_on IS NULL OR t.dissolved_on >= $3) \
         GROUP BY t.kind",
        scope.path_expr("t.")
    ))
    .bind(scope.like())
    .bind(&last)
    .bind(&first)
    .fetch_all(&db.pool)
    .await?;
    let mut by_kind = Vec::new();
    for (kind, label) in KINDS {
        let found = team_rows
            .iter()
            .find(|r| r.try_get::<String, _>("kind").ok().as_deref() == Some(kind));
        let (teams, members) = match found {
            Some(r) => (r.try_get("teams")?, r.try_get("members")?),
            None => (0, 0),
        };
        by_kind.push(KindFigure {
            kind: kind.into(),
            label: label.into(),
            teams,
            members,
        });
    }
    let teams = TeamFigures {
        total: by_kind.iter().map(|k| k.teams).sum(),
        members: by_kind.iter().map(|k| k.members).sum(),
        by_kind,
    };
    Ok((models, teams))
}

pub async fn for_unit(db: &Db, actor: &Actor, unit: &Unit, year: i64) -> Result<Summary> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::field("year", format!("Năm: {year} không hợp lệ.")));
    }
    let scope = Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let (first, last) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
    let (models, teams) = models_and_teams(db, &scope, year).await?;

    let rating_rows = sqlx::query(
        "SELECT subject_kind, level, COUNT(*) AS n FROM ratings WHERE scope_path LIKE $1 AND year = $2 \
         GROUP BY subject_kind, level",
    )
    .bind(scope.like())
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    let mut ratings = Vec::new();
    for subject in ["team", "member"] {
        for (level, label) in LEVELS {
            let count = rating_rows
                .iter()
                .find(|r| {
                    r.try_get::<String, _>("subject_kind").ok().as_deref() == Some(subject)
                        && r.try_get::<String, _>("level").ok().as_deref() == Some(level)
                })
                .map(|r| r.try_get("n"))
                .transpose()?
                .unwrap_or(0);
            ratings.push(RatingFigure {
                subject_kind: subject.into(),
                level: level.into(),
                label: label.into(),
                count,
            });
        }
    }
    let registrations = super::registrations::figures(db, &scope, year).await?;
    let activities = crate::activities::figures::figures(db, &scope, &first, &last).await?;
    let assessments = crate::assessment::figures::figures(db, &scope, year).await?;
    let tips = crate::tips::figures::figures(db, &scope, &first, &last).await?;
    Ok(Summary {
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        year,
        models,
        teams,
        ratings,
        registrations,
        activities,
        assessments,
        tips,
    })
}

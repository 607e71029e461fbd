//! Figures of activities, festival days and awards for a unit's subtree and
//! a period, counted from the records at read time like the registries'
//! (so a session saved is in the commune's, province's and nation's totals
//! at once). Cancelled records count nowhere.

use serde::Serialize;
use sqlx::Row;

use crate::auth::Scope;
use crate::awards::{self, Tally};
use crate::db::Db;
use crate::error::Result;

#[derive(Debug, Serialize)]
pub struct Figures {
    pub sessions: i64,
    pub attendance: i64,
    pub conferences: i64,
    pub festival_days: i64,
    /// Festival days chosen as showcase sites, by level (bo_cong_an, tinh, huyen, xa).
    pub showcase_sites: i64,
    pub showcase_by_level: Vec<(String, i64)>,
    pub campaigns: i64,
    pub mediation_cases: i64,
    pub mediation_successful: i64,
    pub drug_free_communes: i64,
    pub key_areas_designated: i64,
    pub key_areas_removed: i64,
    pub awards: AwardFigures,
}

#[derive(Debug, Serialize)]
pub struct AwardFigures {
    pub total: i64,
    pub collectives: i64,
    pub individuals: i64,
    /// By type: (type, label, collectives, individuals).
    pub by_type: Vec<(String, String, i64, i64)>,
    /// By issuer and type, in the seeds' order.
    pub by_issuer: Vec<Tally>,
    /// "Bộ Công an tặng Bằng khen cho 1 tập thể, 1 cá nhân, …".
    pub sentences: Vec<String>,
}

pub async fn figures(db: &Db, scope: &Scope, from: &str, to: &str) -> Result<Figures> {
    let like = scope.like();
    let place = scope.path_expr("");
    let row = sqlx::query(&format!(
        "SELECT \
           COALESCE(SUM(CASE WHEN kind = 'session' THEN 1 ELSE 0 END), 0) AS sessions, \
           CAST(COALESCE(SUM(CASE WHEN kind = 'session' THEN attendance ELSE 0 END), 0) AS BIGINT) AS attendance, \
           COALESCE(SUM(CASE WHEN kind = 'conference' THEN 1 ELSE 0 END), 0) AS conferences, \
           COALESCE(SUM(CASE WHEN kind = 'mediation' THEN 1 ELSE 0 END), 0) AS mediation, \
           COALESCE(SUM(CASE WHEN kind = 'mediation' AND subtype = 'thanh' THEN 1 ELSE 0 END), 0) AS mediated, \
           COALESCE(SUM(CASE WHEN kind = 'key_area' AND subtype = 'dua_vao' THEN 1 ELSE 0 END), 0) AS designated, \
           COALESCE(SUM(CASE WHEN kind = 'key_area' AND subtype = 'dua_ra' THEN 1 ELSE 0 END), 0) AS removed \
         FROM activities WHERE {place} LIKE $1 AND held_on >= $2 AND held_on <= $3 AND cancelled_at IS NULL \
           AND kind <> 'campaign'"
    ))
    .bind(&like)
    .bind(from)
    .bind(to)
    .fetch_one(&db.pool)
    .await?;
    // A drug-free decision counts for the year it recognises, whatever its date.
    let drug_free: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM activities WHERE kind = 'drug_free' AND {place} LIKE $1 AND cancelled_at IS NULL \
         AND year >= $2 AND year <= $3"
    ))
    .bind(&like)
    .bind(from.get(0..4).and_then(|y| y.parse::<i64>().ok()).unwrap_or(0))
    .bind(to.get(0..4).and_then(|y| y.parse::<i64>().ok()).unwrap_or(0))
    .fetch_one(&db.pool)
    .await?;
    // A campaign counts for the unit that ran it and for every unit it
    // covered; on the pre-2025 map, each covered unit is at its home there
    // (migration 0014), as the running unit is.
    let campaigns: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM activities a WHERE a.kind = 'campaign' AND a.cancelled_at IS NULL \
         AND a.held_on >= $2 AND a.held_on <= $3 AND ({} LIKE $1 OR EXISTS \
           (SELECT 1 FROM activity_units au WHERE au.activity_id = a.id AND {} LIKE $1))",
        scope.path_expr("a."),
        scope.path_expr("au.")
    ))
    .bind(&like)
    .bind(from)
    .bind(to)
    .fetch_one(&db.pool)
    .await?;
    let festival_rows = sqlx::query(&format!(
        "SELECT showcase_level, COUNT(*) AS n FROM festival_days WHERE {place} LIKE $1 AND held_on >= $2 \
         AND held_on <= $3 GROUP BY showcase_level"
    ))
    .bind(&like)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let mut festival_days = 0;
    let mut showcase_by_level = Vec::new();
    for (level, _) in &super::festival::SHOWCASE_LEVELS[1..] {
        let n = festival_rows
            .iter()
            .find(|r| r.try_get::<String, _>("showcase_level").ok().as_deref() == Some(level))
            .map(|r| r.try_get::<i64, _>("n"))
            .transpose()?
            .unwrap_or(0);
        showcase_by_level.push(((*level).to_string(), n));
    }
    for r in &festival_rows {
        festival_days += r.try_get::<i64, _>("n")?;
    }
    let award_rows = sqlx::query(&format!(
        "SELECT award_type, issuer_kind, issuer_name, recipient_kind FROM awards \
         WHERE {place} LIKE $1 AND decided_on >= $2 AND decided_on <= $3 AND cancelled_at IS NULL"
    ))
    .bind(&like)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    let mut list = Vec::with_capacity(award_rows.len());
    for r in award_rows {
        list.push(awards::Award::light(
            r.try_get("award_type")?,
            r.try_get("issuer_kind")?,
            r.try_get("issuer_name")?,
            r.try_get("recipient_kind")?,
        ));
    }
    let by_issuer = awards::tally(&list);
    let by_type = awards::TYPES
        .iter()
        .map(|(t, l)| {
            let of = |person: bool| {
                list.iter()
                    .filter(|a| a.award_type == *t && a.is_individual() == person)
                    .count() as i64
            };
            ((*t).to_string(), (*l).to_string(), of(false), of(true))
        })
        .collect();
    let individuals = list.iter().filter(|a| a.is_individual()).count() as i64;
    Ok(Figures {
        sessions: row.try_get("sessions")?,
        attendance: row.try_get("attendance")?,
        conferences: row.try_get("conferences")?,
        festival_days,
        showcase_sites: showcase_by_level.iter().map(|(_, n)| n).sum(),
        showcase_by_level,
        campaigns,
        mediation_cases: row.try_get("mediation")?,
        mediation_successful: row.try_get("mediated")?,
        drug_free_communes: drug_free,
        key_areas_designated: row.try_get("designated")?,
        key_areas_removed: row.try_get("removed")?,
        awards: AwardFigures {
            total: list.len() as i64,
            collectives: list.len() as i64 - individuals,
            individuals,
            by_type,
            sentences: awards::sentences(&by_issuer),
            by_issuer,
        },
    })
}

//! Import and export of team members as CSV or XLSX (sheet "Thành viên"),
//! all or nothing. Every row is checked in memory first — the field rules,
//! one tổ trưởng per team, one active security team per person, against the
//! database and against the rows above it — and every bad row is reported
//! with its line; only a clean file is written, in one transaction.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};
use sqlx::Row;

use super::teams::{self, MemberDraft, SECURITY_TEAM, Team};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, policy};
use crate::db::{Db, now};
use crate::error::{Invalid, Result};
use crate::tabular::{self, Format};
use crate::units::Unit;

pub const SHEET: &str = "Thành viên";
pub const COLUMNS: [&str; 8] = [
    "ma_to",
    "ho_ten",
    "chuc_danh",
    "nam_sinh",
    "gioi_tinh",
    "ngay_tham_gia",
    "dien_thoai",
    "so_dinh_danh",
];

pub struct Report {
    pub created: usize,
}

pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<Report> {
    policy::require_role(actor, Action::EditGeography)?;
    let records = tabular::read(bytes, SHEET, &COLUMNS)?;
    let mut tx = db.begin().await?;

    // Teams named in the file, each checked once: visible, editable, active.
    let mut team_of: HashMap<String, std::result::Result<Team, String>> = HashMap::new();
    for r in &records {
        let key = r.get(0).unwrap_or_default();
        if team_of.contains_key(&key) {
            continue;
        }
        let checked = match key.parse::<i64>() {
            Err(_) => Err(format!(
                "Mã tổ: \"{}\" không hợp lệ.",
                crate::input::shorten(&key)
            )),
            Ok(id) => match teams::team_in_tx(&mut tx, actor, id, "").await {
                Err(_) => Err(format!("Mã tổ: không có tổ số {id} trong phạm vi của bạn.")),
                Ok(t) if !t.active => Err(format!("Mã tổ: tổ số {id} đã giải thể.")),
                Ok(t) => match policy::authorize(actor, Action::EditGeography, &t.scope_path) {
                    Ok(()) => Ok(t),
                    Err(e) => Err(format!("Mã tổ: {}", e.user_message())),
                },
            },
        };
        team_of.insert(key, checked);
    }
    // What the database already holds: leaders of these teams, and people
    // active in a security team anywhere.
    let mut leaders: HashSet<i64> = HashSet::new();
    for id in team_of.values().filter_map(|t| t.as_ref().ok()).map(|t| t.id) {
        let has: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM members WHERE team_id = $1 AND role = 'to_truong' AND active = 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if has.is_some() {
            leaders.insert(id);
        }
    }
    // person → (team name, team path): named in messages only inside scope.
    let mut people: HashMap<String, (String, String)> = HashMap::new();
    let rows = sqlx::query(
        "SELECT m.person_key, t.name, t.scope_path FROM members m JOIN teams t ON t.id = m.team_id \
         WHERE m.active = 1 AND t.active = 1 AND t.kind = $1",
    )
    .bind(SECURITY_TEAM)
    .fetch_all(&mut *tx)
    .await?;
    for r in rows {
        people.insert(
            r.try_get("person_key")?,
            (r.try_get("name")?, r.try_get("scope_path")?),
        );
    }

    let mut errors = tabular::RowErrors::default();
    let mut good = Vec::with_capacity(records.len());
    for r in &records {
        let mut inv = Invalid::default();
        let team = match team_of.get(&r.get(0).unwrap_or_default()) {
            Some(Ok(t)) => Some(t),
            Some(Err(m)) => {
                inv.add("ma_to", m.clone());
                None
            }
            None => None,
        };
        if let Some(team) = team {
            let draft = MemberDraft {
                full_name: r.get(1),
                role: r.get(2),
                birth_year: r.get(3).map(Value::String),
                gender: r.get(4),
                joined_on: r.get(5),
                phone: r.get(6),
                citizen_id: r.get(7),
            };
            let input = teams::parse_member(team, &draft, None, &mut inv);
            // The person first, then the leader: a row refused for its person
            // must not take the team's one tổ trưởng place.
            if inv.is_empty() && team.kind == SECURITY_TEAM {
                let key = input.person_key();
                match people.get(&key) {
                    Some((name, path)) => inv.add(
                        "full_name",
                        teams::already_member(actor, &input.full_name, name, path),
                    ),
                    None => {
                        people.insert(key, (team.name.clone(), team.scope_path.clone()));
                    }
                }
            }
            if inv.is_empty() && input.role == "to_truong" && !leaders.insert(team.id) {
                inv.add(
                    "role",
                    "Chức danh: tổ đã có tổ trưởng; mỗi tổ chỉ có một tổ trưởng.",
                );
            }
            if inv.is_empty() {
                good.push((team, input));
                continue;
            }
        }
        errors.add(r.line, inv.into_messages().join(" "));
    }
    errors.finish()?;

    // Many rows per statement: a 50,000-row file is a few hundred round trips.
    let ts = now();
    for chunk in good.chunks(40) {
        let mut sql = String::from(
            "INSERT INTO members (team_id, scope_path, role, full_name, person_key, citizen_id, birth_year, gender, \
             joined_on, phone, active, created_at, updated_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 11;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 1, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 10,
                b + 11,
                b + 11
            ));
        }
        let mut q = sqlx::query(&sql);
        for (team, m) in chunk {
            q = q
                .bind(team.id)
                .bind(&team.scope_path)
                .bind(m.role)
                .bind(&m.full_name)
                .bind(m.person_key())
                .bind(&m.citizen_id)
                .bind(m.birth_year)
                .bind(m.gender)
                .bind(&m.joined_on)
                .bind(&m.phone)
                .bind(&ts);
        }
        q.execute(&mut *tx).await?;
    }
    // One audit row per team the file added to, with the count and names.
    let mut per_team: HashMap<i64, (&Team, Vec<&str>)> = HashMap::new();
    for (team, m) in &good {
        per_team
            .entry(team.id)
            .or_insert_with(|| (team, Vec::new()))
            .1
            .push(&m.full_name);
    }
    for (team, names) in per_team.values() {
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "member.import",
                target_kind: "team",
                target_id: team.id.to_string(),
                target_label: format!("{} – nhập {} thành viên", team.name, names.len()),
                scope_path: team.scope_path.clone(),
                before: None,
                after: Some(json!({ "imported": names.len(), "members": names })),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Report { created: good.len() })
}

/// The active members of a unit's subtree, in the import's columns.
pub async fn export(db: &Db, actor: &Actor, unit: &Unit, format: Format) -> Result<Vec<u8>> {
    let scope = crate::auth::Scope::new(actor, Action::ViewGeography)?.narrow(&unit.path)?;
    let rows = sqlx::query(
        "SELECT team_id, full_name, role, birth_year, gender, joined_on, phone, citizen_id FROM members \
         WHERE scope_path LIKE $1 AND active = 1 ORDER BY team_id, id",
    )
    .bind(scope.like())
    .fetch_all(&db.pool)
    .await?;
    let mut table = Vec::with_capacity(rows.len());
    for r in rows {
        let joined: String = r.try_get("joined_on")?;
        table.push(vec![
            r.try_get::<i64, _>("team_id")?.to_string(),
            r.try_get("full_name")?,
            r.try_get("role")?,
            r.try_get::<i64, _>("birth_year")?.to_string(),
            r.try_get("gender")?,
            crate::text::format_date(&joined),
            r.try_get("phone")?,
            r.try_get("citizen_id")?,
        ]);
    }
    match format {
        Format::Csv => tabular::write_csv(&COLUMNS, &table),
        Format::Xlsx => tabular::write_xlsx(SHEET, &COLUMNS, &table),
    }
}

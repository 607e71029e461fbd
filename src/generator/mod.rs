//! `antq gen --scale national --seed N`: a national-scale dataset for the
//! benchmarks (bench/national.sh), deterministic for a seed — the same
//! seed writes the same rows with the same ids into an empty database.
//!
//! On the reference units (34 provinces, 3.321 communes): about 63.000
//! villages placed in the old communes their commune was formed from, with
//! about 27 million households, one in twenty founded during the ten years
//! and one in twelve of the rest merged away in 2025 (founding and closing
//! days, migration 0015); over ten years (2016–2025) each village's
//! registration and assessment every year it existed and its outreach
//! sessions (about 3 million), each commune's festival day, registration, assessment,
//! conferences, mediations, awards and tip-offs (about 1 million); about
//! 125.000 model points, 100.000 teams with 400.000 members, and campaigns
//! covering several communes. `--scale province` writes one province
//! (Lai Châu) for quick runs and tests.
//!
//! Every row carries its `legacy_path`, computed here as the triggers of
//! migration 0007 would, so that they have nothing to do; the figure log
//! the inserts fill (migration 0008) is emptied at the end, since the
//! server's roll-up loads from the tables.

mod rng;

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Instant;

use sqlx::Row;

use crate::db::Db;
use crate::db::bulk::{self, Val};
use crate::error::{AppError, Result};
use crate::text::{fold, name_key};
use rng::Rng;

pub const FIRST_YEAR: i64 = 2016;
pub const LAST_YEAR: i64 = 2025;
/// Every timestamp the generator writes, so that two runs are identical.
const STAMP: &str = "2026-01-01T00:00:00Z";
const NOTE: &str = "Dữ liệu sinh tự động để đo hiệu năng (antq gen).";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    National,
    Province,
}

impl Scale {
    pub fn parse(raw: &str) -> std::result::Result<Scale, String> {
        match raw {
            "national" => Ok(Scale::National),
            "province" => Ok(Scale::Province),
            other => Err(format!("unknown scale \"{other}\": national or province")),
        }
    }
}

/// What was written.
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub provinces: i64,
    pub communes: i64,
    pub villages: i64,
    pub households: i64,
    pub sessions: i64,
    pub other_activities: i64,
    pub festival_days: i64,
    pub registrations: i64,
    pub assessments: i64,
    pub awards: i64,
    pub tips: i64,
    pub model_points: i64,
    pub teams: i64,
    pub members: i64,
}

impl Counts {
    pub fn rows(&self) -> i64 {
        self.villages
            + self.sessions
            + self.other_activities
            + self.festival_days
            + self.registrations
            + self.assessments
            + self.awards
            + self.tips
            + self.model_points
            + self.teams
            + self.members
    }
}

struct Commune {
    code: String,
    name: String,
    path: String,
    /// The legacy path of its home (legacy_home), for records of the commune.
    home: String,
    /// The old communes it was formed from: (code, path).
    olds: Vec<(String, String)>,
}

struct Province {
    code: String,
    name: String,
    path: String,
    communes: Vec<Commune>,
}

struct Village {
    id: i64,
    name: String,
    households: i64,
    legacy_code: String,
    legacy_path: String,
    /// The first and last day it existed in the generated years
    /// (migration 0015): records fall between them.
    first_day: String,
    last_day: String,
}

impl Village {
    /// The years it existed on any day of, as the roll-up counts it.
    fn years(&self) -> std::ops::RangeInclusive<i64> {
        let year = |d: &str| d.get(..4).and_then(|y| y.parse().ok()).unwrap_or(FIRST_YEAR);
        year(&self.first_day)..=year(&self.last_day)
    }

    /// `day` moved inside the days the village existed.
    fn within(&self, day: String) -> String {
        day.max(self.first_day.clone()).min(self.last_day.clone())
    }
}

/// A village's founding and closing days: most are older than the records
/// and still exist; one in twenty is founded in the ten years, and one in
/// twelve of the others ceased in the 2025 wave of village mergers.
fn village_span(rng: &mut Rng) -> (Option<String>, Option<String>) {
    if rng.below(20) == 0 {
        let year = FIRST_YEAR + 1 + rng.below((LAST_YEAR - FIRST_YEAR) as u64) as i64;
        (Some(random_date(rng, year)), None)
    } else if rng.below(12) == 0 {
        (None, Some(date(LAST_YEAR, 1 + rng.below(6), 1 + rng.below(28))))
    } else {
        (None, None)
    }
}

/// A progress bar on a terminal, a line per province otherwise.
struct Progress {
    started: Instant,
    total: usize,
    tty: bool,
}

impl Progress {
    fn show(&self, done: usize, what: &str, rows: i64) {
        let secs = self.started.elapsed().as_secs_f64();
        let line = format!(
            "{done}/{} provinces, {} rows, {:.0} s — {what}",
            self.total,
            crate::text::format_int(rows),
            secs
        );
        if self.tty {
            let width = 30;
            let filled = done * width / self.total.max(1);
            let bar: String = "█".repeat(filled) + &"░".repeat(width - filled);
            eprint!("\r\x1b[2K[{bar}] {line}");
            if done == self.total {
                eprintln!();
            }
        } else {
            eprintln!("{line}");
        }
        let _ = std::io::stderr().flush();
    }
}

pub async fn generate(db: &Db, scale: Scale, seed: u64) -> Result<Counts> {
    let villages: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM villages")
        .fetch_one(&db.pool)
        .await?;
    if villages > 0 {
        return Err(AppError::field(
            "database",
            "Cơ sở dữ liệu đã có thôn, tổ dân phố: antq gen chỉ ghi vào cơ sở dữ liệu trống.",
        ));
    }
    let provinces = provinces(db, scale).await?;
    let sets = criteria_sets(db).await?;
    let model_types = model_types(db).await?;
    let progress = Progress {
        started: Instant::now(),
        total: provinces.len(),
        tty: std::io::stderr().is_terminal(),
    };
    let mut counts = Counts::default();
    for (i, p) in provinces.iter().enumerate() {
        progress.show(i, &p.name, counts.rows());
        // A stream of its own per province: the same seed gives the same
        // province whatever the scale.
        let mut rng = Rng::new(seed ^ (p.code.parse::<u64>().unwrap_or(0) << 32));
        let mut tx = db.begin().await?;
        province(&mut tx, p, &sets, &model_types, &mut rng, &mut counts).await?;
        tx.commit().await?;
        counts.provinces += 1;
        counts.communes += p.communes.len() as i64;
    }
    progress.show(provinces.len(), "done", counts.rows());
    // The generator's rows are read from the records at the next start:
    // neither the log of them nor a roll-up saved before them is of use.
    for table in ["figure_changes", "rollup_snapshot_parts", "rollup_snapshots"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&db.pool)
            .await?;
    }
    Ok(counts)
}

async fn provinces(db: &Db, scale: Scale) -> Result<Vec<Province>> {
    let only = match scale {
        Scale::National => "",
        Scale::Province => " AND code = '12'",
    };
    let rows = sqlx::query(&format!(
        "SELECT code, name, path FROM units WHERE era = 'current' AND level = 'province'{only} ORDER BY code"
    ))
    .fetch_all(&db.pool)
    .await?;
    let olds = sqlx::query(
        "SELECT c.new_code, c.old_code, u.path FROM crosswalk_2025 c \
         JOIN units u ON u.era = 'legacy' AND u.code = c.old_code ORDER BY c.new_code, c.old_code",
    )
    .fetch_all(&db.pool)
    .await?;
    let mut olds_of: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for r in olds {
        olds_of
            .entry(r.try_get("new_code")?)
            .or_default()
            .push((r.try_get("old_code")?, r.try_get("path")?));
    }
    let homes = sqlx::query("SELECT code, legacy_path FROM legacy_home")
        .fetch_all(&db.pool)
        .await?;
    let mut home_of = HashMap::new();
    for r in homes {
        home_of.insert(
            r.try_get::<String, _>("code")?,
            r.try_get::<String, _>("legacy_path")?,
        );
    }
    let mut out = Vec::new();
    for r in rows {
        let code: String = r.try_get("code")?;
        let communes = sqlx::query(
            "SELECT code, name, path FROM units WHERE era = 'current' AND level = 'commune' \
             AND parent_code = $1 ORDER BY code",
        )
        .bind(&code)
        .fetch_all(&db.pool)
        .await?;
        let mut list = Vec::new();
        for c in communes {
            let ccode: String = c.try_get("code")?;
            list.push(Commune {
                name: c.try_get("name")?,
                path: c.try_get("path")?,
                home: home_of.get(&ccode).cloned().unwrap_or_default(),
                olds: olds_of.remove(&ccode).unwrap_or_default(),
                code: ccode,
            });
        }
        out.push(Province {
            name: r.try_get("name")?,
            path: r.try_get("path")?,
            communes: list,
            code,
        });
    }
    Ok(out)
}

struct Sets {
    village: i64,
    commune: i64,
}

async fn criteria_sets(db: &Db) -> Result<Sets> {
    let id = |code: &'static str| async move {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM criteria_sets WHERE code = $1 AND active = 1 ORDER BY version DESC LIMIT 1",
        )
        .bind(code)
        .fetch_optional(&db.pool)
        .await?;
        id.ok_or_else(|| AppError::Internal(anyhow::anyhow!("criteria set {code} is not loaded")))
    };
    Ok(Sets {
        village: id("tt124-khu-dan-cu").await?,
        commune: id("tt124-xa-phuong").await?,
    })
}

/// Four model types of the whole country, one per category.
async fn model_types(db: &Db) -> Result<Vec<i64>> {
    let types = [
        ("tu_phong", "Camera an ninh khu dân cư"),
        ("tu_quan", "Tổ tự quản an ninh, trật tự"),
        ("tu_bao_ve", "Tổ bảo vệ dân phố"),
        ("tu_hoa_giai", "Tổ hòa giải ở cơ sở"),
    ];
    let mut tx = db.begin().await?;
    let mut ids = Vec::new();
    for (category, name) in types {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO model_types (owner_code, scope_path, name, name_key, category, field, description, \
             created_at, updated_at) VALUES ('VN', '/VN/', $1, $2, $3, 'an_ninh_trat_tu', $4, $5, $5) RETURNING id",
        )
        .bind(name)
        .bind(name_key(name))
        .bind(category)
        .bind(NOTE)
        .bind(STAMP)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

fn date(year: i64, month: u64, day: u64) -> String {
    format!("{year:04}-{month:02}-{day:02}")
}

fn random_date(rng: &mut Rng, year: i64) -> String {
    date(year, 1 + rng.below(12), 1 + rng.below(28))
}

/// Adds `days` (< 60) to a date of the form written by [`date`].
fn plus_days(d: &str, days: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &format)
        .ok()
        .and_then(|x| x.checked_add(time::Duration::days(days)))
        .map(|x| x.to_string())
        .unwrap_or_else(|| d.to_string())
}

fn t(s: &str) -> Val {
    Val::from(s)
}

async fn province(
    tx: &mut crate::db::Tx,
    p: &Province,
    sets: &Sets,
    model_types: &[i64],
    rng: &mut Rng,
    counts: &mut Counts,
) -> Result<()> {
    // Villages: 10 to 28 a commune, in turn in the old communes it was
    // formed from.
    let mut rows = Vec::new();
    for c in &p.communes {
        let n = 10 + rng.below(19);
        for k in 0..n {
            let (old_code, old_path) = match c.olds.get(k as usize % c.olds.len().max(1)) {
                Some((code, path)) => (Val::from(code.as_str()), Val::from(path.as_str())),
                None => (Val::Null, Val::from(c.home.as_str())),
            };
            let name = format!("Thôn {}", k + 1);
            let households = 200 + rng.below(451) as i64;
            let (founded, closed) = village_span(rng);
            let active = i64::from(closed.is_none());
            rows.push(vec![
                t(&c.code),
                t(&p.code),
                t(&c.path),
                Val::from(name_key(&name)),
                Val::from(fold(&name)),
                Val::from(name),
                t("Thôn"),
                Val::from(households),
                Val::from(households * 4),
                old_code,
                old_path,
                Val::from(founded),
                Val::from(closed),
                Val::from(active),
                t(NOTE),
                t(STAMP),
                t(STAMP),
            ]);
            counts.households += households;
        }
    }
    counts.villages += rows.len() as i64;
    bulk::insert(
        tx,
        "villages",
        &[
            "commune_code",
            "province_code",
            "scope_path",
            "name_key",
            "search_key",
            "name",
            "kind",
            "households",
            "population",
            "legacy_code",
            "legacy_path",
            "founded_on",
            "closed_on",
            "active",
            "note",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await?;
    let mut villages_of: HashMap<String, Vec<Village>> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, commune_code, name, households, COALESCE(legacy_code, '') AS legacy_code, legacy_path, \
         founded_on, closed_on FROM villages WHERE province_code = $1 ORDER BY id",
    )
    .bind(&p.code)
    .fetch_all(&mut **tx)
    .await?
    {
        villages_of
            .entry(r.try_get("commune_code")?)
            .or_default()
            .push(Village {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                households: r.try_get::<Option<i64>, _>("households")?.unwrap_or(0),
                legacy_code: r.try_get("legacy_code")?,
                legacy_path: r.try_get::<Option<String>, _>("legacy_path")?.unwrap_or_default(),
                first_day: r
                    .try_get::<Option<String>, _>("founded_on")?
                    .unwrap_or_else(|| date(FIRST_YEAR, 1, 1)),
                last_day: r
                    .try_get::<Option<String>, _>("closed_on")?
                    .unwrap_or_else(|| date(LAST_YEAR, 12, 31)),
            });
    }

    let mut sessions = Vec::new();
    let mut activities = Vec::new();
    let mut registrations = Vec::new();
    let mut assessments = Vec::new();
    let mut festival = Vec::new();
    let mut awards = Vec::new();
    let mut tips = Vec::new();
    let mut points = Vec::new();
    let mut teams = Vec::new();
    let topics = [
        ("Phòng, chống lừa đảo qua mạng", "hop_dan"),
        ("Phòng, chống ma túy", "truc_quan"),
        ("Bảo đảm trật tự an toàn giao thông", "loa_phat_thanh"),
        ("Phòng, chống tội phạm trộm cắp tài sản", "hop_dan"),
    ];
    for c in &p.communes {
        let villages = villages_of.remove(&c.code).unwrap_or_default();
        for year in FIRST_YEAR..=LAST_YEAR {
            for v in villages.iter().filter(|v| v.years().contains(&year)) {
                let registered = (v.households - rng.below(4) as i64).max(0);
                registrations.push(vec![
                    Val::from(year),
                    t("village"),
                    Val::from(v.id.to_string()),
                    t(&v.name),
                    t(&c.code),
                    t(&c.path),
                    Val::from(v.within(date(year, 1, 15))),
                    Val::from(v.households),
                    Val::from(registered),
                    t(&v.legacy_path),
                    t(STAMP),
                    t(STAMP),
                ]);
                let dat = rng.below(100) < 92;
                assessments.push(assessment(
                    sets.village,
                    "village",
                    &v.id.to_string(),
                    &v.name,
                    &c.code,
                    &c.code,
                    &c.path,
                    year,
                    dat,
                    &v.legacy_path,
                ));
                for _ in 0..3 + rng.below(4) {
                    let (topic, form) = topics[rng.below(topics.len() as u64) as usize];
                    sessions.push(vec![
                        t("session"),
                        t(&c.code),
                        t(&p.code),
                        Val::from(v.id),
                        t(&c.path),
                        if v.legacy_code.is_empty() {
                            Val::Null
                        } else {
                            t(&v.legacy_code)
                        },
                        Val::from(v.within(random_date(rng, year))),
                        Val::NullInt,
                        t(topic),
                        t(form),
                        Val::from(20 + rng.below(141) as i64),
                        t(&v.legacy_path),
                        t(STAMP),
                        t(STAMP),
                    ]);
                }
            }
            // The commune's own year.
            registrations.push(vec![
                Val::from(year),
                t("commune"),
                t(&c.code),
                t(&c.name),
                t(&c.code),
                t(&c.path),
                Val::from(date(year, 1, 10)),
                Val::NullInt,
                Val::NullInt,
                t(&c.home),
                t(STAMP),
                t(STAMP),
            ]);
            assessments.push(assessment(
                sets.commune,
                "commune",
                &c.code,
                &c.name,
                &c.code,
                &p.code,
                &c.path,
                year,
                rng.below(100) < 85,
                &c.home,
            ));
            festival.push(vec![
                t(&c.code),
                t(&p.code),
                Val::from(format!("c:{}", c.code)),
                t(&c.path),
                Val::from(year),
                Val::from(date(year, 8, 1 + rng.below(28))),
                Val::from(150 + rng.below(400) as i64),
                t(&c.home),
                t(STAMP),
                t(STAMP),
            ]);
            let commune_activity = |kind: &str, subtype: &str, day: String, year_col: Val| {
                vec![
                    t(kind),
                    t(&c.code),
                    t(&p.code),
                    Val::NullInt,
                    t(&c.path),
                    Val::Null,
                    Val::from(day),
                    year_col,
                    t(match kind {
                        "conference" => "Hội nghị sơ kết phong trào",
                        "mediation" => "Hòa giải mâu thuẫn đất đai",
                        _ => "Quyết định công nhận xã không ma túy",
                    }),
                    t(subtype),
                    Val::NullInt,
                    t(&c.home),
                    t(STAMP),
                    t(STAMP),
                ]
            };
            activities.push(commune_activity(
                "conference",
                "",
                date(year, 6, 20),
                Val::NullInt,
            ));
            activities.push(commune_activity(
                "conference",
                "",
                date(year, 12, 20),
                Val::NullInt,
            ));
            for _ in 0..5 {
                let subtype = if rng.below(10) < 7 { "thanh" } else { "khong_thanh" };
                activities.push(commune_activity(
                    "mediation",
                    subtype,
                    random_date(rng, year),
                    Val::NullInt,
                ));
            }
            if rng.below(10) == 0 {
                activities.push(commune_activity(
                    "drug_free",
                    "",
                    date(year, 12, 28),
                    Val::from(year),
                ));
            }
            for k in 0..3 {
                let person = k > 0;
                awards.push(vec![
                    t(if person { "giay_khen" } else { "bang_khen" }),
                    t(if person {
                        "giam_doc_cong_an_tinh"
                    } else {
                        "ubnd_tinh"
                    }),
                    t("current"),
                    t(&p.code),
                    Val::from(format!("UBND {}", p.name)),
                    t(if person { "person" } else { "unit" }),
                    t(&c.code),
                    Val::from(if person {
                        format!("Người được khen {} {k}", c.code)
                    } else {
                        c.name.clone()
                    }),
                    t(&c.code),
                    t(&p.code),
                    t(&c.path),
                    Val::from(format!("{}/QĐ-UBND", 100 + rng.below(900))),
                    Val::from(date(year, 12, 1 + rng.below(20))),
                    t(&c.home),
                    t(STAMP),
                ]);
            }
            for _ in 0..30 {
                let received = random_date(rng, year);
                let deadline = plus_days(&received, 20);
                let roll = rng.below(100);
                let (status, closed) = match roll {
                    0..=69 => (
                        "resolved",
                        Val::from(plus_days(&received, 1 + rng.below(25) as i64)),
                    ),
                    70..=84 => (
                        "unfounded",
                        Val::from(plus_days(&received, 1 + rng.below(15) as i64)),
                    ),
                    85..=89 => ("transferred", Val::from(plus_days(&received, 3))),
                    _ => ("verifying", Val::Null),
                };
                let category = crate::tips::CATEGORIES[rng.below(8) as usize].0;
                tips.push(vec![
                    Val::from(format!("{:012}", counts.tips + tips.len() as i64 + 1)),
                    t("antq-gen"),
                    t(category),
                    t("Tin báo sinh tự động để đo hiệu năng."),
                    t("commune"),
                    t(&c.code),
                    t(&p.code),
                    t(&c.path),
                    Val::from(1),
                    t(status),
                    Val::from(received),
                    Val::from(deadline),
                    closed,
                    t(&c.home),
                    t(STAMP),
                    t(STAMP),
                ]);
            }
        }
        // Model points: about two a village, started over the ten years
        // while it existed; a village's points end when it ceases.
        for v in &villages {
            for _ in 0..1 + rng.below(3) {
                let start = FIRST_YEAR + rng.below(10) as i64;
                let started = v.within(random_date(rng, start));
                let ended = (rng.below(10) == 0)
                    .then(|| date((start + 2).min(LAST_YEAR), 12, 31))
                    .or_else(|| (v.last_day < date(LAST_YEAR, 12, 31)).then(|| v.last_day.clone()))
                    .map(|d| v.within(d).max(started.clone()));
                points.push(vec![
                    Val::from(model_types[rng.below(model_types.len() as u64) as usize]),
                    t(&c.code),
                    t(&p.code),
                    Val::from(v.id),
                    t(&c.path),
                    Val::from(format!("Mô hình {}", v.name)),
                    Val::from(started),
                    t(if ended.is_some() {
                        "da_ket_thuc"
                    } else {
                        "dang_hoat_dong"
                    }),
                    Val::from(ended),
                    t(&v.legacy_path),
                    t(STAMP),
                    t(STAMP),
                ]);
            }
        }
        // Teams: thirty a commune, four members each (below).
        for k in 0..30 {
            let name = format!("Tổ tự quản số {}", k + 1);
            let start = FIRST_YEAR + rng.below(9) as i64;
            let dissolved = (rng.below(20) == 0).then(|| date(LAST_YEAR - 1, 6, 30));
            teams.push(vec![
                t(&c.code),
                t(&p.code),
                t(&c.path),
                t(if k % 3 == 0 {
                    crate::registry::teams::SECURITY_TEAM
                } else {
                    "to_tu_quan"
                }),
                Val::from(name_key(&name)),
                Val::from(name),
                Val::from(random_date(rng, start)),
                Val::from(dissolved),
                t(&c.home),
                t(STAMP),
                t(STAMP),
            ]);
        }
    }
    counts.sessions += sessions.len() as i64;
    counts.other_activities += activities.len() as i64;
    counts.registrations += registrations.len() as i64;
    counts.assessments += assessments.len() as i64;
    counts.festival_days += festival.len() as i64;
    counts.awards += awards.len() as i64;
    counts.tips += tips.len() as i64;
    counts.model_points += points.len() as i64;
    counts.teams += teams.len() as i64;
    let activity_columns = [
        "kind",
        "unit_code",
        "province_code",
        "village_id",
        "scope_path",
        "legacy_code",
        "held_on",
        "year",
        "title",
        "subtype",
        "attendance",
        "legacy_path",
        "created_at",
        "updated_at",
    ];
    bulk::insert(tx, "activities", &activity_columns, &sessions).await?;
    bulk::insert(tx, "activities", &activity_columns, &activities).await?;
    drop(sessions);
    bulk::insert(
        tx,
        "registrations",
        &[
            "year",
            "subject_kind",
            "subject_id",
            "subject_name",
            "unit_code",
            "scope_path",
            "registered_on",
            "households_resident",
            "households_registered",
            "legacy_path",
            "created_at",
            "updated_at",
        ],
        &registrations,
    )
    .await?;
    bulk::insert(
        tx,
        "assessments",
        &[
            "set_id",
            "programme",
            "subject_kind",
            "subject_id",
            "subject_name",
            "unit_code",
            "decider_code",
            "scope_path",
            "year",
            "period_from",
            "period_to",
            "status",
            "result",
            "submissions",
            "decided_at",
            "legacy_path",
            "created_at",
            "updated_at",
        ],
        &assessments,
    )
    .await?;
    bulk::insert(
        tx,
        "festival_days",
        &[
            "unit_code",
            "province_code",
            "subject_key",
            "scope_path",
            "year",
            "held_on",
            "attendance",
            "legacy_path",
            "created_at",
            "updated_at",
        ],
        &festival,
    )
    .await?;
    bulk::insert(
        tx,
        "awards",
        &[
            "award_type",
            "issuer_kind",
            "issuer_era",
            "issuer_unit",
            "issuer_name",
            "recipient_kind",
            "recipient_ref",
            "recipient_name",
            "unit_code",
            "province_code",
            "scope_path",
            "decision_number",
            "decided_on",
            "legacy_path",
            "created_at",
        ],
        &awards,
    )
    .await?;
    bulk::insert(
        tx,
        "tips",
        &[
            "tracking_code",
            "secret_hash",
            "category",
            "description",
            "place_kind",
            "unit_code",
            "province_code",
            "scope_path",
            "anonymous",
            "status",
            "received_on",
            "deadline",
            "closed_on",
            "legacy_path",
            "created_at",
            "updated_at",
        ],
        &tips,
    )
    .await?;
    bulk::insert(
        tx,
        "model_points",
        &[
            "model_type_id",
            "commune_code",
            "province_code",
            "village_id",
            "scope_path",
            "name",
            "started_on",
            "status",
            "ended_on",
            "legacy_path",
            "created_at",
            "updated_at",
        ],
        &points,
    )
    .await?;
    bulk::insert(
        tx,
        "teams",
        &[
            "commune_code",
            "province_code",
            "scope_path",
            "kind",
            "name_key",
            "name",
            "established_on",
            "dissolved_on",
            "legacy_path",
            "created_at",
            "updated_at",
        ],
        &teams,
    )
    .await?;
    members(tx, p, rng, counts).await?;
    campaigns(tx, p, rng, counts).await
}

#[allow(clippy::too_many_arguments)]
fn assessment(
    set_id: i64,
    kind: &str,
    subject_id: &str,
    subject_name: &str,
    unit_code: &str,
    decider: &str,
    path: &str,
    year: i64,
    dat: bool,
    legacy_path: &str,
) -> Vec<Val> {
    vec![
        Val::from(set_id),
        t("an_toan"),
        t(kind),
        t(subject_id),
        t(subject_name),
        t(unit_code),
        t(decider),
        t(path),
        Val::from(year),
        Val::from(date(year, 1, 1)),
        Val::from(date(year, 12, 31)),
        t("approved"),
        t(if dat { "dat" } else { "chua_dat" }),
        Val::from(1),
        Val::from(format!("{}-12-25T02:00:00Z", year)),
        t(legacy_path),
        t(STAMP),
        t(STAMP),
    ]
}

/// Four members a team: a leader, a deputy, two members.
async fn members(tx: &mut crate::db::Tx, p: &Province, rng: &mut Rng, counts: &mut Counts) -> Result<()> {
    let teams =
        sqlx::query("SELECT id, scope_path, established_on FROM teams WHERE province_code = $1 ORDER BY id")
            .bind(&p.code)
            .fetch_all(&mut **tx)
            .await?;
    let family = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"];
    let given = [
        "Văn An",
        "Thị Bình",
        "Văn Cường",
        "Thị Dung",
        "Văn Hùng",
        "Thị Lan",
    ];
    let mut rows = Vec::new();
    for team in &teams {
        let id: i64 = team.try_get("id")?;
        let path: String = team.try_get("scope_path")?;
        let established: String = team.try_get("established_on")?;
        for (k, role) in ["to_truong", "to_pho", "to_vien", "to_vien"].iter().enumerate() {
            let name = format!(
                "{} {}",
                family[rng.below(family.len() as u64) as usize],
                given[rng.below(given.len() as u64) as usize]
            );
            let left = (rng.below(10) == 0).then(|| date(LAST_YEAR - 1, 12, 31));
            rows.push(vec![
                Val::from(id),
                t(&path),
                t(role),
                Val::from(fold(&name)),
                Val::from(name),
                Val::from(1960 + rng.below(45) as i64),
                t(if k % 2 == 0 { "nam" } else { "nu" }),
                t(&established),
                Val::from(left),
                t(STAMP),
                t(STAMP),
            ]);
        }
    }
    counts.members += rows.len() as i64;
    bulk::insert(
        tx,
        "members",
        &[
            "team_id",
            "scope_path",
            "role",
            "person_key",
            "full_name",
            "birth_year",
            "gender",
            "joined_on",
            "left_on",
            "created_at",
            "updated_at",
        ],
        &rows,
    )
    .await
}

/// Two campaigns a year run by the province, each covering three of its
/// communes.
async fn campaigns(tx: &mut crate::db::Tx, p: &Province, rng: &mut Rng, counts: &mut Counts) -> Result<()> {
    if p.communes.is_empty() {
        return Ok(());
    }
    for year in FIRST_YEAR..=LAST_YEAR {
        for _ in 0..2 {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO activities (kind, unit_code, province_code, scope_path, held_on, ends_on, title, \
                 legacy_path, created_at, updated_at) VALUES ('campaign', $1, $1, $2, $3, $4, $5, \
                 (SELECT legacy_path FROM legacy_home WHERE code = $1), $6, $6) RETURNING id",
            )
            .bind(&p.code)
            .bind(&p.path)
            .bind(date(year, 3 + rng.below(6), 1))
            .bind(date(year, 10, 30))
            .bind("Cao điểm tấn công, trấn áp tội phạm")
            .bind(STAMP)
            .fetch_one(&mut **tx)
            .await?;
            let mut covered: Vec<&Commune> = Vec::new();
            while covered.len() < 3.min(p.communes.len()) {
                let c = &p.communes[rng.below(p.communes.len() as u64) as usize];
                if !covered.iter().any(|x| x.code == c.code) {
                    covered.push(c);
                }
            }
            for c in covered {
                sqlx::query(
                    "INSERT INTO activity_units (activity_id, unit_code, scope_path) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(&c.code)
                .bind(&c.path)
                .execute(&mut **tx)
                .await?;
            }
            counts.other_activities += 1;
        }
    }
    Ok(())
}

//! Tỉnh Lai Châu in the phase 2013–2023, as the 10-year review of
//! programme 09 reports it (seed 001): "hơn 10.480 buổi, với hơn 860.500
//! lượt người tham gia", "956/956 bản, ở 106 xã, phường, thị trấn, với hơn
//! 90.500 hộ, 828 cơ quan, doanh nghiệp, trường học đăng ký". The seed
//! gives totals only, so the records behind them are generated here —
//! villages in each of the province's 106 communes of then, their 2023
//! registrations, organisations and outreach sessions — deterministically,
//! topping up what the rest of the demo already recorded so that the
//! figures counted from the records on the pre-2025 map are the seed's.
//! Names are invented and carry the note "dữ liệu minh họa".
//!
//! The communes of today the other demo stories use (Khổng Lào, Đoàn Kết)
//! get no generated village or organisation, so their stories keep their
//! figures; their old communes are covered by the demo villages, each
//! placed (for illustration) in one of them.

use sqlx::Row;

use super::ILLUSTRATIVE;
use crate::db::Db;
use crate::db::bulk::{self, Val};
use crate::error::Result;
use crate::text::{fold, name_key};

pub const VILLAGES: i64 = 956;
pub const HOUSEHOLDS: i64 = 90_500;
pub const ORGANISATIONS: i64 = 828;
pub const SESSIONS: i64 = 10_480;
pub const ATTENDANCE: i64 = 860_500;

const PROVINCE: &str = "12";
const OLD_PROVINCE_PATH: &str = "/VN/12/%";
const YEAR: i64 = 2023;
const FIRST_YEAR: i64 = 2013;
const KEEP: [&str; 2] = ["03583", "03388"];

/// The old commune of each demo village of Lai Châu (mod.rs VILLAGES).
pub fn old_commune_of(village: &str) -> Option<&'static str> {
    match village {
        "Bản Khổng Lào" => Some("03583"),
        "Bản Nà Cúng" => Some("03577"),
        "Bản Phiêng Chá" => Some("03580"),
        "Bản Sùng Phài" => Some("03403"),
        "Bản Cư Nhà La" => Some("03391"),
        "Tổ dân phố số 1" => Some("03389"),
        _ => None,
    }
}

struct Old {
    code: String,
    name: String,
    short: String,
    /// Today's commune it went to by default, and that commune's path.
    now: String,
    now_path: String,
}

/// `n` parts summing to `total`, nearly equal, with a deterministic wobble
/// of ±`spread` in pairs (so the sum stays exact).
fn split(total: i64, n: usize, spread: i64) -> Vec<i64> {
    if n == 0 {
        return Vec::new();
    }
    let n64 = n as i64;
    let (base, rest) = (total / n64, total % n64);
    let mut out: Vec<i64> = (0..n64).map(|i| base + i64::from(i < rest)).collect();
    for j in 0..n / 2 {
        let w = ((j as i64 * 7919) % (2 * spread + 1)) - spread;
        let w = w.min(out[2 * j] - 1).max(-(out[2 * j + 1] - 1));
        out[2 * j] += w;
        out[2 * j + 1] -= w;
    }
    out
}

pub async fn load(db: &Db) -> Result<()> {
    let rows = sqlx::query(
        "SELECT o.code, o.name, o.unit_type, x.new_code, c.path FROM units o \
         JOIN crosswalk_2025 x ON x.old_code = o.code AND x.is_default = 1 \
         JOIN units c ON c.era = 'current' AND c.code = x.new_code \
         WHERE o.era = 'legacy' AND o.level = 'commune' AND o.path LIKE $1 ORDER BY o.code",
    )
    .bind(OLD_PROVINCE_PATH)
    .fetch_all(&db.pool)
    .await?;
    let mut olds = Vec::new();
    for r in rows {
        let name: String = r.try_get("name")?;
        let kind: String = r.try_get("unit_type")?;
        olds.push(Old {
            code: r.try_get("code")?,
            short: name
                .strip_prefix(&format!("{kind} "))
                .unwrap_or(&name)
                .to_string(),
            name,
            now: r.try_get("new_code")?,
            now_path: r.try_get("path")?,
        });
    }
    let ts = crate::db::now();
    let mut tx = db.begin().await?;

    // Villages: the old communes no demo village covers get theirs.
    let covered: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT legacy_code FROM villages WHERE active = 1 AND legacy_code IS NOT NULL AND legacy_path LIKE $1",
    )
    .bind(OLD_PROVINCE_PATH)
    .fetch_all(&mut *tx)
    .await?;
    let have: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM villages WHERE active = 1 AND legacy_path LIKE $1")
            .bind(OLD_PROVINCE_PATH)
            .fetch_one(&mut *tx)
            .await?;
    let open: Vec<&Old> = olds.iter().filter(|o| !covered.contains(&o.code)).collect();
    let (kept, free): (Vec<&Old>, Vec<&Old>) = open.iter().partition(|o| KEEP.contains(&o.now.as_str()));
    let mut village_rows = Vec::new();
    let mut add_village = |o: &Old, k: usize| {
        let is_ward = o.name.starts_with("Phường") || o.name.starts_with("Thị trấn");
        let (kind, name) = if is_ward {
            ("Tổ dân phố", format!("Tổ dân phố {} {k}", o.short))
        } else {
            ("Bản", format!("Bản {} {k}", o.short))
        };
        village_rows.push(vec![
            Val::from(o.now.as_str()),
            Val::from(PROVINCE),
            Val::from(o.now_path.as_str()),
            Val::from(name_key(&name)),
            Val::from(fold(&name)),
            Val::from(name),
            Val::from(kind),
            Val::from(o.code.as_str()),
            Val::from(ILLUSTRATIVE),
            Val::from(ts.as_str()),
            Val::from(ts.as_str()),
        ]);
    };
    // One village each for old communes whose commune of today a demo
    // story uses; the rest share what is left.
    for o in &kept {
        add_village(o, 1);
    }
    let left = (VILLAGES - have - kept.len() as i64).max(0);
    for (i, n) in split(left, free.len(), 3).into_iter().enumerate() {
        for k in 1..=n {
            add_village(free[i], usize::try_from(k).unwrap_or(1));
        }
    }
    bulk::insert(
        &mut tx,
        "villages",
        &[
            "commune_code",
            "province_code",
            "scope_path",
            "name_key",
            "search_key",
            "name",
            "kind",
            "legacy_code",
            "note",
            "created_at",
            "updated_at",
        ],
        &village_rows,
    )
    .await?;

    // Their 2023 registrations, with the households the seed counts.
    let unregistered = sqlx::query(
        "SELECT v.id, v.name, v.commune_code, v.scope_path FROM villages v WHERE v.active = 1 \
         AND v.legacy_path LIKE $1 AND NOT EXISTS (SELECT 1 FROM registrations r \
           WHERE r.subject_kind = 'village' AND r.subject_id = CAST(v.id AS TEXT) AND r.year = $2) ORDER BY v.id",
    )
    .bind(OLD_PROVINCE_PATH)
    .bind(YEAR)
    .fetch_all(&mut *tx)
    .await?;
    let counted: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(households_registered), 0) AS BIGINT) FROM registrations \
         WHERE subject_kind = 'village' AND year = $2 AND legacy_path LIKE $1",
    )
    .bind(OLD_PROVINCE_PATH)
    .bind(YEAR)
    .fetch_one(&mut *tx)
    .await?;
    let households = split(HOUSEHOLDS - counted, unregistered.len(), 25);
    let mut reg_rows = Vec::new();
    // Where each newly registered village is, for its sessions below.
    let mut village_ids = std::collections::HashMap::new();
    for (i, r) in unregistered.iter().enumerate() {
        let id: i64 = r.try_get("id")?;
        village_ids.insert(
            id,
            (
                r.try_get::<String, _>("commune_code")?,
                r.try_get::<String, _>("scope_path")?,
            ),
        );
        let h = households.get(i).copied().unwrap_or(0);
        reg_rows.push(vec![
            Val::from(YEAR),
            Val::from("village"),
            Val::from(id.to_string()),
            Val::from(r.try_get::<String, _>("name")?),
            Val::from(r.try_get::<String, _>("commune_code")?),
            Val::from(r.try_get::<String, _>("scope_path")?),
            Val::from(format!("{YEAR}-02-{:02}", 1 + i % 28)),
            Val::from(format!("Nghị quyết của chi bộ ({ILLUSTRATIVE})")),
            Val::from(h),
            Val::from(h),
            Val::from(ILLUSTRATIVE),
            Val::from(ts.as_str()),
            Val::from(ts.as_str()),
        ]);
    }
    let reg_columns = [
        "year",
        "subject_kind",
        "subject_id",
        "subject_name",
        "unit_code",
        "scope_path",
        "registered_on",
        "resolution_ref",
        "households_resident",
        "households_registered",
        "note",
        "created_at",
        "updated_at",
    ];
    bulk::insert(&mut tx, "registrations", &reg_columns, &reg_rows).await?;

    // Organisations and their 2023 registrations, in the old communes
    // whose commune of today no demo story uses.
    let registered_orgs: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM registrations WHERE subject_kind = 'organisation' AND year = $2 AND legacy_path LIKE $1",
    )
    .bind(OLD_PROVINCE_PATH)
    .bind(YEAR)
    .fetch_one(&mut *tx)
    .await?;
    let templates = [
        ("co_quan", "Trạm Y tế xã {}"),
        ("co_so_giao_duc", "Trường Trung học cơ sở {}"),
        ("co_quan", "Bưu điện văn hóa xã {}"),
        ("doanh_nghiep", "Hợp tác xã nông nghiệp {}"),
        ("co_so_giao_duc", "Trường Phổ thông dân tộc bán trú {}"),
        ("co_quan", "Trụ sở Ủy ban nhân dân xã {}"),
        ("doanh_nghiep", "Công ty trách nhiệm hữu hạn {}"),
        ("co_quan", "Đồn Biên phòng {}"),
        ("doanh_nghiep", "Chi nhánh điện lực {}"),
    ];
    let want = usize::try_from((ORGANISATIONS - registered_orgs).max(0)).unwrap_or(0);
    let mut org_rows = Vec::new();
    'fill: for (kind, pattern) in templates {
        for o in olds.iter().filter(|o| !KEEP.contains(&o.now.as_str())) {
            if org_rows.len() == want {
                break 'fill;
            }
            let name = pattern.replace("{}", &o.short);
            org_rows.push(vec![
                Val::from(o.now.as_str()),
                Val::from(PROVINCE),
                Val::from(o.now_path.as_str()),
                Val::from(name_key(&name)),
                Val::from(fold(&name)),
                Val::from(name),
                Val::from(kind),
                Val::from(ILLUSTRATIVE),
                Val::from(ts.as_str()),
                Val::from(ts.as_str()),
            ]);
        }
    }
    bulk::insert(
        &mut tx,
        "organisations",
        &[
            "unit_code",
            "province_code",
            "scope_path",
            "name_key",
            "search_key",
            "name",
            "kind",
            "note",
            "created_at",
            "updated_at",
        ],
        &org_rows,
    )
    .await?;
    let new_orgs = sqlx::query(
        "SELECT id, name, unit_code, scope_path FROM organisations WHERE province_code = $1 AND note = $2 \
         AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.subject_kind = 'organisation' \
           AND r.subject_id = CAST(organisations.id AS TEXT) AND r.year = $3) ORDER BY id",
    )
    .bind(PROVINCE)
    .bind(ILLUSTRATIVE)
    .bind(YEAR)
    .fetch_all(&mut *tx)
    .await?;
    // Only those made here: another demo organisation may stay unregistered.
    let made: std::collections::HashSet<String> = org_rows
        .iter()
        .filter_map(|r| match r.get(5) {
            Some(Val::Text(name)) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mut org_regs = Vec::new();
    let new_orgs = new_orgs
        .iter()
        .filter(|r| r.try_get::<String, _>("name").is_ok_and(|n| made.contains(&n)));
    for (i, r) in new_orgs.enumerate() {
        org_regs.push(vec![
            Val::from(YEAR),
            Val::from("organisation"),
            Val::from(r.try_get::<i64, _>("id")?.to_string()),
            Val::from(r.try_get::<String, _>("name")?),
            Val::from(r.try_get::<String, _>("unit_code")?),
            Val::from(r.try_get::<String, _>("scope_path")?),
            Val::from(format!("{YEAR}-03-{:02}", 1 + i % 28)),
            Val::from(""),
            Val::NullInt,
            Val::NullInt,
            Val::from(ILLUSTRATIVE),
            Val::from(ts.as_str()),
            Val::from(ts.as_str()),
        ]);
    }
    bulk::insert(&mut tx, "registrations", &reg_columns, &org_regs).await?;

    // Outreach sessions over the eleven years, in the generated villages.
    let (have_sessions, have_people): (i64, i64) = {
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(attendance), 0) AS BIGINT) AS a FROM activities \
             WHERE kind = 'session' AND cancelled_at IS NULL AND legacy_path LIKE $1 \
             AND held_on >= $2 AND held_on <= $3",
        )
        .bind(OLD_PROVINCE_PATH)
        .bind(format!("{FIRST_YEAR}-01-01"))
        .bind(format!("{YEAR}-12-31"))
        .fetch_one(&mut *tx)
        .await?;
        (r.try_get("n")?, r.try_get("a")?)
    };
    let n = usize::try_from((SESSIONS - have_sessions).max(0)).unwrap_or(0);
    let people = split(ATTENDANCE - have_people, n, 30);
    let topics = [
        ("Phổ biến pháp luật về bảo vệ an ninh, trật tự ở cơ sở", "hop_dan"),
        ("Phòng, chống ma túy trong cộng đồng", "truc_tiep"),
        ("Phòng, chống mua bán người qua biên giới", "truc_tiep"),
        (
            "Tuyên truyền phong trào toàn dân bảo vệ an ninh Tổ quốc",
            "loa_truyen_thanh",
        ),
    ];
    let old_names: std::collections::HashMap<&str, &str> =
        olds.iter().map(|o| (o.code.as_str(), o.name.as_str())).collect();
    let generated: Vec<(i64, String)> = sqlx::query(
        "SELECT id, legacy_code FROM villages WHERE note = $1 AND province_code = $2 AND legacy_code IS NOT NULL \
         AND commune_code NOT IN ('03583', '03388') ORDER BY id",
    )
    .bind(ILLUSTRATIVE)
    .bind(PROVINCE)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| Ok((r.try_get("id")?, r.try_get("legacy_code")?)))
    .collect::<Result<_, sqlx::Error>>()?;
    let mut session_rows = Vec::with_capacity(n);
    if !generated.is_empty() {
        for (i, attendance) in people.into_iter().enumerate() {
            let (village, old) = &generated[i % generated.len()];
            let Some((commune, path)) = village_ids.get(village) else {
                continue;
            };
            let year = FIRST_YEAR + (i % 11) as i64;
            let (topic, form) = topics[i % topics.len()];
            session_rows.push(vec![
                Val::from("session"),
                Val::from(commune.as_str()),
                Val::from(PROVINCE),
                Val::from(*village),
                Val::from(path.as_str()),
                Val::from(old.as_str()),
                Val::from(old_names.get(old.as_str()).map(|n| n.to_string())),
                Val::from(format!("{year}-{:02}-{:02}", 1 + (i / 11) % 12, 1 + i % 28)),
                Val::from(topic),
                Val::from(form),
                Val::from(attendance),
                Val::from(ILLUSTRATIVE),
                Val::from(ts.as_str()),
                Val::from(ts.as_str()),
            ]);
        }
    }
    bulk::insert(
        &mut tx,
        "activities",
        &[
            "kind",
            "unit_code",
            "province_code",
            "village_id",
            "scope_path",
            "legacy_code",
            "legacy_name",
            "held_on",
            "title",
            "subtype",
            "attendance",
            "note",
            "created_at",
            "updated_at",
        ],
        &session_rows,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn parts_sum_to_the_total() {
        for (total, n) in [(90_500, 948), (860_500, 10_472), (7, 3), (0, 4)] {
            let parts = split(total, n, 25);
            assert_eq!(parts.len(), n);
            assert_eq!(parts.iter().sum::<i64>(), total);
        }
        assert!(split(90_500, 948, 25).iter().all(|h| *h > 50));
    }
}

//! Demo activities and awards: the seeds' own events — Ngày hội 2023 at Xã
//! Khổng Lào with the awards the article lists, Ngày hội 2023 at Thị trấn
//! Sơn Lư (today Xã Quan Sơn), Xã Ngọc Chiến as a showcase of Bộ Công an in
//! 2023, Lai Châu's coordination programme 09 with the 19 collectives and
//! 36 individuals commended at its ten-year review — and a few sessions,
//! mediation cases and service records around them. Where the seeds give no
//! name, date or number, the record says "dữ liệu minh họa".

use serde_json::{Value, json};

use super::ILLUSTRATIVE;
use crate::activities::festival::{self, FestivalDraft};
use crate::activities::programmes::{self, CovenantDraft, ProgrammeDraft, ReviewDraft};
use crate::activities::{self, ActivityDraft};
use crate::auth::Actor;
use crate::awards::eligibility::{self, ServiceDraft};
use crate::awards::{self, AwardDraft, BADGE};
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::registry::teams::{self, TeamFilter};
use crate::units::{self, organisations, villages};

const NO_NUMBER: &str = "Chưa rõ số (dữ liệu minh họa)";

pub async fn load(db: &Db, system: &Actor) -> Result<()> {
    khong_lao(db, system).await?;
    son_lu(db, system).await?;
    ngoc_chien(db, system).await?;
    programme_09(db, system).await?;
    cultural_totals(db, system).await?;
    lao_cai_2021(db, system).await?;
    sessions(db, system).await?;
    Ok(())
}

fn person(name: String, birth: i64, gender: &str, unit: &str) -> AwardDraft {
    AwardDraft {
        recipient_kind: Some("person".into()),
        full_name: Some(name),
        birth_year: Some(json!(birth)),
        gender: Some(gender.into()),
        unit_code: Some(unit.into()),
        ..Default::default()
    }
}

fn collective(kind: &str, reference: Value) -> AwardDraft {
    AwardDraft {
        recipient_kind: Some(kind.into()),
        recipient_ref: Some(reference),
        ..Default::default()
    }
}

/// Where and when awards were handed out, and the recipients' pre-2025 unit.
#[derive(Clone, Copy)]
struct Occasion<'a> {
    decided_on: &'a str,
    event: Option<(&'a str, i64)>,
    reason: &'a str,
    /// The recipients' commune before 1/7/2025, when theirs was formed from several.
    legacy: Option<&'a str>,
}

/// Gives `whom` the award of one issuer on one occasion.
async fn give(
    db: &Db,
    system: &Actor,
    whom: Vec<AwardDraft>,
    (award_type, issuer, issuer_unit): (&str, &str, &str),
    at: Occasion<'_>,
) -> Result<()> {
    for w in whom {
        let draft = AwardDraft {
            award_type: Some(award_type.into()),
            issuer_kind: Some(issuer.into()),
            issuer_unit: Some(issuer_unit.into()),
            decision_number: Some(NO_NUMBER.into()),
            decided_on: Some(at.decided_on.into()),
            reason: Some(at.reason.into()),
            event_kind: at.event.map(|e| e.0.to_string()),
            event_id: at.event.map(|e| json!(e.1)),
            legacy_code: w.legacy_code.clone().or(at.legacy.map(str::to_string)),
            ..w
        };
        awards::create(db, system, &draft).await?;
    }
    Ok(())
}

/// Invented people of a commune, "dữ liệu minh họa" in the name.
fn people(prefix: &str, n: usize, unit: &str, from: usize) -> Vec<AwardDraft> {
    (0..n)
        .map(|i| {
            let k = from + i;
            let gender = if k % 3 == 1 { "nu" } else { "nam" };
            let middle = if gender == "nu" { "Thị" } else { "Văn" };
            person(
                format!("{prefix} {middle} Cá nhân {k} ({ILLUSTRATIVE})"),
                1960 + (k % 35) as i64,
                gender,
                unit,
            )
        })
        .collect()
}

async fn khong_lao(db: &Db, system: &Actor) -> Result<()> {
    let unit = units::find_current(db, "03583")
        .await?
        .ok_or_else(AppError::not_found)?;
    let on = "2023-08-10";
    let day = festival::create(
        db,
        system,
        "03583",
        &FestivalDraft {
            legacy_code: Some("03583".into()),
            held_on: Some(on.into()),
            venue: Some(format!("Trung tâm xã Khổng Lào (địa điểm và ngày: {ILLUSTRATIVE})")),
            guests: Some(
                "Đồng chí Phạm Tất Thắng – Phó trưởng ban Thường trực Ban Dân vận Trung ương; \
                 Tống Thanh Hải – Phó Chủ tịch Thường trực UBND tỉnh, Trưởng Ban Chỉ đạo Phòng chống tội phạm tỉnh; \
                 Nguyễn Viết Giang – Giám đốc Công an tỉnh; Lò Văn Cương – Trưởng Ban Dân vận Tỉnh ủy; \
                 lãnh đạo huyện Phong Thổ, xã Khổng Lào và các hộ dân tiêu biểu"
                    .into(),
            ),
            programme: Some(
                "Thảo luận, trao đổi kinh nghiệm xây dựng phong trào; phát động phong trào toàn dân thi đua bảo vệ \
                 an ninh Tổ quốc; thông qua Bản giao ước thi đua và ký kết giao ước thi đua giữa các bản"
                    .into(),
            ),
            gifts: Some("Ban Chỉ đạo Trung ương và của tỉnh tặng xã Khổng Lào các phần quà".into()),
            ..Default::default()
        },
    )
    .await?;
    let vs = villages::list(db, system, &unit, false).await?;
    programmes::create_covenant(
        db,
        system,
        "03583",
        &CovenantDraft {
            signed_on: Some(on.into()),
            title: Some("Giao ước thi đua bảo vệ an ninh Tổ quốc giữa các bản".into()),
            terms: Some(format!("Nội dung giao ước: {ILLUSTRATIVE}")),
            village_ids: Some(vs.iter().map(|v| v.id).collect()),
            festival_day_id: Some(json!(day.id)),
        },
    )
    .await?;
    // The collectives the commune had in 2023: itself, its bản, its
    // organisations and the teams then in existence (the security teams
    // came with Luật 30/2023/QH15 in July 2024).
    let mut groups = vec![collective("unit", json!("03583"))];
    groups.extend(vs.iter().map(|v| collective("village", json!(v.id))));
    for o in organisations::list(db, system, &unit).await? {
        if o.unit_code == "03583" {
            groups.push(collective("organisation", json!(o.id)));
        }
    }
    for t in teams::list_teams(db, system, &unit, &TeamFilter::default()).await? {
        if t.established_on.as_str() <= on {
            groups.push(collective("team", json!(t.id)));
        }
    }
    let take = |from: usize, n: usize| {
        groups
            .iter()
            .cycle()
            .skip(from)
            .take(n)
            .cloned()
            .collect::<Vec<_>>()
    };
    let at = Occasion {
        decided_on: on,
        event: Some(("festival_day", day.id)),
        reason: "Có thành tích xuất sắc trong phong trào toàn dân bảo vệ an ninh Tổ quốc",
        legacy: Some("03583"),
    };
    give(db, system, take(0, 1), ("bang_khen", "bo_cong_an", "VN"), at).await?;
    give(
        db,
        system,
        people("Lò", 1, "03583", 1),
        ("bang_khen", "bo_cong_an", "VN"),
        at,
    )
    .await?;
    give(
        db,
        system,
        people("Tao", 5, "03583", 2),
        (BADGE, "bo_cong_an", "VN"),
        at,
    )
    .await?;
    give(
        db,
        system,
        take(1, 5),
        ("giay_khen", "giam_doc_cong_an_tinh", "12"),
        at,
    )
    .await?;
    give(
        db,
        system,
        people("Lù", 8, "03583", 7),
        ("giay_khen", "giam_doc_cong_an_tinh", "12"),
        at,
    )
    .await?;
    let at = Occasion {
        reason: "Có thành tích xuất sắc trong công tác tham mưu, tổ chức thực hiện phong trào toàn dân bảo vệ an ninh \
                 Tổ quốc và tham gia Ngày hội toàn dân bảo vệ an ninh Tổ quốc năm 2023",
        ..at
    };
    give(db, system, take(3, 6), ("giay_khen", "ubnd_huyen", "109"), at).await?;
    give(
        db,
        system,
        people("Hoàng", 12, "03583", 15),
        ("giay_khen", "ubnd_huyen", "109"),
        at,
    )
    .await?;

    // A drug-free decision and a mediation case, and the service records of
    // two team members: one with earlier years as semi-professional commune
    // police (eligible for the Kỷ niệm chương), one without.
    activities::create(
        db,
        system,
        "03583",
        &ActivityDraft {
            kind: Some("drug_free".into()),
            year: Some(json!(2024)),
            held_on: Some("2024-12-20".into()),
            decision_ref: Some(format!("Quyết định công nhận ({ILLUSTRATIVE})")),
            title: Some("UBND tỉnh Lai Châu".into()),
            ..Default::default()
        },
    )
    .await?;
    for (i, (on, result)) in [
        ("2024-03-12", "thanh"),
        ("2025-02-20", "khong_thanh"),
        ("2025-05-06", "thanh"),
    ]
    .iter()
    .enumerate()
    {
        activities::create(
            db,
            system,
            "03583",
            &ActivityDraft {
                kind: Some("mediation".into()),
                village_id: vs.get(i % vs.len()).map(|v| json!(v.id)),
                held_on: Some((*on).into()),
                title: Some(format!("Tranh chấp ranh giới đất nương ({ILLUSTRATIVE})")),
                subtype: Some((*result).into()),
                ..Default::default()
            },
        )
        .await?;
    }
    let security = TeamFilter {
        kind: Some(teams::SECURITY_TEAM.into()),
        ..Default::default()
    };
    if let Some(team) = teams::list_teams(db, system, &unit, &security).await?.first() {
        let members = teams::list_members(db, system, team, false).await?;
        if let Some(m) = members.first() {
            eligibility::add_service(
                db,
                system,
                m.id,
                &ServiceDraft {
                    kind: Some("cong_an_xa_ban_chuyen_trach".into()),
                    position: Some("Công an viên".into()),
                    started_on: Some("2008-03-01".into()),
                    ended_on: Some("2024-06-30".into()),
                    difficult: None,
                    unit_code: None,
                    note: Some(ILLUSTRATIVE.into()),
                },
            )
            .await?;
        }
        if let Some(m) = members.get(1) {
            eligibility::add_service(
                db,
                system,
                m.id,
                &ServiceDraft {
                    kind: Some("bao_ve_dan_pho".into()),
                    started_on: Some("2019-01-01".into()),
                    ended_on: Some("2024-06-30".into()),
                    note: Some(ILLUSTRATIVE.into()),
                    ..Default::default()
                },
            )
            .await?;
        }
    }
    Ok(())
}

async fn son_lu(db: &Db, system: &Actor) -> Result<()> {
    let on = "2023-07-19";
    let day = festival::create(
        db,
        system,
        "15016",
        &FestivalDraft {
            legacy_code: Some("15016".into()),
            held_on: Some(on.into()),
            showcase_level: Some("huyen".into()),
            guests: Some(
                "Đồng chí Nguyễn Văn Thi – Ủy viên Ban Thường vụ Tỉnh ủy, Phó Chủ tịch Thường trực UBND tỉnh; \
                 đại diện Ủy ban MTTQ tỉnh, Sở Lao động – Thương binh và Xã hội, Công an tỉnh, Bộ Chỉ huy BĐBP tỉnh, \
                 Cục Hải quan tỉnh, Tỉnh đoàn, Văn phòng UBND tỉnh; lãnh đạo huyện Quan Sơn"
                    .into(),
            ),
            programme: Some("Nghi lễ chào cờ; báo cáo phong trào; ca hát, đánh cồng chiêng, giao lưu bóng chuyền giữa cán bộ và người dân".into()),
            gifts: Some("UBND tỉnh tặng quà các gia đình chính sách; Công an tỉnh trao quà cho các gia đình chính sách".into()),
            note: Some("Đơn vị được huyện Quan Sơn chọn làm điểm tổ chức Ngày hội".into()),
            ..Default::default()
        },
    )
    .await?;
    let at = Occasion {
        decided_on: on,
        event: Some(("festival_day", day.id)),
        reason: "Có thành tích xuất sắc trong xây dựng phong trào \"Toàn dân bảo vệ ANTQ\" và tổ chức các hoạt động Ngày hội năm 2023",
        legacy: Some("15016"),
    };
    // "cho cán bộ và Nhân dân thị trấn Sơn Lư": the commune as it was then.
    let commune = || vec![collective("unit", json!("15016"))];
    give(
        db,
        system,
        commune(),
        ("bang_khen", "chu_tich_ubnd_tinh", "38"),
        at,
    )
    .await?;
    give(db, system, commune(), ("giay_khen", "cong_an_tinh", "38"), at).await?;
    give(
        db,
        system,
        people("Hà", 1, "15016", 1),
        ("giay_khen", "cong_an_tinh", "38"),
        at,
    )
    .await?;
    let unit = units::find_current(db, "15016")
        .await?
        .ok_or_else(AppError::not_found)?;
    let school = organisations::list(db, system, &unit)
        .await?
        .into_iter()
        .find(|o| o.unit_code == "15016");
    let group = match school {
        Some(o) => vec![collective("organisation", json!(o.id))],
        None => commune(),
    };
    give(db, system, group, ("giay_khen", "ubnd_huyen", "387"), at).await?;
    give(
        db,
        system,
        people("Phạm", 3, "15016", 2),
        ("giay_khen", "ubnd_huyen", "387"),
        at,
    )
    .await?;
    Ok(())
}

async fn ngoc_chien(db: &Db, system: &Actor) -> Result<()> {
    festival::create(
        db,
        system,
        "03820",
        &FestivalDraft {
            legacy_code: Some("03820".into()),
            held_on: Some("2023-08-04".into()),
            showcase_level: Some("bo_cong_an".into()),
            programme: Some("Trò chơi dân gian, chương trình văn hóa, văn nghệ – thể dục, thể thao".into()),
            note: Some("1 trong 25 xã trên toàn quốc được Bộ Công an chọn làm điểm năm 2023".into()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// The seed's figures that exist only as totals (the Fatherland Front's
/// count), entered for the province at the end of the 2013–2023 phase.
async fn cultural_totals(db: &Db, system: &Actor) -> Result<()> {
    for (code, value) in [("so_gia_dinh_van_hoa", 61_956), ("so_khu_dan_cu_van_hoa", 940)] {
        crate::indicators::aggregates::create(
            db,
            system,
            &crate::indicators::aggregates::AggregateDraft {
                indicator: Some(code.into()),
                unit_code: Some("12".into()),
                year: Some(json!(2023)),
                value: Some(json!(value)),
                source: Some(
                    "Báo cáo tổng kết 10 năm (2013 – 2023) thực hiện Chương trình phối hợp số 09".into(),
                ),
                ..Default::default()
            },
        )
        .await?;
    }
    Ok(())
}

async fn programme_09(db: &Db, system: &Actor) -> Result<()> {
    let parties = json!([
        "Công an tỉnh Lai Châu",
        "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh Lai Châu",
        "Các tổ chức thành viên của Mặt trận Tổ quốc tỉnh"
    ]);
    let title = "Đẩy mạnh phong trào toàn dân bảo vệ an ninh Tổ quốc trong tình hình mới";
    let first = programmes::create(
        db,
        system,
        "12",
        &ProgrammeDraft {
            number: Some("09".into()),
            title: Some(title.into()),
            parties: Some(parties.clone()),
            from_year: Some(json!(2013)),
            to_year: Some(json!(2023)),
            signed_on: Some("2013-05-24".into()),
            note: Some(format!("Ngày ký: {ILLUSTRATIVE}")),
            ..Default::default()
        },
    )
    .await?;
    let review = programmes::add_review(
        db,
        system,
        first.id,
        &ReviewDraft {
            held_on: Some("2023-05-24".into()),
            kind: Some("tong_ket".into()),
            title: Some("Hội nghị tổng kết 10 năm (2013 – 2023) thực hiện chương trình phối hợp số 09".into()),
            findings: Some(
                "Toàn tỉnh đã tổ chức tuyên truyền, giáo dục, phổ biến pháp luật ở cơ sở được hơn 10.480 buổi, với hơn \
                 860.500 lượt người tham gia; 956/956 bản, ở 106 xã, phường, thị trấn, với hơn 90.500 hộ, 828 cơ quan, \
                 doanh nghiệp, trường học đăng ký đảm bảo an ninh trật tự; 33 xã, phường, thị trấn không có tệ nạn ma \
                 túy; 61.956 gia đình đăng ký gia đình văn hóa, 940 khu dân cư đăng ký khu dân cư văn hóa; trên 18 đợt \
                 tấn công trấn áp tội phạm."
                    .into(),
            ),
        },
    )
    .await?;
    programmes::create(
        db,
        system,
        "12",
        &ProgrammeDraft {
            number: Some("09".into()),
            title: Some(title.into()),
            parties: Some(parties),
            from_year: Some(json!(2023)),
            to_year: Some(json!(2033)),
            signed_on: Some("2023-05-24".into()),
            continues_id: Some(json!(first.id)),
            ..Default::default()
        },
    )
    .await?;
    // 19 collectives and 36 individuals; the seed names neither them nor
    // which of the three issuers gave which, so both are illustrative: the
    // collectives are 19 communes of the province as they were in 2023
    // (Xã Khổng Lào aside, whose figures stay those of its festival day).
    let at = Occasion {
        decided_on: "2023-05-24",
        event: Some(("programme_review", review.id)),
        reason: "Có thành tích xuất sắc trong thực hiện chương trình phối hợp số 09 (đối tượng: dữ liệu minh họa)",
        legacy: Some("12"),
    };
    let communes = old_communes(db, "12", "12", &["03583"], 19).await?;
    let take =
        |from: usize, n: usize| communes[from.min(communes.len())..(from + n).min(communes.len())].to_vec();
    give(db, system, take(0, 7), ("bang_khen", "ubnd_tinh", "12"), at).await?;
    give(
        db,
        system,
        people("Vàng", 12, "12", 40),
        ("bang_khen", "ubnd_tinh", "12"),
        at,
    )
    .await?;
    give(db, system, take(7, 5), ("bang_khen", "ubmttq_tinh", "12"), at).await?;
    give(
        db,
        system,
        people("Giàng", 10, "12", 60),
        ("bang_khen", "ubmttq_tinh", "12"),
        at,
    )
    .await?;
    give(db, system, take(12, 7), ("giay_khen", "cong_an_tinh", "12"), at).await?;
    give(
        db,
        system,
        people("Sùng", 14, "12", 80),
        ("giay_khen", "cong_an_tinh", "12"),
        at,
    )
    .await?;
    Ok(())
}

/// Up to `n` of today's communes of a province, each as the unit recipient
/// it was before 1/7/2025 (its first predecessor in the old province).
async fn old_communes(
    db: &Db,
    province: &str,
    old_province: &str,
    skip: &[&str],
    n: usize,
) -> Result<Vec<AwardDraft>> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT x.new_code, MIN(x.old_code) AS old_code FROM crosswalk_2025 x \
         JOIN units c ON c.era = 'current' AND c.code = x.new_code AND c.parent_code = $1 \
         JOIN units o ON o.era = 'legacy' AND o.code = x.old_code AND o.path LIKE $2 \
         GROUP BY x.new_code ORDER BY x.new_code",
    )
    .bind(province)
    .bind(format!("/VN/{old_province}/%"))
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let code: String = r.try_get("new_code")?;
        if skip.contains(&code.as_str()) || out.len() == n {
            continue;
        }
        out.push(AwardDraft {
            legacy_code: Some(r.try_get("old_code")?),
            ..collective("unit", json!(code))
        });
    }
    Ok(out)
}

/// The sơ kết conference of Lào Cai on 21/01/2021 (seed 002): five years
/// of Chỉ thị 06/CT-UBND, and the awards handed out there. The province of
/// then (Lào Cai, code 10) is today part of the new Tỉnh Lào Cai (code 15).
async fn lao_cai_2021(db: &Db, system: &Actor) -> Result<()> {
    let on = "2021-01-21";
    let conference = activities::create(
        db,
        system,
        "15",
        &ActivityDraft {
            kind: Some("conference".into()),
            legacy_code: Some("10".into()),
            held_on: Some(on.into()),
            title: Some(
                "Hội nghị sơ kết 5 năm thực hiện Chỉ thị số 06/CT-UBND và phong trào thi đua \"Toàn dân tham gia xây \
                 dựng và củng cố quốc phòng – an ninh vững chắc\" giai đoạn 2016 – 2020"
                    .into(),
            ),
            subtype: Some("so_ket".into()),
            level: Some("tinh".into()),
            period_from: Some(json!(2016)),
            period_to: Some(json!(2020)),
            note: Some(
                "Đã có 49 xã được Bộ Công an quyết định đưa ra khỏi diện trọng điểm, phức tạp về ANTT; năm 2020 trên 90% \
                 xã, phường, thị trấn, đơn vị, nhà trường có phong trào đạt loại khá trở lên"
                    .into(),
            ),
            ..Default::default()
        },
    )
    .await?;
    // The seed gives the counts; the recipients and the split of the 20
    // collectives and 31 individuals between Bộ Công an and the chairman
    // are illustrative.
    let at = Occasion {
        decided_on: on,
        event: Some(("activity", conference.id)),
        reason: "Có thành tích xuất sắc trong phong trào thi đua giai đoạn 2016 – 2020 (đối tượng: dữ liệu minh họa)",
        legacy: Some("10"),
    };
    let communes = old_communes(db, "15", "10", &[], 42).await?;
    let take =
        |from: usize, n: usize| communes[from.min(communes.len())..(from + n).min(communes.len())].to_vec();
    give(
        db,
        system,
        take(0, 5),
        ("co_thi_dua", "chu_tich_ubnd_tinh", "10"),
        at,
    )
    .await?;
    give(db, system, take(5, 5), ("bang_khen", "bo_cong_an", "VN"), at).await?;
    give(
        db,
        system,
        people("Lý", 6, "15", 100),
        ("bang_khen", "bo_cong_an", "VN"),
        at,
    )
    .await?;
    give(
        db,
        system,
        take(10, 15),
        ("bang_khen", "chu_tich_ubnd_tinh", "10"),
        at,
    )
    .await?;
    give(
        db,
        system,
        people("Đặng", 25, "15", 110),
        ("bang_khen", "chu_tich_ubnd_tinh", "10"),
        at,
    )
    .await?;
    give(
        db,
        system,
        take(25, 17),
        ("giay_khen", "giam_doc_cong_an_tinh", "10"),
        at,
    )
    .await?;
    give(
        db,
        system,
        people("Hầu", 56, "15", 140),
        ("giay_khen", "giam_doc_cong_an_tinh", "10"),
        at,
    )
    .await?;
    Ok(())
}

/// Outreach sessions 2023–2025 in the demo communes, a few a year each.
async fn sessions(db: &Db, system: &Actor) -> Result<()> {
    let topics = [
        (
            "Phổ biến Luật Lực lượng tham gia bảo vệ an ninh, trật tự ở cơ sở",
            "hop_dan",
        ),
        ("Phòng, chống ma túy trong cộng đồng", "truc_tiep"),
        ("Phòng, chống lừa đảo trên không gian mạng", "mang_xa_hoi"),
        ("Phòng cháy, chữa cháy tại khu dân cư", "loa_truyen_thanh"),
    ];
    let mut n = 0i64;
    for commune in ["03583", "03388", "02647", "15016", "03820"] {
        let unit = units::find_current(db, commune)
            .await?
            .ok_or_else(AppError::not_found)?;
        let vs = villages::list(db, system, &unit, false).await?;
        for year in 2023..=2025 {
            for (i, (topic, form)) in topics.iter().enumerate() {
                n += 1;
                activities::create(
                    db,
                    system,
                    commune,
                    &ActivityDraft {
                        kind: Some("session".into()),
                        village_id: vs.get(i % vs.len().max(1)).map(|v| json!(v.id)),
                        held_on: Some(format!("{year}-{:02}-{:02}", 2 + i * 3, 5 + (n % 20))),
                        title: Some((*topic).into()),
                        subtype: Some((*form).into()),
                        attendance: Some(json!(40 + (n * 37) % 160)),
                        note: Some(ILLUSTRATIVE.into()),
                        ..Default::default()
                    },
                )
                .await?;
            }
        }
    }
    Ok(())
}

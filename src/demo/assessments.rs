//! The November assessments of the demo communes, 2024 and 2025, on the
//! shipped Thông tư 124/2021/TT-BCA sets and written through the workflow:
//! Xã Khổng Lào's villages, organisations and the commune itself (a village
//! short of 100% of households fails criterion 1 each year; one village is
//! returned in 2025 for a missing record and resubmitted with it; the
//! others are approved and recognised, with certificates), and Xã Ngọc
//! Chiến's 2025 villages, submitted and still awaiting the commune's
//! decision, so the reviewer's list shows them overdue. Notes and
//! certificate numbers are "dữ liệu minh họa".

use serde_json::json;

use super::ILLUSTRATIVE;
use crate::assessment::workflow::{self, CreateDraft, JudgeDraft, RecogniseDraft};
use crate::assessment::{self, evidence};
use crate::auth::Actor;
use crate::db::Db;
use crate::error::{AppError, Result};
use crate::units::{self, organisations, villages};

async fn actor(db: &Db, username: &str) -> Result<Actor> {
    crate::auth::actor::by_username(db, username).await
}

/// Judges every criterion the assessor decides as held, with a note.
async fn judge_all(db: &Db, officer: &Actor, id: i64) -> Result<()> {
    let full = assessment::full(db, officer, id).await?;
    let drafts: Vec<JudgeDraft> = full
        .items
        .iter()
        .filter(|i| i.mode != "computed")
        .map(|i| JudgeDraft {
            code: i.code.clone(),
            verdict: Some("dat".into()),
            points: None,
            note: Some(format!(
                "Biên bản họp đánh giá ngày 20/10/{}: đạt ({ILLUSTRATIVE}).",
                full.assessment.year
            )),
        })
        .collect();
    workflow::judge(db, officer, id, &drafts).await?;
    Ok(())
}

/// A small PDF standing for a scanned record (biên bản).
fn record_pdf(title: &str) -> Vec<u8> {
    use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str};
    let mut pdf = Pdf::new();
    pdf.catalog(Ref::new(1)).pages(Ref::new(2));
    pdf.pages(Ref::new(2)).kids([Ref::new(3)]).count(1);
    {
        let mut page = pdf.page(Ref::new(3));
        page.media_box(Rect::new(0.0, 0.0, 595.0, 842.0));
        page.parent(Ref::new(2));
        page.contents(Ref::new(4));
        page.resources().fonts().pair(Name(b"F1"), Ref::new(5));
    }
    let mut content = Content::new();
    content.begin_text();
    content.set_font(Name(b"F1"), 14.0);
    content.next_line(72.0, 760.0);
    content.show(Str(title.as_bytes()));
    content.end_text();
    let bytes = content.finish();
    pdf.stream(Ref::new(4), &bytes);
    pdf.type1_font(Ref::new(5)).base_font(Name(b"Helvetica"));
    pdf.finish()
}

struct Cycle<'a> {
    officer: &'a Actor,
    commune_reviewer: &'a Actor,
    province_reviewer: &'a Actor,
    year: i64,
    /// Day of the decisions, before the deadline of Thông tư 124 Điều 9.
    decided_on: &'a str,
}

impl Cycle<'_> {
    async fn open(&self, db: &Db, kind: &str, id: &str) -> Result<i64> {
        let a = workflow::create(
            db,
            self.officer,
            &CreateDraft {
                subject_kind: Some(kind.into()),
                subject_id: Some(id.into()),
                year: Some(json!(self.year)),
                programme: Some("an_toan".into()),
                set_id: None,
            },
        )
        .await?;
        judge_all(db, self.officer, a.id).await?;
        Ok(a.id)
    }

    /// Approves and, when the result is đạt, recognises with certificate `n`.
    async fn decide(&self, db: &Db, decider: &Actor, id: i64, n: usize) -> Result<()> {
        let a = workflow::approve(db, decider, id, Some("Thống nhất với kết quả tự đánh giá.")).await?;
        if a.is_dat() {
            workflow::recognise(
                db,
                decider,
                id,
                &RecogniseDraft {
                    cert_number: Some(format!("{n:02}/QĐ-UBND ({ILLUSTRATIVE})")),
                    cert_date: Some(self.decided_on.into()),
                    cert_issuer: None,
                    cert_signer: None,
                },
            )
            .await?;
        }
        Ok(())
    }
}

pub async fn load(db: &Db) -> Result<()> {
    let officer = actor(db, "khonglao.ca").await?;
    let commune_reviewer = actor(db, "khonglao.ubnd").await?;
    let province_reviewer = actor(db, "laichau.ptxd").await?;
    let khong_lao = units::find_current(db, "03583")
        .await?
        .ok_or_else(AppError::not_found)?;
    let villages = villages::list(db, &officer, &khong_lao, false).await?;
    let orgs: Vec<_> = organisations::list(db, &officer, &khong_lao)
        .await?
        .into_iter()
        .filter(|o| o.unit_code == khong_lao.code)
        .collect();
    for (year, decided_on) in [(2024_i64, "2024-11-12"), (2025, "2025-11-12")] {
        let cycle = Cycle {
            officer: &officer,
            commune_reviewer: &commune_reviewer,
            province_reviewer: &province_reviewer,
            year,
            decided_on,
        };
        let mut n = 0;
        for v in &villages {
            let id = cycle.open(db, "village", &v.id.to_string()).await?;
            workflow::submit(db, &officer, id).await?;
            if year == 2025 && v.name == "Bản Nà Cúng" {
                // Returned for a missing record, resubmitted with it.
                workflow::return_back(
                    db,
                    &commune_reviewer,
                    id,
                    Some("Bổ sung biên bản họp khu dân cư đánh giá tiêu chí 3."),
                )
                .await?;
                evidence::upload(
                    db,
                    &officer,
                    id,
                    Some("3"),
                    "bien-ban-hop-ban-na-cung.pdf",
                    &record_pdf("Bien ban hop ban Na Cung (du lieu minh hoa)"),
                )
                .await?;
                workflow::submit(db, &officer, id).await?;
            }
            n += 1;
            cycle.decide(db, cycle.commune_reviewer, id, n).await?;
        }
        for o in &orgs {
            let id = cycle.open(db, "organisation", &o.id.to_string()).await?;
            workflow::submit(db, &officer, id).await?;
            n += 1;
            cycle.decide(db, cycle.commune_reviewer, id, n).await?;
        }
        // The commune: its criterion 4 counts the villages and organisations
        // just recognised; the province decides.
        let id = cycle.open(db, "commune", &khong_lao.code).await?;
        workflow::submit(db, &officer, id).await?;
        cycle.decide(db, cycle.province_reviewer, id, 1).await?;
    }

    // Xã Ngọc Chiến, 2025: submitted, not yet decided (the commune has no
    // demo account; the command line prepares).
    let system = Actor::system();
    let ngoc_chien = units::find_current(db, "03820")
        .await?
        .ok_or_else(AppError::not_found)?;
    for v in villages::list(db, &system, &ngoc_chien, false).await? {
        let a = workflow::create(
            db,
            &system,
            &CreateDraft {
                subject_kind: Some("village".into()),
                subject_id: Some(v.id.to_string()),
                year: Some(json!(2025)),
                programme: Some("an_toan".into()),
                set_id: None,
            },
        )
        .await?;
        judge_all(db, &system, a.id).await?;
        workflow::submit(db, &system, a.id).await?;
    }
    Ok(())
}

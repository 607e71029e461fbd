//! The assessment's life: draft → submitted → returned (with a reason) →
//! resubmitted → approved → recognised (certificate number, date, issuer).
//! An approved assessment is locked; a correction is a new version with a
//! reason, and the older version stays as it was decided. Every step is an
//! event of the assessment's history and a row of the audit log, written in
//! the same transaction as the change.

use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use super::criteria::{self, CriteriaSet, Document};
use super::{Assessment, COLUMNS, FROM, Item, Subject, default_deadline, rules, subject};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};
use crate::input::{self, optional_lines, today};
use crate::text::format_date;

const NOTE_MAX: usize = 2000;

/// The result the criteria give so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub passed: i64,
    pub failed: i64,
    pub open: i64,
    pub total: i64,
    pub points_x10: Option<i64>,
    pub level: Option<String>,
    /// Some once every criterion is decided.
    pub result: Option<&'static str>,
}

impl Tally {
    pub fn label(&self) -> String {
        let base = format!("{}/{} tiêu chí đạt", self.passed, self.total);
        match (&self.level, self.points_x10) {
            (Some(l), Some(p)) => format!("{} điểm, mức {l}", super::points_text(p)),
            _ if self.open > 0 => format!("{base}, {} chưa đánh giá", self.open),
            _ => base,
        }
    }
}

pub fn tally(doc: &Document, items: &[Item]) -> Tally {
    let mut t = Tally {
        total: items.len() as i64,
        ..Tally::default()
    };
    let mut points = 0;
    for item in items {
        if doc.kind == "points" {
            match item.points_x10 {
                Some(p) => {
                    points += p;
                    t.passed += i64::from(p > 0);
                }
                None => t.open += 1,
            }
            continue;
        }
        match item.holds() {
            Some(true) => t.passed += 1,
            Some(false) => t.failed += 1,
            None => t.open += 1,
        }
    }
    if doc.kind == "points" {
        t.points_x10 = Some(points);
        if t.open == 0 {
            t.level = doc.level_for(points).map(|l| l.name.clone());
            t.result = Some("dat");
        }
        return t;
    }
    if t.open == 0 {
        let passes = match doc.kind.as_str() {
            "count" => t.passed >= doc.pass_count.unwrap_or(t.total),
            _ => t.failed == 0,
        };
        t.result = Some(if passes { "dat" } else { "chua_dat" });
    }
    t
}

/// The criteria of the set with what is stored for each.
pub async fn items(db: &Db, set: &CriteriaSet, id: i64) -> Result<Vec<Item>> {
    let rows = sqlx::query(
        "SELECT criterion_code, computed_value, computed_verdict, verdict, points_x10, note, judged_name, judged_at \
         FROM assessment_items WHERE assessment_id = $1",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Vec::new();
    for c in &set.doc.criteria {
        let row = rows
            .iter()
            .find(|r| r.try_get::<String, _>("criterion_code").ok().as_deref() == Some(&c.code));
        let mut item = Item {
            code: c.code.clone(),
            citation: c.citation.clone(),
            text: c.text.clone(),
            group: c.group.clone(),
            mode: c.mode.clone(),
            rule: c.rule.clone(),
            max_x10: c.max_x10,
            computed_value: String::new(),
            computed_verdict: None,
            verdict: None,
            points_x10: None,
            note: String::new(),
            judged_name: String::new(),
            judged_at: None,
        };
        if let Some(r) = row {
            item.computed_value = r.try_get("computed_value")?;
            item.computed_verdict = r.try_get("computed_verdict")?;
            item.verdict = r.try_get("verdict")?;
            item.points_x10 = r.try_get("points_x10")?;
            item.note = r.try_get("note")?;
            item.judged_name = r.try_get("judged_name")?;
            item.judged_at = r.try_get("judged_at")?;
        }
        out.push(item);
    }
    Ok(out)
}

/// Computes the rule-based criteria from today's records.
pub async fn refresh_computed(db: &Db, s: &Subject, year: i64, items: &mut [Item]) -> Result<()> {
    for item in items.iter_mut() {
        if let Some(rule) = &item.rule {
            let o = rules::compute(db, rule, s, year).await?;
            item.computed_value = o.value;
            item.computed_verdict = o.holds.map(|h| if h { "dat" } else { "chua_dat" }.into());
        }
    }
    Ok(())
}

async fn event(tx: &mut Tx, actor: &Actor, id: i64, action: &str, reason: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO assessment_events (assessment_id, action, reason, user_id, user_name, at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(action)
    .bind(reason)
    .bind(actor.user_id)
    .bind(actor_name(actor))
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn actor_name(actor: &Actor) -> String {
    if actor.full_name.is_empty() {
        actor.username.clone()
    } else {
        format!("{} ({})", actor.full_name, actor.username)
    }
}

async fn audit_step(
    tx: &mut Tx,
    actor: &Actor,
    action: &'static str,
    a: &Assessment,
    detail: serde_json::Value,
) -> Result<()> {
    audit::record(
        tx,
        actor,
        Change {
            action,
            target_kind: "assessment",
            target_id: a.id.to_string(),
            target_label: format!("{} — năm {} (phiên bản {})", a.subject_name, a.year, a.version),
            scope_path: a.scope_path.clone(),
            before: Some(json!({"status": a.status})),
            after: Some(detail),
        },
    )
    .await
}

/// Reads the row about to change, locked on PostgreSQL, inside the actor's scope.
/// The next version number of a subject's assessment for a programme and
/// year, counting withdrawn ones, so every version keeps its own number.
async fn next_version(tx: &mut Tx, programme: &str, kind: &str, id: &str, year: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM assessments WHERE programme = $1 AND subject_kind = $2 \
         AND subject_id = $3 AND year = $4",
    )
    .bind(programme)
    .bind(kind)
    .bind(id)
    .bind(year)
    .fetch_one(&mut **tx)
    .await?)
}

/// The lock is taken on the assessment row alone (the read joins units,
/// which a `FOR UPDATE` over the join would lock for every assessment).
pub(super) async fn locked(db: &Db, tx: &mut Tx, actor: &Actor, id: i64) -> Result<Assessment> {
    sqlx::query(&format!(
        "SELECT id FROM assessments WHERE id = $1{}",
        db.lock_clause()
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(AppError::not_found)?;
    let row = sqlx::query(&format!("SELECT {COLUMNS} {FROM} WHERE a.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let a = Assessment::from_row(&row)?;
    policy::authorize(actor, Action::ViewGeography, &a.scope_path)?;
    Ok(a)
}

fn refuse_status(a: &Assessment, wanted: &str) -> AppError {
    AppError::Conflict {
        message: format!(
            "Bản đánh giá đang ở trạng thái \"{}\"; chỉ {wanted}.",
            a.status_label()
        ),
        fields: Default::default(),
    }
}

/// Whether the actor prepared this version: opened it, judged one of its
/// criteria or submitted it. Such a user does not decide on it.
pub async fn took_part(conn: &mut sqlx::AnyConnection, actor: &Actor, a: &Assessment) -> Result<bool> {
    let Some(user) = actor.user_id else {
        return Ok(false);
    };
    if a.submitted_by == Some(user) {
        return Ok(true);
    }
    let n: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM assessments WHERE id = $1 AND created_by = $2) \
         + (SELECT COUNT(*) FROM assessment_items WHERE assessment_id = $1 AND judged_by = $2)",
    )
    .bind(a.id)
    .bind(user)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// The decider's check: a reviewer of the deciding unit itself (policy::
/// authorize_as_unit), who took no part in preparing this version.
async fn may_decide(tx: &mut Tx, actor: &Actor, a: &Assessment) -> Result<()> {
    policy::authorize_as_unit(
        actor,
        Action::DecideAssessment,
        &a.decider_code,
        &a.decider_name,
        &a.scope_path,
    )?;
    if took_part(tx, actor, a).await? {
        return Err(AppError::Forbidden(
            "Không được tự xét duyệt bản đánh giá do chính mình lập, đánh giá hoặc gửi; người khác của cấp có thẩm quyền xét duyệt.".into(),
        ));
    }
    Ok(())
}

#[derive(Debug, Default, Deserialize)]
pub struct CreateDraft {
    #[serde(default)]
    pub subject_kind: Option<String>,
    #[serde(default)]
    pub subject_id: Option<String>,
    #[serde(default)]
    pub year: Option<serde_json::Value>,
    #[serde(default)]
    pub programme: Option<String>,
    #[serde(default)]
    pub set_id: Option<serde_json::Value>,
}

/// Opens an assessment (draft) of a subject for a year on the applicable set.
pub async fn create(db: &Db, actor: &Actor, d: &CreateDraft) -> Result<Assessment> {
    let mut inv = Invalid::default();
    let kind = d.subject_kind.clone().unwrap_or_default();
    let year = match d
        .year
        .as_ref()
        .and_then(input::value_text)
        .map(|t| t.trim().parse::<i64>())
    {
        Some(Ok(y)) if (2022..=today().year() as i64 + 1).contains(&y) => y,
        _ => {
            inv.add(
                "year",
                format!(
                    "Năm đánh giá: từ 2022 (Thông tư 124/2021/TT-BCA có hiệu lực) đến {}.",
                    today().year() + 1
                ),
            );
            0
        }
    };
    let programme = d.programme.clone().unwrap_or_else(|| "an_toan".into());
    if !criteria::PROGRAMMES.iter().any(|(p, _)| *p == programme) {
        inv.add("programme", "Loại đánh giá: không có.");
    }
    let set_id = match d.set_id.as_ref().and_then(input::value_text) {
        Some(t) if t.trim().is_empty() => None,
        Some(t) => match t.trim().parse::<i64>() {
            Ok(v) => Some(v),
            Err(_) => {
                inv.add("set_id", "Bộ tiêu chí: không hợp lệ.");
                None
            }
        },
        None => None,
    };
    inv.finish()?;
    let s = subject(db, &kind, d.subject_id.as_deref().unwrap_or_default(), year).await?;
    // A subject outside the actor's scope is "not found", like an unknown one,
    // so that ids of other provinces cannot be probed.
    if policy::authorize(actor, Action::ViewGeography, &s.scope_path).is_err() {
        return Err(AppError::field(
            "subject_id",
            "Đối tượng đánh giá: không tìm thấy.",
        ));
    }
    policy::authorize(actor, Action::PrepareAssessment, &s.scope_path)?;
    let sets = criteria::applicable(db, &programme, &s.set_kind, year).await?;
    let set = match (set_id, sets.len()) {
        (Some(id), _) => sets.into_iter().find(|x| x.id == id).ok_or_else(|| {
            AppError::field(
                "set_id",
                format!("Bộ tiêu chí: không áp dụng cho đối tượng này năm {year}."),
            )
        })?,
        (None, 1) => sets.into_iter().next().ok_or_else(AppError::not_found)?,
        (None, 0) => {
            return Err(AppError::field(
                "set_id",
                format!(
                    "Bộ tiêu chí: chưa có bộ tiêu chí \"{}\" nào cho {} năm {year}.",
                    criteria::label(&criteria::PROGRAMMES, &programme),
                    criteria::label(&criteria::SUBJECT_KINDS, &s.set_kind).to_lowercase()
                ),
            ));
        }
        (None, _) => {
            return Err(AppError::field(
                "set_id",
                "Bộ tiêu chí: có nhiều bộ áp dụng; hãy chọn một bộ.",
            ));
        }
    };
    let mut tx = db.begin().await?;
    let existing = sqlx::query(
        "SELECT status, replaced FROM assessments WHERE programme = $1 AND subject_kind = $2 AND subject_id = $3 \
         AND year = $4 AND status <> 'withdrawn' ORDER BY version DESC",
    )
    .bind(&programme)
    .bind(&s.kind)
    .bind(&s.id)
    .bind(year)
    .fetch_all(&mut *tx)
    .await?;
    let twice = || {
        AppError::conflict(
            "subject_id",
            format!(
                "{} đã có bản đánh giá đang mở cho năm {year}; mỗi đối tượng một bản cho một kỳ.",
                s.name
            ),
        )
    };
    if let Some(r) = existing.first() {
        let status: String = r.try_get("status")?;
        if matches!(status.as_str(), "draft" | "submitted" | "returned") {
            return Err(twice());
        }
        return Err(AppError::conflict(
            "subject_id",
            format!(
                "{} đã được quyết định kết quả năm {year}; để sửa, lập bản đính chính từ bản đã phê duyệt.",
                s.name
            ),
        ));
    }
    let decide_by = set
        .doc
        .decide_by
        .as_deref()
        .or_else(|| default_deadline(&programme, &s.kind).map(|(md, _)| md))
        .map(|md| format!("{year:04}-{md}"));
    let ts = now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO assessments (set_id, programme, subject_kind, subject_id, subject_name, unit_code, decider_code, \
         scope_path, year, period_from, period_to, decide_by, status, created_by, created_at, updated_at, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'draft', $13, $14, $14, $15) RETURNING id",
    )
    .bind(set.id)
    .bind(&programme)
    .bind(&s.kind)
    .bind(&s.id)
    .bind(&s.name)
    .bind(&s.unit.code)
    .bind(&s.decider.code)
    .bind(&s.scope_path)
    .bind(year)
    .bind(&s.period_from)
    .bind(&s.period_to)
    .bind(&decide_by)
    .bind(actor.user_id)
    .bind(&ts)
    .bind(next_version(&mut tx, &programme, &s.kind, &s.id, year).await?)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| if is_unique_violation(&e) { twice() } else { e.into() })?;
    event(&mut tx, actor, id, "create", "").await?;
    let a = locked(db, &mut tx, actor, id).await?;
    audit_step(
        &mut tx,
        actor,
        "assessment.create",
        &a,
        json!({"status": "draft", "set": set.doc.code, "set_version": set.version}),
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// One criterion's judgement as a form or the API sends it.
#[derive(Debug, Default, Deserialize)]
pub struct JudgeDraft {
    pub code: String,
    /// "dat", "chua_dat" or empty (not judged yet).
    #[serde(default)]
    pub verdict: Option<String>,
    #[serde(default)]
    pub points: Option<serde_json::Value>,
    #[serde(default)]
    pub note: Option<String>,
}

/// Points as typed: "2,5", "2.5", 3. Tenths are the finest step.
fn parse_points(raw: &serde_json::Value) -> Option<i64> {
    let text = input::value_text(raw)?.trim().replace(',', ".");
    if text.is_empty() {
        return None;
    }
    let x: f64 = text.parse().ok()?;
    let tenths = (x * 10.0).round();
    ((x * 10.0 - tenths).abs() < 1e-6 && x.is_finite()).then_some(tenths as i64)
}

/// Records the assessor's judgements of several criteria at once; a
/// criterion left without verdict stays open. All or nothing.
pub async fn judge(db: &Db, actor: &Actor, id: i64, drafts: &[JudgeDraft]) -> Result<Assessment> {
    let mut tx = db.begin().await?;
    let a = locked(db, &mut tx, actor, id).await?;
    policy::authorize(actor, Action::PrepareAssessment, &a.scope_path)?;
    if !a.is_editable() {
        return Err(refuse_status(&a, "bản đang soạn hoặc bị trả lại mới được sửa"));
    }
    let set = criteria::get(db, a.set_id).await?;
    let s = subject(db, &a.subject_kind, &a.subject_id, a.year).await?;
    let mut inv = Invalid::default();
    let mut writes = Vec::new();
    for d in drafts {
        let field = format!("item.{}", d.code);
        let Some(c) = set.doc.criterion(&d.code) else {
            inv.add(
                &field,
                format!("Tiêu chí \"{}\": không có trong bộ tiêu chí.", d.code),
            );
            continue;
        };
        let name = if c.citation.is_empty() {
            format!("Tiêu chí {}", c.code)
        } else {
            format!("Tiêu chí {} ({})", c.code, c.citation)
        };
        let note = optional_lines(
            &mut inv,
            &format!("{field}.note"),
            &format!("{name}: nhận xét"),
            d.note.as_deref(),
            NOTE_MAX,
        );
        let verdict = d
            .verdict
            .as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        let points = match d.points.as_ref() {
            None => None,
            Some(raw) if input::value_text(raw).is_some_and(|t| t.trim().is_empty()) => None,
            Some(raw) => match (parse_points(raw), c.max_x10) {
                (Some(p), Some(max)) if (0..=max).contains(&p) => Some(p),
                (_, Some(max)) => {
                    inv.add(
                        &format!("{field}.points"),
                        format!(
                            "{name}: điểm phải từ 0 đến {} (nhiều nhất một chữ số thập phân).",
                            super::points_text(max)
                        ),
                    );
                    None
                }
                (_, None) => {
                    inv.add(
                        &format!("{field}.points"),
                        format!("{name}: bộ tiêu chí này không chấm điểm."),
                    );
                    None
                }
            },
        };
        if c.is_computed() {
            if verdict.is_some() || points.is_some() {
                inv.add(
                    &field,
                    format!("{name}: do antq tính từ dữ liệu, không đánh giá tay."),
                );
            }
            continue;
        }
        if let Some(v) = &verdict {
            if c.max_x10.is_some() {
                inv.add(
                    &field,
                    format!("{name}: bộ chấm điểm; ghi điểm, không ghi đạt/chưa đạt."),
                );
            } else if v != "dat" && v != "chua_dat" {
                inv.add(&field, format!("{name}: chọn Đạt hoặc Chưa đạt."));
            } else if v == "dat" && c.rule.is_some() {
                let o = rules::compute(db, c.rule.as_deref().unwrap_or_default(), &s, a.year).await?;
                if o.fails() {
                    inv.add(
                        &field,
                        format!(
                            "{name}: dữ liệu cho thấy chưa đạt ({}); không thể kết luận đạt.",
                            o.value
                        ),
                    );
                }
            }
        }
        let decided = verdict.is_some() || points.is_some();
        if decided && note.is_empty() {
            inv.add(
                &format!("{field}.note"),
                format!("{name}: ghi nhận xét, vì sao đạt hoặc chưa đạt."),
            );
        }
        writes.push((c.code.clone(), verdict, points, note));
    }
    inv.finish()?;
    // Only what changed is written, so "judged by" keeps naming who judged.
    let stored = sqlx::query(
        "SELECT criterion_code, verdict, points_x10, note FROM assessment_items WHERE assessment_id = $1",
    )
    .bind(a.id)
    .fetch_all(&mut *tx)
    .await?;
    let unchanged = |code: &str, verdict: &Option<String>, points: &Option<i64>, note: &str| {
        stored.iter().any(|r| {
            r.try_get::<String, _>("criterion_code").ok().as_deref() == Some(code)
                && r.try_get::<Option<String>, _>("verdict").ok().as_ref() == Some(verdict)
                && r.try_get::<Option<i64>, _>("points_x10").ok().as_ref() == Some(points)
                && r.try_get::<String, _>("note").ok().as_deref() == Some(note)
        })
    };
    writes.retain(|(code, verdict, points, note)| !unchanged(code, verdict, points, note));
    if writes.is_empty() {
        tx.commit().await?;
        return Ok(a);
    }
    let ts = now();
    for (code, verdict, points, note) in &writes {
        let decided = verdict.is_some() || points.is_some();
        sqlx::query("DELETE FROM assessment_items WHERE assessment_id = $1 AND criterion_code = $2")
            .bind(a.id)
            .bind(code)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO assessment_items (assessment_id, criterion_code, verdict, points_x10, note, judged_by, \
             judged_name, judged_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.id)
        .bind(code)
        .bind(verdict)
        .bind(points)
        .bind(note)
        .bind(if decided { actor.user_id } else { None })
        .bind(if decided { actor_name(actor) } else { String::new() })
        .bind(decided.then(|| ts.clone()))
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("UPDATE assessments SET updated_at = $1 WHERE id = $2")
        .bind(&ts)
        .bind(a.id)
        .execute(&mut *tx)
        .await?;
    let judged: Vec<serde_json::Value> = writes
        .iter()
        .map(|(code, v, p, note)| json!({"code": code, "verdict": v, "points_x10": p, "note": note}))
        .collect();
    audit_step(&mut tx, actor, "assessment.judge", &a, json!({"items": judged})).await?;
    tx.commit().await?;
    Ok(a)
}

/// Sends the assessment to the deciding unit: every criterion decided, the
/// computed ones frozen as they stand today.
pub async fn submit(db: &Db, actor: &Actor, id: i64) -> Result<Assessment> {
    let mut tx = db.begin().await?;
    let a = locked(db, &mut tx, actor, id).await?;
    policy::authorize(actor, Action::PrepareAssessment, &a.scope_path)?;
    if !a.is_editable() {
        return Err(refuse_status(&a, "bản đang soạn hoặc bị trả lại mới gửi được"));
    }
    let set = criteria::get(db, a.set_id).await?;
    let s = subject(db, &a.subject_kind, &a.subject_id, a.year).await?;
    let mut list = items(db, &set, a.id).await?;
    refresh_computed(db, &s, a.year, &mut list).await?;
    let mut inv = Invalid::default();
    for item in &list {
        let open = match item.max_x10 {
            Some(_) => item.points_x10.is_none(),
            None => item.holds().is_none(),
        };
        if open {
            inv.add(
                &format!("item.{}", item.code),
                format!("Tiêu chí {} ({}): chưa đánh giá.", item.code, item.citation),
            );
        }
    }
    inv.finish()?;
    let t = tally(&set.doc, &list);
    for item in &list {
        sqlx::query(
            "UPDATE assessment_items SET computed_value = $1, computed_verdict = $2 \
             WHERE assessment_id = $3 AND criterion_code = $4",
        )
        .bind(&item.computed_value)
        .bind(&item.computed_verdict)
        .bind(a.id)
        .bind(&item.code)
        .execute(&mut *tx)
        .await?;
        if item.rule.is_some() {
            // A computed criterion may have no row yet (nobody judged it).
            sqlx::query(
                "INSERT INTO assessment_items (assessment_id, criterion_code, computed_value, computed_verdict) \
                 SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM assessment_items \
                 WHERE assessment_id = $1 AND criterion_code = $2)",
            )
            .bind(a.id)
            .bind(&item.code)
            .bind(&item.computed_value)
            .bind(&item.computed_verdict)
            .execute(&mut *tx)
            .await?;
        }
    }
    let ts = now();
    sqlx::query(
        "UPDATE assessments SET status = 'submitted', result = $1, passed = $2, total = $3, points_x10 = $4, \
         level = $5, submissions = submissions + 1, submitted_by = $6, submitted_at = $7, updated_at = $7 \
         WHERE id = $8",
    )
    .bind(t.result)
    .bind(t.passed)
    .bind(t.total)
    .bind(t.points_x10)
    .bind(&t.level)
    .bind(actor.user_id)
    .bind(&ts)
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    let action = if a.submissions > 0 { "resubmit" } else { "submit" };
    event(&mut tx, actor, a.id, action, "").await?;
    audit_step(
        &mut tx,
        actor,
        if a.submissions > 0 {
            "assessment.resubmit"
        } else {
            "assessment.submit"
        },
        &a,
        json!({"status": "submitted", "result": t.result, "passed": t.passed, "total": t.total}),
    )
    .await?;
    let out = locked(db, &mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(out)
}

fn required_reason(raw: Option<&str>, field: &str, label: &str) -> Result<String> {
    let mut inv = Invalid::default();
    let reason = optional_lines(&mut inv, field, label, raw, NOTE_MAX);
    if reason.is_empty() && !inv.has(field) {
        inv.add(field, format!("{label}: không được để trống."));
    }
    inv.finish()?;
    Ok(reason)
}

/// Sends it back to the preparer, with the reason they must address.
pub async fn return_back(db: &Db, actor: &Actor, id: i64, reason: Option<&str>) -> Result<Assessment> {
    let reason = required_reason(reason, "reason", "Lý do trả lại")?;
    let mut tx = db.begin().await?;
    let a = locked(db, &mut tx, actor, id).await?;
    may_decide(&mut tx, actor, &a).await?;
    if a.status != "submitted" {
        return Err(refuse_status(&a, "bản đã gửi mới trả lại được"));
    }
    sqlx::query(
        "UPDATE assessments SET status = 'returned', return_reason = $1, updated_at = $2 WHERE id = $3",
    )
    .bind(&reason)
    .bind(now())
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    event(&mut tx, actor, a.id, "return", &reason).await?;
    audit_step(
        &mut tx,
        actor,
        "assessment.return",
        &a,
        json!({"status": "returned", "reason": reason}),
    )
    .await?;
    let out = locked(db, &mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Approves the submitted result; the assessment is locked from here on. An
/// approved correction replaces the versions before it in every figure.
pub async fn approve(db: &Db, actor: &Actor, id: i64, note: Option<&str>) -> Result<Assessment> {
    let mut inv = Invalid::default();
    let note = optional_lines(&mut inv, "note", "Ý kiến xét duyệt", note, NOTE_MAX);
    inv.finish()?;
    let mut tx = db.begin().await?;
    let a = locked(db, &mut tx, actor, id).await?;
    may_decide(&mut tx, actor, &a).await?;
    if a.status != "submitted" {
        return Err(refuse_status(&a, "bản đã gửi mới phê duyệt được"));
    }
    let ts = now();
    sqlx::query(
        "UPDATE assessments SET status = 'approved', decided_by = $1, decided_name = $2, decided_at = $3, \
         decision_note = $4, updated_at = $3 WHERE id = $5",
    )
    .bind(actor.user_id)
    .bind(actor_name(actor))
    .bind(&ts)
    .bind(&note)
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE assessments SET replaced = 1 WHERE programme = $1 AND subject_kind = $2 AND subject_id = $3 \
         AND year = $4 AND version < $5",
    )
    .bind(&a.programme)
    .bind(&a.subject_kind)
    .bind(&a.subject_id)
    .bind(a.year)
    .bind(a.version)
    .execute(&mut *tx)
    .await?;
    event(&mut tx, actor, a.id, "approve", &note).await?;
    audit_step(
        &mut tx,
        actor,
        "assessment.approve",
        &a,
        json!({"status": "approved", "result": a.result}),
    )
    .await?;
    let out = locked(db, &mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(out)
}

#[derive(Debug, Default, Deserialize)]
pub struct RecogniseDraft {
    #[serde(default)]
    pub cert_number: Option<String>,
    #[serde(default)]
    pub cert_date: Option<String>,
    #[serde(default)]
    pub cert_issuer: Option<String>,
    #[serde(default)]
    pub cert_signer: Option<String>,
}

/// "Ủy ban nhân dân xã Khổng Lào", the authority of Thông tư 124 Điều 10.
pub fn default_issuer(decider_name: &str) -> String {
    let mut chars = decider_name.chars();
    let lowered = match chars.next() {
        Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    };
    format!("Ủy ban nhân dân {lowered}")
}

/// Records the decision of recognition and its certificate (Giấy công nhận).
pub async fn recognise(db: &Db, actor: &Actor, id: i64, d: &RecogniseDraft) -> Result<Assessment> {
    let mut inv = Invalid::default();
    let number = input::required_text(
        &mut inv,
        "cert_number",
        "Số quyết định, giấy công nhận",
        d.cert_number.as_deref(),
        60,
    );
    let date = input::date(
        &mut inv,
        "cert_date",
        "Ngày công nhận",
        d.cert_date.as_deref(),
        true,
    );
    let issuer = input::optional_text(
        &mut inv,
        "cert_issuer",
        "Cơ quan công nhận",
        d.cert_issuer.as_deref(),
        200,
    );
    let signer = input::optional_text(&mut inv, "cert_signer", "Người ký", d.cert_signer.as_deref(), 200);
    if let Some(on) = &date
        && on.as_str() > today().to_string().as_str()
    {
        inv.add("cert_date", "Ngày công nhận: không được sau hôm nay.");
    }
    inv.finish()?;
    let mut tx = db.begin().await?;
    let a = locked(db, &mut tx, actor, id).await?;
    may_decide(&mut tx, actor, &a).await?;
    if a.status != "approved" {
        return Err(refuse_status(&a, "bản đã phê duyệt mới công nhận được"));
    }
    if a.result.as_deref() != Some("dat") {
        return Err(AppError::Conflict {
            message: format!(
                "{} chưa đạt năm {}; không công nhận, không cấp giấy công nhận.",
                a.subject_name, a.year
            ),
            fields: Default::default(),
        });
    }
    let on = date.unwrap_or_default();
    if on.as_str() < a.period_from.as_str() {
        return Err(AppError::field(
            "cert_date",
            format!(
                "Ngày công nhận: không được trước kỳ đánh giá (từ {}).",
                format_date(&a.period_from)
            ),
        ));
    }
    let issuer = if issuer.is_empty() {
        default_issuer(&a.decider_name)
    } else {
        issuer
    };
    // The index allows a number again only to the correction of the same
    // subject; another subject never shares it.
    let taken: Option<String> = sqlx::query_scalar(
        "SELECT subject_name FROM assessments WHERE decider_code = $1 AND year = $2 AND cert_number = $3 \
         AND NOT (programme = $4 AND subject_kind = $5 AND subject_id = $6) LIMIT 1",
    )
    .bind(&a.decider_code)
    .bind(a.year)
    .bind(&number)
    .bind(&a.programme)
    .bind(&a.subject_kind)
    .bind(&a.subject_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(other) = taken {
        return Err(AppError::conflict(
            "cert_number",
            format!(
                "Số quyết định, giấy công nhận: số {number} đã cấp năm {} cho {other}.",
                a.year
            ),
        ));
    }
    sqlx::query(
        "UPDATE assessments SET status = 'recognised', cert_number = $1, cert_date = $2, cert_issuer = $3, \
         cert_signer = $4, updated_at = $5 WHERE id = $6",
    )
    .bind(&number)
    .bind(&on)
    .bind(&issuer)
    .bind(&signer)
    .bind(now())
    .bind(a.id)
    .execute(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict(
                "cert_number",
                format!(
                    "Số quyết định, giấy công nhận: số {number} đã cấp năm {} tại {}.",
                    a.year, a.decider_name
                ),
            )
        } else {
            e.into()
        }
    })?;
    event(
        &mut tx,
        actor,
        a.id,
        "recognise",
        &format!("Số {number}, ngày {}", format_date(&on)),
    )
    .await?;
    audit_step(
        &mut tx,
        actor,
        "assessment.recognise",
        &a,
        json!({"status": "recognised", "cert_number": number, "cert_date": on, "cert_issuer": issuer}),
    )
    .await?;
    let out = locked(db, &mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(out)
}

/// Opens a correction of a decided assessment: a new draft version with the
/// judgements copied and the reason stated. The decided version stays, and
/// counts, until the correction is approved.
pub async fn correct(db: &Db, actor: &Actor, id: i64, reason: Option<&str>) -> Result<Assessment> {
    let reason = required_reason(reason, "reason", "Lý do đính chính")?;
    let mut tx = db.begin().await?;
    let a = locked(db, &mut tx, actor, id).await?;
    policy::authorize(actor, Action::PrepareAssessment, &a.scope_path)?;
    if !a.is_decided() || a.replaced {
        return Err(refuse_status(
            &a,
            "bản đã phê duyệt và còn hiệu lực mới lập bản đính chính được",
        ));
    }
    let newer: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM assessments WHERE programme = $1 AND subject_kind = $2 AND subject_id = $3 AND year = $4 \
         AND version > $5 AND status <> 'withdrawn' LIMIT 1",
    )
    .bind(&a.programme)
    .bind(&a.subject_kind)
    .bind(&a.subject_id)
    .bind(a.year)
    .bind(a.version)
    .fetch_optional(&mut *tx)
    .await?;
    if newer.is_some() {
        return Err(AppError::conflict(
            "reason",
            "Đã có bản đính chính đang mở cho đối tượng và kỳ này.",
        ));
    }
    let ts = now();
    let new_id: i64 = sqlx::query_scalar(
        "INSERT INTO assessments (set_id, programme, subject_kind, subject_id, subject_name, unit_code, decider_code, \
         scope_path, year, period_from, period_to, decide_by, version, supersedes_id, correction_reason, status, \
         created_by, created_at, updated_at) \
         SELECT set_id, programme, subject_kind, subject_id, subject_name, unit_code, decider_code, scope_path, year, \
         period_from, period_to, NULL, $5, id, $1, 'draft', $2, $3, $3 FROM assessments WHERE id = $4 \
         RETURNING id",
    )
    .bind(&reason)
    .bind(actor.user_id)
    .bind(&ts)
    .bind(a.id)
    .bind(next_version(&mut tx, &a.programme, &a.subject_kind, &a.subject_id, a.year).await?)
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("reason", "Đã có bản đánh giá đang mở cho đối tượng và kỳ này.")
        } else {
            e.into()
        }
    })?;
    sqlx::query(
        "INSERT INTO assessment_items (assessment_id, criterion_code, verdict, points_x10, note, judged_by, \
         judged_name, judged_at) SELECT $1, criterion_code, verdict, points_x10, note, judged_by, judged_name, \
         judged_at FROM assessment_items WHERE assessment_id = $2",
    )
    .bind(new_id)
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    // The evidence goes with the judgements it supports.
    sqlx::query(
        "INSERT INTO assessment_files (assessment_id, criterion_code, file_name, content_type, size, sha256, data, \
         uploaded_by, uploaded_name, uploaded_at) SELECT $1, criterion_code, file_name, content_type, size, sha256, \
         data, uploaded_by, uploaded_name, uploaded_at FROM assessment_files WHERE assessment_id = $2",
    )
    .bind(new_id)
    .bind(a.id)
    .execute(&mut *tx)
    .await?;
    event(&mut tx, actor, new_id, "correct", &reason).await?;
    event(&mut tx, actor, a.id, "corrected", &reason).await?;
    let out = locked(db, &mut tx, actor, new_id).await?;
    audit_step(
        &mut tx,
        actor,
        "assessment.correct",
        &out,
        json!({"status": "draft", "supersedes": a.id, "reason": reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Takes back a draft or a returned assessment, with the reason: it leaves
/// every figure and the subject may be assessed afresh; its history stays.
pub async fn withdraw(db: &Db, actor: &Actor, id: i64, reason: Option<&str>) -> Result<Assessment> {
    let reason = required_reason(reason, "reason", "Lý do rút bản đánh giá")?;
    let mut tx = db.begin().await?;
    let a = locked(db, &mut tx, actor, id).await?;
    policy::authorize(actor, Action::PrepareAssessment, &a.scope_path)?;
    if !a.is_editable() {
        return Err(refuse_status(&a, "bản đang soạn hoặc bị trả lại mới rút được"));
    }
    sqlx::query("UPDATE assessments SET status = 'withdrawn', updated_at = $1 WHERE id = $2")
        .bind(now())
        .bind(a.id)
        .execute(&mut *tx)
        .await?;
    event(&mut tx, actor, a.id, "withdraw", &reason).await?;
    audit_step(
        &mut tx,
        actor,
        "assessment.withdraw",
        &a,
        json!({"status": "withdrawn", "reason": reason}),
    )
    .await?;
    let out = locked(db, &mut tx, actor, id).await?;
    tx.commit().await?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_read_in_tenths() {
        assert_eq!(parse_points(&json!("2,5")), Some(25));
        assert_eq!(parse_points(&json!(3)), Some(30));
        assert_eq!(parse_points(&json!("1,25")), None);
        assert_eq!(parse_points(&json!("abc")), None);
    }

    #[test]
    fn issuer_reads_as_the_law_names_it() {
        assert_eq!(default_issuer("Xã Khổng Lào"), "Ủy ban nhân dân xã Khổng Lào");
        assert_eq!(default_issuer("Tỉnh Lai Châu"), "Ủy ban nhân dân tỉnh Lai Châu");
    }
}

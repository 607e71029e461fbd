//! Criteria sets as data (docs/CRITERIA.md): a set is one JSON file, read
//! here with a Vietnamese message for every bad field, stored as an
//! immutable version, and chosen for an assessment by programme, subject
//! kind and year. antq ships the sets of Thông tư 124/2021/TT-BCA, Điều 4
//! to 7 (data/criteria/), whose text is public law; it ships no other.

use serde::Serialize;
use serde_json::{Map, Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use unicode_normalization::UnicodeNormalization;

use super::rules;
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, policy};
use crate::db::{Db, Tx, now};
use crate::error::{AppError, Invalid, Result, is_unique_violation};

pub const FORMAT: &str = "antq-criteria/1";

pub const PROGRAMMES: [(&str, &str); 3] = [
    (
        "an_toan",
        "Công nhận đạt tiêu chuẩn “An toàn về an ninh, trật tự”",
    ),
    ("phan_loai", "Đánh giá, phân loại phong trào"),
    ("dien_hinh", "Xây dựng điển hình"),
];

pub const KINDS: [(&str, &str); 3] = [
    ("all", "Đạt đủ tất cả tiêu chí"),
    ("count", "Đạt X trên N tiêu chí"),
    ("points", "Chấm điểm, xếp mức"),
];

pub const SUBJECT_KINDS: [(&str, &str); 5] = [
    ("village", "Khu dân cư"),
    ("commune", "Xã, phường, đặc khu"),
    ("agency", "Cơ quan"),
    ("enterprise", "Doanh nghiệp"),
    ("school", "Cơ sở giáo dục"),
];

/// The sets antq ships, loaded at start when their code is not stored yet.
const SHIPPED: [&str; 4] = [
    include_str!("../../data/criteria/tt124-dieu4-khu-dan-cu.json"),
    include_str!("../../data/criteria/tt124-dieu5-xa-phuong.json"),
    include_str!("../../data/criteria/tt124-dieu6-co-quan-doanh-nghiep.json"),
    include_str!("../../data/criteria/tt124-dieu7-co-so-giao-duc.json"),
];

const MAX_CRITERIA: usize = 200;
const MAX_FILE: usize = 1024 * 1024;

pub fn label(table: &[(&'static str, &'static str)], key: &str) -> &'static str {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

#[derive(Clone, Debug, Serialize)]
pub struct Level {
    pub name: String,
    /// Points in tenths, so "72,5" is exact.
    pub min_x10: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Criterion {
    pub code: String,
    pub group: String,
    pub citation: String,
    pub text: String,
    /// A rule of [`rules::RULES`] computing the criterion from antq's records.
    pub rule: Option<String>,
    /// "computed": the rule decides; "checked": a failing rule fails the
    /// criterion, a passing one leaves the rest to the assessor.
    pub mode: String,
    pub max_x10: Option<i64>,
}

impl Level {
    pub fn min_label(&self) -> String {
        super::points_text(self.min_x10)
    }
}

impl Criterion {
    pub fn max_label(&self) -> String {
        self.max_x10.map(super::points_text).unwrap_or_default()
    }

    pub fn is_computed(&self) -> bool {
        self.rule.is_some() && self.mode == "computed"
    }
}

/// A set as its file describes it, validated.
#[derive(Clone, Debug, Serialize)]
pub struct Document {
    pub code: String,
    pub name: String,
    pub legal_basis: String,
    pub programme: String,
    pub kind: String,
    pub subject_kinds: Vec<String>,
    pub year_from: i64,
    pub year_to: Option<i64>,
    /// Month-day before which the decision is due ("11-15"), and its basis.
    pub decide_by: Option<String>,
    pub deadline_basis: String,
    pub certificate_title: String,
    pub preamble: String,
    pub source: String,
    pub pass_count: Option<i64>,
    pub levels: Vec<Level>,
    pub criteria: Vec<Criterion>,
}

impl Document {
    pub fn max_total_x10(&self) -> i64 {
        self.criteria.iter().filter_map(|c| c.max_x10).sum()
    }

    pub fn criterion(&self, code: &str) -> Option<&Criterion> {
        self.criteria.iter().find(|c| c.code == code)
    }

    /// The file form of the set: what export writes and import reads back.
    pub fn to_json(&self) -> Value {
        let points = |x: i64| json!(x as f64 / 10.0);
        let criteria: Vec<Value> = self
            .criteria
            .iter()
            .map(|c| {
                let mut m = Map::new();
                m.insert("code".into(), json!(c.code));
                if !c.group.is_empty() {
                    m.insert("group".into(), json!(c.group));
                }
                m.insert("citation".into(), json!(c.citation));
                m.insert("text".into(), json!(c.text));
                if let Some(rule) = &c.rule {
                    m.insert("rule".into(), json!(rule));
                    m.insert("mode".into(), json!(c.mode));
                }
                if let Some(x) = c.max_x10 {
                    m.insert("max_points".into(), points(x));
                }
                Value::Object(m)
            })
            .collect();
        let mut m = Map::new();
        m.insert("format".into(), json!(FORMAT));
        m.insert("code".into(), json!(self.code));
        m.insert("name".into(), json!(self.name));
        m.insert("legal_basis".into(), json!(self.legal_basis));
        m.insert("programme".into(), json!(self.programme));
        m.insert("kind".into(), json!(self.kind));
        m.insert("subject_kinds".into(), json!(self.subject_kinds));
        m.insert("year_from".into(), json!(self.year_from));
        m.insert("year_to".into(), json!(self.year_to));
        m.insert("decide_by".into(), json!(self.decide_by));
        m.insert("deadline_basis".into(), json!(self.deadline_basis));
        m.insert("certificate_title".into(), json!(self.certificate_title));
        m.insert("preamble".into(), json!(self.preamble));
        m.insert("source".into(), json!(self.source));
        if self.kind == "count" {
            m.insert("pass_count".into(), json!(self.pass_count));
        }
        if self.kind == "points" {
            let levels: Vec<Value> = self
                .levels
                .iter()
                .map(|l| json!({"name": l.name, "min_points": l.min_x10 as f64 / 10.0}))
                .collect();
            m.insert("levels".into(), Value::Array(levels));
        }
        m.insert("criteria".into(), Value::Array(criteria));
        Value::Object(m)
    }

    /// The level a points total reaches: the highest threshold at or below it.
    pub fn level_for(&self, total_x10: i64) -> Option<&Level> {
        self.levels
            .iter()
            .filter(|l| l.min_x10 <= total_x10)
            .max_by_key(|l| l.min_x10)
    }
}

/// A stored version of a set.
#[derive(Clone, Debug, Serialize)]
pub struct CriteriaSet {
    pub id: i64,
    pub version: i64,
    pub shipped: bool,
    pub active: bool,
    pub created_by: String,
    pub created_at: String,
    /// Assessments judged on this version.
    pub used: i64,
    pub doc: Document,
}

impl CriteriaSet {
    pub fn programme_label(&self) -> &'static str {
        label(&PROGRAMMES, &self.doc.programme)
    }

    pub fn kind_label(&self) -> &'static str {
        label(&KINDS, &self.doc.kind)
    }

    pub fn subjects_label(&self) -> String {
        self.doc
            .subject_kinds
            .iter()
            .map(|k| label(&SUBJECT_KINDS, k))
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn years_label(&self) -> String {
        match self.doc.year_to {
            Some(to) => format!("{}–{}", self.doc.year_from, to),
            None => format!("từ {}", self.doc.year_from),
        }
    }

    pub fn pretty_json(&self) -> String {
        serde_json::to_string_pretty(&self.doc.to_json()).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------
// Reading a set file

fn nfc(s: &str) -> String {
    s.nfc().collect::<String>().trim().to_string()
}

fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// Text of a field; `None` when absent or null. Records a message when it is
/// not text, too long or holds control characters.
fn text_field(
    inv: &mut Invalid,
    obj: &Map<String, Value>,
    field: &str,
    label: &str,
    max: usize,
) -> Option<String> {
    match obj.get(field) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            let s = nfc(s);
            if has_control(&s) {
                inv.add(field, format!("{label}: không được chứa ký tự điều khiển."));
            } else if s.chars().count() > max {
                inv.add(field, format!("{label}: tối đa {max} ký tự."));
            }
            Some(s)
        }
        Some(_) => {
            inv.add(field, format!("{label}: phải là chuỗi ký tự."));
            None
        }
    }
}

fn required(inv: &mut Invalid, obj: &Map<String, Value>, field: &str, label: &str, max: usize) -> String {
    match text_field(inv, obj, field, label, max) {
        Some(s) if !s.is_empty() => s,
        _ => {
            inv.add(field, format!("{label}: không được để trống."));
            String::new()
        }
    }
}

fn year_field(inv: &mut Invalid, obj: &Map<String, Value>, field: &str, label: &str) -> Option<i64> {
    match obj.get(field) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                inv.add(field, format!("{label}: phải là năm từ 2000 đến 2100."));
                None
            }
        },
    }
}

/// Points written as a JSON number with at most one decimal: 3, 2.5.
fn points_x10(v: &Value) -> Option<i64> {
    let x = v.as_f64()?;
    let tenths = (x * 10.0).round();
    if !(0.0..=100_000.0).contains(&x) || (x * 10.0 - tenths).abs() > 1e-6 {
        return None;
    }
    Some(tenths as i64)
}

fn month_day_valid(md: &str) -> bool {
    let Some((m, d)) = md.split_once('-') else {
        return false;
    };
    if m.len() != 2 || d.len() != 2 {
        return false;
    }
    match (m.parse::<u8>(), d.parse::<u8>()) {
        (Ok(m), Ok(d)) => time::Month::try_from(m).is_ok_and(|m| d >= 1 && d <= m.length(2023)),
        _ => false,
    }
}

/// Reads a set file. Every problem is reported, each naming its field
/// ("criteria[3].code"), and nothing is stored unless the whole file is good.
pub fn parse(bytes: &[u8]) -> Result<Document> {
    let file_error = |m: String| AppError::field("file", m);
    if bytes.len() > MAX_FILE {
        return Err(file_error("Tệp bộ tiêu chí: tối đa 1 MB.".into()));
    }
    let value: Value = serde_json::from_slice(bytes).map_err(|e| {
        file_error(format!(
            "Tệp bộ tiêu chí: không phải JSON hợp lệ (dòng {}, cột {}).",
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(obj) = value else {
        return Err(file_error(
            "Tệp bộ tiêu chí: phải là một đối tượng JSON { … }.".into(),
        ));
    };
    let mut inv = Invalid::default();
    const KNOWN: [&str; 17] = [
        "format",
        "code",
        "name",
        "legal_basis",
        "programme",
        "kind",
        "subject_kinds",
        "year_from",
        "year_to",
        "decide_by",
        "deadline_basis",
        "certificate_title",
        "preamble",
        "source",
        "pass_count",
        "levels",
        "criteria",
    ];
    for key in obj.keys() {
        if !KNOWN.contains(&key.as_str()) {
            inv.add(
                key,
                format!("Tệp bộ tiêu chí: trường \"{key}\" không có trong định dạng {FORMAT}."),
            );
        }
    }
    match obj.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        _ => inv.add("format", format!("Định dạng: phải là \"{FORMAT}\".")),
    }
    let code = required(&mut inv, &obj, "code", "Mã bộ tiêu chí", 60);
    if !code.is_empty()
        && !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        inv.add(
            "code",
            "Mã bộ tiêu chí: chỉ gồm chữ thường không dấu, chữ số, dấu gạch (ví dụ tt124-khu-dan-cu).",
        );
    }
    let name = required(&mut inv, &obj, "name", "Tên bộ tiêu chí", 300);
    let legal_basis = required(&mut inv, &obj, "legal_basis", "Căn cứ pháp lý", 300);
    let programme = required(&mut inv, &obj, "programme", "Loại đánh giá", 20);
    if !programme.is_empty() && !PROGRAMMES.iter().any(|(k, _)| *k == programme) {
        inv.add(
            "programme",
            format!("Loại đánh giá: \"{programme}\" không có; chọn an_toan, phan_loai hoặc dien_hinh."),
        );
    }
    let kind = required(&mut inv, &obj, "kind", "Kiểu bộ tiêu chí", 20);
    if !kind.is_empty() && !KINDS.iter().any(|(k, _)| *k == kind) {
        inv.add(
            "kind",
            format!(
                "Kiểu bộ tiêu chí: \"{kind}\" không có; chọn all (đạt đủ tất cả), count (đạt X trên N) hoặc points (chấm điểm)."
            ),
        );
    }
    let mut subject_kinds = Vec::new();
    match obj.get("subject_kinds") {
        Some(Value::Array(items)) if !items.is_empty() => {
            for item in items {
                match item.as_str() {
                    Some(k) if SUBJECT_KINDS.iter().any(|(s, _)| *s == k) => {
                        if subject_kinds.iter().any(|s| s == k) {
                            inv.add("subject_kinds", format!("Đối tượng: \"{k}\" ghi hai lần."));
                        }
                        subject_kinds.push(k.to_string());
                    }
                    _ => inv.add(
                        "subject_kinds",
                        format!(
                            "Đối tượng: \"{}\" không có; chọn village, commune, agency, enterprise, school.",
                            item.as_str().unwrap_or("?")
                        ),
                    ),
                }
            }
        }
        _ => inv.add(
            "subject_kinds",
            "Đối tượng: ghi ít nhất một loại đối tượng (subject_kinds).",
        ),
    }
    if subject_kinds.len() > 1 && subject_kinds.iter().any(|k| k == "village" || k == "commune") {
        inv.add(
            "subject_kinds",
            "Đối tượng: khu dân cư và xã có bộ tiêu chí riêng; chỉ cơ quan, doanh nghiệp, cơ sở giáo dục được chung một bộ.",
        );
    }
    let year_from = year_field(&mut inv, &obj, "year_from", "Áp dụng từ năm");
    if year_from.is_none() && !inv.has("year_from") {
        inv.add("year_from", "Áp dụng từ năm: không được để trống.");
    }
    let year_to = year_field(&mut inv, &obj, "year_to", "Áp dụng đến năm");
    if let (Some(from), Some(to)) = (year_from, year_to)
        && to < from
    {
        inv.add("year_to", "Áp dụng đến năm: không được trước năm bắt đầu.");
    }
    let decide_by = text_field(&mut inv, &obj, "decide_by", "Hạn quyết định", 5).filter(|s| !s.is_empty());
    if let Some(md) = &decide_by
        && !month_day_valid(md)
    {
        inv.add(
            "decide_by",
            "Hạn quyết định: ghi tháng-ngày, ví dụ \"11-15\" (trước ngày 15/11).",
        );
    }
    let deadline_basis =
        text_field(&mut inv, &obj, "deadline_basis", "Căn cứ của hạn", 300).unwrap_or_default();
    let certificate_title =
        text_field(&mut inv, &obj, "certificate_title", "Tên giấy công nhận", 200).unwrap_or_default();
    let preamble = text_field(&mut inv, &obj, "preamble", "Lời dẫn", 2000).unwrap_or_default();
    let source = text_field(&mut inv, &obj, "source", "Nguồn", 500).unwrap_or_default();

    let mut criteria: Vec<Criterion> = Vec::new();
    match obj.get("criteria") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_CRITERIA => {
            for (i, item) in items.iter().enumerate() {
                if let Some(c) = parse_criterion(&mut inv, i, item, &kind, &subject_kinds)
                    && !criteria.iter().any(|o| o.code == c.code)
                {
                    criteria.push(c);
                } else if let Some(code) = item.get("code").and_then(Value::as_str)
                    && criteria.iter().any(|o| o.code == nfc(code))
                {
                    inv.add(
                        &format!("criteria[{i}].code"),
                        format!(
                            "Tiêu chí thứ {}: mã \"{}\" trùng với một tiêu chí trước.",
                            i + 1,
                            nfc(code)
                        ),
                    );
                }
            }
        }
        Some(Value::Array(items)) if items.len() > MAX_CRITERIA => {
            inv.add("criteria", format!("Tiêu chí: tối đa {MAX_CRITERIA} tiêu chí."))
        }
        _ => inv.add("criteria", "Tiêu chí: bộ tiêu chí phải có ít nhất một tiêu chí."),
    }

    let pass_count = match obj.get("pass_count") {
        None | Some(Value::Null) => None,
        Some(v) => v.as_i64().or_else(|| {
            inv.add("pass_count", "Số tiêu chí phải đạt: phải là số nguyên.");
            None
        }),
    };
    if kind == "count" {
        match pass_count {
            Some(p) if p >= 1 && (p as usize) <= criteria.len() => {}
            _ if inv.has("pass_count") => {}
            _ => inv.add(
                "pass_count",
                format!(
                    "Số tiêu chí phải đạt: bộ kiểu count cần pass_count từ 1 đến {}.",
                    criteria.len().max(1)
                ),
            ),
        }
    } else if pass_count.is_some() {
        inv.add("pass_count", "Số tiêu chí phải đạt: chỉ dùng cho bộ kiểu count.");
    }

    let mut levels: Vec<Level> = Vec::new();
    let total: i64 = criteria.iter().filter_map(|c| c.max_x10).sum();
    match (kind.as_str(), obj.get("levels")) {
        ("points", Some(Value::Array(items))) if !items.is_empty() => {
            for (i, item) in items.iter().enumerate() {
                let field = format!("levels[{i}]");
                let name = item
                    .get("name")
                    .and_then(Value::as_str)
                    .map(nfc)
                    .unwrap_or_default();
                let min = item.get("min_points").and_then(points_x10);
                if has_control(&name) || name.contains('\n') {
                    inv.add(
                        &field,
                        format!("Mức thứ {}: tên không được chứa ký tự điều khiển.", i + 1),
                    );
                } else if name.is_empty() || name.chars().count() > 60 {
                    inv.add(
                        &field,
                        format!("Mức thứ {}: ghi tên mức (tối đa 60 ký tự).", i + 1),
                    );
                } else if levels.iter().any(|l| l.name == name) {
                    inv.add(&field, format!("Mức thứ {}: tên \"{name}\" trùng.", i + 1));
                }
                match min {
                    Some(m) if m <= total => {
                        if levels.iter().any(|l| l.min_x10 == m) {
                            inv.add(
                                &field,
                                format!("Mức thứ {}: hai mức cùng một ngưỡng điểm.", i + 1),
                            );
                        }
                        levels.push(Level { name, min_x10: m });
                    }
                    _ => inv.add(
                        &field,
                        format!(
                            "Mức thứ {}: ngưỡng điểm (min_points) phải từ 0 đến tổng điểm tối đa {}.",
                            i + 1,
                            crate::text::format_decimal(total as f64 / 10.0, 1)
                        ),
                    ),
                }
            }
            if !levels.iter().any(|l| l.min_x10 == 0) && !inv.has("levels[0]") {
                inv.add(
                    "levels",
                    "Mức: cần một mức có ngưỡng 0 điểm, để tổng điểm nào cũng có mức.",
                );
            }
        }
        ("points", _) => inv.add(
            "levels",
            "Mức: bộ kiểu points cần danh sách mức (levels) với ngưỡng điểm.",
        ),
        (_, Some(Value::Array(items))) if !items.is_empty() => {
            inv.add("levels", "Mức: chỉ dùng cho bộ kiểu points.")
        }
        _ => {}
    }
    if !certificate_title.is_empty() && kind == "points" {
        inv.add(
            "certificate_title",
            "Tên giấy công nhận: bộ chấm điểm xếp mức, không cấp giấy công nhận.",
        );
    }
    inv.finish()?;
    levels.sort_by_key(|l| std::cmp::Reverse(l.min_x10));
    Ok(Document {
        code,
        name,
        legal_basis,
        programme,
        kind,
        subject_kinds,
        year_from: year_from.unwrap_or_default(),
        year_to,
        decide_by,
        deadline_basis,
        certificate_title,
        preamble,
        source,
        pass_count,
        levels,
        criteria,
    })
}

fn parse_criterion(
    inv: &mut Invalid,
    i: usize,
    item: &Value,
    kind: &str,
    subject_kinds: &[String],
) -> Option<Criterion> {
    let n = i + 1;
    let prefix = format!("criteria[{i}]");
    let Value::Object(obj) = item else {
        inv.add(&prefix, format!("Tiêu chí thứ {n}: phải là một đối tượng JSON."));
        return None;
    };
    let mut local = Invalid::default();
    let code = required(&mut local, obj, "code", &format!("Tiêu chí thứ {n}: mã"), 20);
    let text = required(
        &mut local,
        obj,
        "text",
        &format!("Tiêu chí thứ {n}: nội dung"),
        5000,
    );
    let citation = text_field(
        &mut local,
        obj,
        "citation",
        &format!("Tiêu chí thứ {n}: điều, khoản"),
        200,
    )
    .unwrap_or_default();
    let group =
        text_field(&mut local, obj, "group", &format!("Tiêu chí thứ {n}: nhóm"), 200).unwrap_or_default();
    let rule = text_field(
        &mut local,
        obj,
        "rule",
        &format!("Tiêu chí thứ {n}: quy tắc tính"),
        60,
    )
    .filter(|s| !s.is_empty());
    let mode = text_field(
        &mut local,
        obj,
        "mode",
        &format!("Tiêu chí thứ {n}: cách tính"),
        20,
    )
    .filter(|s| !s.is_empty());
    if let Some(r) = &rule {
        match rules::find(r) {
            None => local.add(
                "rule",
                format!(
                    "Tiêu chí thứ {n}: quy tắc tính \"{r}\" không có; các quy tắc: {}.",
                    rules::RULES.iter().map(|r| r.code).collect::<Vec<_>>().join(", ")
                ),
            ),
            Some(def) if !subject_kinds.iter().all(|k| def.subjects.contains(&k.as_str())) => local.add(
                "rule",
                format!("Tiêu chí thứ {n}: quy tắc \"{r}\" không dùng được cho đối tượng của bộ này."),
            ),
            Some(_) if kind == "points" => local.add(
                "rule",
                format!("Tiêu chí thứ {n}: bộ chấm điểm không dùng quy tắc tính; người đánh giá chấm điểm."),
            ),
            Some(_) => {}
        }
    }
    let mode = match (rule.is_some(), mode.as_deref()) {
        (false, None) => "judged".to_string(),
        (false, Some(_)) => {
            local.add(
                "mode",
                format!("Tiêu chí thứ {n}: chỉ ghi cách tính (mode) khi có quy tắc tính."),
            );
            String::new()
        }
        (true, None | Some("computed")) => "computed".to_string(),
        (true, Some("checked")) => "checked".to_string(),
        (true, Some(other)) => {
            local.add(
                "mode",
                format!("Tiêu chí thứ {n}: cách tính \"{other}\" không có; chọn computed hoặc checked."),
            );
            String::new()
        }
    };
    let max_x10 = match obj.get("max_points") {
        None | Some(Value::Null) => None,
        Some(v) => match points_x10(v) {
            Some(x) if x > 0 => Some(x),
            _ => {
                local.add(
                    "max_points",
                    format!(
                        "Tiêu chí thứ {n}: điểm tối đa phải là số dương, nhiều nhất một chữ số thập phân."
                    ),
                );
                None
            }
        },
    };
    if kind == "points" && max_x10.is_none() && !local.has("max_points") {
        local.add(
            "max_points",
            format!("Tiêu chí thứ {n}: bộ chấm điểm cần điểm tối đa (max_points)."),
        );
    }
    if kind != "points" && max_x10.is_some() {
        local.add(
            "max_points",
            format!("Tiêu chí thứ {n}: điểm tối đa chỉ dùng cho bộ kiểu points."),
        );
    }
    for known in obj.keys() {
        if !["code", "text", "citation", "group", "rule", "mode", "max_points"].contains(&known.as_str()) {
            local.add(
                known,
                format!("Tiêu chí thứ {n}: trường \"{known}\" không có trong định dạng."),
            );
        }
    }
    let ok = local.is_empty();
    for (field, message) in local.into_fields() {
        inv.add(&format!("{prefix}.{field}"), message);
    }
    ok.then_some(Criterion {
        code,
        group,
        citation,
        text,
        rule,
        mode,
        max_x10,
    })
}

// ---------------------------------------------------------------------------
// Storage

const COLUMNS: &str = "s.id, s.version, s.shipped, s.active, s.created_by, s.created_at, s.document, \
     (SELECT COUNT(*) FROM assessments a WHERE a.set_id = s.id) AS used";

fn from_row(r: &AnyRow) -> Result<CriteriaSet> {
    let document: String = r.try_get("document")?;
    let doc = parse(document.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored criteria set does not parse: {e}")))?;
    Ok(CriteriaSet {
        id: r.try_get("id")?,
        version: r.try_get("version")?,
        shipped: r.try_get::<i64, _>("shipped")? == 1,
        active: r.try_get::<i64, _>("active")? == 1,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        used: r.try_get("used")?,
        doc,
    })
}

/// Stores a set as the next version of its code.
async fn store(tx: &mut Tx, doc: &Document, shipped: bool, who: &str) -> Result<i64> {
    let version: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) + 1 FROM criteria_sets WHERE code = $1")
            .bind(&doc.code)
            .fetch_one(&mut **tx)
            .await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO criteria_sets (code, version, programme, kind, name, legal_basis, subject_kinds, year_from, \
         year_to, document, shipped, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) RETURNING id",
    )
    .bind(&doc.code)
    .bind(version)
    .bind(&doc.programme)
    .bind(&doc.kind)
    .bind(&doc.name)
    .bind(&doc.legal_basis)
    .bind(doc.subject_kinds.join(","))
    .bind(doc.year_from)
    .bind(doc.year_to)
    .bind(doc.to_json().to_string())
    .bind(i64::from(shipped))
    .bind(who)
    .bind(now())
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| {
        // Two imports of one code at once: the later one is told to retry.
        if is_unique_violation(&e) {
            AppError::conflict("file", format!("Bộ tiêu chí {}: một phiên bản khác vừa được lưu; hãy thử lại.", doc.code))
        } else {
            e.into()
        }
    })?;
    Ok(id)
}

/// Loads the shipped sets whose code is not stored yet (first start, or a
/// release that ships a new set). A stored code is left alone: the
/// administrator may have issued a newer version of it.
pub async fn ensure_shipped(db: &Db) -> anyhow::Result<()> {
    for text in SHIPPED {
        let doc = parse(text.as_bytes()).map_err(|e| anyhow::anyhow!("shipped criteria set: {e}"))?;
        let mut tx = db.begin().await?;
        let known: Option<i64> = sqlx::query_scalar("SELECT id FROM criteria_sets WHERE code = $1 LIMIT 1")
            .bind(&doc.code)
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            store(&mut tx, &doc, true, "antq")
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        tx.commit().await?;
    }
    Ok(())
}

/// Imports a set file (the administrator's): a new code starts at version 1,
/// a known code becomes its next version; earlier versions stay, with the
/// assessments judged on them.
pub async fn import(db: &Db, actor: &Actor, bytes: &[u8]) -> Result<CriteriaSet> {
    // Sets bind the whole country: only an administrator of the nation.
    policy::authorize(actor, Action::ManageCriteria, "/VN/")?;
    let doc = parse(bytes)?;
    let mut tx = db.begin().await?;
    let id = store(&mut tx, &doc, false, &actor.username).await?;
    let set = get_in_tx(&mut tx, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "criteria_set.import",
            target_kind: "criteria_set",
            target_id: id.to_string(),
            target_label: format!("{} (phiên bản {})", set.doc.name, set.version),
            scope_path: "/VN/".into(),
            before: None,
            after: Some(
                json!({"code": set.doc.code, "version": set.version, "criteria": set.doc.criteria.len()}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(set)
}

/// Withdraws a version from new assessments (or offers it again); the
/// assessments already judged on it keep it.
pub async fn set_active(db: &Db, actor: &Actor, id: i64, active: bool) -> Result<CriteriaSet> {
    policy::authorize(actor, Action::ManageCriteria, "/VN/")?;
    let mut tx = db.begin().await?;
    let before = get_in_tx(&mut tx, id).await?;
    sqlx::query("UPDATE criteria_sets SET active = $1 WHERE id = $2")
        .bind(i64::from(active))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: if active {
                "criteria_set.activate"
            } else {
                "criteria_set.withdraw"
            },
            target_kind: "criteria_set",
            target_id: id.to_string(),
            target_label: format!("{} (phiên bản {})", before.doc.name, before.version),
            scope_path: "/VN/".into(),
            before: Some(json!({"active": before.active})),
            after: Some(json!({"active": active})),
        },
    )
    .await?;
    let set = get_in_tx(&mut tx, id).await?;
    tx.commit().await?;
    Ok(set)
}

async fn get_in_tx(tx: &mut Tx, id: i64) -> Result<CriteriaSet> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM criteria_sets s WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    from_row(&row)
}

/// Sets are the rules everyone is judged by, so every signed-in user may read them.
pub async fn get(db: &Db, id: i64) -> Result<CriteriaSet> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM criteria_sets s WHERE s.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
        .ok_or_else(AppError::not_found)?;
    from_row(&row)
}

pub async fn list(db: &Db) -> Result<Vec<CriteriaSet>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM criteria_sets s ORDER BY s.programme, s.code, s.version DESC"
    ))
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The sets an assessment of this subject kind and year may be judged on:
/// the newest active version of each code whose years include `year`.
pub async fn applicable(db: &Db, programme: &str, subject_kind: &str, year: i64) -> Result<Vec<CriteriaSet>> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM criteria_sets s WHERE s.active = 1 AND s.programme = $1 \
         AND s.year_from <= $2 AND (s.year_to IS NULL OR s.year_to >= $2) \
         AND s.version = (SELECT MAX(o.version) FROM criteria_sets o WHERE o.code = s.code AND o.active = 1 \
                          AND o.year_from <= $2 AND (o.year_to IS NULL OR o.year_to >= $2)) \
         ORDER BY s.code"
    ))
    .bind(programme)
    .bind(year)
    .fetch_all(&db.pool)
    .await?;
    let sets: Vec<CriteriaSet> = rows.iter().map(from_row).collect::<Result<_>>()?;
    Ok(sets
        .into_iter()
        .filter(|s| s.doc.subject_kinds.iter().any(|k| k == subject_kind))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_sets_parse_with_their_articles() {
        let docs: Vec<Document> = SHIPPED.iter().map(|t| parse(t.as_bytes()).unwrap()).collect();
        let counts: Vec<usize> = docs.iter().map(|d| d.criteria.len()).collect();
        assert_eq!(counts, [5, 4, 5, 6]);
        assert!(
            docs.iter()
                .all(|d| d.kind == "all" && d.legal_basis.starts_with("Thông tư 124/2021/TT-BCA"))
        );
        assert_eq!(docs[0].criteria[4].citation, "Điều 4 khoản 5");
        assert!(
            docs[0].criteria[2]
                .text
                .contains("\nđ) Hoạt động ly khai, đòi tự trị;")
        );
        // Round trip: the exported file reads back to the same document.
        for d in &docs {
            let again = parse(d.to_json().to_string().as_bytes()).unwrap();
            assert_eq!(again.to_json(), d.to_json());
        }
    }

    #[test]
    fn unknown_kind_and_duplicate_codes_are_named() {
        let bad =
            br#"{"format":"antq-criteria/1","code":"x","name":"X","legal_basis":"Y","programme":"an_toan",
            "kind":"vote","subject_kinds":["village"],"year_from":2024,
            "criteria":[{"code":"1","text":"a"},{"code":"1","text":"b"}]}"#;
        let AppError::Validation { fields, .. } = parse(bad).unwrap_err() else {
            panic!()
        };
        assert!(fields["kind"].contains("\"vote\" không có"));
        assert!(fields["criteria[1].code"].contains("trùng"));
    }

    #[test]
    fn points_sets_need_levels_within_the_total() {
        let bad = r#"{"format":"antq-criteria/1","code":"p","name":"P","legal_basis":"Y","programme":"phan_loai",
            "kind":"points","subject_kinds":["commune"],"year_from":2024,
            "levels":[{"name":"Tốt","min_points":50},{"name":"Yếu","min_points":0}],
            "criteria":[{"code":"1","text":"a","max_points":10},{"code":"2","text":"b","max_points":2.5}]}"#;
        let AppError::Validation { fields, .. } = parse(bad.as_bytes()).unwrap_err() else {
            panic!()
        };
        assert!(fields["levels[0]"].contains("12,5"), "{fields:?}");
        let good = bad.replace("\"min_points\":50", "\"min_points\":7.5");
        let doc = parse(good.as_bytes()).unwrap();
        assert_eq!(doc.max_total_x10(), 125);
        assert_eq!(doc.level_for(80).unwrap().name, "Tốt");
        assert_eq!(doc.level_for(74).unwrap().name, "Yếu");
    }

    #[test]
    fn month_days() {
        assert!(month_day_valid("11-15"));
        assert!(!month_day_valid("02-30"));
        assert!(!month_day_valid("1-15"));
    }
}

//! Evidence files of an assessment (biên bản, nghị quyết, ảnh…): PDF, JPEG,
//! PNG, DOCX or XLSX, judged by their bytes and not by their name, at most
//! 10 MB each and 20 per assessment, kept in the database so a backup holds
//! them. They are added and removed only while the assessment is editable.

use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::{Assessment, get};
use crate::audit::{self, Change};
use crate::auth::{Action, Actor, policy};
use crate::db::{Db, now};
use crate::error::{AppError, Result};

pub const MAX_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_FILES: i64 = 20;

#[derive(Clone, Debug, Serialize)]
pub struct FileInfo {
    pub id: i64,
    pub criterion_code: Option<String>,
    pub file_name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub uploaded_name: String,
    pub uploaded_at: String,
}

impl FileInfo {
    pub fn size_label(&self) -> String {
        if self.size >= 1024 * 1024 {
            format!(
                "{} MB",
                crate::text::format_decimal(self.size as f64 / 1048576.0, 1)
            )
        } else {
            format!("{} KB", crate::text::format_int((self.size + 1023) / 1024))
        }
    }
}

/// The type of an allowed file from its first bytes (and, for the Office
/// formats, which are ZIP archives, its name).
pub fn sniff(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let lower = name.to_lowercase();
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".docx") {
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".xlsx") {
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else {
        None
    }
}

/// The name without folders or control characters, at most 200 characters.
fn clean_file_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = crate::text::clean_name(base)
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    if cleaned.is_empty() {
        "tep-minh-chung".into()
    } else {
        cleaned
    }
}

pub async fn list(db: &Db, assessment_id: i64) -> Result<Vec<FileInfo>> {
    let rows = sqlx::query(
        "SELECT id, criterion_code, file_name, content_type, size, sha256, uploaded_name, uploaded_at \
         FROM assessment_files WHERE assessment_id = $1 ORDER BY id",
    )
    .bind(assessment_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(FileInfo {
                id: r.try_get("id")?,
                criterion_code: r.try_get("criterion_code")?,
                file_name: r.try_get("file_name")?,
                content_type: r.try_get("content_type")?,
                size: r.try_get("size")?,
                sha256: r.try_get("sha256")?,
                uploaded_name: r.try_get("uploaded_name")?,
                uploaded_at: r.try_get("uploaded_at")?,
            })
        })
        .collect()
}

fn editable(actor: &Actor, a: &Assessment) -> Result<()> {
    policy::authorize(actor, Action::PrepareAssessment, &a.scope_path)?;
    if !a.is_editable() {
        return Err(AppError::Conflict {
            message: format!(
                "Bản đánh giá đang ở trạng thái \"{}\"; chỉ bản đang soạn hoặc bị trả lại mới thêm, bớt minh chứng được.",
                a.status_label()
            ),
            fields: Default::default(),
        });
    }
    Ok(())
}

/// Adds one file, as evidence of a criterion or of the whole assessment.
pub async fn upload(
    db: &Db,
    actor: &Actor,
    id: i64,
    criterion: Option<&str>,
    name: &str,
    bytes: &[u8],
) -> Result<FileInfo> {
    let a = get(db, actor, id).await?;
    editable(actor, &a)?;
    let criterion = criterion.map(str::trim).filter(|c| !c.is_empty());
    if let Some(code) = criterion {
        let set = super::criteria::get(db, a.set_id).await?;
        if set.doc.criterion(code).is_none() {
            return Err(AppError::field(
                "criterion",
                format!("Tiêu chí \"{code}\": không có trong bộ tiêu chí."),
            ));
        }
    }
    if bytes.is_empty() {
        return Err(AppError::field(
            "file",
            "Tệp minh chứng: chưa chọn tệp, hoặc tệp rỗng.",
        ));
    }
    if bytes.len() > MAX_BYTES {
        return Err(AppError::field("file", "Tệp minh chứng: tối đa 10 MB mỗi tệp."));
    }
    let Some(content_type) = sniff(name, bytes) else {
        return Err(AppError::field(
            "file",
            "Tệp minh chứng: chỉ nhận PDF, ảnh JPEG hoặc PNG, tệp Word (.docx) hoặc Excel (.xlsx).",
        ));
    };
    let file_name = clean_file_name(name);
    let sha256 = crate::text::hex(&Sha256::digest(bytes));
    // Checked again under the row lock: a submission committed meanwhile
    // locks the assessment, and two uploads cannot both pass the cap.
    let mut tx = db.begin().await?;
    let a = super::workflow::locked(db, &mut tx, actor, id).await?;
    editable(actor, &a)?;
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM assessment_files WHERE assessment_id = $1")
        .bind(a.id)
        .fetch_one(&mut *tx)
        .await?;
    if count >= MAX_FILES {
        return Err(AppError::field(
            "file",
            format!("Tệp minh chứng: tối đa {MAX_FILES} tệp cho một bản đánh giá."),
        ));
    }
    let ts = now();
    let file_id: i64 = sqlx::query_scalar(
        "INSERT INTO assessment_files (assessment_id, criterion_code, file_name, content_type, size, sha256, data, \
         uploaded_by, uploaded_name, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(a.id)
    .bind(criterion)
    .bind(&file_name)
    .bind(content_type)
    .bind(bytes.len() as i64)
    .bind(&sha256)
    .bind(bytes.to_vec())
    .bind(actor.user_id)
    .bind(&actor.username)
    .bind(&ts)
    .fetch_one(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "assessment.file_add",
            target_kind: "assessment",
            target_id: a.id.to_string(),
            target_label: format!("{} — năm {}", a.subject_name, a.year),
            scope_path: a.scope_path.clone(),
            before: None,
            after: Some(
                json!({"file": file_name, "criterion": criterion, "size": bytes.len(), "sha256": sha256}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(FileInfo {
        id: file_id,
        criterion_code: criterion.map(str::to_string),
        file_name,
        content_type: content_type.into(),
        size: bytes.len() as i64,
        sha256,
        uploaded_name: actor.username.clone(),
        uploaded_at: ts,
    })
}

/// A file's name, type and bytes, for download by anyone who may read the assessment.
pub async fn download(db: &Db, actor: &Actor, id: i64, file_id: i64) -> Result<(String, String, Vec<u8>)> {
    let a = get(db, actor, id).await?;
    let row = sqlx::query(
        "SELECT file_name, content_type, data FROM assessment_files WHERE id = $1 AND assessment_id = $2",
    )
    .bind(file_id)
    .bind(a.id)
    .fetch_optional(&db.pool)
    .await?
    .ok_or_else(AppError::not_found)?;
    Ok((
        row.try_get("file_name")?,
        row.try_get("content_type")?,
        row.try_get("data")?,
    ))
}

pub async fn remove(db: &Db, actor: &Actor, id: i64, file_id: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    let a = super::workflow::locked(db, &mut tx, actor, id).await?;
    editable(actor, &a)?;
    let name: Option<String> =
        sqlx::query_scalar("SELECT file_name FROM assessment_files WHERE id = $1 AND assessment_id = $2")
            .bind(file_id)
            .bind(a.id)
            .fetch_optional(&mut *tx)
            .await?;
    let name = name.ok_or_else(AppError::not_found)?;
    sqlx::query("DELETE FROM assessment_files WHERE id = $1")
        .bind(file_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "assessment.file_remove",
            target_kind: "assessment",
            target_id: a.id.to_string(),
            target_label: format!("{} — năm {}", a.subject_name, a.year),
            scope_path: a.scope_path.clone(),
            before: Some(json!({"file": name})),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_bytes() {
        assert_eq!(sniff("a.pdf", b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff("anh.jpg", &[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff("anh.png", b"GIF89a"), None);
        assert_eq!(sniff("virus.exe", b"MZ\x90\x00"), None);
        assert_eq!(
            sniff("bien-ban.docx", b"PK\x03\x04...."),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(sniff("tep.zip", b"PK\x03\x04...."), None);
        assert_eq!(clean_file_name("C:\\Users\\x\\biên bản.pdf"), "biên bản.pdf");
    }
}

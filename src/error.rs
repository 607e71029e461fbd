//! One error type for the whole service, mapped to a JSON body for the API
//! (`{"error": {"code", "message", "fields"}}`) and to an HTML page for the UI.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that does not parse or breaks a rule; names each bad field.
    #[error("{message}")]
    Validation {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// Input that clashes with what is stored (a duplicate name…).
    #[error("{message}")]
    Conflict {
        message: String,
        fields: BTreeMap<String, String>,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Unauthenticated(String),
    #[error("Phiên biểu mẫu không hợp lệ hoặc đã hết hạn. Vui lòng tải lại trang và thử lại.")]
    Csrf,
    #[error("{0}")]
    Throttled(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict { .. } => StatusCode::CONFLICT,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation { .. } => "validation",
            AppError::Conflict { .. } => "conflict",
            AppError::NotFound(_) => "not_found",
            AppError::Forbidden(_) => "forbidden",
            AppError::Csrf => "csrf",
            AppError::Unauthenticated(_) => "unauthenticated",
            AppError::Throttled(_) => "throttled",
            AppError::TooLarge(_) => "too_large",
            AppError::BadRequest(_) => "bad_request",
            AppError::Internal(_) => "internal",
        }
    }

    /// The Vietnamese message shown to the user. Internal details never leave
    /// the server; they go to the log.
    pub fn user_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "Đã có lỗi hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại sau.".into()
            }
            other => other.to_string(),
        }
    }

    pub fn fields(&self) -> Option<&BTreeMap<String, String>> {
        match self {
            AppError::Validation { fields, .. } | AppError::Conflict { fields, .. } => Some(fields),
            _ => None,
        }
    }

    pub fn not_found() -> Self {
        AppError::NotFound("Không tìm thấy dữ liệu yêu cầu (hoặc dữ liệu ngoài phạm vi của bạn).".into())
    }

    /// A single-field validation error.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut inv = Invalid::default();
        inv.add(field, message);
        inv.into_error()
    }

    pub fn conflict(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Conflict {
            fields: BTreeMap::from([(field.to_string(), message.clone())]),
            message,
        }
    }

    fn log(&self) {
        if let AppError::Internal(e) = self {
            tracing::error!(error = format!("{e:#}"), "request failed");
        }
    }
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        AppError::Internal(anyhow::Error::new(e))
    }
}

/// True when the database refused a row because of a UNIQUE constraint;
/// callers turn that into a Conflict naming the field.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

/// Collects field errors, then fails once with all of them.
/// Messages keep the order they were found in (row 2 before row 10).
#[derive(Debug, Default)]
pub struct Invalid {
    fields: Vec<(String, String)>,
}

impl Invalid {
    /// Records the first problem of a field; later ones for it are dropped.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        if !self.fields.iter().any(|(f, _)| f == field) {
            self.fields.push((field.to_string(), message.into()));
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(f, _)| f == field)
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    pub fn into_fields(self) -> Vec<(String, String)> {
        self.fields
    }

    pub fn into_messages(self) -> Vec<String> {
        self.fields.into_iter().map(|(_, m)| m).collect()
    }

    pub fn into_error(self) -> AppError {
        let message = self
            .fields
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        AppError::Validation {
            message,
            fields: self.fields.into_iter().collect(),
        }
    }

    pub fn finish(self) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self.into_error())
        }
    }
}

/// The API's error body.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let fields = self.fields().cloned().unwrap_or_default();
        let body = json!({
            "error": { "code": self.code(), "message": self.user_message(), "fields": fields }
        });
        (self.status(), Json(body)).into_response()
    }
}

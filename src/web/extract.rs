//! Extractors whose rejections are Vietnamese: a JSON error under `/api/`,
//! an error page elsewhere. Axum's own rejections are English plain text.

use axum::extract::{FromRequest, FromRequestParts, OriginalUri, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use super::PageError;
use crate::auth::middleware::too_large;
use crate::error::AppError;

/// The path as the client sent it: inside `nest("/api/v1", …)` the request's
/// own URI has lost its prefix, the original one has not.
fn original_path(extensions: &axum::http::Extensions, uri: &axum::http::Uri) -> String {
    extensions
        .get::<OriginalUri>()
        .map(|o| o.0.path().to_string())
        .unwrap_or_else(|| uri.path().to_string())
}

fn reject(path: &str, err: AppError) -> Response {
    if path.starts_with("/api/") {
        err.into_response()
    } else {
        PageError(err).into_response()
    }
}

/// A numeric `{id}` path segment.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let path = original_path(&parts.extensions, &parts.uri);
        let raw = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| reject(&path, AppError::not_found()))?;
        raw.0.parse::<i64>().map(Id).map_err(|_| {
            reject(
                &path,
                AppError::NotFound(format!(
                    "Mã số \"{}\" không hợp lệ.",
                    crate::input::shorten(&raw.0)
                )),
            )
        })
    }
}

/// Two numeric path segments (`/assessments/{id}/files/{file_id}`).
pub struct IdPair(pub i64, pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPair {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let path = original_path(&parts.extensions, &parts.uri);
        let raw = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| reject(&path, AppError::not_found()))?;
        match (raw.0.0.parse::<i64>(), raw.0.1.parse::<i64>()) {
            (Ok(a), Ok(b)) => Ok(IdPair(a, b)),
            _ => Err(reject(&path, AppError::NotFound("Mã số không hợp lệ.".into()))),
        }
    }
}

/// Query parameters.
pub struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let path = original_path(&parts.extensions, &parts.uri);
        // A NUL would reach the database as a bound value, which PostgreSQL
        // refuses; no parameter has a use for it.
        if parts
            .uri
            .query()
            .is_some_and(|q| q.to_ascii_lowercase().contains("%00"))
        {
            return Err(reject(
                &path,
                AppError::BadRequest("Tham số truy vấn không được chứa ký tự NUL.".into()),
            ));
        }
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| Q(v))
            .map_err(|e| {
                reject(
                    &path,
                    AppError::BadRequest(format!("Tham số truy vấn không hợp lệ: {}", e.body_text())),
                )
            })
    }
}

/// A JSON body. As `Option<ApiJson<T>>`, a body that may be left out:
/// none, or one of whitespace only whatever its type, is `None`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let path = original_path(req.extensions(), req.uri());
        if !is_json(&req) {
            return Err(not_json(&path));
        }
        let bytes = body_bytes(req, state, &path).await?;
        decode(&bytes).map(ApiJson).map_err(|e| reject(&path, e))
    }
}

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::OptionalFromRequest<S> for ApiJson<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let path = original_path(req.extensions(), req.uri());
        let json = is_json(&req);
        let bytes = body_bytes(req, state, &path).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        if !json {
            return Err(not_json(&path));
        }
        decode(&bytes)
            .map(|v| Some(ApiJson(v)))
            .map_err(|e| reject(&path, e))
    }
}

/// `Content-Type: application/json` (or `application/…+json`).
fn is_json(req: &Request) -> bool {
    req.headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

fn not_json(path: &str) -> Response {
    reject(
        path,
        AppError::BadRequest("Nội dung phải là JSON (Content-Type: application/json).".into()),
    )
}

/// The body, within the router's limit (a Vietnamese 413 beyond it).
async fn body_bytes<S: Send + Sync>(
    req: Request,
    state: &S,
    path: &str,
) -> Result<axum::body::Bytes, Response> {
    match axum::body::Bytes::from_request(req, state).await {
        Ok(b) => Ok(b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(reject(path, too_large())),
        Err(e) => Err(reject(
            path,
            AppError::BadRequest(format!("Nội dung không đọc được: {}", e.body_text())),
        )),
    }
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    // A NUL in a string would reach PostgreSQL, which refuses the whole
    // statement; it is no one's data, so the body is refused.
    if serde_json::from_slice::<serde_json::Value>(bytes).is_ok_and(|v| holds_nul(&v)) {
        return Err(AppError::BadRequest(
            "Nội dung JSON không được chứa ký tự NUL (\\u0000).".into(),
        ));
    }
    // axum's own parsing names the field of a type error ("decided_on: …").
    axum::Json::<T>::from_bytes(bytes)
        .map(|axum::Json(v)| v)
        .map_err(|e| AppError::BadRequest(format!("Nội dung JSON không hợp lệ: {}", e.body_text())))
}

fn holds_nul(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
        _ => false,
    }
}

/// A file sent as the whole request body (the API's imports), at most
/// `LIMIT` bytes. Read into one buffer sized from `Content-Length`: axum's
/// `Bytes` gathers the frames and then copies them into one, so an 88 MB
/// CSV held about twice its size at the peak, on top of growing by
/// doubling while it arrived. A body over the limit — declared or sent — is
/// refused with a Vietnamese 413 naming the limit, before it is held.
///
/// It reads the body itself, so the router's `DefaultBodyLimit` does not
/// apply: `LIMIT` is the route's limit.
pub struct Upload<const LIMIT: usize = { crate::app::BODY_LIMIT }>(pub Vec<u8>);

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for Upload<LIMIT> {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let mut bytes = Vec::new();
        receive::<LIMIT>(req, &mut bytes).await?;
        Ok(Upload(bytes))
    }
}

/// A file sent as the whole request body, as [`Upload`], written to an
/// unnamed temporary file as it arrives instead of held in memory: the
/// activities import reads it from there a row at a time
/// (`tabular::records_sent`), so a million-row CSV (88 MB) never sits in
/// the server's memory. The file is gone when it is dropped.
pub struct Spooled<const LIMIT: usize = { crate::app::BODY_LIMIT }>(pub std::fs::File);

impl<S: Send + Sync, const LIMIT: usize> FromRequest<S> for Spooled<LIMIT> {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let path = original_path(req.extensions(), req.uri());
        let failed = |e: std::io::Error| {
            reject(
                &path,
                AppError::Internal(anyhow::anyhow!("writing an uploaded file to disk: {e}")),
            )
        };
        let file = tempfile::tempfile().map_err(failed)?;
        let mut spool = Spool::new(file);
        receive::<LIMIT>(req, &mut spool).await?;
        Ok(Spooled(spool.finish().map_err(failed)?))
    }
}

/// The `file` part of a multipart form written to an unnamed temporary
/// file as it arrives, as [`Spooled`] does for a whole body: the page's
/// activities import takes the same million-row file as the API without
/// holding it. `None` when no file was chosen. The route's
/// `DefaultBodyLimit` bounds the form; `limit` names it in the 413.
pub async fn spooled_part(
    mut multipart: axum::extract::Multipart,
    limit: usize,
) -> Result<Option<std::fs::File>, AppError> {
    let failed = |e: axum::extract::multipart::MultipartError| multipart_error(&e, limit);
    let disk =
        |e: std::io::Error| AppError::Internal(anyhow::anyhow!("writing an uploaded file to disk: {e}"));
    let mut file = None;
    while let Some(mut field) = multipart.next_field().await.map_err(failed)? {
        if field.name() != Some("file") {
            continue;
        }
        let mut spool = Spool::new(tempfile::tempfile().map_err(disk)?);
        while let Some(chunk) = field.chunk().await.map_err(failed)? {
            if !spool.keep(&chunk) {
                break;
            }
        }
        let spooled = spool.finish().map_err(disk)?;
        let empty = spooled.metadata().map_err(disk)?.len() == 0;
        file = (!empty).then_some(spooled);
    }
    Ok(file)
}

/// A multipart form that could not be read, in Vietnamese: over the
/// route's limit (a 413 naming it), or cut off or malformed.
pub fn multipart_error(e: &axum::extract::multipart::MultipartError, limit: usize) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!(
            "Dữ liệu gửi lên quá lớn (tối đa {} MB).",
            limit / (1024 * 1024)
        ))
    } else {
        AppError::BadRequest("Biểu mẫu gửi lên không đọc được; hãy mở lại trang và gửi lại.".into())
    }
}

/// Where [`receive`] puts a body.
trait Sink {
    /// The length the request declared (0: none).
    fn declared(&mut self, _length: usize) {}
    /// Keeps a chunk; `false` stops reading (the sink keeps its error).
    fn keep(&mut self, chunk: &[u8]) -> bool;
}

impl Sink for Vec<u8> {
    /// One buffer of the declared size (see [`Upload`]).
    fn declared(&mut self, length: usize) {
        self.reserve_exact(length);
    }

    fn keep(&mut self, chunk: &[u8]) -> bool {
        self.extend_from_slice(chunk);
        true
    }
}

struct Spool {
    out: std::io::BufWriter<std::fs::File>,
    error: Option<std::io::Error>,
}

impl Spool {
    /// Page-cache writes of a megabyte each: quick enough for the
    /// request's own task.
    fn new(file: std::fs::File) -> Spool {
        Spool {
            out: std::io::BufWriter::with_capacity(1024 * 1024, file),
            error: None,
        }
    }

    /// The file written, from its start; the first write error if any.
    fn finish(self) -> std::io::Result<std::fs::File> {
        use std::io::Seek;
        if let Some(e) = self.error {
            return Err(e);
        }
        let mut file = self.out.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        Ok(file)
    }
}

impl Sink for Spool {
    fn keep(&mut self, chunk: &[u8]) -> bool {
        use std::io::Write;
        match self.out.write_all(chunk) {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}

/// Reads a request body of at most `LIMIT` bytes, chunk by chunk, into
/// `sink`. A body over the limit — declared or sent — is refused with a
/// Vietnamese 413 naming the limit, before it is read or as soon as it
/// passes it.
async fn receive<const LIMIT: usize>(req: Request, sink: &mut impl Sink) -> Result<(), Response> {
    use futures_util::StreamExt;
    let path = original_path(req.extensions(), req.uri());
    let too_large = || {
        AppError::TooLarge(format!(
            "Tệp gửi lên quá lớn (tối đa {} MB).",
            LIMIT / (1024 * 1024)
        ))
    };
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|n| n > LIMIT) {
        return Err(reject(&path, too_large()));
    }
    sink.declared(declared.unwrap_or(0));
    let mut received = 0usize;
    let mut stream = req.into_body().into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            reject(
                &path,
                AppError::BadRequest(format!("Nội dung không đọc được: {e}")),
            )
        })?;
        received += chunk.len();
        if received > LIMIT {
            return Err(reject(&path, too_large()));
        }
        if !sink.keep(&chunk) {
            return Ok(());
        }
    }
    Ok(())
}

//! The Vietnamese web shell: the page router, the layout context every page
//! gets, HTML error pages and form extraction. Pages of each area live in
//! that area's `pages.rs`.

pub mod extract;
pub mod filters;

use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::auth::{self, Action, Actor, Role, policy};
use crate::config::Config;
use crate::error::AppError;
use crate::{activities, assessment, audit, awards, indicators, registry, tips, units, users};

/// The public tip pages, for citizens without an account. They are merged
/// outside the session layer (app.rs), so no cookie is read or set on them.
pub fn public_tip_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/tin-bao",
            get(tips::pages::form)
                .post(tips::pages::submit)
                .layer(axum::extract::DefaultBodyLimit::max(tips::pages::BODY_LIMIT)),
        )
        .route(
            "/tin-bao/tra-cuu",
            get(tips::pages::lookup_form).post(tips::pages::lookup),
        )
        .route("/tin-bao/tinh", post(tips::pages::pick_province))
        .route("/tin-bao/bo-sung", post(tips::pages::add_information))
        // The receipt shows the secret once: no cache keeps it.
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

pub fn routes() -> Router<AppState> {
    let protected = Router::new()
        .route("/", get(home))
        .route("/search", get(units::pages::search))
        .route("/units/{code}", get(units::pages::show))
        .route("/units/{code}/villages", post(units::pages::create_village))
        .route("/units/{code}/villages.csv", get(units::pages::export_villages))
        .route(
            "/units/{code}/villages/import",
            get(units::pages::import_form).post(units::pages::import),
        )
        .route(
            "/units/{code}/organisations",
            post(units::pages::create_organisation),
        )
        .route(
            "/villages/{id}",
            get(units::pages::village).post(units::pages::update_village),
        )
        .route(
            "/villages/{id}/deactivate",
            post(units::pages::deactivate_village),
        )
        .route(
            "/organisations/{id}",
            get(units::pages::organisation).post(units::pages::update_organisation),
        )
        .route(
            "/organisations/{id}/deactivate",
            post(units::pages::deactivate_organisation),
        )
        .route("/users", get(users::pages::list).post(users::pages::create))
        .route("/users/{id}", get(users::pages::show).post(users::pages::update))
        .route("/users/{id}/password", post(users::pages::set_password))
        .route("/audit", get(audit::pages::list))
        .route(
            "/units/{code}/teams",
            get(registry::pages::teams).post(registry::pages::create_team),
        )
        .route(
            "/teams/{id}",
            get(registry::pages::team).post(registry::pages::update_team),
        )
        .route(
            "/members/{id}",
            get(registry::pages::member).post(registry::pages::update_member),
        )
        .route("/teams/{id}/members", post(registry::pages::add_member))
        .route("/teams/{id}/ratings", post(registry::pages::rate))
        .route("/teams/{id}/dissolve", post(registry::pages::dissolve_team))
        .route("/members/{id}/leave", post(registry::pages::member_leave))
        .route("/units/{code}/models", get(registry::pages::models))
        .route("/units/{code}/model-types", post(registry::pages::create_type))
        .route(
            "/units/{code}/model-types/{id}/deactivate",
            post(registry::pages::deactivate_type),
        )
        .route("/units/{code}/model-points", post(registry::pages::create_point))
        .route(
            "/model-points/{id}",
            get(registry::pages::point).post(registry::pages::update_point),
        )
        .route(
            "/units/{code}/registrations",
            get(registry::pages::registrations).post(registry::pages::register),
        )
        .route(
            "/units/{code}/registrations/import",
            post(registry::pages::import_registrations),
        )
        .route(
            "/units/{code}/members/export",
            get(registry::pages::export_members),
        )
        .route(
            "/units/{code}/members/import",
            post(registry::pages::import_members),
        )
        .route("/units/{code}/teams/import", post(registry::pages::import_teams))
        .route(
            "/registrations/{id}",
            get(registry::pages::registration).post(registry::pages::update_registration),
        )
        .route(
            "/units/{code}/model-points/import",
            post(registry::pages::import_points),
        )
        .route("/units/{code}/{list}/export", get(registry::pages::export_list))
        .route(
            "/units/{code}/activities",
            get(activities::pages::list).post(activities::pages::create),
        )
        // The same million-row file as the API's import, spooled to disk.
        .route(
            "/units/{code}/activities/import",
            post(activities::pages::import).layer(axum::extract::DefaultBodyLimit::max(
                crate::app::ACTIVITY_IMPORT_LIMIT,
            )),
        )
        .route("/units/{code}/activities/export", get(activities::pages::export))
        .route(
            "/units/{code}/festival-days/export",
            get(activities::pages::export_festival_days),
        )
        .route(
            "/units/{code}/programmes/export",
            get(activities::pages::export_programmes),
        )
        .route(
            "/units/{code}/covenants/export",
            get(activities::pages::export_covenants),
        )
        .route("/units/{code}/awards/export", get(awards::pages::export))
        .route(
            "/units/{code}/aggregates/export",
            get(indicators::aggregates::pages::export),
        )
        .route(
            "/activities/{id}",
            get(activities::pages::show).post(activities::pages::update),
        )
        .route("/activities/{id}/cancel", post(activities::pages::cancel))
        .route(
            "/units/{code}/festival-days",
            get(activities::pages::festival_days).post(activities::pages::create_festival_day),
        )
        .route(
            "/units/{code}/festival-days/import",
            post(activities::pages::import_festival_days),
        )
        .route(
            "/festival-days/{id}",
            get(activities::pages::festival_day).post(activities::pages::update_festival_day),
        )
        .route(
            "/units/{code}/programmes",
            get(activities::pages::programmes).post(activities::pages::create_programme),
        )
        .route(
            "/units/{code}/covenants",
            post(activities::pages::create_covenant),
        )
        .route("/programmes/{id}", get(activities::pages::programme))
        .route("/programmes/{id}/reviews", post(activities::pages::add_review))
        .route(
            "/units/{code}/awards",
            get(awards::pages::list).post(awards::pages::create),
        )
        .route("/units/{code}/awards/import", post(awards::pages::import))
        .route("/awards/{id}", get(awards::pages::show))
        .route("/awards/{id}/cancel", post(awards::pages::cancel))
        .route("/members/{id}/badge", get(awards::pages::badge))
        .route("/members/{id}/service-records", post(awards::pages::add_service))
        .route(
            "/units/{code}/assessments",
            get(assessment::pages::list).post(assessment::pages::create),
        )
        .route("/assessments/{id}", get(assessment::pages::show))
        .route("/assessments/{id}/judge", post(assessment::pages::judge))
        .route("/assessments/{id}/submit", post(assessment::pages::submit))
        .route("/assessments/{id}/return", post(assessment::pages::return_back))
        .route("/assessments/{id}/approve", post(assessment::pages::approve))
        .route("/assessments/{id}/recognise", post(assessment::pages::recognise))
        .route("/assessments/{id}/correct", post(assessment::pages::correct))
        .route("/assessments/{id}/withdraw", post(assessment::pages::withdraw))
        .route("/assessments/{id}/files", post(assessment::pages::upload))
        .route("/assessments/{id}/files/{file_id}", get(assessment::pages::file))
        .route(
            "/assessments/{id}/files/{file_id}/delete",
            post(assessment::pages::remove_file),
        )
        .route(
            "/assessments/{id}/certificate.pdf",
            get(assessment::pages::certificate),
        )
        .route(
            "/criteria",
            get(assessment::pages::criteria_list).post(assessment::pages::criteria_import),
        )
        .route("/criteria/{id}", get(assessment::pages::criteria_show))
        .route(
            "/criteria/{id}/export.json",
            get(assessment::pages::criteria_export),
        )
        .route("/criteria/{id}/active", post(assessment::pages::criteria_active))
        .route("/units/{code}/tips", get(tips::pages::inbox))
        .route("/units/{code}/dashboard", get(indicators::pages::dashboard))
        .route("/units/{code}/dashboard/export", get(indicators::pages::export))
        .route("/units/{code}/report", get(indicators::pages::report))
        .route("/units/{code}/completeness", get(indicators::pages::completeness))
        .route(
            "/units/{code}/aggregates",
            get(indicators::aggregates::pages::list).post(indicators::aggregates::pages::create),
        )
        .route(
            "/units/{code}/aggregates/import",
            post(indicators::aggregates::pages::import),
        )
        .route("/aggregates/{id}", post(indicators::aggregates::pages::update))
        .route("/tips/{id}", get(tips::pages::show))
        .route("/tips/{id}/status", post(tips::pages::set_status))
        .route("/tips/{id}/assign", post(tips::pages::assign))
        .route("/tips/{id}/messages", post(tips::pages::add_message))
        .route("/tips/{id}/extend", post(tips::pages::extend))
        .route("/tips/{id}/identity", post(tips::pages::identity))
        .route("/tips/{id}/photos/{photo_id}", get(tips::pages::photo))
        .route("/account", get(auth::pages::account))
        .route("/account/tokens", post(auth::pages::create_token))
        .route("/account/tokens/{id}/revoke", post(auth::pages::revoke_token))
        .route("/account/password", post(auth::pages::change_password))
        .route("/logout", post(auth::pages::logout))
        .route_layer(middleware::from_fn(auth::middleware::require_login));
    Router::new()
        .route("/login", get(auth::pages::login_form).post(auth::pages::login))
        .route("/static/app.css", get(stylesheet))
        .merge(protected)
}

async fn home(actor: Actor) -> Redirect {
    Redirect::to(&format!("/units/{}", actor.scope_code))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../templates/app.css"),
    )
}

/// Headers for every response: no framing, no sniffing, no referrer leaks
/// (unit and village ids in URLs stay inside the system).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    res
}

/// What the layout needs: the signed-in user, the navigation they may use,
/// the CSRF token for forms, and a one-line notice after a redirect.
pub struct PageCtx {
    pub title: String,
    pub user: Option<NavUser>,
    pub csrf: String,
    pub notice: Option<String>,
    /// Where the brand links: the public tip pages stay among themselves,
    /// since the login page sets a cookie.
    pub home: &'static str,
}

pub struct NavUser {
    pub name: String,
    pub role_label: &'static str,
    pub scope_code: String,
    pub scope_name: String,
    pub can_audit: bool,
    pub is_admin: bool,
    pub can_edit: bool,
}

impl PageCtx {
    pub fn new(actor: &Actor, title: impl Into<String>) -> PageCtx {
        PageCtx {
            title: title.into(),
            user: Some(NavUser {
                name: actor.display_name().to_string(),
                role_label: actor.role.label(),
                scope_code: actor.scope_code.clone(),
                scope_name: actor.scope_name.clone(),
                can_audit: policy::require_role(actor, Action::ViewAudit).is_ok(),
                is_admin: actor.role >= Role::Admin,
                can_edit: policy::require_role(actor, Action::EditGeography).is_ok(),
            }),
            csrf: actor.csrf_token.clone().unwrap_or_default(),
            notice: None,
            home: "/",
        }
    }

    pub fn anonymous(title: impl Into<String>, csrf: String) -> PageCtx {
        PageCtx {
            title: title.into(),
            user: None,
            csrf,
            notice: None,
            home: "/",
        }
    }

    /// A page of the public tip pages: no account, no cookie.
    pub fn public_tip(title: impl Into<String>) -> PageCtx {
        PageCtx {
            home: "/tin-bao",
            ..PageCtx::anonymous(title, String::new())
        }
    }

    /// Notices are passed as `?ok=code` after a redirect, never as free text,
    /// so a crafted link cannot put words on the page.
    pub fn with_notice(mut self, code: Option<&str>) -> PageCtx {
        self.notice = code.and_then(notice_text).map(str::to_string);
        self
    }
}

fn notice_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "village_created" => "Đã thêm thôn, tổ dân phố.",
        "village_updated" => "Đã lưu thay đổi.",
        "village_deactivated" => "Đã chuyển sang ngừng hoạt động.",
        "organisation_created" => "Đã thêm cơ quan, doanh nghiệp, trường học.",
        "organisation_updated" => "Đã lưu thay đổi.",
        "organisation_deactivated" => "Đã chuyển sang ngừng hoạt động.",
        "user_created" => "Đã tạo tài khoản.",
        "user_updated" => "Đã lưu tài khoản.",
        "team_created" => "Đã thành lập tổ, đội.",
        "team_dissolved" => "Đã giải thể tổ, đội.",
        "member_added" => "Đã thêm thành viên.",
        "member_left" => "Đã ghi nhận thành viên rời tổ.",
        "rating_saved" => "Đã lưu xếp loại.",
        "model_type_created" => "Đã thêm mô hình.",
        "point_created" => "Đã thêm điểm mô hình.",
        "team_updated" => "Đã lưu tổ, đội.",
        "member_updated" => "Đã lưu thành viên.",
        "point_updated" => "Đã lưu điểm mô hình.",
        "model_type_deactivated" => "Đã ngừng sử dụng mô hình; các điểm đã có vẫn được giữ và thống kê.",
        "points_imported" => "Đã nhập danh sách điểm mô hình.",
        "teams_imported" => "Đã nhập danh sách tổ, đội.",
        "members_imported" => "Đã nhập danh sách thành viên.",
        "registration_saved" => "Đã ghi nhận đăng ký.",
        "token_revoked" => "Đã thu hồi mã truy cập.",
        "activity_saved" => "Đã ghi nhận hoạt động.",
        "activity_cancelled" => "Đã hủy bản ghi; bản ghi không còn được tính vào số liệu.",
        "activities_imported" => "Đã nhập danh sách hoạt động.",
        "festival_saved" => "Đã lưu Ngày hội.",
        "festival_days_imported" => "Đã nhập danh sách Ngày hội.",
        "programme_saved" => "Đã ghi nhận chương trình phối hợp.",
        "review_saved" => "Đã ghi nhận hội nghị sơ kết, tổng kết.",
        "covenant_saved" => "Đã ghi nhận giao ước thi đua.",
        "award_saved" => "Đã ghi nhận khen thưởng.",
        "award_cancelled" => "Đã hủy khen thưởng; khen thưởng không còn được tính.",
        "awards_imported" => "Đã nhập danh sách khen thưởng.",
        "aggregate_saved" => "Đã lưu số liệu tổng hợp.",
        "aggregate_deleted" => "Đã xóa số liệu tổng hợp.",
        "aggregates_imported" => "Đã nhập số liệu tổng hợp.",
        "service_saved" => "Đã ghi nhận quá trình công tác.",
        "assessment_created" => "Đã lập bản đánh giá.",
        "assessment_saved" => "Đã lưu đánh giá các tiêu chí.",
        "assessment_submitted" => "Đã gửi bản đánh giá để xét duyệt.",
        "assessment_returned" => "Đã trả lại bản đánh giá, kèm lý do.",
        "assessment_approved" => "Đã phê duyệt kết quả đánh giá.",
        "assessment_recognised" => "Đã công nhận và cấp giấy công nhận.",
        "assessment_corrected" => {
            "Đã lập bản đính chính; bản đã phê duyệt được giữ nguyên đến khi bản đính chính được phê duyệt."
        }
        "assessment_withdrawn" => {
            "Đã rút bản đánh giá; bản này không còn được xét và không tính vào số liệu."
        }
        "evidence_added" => "Đã thêm tệp minh chứng.",
        "tip_information_added" => "Đã gửi thông tin bổ sung.",
        "tip_saved" => "Đã lưu.",
        "tip_replied" => "Đã gửi trả lời; người báo tin đọc được khi tra cứu.",
        "tip_noted" => "Đã lưu ghi chú nội bộ.",
        "tip_extended" => "Đã gia hạn.",
        "evidence_removed" => "Đã xóa tệp minh chứng.",
        "criteria_saved" => "Đã lưu bộ tiêu chí.",
        "password_set" => "Đã đặt mật khẩu mới; các phiên đăng nhập cũ của tài khoản đã kết thúc.",
        _ => return None,
    })
}

/// Renders a template with a status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => PageError(AppError::Internal(anyhow::anyhow!("template: {e}"))).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    ctx: PageCtx,
    status: u16,
    message: String,
    fields: Vec<String>,
}

/// An error shown as a page (the API shows the same error as JSON).
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let err = self.0;
        if let AppError::Internal(e) = &err {
            tracing::error!(error = format!("{e:#}"), "page failed");
        }
        let title = match err.status().as_u16() {
            404 => "Không tìm thấy",
            403 => "Không được phép",
            401 => "Chưa đăng nhập",
            413 => "Dữ liệu quá lớn",
            429 => "Tạm khóa",
            422 | 409 | 400 => "Dữ liệu chưa hợp lệ",
            _ => "Lỗi hệ thống",
        };
        let page = ErrorPage {
            ctx: PageCtx::anonymous(title, String::new()),
            status: err.status().as_u16(),
            message: err.user_message(),
            fields: err
                .fields()
                .map(|f| f.values().cloned().collect())
                .unwrap_or_default(),
        };
        match page.render() {
            Ok(html) => (err.status(), Html(html)).into_response(),
            Err(_) => (err.status(), err.user_message()).into_response(),
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// Splits a service's answer for a form post: input it refused (shown again
/// with the form, the field messages beside their fields) or anything else
/// (an error page).
pub fn refused_or<T>(result: Result<T, AppError>) -> Result<Result<T, AppError>, PageError> {
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict { .. })) => Ok(Err(e)),
        Err(e) => Err(e.into()),
    }
}

/// A urlencoded form whose rejection is a Vietnamese error page.
pub struct PageForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for PageForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        // A NUL (%00) in a field would reach PostgreSQL, which refuses the
        // whole statement; no form has a use for it.
        let (parts, body) = req.into_parts();
        // Bounded here too: the public tip forms do not pass the session
        // layer, which bounds the officers' forms before this point.
        let bytes = match axum::body::to_bytes(body, crate::app::BODY_LIMIT).await {
            Ok(b) => b,
            Err(_) => return Err(PageError(auth::middleware::too_large())),
        };
        if bytes.windows(3).any(|w| w.eq_ignore_ascii_case(b"%00")) || bytes.contains(&0) {
            return Err(PageError(AppError::BadRequest(
                "Biểu mẫu không được chứa ký tự NUL.".into(),
            )));
        }
        let req = Request::from_parts(parts, axum::body::Body::from(bytes));
        match Form::<T>::from_request(req, state).await {
            Ok(Form(v)) => Ok(PageForm(v)),
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(PageError(auth::middleware::too_large()))
            }
            Err(rejection) => Err(PageError(AppError::BadRequest(format!(
                "Biểu mẫu không đọc được: {}",
                rejection.body_text()
            )))),
        }
    }
}

/// The 401 login page, shown in place of any page that needs a session.
pub fn login_required(config: &Config, headers: &HeaderMap, expired: bool, next: &str) -> Response {
    let message = if expired {
        "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."
    } else {
        "Vui lòng đăng nhập để tiếp tục."
    };
    auth::pages::login_page(
        config,
        headers,
        StatusCode::UNAUTHORIZED,
        Some(message.to_string()),
        "",
        next,
    )
}

/// 303 to a page after a successful post, with an optional notice code.
pub fn see_other(path: &str, notice: Option<&str>) -> Response {
    let target = match notice {
        Some(code) => {
            // The query goes before any #fragment, or the browser drops it.
            let (base, fragment) = path.split_once('#').map_or((path, None), |(b, f)| (b, Some(f)));
            let sep = if base.contains('?') { '&' } else { '?' };
            match fragment {
                Some(f) => format!("{base}{sep}ok={code}#{f}"),
                None => format!("{base}{sep}ok={code}"),
            }
        }
        None => path.to_string(),
    };
    Redirect::to(&target).into_response()
}

/// A multipart form read whole: its text fields, and the non-empty parts of
/// `file_field` as (file name, bytes). axum's rejections are English; here a
/// body over the limit is a Vietnamese 413 and any other fault one
/// Vietnamese line; a text field must be UTF-8 without NUL.
pub async fn multipart_parts(
    mut multipart: axum::extract::Multipart,
    file_field: &str,
) -> Result<(std::collections::BTreeMap<String, String>, Vec<(String, Vec<u8>)>), AppError> {
    let failed =
        |e: axum::extract::multipart::MultipartError| extract::multipart_error(&e, crate::app::BODY_LIMIT);
    let mut fields = std::collections::BTreeMap::new();
    let mut files = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == file_field {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(failed)?;
            if !bytes.is_empty() {
                files.push((file_name, bytes.to_vec()));
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|_| AppError::field(&name, "Biểu mẫu: trường chữ phải là văn bản UTF-8."))?;
            if text.contains('\0') {
                return Err(AppError::BadRequest("Biểu mẫu không được chứa ký tự NUL.".into()));
            }
            fields.insert(name, text);
        }
    }
    Ok((fields, files))
}

/// The `file` field of a multipart upload form, held in memory (the
/// registries' imports, a province's villages at most: 16 MB); `None` when
/// no file was chosen. The activities import spools its file instead
/// (`extract::spooled_part`).
pub async fn uploaded_file(
    mut multipart: axum::extract::Multipart,
) -> Result<Option<axum::body::Bytes>, AppError> {
    let failed =
        |e: axum::extract::multipart::MultipartError| extract::multipart_error(&e, crate::app::BODY_LIMIT);
    let mut file = None;
    while let Some(field) = multipart.next_field().await.map_err(failed)? {
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(failed)?);
        }
    }
    Ok(file.filter(|b| !b.is_empty()))
}

/// A file download: CSV (UTF-8) or XLSX, named in ASCII.
pub fn download(format: crate::tabular::Format, stem: &str, bytes: Vec<u8>) -> Response {
    let (mime, ext) = match format {
        crate::tabular::Format::Csv => ("text/csv; charset=utf-8", "csv"),
        crate::tabular::Format::Xlsx => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    let disposition = format!("attachment; filename=\"{stem}.{ext}\"");
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_go_before_the_fragment() {
        let res = see_other("/units/03583#village-7", Some("village_created"));
        assert_eq!(
            res.headers()["location"],
            "/units/03583?ok=village_created#village-7"
        );
        let res = see_other("/villages/7", Some("village_updated"));
        assert_eq!(res.headers()["location"], "/villages/7?ok=village_updated");
    }
}

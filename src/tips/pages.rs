//! Pages of tip-offs. Public, without an account and without script (a
//! basic phone browser): the form (province first, then its communes, or
//! "không nhớ địa điểm"), the receipt with the tracking code and the
//! secret, the lookup and the citizen's additions. For officers: the inbox
//! by deadline with the figures, a tip with its photos, conversation and
//! triage forms. The public routes stand outside the session layer: no
//! cookie is read or set on them.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Deserialize;

use super::identity::Identity;
use super::intake::{self, Receipt, Status, TipDraft};
use super::triage::{self, ExtendDraft, OfficerMessage, StatusDraft};
use super::{CATEGORIES, STATUSES, Tip, figures};
use crate::app::AppState;
use crate::auth::{Action, Actor, Scope, policy};
use crate::error::AppError;
use crate::units::pages::FormState;
use crate::units::{self, Unit};
use crate::web::extract::{Id, IdPair, Q};
use crate::web::{PageCtx, PageError, PageForm, PageResult, filters, refused_or, render, see_other};

type Form = BTreeMap<String, String>;
type Choices = &'static [(&'static str, &'static str)];

/// Five photos of 5 MB and the text fields.
pub const BODY_LIMIT: usize = 27 * 1024 * 1024;

#[derive(Template)]
#[template(path = "tips/form.html")]
struct FormPage {
    ctx: PageCtx,
    token: String,
    provinces: Vec<Unit>,
    province: Option<Unit>,
    communes: Vec<Unit>,
    categories: Choices,
    form: FormState,
}

#[derive(Deserialize, Default)]
pub struct FormQuery {
    #[serde(default)]
    tinh: Option<String>,
}

async fn form_page(state: &AppState, province: Option<&str>, form: FormState) -> Result<FormPage, PageError> {
    let db = &state.db;
    let provinces = units::provinces(db).await?;
    let province = match province.map(str::trim).filter(|p| !p.is_empty()) {
        Some(code) => provinces.iter().find(|p| p.code == code).cloned(),
        None => None,
    };
    let communes = match &province {
        Some(p) => units::communes_of(db, &p.code).await?,
        None => Vec::new(),
    };
    Ok(FormPage {
        ctx: PageCtx::public_tip("Gửi tin báo về an ninh, trật tự"),
        token: state.config.tip_guard.token(),
        provinces,
        province,
        communes,
        categories: &CATEGORIES,
        form,
    })
}

/// The province is chosen by a post, so that no proxy's access log records
/// it beside the client's address in a URL.
pub async fn pick_province(State(state): State<AppState>, PageForm(form): PageForm<Form>) -> PageResult {
    let page = form_page(&state, form.get("tinh").map(String::as_str), FormState::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

pub async fn form(State(state): State<AppState>, Q(q): Q<FormQuery>) -> PageResult {
    let page = form_page(&state, q.tinh.as_deref(), FormState::default()).await?;
    Ok(render(StatusCode::OK, &page))
}

/// Reads the tip form: its text fields and its `photos` parts. The count
/// is judged with the other fields (intake.rs), so a sixth photo does not
/// cost the citizen what they typed; the body limit bounds the memory.
pub async fn read_multipart(multipart: Multipart) -> Result<(Form, Vec<Vec<u8>>), AppError> {
    let (fields, files) = crate::web::multipart_parts(multipart, "photos")
        .await
        .map_err(|e| match e {
            // This route's limit is not the general one.
            AppError::TooLarge(_) => {
                AppError::TooLarge("Dữ liệu gửi lên quá lớn: tối đa 5 ảnh, mỗi ảnh 5 MB.".into())
            }
            other => other,
        })?;
    Ok((fields, files.into_iter().map(|(_, bytes)| bytes).collect()))
}

pub fn draft_of(form: &Form, photos: Vec<Vec<u8>>) -> TipDraft {
    let s = |k: &str| form.get(k).cloned().unwrap_or_default();
    TipDraft {
        token: s("token"),
        category: s("category"),
        description: s("description"),
        province: s("province"),
        commune: s("commune"),
        place_unknown: form.get("place_unknown").is_some_and(|v| v == "1" || v == "on"),
        place_detail: s("place_detail"),
        happened_on: s("happened_on"),
        happened_text: s("happened_text"),
        anonymous: form.get("anonymous").is_some_and(|v| v == "1" || v == "on"),
        name: s("name"),
        phone: s("phone"),
        photos,
    }
}

#[derive(Template)]
#[template(path = "tips/receipt.html")]
struct ReceiptPage {
    ctx: PageCtx,
    receipt: Receipt,
}

impl ReceiptPage {
    fn deadline_label(&self) -> String {
        crate::text::format_date(&self.receipt.deadline)
    }
}

/// axum's rejection of a request that is not multipart is English; this one is not.
pub fn multipart_or_refuse(
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Multipart, AppError> {
    m.map_err(|_| {
        AppError::BadRequest(
            "Biểu mẫu gửi tin báo phải được gửi dạng multipart/form-data (kèm tệp ảnh).".into(),
        )
    })
}

pub async fn submit(
    State(state): State<AppState>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> PageResult {
    let multipart = multipart_or_refuse(multipart)?;
    let (form, photos) = match read_multipart(multipart).await {
        Ok(v) => v,
        Err(e @ AppError::Validation { .. }) => {
            let page = form_page(&state, None, FormState::refused(Form::new(), &e)).await?;
            return Ok(render(e.status(), &page));
        }
        Err(e) => return Err(e.into()),
    };
    let draft = draft_of(&form, photos);
    match refused_or(intake::submit(&state.db, &state.config.tip_key, &state.config.tip_guard, draft).await)?
    {
        Ok(receipt) => {
            let page = ReceiptPage {
                ctx: PageCtx::public_tip("Đã nhận tin báo"),
                receipt,
            };
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(e) => {
            let province = form.get("province").cloned();
            let page = form_page(&state, province.as_deref(), FormState::refused(form, &e)).await?;
            Ok(render(e.status(), &page))
        }
    }
}

#[derive(Template)]
#[template(path = "tips/lookup.html")]
struct LookupPage {
    ctx: PageCtx,
    /// The code and secret are carried in the page's forms, not in a cookie.
    code: String,
    secret: String,
    status: Option<Status>,
    form: FormState,
}

pub async fn lookup_form() -> PageResult {
    let page = LookupPage {
        ctx: PageCtx::public_tip("Tra cứu tin báo"),
        code: String::new(),
        secret: String::new(),
        status: None,
        form: FormState::default(),
    };
    Ok(render(StatusCode::OK, &page))
}

fn lookup_result(form: &Form, result: Result<Status, AppError>, ok_code: Option<&str>) -> PageResult {
    let code = form.get("code").cloned().unwrap_or_default();
    let secret = form.get("secret").cloned().unwrap_or_default();
    match result {
        Ok(status) => {
            let page = LookupPage {
                ctx: PageCtx::public_tip("Tin báo của bạn").with_notice(ok_code),
                code,
                secret,
                status: Some(status),
                form: FormState::default(),
            };
            Ok(render(StatusCode::OK, &page))
        }
        Err(e @ (AppError::Validation { .. } | AppError::Throttled(_))) => {
            let page = LookupPage {
                ctx: PageCtx::public_tip("Tra cứu tin báo"),
                code,
                secret: String::new(),
                status: None,
                form: FormState::refused(Form::new(), &e),
            };
            Ok(render(e.status(), &page))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn lookup(State(state): State<AppState>, PageForm(form): PageForm<Form>) -> PageResult {
    let code = form.get("code").cloned().unwrap_or_default();
    let secret = form.get("secret").cloned().unwrap_or_default();
    let result = intake::status(
        &state.db,
        &state.config.tip_key,
        &state.config.tip_guard,
        &code,
        &secret,
    )
    .await;
    lookup_result(&form, result, None)
}

pub async fn add_information(State(state): State<AppState>, PageForm(form): PageForm<Form>) -> PageResult {
    let s = |k: &str| form.get(k).cloned().unwrap_or_default();
    let result = intake::add_information(
        &state.db,
        &state.config.tip_key,
        &state.config.tip_guard,
        &s("code"),
        &s("secret"),
        &s("text"),
    )
    .await;
    lookup_result(&form, result, Some("tip_information_added"))
}

// ---------------------------------------------------------------------------
// Officers

#[derive(Template)]
#[template(path = "tips/inbox.html")]
struct InboxPage {
    ctx: PageCtx,
    unit: Unit,
    tips: Vec<Tip>,
    figures: figures::Figures,
    year: i64,
    status: String,
    overdue: bool,
    statuses: Choices,
}

impl InboxPage {
    fn is_status(&self, k: &str) -> bool {
        self.status == k
    }
}

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    overdue: Option<String>,
    #[serde(default)]
    year: Option<i64>,
}

pub async fn inbox(
    State(state): State<AppState>,
    actor: Actor,
    Path(code): Path<String>,
    Q(q): Q<InboxQuery>,
) -> PageResult {
    let db = &state.db;
    let unit = units::open_for(db, &actor, &code).await?;
    let status = q.status.clone().filter(|s| STATUSES.iter().any(|(k, _)| k == s));
    let filter = super::Filter {
        status: status.clone(),
        overdue: q.overdue.as_deref() == Some("1"),
        category: None,
    };
    let tips = super::list(db, &actor, &unit, &filter).await?;
    let year = q.year.unwrap_or_else(|| i64::from(crate::input::today().year()));
    let scope = Scope::new(&actor, Action::HandleTips)?.narrow(&unit.path)?;
    let figures = figures::figures(
        db,
        &scope,
        &format!("{year:04}-01-01"),
        &format!("{year:04}-12-31"),
    )
    .await?;
    let page = InboxPage {
        ctx: PageCtx::new(&actor, format!("Tin báo – {}", unit.name)),
        unit,
        tips,
        figures,
        year,
        status: status.unwrap_or_default(),
        overdue: filter.overdue,
        statuses: &STATUSES,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "tips/show.html")]
struct ShowPage {
    ctx: PageCtx,
    tip: Tip,
    messages: Vec<OfficerMessage>,
    photos: Vec<i64>,
    assignable: Vec<(i64, String)>,
    statuses: Choices,
    identity: Option<Identity>,
    refused: String,
    form: FormState,
}

impl ShowPage {
    fn refused_is(&self, which: &str) -> bool {
        self.refused == which
    }

    fn is_status(&self, k: &str) -> bool {
        self.tip.status == k
    }

    fn is_assigned(&self, id: &i64) -> bool {
        self.tip.assigned_to == Some(*id)
    }
}

async fn show_page(
    state: &AppState,
    actor: &Actor,
    id: i64,
    refused: &str,
    form: FormState,
    identity: Option<Identity>,
) -> Result<ShowPage, PageError> {
    let db = &state.db;
    let tip = super::get(db, actor, id).await?;
    Ok(ShowPage {
        ctx: PageCtx::new(actor, format!("Tin báo {}", tip.tracking_code)),
        messages: triage::messages(db, actor, id).await?,
        photos: triage::photo_ids(db, id).await?,
        assignable: triage::assignable(db, actor, &tip).await?,
        statuses: &STATUSES,
        tip,
        identity,
        refused: refused.into(),
        form,
    })
}

#[derive(Deserialize, Default)]
pub struct ShowQuery {
    #[serde(default)]
    ok: Option<String>,
}

pub async fn show(State(state): State<AppState>, actor: Actor, Id(id): Id, Q(q): Q<ShowQuery>) -> PageResult {
    let mut page = show_page(&state, &actor, id, "", FormState::default(), None).await?;
    page.ctx = page.ctx.with_notice(q.ok.as_deref());
    Ok(render(StatusCode::OK, &page))
}

async fn after(
    state: &AppState,
    actor: &Actor,
    id: i64,
    which: &str,
    form: Form,
    result: Result<Tip, AppError>,
    notice: &str,
) -> PageResult {
    match refused_or(result)? {
        Ok(_) => Ok(see_other(&format!("/tips/{id}"), Some(notice))),
        Err(e) => {
            let page = show_page(state, actor, id, which, FormState::refused(form, &e), None).await?;
            Ok(render(e.status(), &page))
        }
    }
}

pub async fn set_status(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let d = StatusDraft {
        status: form.get("status").cloned(),
        transferred_to: form.get("transferred_to").cloned(),
        duplicate_of: form.get("duplicate_of").cloned(),
    };
    let result = triage::set_status(&state.db, &actor, id, &d).await;
    after(&state, &actor, id, "status", form, result, "tip_saved").await
}

pub async fn assign(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let result = match form
        .get("assigned_to")
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
    {
        None => triage::assign(&state.db, &actor, id, None).await,
        Some(v) => match v.parse::<i64>() {
            Ok(user) => triage::assign(&state.db, &actor, id, Some(user)).await,
            Err(_) => Err(AppError::field(
                "assigned_to",
                "Giao cho: chọn một cán bộ trong danh sách.",
            )),
        },
    };
    after(&state, &actor, id, "assign", form, result, "tip_saved").await
}

pub async fn add_message(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let kind = form.get("kind").cloned().unwrap_or_default();
    let result =
        triage::add_message(&state.db, &actor, id, &kind, form.get("body").map(String::as_str)).await;
    let notice = if kind == "reply" {
        "tip_replied"
    } else {
        "tip_noted"
    };
    after(&state, &actor, id, "message", form, result, notice).await
}

pub async fn extend(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let d = ExtendDraft {
        until: form.get("until").cloned(),
        approved_by: form.get("approved_by").cloned(),
    };
    let result = triage::extend(&state.db, &actor, id, &d).await;
    after(&state, &actor, id, "extend", form, result, "tip_extended").await
}

/// The identity is shown once, on the answer to the post; it is never put
/// in a URL or a cookie.
pub async fn identity(
    State(state): State<AppState>,
    actor: Actor,
    Id(id): Id,
    PageForm(form): PageForm<Form>,
) -> PageResult {
    let result = triage::reveal_identity(
        &state.db,
        &state.config.tip_key,
        &actor,
        id,
        form.get("reason").map(String::as_str),
    )
    .await;
    match refused_or(result)? {
        Ok(identity) => {
            let page = show_page(&state, &actor, id, "", FormState::default(), Some(identity)).await?;
            let mut res = render(StatusCode::OK, &page);
            // The name and phone stay in no cache.
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(res)
        }
        Err(e) => {
            let page = show_page(&state, &actor, id, "identity", FormState::refused(form, &e), None).await?;
            Ok(render(e.status(), &page))
        }
    }
}

pub async fn photo(State(state): State<AppState>, actor: Actor, IdPair(id, photo_id): IdPair) -> PageResult {
    let (content_type, bytes) = triage::photo(&state.db, &actor, id, photo_id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Whether the actor may triage tips (for the unit page's link).
pub fn can_handle(actor: &Actor, unit: &Unit) -> bool {
    policy::authorize(actor, Action::HandleTips, &unit.path).is_ok()
}

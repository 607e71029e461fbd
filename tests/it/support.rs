//! Test harness: a fresh database per test, cloned from a template that is
//! migrated and loaded with the reference geography once per run, and the
//! real router driven in-process. SQLite by default; PostgreSQL when
//! ANTQ_TEST_DATABASE_URL is set.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use antq::app::{AppState, router};
use antq::auth::{Actor, tokens};
use antq::config::{Config, DatabaseUrl};
use antq::db::Db;
use antq::users::{self, UserDraft};
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use sqlx::Executor;
use tokio::sync::{Mutex, OnceCell};
use tower::ServiceExt;

pub const PASSWORD: &str = "mật-khẩu-thử-nghiệm";

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static CLONE_LOCK: Mutex<()> = Mutex::const_new(());
static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn pg_url() -> Option<String> {
    std::env::var("ANTQ_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Changes whenever the schema or the reference data change, so a stale
/// template is never reused.
fn template_key() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut text = antq::db::reference::REFERENCE_VERSION.to_string();
    let mut files: Vec<_> = walk(&dir);
    files.sort();
    for f in files {
        text.push_str(&std::fs::read_to_string(&f).unwrap_or_default());
    }
    tokens::digest(&text)[..12].to_string()
}

fn walk(dir: &PathBuf) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

fn with_db(url: &str, db: &str) -> String {
    let mut u = url::Url::parse(url).unwrap();
    u.set_path(&format!("/{db}"));
    u.to_string()
}

async fn pg_template(admin_url: &str) -> String {
    let name = format!("antq_tpl_{}", template_key());
    let admin = Db::connect(&DatabaseUrl::Postgres(admin_url.to_string()))
        .await
        .unwrap();
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&admin.pool)
        .await
        .unwrap();
    if exists.is_none() {
        let tmp = format!("antq_tpl_tmp_{}_{}", std::process::id(), nanos());
        admin
            .pool
            .execute(format!("CREATE DATABASE {tmp}").as_str())
            .await
            .unwrap();
        let db = Db::connect(&DatabaseUrl::Postgres(with_db(admin_url, &tmp)))
            .await
            .unwrap();
        db.prepare().await.unwrap();
        db.pool.close().await;
        // Another process may have finished first; then ours is dropped.
        if admin
            .pool
            .execute(format!("ALTER DATABASE {tmp} RENAME TO {name}").as_str())
            .await
            .is_err()
        {
            let _ = admin
                .pool
                .execute(format!("DROP DATABASE IF EXISTS {tmp}").as_str())
                .await;
        }
    }
    // Templates of older schemas are no longer needed.
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'antq_tpl_%' AND datname NOT LIKE 'antq_tpl_tmp_%' AND datname <> $1",
    )
    .bind(&name)
    .fetch_all(&admin.pool)
    .await
    .unwrap_or_default();
    for db in stale {
        let _ = admin
            .pool
            .execute(format!("DROP DATABASE IF EXISTS {db}").as_str())
            .await;
    }
    admin.pool.close().await;
    name
}

async fn sqlite_template() -> String {
    let path = std::env::temp_dir().join(format!("antq-test-template-{}.db", template_key()));
    if !path.exists() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::connect(&DatabaseUrl::Sqlite(dir.path().join("build.db")))
            .await
            .unwrap();
        db.prepare().await.unwrap();
        // VACUUM INTO writes one self-contained file (no WAL beside it);
        // written under a temporary name and renamed, so a reader never
        // sees half a template.
        let tmp = std::env::temp_dir().join(format!(
            "antq-test-template-{}-{}.db",
            std::process::id(),
            nanos()
        ));
        sqlx::query("VACUUM INTO $1")
            .bind(tmp.display().to_string())
            .execute(&db.pool)
            .await
            .unwrap();
        db.pool.close().await;
        std::fs::rename(&tmp, &path).unwrap();
    }
    path.display().to_string()
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

pub struct TestApp {
    pub db: Db,
    pub router: Router,
    /// The server's configuration (its tip key and tip guard are shared).
    pub config: Config,
    cleanup: Cleanup,
}

enum Cleanup {
    /// Held so that the folder lives as long as the app.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs inside the test's runtime; use a thread with its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    if let Ok(admin) = Db::connect(&DatabaseUrl::Postgres(admin_url)).await {
                        let _ = admin
                            .pool
                            .execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
                            .await;
                        admin.pool.close().await;
                    }
                });
            })
            .join();
        }
    }
}

pub struct Res {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
    pub bytes: Vec<u8>,
}

impl Res {
    pub fn text_bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(Config::default()).await
    }

    pub async fn with_config(config: Config) -> TestApp {
        let (db, cleanup) = match pg_url() {
            Some(admin_url) => {
                let template = TEMPLATE.get_or_init(|| pg_template(&admin_url)).await.clone();
                let name = format!(
                    "antq_t_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst)
                );
                {
                    let _guard = CLONE_LOCK.lock().await;
                    let admin = Db::connect(&DatabaseUrl::Postgres(admin_url.clone()))
                        .await
                        .unwrap();
                    let mut tries = 0;
                    loop {
                        let r = admin
                            .pool
                            .execute(format!("CREATE DATABASE {name} TEMPLATE {template}").as_str())
                            .await;
                        match r {
                            Ok(_) => break,
                            Err(e) if tries < 20 => {
                                tries += 1;
                                eprintln!("retrying CREATE DATABASE: {e}");
                                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                            }
                            Err(e) => panic!("cannot create test database: {e}"),
                        }
                    }
                    admin.pool.close().await;
                }
                let db = Db::connect(&DatabaseUrl::Postgres(with_db(&admin_url, &name)))
                    .await
                    .unwrap();
                (db, Cleanup::Postgres { admin_url, name })
            }
            None => {
                let template = TEMPLATE.get_or_init(sqlite_template).await.clone();
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("antq.db");
                std::fs::copy(&template, &path).unwrap();
                let db = Db::connect(&DatabaseUrl::Sqlite(path)).await.unwrap();
                (db, Cleanup::Sqlite { _dir: dir })
            }
        };
        db.prepare().await.unwrap();
        // Figures are read from the roll-up in every test, as in `serve`;
        // what the test writes reaches it through the change log.
        db.rollup.load(&db).await.unwrap();
        let router = router(AppState {
            db: db.clone(),
            config: config.clone(),
        });
        TestApp {
            db,
            router,
            config,
            cleanup,
        }
    }

    /// A user with an API token.
    pub async fn user(&self, username: &str, role: &str, scope: &str) -> TestUser {
        let draft = UserDraft {
            username: Some(username.into()),
            full_name: Some(format!("Người thử {username}")),
            role: Some(role.into()),
            scope_code: Some(scope.into()),
            password: Some(PASSWORD.into()),
            disabled: None,
        };
        let u = users::create(&self.db, &Actor::system(), &draft).await.unwrap();
        let token = users::create_token(&self.db, &Actor::system(), u.id, "thử")
            .await
            .unwrap();
        TestUser { id: u.id, token }
    }

    pub async fn request(&self, req: Request<Body>) -> Res {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        Res {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// POSTs a file (CSV or XLSX bytes) to an API path with a bearer token.
    pub async fn upload(&self, path: &str, token: &str, body: impl Into<Body>) -> Res {
        self.request(
            Request::post(format!("/api/v1{path}"))
                .header("authorization", format!("Bearer {token}"))
                .body(body.into())
                .unwrap(),
        )
        .await
    }

    pub async fn api(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        let mut b = Request::builder().method(method).uri(format!("/api/v1{path}"));
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let body = match body {
            Some(v) => {
                b = b.header(header::CONTENT_TYPE, "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.request(b.body(body).unwrap()).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Res {
        self.api("GET", path, Some(token), None).await
    }

    /// Signs in through the login form, as a browser would.
    pub async fn browser(&self, username: &str, password: &str) -> Browser {
        let form = self
            .request(Request::get("/login").body(Body::empty()).unwrap())
            .await;
        let login_csrf = cookie_value(&form.headers, "antq_login_csrf").unwrap();
        let body = format!(
            "_csrf={login_csrf}&username={}&password={}&next=%2F",
            urlencode(username),
            urlencode(password)
        );
        let res = self
            .request(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("antq_login_csrf={login_csrf}"))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        let session = cookie_value(&res.headers, "antq_session").unwrap_or_default();
        let mut b = Browser {
            session,
            csrf: String::new(),
            login_status: res.status,
            login_text: res.text,
        };
        if !b.session.is_empty() {
            let page = self.page(&b, "/account").await;
            b.csrf = extract_csrf(&page.text);
        }
        b
    }

    pub async fn page(&self, b: &Browser, path: &str) -> Res {
        self.request(
            Request::get(path)
                .header(header::COOKIE, format!("antq_session={}", b.session))
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// Posts a form with the browser's session and its CSRF token.
    pub async fn post_form(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> Res {
        let mut all = vec![("_csrf", b.csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(b, path, &all).await
    }

    /// Posts `content` as the `file` part of an upload form, as a browser
    /// sends it: multipart, the session's cookie, and the token in the
    /// action URL unless `csrf` is `None`.
    pub async fn post_file(&self, b: &Browser, path: &str, csrf: Option<&str>, content: &str) -> Res {
        let boundary = "antqboundary";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
        );
        let uri = match csrf {
            Some(t) => format!("{path}?_csrf={t}"),
            None => path.to_string(),
        };
        self.request(
            Request::post(uri)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .header(header::COOKIE, format!("antq_session={}", b.session))
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub async fn post_raw(&self, b: &Browser, path: &str, fields: &[(&str, &str)]) -> Res {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        self.request(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("antq_session={}", b.session))
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.db.pool).await.unwrap()
    }
}

pub struct TestUser {
    pub id: i64,
    pub token: String,
}

pub struct Browser {
    pub session: String,
    pub csrf: String,
    pub login_status: StatusCode,
    pub login_text: String,
}

pub fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(|v| {
            v[name.len() + 1..]
                .split(';')
                .next()
                .unwrap_or_default()
                .to_string()
        })
}

pub fn set_cookie_header(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn extract_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).unwrap_or(0);
    html[start..].split('"').next().unwrap_or_default().to_string()
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

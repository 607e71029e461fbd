//! Typed configuration from flags and ANTQ_* environment variables.

use std::path::PathBuf;

/// Where the data lives. Only the embedded SQLite file and PostgreSQL are
/// supported; any other scheme is refused before anything is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

pub const DEFAULT_SQLITE_PATH: &str = "./antq-data/antq.db";

impl DatabaseUrl {
    /// Parses `--database-url`; `None` means the embedded default file.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH)));
        };
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        if let Some(rest) = raw.strip_prefix("sqlite:") {
            // Accept sqlite:path, sqlite://path and sqlite:///abs/path; drop query options.
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let path = rest.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err("the sqlite URL needs a file path, e.g. sqlite:./antq-data/antq.db".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        let scheme = raw.split(':').next().unwrap_or(raw);
        Err(format!(
            "unsupported database URL scheme \"{scheme}\": use postgres://… for PostgreSQL \
             or sqlite:PATH (or no --database-url) for the embedded database"
        ))
    }

    pub fn describe(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(p) => format!("SQLite {}", p.display()),
            DatabaseUrl::Postgres(url) => match url::Url::parse(url) {
                Ok(u) => format!(
                    "PostgreSQL {}:{}{}",
                    u.host_str().unwrap_or("?"),
                    u.port().unwrap_or(5432),
                    u.path()
                ),
                Err(_) => "PostgreSQL".to_string(),
            },
        }
    }
}

/// Settings of the web server.
#[derive(Clone)]
pub struct Config {
    /// Mark cookies Secure. Also set per request when a TLS-terminating proxy
    /// says `X-Forwarded-Proto: https`.
    pub secure_cookies: bool,
    /// Browser session lifetime in minutes.
    pub session_minutes: i64,
    /// Key that seals the names and phones of tip reporters (ANTQ_TIP_KEY).
    pub tip_key: crate::tips::identity::TipKey,
    /// Form tokens and budgets of the public tip pages (in memory).
    pub tip_guard: std::sync::Arc<crate::tips::guard::Guard>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("secure_cookies", &self.secure_cookies)
            .field("session_minutes", &self.session_minutes)
            .finish_non_exhaustive()
    }
}

/// The defaults, with a fresh random tip key: right for tests, while `serve`
/// takes its key from ANTQ_TIP_KEY or its key file (main.rs).
impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            session_minutes: 8 * 60,
            tip_key: crate::tips::identity::TipKey::random(),
            tip_guard: std::sync::Arc::new(crate::tips::guard::Guard::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_supported_urls_and_refuses_others() {
        assert_eq!(
            DatabaseUrl::parse(None),
            Ok(DatabaseUrl::Sqlite(PathBuf::from(DEFAULT_SQLITE_PATH)))
        );
        assert_eq!(
            DatabaseUrl::parse(Some("sqlite:///tmp/a.db?mode=rwc")),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("/tmp/a.db")))
        );
        assert!(matches!(
            DatabaseUrl::parse(Some("postgres://postgres@127.0.0.1/test")),
            Ok(DatabaseUrl::Postgres(_))
        ));
        let err = DatabaseUrl::parse(Some("mysql://root@localhost/x")).unwrap_err();
        assert!(err.contains("mysql"), "{err}");
    }
}

#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `antq`: thin entry point. Parses the command line and dispatches; the
//! work lives in the library modules.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use antq::app::{AppState, router};
use antq::auth::{Actor, password};
use antq::config::{Config, DatabaseUrl};
use antq::db::Db;
use antq::indicators::rollup::Started;
use antq::{demo, units, users};

#[derive(Parser)]
#[command(
    name = "antq",
    version,
    about = "Information system for the movement \"Toàn dân bảo vệ an ninh Tổ quốc\""
)]
struct Cli {
    /// Database: postgres://… for PostgreSQL, sqlite:PATH, or omit for the
    /// embedded SQLite file ./antq-data/antq.db.
    #[arg(long, global = true, env = "ANTQ_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web UI and the JSON API (migrations run first).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080", env = "ANTQ_LISTEN")]
        listen: SocketAddr,
        /// Load the demo units, villages and accounts, and print the accounts.
        #[arg(long)]
        demo: bool,
        /// Mark cookies Secure (set this when antq is served over TLS).
        #[arg(long, env = "ANTQ_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Browser session lifetime in minutes.
        #[arg(long, default_value_t = 480, env = "ANTQ_SESSION_MINUTES")]
        session_minutes: i64,
        /// Key (32 bytes, base64) sealing tip reporters' names and phones;
        /// without it a key file is created beside the SQLite database.
        #[arg(long, env = "ANTQ_TIP_KEY", hide_env_values = true)]
        tip_key: Option<String>,
        /// Tips accepted per commune (or province) per hour.
        #[arg(long, default_value_t = 30, env = "ANTQ_TIP_BUDGET")]
        tip_budget: usize,
    },
    /// Apply database migrations and load the reference geography.
    Migrate,
    /// Manage user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Administrative units.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Seed the configured database with the demo data.
    Demo,
    /// Write a deterministic national-scale dataset into an empty database
    /// (for the benchmarks in bench/).
    Gen {
        /// national (34 provinces) or province (Lai Châu only).
        #[arg(long, default_value = "national", value_parser = antq::generator::Scale::parse)]
        scale: antq::generator::Scale,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account.
    Create {
        #[arg(long)]
        username: String,
        /// viewer, officer, reviewer or admin.
        #[arg(long)]
        role: String,
        /// Scope unit code: VN, a 2-digit province or a 5-digit commune.
        #[arg(long)]
        scope: String,
        #[arg(long, default_value = "")]
        full_name: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// List accounts.
    List,
    /// Set a new password (read from standard input).
    SetPassword {
        #[arg(long)]
        username: String,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable {
        #[arg(long)]
        username: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a new API token for a user on standard output, nothing else.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, default_value = "dòng lệnh")]
        label: String,
    },
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Import villages from a CSV file (all rows or none).
    ImportVillages { file: PathBuf },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ANTQ_LOG").unwrap_or_else(|_| "antq=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Err(e) = run(Cli::parse()).await {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

async fn open(url: &Option<String>) -> anyhow::Result<Db> {
    let url = DatabaseUrl::parse(url.as_deref()).map_err(anyhow::Error::msg)?;
    let db = Db::connect(&url).await?;
    db.prepare().await?;
    Ok(db)
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if !from_stdin {
        bail!("pass the password on standard input with --password-stdin");
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    Ok(s.lines().next().unwrap_or_default().to_string())
}

/// Loads the figures roll-up (from its snapshot when there is one) and,
/// when it had to be read from the records, saves it for the next start.
async fn start_rollup(db: &Db) {
    let t = std::time::Instant::now();
    match db.rollup.start(db).await {
        Ok(Started::Snapshot { seq, bytes, applied }) => tracing::info!(
            "figures roll-up ready in {} ms (snapshot after log entry {seq}, {bytes} bytes; {applied} log entries after it)",
            t.elapsed().as_millis()
        ),
        Ok(Started::Records { why }) => {
            tracing::info!(
                "figures roll-up ready in {} ms (read from the records: {why})",
                t.elapsed().as_millis()
            );
            db.rollup.save_logged(db, "after reading the records").await;
        }
        Err(e) => tracing::warn!("figures roll-up not loaded (figures are counted from the records): {e}"),
    }
}

/// Service errors carry Vietnamese messages for users; the CLI prints them as they are.
fn cli_err(e: antq::error::AppError) -> anyhow::Error {
    anyhow::anyhow!("{}", e.user_message())
}

async fn user_id(db: &Db, username: &str) -> anyhow::Result<i64> {
    match users::find_by_username(db, username).await.map_err(cli_err)? {
        Some(u) => Ok(u.id),
        None => bail!("no user named {username}"),
    }
}

/// The tip key: from ANTQ_TIP_KEY, else from `tip-identity.key` beside the
/// SQLite file (or in ./antq-data for PostgreSQL), created on first start
/// and readable by its owner only. Losing it loses the sealed identities.
fn tip_key_for(given: Option<&str>, url: &DatabaseUrl) -> anyhow::Result<antq::tips::identity::TipKey> {
    use antq::tips::identity::TipKey;
    if let Some(text) = given.filter(|t| !t.trim().is_empty()) {
        return TipKey::parse(text).map_err(anyhow::Error::msg);
    }
    let dir = match url {
        DatabaseUrl::Sqlite(path) => path
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default(),
        DatabaseUrl::Postgres(_) => std::path::PathBuf::from("./antq-data"),
    };
    let file = dir.join("tip-identity.key");
    if let Ok(text) = std::fs::read_to_string(&file) {
        return TipKey::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let key = TipKey::random();
    std::fs::write(&file, key.to_base64() + "\n")
        .with_context(|| format!("cannot write {}", file.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))?;
    }
    eprintln!(
        "Created the tip identity key {} (set ANTQ_TIP_KEY in production and keep a copy: without it the names of tip reporters cannot be read).",
        file.display()
    );
    Ok(key)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            listen,
            demo: with_demo,
            secure_cookies,
            session_minutes,
            tip_key,
            tip_budget,
        } => {
            let started = std::time::Instant::now();
            let url = DatabaseUrl::parse(cli.database_url.as_deref()).map_err(anyhow::Error::msg)?;
            let db = Db::connect(&url).await?;
            db.prepare().await?;
            // Outside the demo the key must come from configuration: a key
            // file beside the data would travel with every backup of it.
            if !with_demo && tip_key.as_deref().is_none_or(|k| k.trim().is_empty()) {
                bail!(
                    "set ANTQ_TIP_KEY (32 bytes in base64, e.g. `openssl rand -base64 32`) to seal tip reporters' \
                     names and phones; keep a copy of it apart from the database. Only `serve --demo` makes a key \
                     file of its own."
                );
            }
            let tip_key = tip_key_for(tip_key.as_deref(), &url)?;
            if with_demo {
                demo::load_with_key(&db, &tip_key).await.map_err(cli_err)?;
                demo::print_accounts();
            }
            if let Some(pw) = users::ensure_first_admin(&db).await.map_err(cli_err)? {
                println!(
                    "Created the first account: username \"admin\", password \"{pw}\" (shown once; change it)."
                );
            }
            let config = Config {
                secure_cookies,
                session_minutes: session_minutes.max(5),
                tip_key,
                tip_guard: std::sync::Arc::new(antq::tips::guard::Guard::new(tip_budget.max(1))),
            };
            // The roll-up loads beside the server: until it is ready,
            // figures are counted from the records, so start is not held up.
            let rollup_db = db.clone();
            tokio::spawn(async move { start_rollup(&rollup_db).await });
            db.checkpoint_in_background();
            let shutdown_db = db.clone();
            let app = router(AppState { db, config });
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            println!(
                "antq is serving http://{listen} ({}), ready in {} ms",
                url.describe(),
                started.elapsed().as_millis()
            );
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
            // What was applied since the last snapshot need not be re-read
            // at the next start.
            shutdown_db.rollup.save_if_behind(&shutdown_db).await;
        }
        Command::Migrate => {
            open(&cli.database_url).await?;
            println!("database is up to date");
        }
        Command::Demo => {
            let db = open(&cli.database_url).await?;
            let url = DatabaseUrl::parse(cli.database_url.as_deref()).map_err(anyhow::Error::msg)?;
            let key = tip_key_for(std::env::var("ANTQ_TIP_KEY").ok().as_deref(), &url)?;
            demo::load_with_key(&db, &key).await.map_err(cli_err)?;
            demo::print_accounts();
        }
        Command::Gen { scale, seed } => {
            let db = open(&cli.database_url).await?;
            let started = std::time::Instant::now();
            let c = antq::generator::generate(&db, scale, seed)
                .await
                .map_err(cli_err)?;
            println!(
                "Wrote {} rows in {:.1} s: {} provinces, {} communes, {} villages ({} households), \
                 {} outreach sessions, {} other activities, {} festival days, {} registrations, {} assessments, \
                 {} awards, {} tips, {} model points, {} teams, {} members.",
                c.rows(),
                started.elapsed().as_secs_f64(),
                c.provinces,
                c.communes,
                c.villages,
                c.households,
                c.sessions,
                c.other_activities,
                c.festival_days,
                c.registrations,
                c.assessments,
                c.awards,
                c.tips,
                c.model_points,
                c.teams,
                c.members
            );
        }
        Command::User { command } => {
            let db = open(&cli.database_url).await?;
            let system = Actor::system();
            match command {
                UserCommand::Create {
                    username,
                    role,
                    scope,
                    full_name,
                    password_stdin,
                } => {
                    let pw = read_password(password_stdin)?;
                    let draft = users::UserDraft {
                        username: Some(username),
                        full_name: Some(full_name),
                        role: Some(role),
                        scope_code: Some(scope),
                        password: Some(pw),
                        disabled: None,
                    };
                    let u = users::create(&db, &system, &draft).await.map_err(cli_err)?;
                    println!("created {} ({}, {})", u.username, u.role.as_str(), u.scope_code);
                }
                UserCommand::List => {
                    for u in users::list(&db, &system).await.map_err(cli_err)? {
                        let state = if u.disabled { "disabled" } else { "active" };
                        println!(
                            "{}\t{}\t{}\t{}\t{}",
                            u.username,
                            u.role.as_str(),
                            u.scope_code,
                            u.scope_name,
                            state
                        );
                    }
                }
                UserCommand::SetPassword {
                    username,
                    password_stdin,
                } => {
                    let pw = read_password(password_stdin)?;
                    password::validate(&pw).map_err(cli_err)?;
                    let id = user_id(&db, &username).await?;
                    users::set_password(&db, &system, id, &pw)
                        .await
                        .map_err(cli_err)?;
                    println!("password set for {username}");
                }
                UserCommand::Disable { username } => {
                    let id = user_id(&db, &username).await?;
                    let draft = users::UserDraft {
                        disabled: Some(true),
                        ..Default::default()
                    };
                    users::update(&db, &system, id, &draft).await.map_err(cli_err)?;
                    println!("disabled {username}");
                }
            }
        }
        Command::Token {
            command: TokenCommand::Create { username, label },
        } => {
            let db = open(&cli.database_url).await?;
            let id = user_id(&db, &username).await?;
            let token = users::create_token(&db, &Actor::system(), id, &label)
                .await
                .map_err(cli_err)?;
            println!("{token}");
        }
        Command::Units {
            command: UnitsCommand::ImportVillages { file },
        } => {
            let db = open(&cli.database_url).await?;
            let report = units::import::import_file(&db, &file).await?;
            println!("imported {} villages", report.created);
        }
    }
    Ok(())
}

-- Foundation schema (SQLite). Keep in step with migrations/postgres/0001_foundation.sql:
-- tests/it/schema.rs migrates both and compares tables and columns.
-- Conventions: ids are integers, timestamps are UTC ISO-8601 text, dates are
-- 'YYYY-MM-DD' text, flags are 0/1 integers (portable across both backends).

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Administrative units of both maps. era = 'current' (from 2025-07-01) or
-- 'legacy' (until 2025-06-30). path is the materialised ancestry within the
-- era ('/VN/12/03583/'); access scoping is a prefix match on it.
CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    era         TEXT NOT NULL CHECK (era IN ('current', 'legacy')),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    level       TEXT NOT NULL CHECK (level IN ('nation', 'province', 'district', 'commune')),
    unit_type   TEXT NOT NULL,
    parent_code TEXT,
    path        TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    lat         REAL,
    lon         REAL,
    area_km2    REAL,
    search_key  TEXT NOT NULL,
    UNIQUE (era, code)
);
CREATE INDEX units_parent ON units (era, parent_code);
CREATE INDEX units_level ON units (era, level);

-- Old commune -> new commune (2025 reform). partial = the old commune was
-- divided; exactly one row per old commune has is_default = 1.
CREATE TABLE crosswalk_2025 (
    old_code   TEXT NOT NULL,
    new_code   TEXT NOT NULL,
    partial    INTEGER NOT NULL CHECK (partial IN (0, 1)),
    is_default INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    PRIMARY KEY (old_code, new_code)
);
CREATE INDEX crosswalk_2025_new ON crosswalk_2025 (new_code);

CREATE TABLE province_crosswalk_2025 (
    old_code TEXT PRIMARY KEY,
    new_code TEXT NOT NULL
);

-- Village-level units (thôn, bản, ấp, tổ dân phố…), created by communes.
CREATE TABLE villages (
    id             INTEGER PRIMARY KEY,
    commune_code   TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    scope_path     TEXT NOT NULL,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    search_key     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    households     INTEGER,
    population     INTEGER,
    ethnic_groups  TEXT NOT NULL DEFAULT '',
    border_area    INTEGER NOT NULL DEFAULT 0 CHECK (border_area IN (0, 1)),
    religious_area INTEGER NOT NULL DEFAULT 0 CHECK (religious_area IN (0, 1)),
    key_area       INTEGER NOT NULL DEFAULT 0 CHECK (key_area IN (0, 1)),
    note           TEXT NOT NULL DEFAULT '',
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX villages_unique_name ON villages (commune_code, name_key) WHERE active = 1;
CREATE INDEX villages_scope ON villages (scope_path);

-- Organisations (cơ quan, doanh nghiệp, cơ sở giáo dục) attached to a commune
-- or a province.
CREATE TABLE organisations (
    id            INTEGER PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    province_code TEXT NOT NULL,
    scope_path    TEXT NOT NULL,
    name          TEXT NOT NULL,
    name_key      TEXT NOT NULL,
    search_key    TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('co_quan', 'doanh_nghiep', 'co_so_giao_duc')),
    address       TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX organisations_unique_name ON organisations (unit_code, name_key) WHERE active = 1;
CREATE INDEX organisations_scope ON organisations (scope_path);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    full_name     TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('viewer', 'officer', 'reviewer', 'admin')),
    scope_code    TEXT NOT NULL,
    scope_path    TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_scope ON users (scope_path);

-- Browser sessions. Only the SHA-256 of the cookie value is stored.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- API tokens for /api/v1. Only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))
);

-- Every write, in the same transaction as the write. scope_path is the
-- target's unit path, so audit reads are scoped like everything else.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    user_id      INTEGER,
    actor_name   TEXT NOT NULL,
    action       TEXT NOT NULL,
    target_kind  TEXT NOT NULL,
    target_id    TEXT NOT NULL,
    target_label TEXT NOT NULL DEFAULT '',
    scope_path   TEXT NOT NULL,
    before_json  TEXT,
    after_json   TEXT
);
CREATE INDEX audit_log_scope ON audit_log (scope_path, at);
CREATE INDEX audit_log_at ON audit_log (at);

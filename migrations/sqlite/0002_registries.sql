-- Registries (SQLite): models and their points, teams with members, yearly
-- ratings. Keep in step with migrations/postgres/0002_registries.sql.

-- A model type ("Camera an ninh", "Dòng họ tự quản về ANTT"…), defined at a
-- unit (nation, province or commune) and usable by points in its subtree.
CREATE TABLE model_types (
    id          INTEGER PRIMARY KEY,
    owner_code  TEXT NOT NULL,
    scope_path  TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    category    TEXT NOT NULL CHECK (category IN ('tu_phong', 'tu_quan', 'tu_bao_ve', 'tu_hoa_giai')),
    field       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX model_types_unique_name ON model_types (owner_code, name_key) WHERE active = 1;
CREATE INDEX model_types_scope ON model_types (scope_path);

-- A place where a model runs ("điểm"), in a commune, optionally a village;
-- replicated_from links it to the point it was copied from (Hướng dẫn
-- 22/HD-BCA-V05 counts points as replications of a first one).
CREATE TABLE model_points (
    id                INTEGER PRIMARY KEY,
    model_type_id     INTEGER NOT NULL REFERENCES model_types (id),
    commune_code      TEXT NOT NULL,
    province_code     TEXT NOT NULL,
    village_id        INTEGER REFERENCES villages (id),
    scope_path        TEXT NOT NULL,
    name              TEXT NOT NULL,
    started_on        TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('dang_hoat_dong', 'tam_dung', 'da_ket_thuc')),
    ended_on          TEXT,
    replicated_from   INTEGER REFERENCES model_points (id),
    advanced_decision TEXT,
    advanced_on       TEXT,
    advanced_issuer   TEXT,
    lat               REAL,
    lon               REAL,
    note              TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX model_points_scope ON model_points (scope_path);
CREATE INDEX model_points_type ON model_points (model_type_id);
CREATE INDEX model_points_from ON model_points (replicated_from);

-- Forces and teams of one commune, covering one or more of its villages.
CREATE TABLE teams (
    id             INTEGER PRIMARY KEY,
    commune_code   TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    scope_path     TEXT NOT NULL,
    kind           TEXT NOT NULL,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    established_on TEXT NOT NULL,
    dissolved_on   TEXT,
    active         INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    note           TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX teams_unique_name ON teams (commune_code, name_key) WHERE active = 1;
CREATE INDEX teams_scope ON teams (scope_path);

CREATE TABLE team_villages (
    team_id    INTEGER NOT NULL REFERENCES teams (id),
    village_id INTEGER NOT NULL REFERENCES villages (id),
    PRIMARY KEY (team_id, village_id)
);

CREATE TABLE point_teams (
    point_id INTEGER NOT NULL REFERENCES model_points (id),
    team_id  INTEGER NOT NULL REFERENCES teams (id),
    PRIMARY KEY (point_id, team_id)
);

-- Team members: personal data, visible only inside scope. person_key
-- identifies a person across teams (citizen id when given, else name, birth
-- year and gender) for the one-active-team rule.
CREATE TABLE members (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams (id),
    scope_path  TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('to_truong', 'to_pho', 'to_vien')),
    full_name   TEXT NOT NULL,
    person_key  TEXT NOT NULL,
    citizen_id  TEXT NOT NULL DEFAULT '',
    birth_year  INTEGER NOT NULL,
    gender      TEXT NOT NULL CHECK (gender IN ('nam', 'nu')),
    joined_on   TEXT NOT NULL,
    left_on     TEXT,
    phone       TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX members_team ON members (team_id);
CREATE INDEX members_scope ON members (scope_path);
CREATE INDEX members_person ON members (person_key) WHERE active = 1;

-- Yearly ratings (Hướng dẫn 01/HD-BCA-V05) of teams and members; the year
-- is the rating period 15/11 of the year before – 14/11 of that year.
CREATE TABLE ratings (
    id           INTEGER PRIMARY KEY,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('team', 'member')),
    subject_id   INTEGER NOT NULL,
    year         INTEGER NOT NULL,
    level        TEXT NOT NULL CHECK (level IN ('xuat_sac', 'tot', 'hoan_thanh', 'khong_hoan_thanh')),
    commune_code TEXT NOT NULL,
    scope_path   TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (subject_kind, subject_id, year)
);
CREATE INDEX ratings_commune_year ON ratings (commune_code, year);

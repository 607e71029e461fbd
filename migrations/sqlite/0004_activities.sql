-- Activities through the year and awards (SQLite). Keep in step with
-- migrations/postgres/0004_activities.sql.

-- One ledger of dated activity records of six kinds. Which columns a kind
-- uses is decided in src/activities/mod.rs (parse); `subtype` is the kind's
-- own classification: the form of an outreach session, sơ kết / tổng kết of a
-- conference, thành / không thành of a mediation case, đưa vào / đưa ra of a
-- key-area decision.
CREATE TABLE activities (
    id             INTEGER PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('session', 'conference', 'campaign', 'mediation', 'drug_free', 'key_area')),
    unit_code      TEXT NOT NULL,
    province_code  TEXT NOT NULL,
    village_id     INTEGER REFERENCES villages (id),
    scope_path     TEXT NOT NULL,
    -- the pre-2025 commune or province where it happened, when dated before 2025-07-01
    legacy_code    TEXT,
    legacy_name    TEXT,
    held_on        TEXT NOT NULL,
    ends_on        TEXT,
    period_from    INTEGER,
    period_to      INTEGER,
    year           INTEGER,
    title          TEXT NOT NULL DEFAULT '',
    subtype        TEXT NOT NULL DEFAULT '',
    level          TEXT NOT NULL DEFAULT '',
    attendance     INTEGER,
    decision_ref   TEXT NOT NULL DEFAULT '',
    note           TEXT NOT NULL DEFAULT '',
    cancelled_at   TEXT,
    cancel_reason  TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX activities_scope ON activities (kind, scope_path, held_on);
CREATE INDEX activities_village ON activities (village_id);
-- One drug-free decision per commune and year; a pre-2025 commune ('l:')
-- is another place than a commune of today ('c:') even with the same code.
CREATE UNIQUE INDEX activities_drug_free ON activities (COALESCE('l:' || legacy_code, 'c:' || unit_code), year)
    WHERE kind = 'drug_free' AND cancelled_at IS NULL;

-- The units a crackdown campaign covered, besides the one that ran it.
CREATE TABLE activity_units (
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    unit_code   TEXT NOT NULL,
    scope_path  TEXT NOT NULL,
    PRIMARY KEY (activity_id, unit_code)
);
CREATE INDEX activity_units_scope ON activity_units (scope_path);

-- Ngày hội toàn dân bảo vệ ANTQ: one per commune (or village) and year.
-- subject_key is 'c:<commune code>' or 'v:<village id>'.
CREATE TABLE festival_days (
    id                INTEGER PRIMARY KEY,
    unit_code         TEXT NOT NULL,
    province_code     TEXT NOT NULL,
    village_id        INTEGER REFERENCES villages (id),
    subject_key       TEXT NOT NULL,
    scope_path        TEXT NOT NULL,
    legacy_code       TEXT,
    legacy_name       TEXT,
    year              INTEGER NOT NULL,
    held_on           TEXT NOT NULL,
    outside_reason    TEXT NOT NULL DEFAULT '',
    showcase_level    TEXT NOT NULL DEFAULT '' CHECK (showcase_level IN ('', 'bo_cong_an', 'tinh', 'huyen', 'xa')),
    venue             TEXT NOT NULL DEFAULT '',
    guests            TEXT NOT NULL DEFAULT '',
    programme         TEXT NOT NULL DEFAULT '',
    gifts             TEXT NOT NULL DEFAULT '',
    gifts_value       INTEGER,
    attendance        INTEGER,
    note              TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (subject_key, year)
);
CREATE INDEX festival_days_scope ON festival_days (scope_path, year);

-- Coordination programmes (chương trình phối hợp) between the police, the
-- Fatherland Front committee and its member organisations; a renewed
-- programme points to the one it continues.
CREATE TABLE programmes (
    id            INTEGER PRIMARY KEY,
    unit_code     TEXT NOT NULL,
    province_code TEXT NOT NULL,
    scope_path    TEXT NOT NULL,
    number        TEXT NOT NULL,
    title         TEXT NOT NULL,
    parties       TEXT NOT NULL,
    from_year     INTEGER NOT NULL,
    to_year       INTEGER NOT NULL,
    signed_on     TEXT NOT NULL,
    documents     TEXT NOT NULL DEFAULT '',
    continues_id  INTEGER REFERENCES programmes (id),
    note          TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX programmes_scope ON programmes (scope_path);

CREATE TABLE programme_reviews (
    id           INTEGER PRIMARY KEY,
    programme_id INTEGER NOT NULL REFERENCES programmes (id),
    scope_path   TEXT NOT NULL,
    held_on      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('so_ket', 'tong_ket')),
    title        TEXT NOT NULL,
    findings     TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL
);
CREATE INDEX programme_reviews_programme ON programme_reviews (programme_id);

-- Emulation covenants (giao ước thi đua) between villages of one commune.
CREATE TABLE covenants (
    id              INTEGER PRIMARY KEY,
    commune_code    TEXT NOT NULL,
    province_code   TEXT NOT NULL,
    scope_path      TEXT NOT NULL,
    year            INTEGER NOT NULL,
    signed_on       TEXT NOT NULL,
    title           TEXT NOT NULL,
    terms           TEXT NOT NULL DEFAULT '',
    festival_day_id INTEGER REFERENCES festival_days (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX covenants_scope ON covenants (scope_path, year);

CREATE TABLE covenant_villages (
    covenant_id INTEGER NOT NULL REFERENCES covenants (id),
    village_id  INTEGER NOT NULL REFERENCES villages (id),
    PRIMARY KEY (covenant_id, village_id)
);

-- Awards (khen thưởng). The issuer is an authority at a unit of the map in
-- force on the decision date (issuer_era); the recipient is a collective
-- (unit, village, team, organisation) or a person. person_key identifies a
-- person as members.person_key does, so the Kỷ niệm chương is given once.
CREATE TABLE awards (
    id              INTEGER PRIMARY KEY,
    award_type      TEXT NOT NULL CHECK (award_type IN ('co_thi_dua', 'bang_khen', 'giay_khen', 'ky_niem_chuong')),
    issuer_kind     TEXT NOT NULL,
    issuer_era      TEXT NOT NULL CHECK (issuer_era IN ('current', 'legacy')),
    issuer_unit     TEXT NOT NULL,
    issuer_name     TEXT NOT NULL,
    recipient_kind  TEXT NOT NULL CHECK (recipient_kind IN ('unit', 'village', 'team', 'organisation', 'person')),
    recipient_ref   TEXT NOT NULL,
    recipient_name  TEXT NOT NULL,
    member_id       INTEGER REFERENCES members (id),
    person_key      TEXT,
    birth_year      INTEGER,
    gender          TEXT,
    citizen_id      TEXT NOT NULL DEFAULT '',
    position        TEXT NOT NULL DEFAULT '',
    unit_code       TEXT NOT NULL,
    province_code   TEXT NOT NULL,
    scope_path      TEXT NOT NULL,
    decision_number TEXT NOT NULL,
    decided_on      TEXT NOT NULL,
    reason          TEXT NOT NULL DEFAULT '',
    event_kind      TEXT CHECK (event_kind IN ('festival_day', 'programme_review', 'activity')),
    event_id        INTEGER,
    note            TEXT NOT NULL DEFAULT '',
    -- the recipient's pre-2025 commune or province, for decisions before 2025-07-01
    recipient_legacy_code TEXT,
    recipient_legacy_name TEXT,
    cancelled_at    TEXT,
    cancel_reason   TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL
);
CREATE INDEX awards_scope ON awards (scope_path, decided_on);
CREATE INDEX awards_event ON awards (event_kind, event_id);
CREATE INDEX awards_person ON awards (person_key);
CREATE UNIQUE INDEX awards_one_badge ON awards (person_key) WHERE award_type = 'ky_niem_chuong' AND cancelled_at IS NULL;

-- Service a person gave outside antq's team records, for the Kỷ niệm chương
-- (Thông tư 20/2025/TT-BCA): earlier service as semi-professional commune
-- police or civil guard, years in a leading post, and team service before
-- the team was recorded here. difficult = 1 for an especially difficult,
-- border or island area, where a year counts double.
CREATE TABLE service_records (
    id          INTEGER PRIMARY KEY,
    person_key  TEXT NOT NULL,
    full_name   TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('cong_an_xa_ban_chuyen_trach', 'bao_ve_dan_pho', 'to_bao_ve_antt', 'lanh_dao')),
    position    TEXT NOT NULL DEFAULT '',
    started_on  TEXT NOT NULL,
    ended_on    TEXT,
    difficult   INTEGER NOT NULL DEFAULT 0 CHECK (difficult IN (0, 1)),
    unit_code   TEXT NOT NULL,
    scope_path  TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL
);
CREATE INDEX service_records_person ON service_records (person_key);

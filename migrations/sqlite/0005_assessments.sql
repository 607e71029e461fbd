-- The November assessment (SQLite). Keep in step with
-- migrations/postgres/0005_assessments.sql.

-- Criteria sets are data: one row per version of a set, never changed once
-- stored (assessments point at the version they were judged on). `document`
-- is the set's JSON file as imported (docs/CRITERIA.md); the other columns
-- are copied out of it for lookups.
CREATE TABLE criteria_sets (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    programme     TEXT NOT NULL CHECK (programme IN ('an_toan', 'phan_loai', 'dien_hinh')),
    kind          TEXT NOT NULL CHECK (kind IN ('all', 'count', 'points')),
    name          TEXT NOT NULL,
    legal_basis   TEXT NOT NULL,
    -- comma-separated: village, commune, agency, enterprise, school
    subject_kinds TEXT NOT NULL,
    year_from     INTEGER NOT NULL,
    year_to       INTEGER,
    document      TEXT NOT NULL,
    shipped       INTEGER NOT NULL DEFAULT 0 CHECK (shipped IN (0, 1)),
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    note          TEXT NOT NULL DEFAULT '',
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    UNIQUE (code, version)
);

-- One assessment of one subject (village, commune or organisation) for one
-- programme and evaluation year. A correction after approval is a new row
-- with version + 1 and supersedes_id; the older row stays as it was decided.
CREATE TABLE assessments (
    id              INTEGER PRIMARY KEY,
    set_id          INTEGER NOT NULL REFERENCES criteria_sets (id),
    programme       TEXT NOT NULL,
    subject_kind    TEXT NOT NULL CHECK (subject_kind IN ('village', 'commune', 'organisation')),
    -- village id, commune code or organisation id, as text
    subject_id      TEXT NOT NULL,
    subject_name    TEXT NOT NULL,
    -- the commune or province the subject belongs to, and the unit that decides
    unit_code       TEXT NOT NULL,
    decider_code    TEXT NOT NULL,
    scope_path      TEXT NOT NULL,
    year            INTEGER NOT NULL,
    period_from     TEXT NOT NULL,
    period_to       TEXT NOT NULL,
    decide_by       TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    supersedes_id   INTEGER REFERENCES assessments (id),
    correction_reason TEXT NOT NULL DEFAULT '',
    -- set when a later version of the same subject and year is approved
    replaced        INTEGER NOT NULL DEFAULT 0 CHECK (replaced IN (0, 1)),
    -- withdrawn: a draft (or returned one) the preparer took back, with a reason
    status          TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'returned', 'approved', 'recognised', 'withdrawn')),
    result          TEXT CHECK (result IN ('dat', 'chua_dat')),
    passed          INTEGER,
    total           INTEGER,
    points_x10      INTEGER,
    level           TEXT,
    submissions     INTEGER NOT NULL DEFAULT 0,
    submitted_by    INTEGER,
    submitted_at    TEXT,
    return_reason   TEXT NOT NULL DEFAULT '',
    decided_by      INTEGER,
    decided_name    TEXT NOT NULL DEFAULT '',
    decided_at      TEXT,
    decision_note   TEXT NOT NULL DEFAULT '',
    cert_number     TEXT,
    cert_date       TEXT,
    cert_issuer     TEXT,
    cert_signer     TEXT NOT NULL DEFAULT '',
    created_by      INTEGER,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX assessments_scope ON assessments (scope_path, year);
CREATE INDEX assessments_subject ON assessments (programme, subject_kind, subject_id, year);
-- At most one open (not yet decided) assessment per subject, programme and year.
CREATE UNIQUE INDEX assessments_one_open ON assessments (programme, subject_kind, subject_id, year)
    WHERE status IN ('draft', 'submitted', 'returned');
-- One certificate number per deciding unit and year; a corrected decision
-- may be issued again under the number of the version it replaces.
CREATE UNIQUE INDEX assessments_cert_number ON assessments (decider_code, year, cert_number)
    WHERE cert_number IS NOT NULL AND replaced = 0;

-- The value of each criterion: what antq computed from its records, what the
-- assessor judged, and why.
CREATE TABLE assessment_items (
    assessment_id    INTEGER NOT NULL REFERENCES assessments (id),
    criterion_code   TEXT NOT NULL,
    computed_value   TEXT NOT NULL DEFAULT '',
    computed_verdict TEXT CHECK (computed_verdict IN ('dat', 'chua_dat')),
    verdict          TEXT CHECK (verdict IN ('dat', 'chua_dat')),
    points_x10       INTEGER,
    note             TEXT NOT NULL DEFAULT '',
    judged_by        INTEGER,
    judged_name      TEXT NOT NULL DEFAULT '',
    judged_at        TEXT,
    PRIMARY KEY (assessment_id, criterion_code)
);

-- Evidence files, kept in the database so a backup holds them.
CREATE TABLE assessment_files (
    id             INTEGER PRIMARY KEY,
    assessment_id  INTEGER NOT NULL REFERENCES assessments (id),
    criterion_code TEXT,
    file_name      TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size           INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    data           BLOB NOT NULL,
    uploaded_by    INTEGER,
    uploaded_name  TEXT NOT NULL,
    uploaded_at    TEXT NOT NULL
);
CREATE INDEX assessment_files_assessment ON assessment_files (assessment_id);

-- The workflow's steps, shown as the assessment's history.
CREATE TABLE assessment_events (
    id            INTEGER PRIMARY KEY,
    assessment_id INTEGER NOT NULL REFERENCES assessments (id),
    action        TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    user_id       INTEGER,
    user_name     TEXT NOT NULL,
    at            TEXT NOT NULL
);
CREATE INDEX assessment_events_assessment ON assessment_events (assessment_id);

-- Organisations Thông tư 124/2021/TT-BCA Điều 1 leaves out of the
-- "An toàn về ANTT" standard (armed-forces units, small and micro
-- enterprises, primary schools, kindergartens): not assessed, and not in a
-- commune's 100% / 70% base.
ALTER TABLE organisations ADD COLUMN antt_excluded INTEGER NOT NULL DEFAULT 0 CHECK (antt_excluded IN (0, 1));

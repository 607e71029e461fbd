-- Yearly registrations (SQLite): each year villages, communes and
-- organisations register to strive for "An toàn về ANTT". Keep in step with
-- migrations/postgres/0003_registrations.sql.
CREATE TABLE registrations (
    id                    INTEGER PRIMARY KEY,
    year                  INTEGER NOT NULL,
    subject_kind          TEXT NOT NULL CHECK (subject_kind IN ('village', 'commune', 'organisation')),
    -- village id, commune code or organisation id, as text
    subject_id            TEXT NOT NULL,
    subject_name          TEXT NOT NULL,
    unit_code             TEXT NOT NULL,
    scope_path            TEXT NOT NULL,
    registered_on         TEXT NOT NULL,
    resolution_ref        TEXT NOT NULL DEFAULT '',
    plan_ref              TEXT NOT NULL DEFAULT '',
    households_resident   INTEGER,
    households_registered INTEGER,
    note                  TEXT NOT NULL DEFAULT '',
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL,
    UNIQUE (subject_kind, subject_id, year)
);
CREATE INDEX registrations_scope_year ON registrations (scope_path, year);

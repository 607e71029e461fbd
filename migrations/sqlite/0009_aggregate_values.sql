-- Figures that exist only as totals (SQLite). Keep in step with
-- migrations/postgres/0009_aggregate_values.sql.
--
-- Some figures of the movement are not kept record by record anywhere —
-- "61.956 gia đình đăng ký gia đình văn hóa" comes from the Fatherland
-- Front's count, not from antq's registries — so a unit enters the total for
-- a year (src/indicators/aggregates/). One value per indicator, place and
-- year; the place is today's unit, or for a year before 2025 the pre-2025
-- unit it was counted in (subject_key 'c:<code>' or 'l:<old code>', as for
-- festival days). A value is entered at one level of a subtree only (the
-- service refuses a second at an ancestor or descendant), so totals add up.

CREATE TABLE aggregate_values (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    indicator    TEXT NOT NULL,
    unit_code    TEXT NOT NULL,
    subject_key  TEXT NOT NULL,
    scope_path   TEXT NOT NULL,
    legacy_code  TEXT,
    legacy_name  TEXT,
    legacy_path  TEXT,
    year         INTEGER NOT NULL,
    value        INTEGER NOT NULL CHECK (value >= 0),
    source       TEXT NOT NULL DEFAULT '',
    note         TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (indicator, subject_key, year)
);
CREATE INDEX aggregate_values_scope ON aggregate_values (scope_path, year);
CREATE INDEX aggregate_values_legacy ON aggregate_values (legacy_path);

CREATE TRIGGER aggregate_values_legacy_insert AFTER INSERT ON aggregate_values WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE aggregate_values SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER aggregate_values_legacy_update AFTER UPDATE OF legacy_code, legacy_path ON aggregate_values
    WHEN NEW.legacy_path IS NULL OR NEW.legacy_code IS NOT OLD.legacy_code
BEGIN
    UPDATE aggregate_values SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;

CREATE TRIGGER aggregate_values_figures_insert AFTER INSERT ON aggregate_values BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('aggregate_values', NEW.id); END;
CREATE TRIGGER aggregate_values_figures_update AFTER UPDATE ON aggregate_values BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('aggregate_values', NEW.id); END;
CREATE TRIGGER aggregate_values_figures_delete AFTER DELETE ON aggregate_values BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('aggregate_values', OLD.id); END;

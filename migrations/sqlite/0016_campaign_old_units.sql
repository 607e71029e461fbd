-- A campaign may name the pre-2025 units it covered (SQLite). Keep in step
-- with migrations/postgres/0016_campaign_old_units.sql.
--
-- 0014 placed each covered unit of today at its home on the old map: a
-- commune formed from several old ones counted a campaign of 2013–2024 at
-- their common district, never at an old commune it may not have covered.
-- A campaign before 1 July 2025 now names the old units it covered as
-- well: such a row keeps the old unit's code in legacy_code, its path in
-- legacy_path, and in unit_code/scope_path the unit of today it lies in
-- (activities/places.rs, `old_covered`). Two old communes merged into one
-- commune of today are two rows, so legacy_code joins the key ('' for a
-- unit of today). SQLite cannot change a key in place: the table is
-- rebuilt, and with it its index and the triggers of 0008 and 0014.
CREATE TABLE activity_units_new (
    activity_id INTEGER NOT NULL REFERENCES activities (id),
    unit_code   TEXT NOT NULL,
    legacy_code TEXT NOT NULL DEFAULT '',
    scope_path  TEXT NOT NULL,
    legacy_path TEXT,
    PRIMARY KEY (activity_id, unit_code, legacy_code)
);
INSERT INTO activity_units_new (activity_id, unit_code, legacy_code, scope_path, legacy_path)
    SELECT activity_id, unit_code, '', scope_path, legacy_path FROM activity_units;
DROP TABLE activity_units;
ALTER TABLE activity_units_new RENAME TO activity_units;
CREATE INDEX activity_units_scope ON activity_units (scope_path);

CREATE TRIGGER activity_units_figures_insert AFTER INSERT ON activity_units BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', NEW.activity_id); END;
CREATE TRIGGER activity_units_figures_delete AFTER DELETE ON activity_units BEGIN INSERT INTO figure_changes (tbl, row_id) VALUES ('activities', OLD.activity_id); END;

CREATE TRIGGER activity_units_legacy_insert AFTER INSERT ON activity_units WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE activity_units SET legacy_path = COALESCE(
        (SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code),
        (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE activity_id = NEW.activity_id AND unit_code = NEW.unit_code AND legacy_code = NEW.legacy_code;
END;
CREATE TRIGGER activity_units_legacy_update AFTER UPDATE OF unit_code, legacy_code, legacy_path ON activity_units
    WHEN NEW.legacy_path IS NULL OR NEW.unit_code IS NOT OLD.unit_code OR NEW.legacy_code IS NOT OLD.legacy_code
BEGIN
    UPDATE activity_units SET legacy_path = COALESCE(
        (SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code),
        (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE activity_id = NEW.activity_id AND unit_code = NEW.unit_code AND legacy_code = NEW.legacy_code;
END;

-- Where each unit a campaign covered lay before the 2025 reform (SQLite).
-- Keep in step with migrations/postgres/0014_campaign_units_legacy.sql.
--
-- A crackdown campaign counts once for the unit that ran it and once for
-- each unit it covered (activity_units). Its covered units are today's, so
-- on the pre-2025 map (0007) they matched nothing and a campaign of 2013–2024
-- counted for its running unit only. Each covered unit now carries the path
-- of its home on that map (legacy_home), as an organisation does: a covered
-- commune formed from several old ones counts the campaign for their common
-- district or province, never for an old commune it may not have covered.
-- Derived by the trigger below when a row is written with legacy_path NULL;
-- a campaign's covered units are replaced, never updated, when it changes.
ALTER TABLE activity_units ADD COLUMN legacy_path TEXT;
UPDATE activity_units SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = activity_units.unit_code);
CREATE TRIGGER activity_units_legacy_insert AFTER INSERT ON activity_units WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE activity_units SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code)
    WHERE activity_id = NEW.activity_id AND unit_code = NEW.unit_code;
END;
CREATE TRIGGER activity_units_legacy_update AFTER UPDATE OF unit_code, legacy_path ON activity_units
    WHEN NEW.legacy_path IS NULL OR NEW.unit_code IS NOT OLD.unit_code
BEGIN
    UPDATE activity_units SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code)
    WHERE activity_id = NEW.activity_id AND unit_code = NEW.unit_code;
END;

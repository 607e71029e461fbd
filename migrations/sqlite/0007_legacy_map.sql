-- The pre-2025 map (SQLite). Keep in step with migrations/postgres/0007_legacy_map.sql.
--
-- Every record is written at today's unit (scope_path); legacy_path says where
-- it lies on the map before the 2025 reform (63 provinces, their districts and
-- 10.035 communes), so that a period ending before 1 July 2025 is counted on
-- the units of its time. It is derived when a row is written, by the triggers
-- below, from the most precise fact the row has: the pre-2025 unit named on it
-- (legacy_code), else its village's, else its organisation's, else the home of
-- its current unit. A current unit formed from several old ones has as its
-- home their deepest common ancestor (a district or a province), so such a
-- record counts in that district's or province's total but in no old commune:
-- it is never put in a commune it may not have been in.
--
-- Writing a row with legacy_path NULL (an insert, or `UPDATE … SET
-- legacy_path = NULL` for a backfill) derives it again, as does a change of
-- the facts it is derived from.

-- One row per current unit: the legacy path of its home, filled with the
-- reference units (src/db/reference.rs).
CREATE TABLE legacy_home (
    code        TEXT PRIMARY KEY,
    legacy_path TEXT NOT NULL
);

-- The pre-2025 commune a village belonged to, when its commune was formed
-- from several (otherwise the only one is its home).
ALTER TABLE villages ADD COLUMN legacy_code TEXT;

ALTER TABLE villages ADD COLUMN legacy_path TEXT;
CREATE INDEX villages_legacy ON villages (legacy_path);
CREATE TRIGGER villages_legacy_insert AFTER INSERT ON villages WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE villages SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER villages_legacy_update AFTER UPDATE OF legacy_code, legacy_path ON villages
    WHEN NEW.legacy_path IS NULL OR NEW.legacy_code IS NOT OLD.legacy_code
BEGIN
    UPDATE villages SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code))
    WHERE id = NEW.id;
END;

ALTER TABLE organisations ADD COLUMN legacy_path TEXT;
CREATE INDEX organisations_legacy ON organisations (legacy_path);
CREATE TRIGGER organisations_legacy_insert AFTER INSERT ON organisations WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE organisations SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code)
    WHERE id = NEW.id;
END;
CREATE TRIGGER organisations_legacy_update AFTER UPDATE OF unit_code, legacy_path ON organisations
    WHEN NEW.legacy_path IS NULL OR NEW.unit_code IS NOT OLD.unit_code
BEGIN
    UPDATE organisations SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code)
    WHERE id = NEW.id;
END;

ALTER TABLE activities ADD COLUMN legacy_path TEXT;
CREATE INDEX activities_legacy ON activities (legacy_path);
CREATE TRIGGER activities_legacy_insert AFTER INSERT ON activities WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE activities SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER activities_legacy_update AFTER UPDATE OF legacy_code, village_id, legacy_path ON activities
    WHEN NEW.legacy_path IS NULL OR NEW.legacy_code IS NOT OLD.legacy_code OR NEW.village_id IS NOT OLD.village_id
BEGIN
    UPDATE activities SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;

ALTER TABLE festival_days ADD COLUMN legacy_path TEXT;
CREATE INDEX festival_days_legacy ON festival_days (legacy_path);
CREATE TRIGGER festival_days_legacy_insert AFTER INSERT ON festival_days WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE festival_days SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER festival_days_legacy_update AFTER UPDATE OF legacy_code, village_id, legacy_path ON festival_days
    WHEN NEW.legacy_path IS NULL OR NEW.legacy_code IS NOT OLD.legacy_code OR NEW.village_id IS NOT OLD.village_id
BEGIN
    UPDATE festival_days SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.legacy_code), (SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;

ALTER TABLE registrations ADD COLUMN legacy_path TEXT;
CREATE INDEX registrations_legacy ON registrations (legacy_path);
CREATE TRIGGER registrations_legacy_insert AFTER INSERT ON registrations WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE registrations SET legacy_path = COALESCE(CASE NEW.subject_kind WHEN 'village' THEN (SELECT legacy_path FROM villages WHERE id = CAST(NEW.subject_id AS INTEGER)) WHEN 'organisation' THEN (SELECT legacy_path FROM organisations WHERE id = CAST(NEW.subject_id AS INTEGER)) END, (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER registrations_legacy_update AFTER UPDATE OF subject_id, legacy_path ON registrations
    WHEN NEW.legacy_path IS NULL OR NEW.subject_id IS NOT OLD.subject_id
BEGIN
    UPDATE registrations SET legacy_path = COALESCE(CASE NEW.subject_kind WHEN 'village' THEN (SELECT legacy_path FROM villages WHERE id = CAST(NEW.subject_id AS INTEGER)) WHEN 'organisation' THEN (SELECT legacy_path FROM organisations WHERE id = CAST(NEW.subject_id AS INTEGER)) END, (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;

ALTER TABLE assessments ADD COLUMN legacy_path TEXT;
CREATE INDEX assessments_legacy ON assessments (legacy_path);
CREATE TRIGGER assessments_legacy_insert AFTER INSERT ON assessments WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE assessments SET legacy_path = COALESCE(CASE NEW.subject_kind WHEN 'village' THEN (SELECT legacy_path FROM villages WHERE id = CAST(NEW.subject_id AS INTEGER)) WHEN 'organisation' THEN (SELECT legacy_path FROM organisations WHERE id = CAST(NEW.subject_id AS INTEGER)) END, (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER assessments_legacy_update AFTER UPDATE OF subject_id, legacy_path ON assessments
    WHEN NEW.legacy_path IS NULL OR NEW.subject_id IS NOT OLD.subject_id
BEGIN
    UPDATE assessments SET legacy_path = COALESCE(CASE NEW.subject_kind WHEN 'village' THEN (SELECT legacy_path FROM villages WHERE id = CAST(NEW.subject_id AS INTEGER)) WHEN 'organisation' THEN (SELECT legacy_path FROM organisations WHERE id = CAST(NEW.subject_id AS INTEGER)) END, (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;

ALTER TABLE model_points ADD COLUMN legacy_path TEXT;
CREATE INDEX model_points_legacy ON model_points (legacy_path);
CREATE TRIGGER model_points_legacy_insert AFTER INSERT ON model_points WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE model_points SET legacy_path = COALESCE((SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER model_points_legacy_update AFTER UPDATE OF village_id, legacy_path ON model_points
    WHEN NEW.legacy_path IS NULL OR NEW.village_id IS NOT OLD.village_id
BEGIN
    UPDATE model_points SET legacy_path = COALESCE((SELECT legacy_path FROM villages WHERE id = NEW.village_id), (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code))
    WHERE id = NEW.id;
END;

ALTER TABLE teams ADD COLUMN legacy_path TEXT;
CREATE INDEX teams_legacy ON teams (legacy_path);
CREATE TRIGGER teams_legacy_insert AFTER INSERT ON teams WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE teams SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code)
    WHERE id = NEW.id;
END;
CREATE TRIGGER teams_legacy_update AFTER UPDATE OF commune_code, legacy_path ON teams
    WHEN NEW.legacy_path IS NULL OR NEW.commune_code IS NOT OLD.commune_code
BEGIN
    UPDATE teams SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.commune_code)
    WHERE id = NEW.id;
END;

ALTER TABLE awards ADD COLUMN legacy_path TEXT;
CREATE INDEX awards_legacy ON awards (legacy_path);
CREATE TRIGGER awards_legacy_insert AFTER INSERT ON awards WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE awards SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.recipient_legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;
CREATE TRIGGER awards_legacy_update AFTER UPDATE OF recipient_legacy_code, legacy_path ON awards
    WHEN NEW.legacy_path IS NULL OR NEW.recipient_legacy_code IS NOT OLD.recipient_legacy_code
BEGIN
    UPDATE awards SET legacy_path = COALESCE((SELECT path FROM units WHERE era = 'legacy' AND code = NEW.recipient_legacy_code), (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code))
    WHERE id = NEW.id;
END;

ALTER TABLE tips ADD COLUMN legacy_path TEXT;
CREATE INDEX tips_legacy ON tips (legacy_path);
CREATE TRIGGER tips_legacy_insert AFTER INSERT ON tips WHEN NEW.legacy_path IS NULL
BEGIN
    UPDATE tips SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code)
    WHERE id = NEW.id;
END;
CREATE TRIGGER tips_legacy_update AFTER UPDATE OF unit_code, legacy_path ON tips
    WHEN NEW.legacy_path IS NULL OR NEW.unit_code IS NOT OLD.unit_code
BEGIN
    UPDATE tips SET legacy_path = (SELECT legacy_path FROM legacy_home WHERE code = NEW.unit_code)
    WHERE id = NEW.id;
END;

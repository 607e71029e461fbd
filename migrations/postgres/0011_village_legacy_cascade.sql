-- A village's place before the 2025 reform, followed by its records
-- (PostgreSQL). Keep in step with migrations/sqlite/0011_village_legacy_cascade.sql,
-- which says why.
--
-- An AFTER trigger on every update, not `UPDATE OF legacy_path`: the path is
-- set by the BEFORE trigger of 0007 when legacy_code changes, and PostgreSQL
-- fires `UPDATE OF` triggers only for the columns an UPDATE names.
CREATE FUNCTION villages_legacy_cascade() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE activities SET legacy_path = NULL WHERE village_id = NEW.id AND legacy_code IS NULL;
    UPDATE festival_days SET legacy_path = NULL WHERE village_id = NEW.id AND legacy_code IS NULL;
    UPDATE model_points SET legacy_path = NULL WHERE village_id = NEW.id;
    UPDATE registrations SET legacy_path = NULL WHERE subject_kind = 'village' AND subject_id = NEW.id::text;
    UPDATE assessments SET legacy_path = NULL WHERE subject_kind = 'village' AND subject_id = NEW.id::text;
    RETURN NULL;
END
$$;
CREATE TRIGGER villages_legacy_cascade AFTER UPDATE ON villages FOR EACH ROW
    WHEN (NEW.legacy_path IS DISTINCT FROM OLD.legacy_path)
    EXECUTE FUNCTION villages_legacy_cascade();

-- The records the function looks for, found by index (the SQLite file
-- gives the figures).
CREATE INDEX festival_days_village ON festival_days (village_id);
CREATE INDEX model_points_village ON model_points (village_id);
CREATE INDEX assessments_of_subject ON assessments (subject_kind, subject_id);

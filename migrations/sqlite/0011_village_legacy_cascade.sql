-- A village's place before the 2025 reform, followed by its records (SQLite).
-- Keep in step with migrations/postgres/0011_village_legacy_cascade.sql.
--
-- A village of a commune formed from several names the old commune it lay in
-- (villages.legacy_code, set on the village's form, API or import); its
-- legacy_path is derived from it (0007). The records whose place before 2025
-- comes from the village — activities and festival days that name no old
-- unit of their own, model points, registrations and assessments of the
-- village — derived theirs when they were written. When the village's
-- legacy_path changes they follow: set to NULL, each is derived again by its
-- own trigger (0007), and the change log (0008) takes the rows to the
-- roll-up, so the figures on the map of 2013–2024 move with the village.
CREATE TRIGGER villages_legacy_cascade AFTER UPDATE OF legacy_path ON villages
    WHEN NEW.legacy_path IS NOT OLD.legacy_path
BEGIN
    UPDATE activities SET legacy_path = NULL WHERE village_id = NEW.id AND legacy_code IS NULL;
    UPDATE festival_days SET legacy_path = NULL WHERE village_id = NEW.id AND legacy_code IS NULL;
    UPDATE model_points SET legacy_path = NULL WHERE village_id = NEW.id;
    UPDATE registrations SET legacy_path = NULL WHERE subject_kind = 'village' AND subject_id = CAST(NEW.id AS TEXT);
    UPDATE assessments SET legacy_path = NULL WHERE subject_kind = 'village' AND subject_id = CAST(NEW.id AS TEXT);
END;

-- The records the trigger looks for, found by index: on the national
-- dataset a village's move held the write lock 110–136 ms scanning
-- assessments, model points and festival days, 1–4 ms with these.
CREATE INDEX festival_days_village ON festival_days (village_id);
CREATE INDEX model_points_village ON model_points (village_id);
CREATE INDEX assessments_of_subject ON assessments (subject_kind, subject_id);

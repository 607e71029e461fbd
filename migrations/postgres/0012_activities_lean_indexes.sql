-- Fewer index entries to write for each activity (PostgreSQL). Keep in step
-- with migrations/sqlite/0012_activities_lean_indexes.sql.
--
-- Only the activities of a village are looked up by village (its move to
-- another old commune, 0011; a key-area decision; a village's deletion
-- under foreign keys), and `village_id = $1` implies NOT NULL, so the index
-- keeps those alone. activities_legacy stays here: its text_pattern_ops
-- lets `legacy_path LIKE 'prefix%'` seek it, which SQLite's LIKE cannot.
DROP INDEX activities_village;
CREATE INDEX activities_village ON activities (village_id) WHERE village_id IS NOT NULL;
